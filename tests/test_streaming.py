"""Streamed responses and stream_with_context, against Flask."""

from __future__ import annotations

import typing as t

import flask
import pytest

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
