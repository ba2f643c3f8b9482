"""Flask's signals, through blinker.

The dispatch core checks one flag per request, :data:`watch`'s ``active``, which is
true only while some receiver is connected to a signal of a request's life; with
nobody listening, signals cost nothing else.
"""

from __future__ import annotations

import typing as t

from blinker import Namespace

if t.TYPE_CHECKING:
    from .app import App
    from .ctx import RequestContext

_namespace = Namespace()

template_rendered = _namespace.signal("template-rendered")
before_render_template = _namespace.signal("before-render-template")
request_started = _namespace.signal("request-started")
request_finished = _namespace.signal("request-finished")
request_tearing_down = _namespace.signal("request-tearing-down")
got_request_exception = _namespace.signal("got-request-exception")
appcontext_tearing_down = _namespace.signal("appcontext-tearing-down")
appcontext_pushed = _namespace.signal("appcontext-pushed")
appcontext_popped = _namespace.signal("appcontext-popped")
message_flashed = _namespace.signal("message-flashed")

#: The names of all the signals above, which are Flask's names for them.
NAMES = tuple(name.replace("-", "_") for name in _namespace)

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

for _request_signal in REQUEST_SIGNALS:
    _request_signal.receiver_connected.connect(watch.update, weak=False)
    _request_signal.receiver_disconnected.connect(watch.update, weak=False)
