"""The dispatch core's front module: picks the core and prepares what it runs.

:func:`build` runs when the app serves its first request. It resolves, per endpoint,
the view and the hooks in the order Flask runs them, decides where the core may answer
without a response object, and returns the core's ``Dispatcher``: the app's WSGI
callable from then on. For an app that overrides one of Flask's dispatch methods,
the dispatcher matches each request and hands it to the app's
``full_dispatch_request``.
"""

from __future__ import annotations

import inspect
import operator
import typing as t
from types import FunctionType, ModuleType

from werkzeug.http import HTTP_STATUS_CODES

from . import _cores, flask_contexts, signals
from .globals import context_var
from .json import JSONProvider
from .routing import is_websocket_handshake
from .wrappers import Response, hook_scopes

if t.TYPE_CHECKING:
    from .app import App
    from .routing import Rule

#: The dispatch core this process uses: ``microweb._dispatch_c`` or ``_dispatch_py``.
core: ModuleType = _cores.load("dispatch")

#: Status lines for codes whose response carries a body and its length, as
#: Werkzeug writes them.
STATUS_LINES = {
    code: f"{code} {reason.upper()}"
    for code, reason in HTTP_STATUS_CODES.items()
    if code >= 200 and code not in (204, 304)
}


def _missing_view(endpoint: str) -> t.Callable[..., t.Any]:
    def view(**kwargs: t.Any) -> t.NoReturn:
        raise KeyError(endpoint)

    return view


def _plain_responses(app: App) -> bool:
    """Whether the core may answer plain values itself: the app builds responses
    the way the core would."""
    from .app import App
    from .sessions import SecureCookieSessionInterface

    cls = type(app)
    return (
        type(app.session_interface) is SecureCookieSessionInterface
        and app.response_class is Response
        and cls.make_response is App.make_response
        and cls.finalize_request is App.finalize_request
        and cls.process_response is App.process_response
        and cls._save_session is App._save_session
        and cls._session_headers is App._session_headers
    )


def _json_body(app: App) -> t.Callable[[t.Any], str] | None:
    provider = app.json
    if (
        isinstance(provider, JSONProvider)
        and type(provider).response is JSONProvider.response
        and provider.mimetype == "application/json"
    ):
        return provider.response_body
    return None


def _tears_down(app: App) -> bool:
    """Whether the end of a request runs more than closing the request object:
    teardown functions, or an app or context class that tears down its own way."""
    from .app import App
    from .ctx import RequestContext

    cls = type(app)
    return bool(
        any(app.teardown_request_funcs.values())
        or app.teardown_appcontext_funcs
        or cls.do_teardown_request is not App.do_teardown_request
        or cls.do_teardown_appcontext is not App.do_teardown_appcontext
        or app.request_context_class.tear_down is not RequestContext.tear_down
    )


def _fixed_domain(app: App) -> str | None:
    """The domain part every request is matched on, or ``None`` when it depends on
    the request's host (host or subdomain matching, or trusted hosts to check)."""
    if (
        app.url_map.host_matching
        or app.subdomain_matching
        or app.config["TRUSTED_HOSTS"] is not None
    ):
        return None
    return app.url_map.default_subdomain or ""


#: The app's methods that Flask serves a matched request through. The core does
#: their work itself, unless the app overrides one of them.
DISPATCH_METHODS = (
    "full_dispatch_request",
    "preprocess_request",
    "dispatch_request",
    "raise_routing_exception",
)


def _delegate(app: App) -> t.Callable[[App], t.Any] | None:
    """``app -> app.full_dispatch_request()`` when the app overrides a dispatch
    method (in its class or on the instance), for the core to hand each matched
    request to; ``None`` when the core may serve requests itself.

    The core is handed the function, not the bound method: what the dispatcher
    holds must not hold the app (see :func:`build`)."""
    from .app import App

    cls = type(app)
    if not any(
        getattr(cls, name) is not getattr(App, name) or name in app.__dict__
        for name in DISPATCH_METHODS
    ):
        return None
    # The class's own attribute (through the MRO), not what it binds to.
    function = inspect.getattr_static(cls, "full_dispatch_request")
    if "full_dispatch_request" not in app.__dict__ and type(function) is FunctionType:
        return function
    # Set on the instance, or not a plain function: looked up on each request.
    return operator.methodcaller("full_dispatch_request")


def build(app: App, dispatch_core: ModuleType | None = None) -> t.Any:
    """The dispatcher for *app*, on *dispatch_core* (the selected core by default).

    The app holds its dispatcher, so the dispatcher holds the app only weakly,
    and nothing it holds may hold the app (no bound method of the app): an app is
    then freed as soon as its last reference goes, as Flask's is. The app is
    handed to the dispatcher with each request instead."""
    dispatch_core = dispatch_core or core
    plain = _plain_responses(app)

    def endpoint_for(rule: Rule | None) -> t.Any:
        names = hook_scopes(rule.endpoint if rule is not None else None)
        preprocessors = tuple(
            function
            for name in names
            for function in app.url_value_preprocessors.get(name, ())
        )
        before = tuple(
            app.ensure_sync(function)
            for name in names
            for function in app.before_request_funcs.get(name, ())
        )
        fast = plain and not any(app.after_request_funcs.get(name) for name in names)
        if rule is None:
            return dispatch_core.Endpoint(
                None, False, False, preprocessors, before, fast
            )
        view = app.view_functions.get(rule.endpoint) or _missing_view(rule.endpoint)
        return dispatch_core.Endpoint(
            app.ensure_sync(view),
            bool(getattr(rule, "provide_automatic_options", False)),
            rule._checked_after_match,
            preprocessors,
            before,
            fast,
        )

    for rule in app.url_map.iter_rules():
        rule._dispatch_endpoint = endpoint_for(rule)  # type: ignore[attr-defined]
    tear_down = _tears_down(app)
    return dispatch_core.Dispatcher(
        app,
        app.url_map._matcher,
        endpoint_for(None),
        app.request_context_class,
        context_var,
        _json_body(app),
        STATUS_LINES,
        tear_down,
        _fixed_domain(app),
        is_websocket_handshake,
        signals.watch,
        type(app)._session_headers,
        _delegate(app),
        flask_contexts.bridge() if app.flask_contexts else None,
    )
