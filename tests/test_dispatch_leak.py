"""Leak test for the dispatch twins: serve requests by the hundred thousand; memory
stays flat and no context is left behind.

Each core (``NativeApp``: ``_routing_c`` + ``_dispatch_c``; ``PureApp``: the pure
twins) serves a mix of requests straight through its WSGI callable, from prebuilt
environs with a fresh ``io.BytesIO`` body each time: a plain string, a JSON dict, a
404, a 405, a redirect, an error answered by its handler, and a view that reads
``request.args`` and ``request.get_json()``. A reference kept per request (a context,
a request object, an exception with its traceback, a cache keyed by request) shows up
as growth of the resident set or of the memory tracemalloc sees.

A second app serves the error paths and hostile input by the hundred thousand: 400
(JSON that does not parse, a ``Content-Length`` that is no number or longer than
the body), 413, 415, session cookies of every kind (valid, from a fallback key,
garbage, tampered, signed with another key, signed over no session), ``abort`` in a
``before_request`` hook, an error its handler answers and one nobody does (a 500
with its traceback), paths that are not UTF-8, unknown and lower-case methods,
multipart bodies cut short, and headers Werkzeug's parsers refuse. Its resident-set
test is marked ``slow`` (the native tox env runs it; the pure one skips it).
"""

from __future__ import annotations

import gc
import hashlib
import io
import os
import sys
import typing as t

import pytest
from conftest import STATM, resident_bytes, traced_growth

from microweb import abort, jsonify, redirect, request, session
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


def serve_many(
    app: t.Any,
    count: int,
    requests: list[tuple[dict[str, t.Any], bytes, str]] | None = None,
) -> None:
    """Serve every request of *requests* (by default :data:`REQUESTS`) *count*
    times, checking each status."""
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Callable[[bytes], None]:
        statuses.append(status)
        return _write

    for _ in range(count):
        for template, body, expected in REQUESTS if requests is None else requests:
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
                raise AssertionError(f"{environ['PATH_INFO']!r}: {status}")


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
    growth = traced_growth(lambda: serve_many(app, 500), lambda: serve_many(app, 2_000))
    # 16,000 requests: even 16 bytes kept per request would be 256 KB
    assert growth < 128 * 1024, growth
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


# -- hostile requests and error paths ------------------------------------------------


class Handled(Exception):
    """Turned into a 422 by its handler."""


def hostile_app(app_class: type) -> t.Any:
    """An app with sessions, a strict JSON view, a size limit, a before_request
    hook that aborts on demand and an unhandled error (its log is switched off)."""
    app = app_class(f"dispatch_leak_hostile_{app_class.__name__}", static_folder=None)
    app.secret_key = "leak secret"
    app.config["SECRET_KEY_FALLBACKS"] = ["old leak secret"]
    app.config["MAX_CONTENT_LENGTH"] = 1024
    # A 500 is answered, never raised, whatever the environment says (a
    # MICROWEB_DEBUG left set would turn debug mode, and propagation, on).
    app.testing = app.debug = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True

    @app.route("/")
    def index() -> str:
        return "index"

    @app.post("/json")
    def strict_json() -> t.Any:
        return {"got": request.get_json()}

    @app.post("/form")
    def form() -> t.Any:
        return {"form": request.form.to_dict(), "files": sorted(request.files)}

    @app.route("/session")
    def count() -> t.Any:
        visits = session.get("count", 0)
        session["count"] = visits + 1 if isinstance(visits, int) else 1
        return {"count": session["count"]}

    @app.route("/inspect")
    def inspect() -> t.Any:
        return {
            "accept": str(request.accept_mimetypes),
            "range": repr(request.range),
            "authorization": repr(request.authorization),
            "since": repr(request.if_modified_since),
            "cookies": len(request.cookies),
            "args": request.args.to_dict(flat=False),
        }

    @app.route("/handled")
    def handled() -> t.Any:
        raise Handled("no")

    @app.route("/boom")
    def boom() -> t.Any:
        raise LookupError("an unhandled error: a 500 with its traceback")

    @app.route("/dir/")
    def directory() -> str:
        return "a directory"

    @app.before_request
    def hook() -> None:
        if request.headers.get("X-Hook") == "abort":
            abort(403)

    @app.errorhandler(Handled)
    def on_handled(error: Handled) -> t.Any:
        return {"handled": str(error)}, 422

    return app


def signed_cookie(app: t.Any, value: t.Any, secret: str | None = None) -> str:
    """A session cookie for *value*, signed now with *secret* (the app's key by
    default)."""
    import itsdangerous

    from microweb.sessions import session_json_serializer

    serializer = itsdangerous.URLSafeTimedSerializer(
        secret or app.secret_key,
        salt="cookie-session",
        serializer=session_json_serializer,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    return serializer.dumps(value)


def hostile_requests(app: t.Any) -> list[tuple[dict[str, t.Any], bytes, str]]:
    """(environ without wsgi.input, its body, the status it must get): every error
    path, and requests no well-behaved client sends."""
    valid = signed_cookie(app, {"count": 3})
    odd_payload = signed_cookie(app, "no session, a string")
    # Cut short after a field. (A file part in a body cut short is dropped by
    # Werkzeug's parser without being closed: a ResourceWarning when collected,
    # Flask's behaviour too; files that parse are closed with the request.)
    multipart_cut = (
        b'--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n'
        b'--b\r\nContent-Disposition: form-data; name="y"\r\n\r\nhal'
    )
    multipart = (
        b'--b\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n'
        b"data\r\n--b--\r\n"
    )

    def with_headers(environ: dict[str, t.Any], **headers: str) -> dict[str, t.Any]:
        return {**environ, **headers}

    return [
        # 400: JSON that does not parse; 415: a body that is not JSON at all.
        (
            environ_for("POST", "/json", body=b'{"a": [1,', content_type=JSON),
            b'{"a": [1,',
            "400 BAD REQUEST",
        ),
        (
            environ_for("POST", "/json", body=b"a=1", content_type="text/plain"),
            b"a=1",
            "415 UNSUPPORTED MEDIA TYPE",
        ),
        # 413: over MAX_CONTENT_LENGTH.
        (
            environ_for("POST", "/json", body=b"1" * 2000, content_type=JSON),
            b"1" * 2000,
            "413 REQUEST ENTITY TOO LARGE",
        ),
        # Content-Length that is no number, and one longer than the body.
        (
            with_headers(
                environ_for("POST", "/json", body=b"[]", content_type=JSON),
                CONTENT_LENGTH="abc",
            ),
            b"[]",
            "400 BAD REQUEST",
        ),
        (
            with_headers(
                environ_for("POST", "/json", body=b"[]", content_type=JSON),
                CONTENT_LENGTH="50",
            ),
            b"[]",
            "400 BAD REQUEST",
        ),
        # A multipart body with a file, and one cut short.
        (
            environ_for(
                "POST", "/form", body=multipart, content_type=MULTIPART_BOUNDARY_B
            ),
            multipart,
            "200 OK",
        ),
        (
            environ_for(
                "POST", "/form", body=multipart_cut, content_type=MULTIPART_BOUNDARY_B
            ),
            multipart_cut,
            "200 OK",
        ),
        # Session cookies: valid, from the fallback key, garbage, tampered, wrong
        # key, signed over a value that is no session.
        (
            with_headers(
                environ_for("GET", "/session"), HTTP_COOKIE=f"session={valid}"
            ),
            b"",
            "200 OK",
        ),
        (
            with_headers(
                environ_for("GET", "/session"),
                HTTP_COOKIE="session="
                + signed_cookie(app, {"count": 1}, "old leak secret"),
            ),
            b"",
            "200 OK",
        ),
        (
            with_headers(environ_for("GET", "/session"), HTTP_COOKIE="session=x.y.z"),
            b"",
            "200 OK",
        ),
        (
            with_headers(
                environ_for("GET", "/session"),
                HTTP_COOKIE=f"session={valid[:-3]}AAA; other=1",
            ),
            b"",
            "200 OK",
        ),
        (
            with_headers(
                environ_for("GET", "/session"),
                HTTP_COOKIE="session=" + signed_cookie(app, {"count": 1}, "wrong"),
            ),
            b"",
            "200 OK",
        ),
        (
            with_headers(
                environ_for("GET", "/session"), HTTP_COOKIE=f"session={odd_payload}"
            ),
            b"",
            "200 OK",
        ),
        # abort() in before_request; an error its handler answers; one nobody does.
        (
            with_headers(environ_for("GET", "/"), HTTP_X_HOOK="abort"),
            b"",
            "403 FORBIDDEN",
        ),
        (environ_for("GET", "/handled"), b"", "422 UNPROCESSABLE ENTITY"),
        (environ_for("GET", "/boom"), b"", "500 INTERNAL SERVER ERROR"),
        # Routing: 404 on a path that is not UTF-8, 405 on an unknown method, a
        # trailing-slash redirect, a lower-case method.
        (environ_for("GET", "/caf\xc3\xa9/\xff\xfe/%ZZ"), b"", "404 NOT FOUND"),
        (environ_for("PROPFIND", "/"), b"", "405 METHOD NOT ALLOWED"),
        (environ_for("GET", "/dir"), b"", "308 PERMANENT REDIRECT"),
        (environ_for("get", "/"), b"", "200 OK"),
        # Headers Werkzeug's parsers refuse or half-read.
        (
            with_headers(
                environ_for("GET", "/inspect", "a=1&a=2&%ZZ=\xc3\xa9&=&k"),
                HTTP_ACCEPT="text/*;q=abc, */*;q=1e500, ;;;",
                HTTP_RANGE="bytes=10-5,abc",
                HTTP_AUTHORIZATION="Basic !!!not base64",
                HTTP_IF_MODIFIED_SINCE="Mon, 99 Foo 99999 99:99:99 GMT",
                HTTP_COOKIE='a="\\\\x; b=; ;=;' + "c" * 4000,
            ),
            b"",
            "200 OK",
        ),
    ]


JSON = "application/json"
MULTIPART_BOUNDARY_B = "multipart/form-data; boundary=b"


#: Iterations (of every hostile request) per round of the resident-set test.
HOSTILE_ITERATIONS_PER_ROUND = 3_000


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(STATM), reason="needs /proc/self/statm")
def test_hostile_requests_rss_flat(dispatch_app_class: type) -> None:
    # A few hundred thousand requests per core: the native tox env runs it.
    app = hostile_app(dispatch_app_class)
    requests = hostile_requests(app)
    serve_many(app, HOSTILE_ITERATIONS_PER_ROUND, requests)  # warm-up
    gc.collect()
    sizes = []
    for _ in range(ROUNDS):
        serve_many(app, HOSTILE_ITERATIONS_PER_ROUND, requests)
        gc.collect()
        sizes.append(resident_bytes())
    growth = sizes[-1] - sizes[0]
    assert growth < RSS_SLACK_BYTES, f"resident set grew by {growth} bytes: {sizes}"
    assert context_var.get(None) is None


def test_hostile_requests_traced_memory_flat(dispatch_app_class: type) -> None:
    app = hostile_app(dispatch_app_class)
    requests = hostile_requests(app)
    serve_many(app, 300, requests)
    gc.collect()
    growth = traced_growth(
        lambda: serve_many(app, 150, requests), lambda: serve_many(app, 600, requests)
    )
    # 600 rounds of 22 requests: even 16 bytes kept per request would be 211 KB.
    assert growth < 96 * 1024, growth
    assert context_var.get(None) is None


def test_hostile_requests_keep_no_reference(dispatch_app_class: type) -> None:
    # An error path that keeps its exception (and through its traceback, the
    # request, the context, the app) shows as a reference count of the app that
    # grows with the number of requests.
    if not hasattr(sys, "getrefcount"):
        pytest.skip("needs sys.getrefcount")
    app = hostile_app(dispatch_app_class)
    requests = hostile_requests(app)
    serve_many(app, 20, requests)
    gc.collect()
    before = sys.getrefcount(app)
    serve_many(app, 200, requests)
    gc.collect()
    assert sys.getrefcount(app) - before < 20, (before, sys.getrefcount(app))
    assert context_var.get(None) is None
