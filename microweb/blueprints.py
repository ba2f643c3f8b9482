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

from .cli import AppGroup
from .routing import ShadowedRuleError
from .scaffold import (
    ErrorKey,
    F,
    Scaffold,
    _endpoint_from_view_func,
    handlers_by_code,
)

if t.TYPE_CHECKING:
    from .app import App

DeferredSetup = Callable[["BlueprintSetupState"], None]


class _NamedAfterBlueprint:
    """``cli_group`` when not given: a group named after the blueprint."""

    def __repr__(self) -> str:  # how the docs show the default
        return "<the blueprint's name>"


_NAMED_AFTER_BLUEPRINT: t.Any = _NamedAfterBlueprint()


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


class Blueprint(Scaffold):
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
    :param cli_group: the name of the group the blueprint's commands
        (:attr:`cli`) get under the ``microweb`` command; the blueprint's name by
        default; ``None`` adds them to ``app.cli`` itself.

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
        cli_group: str | None = _NAMED_AFTER_BLUEPRINT,
    ) -> None:
        if not name:
            raise ValueError("'name' may not be empty.")
        if "." in name:
            raise ValueError("'name' may not contain a dot '.' character.")
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        self.name = name
        self.url_prefix = url_prefix
        self.subdomain = subdomain
        self.url_values_defaults = url_defaults or {}
        self.cli_group = cli_group
        #: The blueprint's commands, added to the app's on registration.
        self.cli: AppGroup = AppGroup()
        self.deferred_functions: list[DeferredSetup] = []
        self._blueprints: list[tuple[Blueprint, dict[str, t.Any]]] = []

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
            static_rule = f"{self.static_url_path}/<path:filename>"
            try:
                state.add_url_rule(
                    static_rule, view_func=self.send_static_file, endpoint="static"
                )
            except ShadowedRuleError:
                # The app's own static route takes these URLs (a blueprint without
                # a URL prefix, as Flask's docs describe): the folder is never
                # served, but its endpoint still builds URLs, as in Flask.
                state.add_url_rule(
                    static_rule,
                    view_func=self.send_static_file,
                    endpoint="static",
                    build_only=True,
                )
        self._merge_into(app, name)
        for deferred in self.deferred_functions:
            deferred(state)
        self._register_commands(app, options.get("cli_group", self.cli_group), name)
        for blueprint, nested_options in self._blueprints:
            blueprint.register(
                app, self._nested_options(state, blueprint, nested_options, name)
            )

    def _register_commands(self, app: App, cli_group: t.Any, name: str) -> None:
        """Add the blueprint's commands to ``app.cli``: as a group named
        *cli_group* (the blueprint's registered name by default), or, for
        ``None``, one by one."""
        if not self.cli.commands:
            return
        if cli_group is None:
            app.cli.commands.update(self.cli.commands)
            return
        self.cli.name = name if cli_group is _NAMED_AFTER_BLUEPRINT else cli_group
        app.cli.add_command(self.cli)

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
            by_code_copy = handlers_by_code()
            for code, handlers in by_code.items():
                by_code_copy[code] = dict(handlers)
            app.error_handler_spec[key_for(key)] = by_code_copy
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

    # ----------------------------------------------------------- templates

    def app_template_filter(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a function to register it as a template filter of the app.

        :param name: the filter's name; the function's name by default.

        .. versionadded:: 0.1
        """
        return self._template_decorator(self.add_app_template_filter, name)

    def add_app_template_filter(
        self, function: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        """Register *function* as a template filter of the app the blueprint is
        registered on.

        .. versionadded:: 0.1
        """
        self._add_to_jinja_env("filters", function, name)

    def app_template_test(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a function to register it as a template test of the app.

        :param name: the test's name; the function's name by default.

        .. versionadded:: 0.1
        """
        return self._template_decorator(self.add_app_template_test, name)

    def add_app_template_test(
        self, function: t.Callable[..., bool], name: str | None = None
    ) -> None:
        """Register *function* as a template test of the app the blueprint is
        registered on.

        .. versionadded:: 0.1
        """
        self._add_to_jinja_env("tests", function, name)

    def app_template_global(self, name: str | None = None) -> t.Callable[[F], F]:
        """Decorate a function to make it a global of the app's templates.

        :param name: the global's name; the function's name by default.

        .. versionadded:: 0.1
        """
        return self._template_decorator(self.add_app_template_global, name)

    def add_app_template_global(
        self, function: t.Callable[..., t.Any], name: str | None = None
    ) -> None:
        """Make *function* a global of the templates of the app the blueprint is
        registered on.

        .. versionadded:: 0.1
        """
        self._add_to_jinja_env("globals", function, name)

    def _add_to_jinja_env(
        self, table: str, function: t.Callable[..., t.Any], name: str | None
    ) -> None:
        def register(state: BlueprintSetupState) -> None:
            getattr(state.app.jinja_env, table)[name or function.__name__] = function

        self.record_once(register)

    def _template_decorator(
        self, register: t.Callable[..., None], name: str | None
    ) -> t.Callable[[F], F]:
        self._check_setup_finished(register.__name__.removeprefix("add_"))

        def decorator(function: F) -> F:
            register(function, name=name)
            return function

        return decorator
