"""Streamed responses and stream_with_context, against Flask."""

from __future__ import annotations

import contextlib
import typing as t

import flask
import pytest
from conftest import both_frameworks

import microweb

FRAMEWORKS = [
    (flask.Flask, flask.request, flask.stream_with_context),
    (microweb.App, microweb.request, microweb.stream_with_context),
]


def serve(app_class: t.Any, request: t.Any, stream_with_context: t.Any) -> t.Any:
    app = app_class(__name__)
    app.teardowns = []

    @app.teardown_request
    def record(error: BaseException | None) -> None:
        app.teardowns.append(error)

    @app.route("/wrapped")
    def wrapped() -> t.Any:
        def body() -> t.Iterator[str]:
            yield "a="
            yield request.args["a"]

        return stream_with_context(body())

    @app.route("/decorated")
    @stream_with_context
    def decorated() -> t.Iterator[str]:
        yield "path="
        yield request.path

    @app.route("/plain")
    def plain() -> t.Any:
        def body() -> t.Iterator[str]:
            yield "one,"
            yield "two"

        return body()

    return app


@pytest.mark.parametrize("path", ["/wrapped?a=1", "/decorated", "/plain"])
def test_streams_like_flask(path: str) -> None:
    results = []
    for app_class, request, stream_with_context in FRAMEWORKS:
        app = serve(app_class, request, stream_with_context)
        response = app.test_client().get(path)
        results.append(
            (
                response.status_code,
                sorted(response.headers.items()),
                response.get_data(),
                app.teardowns,
            )
        )
        response.close()
    assert results[0] == results[1]


def test_stream_with_context_outside_a_request() -> None:
    def body() -> t.Iterator[str]:
        yield "x"

    with pytest.raises(RuntimeError, match="request context"):
        microweb.stream_with_context(body())


fw = both_frameworks("stream_with_context", "appcontext_pushed", "appcontext_popped")


def streaming_app(app: t.Any, fw: t.Any) -> list[t.Any]:
    """Give *app* a streamed route ``/stream`` (and a plain one, ``/plain``) and
    return the list its teardown functions, and the body, write events to."""
    events: list[t.Any] = []
    app.teardown_request(lambda error: events.append("teardown_request"))
    app.teardown_appcontext(lambda error: events.append("teardown_appcontext"))

    @app.route("/stream")
    def stream() -> t.Any:
        def body() -> t.Iterator[str]:
            events.append(("body", fw.request.path))
            yield "streamed"

        return fw.stream_with_context(body())

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    return events


@pytest.mark.parametrize("path", ["/stream", "/plain"])
def test_stream_inside_a_request_context_leaves_it_its_app_teardown(
    app: t.Any, client: t.Any, fw: t.Any, path: str
) -> None:
    # The streamed request shares the outer context's app context; reading its
    # body must not keep the outer context from tearing its app context down.
    events = streaming_app(app, fw)
    with app.test_request_context("/outer"):
        response = client.get(path)
        response.get_data()
        response.close()
        events.append("read")
    assert events[-3:] == ["read", "teardown_request", "teardown_appcontext"]
    assert events.count("teardown_appcontext") == 1


@pytest.mark.parametrize("path", ["/stream", "/plain"])
def test_stream_kept_by_the_client_tears_its_app_context_down(
    app: t.Any, client: t.Any, fw: t.Any, path: str
) -> None:
    # The request's end tears its app context down; the context the client keeps
    # pushed (pushed again by the body, for a stream) tears it down again when
    # the block ends.
    events = streaming_app(app, fw)
    with client:
        response = client.get(path)
        response.get_data()
        response.close()
        events.append("read")
    assert events.count("teardown_appcontext") == 2
    assert events[-3:] == ["read", "teardown_request", "teardown_appcontext"]


@pytest.mark.parametrize("outer", ["request", "app"])
@pytest.mark.parametrize("path", ["/stream", "/plain"])
def test_stream_read_inside_the_client_keeps_its_request_current(
    app: t.Any, client: t.Any, fw: t.Any, path: str, outer: str
) -> None:
    # The client keeps the request's context pushed until the block ends, also
    # after the body (pushing and popping it again, for a stream) has been read.
    streaming_app(app, fw)
    if outer == "request":
        outer_context = app.test_request_context("/outer")
    else:
        outer_context = app.app_context()
    paths = []
    with outer_context:
        with client:
            with client.get(path) as response:
                paths.append(fw.request.path)
                response.get_data()
                paths.append(fw.request.path)
            paths.append(fw.request.path)
        paths.append(fw.request.path if fw.has_request_context() else None)
    assert paths == [path, path, path, "/outer" if outer == "request" else None]


@contextlib.contextmanager
def app_context_signals(fw: t.Any, app: t.Any, events: list[t.Any]) -> t.Iterator[None]:
    """Record ``appcontext_pushed`` and ``appcontext_popped`` of *app* in *events*
    ("pushed", "popped") while the block runs."""

    def pushed(sender: t.Any, **extra: t.Any) -> None:
        events.append("pushed")

    def popped(sender: t.Any, **extra: t.Any) -> None:
        events.append("popped")

    fw.appcontext_pushed.connect(pushed, app)
    fw.appcontext_popped.connect(popped, app)
    try:
        yield
    finally:
        fw.appcontext_pushed.disconnect(pushed, app)
        fw.appcontext_popped.disconnect(popped, app)


@pytest.mark.parametrize("outer", ["request", "app"])
def test_stream_inside_an_outer_context_sends_its_app_context_signals(
    app: t.Any, client: t.Any, fw: t.Any, outer: str
) -> None:
    # The body pushes the shared app context again: its signals are sent once
    # more, and the outer context's end sends the last one.
    events = streaming_app(app, fw)
    if outer == "request":
        outer_context = app.test_request_context("/outer")
    else:
        outer_context = app.app_context()
    with app_context_signals(fw, app, events), outer_context:
        response = client.get("/stream")
        response.get_data()
        response.close()
        events.append("read")
    assert events.count("pushed") == 2
    assert events.count("popped") == 2
    assert events[-2:] == ["teardown_appcontext", "popped"]


@pytest.mark.parametrize("path", ["/stream", "/plain"])
def test_client_keeps_the_shared_app_context_with_its_signals(
    app: t.Any, client: t.Any, fw: t.Any, path: str
) -> None:
    # Inside an outer context, the context the client keeps pushed comes with
    # the app context it shares: pushed (a signal) after the request, popped
    # (a signal) when the block ends.
    events = streaming_app(app, fw)
    with app_context_signals(fw, app, events), app.app_context():
        with client:
            with client.get(path) as response:
                response.get_data()
            events.append("read")
        events.append("client done")
    # The request pushes (and shares) nothing of its own; a stream's body pushes
    # the shared app context again while it runs; the client pushes it after the
    # request, and pops it when the block ends.
    body = ["pushed", ("body", path), "pushed", "popped"] if path == "/stream" else []
    assert events == [
        "pushed",
        "teardown_request",
        *(body or ["pushed"]),
        "read",
        "teardown_request",
        "popped",
        "client done",
        "teardown_appcontext",
        "popped",
    ]
