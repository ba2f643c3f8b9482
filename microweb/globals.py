"""The context proxies: ``current_app``, ``g``, ``request``, ``session``.

One context variable holds the current context. An app context serves ``current_app``
and ``g``; a request context is an app context that also serves ``request``. Pushing
one request context therefore sets one variable, once per request.
"""

from __future__ import annotations

import typing as t
from contextvars import ContextVar

from werkzeug.local import LocalProxy

if t.TYPE_CHECKING:
    from .app import App
    from .ctx import AppContext, _AppCtxGlobals
    from .sessions import SessionMixin
    from .wrappers import Request

APP_CONTEXT_MESSAGE = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed
the current application. To solve this, set up an application context
with app.app_context(). See the documentation for more information.\
"""

REQUEST_CONTEXT_MESSAGE = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed
an active HTTP request. See the documentation on testing for information
about how to avoid this problem.\
"""

#: The current app or request context.
context_var: ContextVar[AppContext] = ContextVar("microweb.context")

current_app: App = LocalProxy(  # type: ignore[assignment]
    context_var, "app", unbound_message=APP_CONTEXT_MESSAGE
)
g: _AppCtxGlobals = LocalProxy(  # type: ignore[assignment]
    context_var, "g", unbound_message=APP_CONTEXT_MESSAGE
)
request: Request = LocalProxy(  # type: ignore[assignment]
    context_var, "request", unbound_message=REQUEST_CONTEXT_MESSAGE
)


class _SessionProxy(LocalProxy):  # type: ignore[type-arg]
    """The ``session`` proxy: reading and writing items goes straight to the
    current context's session, without the generic proxy's steps (views use the
    session that way more than any other)."""

    __slots__ = ()

    def __getitem__(self, key: str) -> t.Any:
        context = context_var.get(None)
        if context is None:
            raise RuntimeError(REQUEST_CONTEXT_MESSAGE)
        return context.session[key]

    def __setitem__(self, key: str, value: t.Any) -> None:
        context = context_var.get(None)
        if context is None:
            raise RuntimeError(REQUEST_CONTEXT_MESSAGE)
        context.session[key] = value

    def get(self, key: str, default: t.Any = None) -> t.Any:
        context = context_var.get(None)
        if context is None:
            raise RuntimeError(REQUEST_CONTEXT_MESSAGE)
        return context.session.get(key, default)


session: SessionMixin = _SessionProxy(  # type: ignore[assignment]
    context_var, "session", unbound_message=REQUEST_CONTEXT_MESSAGE
)
