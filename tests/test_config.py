"""``microweb.config``: every loader of ``Config`` and ``ConfigAttribute``.

Each test asserts the expected values and runs the same input through
``flask.Config`` (Flask 3.1), the reference, so that a migrated application loads
exactly what it loaded before.
"""

from __future__ import annotations

import errno
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import flask
import flask.config
import pytest
from werkzeug.utils import ImportStringError

import microweb
from microweb.config import Config, ConfigAttribute

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10
    tomllib = pytest.importorskip("tomli")

ENV_PREFIX = "MWCFGTEST"


def both(root: Any, defaults: dict[str, Any] | None = None) -> tuple[Config, Any]:
    """A microweb ``Config`` and a ``flask.Config`` built from the same arguments."""
    return Config(root, defaults), flask.Config(root, defaults)


def outcome(call: Callable[[], Any]) -> tuple[Any, ...]:
    """Reduce a call to a comparable value: what it returned, or what it raised."""
    try:
        return ("returned", call())
    except OSError as exc:
        return ("raised", type(exc), exc.errno, exc.filename)
    except Exception as exc:  # any exception is an outcome here
        return ("raised", type(exc))


def assert_same(
    ours: Config, theirs: Any, call: Callable[[Any], Any]
) -> tuple[Any, ...]:
    """Run *call* on both configs; the outcomes and the contents must be equal."""
    our_outcome = outcome(lambda: call(ours))
    assert our_outcome == outcome(lambda: call(theirs))
    assert dict(ours) == dict(theirs)
    return our_outcome


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """``monkeypatch``, with no ``FLASK_*`` or test-prefixed variable left over."""
    for name in list(os.environ):
        if name.startswith(("FLASK_", ENV_PREFIX)):
            monkeypatch.delenv(name)
    return monkeypatch


@pytest.fixture
def settings_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The import name of a fresh settings module on ``sys.path``."""
    name = f"mw_settings_{uuid.uuid4().hex}"
    (tmp_path / f"{name}.py").write_text(
        "DEBUG = True\nSECRET_KEY = 'module-key'\nlocal_only = 1\n"
        "class Production:\n    DATABASE = 'pg'\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    sys.modules.pop(name, None)


# -- construction ---------------------------------------------------------------


def test_init_keeps_defaults_root_path_and_is_a_dict(tmp_path: Path) -> None:
    defaults = {"DEBUG": False, "lower": 1}
    config, reference = both(tmp_path, defaults)
    assert isinstance(config, dict)
    assert config == {"DEBUG": False, "lower": 1} == dict(reference)
    assert config.root_path == tmp_path == reference.root_path
    config["DEBUG"] = True
    assert defaults["DEBUG"] is False  # the defaults are copied, not shared
    assert Config(tmp_path) == {}


def test_repr_names_the_class_and_shows_the_dict(tmp_path: Path) -> None:
    class AppConfig(Config):
        pass

    assert repr(Config(tmp_path, {"A": 1})) == repr(flask.Config(tmp_path, {"A": 1}))
    assert repr(Config(tmp_path, {"A": 1})) == "<Config {'A': 1}>"
    assert repr(AppConfig(tmp_path)) == "<AppConfig {}>"


# -- from_pyfile ----------------------------------------------------------------


def test_from_pyfile_loads_uppercase_module_names(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text(
        "import os\nDEBUG = True\nSECRET_KEY = 'dev'\nhelper = 2\n"
        "_PRIVATE = 3\nPORT = helper * 4000\nMixed_Case = 5\n"
    )
    config, reference = both(tmp_path)
    assert assert_same(config, reference, lambda c: c.from_pyfile("settings.py")) == (
        "returned",
        True,
    )
    # ``str.isupper``: "_PRIVATE" counts as uppercase, "Mixed_Case" does not.
    assert config == {"DEBUG": True, "SECRET_KEY": "dev", "_PRIVATE": 3, "PORT": 8000}


def test_from_pyfile_accepts_absolute_and_pathlike_names(tmp_path: Path) -> None:
    (tmp_path / "settings.py").write_text("NAME = 'absolute'\n")
    config, reference = both("/nonexistent-root")
    assert_same(config, reference, lambda c: c.from_pyfile(tmp_path / "settings.py"))
    assert config == {"NAME": "absolute"}
    config, reference = both(tmp_path)
    assert_same(config, reference, lambda c: c.from_pyfile(Path("settings.py")))
    assert config == {"NAME": "absolute"}


def test_from_pyfile_runs_the_file_as_a_config_module(tmp_path: Path) -> None:
    path = tmp_path / "settings.py"
    path.write_bytes(
        "# -*- coding: latin-1 -*-\nFILE = __file__\nMODULE = __name__\n"
        "TEXT = 'café'\ndef FACTORY():\n    return 1\n".encode("latin-1")
    )
    config, reference = both(tmp_path)
    assert config.from_pyfile("settings.py") is reference.from_pyfile("settings.py")
    assert config.keys() == reference.keys() == {"FILE", "MODULE", "TEXT", "FACTORY"}
    for key in ("FILE", "MODULE", "TEXT"):
        assert config[key] == reference[key]
    assert config["FILE"] == str(path)
    assert config["MODULE"] == "config"
    assert config["TEXT"] == "café"  # read as bytes: the coding line is honoured
    assert config["FACTORY"].__code__.co_filename == str(path)
    assert config["FACTORY"].__module__ == reference["FACTORY"].__module__ == "config"


def test_from_pyfile_missing_file_raises_naming_the_path(tmp_path: Path) -> None:
    config, reference = both(tmp_path)
    with pytest.raises(FileNotFoundError) as caught:
        config.from_pyfile("missing.py")
    path = str(tmp_path / "missing.py")
    assert caught.value.errno == errno.ENOENT
    assert caught.value.filename == path
    assert path in str(caught.value)
    assert caught.value.strerror is not None
    assert "configuration file" in caught.value.strerror
    assert os.strerror(errno.ENOENT) in caught.value.strerror
    assert_same(config, reference, lambda c: c.from_pyfile("missing.py"))


@pytest.mark.parametrize(
    "name", ["missing.py", "a_directory", "a_file/settings.py"], ids=str
)
def test_from_pyfile_silent_ignores_what_is_not_a_file(
    tmp_path: Path, name: str
) -> None:
    (tmp_path / "a_directory").mkdir()
    (tmp_path / "a_file").write_text("")
    config, reference = both(tmp_path, {"KEPT": 1})
    assert assert_same(
        config, reference, lambda c: c.from_pyfile(name, silent=True)
    ) == ("returned", False)
    assert config == {"KEPT": 1}


@pytest.mark.parametrize(
    ("name", "error"),
    [("a_directory", IsADirectoryError), ("a_file/settings.py", NotADirectoryError)],
)
def test_from_pyfile_not_silent_raises_the_os_error(
    tmp_path: Path, name: str, error: type[OSError]
) -> None:
    (tmp_path / "a_directory").mkdir()
    (tmp_path / "a_file").write_text("")
    config, reference = both(tmp_path)
    with pytest.raises(error, match="configuration file"):
        config.from_pyfile(name)
    assert_same(config, reference, lambda c: c.from_pyfile(name))


def test_from_pyfile_errors_in_the_file_propagate_even_when_silent(
    tmp_path: Path,
) -> None:
    (tmp_path / "broken.py").write_text("A = 1\nB = 1 / 0\n")
    (tmp_path / "syntax.py").write_text("A = (\n")
    config, reference = both(tmp_path)
    with pytest.raises(ZeroDivisionError):
        config.from_pyfile("broken.py", silent=True)
    with pytest.raises(SyntaxError):
        config.from_pyfile("syntax.py", silent=True)
    assert config == {}
    assert_same(config, reference, lambda c: c.from_pyfile("broken.py", silent=True))
    assert_same(config, reference, lambda c: c.from_pyfile("syntax.py", silent=True))


# -- from_object ----------------------------------------------------------------


class BaseSettings:
    DEBUG = False
    DATABASE = "sqlite://"
    lowercase = "ignored"


class ProductionSettings(BaseSettings):
    DEBUG = True
    WORKERS = 4

    @property
    def COMPUTED(self) -> str:  # a config name
        return f"{self.DATABASE}/app"


def test_from_object_class_loads_uppercase_attributes_with_inherited(
    tmp_path: Path,
) -> None:
    config, reference = both(tmp_path)
    assert assert_same(
        config, reference, lambda c: c.from_object(ProductionSettings)
    ) == ("returned", None)
    assert config["DEBUG"] is True
    assert config["DATABASE"] == "sqlite://"
    assert config["WORKERS"] == 4
    assert isinstance(config["COMPUTED"], property)  # not evaluated on a class
    assert "lowercase" not in config


def test_from_object_instance_evaluates_properties(tmp_path: Path) -> None:
    config, reference = both(tmp_path)
    assert_same(config, reference, lambda c: c.from_object(ProductionSettings()))
    assert config == {
        "COMPUTED": "sqlite:///app",
        "DATABASE": "sqlite://",
        "DEBUG": True,
        "WORKERS": 4,
    }


def test_from_object_import_path_string(tmp_path: Path, settings_module: str) -> None:
    config, reference = both(tmp_path)
    assert_same(config, reference, lambda c: c.from_object(settings_module))
    assert config == {"DEBUG": True, "SECRET_KEY": "module-key"}


@pytest.mark.parametrize("separator", [".", ":"])
def test_from_object_import_path_to_a_class(
    tmp_path: Path, settings_module: str, separator: str
) -> None:
    config, reference = both(tmp_path)
    name = f"{settings_module}{separator}Production"
    assert_same(config, reference, lambda c: c.from_object(name))
    assert config == {"DATABASE": "pg"}


def test_from_object_bad_import_path_raises_import_string_error(
    tmp_path: Path,
) -> None:
    config, reference = both(tmp_path)
    with pytest.raises(ImportStringError):
        config.from_object("no_such_package_mw.settings")
    assert_same(config, reference, lambda c: c.from_object("no_such_package_mw.x"))


# -- from_file ------------------------------------------------------------------


def test_from_file_json(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text(
        json.dumps({"SECRET_KEY": "json", "NESTED": {"a": [1, 2]}, "lower": 1})
    )
    config, reference = both(tmp_path)
    assert assert_same(
        config, reference, lambda c: c.from_file("config.json", load=json.load)
    ) == ("returned", True)
    assert config == {"SECRET_KEY": "json", "NESTED": {"a": [1, 2]}}


def test_from_file_toml_in_binary_mode(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'SECRET_KEY = "toml"\nPORT = 8080\nlower = 1\n[DATABASE]\nurl = "pg://"\n'
    )
    config, reference = both(tmp_path)
    assert_same(
        config,
        reference,
        lambda c: c.from_file("config.toml", load=tomllib.load, text=False),
    )
    assert config == {"SECRET_KEY": "toml", "PORT": 8080, "DATABASE": {"url": "pg://"}}
    # tomllib refuses a text-mode file: the loader's own error comes through.
    assert_same(config, reference, lambda c: c.from_file("config.toml", tomllib.load))
    with pytest.raises(TypeError):
        config.from_file("config.toml", load=tomllib.load)


@pytest.mark.parametrize(("text", "content"), [(True, "VALUE"), (False, b"VALUE")])
def test_from_file_text_flag_picks_the_file_mode(
    tmp_path: Path, text: bool, content: str | bytes
) -> None:
    (tmp_path / "config.txt").write_text("VALUE")

    def load(handle: Any) -> dict[str, Any]:
        return {"CONTENT": handle.read()}

    config, reference = both(tmp_path)
    assert_same(config, reference, lambda c: c.from_file("config.txt", load, text=text))
    assert config == {"CONTENT": content}
    assert type(config["CONTENT"]) is type(content)


def test_from_file_missing_raises_naming_the_path(tmp_path: Path) -> None:
    config, reference = both(tmp_path)
    with pytest.raises(FileNotFoundError, match="configuration file") as caught:
        config.from_file("missing.json", load=json.load)
    assert caught.value.filename == str(tmp_path / "missing.json")
    assert str(tmp_path / "missing.json") in str(caught.value)
    assert_same(config, reference, lambda c: c.from_file("missing.json", json.load))


@pytest.mark.parametrize("name", ["missing.json", "a_directory"])
def test_from_file_silent(tmp_path: Path, name: str) -> None:
    (tmp_path / "a_directory").mkdir()
    (tmp_path / "a_file").write_text("")
    config, reference = both(tmp_path, {"KEPT": 1})
    assert_same(config, reference, lambda c: c.from_file(name, json.load))
    assert assert_same(
        config, reference, lambda c: c.from_file(name, json.load, silent=True)
    ) == ("returned", False)
    assert config == {"KEPT": 1}


def test_from_file_silent_still_raises_not_a_directory(tmp_path: Path) -> None:
    # Unlike from_pyfile, Flask 3.1's from_file does not count ENOTDIR as missing.
    (tmp_path / "a_file").write_text("")
    config, reference = both(tmp_path)
    with pytest.raises(NotADirectoryError, match="configuration file"):
        config.from_file("a_file/x.json", json.load, silent=True)
    assert_same(
        config, reference, lambda c: c.from_file("a_file/x.json", json.load, True)
    )


def test_from_file_loader_errors_propagate(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    config, reference = both(tmp_path)
    with pytest.raises(json.JSONDecodeError):
        config.from_file("bad.json", load=json.load, silent=True)
    assert_same(config, reference, lambda c: c.from_file("bad.json", json.load))


# -- from_envvar ----------------------------------------------------------------


def test_from_envvar_loads_the_named_file(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    (tmp_path / "settings.py").write_text("FROM_ENV = 'yes'\n")
    clean_env.setenv(f"{ENV_PREFIX}_SETTINGS", str(tmp_path / "settings.py"))
    config, reference = both("/nonexistent-root")
    assert assert_same(
        config, reference, lambda c: c.from_envvar(f"{ENV_PREFIX}_SETTINGS")
    ) == ("returned", True)
    assert config == {"FROM_ENV": "yes"}


def test_from_envvar_relative_value_is_read_from_root_path(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    (tmp_path / "settings.py").write_text("FROM_ENV = 'relative'\n")
    clean_env.setenv(f"{ENV_PREFIX}_SETTINGS", "settings.py")
    config, reference = both(tmp_path)
    assert_same(config, reference, lambda c: c.from_envvar(f"{ENV_PREFIX}_SETTINGS"))
    assert config == {"FROM_ENV": "relative"}


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_from_envvar_unset_raises_runtime_error_unless_silent(
    tmp_path: Path, clean_env: pytest.MonkeyPatch, value: str | None
) -> None:
    name = f"{ENV_PREFIX}_SETTINGS"
    if value is not None:
        clean_env.setenv(name, value)
    config, reference = both(tmp_path)
    with pytest.raises(RuntimeError, match=name):
        config.from_envvar(name)
    assert_same(config, reference, lambda c: c.from_envvar(name))
    assert assert_same(config, reference, lambda c: c.from_envvar(name, True)) == (
        "returned",
        False,
    )


def test_from_envvar_missing_file(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    name = f"{ENV_PREFIX}_SETTINGS"
    clean_env.setenv(name, "missing.py")
    config, reference = both(tmp_path)
    with pytest.raises(FileNotFoundError) as caught:
        config.from_envvar(name)
    assert caught.value.filename == str(tmp_path / "missing.py")
    assert_same(config, reference, lambda c: c.from_envvar(name))
    assert_same(config, reference, lambda c: c.from_envvar(name, silent=True))
    assert config.from_envvar(name, silent=True) is False


# -- from_prefixed_env ----------------------------------------------------------


def test_from_prefixed_env_default_prefix_is_flask(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv("FLASK_SECRET_KEY", "from-env")
    clean_env.setenv("FLASK_PORT", "8000")
    clean_env.setenv(f"{ENV_PREFIX}_IGNORED", "1")
    config, reference = both(tmp_path)
    assert assert_same(config, reference, lambda c: c.from_prefixed_env()) == (
        "returned",
        True,
    )
    assert config == {"SECRET_KEY": "from-env", "PORT": 8000}


def test_from_prefixed_env_decodes_json_and_keeps_other_strings(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    values = {
        "BOOL": ("true", True),
        "NULL": ("null", None),
        "INT": ("42", 42),
        "FLOAT": ("1.5", 1.5),
        "LIST": ("[1, 2]", [1, 2]),
        "QUOTED": ('"quoted"', "quoted"),
        "WORD": ("plain words", "plain words"),
        "BROKEN": ("{not json", "{not json"),
        "EMPTY": ("", ""),
        "lower": ("1", 1),  # names are not uppercased nor filtered
    }
    for key, (raw, _) in values.items():
        clean_env.setenv(f"{ENV_PREFIX}_{key}", raw)
    clean_env.setenv(f"{ENV_PREFIX}X_NO_UNDERSCORE", "1")
    config, reference = both(tmp_path)
    assert_same(config, reference, lambda c: c.from_prefixed_env(ENV_PREFIX))
    assert config == {key: decoded for key, (_, decoded) in values.items()}


def test_from_prefixed_env_double_underscore_sets_nested_keys(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv(f"{ENV_PREFIX}_DB__ENGINE__ECHO", "true")
    clean_env.setenv(f"{ENV_PREFIX}_DB__NAME", "main")
    clean_env.setenv(f"{ENV_PREFIX}_CACHE", '{"type": "redis"}')
    clean_env.setenv(f"{ENV_PREFIX}_CACHE__TIMEOUT", "30")  # sorted after CACHE
    defaults = {"DB": {"NAME": "old", "USER": "app"}}
    config, reference = both(tmp_path, defaults)
    assert_same(config, reference, lambda c: c.from_prefixed_env(ENV_PREFIX))
    assert config == {
        "DB": {"NAME": "main", "USER": "app", "ENGINE": {"ECHO": True}},
        "CACHE": {"type": "redis", "TIMEOUT": 30},
    }


def test_from_prefixed_env_nested_key_under_a_non_dict_fails_like_flask(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv(f"{ENV_PREFIX}_PORT__NUMBER", "1")
    config, reference = both(tmp_path, {"PORT": 80})
    with pytest.raises(TypeError):
        config.from_prefixed_env(ENV_PREFIX)
    assert_same(config, reference, lambda c: c.from_prefixed_env(ENV_PREFIX))


def test_from_prefixed_env_custom_loads_and_any_error_keeps_the_string(
    tmp_path: Path, clean_env: pytest.MonkeyPatch
) -> None:
    clean_env.setenv(f"{ENV_PREFIX}_A", "1")
    clean_env.setenv(f"{ENV_PREFIX}_B", "2")

    def loads(raw: str) -> Any:
        if raw == "2":
            raise KeyError(raw)
        return f"<{raw}>"

    config, reference = both(tmp_path)
    assert_same(
        config, reference, lambda c: c.from_prefixed_env(ENV_PREFIX, loads=loads)
    )
    assert config == {"A": "<1>", "B": "2"}


# -- from_mapping ---------------------------------------------------------------


def test_from_mapping_loads_uppercase_keys_and_kwargs(tmp_path: Path) -> None:
    config, reference = both(tmp_path)
    assert assert_same(
        config,
        reference,
        lambda c: c.from_mapping({"A": 1, "B": 2, "lower": 3}, B=20, C=30, d=40),
    ) == ("returned", True)
    assert config == {"A": 1, "B": 20, "C": 30}


def test_from_mapping_without_arguments_and_with_kwargs_only(tmp_path: Path) -> None:
    config, reference = both(tmp_path, {"KEPT": 1})
    assert assert_same(config, reference, lambda c: c.from_mapping()) == (
        "returned",
        True,
    )
    assert_same(config, reference, lambda c: c.from_mapping(None, ONLY=1))
    assert config == {"KEPT": 1, "ONLY": 1}


def test_from_mapping_takes_one_positional_mapping(tmp_path: Path) -> None:
    config, reference = both(tmp_path)
    with pytest.raises(TypeError):
        config.from_mapping({"A": 1}, {"B": 2})  # type: ignore[call-arg]
    assert_same(config, reference, lambda c: c.from_mapping({"A": 1}, {"B": 2}))
    assert config == {}


# -- get_namespace --------------------------------------------------------------


@pytest.mark.parametrize(
    ("lowercase", "trim_namespace", "expected"),
    [
        (True, True, {"type": "fs", "path": "/img", "max_size": 10}),
        (True, False, {"image_store_type": "fs", "image_store_path": "/img",
                       "image_store_max_size": 10}),
        (False, True, {"TYPE": "fs", "PATH": "/img", "MAX_SIZE": 10}),
        (False, False, {"IMAGE_STORE_TYPE": "fs", "IMAGE_STORE_PATH": "/img",
                        "IMAGE_STORE_MAX_SIZE": 10}),
    ],
)  # fmt: skip
def test_get_namespace(
    tmp_path: Path, lowercase: bool, trim_namespace: bool, expected: dict[str, Any]
) -> None:
    defaults = {
        "IMAGE_STORE_TYPE": "fs",
        "IMAGE_STORE_PATH": "/img",
        "IMAGE_STORE_MAX_SIZE": 10,
        "IMAGE_STOREX": "no separator",
        "image_store_lower": "case-sensitive",
        "OTHER": 1,
    }
    config, reference = both(tmp_path, defaults)
    found = config.get_namespace("IMAGE_STORE_", lowercase, trim_namespace)
    assert found == expected
    assert found == reference.get_namespace("IMAGE_STORE_", lowercase, trim_namespace)
    assert config.get_namespace(
        "IMAGE_STORE_", lowercase=lowercase, trim_namespace=trim_namespace
    ) == reference.get_namespace(
        "IMAGE_STORE_", lowercase=lowercase, trim_namespace=trim_namespace
    )
    found.clear()
    assert config == defaults  # a new dict, not a view


def test_get_namespace_defaults_lowercase_and_trim(tmp_path: Path) -> None:
    config, reference = both(tmp_path, {"CACHE_TYPE": "simple", "CACHE": 1})
    assert config.get_namespace("CACHE_") == {"type": "simple"}
    assert config.get_namespace("CACHE") == reference.get_namespace("CACHE")
    assert config.get_namespace("CACHE") == {"_type": "simple", "": 1}


# -- ConfigAttribute ------------------------------------------------------------


def make_owner(descriptor_class: type) -> type[Any]:
    """A small class with three config-backed attributes, like the App's."""

    class Owner:
        testing = descriptor_class("TESTING")
        secret_key = descriptor_class("SECRET_KEY")
        port = descriptor_class("PORT", get_converter=int)

        def __init__(self) -> None:
            self.config = {"TESTING": False, "SECRET_KEY": None, "PORT": "5000"}

    return Owner


@pytest.mark.parametrize(
    "descriptor_class",
    [ConfigAttribute, flask.config.ConfigAttribute],
    ids=["microweb", "flask"],
)
def test_config_attribute_forwards_to_config(descriptor_class: type) -> None:
    owner = make_owner(descriptor_class)()
    assert owner.testing is False
    assert owner.secret_key is None
    assert owner.port == 5000  # converted on read
    owner.testing = True
    owner.port = "8080"
    assert owner.config == {"TESTING": True, "SECRET_KEY": None, "PORT": "8080"}
    assert owner.port == 8080  # stored unconverted, converted again on read
    owner.config["SECRET_KEY"] = "key"
    assert owner.secret_key == "key"


@pytest.mark.parametrize(
    "descriptor_class",
    [ConfigAttribute, flask.config.ConfigAttribute],
    ids=["microweb", "flask"],
)
def test_config_attribute_on_the_class_and_missing_key(descriptor_class: type) -> None:
    owner_class = make_owner(descriptor_class)
    descriptor = owner_class.__dict__["port"]
    assert owner_class.port is descriptor
    assert descriptor.__name__ == "PORT"
    owner = owner_class()
    del owner.config["TESTING"]
    with pytest.raises(KeyError):
        _ = owner.testing
    with pytest.raises(AttributeError):
        del owner.testing


def test_config_attribute_works_with_a_config(tmp_path: Path) -> None:
    class Owner:
        debug = ConfigAttribute[bool]("DEBUG")

        def __init__(self) -> None:
            self.config = Config(tmp_path, {"DEBUG": False})

    owner = Owner()
    owner.config.from_mapping(DEBUG=True)
    assert owner.debug is True
    owner.debug = False
    assert owner.config["DEBUG"] is False


@pytest.mark.parametrize(
    "import_name",
    ["mw_instance_pkg", "mw_instance_pkg.views", "mw_instance_mod", "no_such_module"],
)
def test_default_instance_path_is_flasks(
    import_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "src" / "mw_instance_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text("")
    (tmp_path / "src" / "mw_instance_mod.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    monkeypatch.chdir(tmp_path)
    expected = flask.Flask(import_name).instance_path
    assert microweb.App(import_name).instance_path == expected
    if import_name.startswith("mw_instance_pkg"):
        # Beside the package, not inside it.
        assert expected == str(tmp_path / "src" / "instance")


def test_installed_app_has_its_instance_under_the_prefix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "prefix" / "lib" / "python3.x" / "site-packages"
    (site / "mw_installed_pkg").mkdir(parents=True)
    (site / "mw_installed_pkg" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(site))
    expected = str(tmp_path / "prefix" / "var" / "mw_installed_pkg-instance")
    assert flask.Flask("mw_installed_pkg").instance_path == expected
    assert microweb.App("mw_installed_pkg").instance_path == expected
