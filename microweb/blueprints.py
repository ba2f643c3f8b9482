"""Blueprints: groups of routes, hooks and error handlers registered on an app.

A blueprint records what is registered on it and replays it on each app it is
registered on, under its name: its endpoints become ``name.endpoint``, its hooks and
error handlers apply to its own endpoints (and those of blueprints nested in it).
The dispatch core resolves each endpoint's chain of hooks once, when the app first
serves, so blueprints cost nothing per request.
"""

from __future__ import annotations

import os
import typing as t
from collections.abc import Callable
from functools import update_wrapper

from .app import ErrorKey, _endpoint_from_view_func, _get_root_path

if t.TYPE_CHECKING:
    from .app import App

F = t.TypeVar("F", bound=t.Callable[..., t.Any])
DeferredSetup = Callable[["BlueprintSetupState"], None]


class BlueprintSetupState:
    """Where and how a blueprint is being registered: passed to the functions it
    recorded.

    .. versionadded:: 0.1
    """

    def __init__(
        self,
        blueprint: Blueprint,
        app: App,
        options: t.Any,
        first_registration: bool,
    ) -> None:
        self.app = app
        self.blueprint = blueprint
        self.options = options
        self.first_registration = first_registration
        subdomain = options.get("subdomain")
        self.subdomain = blueprint.subdomain if subdomain is None else subdomain
        url_prefix = options.get("url_prefix")
        self.url_prefix = blueprint.url_prefix if url_prefix is None else url_prefix
        self.name = options.get("name", blueprint.name)
        self.name_prefix = options.get("name_prefix", "")
        self.url_defaults = dict(blueprint.url_values_defaults)
        self.url_defaults.update(options.get("url_defaults", ()))

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        **options: t.Any,
    ) -> None:
        """Register a rule on the app, under the blueprint's prefix and name."""
        if self.url_prefix is not None:
            if rule:
                rule = "/".join((self.url_prefix.rstrip("/"), rule.lstrip("/")))
            else:
                rule = self.url_prefix
        options.setdefault("subdomain", self.subdomain)
        if endpoint is None:
            endpoint = _endpoint_from_view_func(view_func)
        defaults = self.url_defaults
        if "defaults" in options:
            defaults = dict(defaults, **options.pop("defaults"))
        self.app.add_url_rule(
            rule,
            f"{self.name_prefix}.{self.name}.{endpoint}".lstrip("."),
            view_func,
            defaults=defaults,
            **options,
        )


class Blueprint:
    """A set of routes, hooks and error handlers to register on apps.

    :param name: the blueprint's name; its endpoints are ``name.endpoint``.
    :param import_name: the blueprint's package or module (``__name__``).
    :param static_folder: a folder of static files served at ``static_url_path``.
    :param static_url_path: the URL path of the static folder.
    :param template_folder: a folder of templates.
    :param url_prefix: a path prefixed to all the blueprint's rules.
    :param subdomain: the subdomain of the blueprint's rules.
    :param url_defaults: default values for the blueprint's views.
    :param root_path: the folder the blueprint's files are relative to.
    :param cli_group: accepted for Flask compatibility.

    .. versionadded:: 0.1
    """

    _got_registered_once = False

    def __init__(
        self,
        name: str,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        url_prefix: str | None = None,
        subdomain: str | None = None,
        url_defaults: dict[str, t.Any] | None = None,
        root_path: str | None = None,
        cli_group: str | None = None,
    ) -> None:
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        self.name = name
        self.import_name = import_name
        self.root_path = root_path or _get_root_path(import_name)
        self.static_folder = (
            os.path.join(self.root_path, static_folder)
            if static_folder is not None
            else None
        )
        self.static_url_path = static_url_path
        if self.static_url_path is None and static_folder is not None:
            self.static_url_path = "/" + os.path.basename(os.fspath(static_folder))
        self.template_folder = template_folder
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.url_values_defaults = url_defaults or {}
        self.cli_group = cli_group
        self.deferred_functions: list[DeferredSetup] = []
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []
        self.view_functions: dict[str, t.Callable[..., t.Any]] = {}
        self.error_handler_spec: dict[
            str | None,
            dict[int | None, dict[type[BaseException], t.Callable[..., t.Any]]],
        ] = {}
        self.before_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = {}
        self.after_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = {}
        self.teardown_request_funcs: dict[str | None, list[t.Callable[..., t.Any]]] = {}
        self.url_value_preprocessors: dict[
            str | None, list[t.Callable[..., t.Any]]
        ] = {}
        self.url_default_functions: dict[str | None, list[t.Callable[..., t.Any]]] = {}
        self.template_context_processors: dict[
            str | None, list[t.Callable[..., t.Any]]
        ] = {}

    @property
    def has_static_folder(self) -> bool:
        """Whether the blueprint serves a static folder."""
        return self.static_folder is not None

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_registered_once:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the blueprint"
                f" '{self.name}'. It has already been registered at least once, any"
                " changes will not be applied consistently.\n"
                "Make sure all imports, decorators, functions, etc. needed to set up"
                " the blueprint are done before registering it."
            )

    # ----------------------------------------------------------- recording

    def record(self, func: DeferredSetup) -> None:
        """Call ``func(state)`` on every registration of the blueprint."""
        self._check_setup_finished("record")
        self.deferred_functions.append(func)

    def record_once(self, func: DeferredSetup) -> None:
        """Call ``func(state)`` on the blueprint's first registration on an app."""

        def wrapper(state: BlueprintSetupState) -> None:
            if state.first_registration:
                func(state)

        self.record(update_wrapper(wrapper, func))

    def make_setup_state(
        self, app: App, options: dict[str, t.Any], first_registration: bool = False
    ) -> BlueprintSetupState:
        """The state passed to the recorded functions."""
        return BlueprintSetupState(self, app, options, first_registration)

    def register_blueprint(self, blueprint: Blueprint, **options: t.Any) -> None:
        """Nest *blueprint* in this one; it is registered with it, under its name."""
        if blueprint is self:
            raise ValueError("Cannot register a blueprint on itself")
        self._blueprints.append((blueprint, options))

    def register(self, app: App, options: dict[str, t.Any]) -> None:
        """Register the blueprint on *app* (``app.register_blueprint`` calls this)."""
        name_prefix = options.get("name_prefix", "")
        self_name = options.get("name", self.name)
        name = f"{name_prefix}.{self_name}".lstrip(".")
        if name in app.blueprints:
            which = "this" if app.blueprints[name] is self else "a different"
            where = f" '{name}'" if self_name != name else ""
            raise ValueError(
                f"The name '{self_name}' is already registered for {which}"
                f" blueprint{where}. Use 'name=' to provide a unique name."
            )
        first_blueprint = not any(bp is self for bp in app.blueprints.values())
        app.blueprints[name] = self
        self._got_registered_once = True
        state = self.make_setup_state(app, options, first_blueprint)
        if self.has_static_folder:
            state.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                view_func=self.send_static_file,
                endpoint="static",
            )
        self._merge_into(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        for blueprint, nested_options in self._blueprints:
            blueprint.register(
                app, self._nested_options(state, blueprint, nested_options, name)
            )

    def _nested_options(
        self,
        state: BlueprintSetupState,
        blueprint: Blueprint,
        options: dict[str, t.Any],
        name: str,
    ) -> dict[str, t.Any]:
        """The options of a nested blueprint: prefixes and subdomains joined."""
        options = options.copy()
        subdomain = options.get("subdomain")
        if subdomain is None:
            subdomain = blueprint.subdomain
        if state.subdomain is not None and subdomain is not None:
            options["subdomain"] = f"{subdomain}.{state.subdomain}"
        elif subdomain is not None:
            options["subdomain"] = subdomain
        elif state.subdomain is not None:
            options["subdomain"] = state.subdomain
        url_prefix = options.get("url_prefix")
        if url_prefix is None:
            url_prefix = blueprint.url_prefix
        if state.url_prefix is not None and url_prefix is not None:
            options["url_prefix"] = (
                state.url_prefix.rstrip("/") + "/" + url_prefix.lstrip("/")
            )
        elif url_prefix is not None:
            options["url_prefix"] = url_prefix
        elif state.url_prefix is not None:
            options["url_prefix"] = state.url_prefix
        options["name_prefix"] = name
        return options

    def _merge_into(self, app: App, name: str) -> None:
        """Copy the blueprint's hooks and handlers onto *app* under *name*."""

        def key_for(key: str | None) -> str:
            return name if key is None else f"{name}.{key}"

        for key, by_code in self.error_handler_spec.items():
            app.error_handler_spec[key_for(key)] = {
                code: dict(handlers) for code, handlers in by_code.items()
            }
        for endpoint, function in self.view_functions.items():
            app.view_functions[endpoint] = function
        for attribute in (
            "before_request_funcs",
            "after_request_funcs",
            "teardown_request_funcs",
            "url_default_functions",
            "url_value_preprocessors",
            "template_context_processors",
        ):
            target = getattr(app, attribute)
            for key, functions in getattr(self, attribute).items():
                target.setdefault(key_for(key), []).extend(functions)

    # ----------------------------------------------------------- routes

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: t.Callable[..., t.Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: t.Any,
    ) -> None:
        """Record a rule, registered on the app with the blueprint's prefix."""
        if endpoint and "." in endpoint:
            raise ValueError("'endpoint' may not contain a dot '.' character.")
        if view_func is not None and "." in getattr(view_func, "__name__", ""):
            raise ValueError("'view_func' name may not contain a dot '.' character.")
        self.record(
            lambda state: state.add_url_rule(
                rule,
                endpoint,
                view_func,
                provide_automatic_options=provide_automatic_options,
                **options,
            )
        )

    def route(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """Decorate a view function to register it for *rule*."""

        def decorator(function: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, function, **options)
            return function

        return decorator

    def _method_route(
        self, method: str, rule: str, options: dict[str, t.Any]
    ) -> t.Callable[[F], F]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route`` with ``methods=["GET"]``."""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route`` with ``methods=["POST"]``."""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route`` with ``methods=["PUT"]``."""
        return self._method_route("PUT", rule, options)

    def delete(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route`` with ``methods=["DELETE"]``."""
        return self._method_route("DELETE", rule, options)

    def patch(self, rule: str, **options: t.Any) -> t.Callable[[F], F]:
        """``route`` with ``methods=["PATCH"]``."""
        return self._method_route("PATCH", rule, options)

    def endpoint(self, endpoint: str) -> t.Callable[[F], F]:
        """Decorate a view function to register it for *endpoint*."""

        def decorator(function: F) -> F:
            self._check_setup_finished("endpoint")
            self.view_functions[endpoint] = function
            return function

        return decorator

    # ----------------------------------------------------------- hooks

    def _register(
        self, registry: dict[str | None, list[t.Any]], name: str, function: F
    ) -> F:
        self._check_setup_finished(name)
        registry.setdefault(None, []).append(function)
        return function

    def before_request(self, function: F) -> F:
        """Run *function* before each request to this blueprint's endpoints."""
        return self._register(self.before_request_funcs, "before_request", function)

    def after_request(self, function: F) -> F:
        """Run *function* on each response of this blueprint's endpoints."""
        return self._register(self.after_request_funcs, "after_request", function)

    def teardown_request(self, function: F) -> F:
        """Run *function* when each request to this blueprint's endpoints ends."""
        return self._register(self.teardown_request_funcs, "teardown_request", function)

    def url_value_preprocessor(self, function: F) -> F:
        """Run ``function(endpoint, values)`` for this blueprint's endpoints."""
        return self._register(
            self.url_value_preprocessors, "url_value_preprocessor", function
        )

    def url_defaults(self, function: F) -> F:
        """Run ``function(endpoint, values)`` when building this blueprint's URLs."""
        return self._register(self.url_default_functions, "url_defaults", function)

    def context_processor(self, function: F) -> F:
        """Register a template context processor for this blueprint."""
        return self._register(
            self.template_context_processors, "context_processor", function
        )

    def errorhandler(self, code_or_exception: ErrorKey) -> t.Callable[[F], F]:
        """Decorate a function that answers an error in this blueprint's views."""

        def decorator(function: F) -> F:
            self.register_error_handler(code_or_exception, function)
            return function

        return decorator

    def register_error_handler(
        self, code_or_exception: ErrorKey, function: t.Callable[..., t.Any]
    ) -> None:
        """Register *function* for an error in this blueprint's views."""
        from .app import App

        self._check_setup_finished("register_error_handler")
        exc_class, code = App._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec.setdefault(None, {}).setdefault(code, {})[exc_class] = (
            function
        )

    # ----------------------------------------------------------- app-wide

    def _on_app(self, register: Callable[[App], t.Any]) -> None:
        self.record_once(lambda state: register(state.app))

    def before_app_request(self, function: F) -> F:
        """Run *function* before every request of the app."""
        self._on_app(
            lambda app: app.before_request_funcs.setdefault(None, []).append(function)
        )
        return function

    def after_app_request(self, function: F) -> F:
        """Run *function* on every response of the app."""
        self._on_app(
            lambda app: app.after_request_funcs.setdefault(None, []).append(function)
        )
        return function

    def teardown_app_request(self, function: F) -> F:
        """Run *function* when every request of the app ends."""
        self._on_app(
            lambda app: app.teardown_request_funcs.setdefault(None, []).append(function)
        )
        return function

    def app_url_value_preprocessor(self, function: F) -> F:
        """Run ``function(endpoint, values)`` for every endpoint of the app."""
        self._on_app(
            lambda app: app.url_value_preprocessors.setdefault(None, []).append(
                function
            )
        )
        return function

    def app_url_defaults(self, function: F) -> F:
        """Run ``function(endpoint, values)`` when the app builds any URL."""
        self._on_app(
            lambda app: app.url_default_functions.setdefault(None, []).append(function)
        )
        return function

    def app_context_processor(self, function: F) -> F:
        """Register a template context processor for the whole app."""
        self._on_app(
            lambda app: app.template_context_processors.setdefault(None, []).append(
                function
            )
        )
        return function

    def app_errorhandler(self, code: ErrorKey) -> t.Callable[[F], F]:
        """Decorate a function that answers an error anywhere in the app."""

        def decorator(function: F) -> F:
            self._on_app(lambda app: app.errorhandler(code)(function))
            return function

        return decorator

    # ----------------------------------------------------------- static files

    def send_static_file(self, filename: str) -> t.Any:
        """Serve *filename* from the blueprint's static folder."""
        from .globals import current_app
        from .helpers import send_from_directory

        if not self.has_static_folder:
            raise RuntimeError("'static_folder' must be set to serve static_files.")
        max_age = current_app.get_send_file_max_age(filename)
        return send_from_directory(
            t.cast(str, self.static_folder), filename, max_age=max_age
        )
