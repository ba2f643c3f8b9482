"""The ``microweb`` command line: discovery, ``run``, ``shell``, ``routes`` (and its
report of shadowed rules), ``app.cli`` and blueprint commands, dotenv, and the
development server started for real in a subprocess."""

from __future__ import annotations

import code
import importlib
import os
import re
import socket
import ssl
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from conftest import both_frameworks
from werkzeug.routing import BaseConverter

import microweb
from microweb import App, Blueprint, current_app, g
from microweb import cli as cli_module
from microweb.cli import (
    AppGroup,
    MicrowebGroup,
    NoAppException,
    ScriptInfo,
    cli,
    load_dotenv,
    prepare_import,
    version_string,
    with_appcontext,
)
from microweb.route_report import find_shadowed_rules
from microweb.routing import Rule
from microweb.testing import CliRunner as AppCliRunner

fw = both_frameworks("Blueprint")

#: The variables the command line reads or sets; each test starts without them.
CLI_VARIABLES = (
    "MICROWEB_APP",
    "MICROWEB_DEBUG",
    "MICROWEB_ENV_FILE",
    "MICROWEB_SKIP_DOTENV",
    "MICROWEB_RUN_FROM_CLI",
    "FLASK_APP",
    "FLASK_DEBUG",
    "FLASK_RUN_FROM_CLI",
    "FLASK_SKIP_DOTENV",
    "PYTHONSTARTUP",
    "DOTENV_VALUE",
    "DOTENV_SOURCE",
)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Run each test in its own folder, without the variables the commands read,
    and undo what loading apps does to ``sys.path`` and ``sys.modules``."""
    for name in CLI_VARIABLES:
        # Setting first makes the monkeypatch remember the variable, so what a
        # command writes into it is undone even when it was not set before.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        module_file = getattr(sys.modules[name], "__file__", None) or ""
        if module_file.startswith(str(tmp_path)):
            del sys.modules[name]


def write_module(folder: Path, name: str, source: str) -> Path:
    """Write *source* (dedented) to ``folder/name`` and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


HELLO = """\
    from microweb import App

    app = App(__name__)

    @app.route("/")
    def index():
        return "hello from the cli test"
"""


def invoke(*args: str, **kwargs: Any) -> Any:
    """Run ``microweb *args`` in process."""
    return CliRunner().invoke(cli, list(args), **kwargs)


# ----------------------------------------------------------------- --version


def test_version_option() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.output == f"{version_string()}\n"
    assert re.fullmatch(r"microweb \S+ \((native|pure) core\)", version_string())
    assert f"({microweb.IMPLEMENTATION} core)" in result.output


def test_version_is_not_read_from_the_environment() -> None:
    result = invoke("routes", env={"MICROWEB_VERSION": "1"})
    assert microweb.__version__ not in result.output


def test_main_is_the_console_script(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["microweb", "--version"])
    with pytest.raises(SystemExit) as exit_info:
        cli_module.main()
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"{version_string()}\n"


def test_package_main_module_runs_the_group() -> None:
    main_module = importlib.import_module("microweb.__main__")
    assert main_module.main is cli_module.main


# ----------------------------------------------------------------- discovery


def routes_of(*args: str, **kwargs: Any) -> str:
    result = invoke(*args, "routes", "--no-check", **kwargs)
    assert result.exit_code == 0, result.output
    return str(result.output)


APP_WITH_ENDPOINT = """\
    from microweb import App

    {name} = App(__name__)

    @{name}.route("/")
    def {endpoint}():
        return ""
"""


def app_source(endpoint: str, name: str = "app") -> str:
    return APP_WITH_ENDPOINT.format(name=name, endpoint=endpoint)


def test_app_option_with_a_module(tmp_path: Path) -> None:
    write_module(tmp_path, "discover_module.py", app_source("from_module"))
    assert "from_module" in routes_of("--app", "discover_module")


def test_app_named_application(tmp_path: Path) -> None:
    write_module(
        tmp_path, "discover_application.py", app_source("named", "application")
    )
    assert "named" in routes_of("--app", "discover_application")


def test_the_only_app_of_a_module(tmp_path: Path) -> None:
    write_module(tmp_path, "discover_only.py", app_source("only", "web"))
    assert "only" in routes_of("-A", "discover_only")


def test_several_apps_need_a_name(tmp_path: Path) -> None:
    write_module(
        tmp_path,
        "discover_several.py",
        """\
        from microweb import App

        one = App(__name__)
        two = App(__name__)
        """,
    )
    result = invoke("--app", "discover_several", "routes")
    assert result.exit_code == 2
    assert "Detected multiple microweb applications" in result.output
    assert "discover_several:name" in result.output


@pytest.mark.parametrize("factory", ["create_app", "make_app"])
def test_factory_found_by_name(tmp_path: Path, factory: str) -> None:
    write_module(
        tmp_path,
        f"discover_{factory}.py",
        f"""\
        from microweb import App

        def {factory}():
            app = App(__name__)
            app.add_url_rule("/", "{factory}_made", lambda: "")
            return app
        """,
    )
    assert f"{factory}_made" in routes_of("--app", f"discover_{factory}")


def test_factory_that_needs_arguments_is_reported(tmp_path: Path) -> None:
    write_module(
        tmp_path,
        "discover_needs.py",
        """\
        def create_app(config):
            raise AssertionError("not called")
        """,
    )
    result = invoke("--app", "discover_needs", "routes")
    assert result.exit_code == 2
    assert "'create_app' in 'discover_needs' could not be called" in result.output


def test_nothing_to_find_in_a_module(tmp_path: Path) -> None:
    write_module(tmp_path, "discover_empty.py", "value = 1\n")
    result = invoke("--app", "discover_empty", "routes")
    assert result.exit_code == 2
    assert "Failed to find a microweb application or factory" in result.output


FACTORY = """\
    from microweb import App

    instance = App(__name__)
    instance.add_url_rule("/", "the_instance", lambda: "")
    not_an_app = object()

    def create_app(label="plain", *, suffix=""):
        app = App(__name__)
        app.add_url_rule("/", f"made_{label}{suffix}", lambda: "")
        return app

    def make_nothing():
        return None
"""


@pytest.mark.parametrize(
    ("expression", "endpoint"),
    [
        ("instance", "the_instance"),
        ("create_app", "made_plain"),
        ("create_app()", "made_plain"),
        ("create_app('dev')", "made_dev"),
        ('create_app("dev", suffix="_x")', "made_dev_x"),
        (" create_app ( 'spaced' ) ", "made_spaced"),
    ],
)
def test_app_by_name_or_factory_call(
    tmp_path: Path, expression: str, endpoint: str
) -> None:
    write_module(tmp_path, "discover_factory.py", FACTORY)
    assert endpoint in routes_of("--app", f"discover_factory:{expression}")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("missing", "Failed to find attribute 'missing' in 'discover_errors'."),
        ("create_app(1, 2)", "could not be called with these arguments"),
        ("create_app(os.sep)", "only literal values can be passed"),
        ("instance('x')", "is not a function"),
        ("not_an_app", "was not obtained from 'discover_errors:not_an_app'"),
        ("make_nothing", "was not obtained from 'discover_errors:make_nothing'"),
        ("create_app(", "Failed to parse 'create_app(' as an attribute name"),
        ("a.b", "Failed to parse 'a.b'"),
    ],
)
def test_app_expression_errors(tmp_path: Path, expression: str, message: str) -> None:
    write_module(tmp_path, "discover_errors.py", FACTORY)
    result = invoke("--app", f"discover_errors:{expression}", "routes")
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_app_from_a_file_path(tmp_path: Path) -> None:
    write_module(tmp_path, "src/discover_file.py", app_source("from_file"))
    assert "from_file" in routes_of("--app", "src/discover_file.py")


def test_app_from_a_file_in_a_package(tmp_path: Path) -> None:
    write_module(tmp_path, "proj/discover_pkg/__init__.py", "")
    write_module(tmp_path, "proj/discover_pkg/web.py", app_source("in_package"))
    assert "in_package" in routes_of("--app", "proj/discover_pkg/web.py:app")
    assert "discover_pkg.web" in sys.modules


def test_prepare_import_walks_up_the_packages(tmp_path: Path) -> None:
    write_module(tmp_path, "top/discover_deep/__init__.py", "")
    write_module(tmp_path, "top/discover_deep/inner/__init__.py", "")
    path = write_module(tmp_path, "top/discover_deep/inner/mod.py", "")
    assert prepare_import(str(path)) == "discover_deep.inner.mod"
    assert sys.path[0] == os.path.realpath(tmp_path / "top")
    assert prepare_import(str(path.parent / "__init__.py")) == "discover_deep.inner"


def test_drive_letters_are_not_a_name_separator() -> None:
    assert cli_module._split_import_path("C:\\apps\\web.py:app") == (
        "C:\\apps\\web.py",
        "app",
    )
    assert cli_module._split_import_path("C:/apps/web.py") == ("C:/apps/web.py", None)
    assert cli_module._split_import_path("web:create('a:b')") == (
        "web",
        "create('a:b')",
    )


@pytest.mark.parametrize("filename", ["wsgi.py", "app.py"])
def test_default_files(tmp_path: Path, filename: str) -> None:
    write_module(tmp_path, filename, app_source(f"default_{filename[:-3]}"))
    assert f"default_{filename[:-3]}" in routes_of()


def test_wsgi_py_comes_before_app_py(tmp_path: Path) -> None:
    write_module(tmp_path, "wsgi.py", app_source("from_wsgi"))
    write_module(tmp_path, "app.py", app_source("from_app"))
    output = routes_of()
    assert "from_wsgi" in output
    assert "from_app" not in output


def test_no_app_anywhere() -> None:
    result = invoke("routes")
    assert result.exit_code == 2
    assert "Could not locate a microweb application" in result.output
    assert "MICROWEB_APP" in result.output


def test_microweb_app_variable(tmp_path: Path) -> None:
    write_module(tmp_path, "discover_env.py", app_source("from_env"))
    assert "from_env" in routes_of(env={"MICROWEB_APP": "discover_env"})


def test_flask_app_variable_is_not_read(tmp_path: Path) -> None:
    write_module(tmp_path, "discover_flask_env.py", app_source("from_flask_env"))
    result = invoke("routes", env={"FLASK_APP": "discover_flask_env"})
    assert result.exit_code == 2
    assert "Could not locate" in result.output


def test_missing_module() -> None:
    result = invoke("--app", "no_such_module_here", "routes")
    assert result.exit_code == 2
    assert "Could not import 'no_such_module_here'." in result.output


def test_import_error_inside_the_module_is_shown(tmp_path: Path) -> None:
    write_module(tmp_path, "discover_broken.py", "import no_such_dependency_here\n")
    result = invoke("--app", "discover_broken", "routes")
    assert result.exit_code == 2
    assert "While importing 'discover_broken', an ImportError was raised" in (
        result.output
    )
    assert "no_such_dependency_here" in result.output


def test_no_app_exception_is_a_usage_error() -> None:
    assert issubclass(NoAppException, click.UsageError)
    with pytest.raises(NoAppException):
        ScriptInfo().load_app()


def test_script_info_loads_the_app_once() -> None:
    made: list[App] = []

    def create_app() -> App:
        made.append(App("once"))
        return made[-1]

    info = ScriptInfo(create_app=create_app)
    assert info.load_app() is info.load_app() is made[0]
    assert len(made) == 1


# ----------------------------------------------------------------- debug flag


def debug_probe(tmp_path: Path) -> None:
    write_module(
        tmp_path,
        "debug_probe.py",
        """\
        from microweb import App, current_app

        app = App(__name__)

        @app.cli.command("show-debug")
        def show_debug():
            print("debug", current_app.debug)
        """,
    )


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ((), {}, "debug False"),
        (("--debug",), {}, "debug True"),
        (("--no-debug",), {"MICROWEB_DEBUG": "1"}, "debug False"),
        ((), {"MICROWEB_DEBUG": "1"}, "debug True"),
        ((), {"MICROWEB_DEBUG": "0"}, "debug False"),
        ((), {"FLASK_DEBUG": "1"}, "debug True"),
        ((), {"MICROWEB_DEBUG": "0", "FLASK_DEBUG": "1"}, "debug False"),
    ],
)
def test_debug_flag(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], expected: str
) -> None:
    debug_probe(tmp_path)
    result = invoke(*args, "--app", "debug_probe", "show-debug", env=env)
    assert result.exit_code == 0, result.output
    assert expected in result.output


def test_debug_option_sets_the_variable(tmp_path: Path) -> None:
    debug_probe(tmp_path)
    invoke("--debug", "--app", "debug_probe", "show-debug")
    assert os.environ["MICROWEB_DEBUG"] == "1"


# ----------------------------------------------------------------- dotenv


def app_reading_env(tmp_path: Path) -> None:
    write_module(
        tmp_path,
        "env_probe.py",
        """\
        import os
        from microweb import App

        app = App(__name__)

        @app.cli.command("show-env")
        def show_env():
            print("value", os.environ.get("DOTENV_VALUE"))
            print("source", os.environ.get("DOTENV_SOURCE"))
        """,
    )


def test_dotenv_files_are_loaded(tmp_path: Path) -> None:
    app_reading_env(tmp_path)
    (tmp_path / ".microwebenv").write_text(
        "MICROWEB_APP=env_probe\nDOTENV_VALUE=low\nDOTENV_SOURCE=microwebenv\n"
    )
    (tmp_path / ".env").write_text("DOTENV_VALUE=high\n")
    result = invoke("show-env")
    assert result.exit_code == 0, result.output
    assert "value high" in result.output
    assert "source microwebenv" in result.output


def test_dotenv_files_are_found_in_a_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app_reading_env(tmp_path)
    (tmp_path / ".env").write_text("DOTENV_VALUE=from-parent\n")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    result = invoke("--app", str(tmp_path / "env_probe.py"), "show-env")
    assert "value from-parent" in result.output


def test_environment_wins_over_dotenv(tmp_path: Path) -> None:
    app_reading_env(tmp_path)
    (tmp_path / ".env").write_text("MICROWEB_APP=env_probe\nDOTENV_VALUE=file\n")
    result = invoke("show-env", env={"DOTENV_VALUE": "environment"})
    assert "value environment" in result.output


def test_env_file_option_wins_over_default_files(tmp_path: Path) -> None:
    app_reading_env(tmp_path)
    (tmp_path / ".env").write_text("DOTENV_VALUE=default\nDOTENV_SOURCE=default\n")
    (tmp_path / "custom.env").write_text("MICROWEB_APP=env_probe\nDOTENV_VALUE=given\n")
    result = invoke("-e", "custom.env", "show-env")
    assert result.exit_code == 0, result.output
    assert "value given" in result.output
    assert "source default" in result.output


def test_skip_dotenv(tmp_path: Path) -> None:
    app_reading_env(tmp_path)
    (tmp_path / ".env").write_text("DOTENV_VALUE=file\n")
    result = invoke("--app", "env_probe", "show-env", env={"MICROWEB_SKIP_DOTENV": "1"})
    assert "value None" in result.output
    result = invoke("-e", ".env", "--app", "env_probe", "show-env")
    assert "value file" in result.output


def test_env_file_must_exist() -> None:
    result = invoke("-e", "missing.env", "routes")
    assert result.exit_code == 2
    assert "missing.env" in result.output


def test_load_dotenv_function(tmp_path: Path) -> None:
    assert load_dotenv() is False
    (tmp_path / "given.env").write_text("DOTENV_VALUE=given\n")
    assert load_dotenv(tmp_path / "given.env", load_defaults=False) is True
    assert os.environ["DOTENV_VALUE"] == "given"
    assert load_dotenv(tmp_path / "absent.env") is False


def test_without_python_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dotenv", None)
    (tmp_path / ".env").write_text("DOTENV_VALUE=file\n")
    write_module(tmp_path, "app.py", app_source("plain"))
    result = invoke("routes", "--no-check")
    assert result.exit_code == 0
    assert "Install python-dotenv" in result.output
    assert "DOTENV_VALUE" not in os.environ
    result = invoke("-e", ".env", "routes")
    assert result.exit_code == 2
    assert "python-dotenv must be installed" in result.output


# ----------------------------------------------------------------- app.cli


def test_app_cli_is_an_app_group_named_after_the_app() -> None:
    app = App("named_cli")
    assert isinstance(app.cli, AppGroup)
    assert app.cli.name == "named_cli"


def test_custom_command_runs_in_the_app_context(fw: Any) -> None:
    app = fw.Flask("custom")

    @app.cli.command("hello")
    @click.argument("name")
    def hello(name: str) -> None:
        fw.g.seen = name
        click.echo(f"hello {name} from {fw.current_app.name}")

    result = app.test_cli_runner().invoke(args=["hello", "ada"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello ada from custom\n"


def test_command_groups(fw: Any) -> None:
    app = fw.Flask("groups")

    @app.cli.group()
    def db() -> None:
        """Database commands."""

    @db.command()
    def init() -> None:
        click.echo(f"init in {fw.current_app.name}")

    assert app.test_cli_runner().invoke(args=["db", "init"]).output == (
        "init in groups\n"
    )
    assert type(db).__name__ == "AppGroup"


def test_bare_command_decorator() -> None:
    # Flask 3.1's AppGroup does not take the bare form; click's Group does.
    app = App("bare")

    @app.cli.command
    def bare() -> None:
        click.echo(f"bare in {current_app.name}")

    assert app.test_cli_runner().invoke(args=["bare"]).output == "bare in bare\n"


def test_command_without_the_app_context(fw: Any) -> None:
    app = fw.Flask("no_context")

    @app.cli.command("outside", with_appcontext=False)
    def outside() -> None:
        click.echo(f"context: {fw.has_app_context()}")

    assert app.test_cli_runner().invoke(args=["outside"]).output == ("context: False\n")


def test_runner_passes_the_app_to_any_group(fw: Any) -> None:
    app = fw.Flask("through_info")
    cli_of = importlib.import_module(f"{fw.name}.cli")

    @click.command()
    @cli_of.with_appcontext
    def plain() -> None:
        click.echo(fw.current_app.name)

    assert app.test_cli_runner().invoke(plain).output == "through_info\n"


def test_test_cli_runner_class() -> None:
    class Runner(AppCliRunner):
        pass

    class MyApp(App):
        test_cli_runner_class = Runner

    runner = MyApp("runner_class").test_cli_runner(env={"RUNNER": "1"})
    assert isinstance(runner, Runner)
    assert runner.app.name == "runner_class"
    assert isinstance(App("x").test_cli_runner(), AppCliRunner)


def test_app_commands_under_the_microweb_command(tmp_path: Path) -> None:
    write_module(
        tmp_path,
        "cli_commands.py",
        """\
        import click
        from microweb import App, current_app, g

        app = App(__name__)

        @app.cli.command("where")
        def where():
            g.touched = True
            click.echo(f"in {current_app.name}")
        """,
    )
    result = invoke("--app", "cli_commands", "where")
    assert result.exit_code == 0, result.output
    assert result.output == "in cli_commands\n"
    help_text = invoke("--app", "cli_commands", "--help").output
    assert "where" in help_text
    assert "routes" in help_text


def test_unknown_command_reports_the_missing_app() -> None:
    result = invoke("nothing-here")
    assert result.exit_code == 2
    assert "Could not locate a microweb application" in result.output
    assert "No such command 'nothing-here'" in result.output


def test_help_reports_an_app_that_fails_to_load(tmp_path: Path) -> None:
    write_module(tmp_path, "app.py", "raise RuntimeError('broken on import')\n")
    result = invoke("--help")
    assert result.exit_code == 0
    assert "broken on import" in result.output
    assert "routes" in result.output


def test_no_arguments_show_the_app_commands(tmp_path: Path) -> None:
    write_module(
        tmp_path,
        "cli_listed.py",
        """\
        from microweb import App

        app = App(__name__)

        @app.cli.command("listed-command")
        def listed():
            pass
        """,
    )
    result = invoke(env={"MICROWEB_APP": "cli_listed"})
    assert "listed-command" in result.output
    # Listing the app's commands pushed its context; the help popped it.
    assert not microweb.has_app_context()


def test_with_appcontext_loads_the_app(tmp_path: Path) -> None:
    write_module(tmp_path, "app.py", app_source("ctx"))

    @click.command()
    @with_appcontext
    def name() -> None:
        click.echo(current_app.name)

    group = MicrowebGroup(add_default_commands=False)
    group.add_command(name)
    result = CliRunner().invoke(group, ["name"])
    assert result.output == "app\n"


def test_app_commands_take_flasks_script_info() -> None:
    # Code written for Flask passes Flask's ScriptInfo to app.cli (Sentry's tests).
    flask_cli = pytest.importorskip("flask.cli")
    app = App("given")

    @app.cli.command()
    def name() -> None:
        click.echo(current_app.name)

    result = CliRunner().invoke(
        app.cli, ["name"], obj=flask_cli.ScriptInfo(create_app=lambda: app)
    )
    assert (result.exit_code, result.output) == (0, "given\n")


def test_group_with_create_app() -> None:
    app = App("created")
    app.add_url_rule("/", "made_by_factory", lambda: "")
    group = MicrowebGroup(create_app=lambda: app)
    result = CliRunner().invoke(group, ["routes"])
    assert "made_by_factory" in result.output


def test_plugin_commands(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    write_module(
        tmp_path,
        "cli_plugin.py",
        """\
        import click

        @click.command()
        def plugged():
            click.echo("plugged in")
        """,
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    entry_point = importlib.metadata.EntryPoint(
        "plugged", "cli_plugin:plugged", "microweb.commands"
    )

    def entry_points(group: str) -> list[Any]:
        return [entry_point] if group == "microweb.commands" else []

    monkeypatch.setattr(cli_module.importlib.metadata, "entry_points", entry_points)
    group = MicrowebGroup()
    assert CliRunner().invoke(group, ["plugged"]).output == "plugged in\n"


# ----------------------------------------------------------------- blueprints


@pytest.mark.parametrize(
    ("cli_group", "register_options", "args"),
    [
        ("unset", {}, ["items", "create"]),
        ("things", {}, ["things", "create"]),
        (None, {}, ["create"]),
        ("unset", {"cli_group": "other"}, ["other", "create"]),
        ("things", {"cli_group": None}, ["create"]),
    ],
)
def test_blueprint_commands(
    fw: Any, cli_group: Any, register_options: dict[str, Any], args: list[str]
) -> None:
    app = fw.Flask("bp_cli")
    options = {} if cli_group == "unset" else {"cli_group": cli_group}
    blueprint = fw.Blueprint("items", __name__, **options)

    @blueprint.cli.command("create")
    def create() -> None:
        click.echo(f"created in {fw.current_app.name}")

    app.register_blueprint(blueprint, **register_options)
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output == "created in bp_cli\n"


def test_blueprint_without_commands_adds_no_group(fw: Any) -> None:
    app = fw.Flask("bp_empty")
    app.register_blueprint(fw.Blueprint("quiet", __name__))
    assert "quiet" not in app.cli.commands


def test_blueprint_cli_is_an_app_group() -> None:
    assert isinstance(Blueprint("bp", __name__).cli, AppGroup)


# ----------------------------------------------------------------- shell


@pytest.fixture
def no_interactive_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default hook sets up readline and writes ~/.python_history at exit."""
    monkeypatch.delattr(sys, "__interactivehook__", raising=False)


def shell_app() -> App:
    app = App("shell_app")

    @app.shell_context_processor
    def extra() -> dict[str, Any]:
        return {"answer": 42}

    return app


def test_shell_namespace_and_banner(
    monkeypatch: pytest.MonkeyPatch, no_interactive_hook: None
) -> None:
    seen: dict[str, Any] = {}

    def interact(banner: str, local: dict[str, Any]) -> None:
        seen.update(banner=banner, local=local, app=current_app.name)

    monkeypatch.setattr(code, "interact", interact)
    app = shell_app()
    result = app.test_cli_runner().invoke(cli, ["shell"])
    assert result.exit_code == 0, result.output
    assert seen["app"] == "shell_app"
    assert seen["local"]["app"] is app
    assert seen["local"]["g"] is g
    assert seen["local"]["answer"] == 42
    assert f"{microweb.IMPLEMENTATION} core" in seen["banner"]
    assert "App: shell_app" in seen["banner"]


def test_shell_runs_code_from_stdin(no_interactive_hook: None) -> None:
    app = shell_app()
    result = app.test_cli_runner().invoke(
        cli, ["shell"], input="print('name', app.name, answer, g)\n"
    )
    assert result.exit_code == 0, result.output
    assert "name shell_app 42" in result.output


def test_shell_runs_pythonstartup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_interactive_hook: None
) -> None:
    startup = tmp_path / "startup.py"
    startup.write_text("from_startup = 'yes'\nanswer = 'replaced by the app'\n")
    monkeypatch.setenv("PYTHONSTARTUP", str(startup))
    seen: dict[str, Any] = {}
    monkeypatch.setattr(code, "interact", lambda banner, local: seen.update(local))
    shell_app().test_cli_runner().invoke(cli, ["shell"])
    assert seen["from_startup"] == "yes"
    assert seen["answer"] == 42


def test_shell_calls_the_interactive_hook(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(
        sys, "__interactivehook__", lambda: calls.append("hook"), raising=False
    )
    monkeypatch.setattr(code, "interact", lambda banner, local: calls.append("shell"))
    readline = pytest.importorskip("readline")
    completer = readline.get_completer()
    try:
        shell_app().test_cli_runner().invoke(cli, ["shell"])
    finally:
        readline.set_completer(completer)
    assert calls == ["hook", "shell"]


# ----------------------------------------------------------------- routes


def routes_app(app_class: Any = App, **kwargs: Any) -> Any:
    app = app_class("routes_app", **kwargs)

    @app.route("/")
    def index() -> str:
        return ""

    @app.post("/items")
    def add_item() -> str:
        return ""

    @app.route("/items/<int:item_id>", methods=["GET", "PUT", "DELETE"])
    def item(item_id: int) -> str:
        return ""

    @app.route("/about/", strict_slashes=False)
    def about() -> str:
        return ""

    return app


def table(output: str) -> list[str]:
    """The table's lines, without the report and trailing spaces."""
    lines = [line.rstrip() for line in output.split("\n\n")[0].splitlines()]
    return lines


EXPECTED_TABLE = [
    "Endpoint  Methods           Rule",
    "--------  ----------------  -----------------------",
    "about     GET               /about/",
    "add_item  POST              /items",
    "index     GET               /",
    "item      DELETE, GET, PUT  /items/<int:item_id>",
    "static    GET               /static/<path:filename>",
]


def test_routes_table() -> None:
    result = routes_app().test_cli_runner().invoke(cli, ["routes"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == EXPECTED_TABLE


def test_routes_table_matches_flasks(fw: Any) -> None:
    group = importlib.import_module(f"{fw.name}.cli").cli
    for args in ([], ["--sort", "rule"], ["--sort", "methods"], ["--all-methods"]):
        output = routes_app(fw.Flask).test_cli_runner().invoke(group, ["routes", *args])
        assert output.exit_code == 0, output.output
        expected = routes_app(App).test_cli_runner().invoke(cli, ["routes", *args])
        assert table(output.output) == table(expected.output)


@pytest.mark.parametrize(
    ("sort", "endpoints"),
    [
        ("endpoint", ["about", "add_item", "index", "item", "static"]),
        ("rule", ["index", "about", "add_item", "item", "static"]),
        # Equal methods keep the map's order, as in Flask.
        ("methods", ["item", "static", "index", "about", "add_item"]),
        ("match", None),
    ],
)
def test_routes_sort(sort: str, endpoints: list[str] | None) -> None:
    app = routes_app()
    result = app.test_cli_runner().invoke(cli, ["routes", "-s", sort])
    shown = [line.split()[0] for line in result.output.splitlines()[2:]]
    if endpoints is None:
        endpoints = [rule.endpoint for rule in app.url_map.iter_rules()]
    assert shown == endpoints


def test_routes_all_methods() -> None:
    result = routes_app().test_cli_runner().invoke(cli, ["routes", "--all-methods"])
    assert "DELETE, GET, HEAD, OPTIONS, PUT  /items/<int:item_id>" in result.output
    assert "OPTIONS, POST" in result.output


def test_routes_invalid_sort() -> None:
    result = routes_app().test_cli_runner().invoke(cli, ["routes", "--sort", "size"])
    assert result.exit_code == 2


def test_routes_domain_column_and_sort() -> None:
    app = App("domains", subdomain_matching=True, static_folder=None)
    app.config["SERVER_NAME"] = "example.test"
    app.add_url_rule("/", "www_home", lambda: "", subdomain="www")
    app.add_url_rule("/", "api_home", lambda: "", subdomain="api")
    result = app.test_cli_runner().invoke(cli, ["routes", "--sort", "domain"])
    assert result.output.splitlines() == [
        "Endpoint  Methods  Subdomain  Rule",
        "--------  -------  ---------  ----",
        "api_home  GET      api        /",
        "www_home  GET      www        /",
    ]


def test_routes_host_column() -> None:
    app = App("hosts", host_matching=True, static_host="static.test")
    app.add_url_rule("/", "home", lambda: "", host="example.test")
    lines = app.test_cli_runner().invoke(cli, ["routes"]).output.splitlines()
    assert lines[0].split() == ["Endpoint", "Methods", "Host", "Rule"]
    assert "home      GET      example.test  /" in lines


def test_no_routes() -> None:
    result = App("empty", static_folder=None).test_cli_runner().invoke(cli, ["routes"])
    assert result.output == "No routes were registered.\n"


# -- the report of shadowed rules


def report(app: App, *args: str) -> list[str]:
    """The report's lines (after the table), or ``[]``."""
    result = app.test_cli_runner().invoke(cli, ["routes", *args])
    assert result.exit_code == 0, result.output
    _, _, rest = result.output.partition("\n\n")
    return rest.splitlines()


def kinds(app: App) -> dict[str, str]:
    return {
        str(finding.rule.endpoint): finding.kind for finding in find_shadowed_rules(app)
    }


def test_clean_app_has_no_report() -> None:
    app = routes_app()
    assert report(app) == []
    assert find_shadowed_rules(app) == []


def test_rule_taken_by_an_earlier_rule_of_equal_weight() -> None:
    app = App("shadowed", static_folder=None)
    app.add_url_rule("/files/<name>", "by_name", lambda name: "")
    app.add_url_rule("/files/<any(a, b):which>", "by_choice", lambda which: "")
    assert report(app) == [
        "Rules that requests cannot fully reach:",
        "  /files/<any(a, b):which> (by_choice)",
        "    unreachable: GET: /files/a, /files/b go to /files/<name> (by_name)",
    ]
    # What the router really does.
    client = app.test_client()
    assert app.url_map.bind("x").match("/files/a") == ("by_name", {"name": "a"})
    assert client.get("/files/b").status_code == 200


def test_the_same_rules_the_other_way_round_are_fine() -> None:
    app = App("fine", static_folder=None)
    app.add_url_rule("/files/<any(a, b):which>", "by_choice", lambda which: "")
    app.add_url_rule("/files/<name>", "by_name", lambda name: "")
    assert find_shadowed_rules(app) == []


def test_rule_shadowed_for_some_methods() -> None:
    class Digits(BaseConverter):
        regex = r"\d+"

    app = App("methods", static_folder=None)
    app.url_map.converters["digits"] = Digits
    app.add_url_rule("/n/<name>", "by_name", lambda name: "", methods=["GET", "PUT"])
    app.add_url_rule(
        "/n/<digits:number>", "by_number", lambda number: "", methods=["GET", "DELETE"]
    )
    findings = find_shadowed_rules(app)
    assert [(f.rule.endpoint, f.kind) for f in findings] == [("by_number", "shadowed")]
    assert findings[0].message.startswith("GET: /n/1, /n/0, /n/42 go to /n/<name>")
    adapter = app.url_map.bind("x")
    assert adapter.match("/n/7", "GET") == ("by_name", {"name": "7"})
    assert adapter.match("/n/7", "DELETE") == ("by_number", {"number": "7"})


def test_any_value_taken_by_a_static_rule() -> None:
    app = App("partly", static_folder=None)
    app.add_url_rule("/docs/readme", "readme", lambda: "")
    app.add_url_rule("/docs/<any(readme, license):page>", "page", lambda page: "")
    assert report(app)[1:] == [
        "  /docs/<any(readme, license):page> (page)",
        "    partly shadowed: GET /docs/readme goes to /docs/readme (readme)",
    ]


def test_path_rules_are_reached_with_longer_paths() -> None:
    app = App("paths", static_folder=None)
    app.add_url_rule("/p/<segment>", "segment", lambda segment: "", methods=["POST"])
    app.add_url_rule("/p/<path:rest>", "rest", lambda rest: "", methods=["GET", "POST"])
    assert find_shadowed_rules(app) == []


def test_length_constrained_rival_does_not_hide_a_rule() -> None:
    app = App("lengths", static_folder=None)
    app.add_url_rule("/v/<string(length=5):code>", "code", lambda code: "")
    app.add_url_rule("/v/<name>", "name", lambda name: "", methods=["GET", "PUT"])
    assert find_shadowed_rules(app) == []


def test_number_bounds_give_the_samples() -> None:
    app = App("numbers", static_folder=None)
    app.add_url_rule(
        "/y/<int(fixed_digits=4, min=1900, max=2100):year>", "year", lambda year: ""
    )
    app.add_url_rule("/r/<float(min=10.5):ratio>", "ratio", lambda ratio: "")
    assert find_shadowed_rules(app) == []


def test_redirecting_rules_are_checked_as_matches() -> None:
    def view(**values: Any) -> str:
        return ""

    app = App("redirects", static_folder=None)
    app.add_url_rule("/old/<int:id>", "old", redirect_to="/new/<id>")
    app.add_url_rule("/new/<int:id>", "new", view)
    app.add_url_rule("/page/", "page", view, defaults={"n": 1})
    app.add_url_rule("/page/<int:n>", "page", view)
    app.add_url_rule("/alias", "aliased", view, alias=True)
    app.add_url_rule("/canonical", "aliased", view)
    assert find_shadowed_rules(app) == []
    client = app.test_client()
    assert client.get("/old/3").location.endswith("/new/3")
    assert client.get("/page/1").location.endswith("/page/")
    assert client.get("/alias").location.endswith("/canonical")


def test_strict_slashes_siblings_are_both_reached() -> None:
    app = App("slashes", static_folder=None)
    app.add_url_rule("/a/", "branch", lambda: "")
    app.add_url_rule("/a", "leaf", lambda: "", methods=["POST"])
    assert find_shadowed_rules(app) == []


def test_build_only_rules_are_not_checked() -> None:
    app = App("build_only", static_folder=None)
    app.add_url_rule("/x/<name>", "x", lambda name: "")
    app.add_url_rule("/x/<any(a):y>", "built", build_only=True)
    assert find_shadowed_rules(app) == []


def test_rule_for_every_method() -> None:
    app = App("any_method", static_folder=None)
    app.add_url_rule("/w/<name>", "first", lambda name: "", methods=["POST"])
    app.url_map.add(Rule("/w/<any(x):which>", endpoint="every"))
    findings = find_shadowed_rules(app)
    assert [(f.rule.endpoint, f.kind) for f in findings] == [("every", "shadowed")]
    assert findings[0].message.startswith("POST: /w/x goes to /w/<name> (first)")


def test_subdomain_without_subdomain_matching() -> None:
    app = App("subdomains", static_folder=None)
    app.add_url_rule("/", "api", lambda: "", subdomain="api")
    app.add_url_rule("/", "home", lambda: "")
    assert kinds(app) == {"api": "unreachable"}
    assert report(app)[2] == (
        "    unreachable: its subdomain is 'api' but the app, created without"
        " subdomain_matching=True, only matches ''"
    )
    assert app.test_client().get("/", base_url="http://api.localhost").data == b""


def test_subdomain_matching_needs_server_name() -> None:
    app = App("subdomains", static_folder=None, subdomain_matching=True)
    app.add_url_rule("/", "api", lambda: "", subdomain="<tenant>")
    assert kinds(app) == {"api": "unreachable"}
    app.config["SERVER_NAME"] = "example.test"
    assert kinds(app) == {}


def test_host_matching_rule_without_a_host() -> None:
    app = App("hosts", static_folder=None, host_matching=True)
    app.add_url_rule("/", "nowhere", lambda: "")
    app.add_url_rule("/", "somewhere", lambda: "", host="<name>.example.test")
    assert kinds(app) == {"nowhere": "unreachable"}


def test_host_matching_rivals_on_the_same_host() -> None:
    app = App("host_rivals", static_folder=None, host_matching=True)
    app.add_url_rule("/<name>", "first", lambda name: "", host="<h>.test")
    app.add_url_rule("/<any(a):x>", "second", lambda x: "", host="<h>.test")
    findings = find_shadowed_rules(app)
    assert [(f.rule.endpoint, f.kind) for f in findings] == [("second", "unreachable")]
    assert "probe.test/a" in findings[0].message


def test_converter_without_a_sample_is_unchecked() -> None:
    class Hex(BaseConverter):
        regex = "0x[0-9a-f]{6}"

    app = App("unchecked", static_folder=None)
    app.url_map.converters["hex"] = Hex
    app.add_url_rule("/c/<hex:color>", "color", lambda color: "")
    assert report(app)[1:] == [
        "  /c/<hex:color> (color)",
        "    unchecked: no value could be made for its variable 'color'",
    ]


def test_no_check_hides_the_report() -> None:
    app = App("hidden", static_folder=None)
    app.add_url_rule("/files/<name>", "by_name", lambda name: "")
    app.add_url_rule("/files/<any(a):which>", "by_choice", lambda which: "")
    assert report(app, "--no-check") == []
    assert report(app) != []


def test_many_variables_are_sampled_without_blowing_up() -> None:
    app = App("wide", static_folder=None)
    rule = "/" + "/".join(f"<v{index}>" for index in range(8))
    app.add_url_rule(rule, "wide", lambda **values: "")
    assert find_shadowed_rules(app) == []


def test_report_needs_microwebs_map() -> None:
    import werkzeug.routing

    class WerkzeugMapApp(App):
        url_map_class = werkzeug.routing.Map  # type: ignore[assignment]

    app = WerkzeugMapApp("werkzeug_map", static_folder=None)
    app.url_map.add(werkzeug.routing.Rule("/", endpoint="index"))
    with pytest.raises(TypeError, match="microweb.routing.Map"):
        find_shadowed_rules(app)
    result = app.test_cli_runner().invoke(cli, ["routes"])
    assert result.exit_code == 0, result.output
    assert "index" in result.output
    assert "The rules were not checked" in result.output


def test_report_on_both_routing_cores(map_class: type) -> None:
    class PinnedApp(App):
        url_map_class = map_class  # type: ignore[assignment]

    app = PinnedApp("pinned", static_folder=None)
    app.add_url_rule("/files/<name>", "by_name", lambda name: "")
    app.add_url_rule("/files/<any(a, b):which>", "by_choice", lambda which: "")
    app.add_url_rule("/docs/readme", "readme", lambda: "")
    app.add_url_rule("/docs/<any(readme, license):page>", "page", lambda page: "")
    assert kinds(app) == {"by_choice": "unreachable", "page": "partly shadowed"}


# ----------------------------------------------------------------- run (in process)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """What ``run`` passes to ``run_simple`` (which is not called for real)."""
    import werkzeug.serving

    seen: dict[str, Any] = {}

    def run_simple(host: str, port: int, application: Any, **options: Any) -> None:
        seen.update(host=host, port=port, application=application, **options)

    monkeypatch.setattr(werkzeug.serving, "run_simple", run_simple)
    return seen


def test_run_defaults(tmp_path: Path, served: dict[str, Any]) -> None:
    write_module(tmp_path, "run_probe.py", HELLO)
    result = invoke("--app", "run_probe", "run")
    assert result.exit_code == 0, result.output
    assert served["host"] == "127.0.0.1"
    assert served["port"] == 5000
    assert served["application"].name == "run_probe"
    assert served["use_reloader"] is False
    assert served["use_debugger"] is False
    assert served["threaded"] is True
    assert served["ssl_context"] is None
    assert served["extra_files"] is None
    assert (
        f" * Serving microweb app 'run_probe' on the {microweb.IMPLEMENTATION} core"
        in result.output
    )
    assert " * Debug mode: off" in result.output


def test_run_options(tmp_path: Path, served: dict[str, Any]) -> None:
    write_module(tmp_path, "run_probe.py", HELLO)
    (tmp_path / "a.cfg").write_text("")
    (tmp_path / "b.cfg").write_text("")
    result = invoke(
        "--app",
        "run_probe",
        "run",
        "-h",
        "0.0.0.0",
        "-p",
        "8123",
        "--debug",
        "--no-reload",
        "--without-threads",
        "--extra-files",
        os.pathsep.join(["a.cfg", "b.cfg"]),
        "--exclude-patterns",
        os.pathsep.join(["*.tmp", "*.swp"]),
    )
    assert result.exit_code == 0, result.output
    assert (served["host"], served["port"]) == ("0.0.0.0", 8123)
    assert served["use_reloader"] is False
    assert served["use_debugger"] is True
    assert served["threaded"] is False
    assert served["application"].debug is True
    assert served["extra_files"] == ["a.cfg", "b.cfg"]
    assert served["exclude_patterns"] == ["*.tmp", "*.swp"]
    assert " * Debug mode: on" in result.output


def test_run_debug_from_the_group_or_the_environment(
    tmp_path: Path, served: dict[str, Any]
) -> None:
    write_module(tmp_path, "run_probe.py", HELLO)
    invoke("--debug", "--app", "run_probe", "run")
    assert served["use_reloader"] is served["use_debugger"] is True
    served.clear()
    invoke("--app", "run_probe", "run", env={"MICROWEB_DEBUG": "0"})
    assert served["use_reloader"] is False


def test_run_options_from_the_environment(
    tmp_path: Path, served: dict[str, Any]
) -> None:
    write_module(tmp_path, "run_probe.py", HELLO)
    invoke("run", env={"MICROWEB_APP": "run_probe", "MICROWEB_RUN_PORT": "8765"})
    assert served["port"] == 8765


def test_run_reports_a_missing_app(served: dict[str, Any]) -> None:
    result = invoke("run")
    assert result.exit_code == 2
    assert served == {}


def test_run_in_the_reloader_serves_the_error(
    served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    result = invoke("--app", "no_such_module_here", "run")
    assert result.exit_code == 0
    with pytest.raises(NoAppException):
        served["application"]({}, lambda *args: None)
    assert "Serving" not in result.output


def test_run_cert_without_ssl_is_a_usage_error(
    tmp_path: Path, served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    write_module(tmp_path, "run_probe.py", HELLO)
    (tmp_path / "cert.pem").write_text("")
    monkeypatch.setitem(sys.modules, "ssl", None)
    result = invoke("--app", "run_probe", "run", "--cert", "cert.pem")
    assert result.exit_code == 2
    assert "needs a Python built with the ssl module" in result.output
    assert not served


CERT_MODULE = """\
    import ssl

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    not_a_context = object()
"""


def test_run_certificates(
    tmp_path: Path, served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path))
    write_module(tmp_path, "run_probe.py", HELLO)
    write_module(tmp_path, "cert_module.py", CERT_MODULE)
    (tmp_path / "cert.pem").write_text("")
    (tmp_path / "key.pem").write_text("")

    def run(*args: str) -> Any:
        served.clear()
        return invoke("--app", "run_probe", "run", *args)

    result = run("--cert", "cert.pem", "--key", "key.pem")
    assert result.exit_code == 0, result.output
    assert served["ssl_context"] == (
        os.path.realpath(tmp_path / "cert.pem"),
        os.path.realpath(tmp_path / "key.pem"),
    )
    assert "Required when using" in run("--cert", "cert.pem").output
    assert '"--cert" must also be specified' in run("--key", "key.pem").output
    result = run("--cert", "cert_module.context")
    assert result.exit_code == 0, result.output
    assert isinstance(served["ssl_context"], ssl.SSLContext)
    assert (
        "is not used" in run("--cert", "cert_module.context", "--key", "key.pem").output
    )
    assert run("--cert", "cert_module.not_a_context").exit_code == 2
    assert run("--cert", "missing.pem").exit_code == 2
    pytest.importorskip("cryptography")
    assert run("--cert", "adhoc").exit_code == 0
    assert served["ssl_context"] == "adhoc"
    assert "is not used" in run("--cert", "adhoc", "--key", "key.pem").output


def test_adhoc_needs_cryptography(
    tmp_path: Path, served: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    write_module(tmp_path, "run_probe.py", HELLO)
    monkeypatch.setitem(sys.modules, "cryptography", None)
    result = invoke("--app", "run_probe", "run", "--cert", "adhoc")
    assert result.exit_code == 2
    assert "cryptography" in result.output


# ----------------------------------------------------------------- app.run()


@pytest.fixture
def app_run_simple(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    import werkzeug.serving

    seen: dict[str, Any] = {}

    def run_simple(host: str, port: int, application: Any, **options: Any) -> None:
        seen.update(host=host, port=port, application=application, **options)

    monkeypatch.setattr(werkzeug.serving, "run_simple", run_simple)
    return seen


def test_app_run_is_a_no_op_under_the_command(
    app_run_simple: dict[str, Any], tmp_path: Path
) -> None:
    write_module(
        tmp_path,
        "runs_at_import.py",
        textwrap.dedent(HELLO) + "\napp.run()\n",
    )
    result = invoke("--app", "runs_at_import", "routes")
    assert result.exit_code == 0, result.output
    assert app_run_simple == {}
    assert "Ignoring a call to 'app.run()'" in result.output


def test_app_run_loads_dotenv_and_shows_the_banner(
    app_run_simple: dict[str, Any],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (tmp_path / ".env").write_text("MICROWEB_DEBUG=1\nDOTENV_VALUE=run\n")
    app = App("direct")
    app.run(port=8001)
    assert os.environ["DOTENV_VALUE"] == "run"
    assert app.debug is True
    assert app_run_simple["use_reloader"] is True
    assert app_run_simple["port"] == 8001
    assert f"'direct' on the {microweb.IMPLEMENTATION} core" in capsys.readouterr().out


def test_app_run_without_dotenv(app_run_simple: dict[str, Any], tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("DOTENV_VALUE=run\n")
    App("direct").run(load_dotenv=False)
    assert "DOTENV_VALUE" not in os.environ
    App("direct").run(debug=False)
    assert os.environ["DOTENV_VALUE"] == "run"


# ----------------------------------------------------------------- the real server


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def subprocess_env() -> dict[str, str]:
    """The environment of a ``python -m microweb`` child: the microweb this test
    imported comes first on its path (installed or not), no dotenv, no buffering."""
    env = {
        name: value for name, value in os.environ.items() if name not in CLI_VARIABLES
    }
    package_root = str(Path(microweb.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [package_root, env.get("PYTHONPATH")])
    )
    env["PYTHONUNBUFFERED"] = "1"
    env["MICROWEB_SKIP_DOTENV"] = "1"
    return env


def wait_for(url: str, process: subprocess.Popen[str], timeout: float) -> bytes:
    """GET *url* until the server answers; fail if the process ends first."""
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            output, _ = process.communicate(timeout=5)
            pytest.fail(f"the server exited with {process.returncode}:\n{output}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return bytes(response.read())
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_dev_server_for_real(tmp_path: Path) -> None:
    module = write_module(tmp_path, "served_app.py", HELLO)
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "microweb",
            "--app",
            str(module),
            "run",
            "--port",
            str(port),
            "--no-reload",
        ],
        cwd=tmp_path,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        body = wait_for(f"http://127.0.0.1:{port}/", process, timeout=30)
    finally:
        process.terminate()
        try:
            output, _ = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate(timeout=10)
    assert body == b"hello from the cli test"
    assert (
        f" * Serving microweb app '{module}' on the {microweb.IMPLEMENTATION} core"
        in output
    )
    assert " * Debug mode: off" in output
    assert f"http://127.0.0.1:{port}" in output


@pytest.mark.parametrize(
    ("microweb_debug", "flask_debug", "expected"),
    [
        (None, None, False),
        ("1", None, True),
        (None, "1", True),
        ("0", "1", False),
        (None, "false", False),
    ],
)
def test_debug_default_reads_microweb_debug_then_flask_debug(
    monkeypatch: pytest.MonkeyPatch,
    microweb_debug: str | None,
    flask_debug: str | None,
    expected: bool,
) -> None:
    for name, value in (
        ("MICROWEB_DEBUG", microweb_debug),
        ("FLASK_DEBUG", flask_debug),
    ):
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    assert App(__name__).debug is expected
