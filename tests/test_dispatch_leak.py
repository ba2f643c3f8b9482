"""Leak test for the dispatch twins: serve requests by the hundred thousand; memory
stays flat and no context is left behind.

Each core (``NativeApp``: ``_routing_c`` + ``_dispatch_c``; ``PureApp``: the pure
twins) serves a mix of requests straight through its WSGI callable, from prebuilt
environs with a fresh ``io.BytesIO`` body each time: a plain string, a JSON dict, a
404, a 405, a redirect, an error answered by its handler, and a view that reads
``request.args`` and ``request.get_json()``. A reference kept per request (a context,
a request object, an exception with its traceback, a cache keyed by request) shows up
as growth of the resident set or of the memory tracemalloc sees.
"""

from __future__ import annotations

import gc
import io
import os
import sys
import tracemalloc
import typing as t

import pytest
from conftest import STATM, resident_bytes

from microweb import abort, jsonify, redirect, request
from microweb.globals import context_var

#: Requests per round: one of each kind per iteration.
ITERATIONS_PER_ROUND = 10_000
ROUNDS = 4
#: Allowed growth of the resident set between the first and the last round.
RSS_SLACK_BYTES = 3 * 1024 * 1024


class Refused(Exception):
    """A domain error its handler turns into a 409."""


def leak_app(app_class: type) -> t.Any:
    app = app_class("dispatch_leak", static_folder=None)

    @app.route("/")
    def hello() -> str:
        return "Hello, World!"

    @app.route("/json")
    def as_json() -> dict[str, t.Any]:
        return {"items": [1, 2, 3], "ok": True}

    @app.post("/only-post")
    def only_post() -> str:
        return "posted"

    @app.route("/go")
    def go() -> t.Any:
        return redirect("/json")

    @app.route("/refused/<int:number>")
    def refused(number: int) -> t.Any:
        raise Refused(number)

    @app.route("/gone")
    def gone() -> t.Any:
        abort(410)

    @app.post("/read")
    def read() -> t.Any:
        payload = request.get_json()
        return jsonify(
            name=request.args.get("name"),
            count=len(request.args.getlist("n")),
            payload=payload,
        )

    @app.errorhandler(Refused)
    def handle_refused(error: Refused) -> t.Any:
        return {"refused": str(error)}, 409

    return app


def environ_for(
    method: str,
    path: str,
    query: str = "",
    body: bytes = b"",
    content_type: str | None = None,
) -> dict[str, t.Any]:
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


#: (environ without wsgi.input, its body, the status it must get)
REQUESTS: list[tuple[dict[str, t.Any], bytes, str]] = [
    (environ_for("GET", "/"), b"", "200 OK"),
    (environ_for("GET", "/json"), b"", "200 OK"),
    (environ_for("GET", "/missing/page"), b"", "404 NOT FOUND"),
    (environ_for("GET", "/only-post"), b"", "405 METHOD NOT ALLOWED"),
    (environ_for("GET", "/go"), b"", "302 FOUND"),
    (environ_for("GET", "/refused/7"), b"", "409 CONFLICT"),
    (environ_for("GET", "/gone"), b"", "410 GONE"),
    (
        environ_for(
            "POST",
            "/read",
            "name=caf%C3%A9&n=1&n=2",
            b'{"a": [1, 2], "b": "x"}',
            "application/json",
        ),
        b'{"a": [1, 2], "b": "x"}',
        "200 OK",
    ),
]


def serve_many(app: t.Any, count: int) -> None:
    """Serve every kind of request *count* times, checking each status."""
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Callable[[bytes], None]:
        statuses.append(status)
        return _write

    for _ in range(count):
        for template, body, expected in REQUESTS:
            environ = dict(template)
            environ["wsgi.input"] = io.BytesIO(body)
            iterable = app(environ, start_response)
            try:
                for _chunk in iterable:
                    pass
            finally:
                close = getattr(iterable, "close", None)
                if close is not None:
                    close()
            status = statuses.pop()
            if status != expected:
                raise AssertionError(f"{environ['PATH_INFO']}: {status}")


def _write(data: bytes) -> None:
    raise AssertionError("the app used the write() callable")


@pytest.mark.skipif(not os.path.exists(STATM), reason="needs /proc/self/statm")
def test_serving_rss_flat(dispatch_app_class: type) -> None:
    app = leak_app(dispatch_app_class)
    serve_many(app, ITERATIONS_PER_ROUND)  # warm-up: caches, interned objects
    gc.collect()
    sizes = []
    for _ in range(ROUNDS):
        serve_many(app, ITERATIONS_PER_ROUND)
        gc.collect()
        sizes.append(resident_bytes())
    growth = sizes[-1] - sizes[0]
    assert growth < RSS_SLACK_BYTES, f"resident set grew by {growth} bytes: {sizes}"
    assert context_var.get(None) is None


def test_serving_traced_memory_flat(dispatch_app_class: type) -> None:
    # Python objects that outlive their request show in tracemalloc even where the
    # resident set hides them (freed pages reused by the allocator).
    app = leak_app(dispatch_app_class)
    serve_many(app, 1_500)
    gc.collect()
    tracemalloc.start()
    try:
        serve_many(app, 500)
        gc.collect()
        first, _ = tracemalloc.get_traced_memory()
        serve_many(app, 2_000)
        gc.collect()
        second, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # 16,000 requests: even 16 bytes kept per request would be 256 KB
    assert second - first < 128 * 1024, (first, second)
    assert context_var.get(None) is None


def test_no_context_left_behind(dispatch_app_class: type) -> None:
    # After each kind of request, including errors, no context is current and the
    # app's objects are not referenced by a leftover context.
    app = leak_app(dispatch_app_class)
    serve_many(app, 50)
    assert context_var.get(None) is None
    if not hasattr(sys, "getrefcount"):
        return
    gc.collect()
    before = sys.getrefcount(app)
    serve_many(app, 2_000)
    gc.collect()
    assert sys.getrefcount(app) - before < 20, (before, sys.getrefcount(app))
    assert context_var.get(None) is None
