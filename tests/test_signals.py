"""Signals: the same ones, in the same order, as Flask sends them."""

from __future__ import annotations

import typing as t

import flask
import pytest

import microweb

SIGNAL_NAMES = (
    "appcontext_pushed",
    "request_started",
    "got_request_exception",
    "request_finished",
    "request_tearing_down",
    "appcontext_tearing_down",
    "appcontext_popped",
)


def record_signals(module: t.Any, app: t.Any) -> tuple[list[str], t.Callable[[], None]]:
    """Connect a recorder to each request signal of *module*, for *app* only;
    return the log and a function that disconnects them."""
    log: list[str] = []
    connected = []
    for name in SIGNAL_NAMES:
        signal = getattr(module, name)

        def receiver(sender: t.Any, _name: str = name, **extra: t.Any) -> None:
            log.append(_name)

        signal.connect(receiver, app, weak=False)
        connected.append((signal, receiver))

    def disconnect() -> None:
        for signal, receiver in connected:
            signal.disconnect(receiver)

    return log, disconnect


def make_app(module: t.Any, app_class: t.Any) -> t.Any:
    app = app_class(__name__)

    @app.route("/")
    def index() -> str:
        return "hello"

    @app.route("/json")
    def data() -> dict[str, int]:
        return {"a": 1}

    @app.route("/boom")
    def boom() -> str:
        raise ZeroDivisionError

    return app


FRAMEWORKS = [(flask, flask.Flask), (microweb, microweb.App)]


@pytest.mark.parametrize("path", ["/", "/json", "/boom", "/missing"])
def test_signal_order_matches_flask(path: str) -> None:
    logs = []
    for module, app_class in FRAMEWORKS:
        app = make_app(module, app_class)
        log, disconnect = record_signals(module, app)
        try:
            response = app.test_client().get(path)
            response.close()
        finally:
            disconnect()
        logs.append((response.status_code, log))
    assert logs[0] == logs[1]


def test_finished_signal_gets_the_response() -> None:
    app = make_app(microweb, microweb.App)
    seen: list[t.Any] = []

    def receiver(sender: t.Any, response: t.Any, **extra: t.Any) -> None:
        seen.append(response.get_data())

    microweb.request_finished.connect(receiver, app)
    try:
        assert app.test_client().get("/").data == b"hello"
    finally:
        microweb.request_finished.disconnect(receiver)
    assert seen == [b"hello"]


def test_no_listener_keeps_the_fast_path_off_the_signals() -> None:
    from microweb.signals import watch

    assert not watch.active
    app = make_app(microweb, microweb.App)

    def receiver(sender: t.Any, **extra: t.Any) -> None:
        pass

    microweb.request_started.connect(receiver)
    assert watch.active
    microweb.request_started.disconnect(receiver)
    assert not watch.active
    assert app.test_client().get("/").data == b"hello"
