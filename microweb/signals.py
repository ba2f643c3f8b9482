"""Flask's signals, through blinker when it is installed.

The dispatch core checks one flag per request, :data:`watch`'s ``active``, which is
true only while some receiver is connected to a signal of a request's life; with
nobody listening, signals cost nothing else.
"""

from __future__ import annotations

import typing as t

try:
    from blinker import Namespace
except ImportError:  # pragma: no cover - blinker is installed in the tests
    Namespace = None  # type: ignore[assignment,misc]

if t.TYPE_CHECKING:
    from .app import App
    from .ctx import RequestContext


class _NoSignal:
    """Stands in for a signal when blinker is not installed: sending does nothing,
    connecting explains what is missing."""

    receivers: dict[t.Any, t.Any] = {}

    def __init__(self, name: str) -> None:
        self.name = name

    def send(self, *args: t.Any, **kwargs: t.Any) -> list[t.Any]:
        return []

    def connect(self, *args: t.Any, **kwargs: t.Any) -> t.NoReturn:
        raise RuntimeError(
            f"Connecting to the {self.name!r} signal needs blinker: pip install blinker"
        )

    connect_via = connected_to = connect


def _signal(name: str) -> t.Any:
    if Namespace is None:  # pragma: no cover
        return _NoSignal(name)
    return _namespace.signal(name)


_namespace: t.Any = Namespace() if Namespace is not None else None

template_rendered = _signal("template-rendered")
before_render_template = _signal("before-render-template")
request_started = _signal("request-started")
request_finished = _signal("request-finished")
request_tearing_down = _signal("request-tearing-down")
got_request_exception = _signal("got-request-exception")
appcontext_tearing_down = _signal("appcontext-tearing-down")
appcontext_pushed = _signal("appcontext-pushed")
appcontext_popped = _signal("appcontext-popped")
message_flashed = _signal("message-flashed")

#: The signals sent while a request is served.
REQUEST_SIGNALS = (
    request_started,
    request_finished,
    request_tearing_down,
    appcontext_tearing_down,
    appcontext_pushed,
    appcontext_popped,
)


class SignalWatch:
    """Whether anyone listens to a request's signals, and sending them.

    ``active`` may stay true after the last receiver is gone (a weak receiver that
    died); that only costs speed, never a missed signal.
    """

    active = False

    def update(self, *args: t.Any, **kwargs: t.Any) -> None:
        self.active = any(signal.receivers for signal in REQUEST_SIGNALS)

    def pushed(self, context: RequestContext) -> None:
        if context.owns_app_context:
            appcontext_pushed.send(context.app, _async_wrapper=context.app.ensure_sync)

    def started(self, app: App) -> None:
        request_started.send(app, _async_wrapper=app.ensure_sync)

    def popped(self, context: RequestContext) -> None:
        if context.owns_app_context:
            appcontext_popped.send(context.app, _async_wrapper=context.app.ensure_sync)


#: The dispatch core reads ``watch.active`` once per request.
watch = SignalWatch()

if Namespace is not None:
    for _request_signal in REQUEST_SIGNALS:
        _request_signal.receiver_connected.connect(watch.update, weak=False)
        _request_signal.receiver_disconnected.connect(watch.update, weak=False)
