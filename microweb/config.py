"""The application's configuration: a dict with loaders, as ``flask.Config`` has.

:class:`Config` is a plain :class:`dict` whose keys are the configuration names
(``DEBUG``, ``SECRET_KEY``, ...). Its loaders fill it from Python files, objects and
modules, data files (JSON, TOML, ...), environment variables and mappings, with the
rules of Flask 3.1 so that a migrated application loads the same values:

- only UPPERCASE names are taken from files, objects and mappings (``str.isupper``,
  so ``_PRIVATE`` counts as uppercase); environment variables are taken as named;
- a relative file name is read from :attr:`Config.root_path`;
- a file that cannot be opened raises the :class:`OSError` subclass that ``open``
  raised (its ``errno`` and ``filename`` unchanged, its ``strerror`` saying that a
  configuration file failed to load), unless ``silent=True`` and the file is missing
  (``ENOENT``) or a directory (``EISDIR``), in which case the loader returns
  ``False``. :meth:`Config.from_pyfile` (and so :meth:`Config.from_envvar`) also
  counts a path through a non-directory (``ENOTDIR``) as missing;
  :meth:`Config.from_file` raises it, as Flask 3.1 does.

:class:`ConfigAttribute` forwards an attribute of the application (``app.testing``,
``app.secret_key``) to a key of its configuration.
"""

from __future__ import annotations

import errno
import json
import os
import types
import typing as t
from collections.abc import Callable, Mapping

from werkzeug.utils import import_string

__all__ = ["Config", "ConfigAttribute"]

T = t.TypeVar("T")

#: The ``errno`` values that ``silent=True`` turns into a ``False`` return in
#: :meth:`Config.from_pyfile`: the file is missing, is a directory, or a component of
#: its path is not a directory.
PYFILE_SILENT_ERRNOS = frozenset({errno.ENOENT, errno.EISDIR, errno.ENOTDIR})
#: The same for :meth:`Config.from_file`, which (as in Flask 3.1) does not count
#: ``ENOTDIR`` as a missing file.
FILE_SILENT_ERRNOS = frozenset({errno.ENOENT, errno.EISDIR})


class ConfigAttribute(t.Generic[T]):
    """Forward an attribute of the owning object to one key of its ``config``.

    Reading the attribute returns ``obj.config[name]`` (passed through
    *get_converter* when one is given); assigning it stores the value in
    ``obj.config[name]`` unconverted. Read on the class, the descriptor returns
    itself. A missing key raises :class:`KeyError`, as the lookup does.

    .. code-block:: python

        class App:
            testing = ConfigAttribute[bool]("TESTING")

    :param name: the configuration key.
    :param get_converter: a callable applied to the stored value on every read.

    .. versionadded:: 0.1
    """

    def __init__(
        self, name: str, get_converter: Callable[[t.Any], T] | None = None
    ) -> None:
        # ``__name__`` (not ``name``) because that is where Flask keeps the key, and
        # code written for Flask may read it from the class attribute.
        self.__name__ = name
        self.get_converter = get_converter

    @t.overload
    def __get__(
        self, obj: None, owner: type[t.Any] | None = None
    ) -> ConfigAttribute[T]: ...

    @t.overload
    def __get__(self, obj: object, owner: type[t.Any] | None = None) -> T: ...

    def __get__(
        self, obj: object | None, owner: type[t.Any] | None = None
    ) -> ConfigAttribute[T] | T:
        if obj is None:
            return self
        value = obj.config[self.__name__]  # type: ignore[attr-defined]
        if self.get_converter is not None:
            return self.get_converter(value)
        return t.cast(T, value)

    def __set__(self, obj: object, value: t.Any) -> None:
        obj.config[self.__name__] = value  # type: ignore[attr-defined]


class Config(dict[str, t.Any]):
    """A :class:`dict` of configuration values that can fill itself from files,
    Python objects, environment variables and mappings.

    The usual way is to keep the defaults in a module or class and load them with
    :meth:`from_object`, then override them from a file named by an environment
    variable (:meth:`from_envvar`) or from prefixed environment variables
    (:meth:`from_prefixed_env`):

    .. code-block:: python

        app.config.from_object("yourapplication.default_settings")
        app.config.from_envvar("YOURAPPLICATION_SETTINGS")

    Only uppercase keys are loaded from files, objects and mappings, so a
    configuration file can use lowercase names for its own temporary values.

    :param root_path: the directory that relative file names are read from; the
        application passes its own ``root_path``.
    :param defaults: the initial values, if any.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        root_path: str | os.PathLike[str],
        defaults: Mapping[str, t.Any] | None = None,
    ) -> None:
        super().__init__(defaults or {})
        #: The directory that relative file names are read from.
        self.root_path = root_path

    def from_envvar(self, variable_name: str, silent: bool = False) -> bool:
        """Load the Python file whose path is in the environment variable
        *variable_name*, as :meth:`from_pyfile` does.

        An unset or empty variable raises :class:`RuntimeError`, or returns
        ``False`` when *silent* is true.

        :param variable_name: the name of the environment variable.
        :param silent: return ``False`` instead of raising when the variable is
            unset or the file is missing.
        :return: ``True`` if the file was loaded.

        .. versionadded:: 0.1
        """
        filename = os.environ.get(variable_name)
        if not filename:
            if silent:
                return False
            raise RuntimeError(
                f"The environment variable {variable_name!r} is not set, so no"
                " configuration could be loaded from it. Set it to the path of a"
                " configuration file."
            )
        return self.from_pyfile(filename, silent=silent)

    def from_prefixed_env(
        self, prefix: str = "FLASK", *, loads: Callable[[str], t.Any] = json.loads
    ) -> bool:
        """Load every environment variable named ``{prefix}_{KEY}``.

        The variables are read in sorted order. The prefix and its underscore are
        removed from the name, which is otherwise kept as it is (not uppercased,
        not filtered). Each value is passed to *loads*; when *loads* raises, the
        raw string is kept, so ``FLASK_DEBUG=true`` gives ``True`` and
        ``FLASK_NAME=web`` gives ``"web"``.

        A double underscore in the key walks into nested dicts, creating the ones
        that are missing: ``FLASK_SQLALCHEMY__ECHO=true`` sets
        ``config["SQLALCHEMY"]["ECHO"] = True`` and keeps the other keys of
        ``config["SQLALCHEMY"]``.

        :param prefix: the prefix of the variable names, without its underscore.
            The default is Flask's, so that a migrated application reads the same
            variables.
        :param loads: decodes each value; :func:`json.loads` by default.
        :return: always ``True``.

        .. versionadded:: 0.1
        """
        prefix = f"{prefix}_"
        for env_name in sorted(os.environ):
            if not env_name.startswith(prefix):
                continue
            raw_value = os.environ[env_name]
            try:
                value = loads(raw_value)
            except Exception:
                # Anything that is not valid for ``loads`` is a plain string.
                value = raw_value
            *parent_keys, last_key = env_name[len(prefix) :].split("__")
            target: t.Any = self
            for parent_key in parent_keys:
                if parent_key not in target:
                    target[parent_key] = {}
                target = target[parent_key]
            target[last_key] = value
        return True

    def from_pyfile(
        self, filename: str | os.PathLike[str], silent: bool = False
    ) -> bool:
        """Run a Python file and load its uppercase module-level names, as
        :meth:`from_object` does for a module.

        The file is run as a fresh module named ``config`` whose ``__file__`` is
        the file's path; it is read as bytes, so a coding declaration is honoured.

        :param filename: the file's path, absolute or relative to
            :attr:`root_path`.
        :param silent: return ``False`` when the file is missing, is a directory
            or sits under a path that is not a directory.
        :return: ``True`` if the file was loaded.
        :raises OSError: when the file cannot be read (see the module's notes on
            ``silent``).

        .. versionadded:: 0.1
        """
        path = os.path.join(self.root_path, filename)
        module = types.ModuleType("config")
        module.__file__ = path
        try:
            with open(path, "rb") as config_file:
                source = config_file.read()
        except OSError as exc:
            if silent and exc.errno in PYFILE_SILENT_ERRNOS:
                return False
            _say_load_failed(exc)
            raise
        exec(compile(source, path, "exec"), module.__dict__)
        self.from_object(module)
        return True

    def from_object(self, obj: object | str) -> None:
        """Load the uppercase attributes of a module, class or any object.

        A string is an import path (``"package.module"`` or
        ``"package.module:Name"``) imported with
        :func:`werkzeug.utils.import_string`, which raises
        :class:`~werkzeug.utils.ImportStringError` when it fails. Attributes are
        listed with :func:`dir`, so a class's inherited attributes count; on an
        instance, properties are evaluated, on a class they are loaded as
        property objects.

        .. code-block:: python

            class DefaultConfig:
                DEBUG = False
                DATABASE_URI = "sqlite://:memory:"

            app.config.from_object(DefaultConfig)

        :param obj: the object, or the import path of one.

        .. versionadded:: 0.1
        """
        if isinstance(obj, str):
            obj = import_string(obj)
        for name in dir(obj):
            if name.isupper():
                self[name] = getattr(obj, name)

    def from_file(
        self,
        filename: str | os.PathLike[str],
        load: Callable[[t.IO[t.Any]], Mapping[str, t.Any]],
        silent: bool = False,
        text: bool = True,
    ) -> bool:
        """Load a data file with *load* and pass the result to
        :meth:`from_mapping`.

        .. code-block:: python

            import json
            app.config.from_file("config.json", load=json.load)

            import tomllib
            app.config.from_file("config.toml", load=tomllib.load, text=False)

        :param filename: the file's path, absolute or relative to
            :attr:`root_path`.
        :param load: takes the open file and returns a mapping.
        :param silent: return ``False`` when the file is missing or is a
            directory (a path through a non-directory still raises).
        :param text: open the file in text mode (the default) or, when false, in
            binary mode.
        :return: ``True`` if the file was loaded.
        :raises OSError: when the file cannot be read (see the module's notes on
            ``silent``).

        .. versionadded:: 0.1
        """
        path = os.path.join(self.root_path, filename)
        try:
            with open(path, "r" if text else "rb") as data_file:
                data = load(data_file)
        except OSError as exc:
            if silent and exc.errno in FILE_SILENT_ERRNOS:
                return False
            _say_load_failed(exc)
            raise
        return self.from_mapping(data)

    def from_mapping(
        self, mapping: Mapping[str, t.Any] | None = None, **kwargs: t.Any
    ) -> bool:
        """Load the uppercase keys of *mapping* and of the keyword arguments.

        A keyword argument overrides the same key in *mapping*; lowercase keys are
        ignored.

        :param mapping: the values to load.
        :param kwargs: more values to load.
        :return: always ``True``.

        .. versionadded:: 0.1
        """
        collected: dict[str, t.Any] = {}
        if mapping is not None:
            collected.update(mapping)
        collected.update(kwargs)
        for key, value in collected.items():
            if key.isupper():
                self[key] = value
        return True

    def get_namespace(
        self, namespace: str, lowercase: bool = True, trim_namespace: bool = True
    ) -> dict[str, t.Any]:
        """Return the keys that start with *namespace*, as a new dict.

        .. code-block:: python

            app.config["IMAGE_STORE_TYPE"] = "fs"
            app.config["IMAGE_STORE_PATH"] = "/var/app/images"
            app.config.get_namespace("IMAGE_STORE_")
            # {"type": "fs", "path": "/var/app/images"}

        The match is case-sensitive, and *namespace* usually ends with its
        separator (``"IMAGE_STORE_"``), which trimming then removes too.

        :param namespace: the prefix of the keys to return.
        :param lowercase: lowercase the returned keys.
        :param trim_namespace: remove *namespace* from the returned keys.
        :return: the matching keys and their values.

        .. versionadded:: 0.1
        """
        found: dict[str, t.Any] = {}
        for key, value in self.items():
            if not key.startswith(namespace):
                continue
            if trim_namespace:
                key = key[len(namespace) :]
            if lowercase:
                key = key.lower()
            found[key] = value
        return found

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {dict.__repr__(self)}>"


def _say_load_failed(exc: OSError) -> None:
    """Say in *exc*'s ``strerror`` that a configuration file failed to load.

    The exception is re-raised as it is, keeping its type, ``errno`` and
    ``filename``, so callers can still tell a missing file from a denied one.
    """
    exc.strerror = f"Could not load the configuration file ({exc.strerror})"
