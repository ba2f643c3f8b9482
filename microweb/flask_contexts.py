"""Flask's context variables, set beside microweb's for Flask extensions.

A Flask extension finds the current app and request through ``flask.current_app``,
``flask.g``, ``flask.request`` and ``flask.session``: proxies that read two context
variables of Flask's, one for the app context and one for the request context. For
an app with :attr:`~microweb.App.flask_contexts` set, microweb sets those variables
to its own contexts whenever it pushes one (a request, ``app_context()``,
``test_request_context()``), so the extension's proxies reach the microweb app, its
``g``, request and session. microweb's contexts answer what Flask's proxies ask of
theirs: ``app`` and ``g`` of an app context, ``request`` and ``session`` of a request
context.

Flask's signals (``flask.request_started``...) are sent too, for such an app: while
one of them has receivers, a :class:`SignalRelay` listens to microweb's signal of the
same name and sends Flask's with the same sender and arguments.
"""

from __future__ import annotations

import contextvars
import importlib
import typing as t

from . import signals

if t.TYPE_CHECKING:
    from blinker import Signal

    from .cli import ScriptInfo
    from .ctx import AppContext

Tokens = tuple[contextvars.Token[t.Any], "contextvars.Token[t.Any] | None"]


class FlaskContexts:
    """Sets and resets Flask's two context variables (``flask`` must be
    importable)."""

    __slots__ = ("app_var", "request_var")

    def __init__(self) -> None:
        try:
            # Imported by name: Flask is optional, and not there to type-check.
            flask_globals = importlib.import_module("flask.globals")
        except ImportError:
            raise RuntimeError(
                "App.flask_contexts sets Flask's context variables for Flask"
                " extensions, and needs Flask installed:"
                " pip install 'microweb[flask]'."
            ) from None
        self.app_var: contextvars.ContextVar[t.Any] = flask_globals._cv_app
        self.request_var: contextvars.ContextVar[t.Any] = flask_globals._cv_request

    def push(self, context: AppContext) -> Tokens:
        """Make *context* Flask's current app context (or the context whose app
        context it shares, as Flask's request reuses the app context it is pushed
        in), and its request context (if it serves a request) Flask's current
        request context."""
        # PERF: the dispatch cores do the same inline for each request they
        # serve; this serves the contexts pushed by hand.
        request_context = context.request_context
        if (
            request_context is not None
            and request_context._after_request_functions is None
        ):
            # Flask's ``after_this_request`` appends to this list itself.
            request_context._after_request_functions = []
        app_context = context.app_context
        return (
            self.app_var.set(context if app_context is None else app_context),
            None if request_context is None else self.request_var.set(request_context),
        )

    def pop(self, tokens: Tokens) -> None:
        """Give Flask's variables back the values they had before :meth:`push`."""
        app_token, request_token = tokens
        if request_token is not None:
            self.request_var.reset(request_token)
        self.app_var.reset(app_token)


class SignalRelay:
    """Sends a Flask signal whenever microweb sends its twin for an app with
    ``flask_contexts`` set. It listens to microweb's signal only while Flask's has
    receivers: with nobody listening to either, the dispatch core sends nothing."""

    __slots__ = ("ours", "flask_signal", "listening")

    def __init__(self, ours: Signal, flask_signal: Signal) -> None:
        self.ours = ours
        self.flask_signal = flask_signal
        self.listening = False
        flask_signal.receiver_connected.connect(self.follow, weak=False)
        flask_signal.receiver_disconnected.connect(self.follow, weak=False)
        self.follow()

    def __call__(self, sender: t.Any, **kwargs: t.Any) -> None:
        if getattr(sender, "flask_contexts", False):
            self.flask_signal.send(sender, _async_wrapper=sender.ensure_sync, **kwargs)

    def follow(self, *args: t.Any, **kwargs: t.Any) -> None:
        """Listen to microweb's signal exactly while Flask's has receivers."""
        wanted = bool(self.flask_signal.receivers)
        if wanted and not self.listening:
            self.ours.connect(self, weak=False)
        elif self.listening and not wanted:
            self.ours.disconnect(self)
        self.listening = wanted


_script_info_class: type[ScriptInfo] | None = None


def script_info_class() -> type[ScriptInfo]:
    """microweb's :class:`~microweb.cli.ScriptInfo`, made an instance of Flask's
    too, so that a command written with ``flask.cli.with_appcontext`` (as
    extensions write theirs) finds the app it is given."""
    global _script_info_class
    if _script_info_class is None:
        from .cli import ScriptInfo

        flask_cli = importlib.import_module("flask.cli")
        _script_info_class = type("ScriptInfo", (ScriptInfo, flask_cli.ScriptInfo), {})
    return _script_info_class


_bridge: FlaskContexts | None = None


def bridge() -> FlaskContexts:
    """The process's :class:`FlaskContexts`, made (and Flask imported, and its
    signals relayed) on first use."""
    global _bridge
    if _bridge is None:
        contexts = FlaskContexts()
        flask_signals = importlib.import_module("flask.signals")
        for name in signals.NAMES:
            SignalRelay(getattr(signals, name), getattr(flask_signals, name))
        _bridge = contexts
    return _bridge
