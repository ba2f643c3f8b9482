"""Dispatch kernel in pure Python: the specification ``_dispatch_c.pyx`` translates.

One call per request: environ in, WSGI body out. The kernel pushes the request
context (one context variable), matches the path with the routing core, runs the
endpoint's hooks and view, and for the common return values (``str``, ``bytes``, a
dict or list for JSON, and those with an ``int`` status) calls ``start_response``
itself, with the headers Werkzeug's response would send, when nothing else wants a
response object. Everything else goes back to the app object, which follows Flask.

The kernel never imports the app layer: the front module (:mod:`microweb.dispatch`)
hands it the app and what it resolved once per endpoint.
"""

from __future__ import annotations

import re
import weakref
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import WebsocketMismatch
from werkzeug.sansio.http import parse_cookie

IMPLEMENTATION = "pure"

TEXT_HTML = "text/html; charset=utf-8"
APPLICATION_JSON = "application/json"
_PRESERVE_CONTEXT = "werkzeug.debug.preserve_context"
# The Content-Type headers of the direct answers, made once.
_HTML_HEADER = ("Content-Type", TEXT_HTML)
_JSON_HEADER = ("Content-Type", APPLICATION_JSON)


class Endpoint:
    """What one endpoint runs, resolved once: its view and its hooks in call order."""

    __slots__ = (
        "view",
        "automatic_options",
        "redirects",
        "preprocessors",
        "before",
        "fast",
    )

    def __init__(
        self,
        view: Any,
        automatic_options: bool,
        redirects: bool,
        preprocessors: tuple[Any, ...],
        before: tuple[Any, ...],
        fast: bool,
    ) -> None:
        self.view = view
        self.automatic_options = automatic_options
        # Whether a match may still redirect (an alias, defaults, ``redirect_to``).
        self.redirects = redirects
        self.preprocessors = preprocessors
        self.before = before
        # Whether a plain return value may skip the response object: no
        # ``after_request`` hook can want to see one.
        self.fast = fast


class Dispatcher:
    """The app's WSGI callable."""

    def __init__(
        self,
        app: Any,
        matcher: Any,
        unmatched: Endpoint,
        context_class: Any,
        context_var: Any,
        json_body: Any,
        status_lines: dict[int, str],
        tear_down: bool,
        domain: str | None,
        websocket_handshake: Any,
        signals: Any,
        session_headers: Any,
        delegate: Any,
        flask_contexts: Any,
    ) -> None:
        # Weak: the app holds its dispatcher (as ``wsgi_app``), and an app must be
        # freed without the garbage collector, as Flask's is. Serving, the app is
        # handed to :meth:`serve`; only :meth:`__call__` looks it up here.
        self.app_ref = weakref.ref(app)
        # The routing core's matcher; each rule carries its ``Endpoint`` as
        # ``rule._dispatch_endpoint``.
        self.matcher = matcher
        self.unmatched = unmatched
        self.context_class = context_class
        self.context_var = context_var
        # ``obj -> str`` for a JSON body, or ``None`` when the app's provider
        # must build JSON responses itself.
        self.json_body = json_body
        self.status_lines = status_lines
        # Whether a request's end runs more than closing the request object
        # (teardown functions, or classes that tear down their own way).
        self.tear_down = tear_down
        # The domain part rules are matched on, or ``None`` when it comes from
        # each request's host.
        self.domain = domain
        # ``environ -> bool``: whether a request that sends ``Upgrade`` asks for
        # a WebSocket, which matches WebSocket rules only.
        self.websocket_handshake = websocket_handshake
        # ``signals.active`` says whether anyone listens to a request's signals.
        self.signals = signals
        # ``(app, context) -> headers`` that save the context's session (``Vary``
        # and ``Set-Cookie``) on a direct answer; ``None`` when it takes a
        # response object.
        self.session_headers = session_headers
        # ``app -> response``: the app's ``full_dispatch_request`` when the app
        # overrides a dispatch method: it serves each request once matched.
        # ``None``: the core does.
        self.delegate = delegate
        # The two context variables of ``flask_contexts`` (a
        # ``microweb.flask_contexts.FlaskContexts``, given when the app sets
        # Flask's context variables too, for Flask extensions), which each
        # request sets to its context; ``None`` without it.
        self.flask_app_var: Any = None
        self.flask_request_var: Any = None
        if flask_contexts is not None:
            self.flask_app_var = flask_contexts.app_var
            self.flask_request_var = flask_contexts.request_var
        # Set when the app drops this dispatcher (a dispatch input changed):
        # middleware may still hold it, and it hands each request to the app's
        # current one.
        self.stale = False
        self.error_bodies: dict[type, bytes] = {}

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """Serve a request to the app, for a caller that holds the dispatcher
        without the app (middleware that wrapped ``app.wsgi_app`` after the first
        request)."""
        app = self.app_ref()
        if app is None:
            raise RuntimeError("The app this dispatcher served has been freed.")
        if self.stale:
            # Dropped by the app: its current dispatcher serves. Only this way
            # in can reach a stale dispatcher: the app no longer holds it.
            return app._current_dispatcher().serve(app, environ, start_response)
        return self.serve(app, environ, start_response)

    def serve(self, app: Any, environ: dict[str, Any], start_response: Any) -> Any:
        """Serve a request to *app*, the app this dispatcher was built for."""
        context = self.context_class(app, environ)
        outer = self.context_var.get(None)
        if outer is not None:
            context.enter_within(outer)
        token = self.context_var.set(context)
        # Flask's request context is this one; its app context too, unless this
        # one shares the app context it was pushed in (Flask's reuses it).
        flask_app_var = self.flask_app_var
        if flask_app_var is not None:
            app_context = None if outer is None else context.app_context
            flask_app_token = flask_app_var.set(
                context if app_context is None else app_context
            )
            flask_request_token = self.flask_request_var.set(context)
            # Flask's ``after_this_request`` appends to this list itself.
            context._after_request_functions = []
        signals = self.signals
        if signals.active:
            signals.pushed(context)
        error: BaseException | None = None
        try:
            try:
                response = self.dispatch(app, context, environ, start_response)
            except Exception as raised:
                error = raised
                response = app.handle_exception(raised)
            except BaseException as raised:
                error = raised
                raise
            if response.__class__ is list:
                return response
            return response(environ, start_response)
        finally:
            preserve = environ.get(_PRESERVE_CONTEXT)
            if preserve is not None:
                preserve(context)
            if error is not None and app.should_ignore_error(error):
                error = None
            # Without teardown functions or signals, the context's teardown
            # would only close the request.
            tear_down = self.tear_down or signals.active
            try:
                if tear_down:
                    context.tear_down(error)
            finally:
                request = context._request
                if request is not None:
                    try:
                        if not tear_down:
                            request.close()
                    finally:
                        # As Flask's: the environ lets go of the request, which
                        # ends their reference cycle without the garbage collector.
                        request.environ["werkzeug.request"] = None
                if flask_app_var is not None:
                    self.flask_request_var.reset(flask_request_token)
                    flask_app_var.reset(flask_app_token)
                self.context_var.reset(token)
                if signals.active:
                    signals.popped(context)

    def dispatch(
        self, app: Any, context: Any, environ: dict[str, Any], start_response: Any
    ) -> Any:
        """Match, run hooks and view; return a body list (``start_response`` done)
        or a response object."""
        method = environ["REQUEST_METHOD"]
        # The server's string is kept when it is upper case already: its hash is
        # cached, and no new string is made.
        if not method.isupper():
            method = method.upper()
        path = environ.get("PATH_INFO", "/")
        if not path.isascii():
            # PEP 3333 hands the path over as latin-1; its bytes are UTF-8.
            path = path.encode("latin-1").decode("utf-8", "replace")
        domain = self.domain
        if domain is None:
            # Host or subdomain matching: the app reads the host (and refuses an
            # untrusted one with a routing error).
            domain = app.request_domain(context)
        if domain is None:
            rule, outcome = None, None
        elif "HTTP_UPGRADE" in environ and self.websocket_handshake(environ):
            rule, outcome = self.matcher.match(domain, path, method, True)
        else:
            rule, outcome = self.matcher.match(domain, path, method)
        if rule is not None:
            endpoint = rule._dispatch_endpoint
            if endpoint.redirects:
                redirect = app.redirect_after_match(context, rule, outcome, method)
                if redirect is not None:
                    context.routing_exception = redirect
                    rule = None
                    endpoint = self.unmatched
        if rule is not None:
            context.url_rule = rule
            context.view_args = outcome
        else:
            if context.routing_exception is None:
                if outcome.__class__ is str:
                    context.routing_exception = app.routing_redirect(context, outcome)
                elif outcome:
                    context.routing_exception = MethodNotAllowed(
                        valid_methods=list(outcome)
                    )
                elif outcome is None:
                    context.routing_exception = WebsocketMismatch()
                else:
                    context.routing_exception = NotFound()
            endpoint = self.unmatched
        request = context._request
        if request is not None:
            # Built early (to read the host, or for a redirect): it learns the
            # outcome now.
            request.url_rule = context.url_rule
            request.view_args = context.view_args
            request.routing_exception = context.routing_exception
        if self.delegate is not None:
            return self.delegate(app)
        try:
            rv = None
            if self.signals.active:
                self.signals.started(app)
            for function in endpoint.preprocessors:
                function(None if rule is None else rule.endpoint, context.view_args)
            for function in endpoint.before:
                rv = function()
                if rv is not None:
                    break
            if rv is None:
                if rule is None:
                    raise context.routing_exception
                if endpoint.automatic_options and method == "OPTIONS":
                    rv = app.make_default_options_response()
                else:
                    view_args = context.view_args
                    if view_args:
                        rv = endpoint.view(**view_args)
                    else:
                        # No arguments: no keyword dict to unpack (and copy).
                        rv = endpoint.view()
        except Exception as raised:
            rv = app.handle_user_exception(raised)
        if (
            endpoint.fast
            and not context._after_request_functions
            and not self.signals.active
        ):
            # A session used, or perhaps carried (to refresh), is saved on the
            # direct answer too.
            if context._session is not None or self.carries_session(app, environ):
                session_context = context
            else:
                session_context = None
            # The method as the server gave it: Werkzeug's response leaves out
            # the body for exactly "HEAD".
            body = self.fast_body(
                app, rv, environ["REQUEST_METHOD"], start_response, session_context
            )
            if body is not None:
                return body
        return app.finalize_request(rv)

    def carries_session(self, app: Any, environ: dict[str, Any]) -> bool:
        """Whether the request may carry the session cookie, named as the config
        names it now (a substring test: it may say yes wrongly, never no
        wrongly). Such a request may have a session to refresh even when the
        view never touched it."""
        header = environ.get("HTTP_COOKIE")
        return header is not None and app.config["SESSION_COOKIE_NAME"] in header

    def fast_body(
        self,
        app: Any,
        rv: Any,
        method: str,
        start_response: Any,
        session_context: Any,
    ) -> list[bytes] | None:
        """Answer *rv* without a response object when it is a plain value, with
        the headers that save the session of *session_context* (unless ``None``);
        ``None`` when it is not plain."""
        status: str | None = "200 OK"
        kind = rv.__class__
        if kind is tuple:
            if len(rv) != 2 or rv[1].__class__ is not int:
                return None
            status = self.status_lines.get(rv[1])
            if status is None:
                return None
            rv = rv[0]
            kind = rv.__class__
        if kind is str:
            body = rv.encode()
            type_header = _HTML_HEADER
        elif kind is bytes:
            body = rv
            type_header = _HTML_HEADER
        elif (kind is dict or kind is list) and self.json_body is not None:
            body = self.json_body(rv).encode()
            type_header = _JSON_HEADER
        elif isinstance(rv, HTTPException) and status == "200 OK":
            answer = self.error_answer(rv)
            if answer is None:
                return None
            status, body = answer
            type_header = _HTML_HEADER
        else:
            return None
        headers = [type_header, ("Content-Length", str(len(body)))]
        if session_context is not None:
            session_headers = self.session_headers(app, session_context)
            if session_headers is None:
                return None
            headers += session_headers
        start_response(status, headers)
        if method == "HEAD":
            return []
        return [body]

    def error_answer(self, error: HTTPException) -> tuple[str, bytes] | None:
        """The status line and body of an HTTP error that no handler took, when it
        is one of Werkzeug's with its default text and headers (their body is the
        same every time); ``None`` when it is not."""
        kind = error.__class__
        if (
            error.response is not None
            or error.description is not kind.description
            or kind.get_response is not HTTPException.get_response
            or kind.get_body is not HTTPException.get_body
            or kind.get_headers is not HTTPException.get_headers
        ):
            return None
        status = self.status_lines.get(error.code)  # type: ignore[arg-type]
        if status is None:
            return None
        body = self.error_bodies.get(kind)
        if body is None:
            body = self.error_bodies[kind] = error.get_body().encode()
        return status, body


# Cookie headers made of plain cookies: name=value pairs of visible ASCII
# characters but quotes, backslashes and semicolons, separated by semicolons and
# spaces. Werkzeug's parse_cookie (each version's) reads such a header as split
# here; anything else is left to it.
_PLAIN_CHARACTERS = r"[!#-:<-\[\]-~]"
_PLAIN_COOKIES = re.compile(f" *{_PLAIN_CHARACTERS}*(?:; *{_PLAIN_CHARACTERS}*)*")
_PLAIN_NAME = re.compile(r"[!#-:<>-\[\]-~]+")


def cookie_value(header: str | None, name: str) -> str | None:
    """``parse_cookie(header).get(name)``: the value of the first cookie *name*,
    found in place when the header holds only plain cookies."""
    if not header:
        return None
    if (
        header.__class__ is not str
        or _PLAIN_COOKIES.fullmatch(header) is None
        or _PLAIN_NAME.fullmatch(name) is None
    ):
        return parse_cookie(header).get(name)
    for cookie in header.split(";"):
        key, _, value = cookie.lstrip(" ").partition("=")
        if key == name:
            return value
    return None


def call_app(app: Any, environ: dict[str, Any], start_response: Any) -> Any:
    """``app(environ, start_response)``: the app's ``__call__``, which calls
    ``app.wsgi_app`` (the ``Dispatcher`` after the first request)."""
    wsgi_app = app.wsgi_app
    if wsgi_app.__class__ is Dispatcher:
        # The app in hand: the dispatcher holds it only weakly.
        return wsgi_app.serve(app, environ, start_response)
    return wsgi_app(environ, start_response)
