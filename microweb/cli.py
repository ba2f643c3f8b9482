"""The ``microweb`` command line, built on click as Flask's ``flask`` command is.

``microweb --app hello run`` finds the app (:class:`ScriptInfo`), loads ``.env`` files
when python-dotenv is installed (:func:`load_dotenv`), and runs a command: ``run``
(Werkzeug's development server), ``shell``, ``routes``, or one the app added to
``app.cli`` (an :class:`AppGroup`, whose commands run inside an app context).
``python -m microweb`` is the same command.

The environment variables are Flask's with a ``MICROWEB_`` prefix: ``MICROWEB_APP``,
``MICROWEB_DEBUG``, ``MICROWEB_ENV_FILE``, ``MICROWEB_SKIP_DOTENV``,
``MICROWEB_RUN_PORT`` (every option of a command, as click's ``auto_envvar_prefix``
gives them). The ``FLASK_*`` variables are not read, but for ``FLASK_DEBUG`` when
``MICROWEB_DEBUG`` is unset.
"""

from __future__ import annotations

import ast
import code
import importlib.metadata
import inspect
import os
import re
import sys
import traceback
import typing as t
from functools import update_wrapper
from operator import itemgetter

import click
from click.core import ParameterSource

from .globals import current_app
from .route_report import RuleFinding, find_shadowed_rules

if t.TYPE_CHECKING:
    import ssl

    from .app import App
    from .routing import Rule

F = t.TypeVar("F", bound=t.Callable[..., t.Any])

#: The prefix of the environment variables that stand for options.
ENVVAR_PREFIX = "MICROWEB"
#: The default env files, lowest precedence first.
DOTENV_FILES = (".microwebenv", ".env")


class NoAppException(click.UsageError):
    """The app could not be found or loaded; the message says where it was looked
    for.

    .. versionadded:: 0.1
    """


# ----------------------------------------------------------------- flags


def _env_flag(name: str) -> bool | None:
    """``True``/``False`` for a set environment variable, ``None`` when unset."""
    value = os.environ.get(name)
    if not value:
        return None
    return value.lower() not in {"0", "false", "no"}


def get_debug_flag() -> bool:
    """Whether ``MICROWEB_DEBUG`` asks for debug mode; when it is unset, Flask's
    ``FLASK_DEBUG``, so that an environment set up for Flask keeps working.

    .. versionadded:: 0.1
    """
    flag = _env_flag(f"{ENVVAR_PREFIX}_DEBUG")
    if flag is None:
        flag = _env_flag("FLASK_DEBUG")
    return bool(flag)


def get_load_dotenv(default: bool = True) -> bool:
    """Whether to load ``.env`` files: *default*, unless ``MICROWEB_SKIP_DOTENV``
    is set to a true value.

    .. versionadded:: 0.1
    """
    skip = _env_flag(f"{ENVVAR_PREFIX}_SKIP_DOTENV")
    return default if skip is None else not skip


def version_string() -> str:
    """``microweb <version> (<native|pure> core)``, as ``--version`` prints it.

    .. versionadded:: 0.1
    """
    import microweb

    return f"microweb {microweb.__version__} ({microweb.IMPLEMENTATION} core)"


# ----------------------------------------------------------------- discovery


def _is_app(value: object) -> bool:
    from .app import App

    return isinstance(value, App)


def _call_factory(
    factory: t.Callable[..., t.Any],
    what: str,
    args: tuple[t.Any, ...] = (),
    kwargs: dict[str, t.Any] | None = None,
) -> t.Any:
    """Call an app factory; arguments it does not take are the user's error."""
    kwargs = kwargs or {}
    try:
        inspect.signature(factory).bind(*args, **kwargs)
    except TypeError as error:
        given = "with these arguments" if args or kwargs else "without arguments"
        raise NoAppException(
            f"The factory {what} could not be called {given} ({error}). Pass them"
            " as '--app module:factory(arguments)'."
        ) from None
    return factory(*args, **kwargs)


def find_best_app(module: t.Any) -> App:
    """The app of *module*: ``app`` or ``application``, else its only
    :class:`~microweb.App`, else what ``create_app()`` or ``make_app()`` returns.

    :raises NoAppException: none, or more than one, was found.

    .. versionadded:: 0.1
    """
    for name in ("app", "application"):
        candidate = getattr(module, name, None)
        if _is_app(candidate):
            return t.cast("App", candidate)
    apps = [value for value in vars(module).values() if _is_app(value)]
    if len(apps) == 1:
        return t.cast("App", apps[0])
    if len(apps) > 1:
        raise NoAppException(
            f"Detected multiple microweb applications in module '{module.__name__}'."
            f" Use '--app {module.__name__}:name' to choose one."
        )
    for name in ("create_app", "make_app"):
        factory = getattr(module, name, None)
        if inspect.isfunction(factory):
            app = _call_factory(factory, f"'{name}' in '{module.__name__}'")
            if _is_app(app):
                return t.cast("App", app)
    raise NoAppException(
        f"Failed to find a microweb application or factory in module"
        f" '{module.__name__}'. Use '--app {module.__name__}:name' to name one."
    )


def _parse_app_expression(
    module: t.Any, expression: str
) -> tuple[str, tuple[tuple[t.Any, ...], dict[str, t.Any]] | None]:
    """Read ``name`` or ``name(literal, key=literal)``: the name and the call's
    arguments (``None`` for a plain name)."""
    try:
        node = ast.parse(expression.strip(), mode="eval").body
    except SyntaxError:
        node = None
    if isinstance(node, ast.Name):
        return node.id, None
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        try:
            args = [ast.literal_eval(arg) for arg in node.args]
            kwargs = {
                str(keyword.arg): ast.literal_eval(keyword.value)
                for keyword in node.keywords
                if keyword.arg is not None
            }
        except ValueError:
            raise NoAppException(
                f"Failed to parse the arguments of {expression!r} in"
                f" '{module.__name__}': only literal values can be passed."
            ) from None
        return node.func.id, (tuple(args), kwargs)
    raise NoAppException(
        f"Failed to parse {expression!r} as an attribute name or a function call."
    )


def find_app_by_string(module: t.Any, expression: str) -> App:
    """The app that ``--app module:expression`` names: an app, or a factory called
    with no arguments or with the literal arguments given.

    .. versionadded:: 0.1
    """
    name, call_args = _parse_app_expression(module, expression)
    try:
        target = getattr(module, name)
    except AttributeError:
        raise NoAppException(
            f"Failed to find attribute {name!r} in '{module.__name__}'."
        ) from None
    if inspect.isfunction(target):
        args, kwargs = call_args or ((), {})
        app = _call_factory(target, f"'{name}' in '{module.__name__}'", args, kwargs)
    elif call_args is not None:
        raise NoAppException(
            f"{name!r} in '{module.__name__}' is not a function; it cannot be"
            " called with arguments."
        )
    else:
        app = target
    if _is_app(app):
        return t.cast("App", app)
    raise NoAppException(
        f"A microweb application was not obtained from"
        f" '{module.__name__}:{expression}'."
    )


def prepare_import(path: str) -> str:
    """Turn a module name or a file path into an importable module name, and put
    the folder it is imported from first on ``sys.path`` (the folder above the
    outermost package that holds the file).

    .. versionadded:: 0.1
    """
    path = os.path.realpath(path)
    stem, extension = os.path.splitext(path)
    if extension == ".py":
        path = stem
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    names: list[str] = []
    while True:
        path, name = os.path.split(path)
        names.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(names))


def _import_failed_inside(error: ImportError, module_name: str) -> bool:
    """Whether the import of *module_name* failed inside the module (a broken
    import of its own), rather than because it does not exist."""
    if not isinstance(error, ModuleNotFoundError) or error.name is None:
        return True
    missing = error.name
    return not (module_name == missing or module_name.startswith(f"{missing}."))


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: t.Literal[True] = True
) -> App: ...


@t.overload
def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool
) -> App | None: ...


def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> App | None:
    """Import *module_name* and find its app (by *app_name* when given).

    .. versionadded:: 0.1
    """
    try:
        __import__(module_name)
    except ImportError as error:
        if _import_failed_inside(error, module_name):
            raise NoAppException(
                f"While importing {module_name!r}, an ImportError was raised:"
                f"\n\n{traceback.format_exc()}"
            ) from None
        if raise_if_not_found:
            raise NoAppException(f"Could not import {module_name!r}.") from None
        return None
    module = sys.modules[module_name]
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def _split_import_path(import_path: str) -> tuple[str, str | None]:
    """``path:expression`` -> both; a colon followed by a slash is a drive's."""
    found = re.search(r":(?![\\/])", import_path)
    if found is None:
        return import_path, None
    return import_path[: found.start()], import_path[found.end() :]


class ScriptInfo:
    """What a command needs to load the app: the ``--app`` value, or a factory.

    Commands get it with :data:`pass_script_info`; :meth:`load_app` loads the app
    once.

    :param app_import_path: ``module``, ``module:name``, ``module:factory(args)`` or
        ``path/to/file.py``; ``None`` looks for ``wsgi.py``, then ``app.py``.
    :param create_app: a function returning the app; it wins over the import path.
    :param set_debug_flag: set ``app.debug`` from ``MICROWEB_DEBUG`` when loading.
    :param load_dotenv_defaults: load ``.env`` and ``.microwebenv``.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: t.Callable[..., App] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        self.app_import_path = app_import_path
        self.create_app = create_app
        #: Anything a command wants to keep for the commands it invokes.
        self.data: dict[t.Any, t.Any] = {}
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = get_load_dotenv(load_dotenv_defaults)
        self._loaded_app: App | None = None

    def load_app(self) -> App:
        """Load the app (once) and return it.

        :raises NoAppException: it cannot be found or imported.
        """
        if self._loaded_app is not None:
            return self._loaded_app
        if self.create_app is not None:
            app: App | None = self.create_app()
        elif self.app_import_path:
            path, name = _split_import_path(self.app_import_path)
            app = locate_app(prepare_import(path), name)
        else:
            app = None
            for filename in ("wsgi.py", "app.py"):
                if not os.path.isfile(filename):
                    continue
                app = locate_app(prepare_import(filename), None, False)
                if app is not None:
                    break
        if app is None:
            raise NoAppException(
                "Could not locate a microweb application. Use the 'microweb --app'"
                " option, the 'MICROWEB_APP' environment variable, or a 'wsgi.py'"
                " or 'app.py' file in the current directory."
            )
        if self.set_debug_flag:
            app.debug = get_debug_flag()
        self._loaded_app = app
        return app


#: Pass the :class:`ScriptInfo` to a command as its first argument.
pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: F) -> F:
    """Run the command inside the app's context, loading the app if no context
    is active. Commands of ``app.cli`` get this already.

    .. versionadded:: 0.1
    """

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if not current_app:
            app = _script_info(ctx).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return update_wrapper(decorator, f)  # type: ignore[return-value]


def _script_info(ctx: click.Context) -> t.Any:
    """The context's :class:`ScriptInfo`; else a ``flask.cli.ScriptInfo``, as code
    written for Flask passes one (``app.cli.main(obj=ScriptInfo(...))``): it loads
    the app the same way."""
    info = ctx.find_object(ScriptInfo)
    if info is None:
        flask_cli = sys.modules.get("flask.cli")
        if flask_cli is not None:
            info = ctx.find_object(flask_cli.ScriptInfo)
    return info if info is not None else ctx.ensure_object(ScriptInfo)


class AppGroup(click.Group):
    """A click group whose commands run inside the app context
    (:func:`with_appcontext`; pass ``with_appcontext=False`` to opt out), and
    whose subgroups are ``AppGroup`` too. ``app.cli`` and ``blueprint.cli`` are
    ones.

    .. versionadded:: 0.1
    """

    def command(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Command] | click.Command:
        """Like :meth:`click.Group.command`, wrapped in the app context."""
        if args and callable(args[0]):
            return self.command(*args[1:], **kwargs)(args[0])
        in_context = kwargs.pop("with_appcontext", True)

        def decorator(f: t.Callable[..., t.Any]) -> click.Command:
            if in_context:
                f = with_appcontext(f)
            return t.cast(click.Command, click.Group.command(self, *args, **kwargs)(f))

        return decorator

    def group(  # type: ignore[override]
        self, *args: t.Any, **kwargs: t.Any
    ) -> t.Callable[[t.Callable[..., t.Any]], click.Group] | click.Group:
        """Like :meth:`click.Group.group`, making an :class:`AppGroup`."""
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)  # type: ignore[no-any-return]


# ----------------------------------------------------------------- dotenv


def load_dotenv(
    path: str | os.PathLike[str] | None = None, load_defaults: bool = True
) -> bool:
    """Set environment variables from dotenv files, when python-dotenv is installed.

    A variable already in the environment is never changed. Among the files,
    *path* wins over ``.env``, which wins over ``.microwebenv`` (both found in the
    current folder or the nearest parent that has one).

    :param path: a file to load.
    :param load_defaults: also load ``.env`` and ``.microwebenv``.
    :return: whether any variable was read from a file.

    .. versionadded:: 0.1
    """
    try:
        import dotenv
    except ImportError:
        if path or any(os.path.isfile(name) for name in DOTENV_FILES):
            click.secho(
                " * Tip: there are .env files present. Install python-dotenv"
                " to use them.",
                fg="yellow",
                err=True,
            )
        return False
    values: dict[str, str | None] = {}
    if load_defaults:
        for name in DOTENV_FILES:
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                values.update(dotenv.dotenv_values(found, encoding="utf-8"))
    if path is not None and os.path.isfile(path):
        values.update(dotenv.dotenv_values(path, encoding="utf-8"))
    for key, value in values.items():
        if key not in os.environ and value is not None:
            os.environ[key] = value
    return bool(values)


# ----------------------------------------------------------------- the group


def _set_app(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(ScriptInfo).app_import_path = value


def _set_debug(
    ctx: click.Context, param: click.Parameter, value: bool | None
) -> bool | None:
    # Not given: debug mode stays as MICROWEB_DEBUG says. (Some click versions
    # record the source only after the callback.)
    source = ctx.get_parameter_source(str(param.name))
    if value is None or source in {
        ParameterSource.DEFAULT,
        ParameterSource.DEFAULT_MAP,
    }:
        return None
    # An environment variable, so that a factory can read it while it runs.
    os.environ[f"{ENVVAR_PREFIX}_DEBUG"] = "1" if value else "0"
    return value


def _load_env_file(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> str | None:
    try:
        import dotenv  # noqa: F401
    except ImportError:
        if value is not None:
            raise click.BadParameter(
                "python-dotenv must be installed to load an env file"
                " (pip install 'microweb[dotenv]').",
                ctx=ctx,
                param=param,
            ) from None
    defaults = ctx.ensure_object(ScriptInfo).load_dotenv_defaults
    if value is not None or defaults:
        load_dotenv(value, load_defaults=defaults)
    return value


def _print_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(version_string(), color=ctx.color)
    ctx.exit()


_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    help="Load environment variables from this file (needs python-dotenv).",
    is_eager=True,
    expose_value=False,
    callback=_load_env_file,
)
_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    help=(
        "The app to load: 'module', 'module:name', 'module:factory(args)' or"
        " 'path/to/file.py'. By default 'wsgi.py' or 'app.py' in the current"
        " folder."
    ),
    is_eager=True,
    expose_value=False,
    callback=_set_app,
)
_debug_option = click.Option(
    ["--debug/--no-debug"],
    default=None,
    help="Debug mode (sets MICROWEB_DEBUG).",
    expose_value=False,
    callback=_set_debug,
)
version_option = click.Option(
    ["--version"],
    help="Show the microweb version and the core it runs on.",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    allow_from_autoenv=False,
    callback=_print_version,
)


class MicrowebGroup(AppGroup):
    """The ``microweb`` command: :class:`AppGroup` with the ``--app``,
    ``--env-file``, ``--debug`` and ``--version`` options, the ``run``, ``shell``
    and ``routes`` commands, the app's own commands (``app.cli``) and those that
    packages register under the ``microweb.commands`` entry point group.

    :param add_default_commands: add ``run``, ``shell`` and ``routes``.
    :param create_app: a function returning the app, instead of discovery.
    :param add_version_option: add ``--version``.
    :param load_dotenv: load ``.env`` and ``.microwebenv``.
    :param set_debug_flag: set ``app.debug`` from ``MICROWEB_DEBUG``.
    :param extra: passed to :class:`click.Group`.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: t.Callable[..., App] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: t.Any,
    ) -> None:
        params = list(extra.pop("params", None) or ())
        params.extend((_env_file_option, _app_option, _debug_option))
        if add_version_option:
            params.append(version_option)
        context_settings = dict(extra.pop("context_settings", None) or {})
        context_settings.setdefault("auto_envvar_prefix", ENVVAR_PREFIX)
        super().__init__(params=params, context_settings=context_settings, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            for command in (run_command, shell_command, routes_command):
                self.add_command(command)
        self._loaded_plugin_commands = False

    def _load_plugin_commands(self) -> None:
        if self._loaded_plugin_commands:
            return
        for entry_point in importlib.metadata.entry_points(group="microweb.commands"):
            self.add_command(entry_point.load(), entry_point.name)
        self._loaded_plugin_commands = True

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        """A built-in or plugin command, else one of the app's (loading it and
        pushing its context)."""
        self._load_plugin_commands()
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        info = ctx.ensure_object(ScriptInfo)
        try:
            app = info.load_app()
        except NoAppException as error:
            click.secho(f"Error: {error.format_message()}\n", err=True, fg="red")
            return None
        if not current_app or current_app._get_current_object() is not app:  # type: ignore[attr-defined]
            ctx.with_resource(app.app_context())
        return app.cli.get_command(ctx, name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        """The built-in, plugin and app commands; an app that fails to load is
        reported, and the others are still listed."""
        self._load_plugin_commands()
        names = set(super().list_commands(ctx))
        info = ctx.ensure_object(ScriptInfo)
        try:
            names.update(info.load_app().cli.list_commands(ctx))
        except NoAppException as error:
            click.secho(f"Error: {error.format_message()}\n", err=True, fg="red")
        except Exception:
            click.secho(f"{traceback.format_exc()}\n", err=True, fg="red")
        return sorted(names)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: t.Any,
    ) -> click.Context:
        """The context, with a :class:`ScriptInfo` as its object."""
        # app.run() becomes a no-op: a module that calls it at import time
        # must not start a server in the middle of a command.
        os.environ[f"{ENVVAR_PREFIX}_RUN_FROM_CLI"] = "true"
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app,
                set_debug_flag=self.set_debug_flag,
                load_dotenv_defaults=self.load_dotenv,
            )
        return super().make_context(info_name, args, parent=parent, **extra)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse *args*; with none, read ``--env-file`` and ``--app`` from the
        environment first, so that the help lists the app's commands."""
        if not args and self.no_args_is_help:
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        try:
            return super().parse_args(ctx, args)
        except BaseException:
            # The help (or an error) ends the command here, before click's
            # context manager would: pop the app context that listing the app's
            # commands pushed.
            ctx.close()
            raise


# ----------------------------------------------------------------- run


def show_server_banner(debug: bool, app_name: str | None) -> None:
    """Print which app is served, on which core, and the debug mode (not again in
    the reloader's child process).

    .. versionadded:: 0.1
    """
    from werkzeug.serving import is_running_from_reloader

    if is_running_from_reloader():
        return
    import microweb

    served = f" '{app_name}'" if app_name else ""
    click.echo(
        f" * Serving microweb app{served} on the {microweb.IMPLEMENTATION} core"
        f" (microweb {microweb.__version__})"
    )
    click.echo(f" * Debug mode: {'on' if debug else 'off'}")


# click 8.2 made ParamType generic; 8.1's cannot be subscripted.
class CertParamType(click.ParamType):  # type: ignore[type-arg, unused-ignore]
    """``--cert``: a certificate file, ``adhoc``, or the import name of an
    :class:`ssl.SSLContext`.

    .. versionadded:: 0.1
    """

    name = "path"

    def __init__(self) -> None:
        self.path_type = click.Path(exists=True, dir_okay=False, resolve_path=True)

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        """A path, ``"adhoc"`` or an SSL context."""
        try:
            import ssl
        except ImportError:
            raise click.BadParameter(
                'HTTPS ("--cert") needs a Python built with the ssl module.',
                ctx,
                param,
            ) from None
        try:
            return self.path_type(value, param, ctx)
        except click.BadParameter:
            text = str(value).lower()
            if text == "adhoc":
                try:
                    import cryptography  # noqa: F401
                except ImportError:
                    raise click.BadParameter(
                        "Ad-hoc certificates need the cryptography library.",
                        ctx,
                        param,
                    ) from None
                return text
            from werkzeug.utils import import_string

            context = import_string(value, silent=True)
            if isinstance(context, ssl.SSLContext):
                return context
            raise


def _validate_key(ctx: click.Context, param: click.Parameter, value: t.Any) -> t.Any:
    """Pair ``--key`` with ``--cert`` (a file); refuse it with the others."""
    cert = ctx.params.get("cert")
    is_adhoc = cert == "adhoc"
    # --cert gives a path, "adhoc" or an SSL context (without importing ssl here:
    # a Python may lack it).
    is_context = cert is not None and not isinstance(cert, str)
    if value is not None:
        if is_adhoc:
            raise click.BadParameter(
                'When "--cert" is "adhoc", "--key" is not used.', ctx, param
            )
        if is_context:
            raise click.BadParameter(
                'When "--cert" is an SSLContext object, "--key" is not used.',
                ctx,
                param,
            )
        if not cert:
            raise click.BadParameter('"--cert" must also be specified.', ctx, param)
        ctx.params["cert"] = cert, value
    elif cert and not (is_adhoc or is_context):
        raise click.BadParameter('Required when using "--cert".', ctx, param)
    return value


class SeparatedPathType(click.Path):
    """Several paths in one value, separated by :data:`os.pathsep`.

    .. versionadded:: 0.1
    """

    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> t.Any:
        """Each path, checked as :class:`click.Path` checks one."""
        items = self.split_envvar_value(value)
        return [
            super(SeparatedPathType, self).convert(item, param, ctx) for item in items
        ]


def _failing_app(error: Exception) -> t.Callable[..., t.Any]:
    """In the reloader, an app that failed to load raises its error per request,
    so that the debugger shows it and the server keeps watching for a fix."""

    def app(environ: t.Any, start_response: t.Any) -> t.Any:
        raise error from None

    return app


@click.command("run", short_help="Run a development server.")
@click.option("--host", "-h", default="127.0.0.1", help="The interface to bind to.")
@click.option("--port", "-p", default=5000, help="The port to bind to.")
@click.option(
    "--cert",
    type=CertParamType(),
    is_eager=True,
    help="A certificate file, 'adhoc', or an SSLContext import name, for HTTPS.",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    callback=_validate_key,
    expose_value=False,
    help="The key file of the certificate given with --cert.",
)
@click.option(
    "--debug/--no-debug",
    default=None,
    help="Debug mode: the reloader and the debugger unless told otherwise.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart when a file changes; on by default in debug mode.",
)
@click.option(
    "--debugger/--no-debugger",
    default=None,
    help="Werkzeug's interactive debugger; on by default in debug mode.",
)
@click.option(
    "--with-threads/--without-threads",
    default=True,
    help="Serve each request in its own thread.",
)
@click.option(
    "--extra-files",
    default=None,
    type=SeparatedPathType(),
    help=f"More files that trigger a reload, separated by {os.pathsep!r}.",
)
@click.option(
    "--exclude-patterns",
    default=None,
    type=SeparatedPathType(),
    help=(
        "fnmatch patterns of files that do not trigger a reload, separated by"
        f" {os.pathsep!r}."
    ),
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    cert: ssl.SSLContext | tuple[str, str] | t.Literal["adhoc"] | None,
    debug: bool | None,
    reload: bool | None,
    debugger: bool | None,
    with_threads: bool,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Run the app on Werkzeug's development server.

    Not for production: use a WSGI server such as gunicorn or waitress.
    """
    # Imported here: werkzeug.serving (http.server, ssl) is slow to import, and
    # only this command needs it.
    from werkzeug.serving import is_running_from_reloader, run_simple

    if debug is not None:
        # Also for the reloader's child process and for a factory reading it.
        os.environ[f"{ENVVAR_PREFIX}_DEBUG"] = "1" if debug else "0"
    application: t.Any
    try:
        application = app = info.load_app()
    except Exception as error:
        if not is_running_from_reloader():
            raise error from None
        traceback.print_exc()
        application = _failing_app(error)
        app_name = info.app_import_path
        debug = get_debug_flag() if debug is None else debug
    else:
        if debug is not None:
            app.debug = debug
        debug = app.debug
        app_name = info.app_import_path or app.name
    show_server_banner(debug, app_name)
    run_simple(
        host,
        port,
        application,
        use_reloader=debug if reload is None else reload,
        use_debugger=debug if debugger is None else debugger,
        threaded=with_threads,
        ssl_context=cert,
        extra_files=extra_files,
        exclude_patterns=exclude_patterns,
    )


# ----------------------------------------------------------------- shell


def _shell_banner(app: App) -> str:
    import microweb

    return (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.import_name} (microweb {microweb.__version__},"
        f" {microweb.IMPLEMENTATION} core)\n"
        f"Instance: {app.instance_path}"
    )


def _run_startup_file(namespace: dict[str, t.Any]) -> None:
    """Run ``PYTHONSTARTUP`` in the shell's namespace, as ``python`` does."""
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup, encoding="utf-8") as file:
            exec(compile(file.read(), startup, "exec"), namespace)


def _call_interactive_hook(namespace: dict[str, t.Any]) -> None:
    """Call ``sys.__interactivehook__`` (readline's completion and history, by
    default), completing on the shell's names."""
    hook = getattr(sys, "__interactivehook__", None)
    if hook is None:
        return
    try:
        import readline
        from rlcompleter import Completer
    except ImportError:
        pass
    else:
        readline.set_completer(Completer(namespace).complete)
    hook()


@click.command("shell", short_help="Run a Python shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """An interactive Python shell inside the app context, with ``app``, ``g``
    and the names of the app's shell context processors."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    namespace: dict[str, t.Any] = {}
    _run_startup_file(namespace)
    namespace.update(app.make_shell_context())
    _call_interactive_hook(namespace)
    code.interact(banner=_shell_banner(app), local=namespace)


# ----------------------------------------------------------------- routes


def _route_rows(
    rules: list[Rule], host_matching: bool, all_methods: bool
) -> tuple[list[str], list[list[str]]]:
    ignored = set() if all_methods else {"HEAD", "OPTIONS"}
    has_domain = any(rule.host if host_matching else rule.subdomain for rule in rules)
    headers = ["Endpoint", "Methods"]
    if has_domain:
        headers.append("Host" if host_matching else "Subdomain")
    headers.append("Rule")
    rows = []
    for rule in rules:
        row = [str(rule.endpoint), ", ".join(sorted((rule.methods or set()) - ignored))]
        if has_domain:
            row.append((rule.host if host_matching else rule.subdomain) or "")
        row.append(rule.rule)
        rows.append(row)
    return headers, rows


def _echo_table(headers: list[str], rows: list[list[str]]) -> None:
    widths = [
        max(len(row[column]) for row in [headers, *rows])
        for column in range(len(headers))
    ]
    for row in (headers, ["-" * width for width in widths], *rows):
        click.echo(
            "  ".join(
                f"{cell:<{width}}" for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )


def _echo_findings(findings: list[RuleFinding]) -> None:
    click.echo()
    click.echo("Rules that requests cannot fully reach:")
    for finding in findings:
        click.echo(f"  {finding.rule.rule} ({finding.rule.endpoint})")
        click.echo(f"    {finding.kind}: {finding.message}")


@click.command("routes", short_help="Show the routes of the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    help=(
        "How to sort the routes; 'match' keeps the map's order (grouped by"
        " endpoint, in the order endpoints were added)."
    ),
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
@click.option(
    "--check/--no-check",
    default=True,
    help="Report rules that other rules shadow or that cannot be reached.",
)
@with_appcontext
def routes_command(sort: str, all_methods: bool, check: bool) -> None:
    """Show the routes of the app, then the rules that requests cannot fully
    reach."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    rules = list(app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    headers, rows = _route_rows(rules, app.url_map.host_matching, all_methods)
    sort_columns = {"endpoint": 0, "methods": 1, "rule": len(headers) - 1}
    if len(headers) == 4:
        sort_columns["domain"] = 2
    if sort in sort_columns:
        rows.sort(key=itemgetter(sort_columns[sort]))
    _echo_table(headers, rows)
    if check:
        try:
            findings = find_shadowed_rules(app)
        except TypeError as error:
            click.echo(f"\nThe rules were not checked: {error}.")
            return
        if findings:
            _echo_findings(findings)


# ----------------------------------------------------------------- entry point

#: The ``microweb`` command.
cli = MicrowebGroup(
    name="microweb",
    help="""\
A general utility script for microweb applications.

It loads the app named by the '--app' option or the MICROWEB_APP variable, or
one in 'wsgi.py' or 'app.py' in the current folder.
""",
)


def main() -> None:
    """Run the ``microweb`` command (the console script and ``python -m
    microweb``).

    .. versionadded:: 0.1
    """
    cli.main()
