"""The application object: Flask's decorator API over the dispatch core.

:class:`App` plays the role of ``flask.Flask``. Registration (routes, hooks, error
handlers, config) is plain Python here. Serving is the dispatch core's: when the app
first serves a request, :meth:`App._prepare_dispatch` resolves, per endpoint, the view
and the hooks it runs, and hands them to ``microweb.dispatch.core.Dispatcher``. What the
core does not do itself (errors, responses that need an object, teardown) comes back
to the methods here, which follow Flask 3.1.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
import os
import sys
import typing as t
import weakref
from collections.abc import Iterator
from datetime import timedelta
from itertools import chain

from werkzeug.datastructures import Headers, ImmutableDict
from werkzeug.exceptions import (
    Aborter,
    BadRequest,
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
)
from werkzeug.routing import BuildError, RequestRedirect, RoutingException
from werkzeug.utils import cached_property
from werkzeug.utils import redirect as _redirect
from werkzeug.wrappers import Response as BaseResponse
from werkzeug.wsgi import get_host

from . import dispatch
from .cli import AppGroup, get_debug_flag
from .config import Config, ConfigAttribute
from .ctx import AppContext, RequestContext, _AppCtxGlobals
from .globals import REQUEST_CONTEXT_MESSAGE, context_var, g, request, session
from .helpers import escape_control_characters, get_flashed_messages
from .json import JSONProvider
from .registries import HookList, HookRegistry, ViewFunctions
from .routing import Map, MapAdapter, Rule, ShadowedRuleError, without_bad_port
from .scaffold import F, Scaffold, _endpoint_from_view_func, _open
from .sessions import SecureCookieSessionInterface, SessionInterface, carries_cookie
from .signals import (
    appcontext_tearing_down,
    got_request_exception,
    request_finished,
    request_started,
    request_tearing_down,
)
from .templating import (
    DispatchingJinjaLoader,
    Environment,
    _default_template_context_processor,
)
from .testing import CliRunner, EnvironBuilder, TestClient
from .wrappers import Request, Response, blueprint_chain, hook_scopes

if t.TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


def _package_folder(import_name: str) -> str:
    """The folder holding the top-level package or module of *import_name*; the
    working directory when it cannot be found (``__main__`` run as a script)."""
    top_level = import_name.partition(".")[0]
    try:
        spec = importlib.util.find_spec(top_level)
    except (ImportError, ValueError):
        return os.getcwd()
    if spec is None:
        return os.getcwd()
    if spec.origin and spec.origin not in ("built-in", "frozen", "namespace"):
        location = os.path.dirname(os.path.abspath(spec.origin))
        # A regular package: its folder is where __init__.py is.
        if spec.submodule_search_locations is None:
            return location
        return os.path.dirname(location)
    if spec.submodule_search_locations:  # a namespace package
        return os.path.dirname(os.path.abspath(spec.submodule_search_locations[0]))
    return os.getcwd()


def _default_instance_path(import_name: str, name: str) -> str:
    """Where Flask puts an app's instance folder: ``instance`` beside its package or
    module, or ``<prefix>/var/<name>-instance`` when it is installed."""
    folder = _package_folder(import_name)
    prefix = os.path.abspath(sys.prefix)
    installed_under: str | None = None
    try:
        inside_prefix = os.path.commonpath([prefix, folder]) == prefix
    except ValueError:  # on another drive
        inside_prefix = False
    if inside_prefix:
        installed_under = prefix
    else:
        parent, leaf = os.path.split(folder)
        if leaf.lower() == "site-packages":
            grandparent, parent_leaf = os.path.split(parent)
            if parent_leaf.lower() == "lib":  # <prefix>/Lib/site-packages
                installed_under = grandparent
            elif os.path.basename(grandparent).lower() == "lib":
                # <prefix>/lib/pythonX.Y/site-packages
                installed_under = os.path.dirname(grandparent)
            else:
                installed_under = parent
    if installed_under is None:
        return os.path.join(folder, "instance")
    return os.path.join(installed_under, "var", f"{name}-instance")


def _current_request() -> Request:
    """The current request object; a ``RuntimeError`` outside a request context."""
    context = context_var.get(None)
    if context is None:
        raise RuntimeError(REQUEST_CONTEXT_MESSAGE)
    return context.request


def _current_blueprints() -> list[str]:
    """The current request's blueprints, read from its rule: no request object."""
    context = context_var.get(None)
    if context is None or context.request_context is None:
        return []
    rule = context.request_context.url_rule
    return blueprint_chain(rule.endpoint if rule is not None else None)


#: The registries the dispatcher is built from (changed in place, they say so).
_REGISTRIES = (
    "view_functions",
    "before_request_funcs",
    "after_request_funcs",
    "teardown_request_funcs",
    "url_value_preprocessors",
    "teardown_appcontext_funcs",
)

#: The attributes of an app that its dispatcher is built from: setting one after
#: the first request makes the next request build the dispatcher again.
_DISPATCH_INPUTS = frozenset(
    {
        *_REGISTRIES,
        "dispatch_core",
        "flask_contexts",
        "json",
        "request_context_class",
        "response_class",
        "session_interface",
        "subdomain_matching",
        *dispatch.DISPATCH_METHODS,
    }
)


class App(Scaffold):
    """A WSGI application with Flask's API.

    ``from microweb import App as Flask`` and an app written for Flask runs here.

    :param import_name: the name of the application package or module; it sets the
        root path and the logger's name.
    :param static_url_path: the URL path of the static folder.
    :param static_folder: the folder of static files, relative to the root path.
    :param static_host: the host static files are served from, with host matching.
    :param host_matching: match rules on the host (``Rule(host=...)``).
    :param subdomain_matching: match rules on the subdomain of ``SERVER_NAME``.
    :param template_folder: the folder of templates, relative to the root path.
    :param instance_path: the instance folder (absolute); by default ``instance``
        beside the app's package or module, or ``<prefix>/var/<name>-instance``
        for an installed package, as Flask.
    :param instance_relative_config: read config files relative to the instance path.
    :param root_path: the folder the app's files are relative to.

    .. versionadded:: 0.1
    """

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    json_provider_class: type[JSONProvider] = JSONProvider
    app_ctx_globals_class = _AppCtxGlobals
    request_context_class = RequestContext
    app_context_class = AppContext
    config_class = Config
    url_rule_class = Rule
    url_map_class = Map
    test_client_class: type[TestClient] | None = None
    #: The class of :attr:`aborter`: Werkzeug's ``Aborter``, or a subclass whose
    #: ``mapping`` adds status codes of your own.
    aborter_class: type[Aborter] = Aborter
    #: The class :meth:`test_cli_runner` makes; :class:`~microweb.testing.CliRunner`
    #: when ``None``.
    test_cli_runner_class: type[CliRunner] | None = None
    #: Opens and saves sessions; the default keeps them in a signed cookie.
    session_interface: SessionInterface = SecureCookieSessionInterface()
    #: The dispatch core that serves this app; ``None`` for the one the process
    #: selected. Tests and benchmarks pin a core with a subclass (the routing core
    #: is pinned the same way, through ``url_map_class``).
    dispatch_core: t.Any = None
    #: Set Flask's context variables too, whenever a context is pushed, and send
    #: Flask's signals beside microweb's, so that Flask extensions (which use
    #: ``flask.current_app``, ``flask.request``...) work; needs Flask installed.
    #: Off by default: it costs a little per request.
    flask_contexts: bool = False
    testing = ConfigAttribute[bool]("TESTING")
    secret_key = ConfigAttribute["str | bytes | None"]("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute[timedelta](
        "PERMANENT_SESSION_LIFETIME",
        get_converter=lambda value: (
            timedelta(seconds=value) if isinstance(value, int) else value
        ),
    )

    default_config = ImmutableDict(
        {
            "DEBUG": None,
            "TESTING": False,
            "PROPAGATE_EXCEPTIONS": None,
            "SECRET_KEY": None,
            "SECRET_KEY_FALLBACKS": None,
            "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
            "USE_X_SENDFILE": False,
            "TRUSTED_HOSTS": None,
            "SERVER_NAME": None,
            "APPLICATION_ROOT": "/",
            "SESSION_COOKIE_NAME": "session",
            "SESSION_COOKIE_DOMAIN": None,
            "SESSION_COOKIE_PATH": None,
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SECURE": False,
            "SESSION_COOKIE_PARTITIONED": False,
            "SESSION_COOKIE_SAMESITE": None,
            "SESSION_REFRESH_EACH_REQUEST": True,
            "MAX_CONTENT_LENGTH": None,
            "MAX_FORM_MEMORY_SIZE": 500_000,
            "MAX_FORM_PARTS": 1_000,
            "MAX_JSON_DEPTH": 500,
            "SEND_FILE_MAX_AGE_DEFAULT": None,
            "TRAP_BAD_REQUEST_ERRORS": None,
            "TRAP_HTTP_EXCEPTIONS": False,
            "EXPLAIN_TEMPLATE_LOADING": False,
            "PREFERRED_URL_SCHEME": "http",
            "TEMPLATES_AUTO_RELOAD": None,
            "MAX_COOKIE_SIZE": 4093,
            "PROVIDE_AUTOMATIC_OPTIONS": True,
        }
    )

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError(
                "If an instance path is provided it must be absolute."
                " A relative path was given instead."
            )
        self.instance_path = instance_path
        self.static_host = static_host
        self.subdomain_matching = subdomain_matching
        self.config = self.make_config(instance_relative_config)
        self.json = self.json_provider_class(self)
        #: Raises the HTTP error for a status code: what :func:`~microweb.abort`
        #: calls. Made by :meth:`make_aborter`.
        self.aborter = self.make_aborter()
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.teardown_appcontext_funcs: list[t.Callable[..., t.Any]] = HookList(
            (), self._registry_changed
        )
        self.shell_context_processors: list[t.Callable[..., t.Any]] = []
        self.url_build_error_handlers: list[t.Callable[..., t.Any]] = []
        #: Extensions keep their state here, by name.
        self.extensions: dict[str, t.Any] = {}
        #: Registered blueprints, by registered name.
        self.blueprints: dict[str, t.Any] = {}
        self._got_first_request = False
        self._dispatcher: t.Any = None
        #: The app's commands, under the ``microweb`` command; they run inside
        #: the app context.
        self.cli: AppGroup = AppGroup(self.name)
        self.template_context_processors[None] = [_default_template_context_processor]
        if self.has_static_folder:
            if bool(static_host) != host_matching:
                raise AssertionError("Invalid static_host/host_matching combination")
            self_ref = weakref.ref(self)
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=lambda **kw: self_ref().send_static_file(**kw),  # type: ignore[union-attr]
            )

    # ------------------------------------------------------------------ properties

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        """The ``max_age`` of a file sent from the static folder
        (``SEND_FILE_MAX_AGE_DEFAULT``)."""
        value = self.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return value  # type: ignore[no-any-return]

    @cached_property
    def name(self) -> str:
        """The app's name: the import name, or the script's name for ``__main__``."""
        if self.import_name == "__main__":
            filename = getattr(sys.modules["__main__"], "__file__", None)
            if filename is None:
                return "__main__"
            return str(os.path.splitext(os.path.basename(filename))[0])
        return self.import_name

    @cached_property
    def logger(self) -> logging.Logger:
        """The app's logger, named after the app, with a handler when it has none."""
        from .logging import create_logger

        return create_logger(self)

    @property
    def debug(self) -> bool:
        """Debug mode (the ``DEBUG`` config key)."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        # An environment made already follows debug mode, as Flask's does.
        if (
            "jinja_env" in self.__dict__
            and self.config["TEMPLATES_AUTO_RELOAD"] is None
        ):
            self.jinja_env.auto_reload = self.templates_auto_reload

    def auto_find_instance_path(self) -> str:
        """The instance folder used when none is given: ``instance`` beside the
        app's package or module, or ``<prefix>/var/<name>-instance`` when it is
        installed.

        .. versionadded:: 0.1
        """
        return _default_instance_path(self.import_name, self.name)

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> t.IO[t.Any]:
        """Open *resource*, a path relative to :attr:`root_path`, for reading; as
        :meth:`Blueprint.open_resource <microweb.Blueprint.open_resource>`, but
        text is read in the locale's encoding unless *encoding* is given.

        .. versionadded:: 0.1
        """
        return super().open_resource(resource, mode, encoding)

    def open_instance_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = "utf-8"
    ) -> t.IO[t.Any]:
        """Open *resource*, a path relative to :attr:`instance_path`, in any
        *mode*: unlike :meth:`open_resource`, it may be written.

        :param resource: the file's path under :attr:`instance_path`.
        :param mode: a mode of :func:`open`.
        :param encoding: the text encoding, unused for bytes.

        .. versionadded:: 0.1
        """
        return _open(os.path.join(self.instance_path, resource), mode, encoding)

    def make_config(self, instance_relative: bool = False) -> Config:
        """The app's config, filled with the defaults."""
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = get_debug_flag()
        return self.config_class(root_path, defaults)

    # ---------------------------------------------------------------- registration

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called"
                " on the application. It has already handled its first"
                " request, any changes will not be applied"
                " consistently.\n"
                "Make sure all imports, decorators, functions, etc."
                " needed to set up the application are done before"
                " running it."
            )

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Register a rule and, with *view_func*, the view for its endpoint.

        :param rule: the URL rule, e.g. ``/user/<int:id>``.
        :param endpoint: the endpoint name; the view's ``__name__`` by default.
        :param view_func: the function that answers the rule.
        :param provide_automatic_options: answer ``OPTIONS`` automatically.
        :param options: passed to :class:`~microweb.routing.Rule` (``methods``,
            ``defaults``, ``strict_slashes``, ...).
        """
        self._check_setup_finished("add_url_rule")
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for"
                ' example: @app.route(..., methods=["POST"])'
            )
        methods = {method.upper() for method in methods}
        required = set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(
                view_func, "provide_automatic_options", None
            )
        if provide_automatic_options is None:
            if "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]:
                provide_automatic_options = True
                required.add("OPTIONS")
            else:
                provide_automatic_options = False
        try:
            self._add_rule(rule, methods | required, provide_automatic_options, options)
        except ShadowedRuleError:
            if view_func is not None or endpoint in self.view_functions:
                raise
            # A rule without a view under the pattern of an earlier rule, as
            # Flask's tutorial adds "/" for the endpoint "index" beside its blog's
            # index: it can only build URLs (in Flask it never matches either).
            options["build_only"] = True
            self._add_rule(rule, methods | required, provide_automatic_options, options)
        if view_func is not None:
            existing = self.view_functions.get(endpoint)
            if existing is not None and existing != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing"
                    f" endpoint function: {endpoint}"
                )
            self.view_functions[endpoint] = view_func

    def _add_rule(
        self,
        rule: str,
        methods: set[str],
        provide_automatic_options: bool,
        options: dict[str, t.Any],
    ) -> None:
        rule_object = self.url_rule_class(rule, methods=methods, **options)
        rule_object.provide_automatic_options = provide_automatic_options  # type: ignore[attr-defined]
        self.url_map.add(rule_object)

    def teardown_appcontext(self, function: F) -> F:
        """Run *function* when each app context ends, with its error or ``None``."""
        self._check_setup_finished("teardown_appcontext")
        self.teardown_appcontext_funcs.append(function)
        return function

    def shell_context_processor(self, function: F) -> F:
        """Register a function whose dict is added to the shell's namespace."""
        self._check_setup_finished("shell_context_processor")
        self.shell_context_processors.append(function)
        return function

    def make_shell_context(self) -> dict[str, t.Any]:
        """The names ``microweb shell`` starts with: ``app``, ``g``, and those the
        shell context processors return.

        .. versionadded:: 0.1
        """
        namespace: dict[str, t.Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            namespace.update(processor())
        return namespace

    def register_blueprint(self, blueprint: t.Any, **options: t.Any) -> None:
        """Register a :class:`~microweb.Blueprint`; *options* override its
        ``url_prefix``, ``subdomain``, ``url_defaults`` and ``name``."""
        self._check_setup_finished("register_blueprint")
        blueprint.register(self, options)

    def iter_blueprints(self) -> t.ValuesView[t.Any]:
        """The registered blueprints, in registration order."""
        return self.blueprints.values()

    # ------------------------------------------------------------------ contexts

    def app_context(self) -> AppContext:
        """A new app context, for ``with app.app_context():``."""
        return self.app_context_class(self)

    def request_context(self, environ: WSGIEnvironment) -> RequestContext:
        """A new request context for *environ*."""
        return self.request_context_class(self, environ)

    def test_request_context(self, *args: t.Any, **kwargs: t.Any) -> RequestContext:
        """A request context for an environ built from Werkzeug's
        ``EnvironBuilder`` arguments, with the app's host and scheme."""
        builder = EnvironBuilder(self, *args, **kwargs)
        try:
            return self.request_context(builder.get_environ())
        finally:
            builder.close()

    def test_client(self, use_cookies: bool = True, **kwargs: t.Any) -> TestClient:
        """A test client for the app (``app.testing = True`` lets errors through)."""
        cls = self.test_client_class or TestClient
        return cls(self, self.response_class, use_cookies=use_cookies, **kwargs)

    def test_cli_runner(self, **kwargs: t.Any) -> CliRunner:
        """A click test runner whose ``invoke`` runs the app's commands
        (:attr:`cli` by default) with this app loaded.

        :param kwargs: passed to :class:`click.testing.CliRunner`.

        .. versionadded:: 0.1
        """
        cls = self.test_cli_runner_class or CliRunner
        return cls(self, **kwargs)

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """The URL adapter for *request*, or for ``SERVER_NAME`` outside one."""
        if request is not None:
            trusted_hosts = self.config["TRUSTED_HOSTS"]
            if trusted_hosts is not None:
                request.trusted_hosts = trusted_hosts
            request.host = without_bad_port(
                get_host(request.environ, request.trusted_hosts)
            )
            subdomain = None
            server_name = self.config["SERVER_NAME"]
            if self.url_map.host_matching:
                server_name = None
            elif not self.subdomain_matching:
                subdomain = self.url_map.default_subdomain or ""
            return self.url_map.bind_to_environ(
                request.environ, server_name=server_name, subdomain=subdomain
            )
        if self.config["SERVER_NAME"] is not None:
            return self.url_map.bind(
                self.config["SERVER_NAME"],
                script_name=self.config["APPLICATION_ROOT"],
                url_scheme=self.config["PREFERRED_URL_SCHEME"],
            )
        return None

    def match_request(self, context: RequestContext) -> None:
        """Match the context's request, recording the rule or the routing error."""
        request = context.request
        try:
            adapter = context.url_adapter
            assert adapter is not None
            rule, view_args = adapter.match(return_rule=True)
        except HTTPException as error:
            context.routing_exception = request.routing_exception = error
        else:
            context.url_rule = request.url_rule = rule
            context.view_args = request.view_args = dict(view_args)

    # ------------------------------------------------------------------ serving

    def wsgi_app(
        self, environ: WSGIEnvironment, start_response: StartResponse
    ) -> t.Iterable[bytes]:
        """The WSGI application: the dispatch core serves the request."""
        return self._current_dispatcher().serve(  # type: ignore[no-any-return]
            self, environ, start_response
        )

    #: ``app(environ, start_response)`` calls :meth:`wsgi_app`. It is a function of
    #: the dispatch core: compiled, a server's call reaches the dispatcher without
    #: a Python frame.
    __call__ = dispatch.core.call_app

    def __setattr__(self, name: str, value: t.Any) -> None:
        if name == "wsgi_app":
            app_ref = getattr(value, "app_ref", None)
            if isinstance(app_ref, weakref.ref) and app_ref() is not self:
                # Another app's dispatcher: the app's ``__call__`` would hand it
                # this app. Through ``__call__`` it serves its own, as another
                # app's ``wsgi_app`` does in Flask.
                value = value.__call__
        super().__setattr__(name, value)
        if name in _DISPATCH_INPUTS and self.__dict__.get("_dispatcher") is not None:
            # The dispatcher was built from the old value: the next request
            # builds it again (as Flask, which reads these per request).
            self._drop_dispatcher()

    def _view_registry(self) -> dict[str, t.Callable[..., t.Any]]:
        return ViewFunctions(self._registry_changed)

    def _hook_registry(self) -> HookRegistry:
        return HookRegistry(self._registry_changed)

    @cached_property
    def _registry_changed(self) -> t.Callable[[], None]:
        """What the app's registries call when changed in place: the next request
        builds the dispatcher again. It holds the app weakly, as they are the
        app's."""
        app_ref = weakref.ref(self)

        def registry_changed() -> None:
            app = app_ref()
            if app is not None and app.__dict__.get("_dispatcher") is not None:
                app._drop_dispatcher()

        return registry_changed

    def _drop_dispatcher(self) -> None:
        """Forget the dispatcher, and the ``wsgi_app`` that is it: the next request
        builds it again. Middleware that wrapped it keeps calling it, and it hands
        each request on to the new one."""
        dispatcher = self.__dict__.get("_dispatcher")
        self.__dict__["_dispatcher"] = None
        if self.__dict__.get("wsgi_app") is dispatcher:
            del self.__dict__["wsgi_app"]
        if dispatcher is not None:
            dispatcher.stale = True

    def _current_dispatcher(self) -> t.Any:
        """The dispatcher, built when there is none yet."""
        dispatcher = self._dispatcher
        if dispatcher is None:
            dispatcher = self._prepare_dispatch()
        return dispatcher

    def _prepare_dispatch(self) -> t.Any:
        """Resolve each endpoint's view and hooks once, and build the dispatcher."""
        self._got_first_request = True
        self.url_map.update()
        self._dispatcher = dispatch.build(self, self.dispatch_core)
        if "wsgi_app" not in self.__dict__:
            # From now on ``app(environ, start_response)`` reaches the core
            # without this method's frame; middleware set on ``app.wsgi_app``
            # before the first request is kept as it is.
            self.wsgi_app = self._dispatcher  # type: ignore[method-assign]
        return self._dispatcher

    def full_dispatch_request(self) -> Response:
        """Serve the current request, already matched: send ``request_started``,
        run :meth:`preprocess_request` and, unless a hook answered,
        :meth:`dispatch_request`; hand an error to :meth:`handle_user_exception`;
        return what :meth:`finalize_request` makes of the result.

        The dispatch core does this work itself. When a subclass (or the instance)
        overrides this method, :meth:`preprocess_request`,
        :meth:`dispatch_request` or :meth:`raise_routing_exception`, the core
        matches each request and then calls this method to serve it, so the
        override is honoured; each request then builds its request and response
        objects, which costs several times what the core alone does.
        """
        self._got_first_request = True
        try:
            request_started.send(self, _async_wrapper=self.ensure_sync)
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as error:
            rv = self.handle_user_exception(error)
        return self.finalize_request(rv)

    def preprocess_request(self) -> t.Any:
        """Run the URL value preprocessors, then the ``before_request`` hooks, of
        the app first and then of each blueprint from the outermost in; return the
        first value a hook returns (the response), or ``None``."""
        req = _current_request()
        endpoint = req.endpoint
        names = hook_scopes(endpoint)
        for name in names:
            for preprocessor in self.url_value_preprocessors.get(name, ()):
                preprocessor(endpoint, req.view_args)
        for name in names:
            for function in self.before_request_funcs.get(name, ()):
                rv = self.ensure_sync(function)()
                if rv is not None:
                    return rv
        return None

    def dispatch_request(self) -> t.Any:
        """Call the matched rule's view with the URL's values and return what it
        returns: raise the routing error through :meth:`raise_routing_exception`
        when nothing matched, and answer an ``OPTIONS`` request for a rule with
        automatic options."""
        req = _current_request()
        if req.routing_exception is not None:
            self.raise_routing_exception(req)
        rule = req.url_rule
        if (
            getattr(rule, "provide_automatic_options", False)
            and req.method == "OPTIONS"
        ):
            return self.make_default_options_response()
        view = self.ensure_sync(self.view_functions[rule.endpoint])  # type: ignore[union-attr]
        return view(**req.view_args)  # type: ignore[arg-type]

    def request_domain(self, context: RequestContext) -> str | None:
        """The domain part the request is matched on, from its host; ``None``, with
        the error recorded, when the host is refused (``TRUSTED_HOSTS``)."""
        try:
            adapter = context.url_adapter
        except HTTPException as error:
            context.routing_exception = error
            return None
        assert adapter is not None
        return adapter._domain

    def ensure_sync(self, func: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        """*func* itself, or a synchronous wrapper when it is a coroutine function."""
        if inspect.iscoroutinefunction(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(
        self, func: t.Callable[..., t.Coroutine[t.Any, t.Any, t.Any]]
    ) -> t.Callable[..., t.Any]:
        """Run a coroutine function to completion on each call (needs asgiref)."""
        try:
            asgiref_sync = importlib.import_module("asgiref.sync")
        except ImportError:
            raise RuntimeError(
                "Install microweb with the 'async' extra in order to use async views:"
                " pip install 'microweb[async]'."
            ) from None
        return t.cast(t.Callable[..., t.Any], asgiref_sync.async_to_sync(func))

    def raise_routing_exception(self, request: Request) -> t.NoReturn:
        """Raise the request's routing error (404, 405 or a redirect); called by
        :meth:`dispatch_request`."""
        raise request.routing_exception  # type: ignore[misc]

    def routing_redirect(self, context: RequestContext, new_path: str) -> HTTPException:
        """The routing error for a path that matches once changed to *new_path* (a
        trailing slash, or merged slashes): the redirect, or a 400 when the
        request's host cannot be bound (IDNA cannot encode it)."""
        from urllib.parse import quote

        from .rules import SEGMENT_SAFE

        try:
            # Binding refuses a host IDNA cannot encode (BadHost), as Flask's
            # request context does when it binds.
            adapter = context.url_adapter
            assert adapter is not None
            redirect = RequestRedirect(
                adapter.make_redirect_url(
                    quote(new_path, safe=SEGMENT_SAFE, errors="surrogatepass")
                )
            )
        except HTTPException as error:
            return error
        return redirect

    def redirect_after_match(
        self, context: RequestContext, rule: Rule, values: dict[str, t.Any], method: str
    ) -> HTTPException | None:
        """The routing error a matched rule asks for (the redirect of an alias,
        defaults or ``redirect_to``, or a 400 when the request's host cannot be
        bound), or ``None``."""
        try:
            adapter = context.url_adapter
            assert adapter is not None
            adapter._redirect_after_match(rule, values, method, None, adapter.path_info)
        except RequestRedirect as redirect:
            return redirect
        except HTTPException as error:
            return error
        return None

    def make_default_options_response(self) -> Response:
        """The automatic ``OPTIONS`` response: an ``Allow`` header."""
        adapter = context_var.get().url_adapter
        assert adapter is not None
        methods = adapter.allowed_methods()
        response = self.response_class()
        response.allow.update(methods)
        return response

    def make_response(self, rv: t.Any) -> Response:
        """Turn a view's return value into a response object, as Flask does."""
        status = headers = None
        if isinstance(rv, tuple):
            if len(rv) == 3:
                rv, status, headers = rv
            elif len(rv) == 2:
                if isinstance(rv[1], (Headers, dict, tuple, list)):
                    rv, headers = rv
                else:
                    rv, status = rv
            else:
                raise TypeError(
                    "The view function did not return a valid response tuple."
                    " The tuple must have the form (body, status, headers),"
                    " (body, status), or (body, headers)."
                )
        if rv is None:
            raise TypeError(
                f"The view function for {request.endpoint!r} did not"
                " return a valid response. The function either returned"
                " None or ended without a return statement."
            )
        if not isinstance(rv, self.response_class):
            if isinstance(rv, (str, bytes, bytearray, Iterator)):
                rv = self.response_class(rv, status=status, headers=headers)  # type: ignore[arg-type]
                status = headers = None
            elif isinstance(rv, (dict, list)):
                rv = self.json.response(rv)
            elif isinstance(rv, BaseResponse) or callable(rv):
                try:
                    rv = self.response_class.force_type(rv, request.environ)
                except TypeError as error:
                    raise TypeError(
                        f"{error}\nThe view function did not return a valid"
                        " response. The return type must be a string,"
                        " dict, list, tuple with headers or status,"
                        " Response instance, or WSGI callable, but it"
                        f" was a {type(rv).__name__}."
                    ).with_traceback(sys.exc_info()[2]) from None
            else:
                raise TypeError(
                    "The view function did not return a valid"
                    " response. The return type must be a string,"
                    " dict, list, tuple with headers or status,"
                    " Response instance, or WSGI callable, but it was a"
                    f" {type(rv).__name__}."
                )
        if status is not None:
            if isinstance(status, (str, bytes, bytearray)):
                rv.status = status
            else:
                rv.status_code = status
        if headers:
            rv.headers.update(headers)
        return rv  # type: ignore[no-any-return]

    def process_response(self, response: Response) -> Response:
        """Run ``after_this_request`` functions, then the ``after_request`` hooks."""
        context = context_var.get()
        for function in context.request_context._after_request_functions or ():  # type: ignore[union-attr]
            response = self.ensure_sync(function)(response)
        for name in chain(_current_blueprints(), (None,)):
            for function in reversed(self.after_request_funcs.get(name, ())):
                response = self.ensure_sync(function)(response)
        self._save_session(context.request_context, response)  # type: ignore[arg-type]
        return response

    def _save_session(self, context: RequestContext, response: Response) -> None:
        session = context._session
        if session is None:
            # Never touched: a cookie session without its cookie has nothing to
            # save (another interface may, so it is opened for it).
            if type(
                self.session_interface
            ) is SecureCookieSessionInterface and not carries_cookie(
                context.environ, self.session_interface.get_cookie_name(self)
            ):
                return
            session = context.open_session()
        if not self.session_interface.is_null_session(session):
            self.session_interface.save_session(self, session, response)

    def _session_headers(self, context: RequestContext) -> list[tuple[str, str]] | None:
        """The headers :meth:`_save_session` adds to a response, for the dispatch
        core to send on a direct answer: those of the stock cookie interface, or
        ``None`` (a response object is needed) for any other."""
        interface = self.session_interface
        if type(interface) is not SecureCookieSessionInterface:
            return None
        session = context._session
        if session is None:
            if not carries_cookie(context.environ, interface.get_cookie_name(self)):
                return []
            session = context.open_session()
        if interface.is_null_session(session):
            return []
        return interface.cookie_headers(self, session)

    def finalize_request(self, rv: t.Any, from_error_handler: bool = False) -> Response:
        """Make the response and run the ``after_request`` hooks on it."""
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            request_finished.send(
                self, _async_wrapper=self.ensure_sync, response=response
            )
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception(
                "Request finalizing failed with an error while handling an error"
            )
        return response

    def _find_error_handler(
        self, error: BaseException, blueprints: list[str]
    ) -> t.Callable[..., t.Any] | None:
        exc_class, code = self._get_exc_class_and_code(type(error))
        names = (*blueprints, None)
        for key in (code, None) if code is not None else (None,):
            for name in names:
                handlers = self.error_handler_spec.get(name, {}).get(key)
                if not handlers:
                    continue
                for cls in exc_class.__mro__:
                    handler = handlers.get(cls)
                    if handler is not None:
                        return handler
        return None

    def trap_http_exception(self, error: Exception) -> bool:
        """Whether *error* should propagate instead of becoming a response."""
        if self.config["TRAP_HTTP_EXCEPTIONS"]:
            return True
        trap_bad_request = self.config["TRAP_BAD_REQUEST_ERRORS"]
        if (
            trap_bad_request is None
            and self.debug
            and isinstance(error, BadRequestKeyError)
        ):
            return True
        if trap_bad_request:
            return isinstance(error, BadRequest)
        return False

    def handle_http_exception(self, error: HTTPException) -> t.Any:
        """The response for an HTTP error: its handler's, or the error itself."""
        if error.code is None:
            return error
        if isinstance(error, RoutingException):
            return error
        handler = self._find_error_handler(error, _current_blueprints())
        if handler is None:
            return error
        return self.ensure_sync(handler)(error)

    def handle_user_exception(self, error: Exception) -> t.Any:
        """Handle an error raised by a hook or a view; re-raise it when no handler
        takes it."""
        if isinstance(error, BadRequestKeyError) and (
            self.debug or self.config["TRAP_BAD_REQUEST_ERRORS"]
        ):
            error.show_exception = True
        if isinstance(error, HTTPException) and not self.trap_http_exception(error):
            return self.handle_http_exception(error)
        handler = self._find_error_handler(error, _current_blueprints())
        if handler is None:
            raise error
        return self.ensure_sync(handler)(error)

    def handle_exception(self, error: Exception) -> Response:
        """Handle an error no handler took: re-raise it when propagating, else log
        it and answer 500 (through a 500 handler when there is one)."""
        exc_info = sys.exc_info()
        got_request_exception.send(
            self, _async_wrapper=self.ensure_sync, exception=error
        )
        propagate = self.config["PROPAGATE_EXCEPTIONS"]
        if propagate is None:
            propagate = self.testing or self.debug
        if propagate:
            if exc_info[1] is error:
                raise
            raise error
        self.log_exception(exc_info)
        server_error: t.Any = InternalServerError(original_exception=error)
        handler = self._find_error_handler(server_error, _current_blueprints())
        if handler is not None:
            server_error = self.ensure_sync(handler)(server_error)
        return self.finalize_request(server_error, from_error_handler=True)

    def log_exception(self, exc_info: t.Any) -> None:
        """Log an unhandled error of the current request."""
        self.logger.error(
            f"Exception on {request.path} [{request.method}]", exc_info=exc_info
        )

    def should_ignore_error(self, error: BaseException | None) -> bool:
        """Whether teardown functions should see *error* (no, when this says so)."""
        return False

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_request`` functions, last registered first."""
        for name in chain(_current_blueprints(), (None,)):
            for function in reversed(self.teardown_request_funcs.get(name, ())):
                self.ensure_sync(function)(exc)
        request_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_appcontext`` functions, last registered first."""
        for function in reversed(self.teardown_appcontext_funcs):
            self.ensure_sync(function)(exc)
        appcontext_tearing_down.send(self, _async_wrapper=self.ensure_sync, exc=exc)

    # ------------------------------------------------------------------ templates
    # The environment and the loaders are made on first use: an app that never
    # renders never builds them, and no request path reads them.

    #: The class :meth:`create_jinja_environment` instantiates.
    jinja_environment: type[Environment] = Environment
    #: Options for the Jinja environment, read once, when :attr:`jinja_env` is
    #: made; changing them afterwards has no effect.
    jinja_options: dict[str, t.Any] = {}

    @cached_property
    def jinja_env(self) -> Environment:
        """The app's Jinja environment, made on first access by
        :meth:`create_jinja_environment`.

        .. versionadded:: 0.1
        """
        return self.create_jinja_environment()

    def create_jinja_environment(self) -> Environment:
        """Make the Jinja environment from :attr:`jinja_options`, with
        :meth:`select_jinja_autoescape` as autoescape, auto reload following
        :attr:`templates_auto_reload`, and Flask's globals (``url_for``,
        ``get_flashed_messages``, ``config``, ``request``, ``session``, ``g``).

        .. versionadded:: 0.1
        """
        options = dict(self.jinja_options)
        options.setdefault("autoescape", self.select_jinja_autoescape)
        options.setdefault("auto_reload", self.templates_auto_reload)
        environment = self.jinja_environment(self, **options)
        environment.globals.update(
            url_for=self.url_for,
            get_flashed_messages=get_flashed_messages,
            config=self.config,
            request=request,
            session=session,
            g=g,
        )
        environment.policies["json.dumps_function"] = self.json.dumps
        return environment

    def create_global_jinja_loader(self) -> DispatchingJinjaLoader:
        """The loader of :attr:`jinja_env`: the app's template folder, then the
        blueprints'.

        .. versionadded:: 0.1
        """
        return DispatchingJinjaLoader(self)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Whether to autoescape the template *filename*: ``.html``, ``.htm``,
        ``.xml``, ``.xhtml`` and ``.svg`` files, and templates from strings.

        .. versionadded:: 0.1
        """
        if filename is None:
            return True
        return filename.endswith((".html", ".htm", ".xml", ".xhtml", ".svg"))

    @property
    def templates_auto_reload(self) -> bool:
        """Whether changed template files are reloaded: ``TEMPLATES_AUTO_RELOAD``,
        or debug mode when it is ``None``.

        .. versionadded:: 0.1
        """
        value = self.config["TEMPLATES_AUTO_RELOAD"]
        return bool(self.debug if value is None else value)

    @templates_auto_reload.setter
    def templates_auto_reload(self, value: bool) -> None:
        self.config["TEMPLATES_AUTO_RELOAD"] = value

    def update_template_context(self, context: dict[str, t.Any]) -> None:
        """Add the context processors' values to *context*: the app's, then those
        of the current request's blueprints, outermost first. The values already
        in *context* win.

        .. versionadded:: 0.1
        """
        given = context.copy()
        names = chain((None,), reversed(_current_blueprints()))
        for name in names:
            for function in self.template_context_processors.get(name, ()):
                context.update(self.ensure_sync(function)())
        context.update(given)

    def template_filter(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a function to register it as a template filter.

        :param name: the filter's name; the function's name by default.

        .. versionadded:: 0.1
        """
        return self._template_decorator(self.add_template_filter, name)

    def add_template_filter(
        self, function: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        """Register *function* as a template filter, under *name* or its own name.

        .. versionadded:: 0.1
        """
        self._check_setup_finished("add_template_filter")
        self.jinja_env.filters[name or function.__name__] = function

    def template_test(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a function to register it as a template test (``is name``).

        :param name: the test's name; the function's name by default.

        .. versionadded:: 0.1
        """
        return self._template_decorator(self.add_template_test, name)

    def add_template_test(
        self, function: t.Callable[..., bool], name: str | None = None
    ) -> None:
        """Register *function* as a template test, under *name* or its own name.

        .. versionadded:: 0.1
        """
        self._check_setup_finished("add_template_test")
        self.jinja_env.tests[name or function.__name__] = function

    def template_global(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a function to make it a global of every template.

        :param name: the global's name; the function's name by default.

        .. versionadded:: 0.1
        """
        return self._template_decorator(self.add_template_global, name)

    def add_template_global(
        self, function: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        """Make *function* a global of every template, under *name* or its own name.

        .. versionadded:: 0.1
        """
        self._check_setup_finished("add_template_global")
        self.jinja_env.globals[name or function.__name__] = function

    def _template_decorator(
        self, register: t.Callable[..., None], name: str | None
    ) -> t.Callable[[F], F]:
        self._check_setup_finished(register.__name__.removeprefix("add_"))

        def decorator(function: F) -> F:
            register(function, name=name)
            return function

        return decorator

    # ------------------------------------------------------------------ URLs

    def inject_url_defaults(self, endpoint: str, values: dict[str, t.Any]) -> None:
        """Let the ``url_defaults`` functions fill *values* for *endpoint*."""
        names: t.Iterable[str | None] = (None,)
        if "." in endpoint:
            blueprint = endpoint.rpartition(".")[0].split(".")
            parents = [
                ".".join(blueprint[:end]) for end in range(1, len(blueprint) + 1)
            ]
            names = chain(names, parents)
        for name in names:
            for function in self.url_default_functions.get(name, ()):
                function(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, t.Any]
    ) -> str:
        """Ask ``url_build_error_handlers`` for a URL; re-raise when none gives one."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as raised:
                error = raised
            else:
                if rv is not None:
                    return rv  # type: ignore[no-any-return]
        if error is sys.exc_info()[1]:
            raise
        raise error

    def url_for(
        self,
        /,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: t.Any,
    ) -> str:
        """Build the URL of *endpoint*; see :func:`microweb.url_for`."""
        context = context_var.get(None)
        request_context = context.request_context if context is not None else None
        if request_context is not None:
            url_adapter = request_context.url_adapter
            blueprints = _current_blueprints()
            blueprint = blueprints[0] if blueprints else None
            if endpoint[:1] == ".":
                endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
        else:
            if context is not None:
                url_adapter = context.url_adapter
            else:
                url_adapter = self.create_url_adapter(None)
            if url_adapter is None:
                raise RuntimeError(
                    "Unable to build URLs outside an active request"
                    " without 'SERVER_NAME' configured. Also configure"
                    " 'APPLICATION_ROOT' and 'PREFERRED_URL_SCHEME' as"
                    " needed."
                )
            if _external is None:
                _external = True
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        self.inject_url_defaults(endpoint, values)
        try:
            rv = url_adapter.build(  # type: ignore[union-attr]
                endpoint,
                values,
                method=_method,
                url_scheme=_scheme,
                force_external=_external,
            )
        except BuildError as error:
            values.update(
                _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external
            )
            return self.handle_url_build_error(error, endpoint, values)
        if _anchor is not None:
            from urllib.parse import quote

            rv = f"{rv}#{quote(_anchor, safe='%!#$&' + chr(39) + '()*+,/:;=?@')}"
        return rv

    def redirect(self, location: str, code: int = 302) -> BaseResponse:
        """A redirect response to *location*. Its control characters, line breaks
        above all, are percent-encoded: Werkzeug refuses them in the ``Location``
        header (a 500 in Flask), and a target taken from the client must not end
        the header."""
        if isinstance(location, str):
            location = escape_control_characters(location)
        return _redirect(location, code=code, Response=self.response_class)

    def make_aborter(self) -> Aborter:
        """Make :attr:`aborter`, an instance of :attr:`aborter_class`.

        .. versionadded:: 0.1
        """
        return self.aborter_class()

    # ------------------------------------------------------------------ running

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: t.Any,
    ) -> None:
        """Serve the app with Werkzeug's development server (not for production).

        :param host: the interface, ``127.0.0.1`` by default.
        :param port: the port, 5000 by default (or ``SERVER_NAME``'s).
        :param debug: debug mode: the reloader and the interactive debugger.
        :param load_dotenv: load ``.env`` and ``.microwebenv`` first (with
            python-dotenv), unless ``MICROWEB_SKIP_DOTENV`` is set; then
            ``MICROWEB_DEBUG``, when set, gives debug mode.
        :param options: passed to :func:`werkzeug.serving.run_simple`.

        Under the ``microweb`` command (``microweb run`` and the others) this
        does nothing: the command serves the app, or is not meant to.
        """
        import click
        from werkzeug.serving import is_running_from_reloader, run_simple

        from . import cli

        if os.environ.get(f"{cli.ENVVAR_PREFIX}_RUN_FROM_CLI") == "true":
            if not is_running_from_reloader():
                click.secho(
                    " * Ignoring a call to 'app.run()' that would block the"
                    " 'microweb' command. Call it only under"
                    " 'if __name__ == \"__main__\":'.",
                    fg="red",
                )
            return
        if cli.get_load_dotenv(load_dotenv):
            cli.load_dotenv()
            if f"{cli.ENVVAR_PREFIX}_DEBUG" in os.environ:
                self.debug = cli.get_debug_flag()
        if debug is not None:
            self.debug = bool(debug)
        server_name = self.config.get("SERVER_NAME")
        server_host = server_port = None
        if server_name:
            server_host, _, server_port = server_name.partition(":")
        host = host or server_host or "127.0.0.1"
        if port is None:
            port = int(server_port) if server_port else 5000
        options.setdefault("use_reloader", self.debug)
        options.setdefault("use_debugger", self.debug)
        options.setdefault("threaded", True)
        cli.show_server_banner(self.debug, self.name)
        try:
            run_simple(t.cast(str, host), port, self, **options)
        finally:
            self._got_first_request = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


__all__ = ["App", "RequestRedirect"]
