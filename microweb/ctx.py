"""App and request contexts.

A :class:`RequestContext` is an :class:`AppContext` that also carries the request, so
one context variable (:data:`microweb.globals.context_var`) serves ``current_app``,
``g`` and ``request``. The request object itself is built on first use: a view that
never reads ``request`` never pays for it.
"""

from __future__ import annotations

import contextvars
import sys
import typing as t
from functools import update_wrapper
from types import TracebackType

from werkzeug.exceptions import HTTPException

from . import dispatch
from .flask_contexts import Tokens, bridge
from .globals import REQUEST_CONTEXT_MESSAGE, context_var
from .sessions import SecureCookieSessionInterface
from .signals import appcontext_popped, appcontext_pushed

if t.TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

    from .app import App
    from .routing import MapAdapter, Rule
    from .sessions import SessionMixin
    from .wrappers import Request, Response

_sentinel = object()


class _AppCtxGlobals:
    """The ``g`` object: a namespace that lives as long as its app context.

    .. versionadded:: 0.1
    """

    def __getattr__(self, name: str) -> t.Any:
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: t.Any | None = None) -> t.Any:
        """The attribute *name*, or *default*."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: t.Any = _sentinel) -> t.Any:
        """Remove and return the attribute *name* (or *default*)."""
        if default is _sentinel:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: t.Any = None) -> t.Any:
        """The attribute *name*, set to *default* first if missing."""
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> t.Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        from .globals import current_app

        if current_app:
            return f"<microweb.g of '{current_app.name}'>"
        return object.__repr__(self)


class AppContext:
    """The application context: ``current_app`` and ``g`` while it is pushed.

    .. versionadded:: 0.1
    """

    # Defaults on the class keep the constructors short: a request pays only for the
    # attributes it sets.
    _g: _AppCtxGlobals | None = None
    _url_adapter: MapAdapter | None = None
    # Per push: the token of microweb's context variable, and those of Flask's
    # (``None`` unless the app sets Flask's variables).
    _tokens: list[tuple[contextvars.Token[AppContext], Tokens | None]] | None = None
    #: The request context this context serves ``request`` from, if any.
    request_context: RequestContext | None = None
    #: Whether popping this context runs ``teardown_appcontext``.
    owns_app_context = True
    #: The context owning the app context this one shares (a context of the same
    #: app it was pushed inside), if any.
    app_context: AppContext | None = None
    # What the error of a pop out of order calls this context.
    _kind = "app"

    def __init__(self, app: App) -> None:
        self.app = app

    @property
    def g(self) -> _AppCtxGlobals:
        """The context's ``g`` namespace, made on first use."""
        if self._g is None:
            self._g = self.app.app_ctx_globals_class()
        return self._g

    @g.setter
    def g(self, value: _AppCtxGlobals) -> None:
        self._g = value

    @property
    def url_adapter(self) -> MapAdapter | None:
        """The adapter ``url_for`` builds with, made on first use."""
        if self._url_adapter is None:
            self._url_adapter = self.app.create_url_adapter(None)
        return self._url_adapter

    @property
    def request(self) -> Request:
        """The request of the enclosing request context."""
        if self.request_context is None:
            raise RuntimeError(REQUEST_CONTEXT_MESSAGE)
        return self.request_context.request

    @property
    def session(self) -> SessionMixin:
        """The session of the enclosing request context."""
        if self.request_context is None:
            raise RuntimeError(REQUEST_CONTEXT_MESSAGE)
        return self.request_context.session

    def enter_within(self, outer: AppContext) -> None:
        """Adjust to being pushed inside *outer*: keep serving its request."""
        if self.request_context is None:
            self.request_context = outer.request_context

    def push(self) -> None:
        """Make this the current context."""
        outer = context_var.get(None)
        if outer is not None:
            self.enter_within(outer)
        if self._tokens is None:
            self._tokens = []
        token = context_var.set(self)
        flask_tokens = bridge().push(self) if self.app.flask_contexts else None
        self._tokens.append((token, flask_tokens))
        if self.owns_app_context:
            appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)

    def pop(self, exc: BaseException | None = _sentinel) -> None:  # type: ignore[assignment]
        """Run the teardown functions and leave this context."""
        tokens = self._tokens
        if not tokens:
            raise RuntimeError(f"Popped a context that was not pushed: {self!r}")
        last = len(tokens) == 1
        try:
            if last:
                if exc is _sentinel:
                    exc = sys.exc_info()[1]
                self.tear_down(exc)
        finally:
            current = context_var.get(None)
            token, flask_tokens = tokens.pop()
            # With no context current (one pushed before this was popped first),
            # the token would bring back a context that is gone.
            if current is not None:
                if flask_tokens is not None:
                    bridge().pop(flask_tokens)
                context_var.reset(token)
        if current is not self:
            # As Flask's: popped all the same, but said loudly, since the contexts
            # pushed after this one are now left in place.
            raise AssertionError(
                f"Popped wrong {self._kind} context. ({current!r} instead of {self!r})"
            )
        if self.owns_app_context:
            appcontext_popped.send(self.app, _async_wrapper=self.app.ensure_sync)

    def tear_down(self, exc: BaseException | None) -> None:
        """Run the ``teardown_appcontext`` functions."""
        self.app.do_teardown_appcontext(exc)

    def push_shared(self) -> None:
        """Send the signal of pushing this app context again, for a request that
        shares it, without making it current: the request context, pushed next,
        serves its ``g`` (``stream_with_context`` pushes both, as Flask's)."""
        if self.owns_app_context:
            appcontext_pushed.send(self.app, _async_wrapper=self.app.ensure_sync)

    def pop_shared(self) -> None:
        """Send the signal of popping what :meth:`push_shared` pushed."""
        if self.owns_app_context:
            appcontext_popped.send(self.app, _async_wrapper=self.app.ensure_sync)

    def __enter__(self) -> AppContext:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type | None,
        exc_value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc_value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} of {self.app.name!r}>"


class RequestContext(AppContext):
    """The request context: an app context that also serves ``request``.

    Pushed inside an app context of the same app, it shares that context's ``g``
    and leaves its ``teardown_appcontext`` to it, as Flask's does.

    .. versionadded:: 0.1
    """

    _request: Request | None = None
    _session: SessionMixin | None = None
    #: The flashed messages read by ``get_flashed_messages`` in this request.
    flashes: list[tuple[str, t.Any]] | None = None
    url_rule: Rule | None = None
    view_args: dict[str, t.Any] | None = None
    routing_exception: HTTPException | None = None
    _after_request_functions: list[t.Callable[..., t.Any]] | None = None
    _kind = "request"

    @property
    def request_context(self) -> RequestContext:  # type: ignore[override]
        """This context: it serves the request (a property, not an attribute, so
        that a context is no reference cycle and is freed without the garbage
        collector)."""
        return self

    def __init__(
        self,
        app: App,
        environ: WSGIEnvironment,
        request: Request | None = None,
    ) -> None:
        self.app = app
        self.environ = environ
        if request is not None:
            self._request = request

    @property
    def request(self) -> Request:
        """The request object, built on first use."""
        request = self._request
        if request is None:
            request = self.app.request_class(self.environ)
            request.url_rule = self.url_rule
            request.view_args = self.view_args
            request.routing_exception = self.routing_exception
            self._request = request
        return request

    def open_session(self) -> SessionMixin:
        """The session, opened on first use (without marking it accessed)."""
        session = self._session
        if session is None:
            interface = self.app.session_interface
            if (
                type(interface) is SecureCookieSessionInterface
                and self._request is None
            ):
                # Only the cookie is needed: no request object is built for it,
                # and the header is not parsed whole when it is plain.
                session = interface._open_from_header(
                    self.app,
                    self.environ.get("HTTP_COOKIE"),
                    (self.app.dispatch_core or dispatch.core).cookie_value,
                )
            else:
                session = interface.open_session(self.app, self.request)
            if session is None:
                session = interface.make_null_session(self.app)
            self._session = session
        return session

    @property
    def session(self) -> SessionMixin:
        """The session, opened on first use and marked accessed, as Flask's."""
        session = self._session
        if session is None:
            session = self.open_session()
        session.accessed = True
        return session

    @session.setter
    def session(self, value: SessionMixin) -> None:
        self._session = value

    @property
    def url_adapter(self) -> MapAdapter | None:
        """The adapter ``url_for`` builds with, bound to this request."""
        if self._url_adapter is None:
            self._url_adapter = self.app.create_url_adapter(self.request)
        return self._url_adapter

    def match_request(self) -> None:
        """Match the request's URL, recording the rule and view arguments, or the
        routing error, on this context and its request. The dispatch core and
        :meth:`push` match before anything else runs; a session interface may call
        this as in Flask, where the session is opened first."""
        self.app.match_request(self)

    def push(self) -> None:
        """Match the request's URL, then make this the current context."""
        self.match_request()
        super().push()

    def enter_within(self, outer: AppContext) -> None:
        """Share *outer*'s ``g`` when it is another context of the same app.

        A context pushed again on top of itself (the test client keeps a streamed
        request's context pushed while its body pushes it too) keeps what it
        decided when first pushed: one that owns its app context still tears it
        down.
        """
        if outer is self or outer.app is not self.app:
            return
        self._g = outer.g
        self.owns_app_context = False
        # The context that owns the app context: *outer*, or the one it shares.
        self.app_context = outer if outer.owns_app_context else outer.app_context

    def tear_down(self, exc: BaseException | None) -> None:
        """Run the ``teardown_request`` (and, when owned, ``teardown_appcontext``)
        functions, then close the request."""
        try:
            self.app.do_teardown_request(exc)
            if self.owns_app_context:
                self.app.do_teardown_appcontext(exc)
        finally:
            if self._request is not None:
                self._request.close()

    def copy(self) -> RequestContext:
        """A new context for the same request, e.g. for a greenlet."""
        return self.app.request_context_class(
            self.app, self.environ, request=self.request
        )

    def __enter__(self) -> RequestContext:
        self.push()
        return self


def has_app_context() -> bool:
    """Whether an app context is pushed.

    .. versionadded:: 0.1
    """
    return context_var.get(None) is not None


def has_request_context() -> bool:
    """Whether a request context is pushed.

    .. versionadded:: 0.1
    """
    context = context_var.get(None)
    return context is not None and context.request_context is not None


def after_this_request(
    function: t.Callable[[Response], Response],
) -> t.Callable[[Response], Response]:
    """Run *function* on this request's response, before the ``after_request`` hooks.

    .. versionadded:: 0.1
    """
    context = context_var.get(None)
    if context is None or context.request_context is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request"
            " context is active, such as in a view function."
        )
    request_context = context.request_context
    if request_context._after_request_functions is None:
        request_context._after_request_functions = []
    request_context._after_request_functions.append(function)
    return function


def copy_current_request_context(function: t.Callable[..., t.Any]) -> t.Any:
    """Decorate *function* to run in a copy of the current request context.

    .. versionadded:: 0.1
    """
    context = context_var.get(None)
    if context is None or context.request_context is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a"
            " request context is active, such as in a view function."
        )
    copied = context.request_context.copy()

    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        with copied:
            return function(*args, **kwargs)

    return update_wrapper(wrapper, function)
