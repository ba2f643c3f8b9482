"""Whole-request cost: microweb against Flask, Falcon, Bottle and a bare WSGI callable.

Run from the repository root::

    python perf/wsgi.py                 # full run (about a minute; 4 at most)
    python perf/wsgi.py --quick         # short run (under 40 seconds)
    python perf/wsgi.py --rounds 61 --json wsgi.json
    python perf/wsgi.py --flask-contexts  # microweb also with App.flask_contexts

Every framework serves the same six workloads in this process, called the way a WSGI
server calls it: a prebuilt environ (copied per request, with a fresh ``wsgi.input``),
a minimal ``start_response``, the returned iterable joined and closed. Every response
of every request stream is checked once (status, content type, body) before timing; a
contender that answers wrongly is reported and not timed. The contenders are then
timed round-robin, one batch per (workload, contender) per round, the starting cell
rotating between rounds; the tables show the median over rounds of the microseconds
per request, and ratios against Flask and Falcon.

The microweb apps are built by :func:`make_microweb_app`, which pins the routing and
dispatch cores per app, so both cores run interleaved in this process. When a core
cannot be pinned here (a microweb without per-app pinning, whose import picked the
other core), it runs in a child process together with its own Flask and Falcon
references, and its ratios are taken against those.

Speed is measured here and only here; tests never assert timings.
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import os
import random
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # perf/ is not a package

from _harness import (
    CLOCKS,
    GITHUB_ROUTES,
    MAX_MISMATCHES_SHOWN,
    SEED,
    VALUES_PER_ROUTE,
    Route,
    RunDefaults,
    Timed,
    fmt_ratio,
    fmt_us,
    github_stream,
    import_microweb,
    load_average,
    machine_line,
    machine_payload,
    make_value,
    md_row,
    md_table,
    measure_round_robin,
    notes_section,
    parse_route_file,
    run_line,
    shared_cpu_note,
    write_json,
)

NOT_FOUND_PATHS = 64
PARAM_REQUESTS = 8
ECHO_BODIES = 4
ECHO_SIZE = 200
DEFAULTS = RunDefaults(
    rounds=41,
    quick_rounds=11,
    batch_ms=40,
    quick_batch_ms=20,
    quick_help="short run (< 40 s)",
)

HELLO = "Hello, World!"

# The session workload: every framework signs with this secret, and keeps the
# session in a cookie of this name that its own login response sets.
SESSION_SECRET = "microweb-perf-secret-key"
SESSION_COOKIE = "session"
SESSION_USER = "alice"
LOGIN_BODY = "logged in"
#: Flask's default ``PERMANENT_SESSION_LIFETIME`` (31 days), the max_age of a load
SESSION_MAX_AGE = 31 * 24 * 3600
NATIVE, PURE = "native", "pure"
CORES = (NATIVE, PURE)
NO_EXTENSIONS_ENV = "MICROWEB_NO_EXTENSIONS"
REQUIRE_EXTENSIONS_ENV = "MICROWEB_REQUIRE_EXTENSIONS"


# --------------------------------------------------------------------------- data


def endpoint_text(endpoint: str, args: dict[str, Any]) -> str:
    """What every GitHub-set view returns: its endpoint, then its sorted arguments."""
    return endpoint + "".join(f" {name}={args[name]}" for name in sorted(args))


# ------------------------------------------------------------------ the workloads


@dataclass(frozen=True)
class Expect:
    """The response a correct app gives to one request."""

    status: int
    #: required start of the Content-Type (lower case), or None for any
    content_type: str | None
    #: "text": body == value; "json": parsed body == value; "any": not checked;
    #: "session": value is (body text, the session the Set-Cookie must carry)
    kind: str
    value: Any = None


@dataclass(frozen=True)
class Call:
    """One request of a stream: its environ template, its body, its right answer."""

    method: str
    path: str
    environ: dict[str, Any]
    body: bytes
    expect: Expect


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    #: which of a contender's apps serves it: "small" or "github"
    app: str
    calls: list[Call]


class _NullErrors:
    """``wsgi.errors`` that drops what it is given (no traceback is expected)."""

    def write(self, text: str) -> int:
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        pass

    def flush(self) -> None:
        pass


WSGI_ERRORS = _NullErrors()


def make_environ(
    method: str, path: str, body: bytes = b"", content_type: str | None = None
) -> dict[str, Any]:
    """A PEP 3333 environ as a threaded server would pass it (``wsgi.input`` aside)."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_USER_AGENT": "microweb-perf/1",
        "HTTP_ACCEPT": "*/*",
        "HTTP_CONNECTION": "keep-alive",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": WSGI_ERRORS,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
        environ["CONTENT_LENGTH"] = str(len(body))
    return environ


def _call(
    method: str,
    path: str,
    expect: Expect,
    body: bytes = b"",
    content_type: str | None = None,
) -> Call:
    return Call(
        method, path, make_environ(method, path, body, content_type), body, expect
    )


def github_calls(routes: list[Route], seed: int) -> list[Call]:
    """VALUES_PER_ROUTE requests per route (distinct values where it has params)."""

    def make(route: Route, path: str, args: dict[str, str]) -> Call:
        text = endpoint_text(route.endpoint, args)
        return _call(route.method, path, Expect(200, "text/html", "text", text))

    return github_stream(routes, seed, make)


def matches_any(routes: list[Route], path: str) -> bool:
    """Whether ``path`` matches some route's template, whatever the method."""
    parts = path.strip("/").split("/")
    for route in routes:
        if len(route.segments) == len(parts) and all(
            isinstance(seg, tuple) or seg == part
            for seg, part in zip(route.segments, parts, strict=True)
        ):
            return True
    return False


def not_found_calls(routes: list[Route], seed: int) -> list[Call]:
    """NOT_FOUND_PATHS paths near the routes that match none of them.

    Three kinds, in turn: a route's path with an extra segment, with its last static
    word changed, and with an unknown first segment. Each is checked against every
    template, whatever the method, so no framework can answer 405 instead.
    """
    rng = random.Random(seed)
    paths: list[str] = []
    kind = 0
    while len(paths) < NOT_FOUND_PATHS:
        route = rng.choice(routes)
        path = route.fill({name: make_value(rng) for name in route.params})
        parts = path.strip("/").split("/")
        if kind == 0:
            parts.append("nothing")
        elif kind == 1:
            statics = [
                i for i, seg in enumerate(route.segments) if isinstance(seg, str)
            ]
            parts[statics[-1]] = "missing"
        else:
            parts[0] = "nowhere"
        candidate = "/" + "/".join(parts)
        if candidate not in paths and not matches_any(routes, candidate):
            paths.append(candidate)
            kind = (kind + 1) % 3
    expect = Expect(404, None, "any")
    return [_call("GET", path, expect) for path in paths]


def echo_document(rng: random.Random, size: int) -> bytes:
    """A compact JSON object of exactly ``size`` bytes (a user-ish record)."""
    doc: dict[str, Any] = {
        "id": rng.randint(10_000, 99_999),
        "name": "".join(rng.choice(string.ascii_lowercase) for _ in range(8)),
        "email": "someone@example.org",
        "active": True,
        "score": round(rng.uniform(0, 100), 2),
        "tags": ["alpha", "beta", "gamma"],
        "address": {"city": "Lisbon", "zip": "1100-148"},
        "note": "",
    }
    encoded = json.dumps(doc, separators=(",", ":")).encode()
    doc["note"] = "x" * (size - len(encoded))
    encoded = json.dumps(doc, separators=(",", ":")).encode()
    assert len(encoded) == size, len(encoded)
    return encoded


def build_workloads(routes: list[Route]) -> list[Workload]:
    rng = random.Random(SEED + 5)
    hello = [_call("GET", "/", Expect(200, "text/html", "text", HELLO))]
    params = []
    for index in range(PARAM_REQUESTS):
        user_id = rng.randint(1, 99_999)
        slug = f"post-{index}-" + "".join(
            rng.choice(string.ascii_lowercase) for _ in range(8)
        )
        expect = Expect(
            200, "application/json", "json", {"id": user_id, "slug": slug, "ok": True}
        )
        params.append(_call("GET", f"/users/{user_id}/posts/{slug}", expect))
    session_expect = Expect(
        200,
        "text/html",
        "session",
        (visit_body(SESSION_USER, 1), {**LOGIN_SESSION, "count": 1}),
    )
    # The environ gets the Cookie header of each contender's own login response
    # (with_session_cookie), so the stream here carries no cookie yet.
    session = [_call("GET", "/session", session_expect)]
    echo = []
    for _ in range(ECHO_BODIES):
        body = echo_document(rng, ECHO_SIZE)
        expect = Expect(200, "application/json", "json", json.loads(body))
        echo.append(_call("POST", "/echo", expect, body, "application/json"))
    return [
        Workload("hello", "hello world: `GET /`", "small", hello),
        Workload(
            "params",
            "int + string params → JSON: `GET /users/<int:id>/posts/<slug>`",
            "small",
            params,
        ),
        Workload(
            "github",
            f"GitHub API set, {len(routes)} routes, "
            f"{VALUES_PER_ROUTE} requests per route",
            "github",
            github_calls(routes, SEED),
        ),
        Workload(
            "notfound",
            f"404 among the GitHub routes ({NOT_FOUND_PATHS} paths)",
            "github",
            not_found_calls(routes, SEED + 3),
        ),
        Workload(
            "echo",
            f"JSON echo: `POST /echo`, {ECHO_SIZE}-byte body",
            "small",
            echo,
        ),
        Workload(
            "session",
            "session round-trip: `GET /session` with the app's own session cookie",
            "session",
            session,
        ),
    ]


#: What the login response's session cookie holds; a visit adds 1 to ``count``.
LOGIN_SESSION = {"user": SESSION_USER, "count": 0}
#: The request that makes each app set its first session cookie (not timed).
LOGIN_CALL = _call(
    "GET", "/login", Expect(200, "text/html", "session", (LOGIN_BODY, LOGIN_SESSION))
)


def visit_body(user: str, count: int) -> str:
    """What every session view returns."""
    return f"Hello {user}, visit {count}"


# ----------------------------------------------------------------------- the apps
#
# Each builder returns {"small": wsgi_app, "github": wsgi_app}. "small" serves
# GET /, GET /users/<int:id>/posts/<slug> and POST /echo; "github" has the 203
# GitHub routes, every view returning endpoint_text(endpoint, args).


def _github_view(endpoint: str) -> Callable[..., str]:
    def view(**args: str) -> str:
        return endpoint_text(endpoint, args)

    return view


def flask_style_apps(
    app_class: type, request: Any, routes: list[Route]
) -> dict[str, Any]:
    """The apps written once against Flask's API; microweb runs the same code."""
    small = app_class(__name__)

    @small.get("/")
    def hello() -> str:
        return HELLO

    @small.get("/users/<int:id>/posts/<slug>")
    def post(id: int, slug: str) -> dict[str, Any]:
        return {"id": id, "slug": slug, "ok": True}

    @small.post("/echo")
    def echo() -> Any:
        return request.get_json()

    github = app_class(__name__)
    try:
        for route in routes:
            github.add_url_rule(
                route.rule,
                endpoint=route.endpoint,
                view_func=_github_view(route.endpoint),
                methods=[route.method],
            )
    except Exception as exc:  # the other app's workloads still run
        return {"small": small, "github": BuildFailed(exc)}
    return {"small": small, "github": github}


@dataclass(frozen=True)
class BuildFailed:
    """In place of an app whose registration raised: its workloads are skipped."""

    error: BaseException

    def __str__(self) -> str:
        return f"building the app failed: {self.error!r}"


@dataclass(frozen=True)
class SessionApp:
    """The app of the session workload, and how to read the cookie it sets."""

    app: Any
    #: the session cookie's value, as its Set-Cookie gives it -> the session it
    #: holds, read by the framework's own means (raises when it does not load)
    load: Callable[[str], Any]


def session_app(build: Callable[[], SessionApp]) -> SessionApp | BuildFailed:
    """``build()``, or what failed: the other apps' workloads still run."""
    try:
        return build()
    except Exception as exc:
        return BuildFailed(exc)


def flask_style_session_app(
    app_class: type, session: Any, interface: Any = None
) -> SessionApp:
    """The session app written once against Flask's API; microweb runs it too.

    ``interface`` replaces the app's ``session_interface`` (microweb pins its
    signing core that way).
    """
    app = app_class(__name__)
    app.secret_key = SESSION_SECRET
    if interface is not None:
        app.session_interface = interface

    @app.get("/login")
    def login() -> str:
        session["user"] = SESSION_USER
        session["count"] = 0
        return LOGIN_BODY

    @app.get("/session")
    def visit() -> str:
        user = session["user"]
        count = session["count"] + 1
        session["count"] = count
        return visit_body(user, count)

    def load(value: str) -> Any:
        serializer = app.session_interface.get_signing_serializer(app)
        max_age = int(app.permanent_session_lifetime.total_seconds())
        return serializer.loads(value, max_age=max_age)

    return SessionApp(app, load)


def flask_style_serializer() -> Any:
    """``itsdangerous.URLSafeTimedSerializer`` set up as Flask's session cookie:
    salt ``cookie-session``, HMAC key derivation, SHA-1, compact JSON (its
    default serializer)."""
    import hashlib

    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(
        SESSION_SECRET,
        salt="cookie-session",
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )


def flask_apps(routes: list[Route]) -> dict[str, Any]:
    import flask

    apps = flask_style_apps(flask.Flask, flask.request, routes)
    apps["session"] = session_app(
        lambda: flask_style_session_app(flask.Flask, flask.session)
    )
    return apps


def falcon_session_app() -> SessionApp:
    """Falcon has no sessions: the cookie is signed by hand, as Flask signs it."""
    import falcon
    from itsdangerous import BadData

    html = falcon.MEDIA_HTML
    serializer = flask_style_serializer()

    def open_session(req: Any) -> dict[str, Any]:
        value = req.cookies.get(SESSION_COOKIE)
        if value:
            try:
                session: dict[str, Any] = serializer.loads(
                    value, max_age=SESSION_MAX_AGE
                )
                return session
            except BadData:
                pass
        return {}

    def save_session(resp: Any, session: dict[str, Any]) -> None:
        resp.set_cookie(
            SESSION_COOKIE,
            serializer.dumps(session),
            path="/",
            secure=False,  # Falcon's default is True; Flask's, False
            http_only=True,
        )
        resp.vary = "Cookie"

    class Login:
        def on_get(self, req: Any, resp: Any) -> None:
            save_session(resp, {"user": SESSION_USER, "count": 0})
            resp.content_type = html
            resp.text = LOGIN_BODY

    class Visit:
        def on_get(self, req: Any, resp: Any) -> None:
            session = open_session(req)
            user = session["user"]
            count = session["count"] + 1
            session["count"] = count
            save_session(resp, session)
            resp.content_type = html
            resp.text = visit_body(user, count)

    app = falcon.App()
    app.add_route("/login", Login())
    app.add_route("/session", Visit())

    def load(value: str) -> Any:
        return serializer.loads(value, max_age=SESSION_MAX_AGE)

    return SessionApp(app, load)


def falcon_apps(routes: list[Route]) -> dict[str, Any]:
    import falcon

    html = falcon.MEDIA_HTML

    class Hello:
        def on_get(self, req: Any, resp: Any) -> None:
            resp.content_type = html
            resp.text = HELLO

    class Post:
        def on_get(self, req: Any, resp: Any, id: int, slug: str) -> None:
            resp.media = {"id": id, "slug": slug, "ok": True}

    class Echo:
        def on_post(self, req: Any, resp: Any) -> None:
            resp.media = req.get_media()

    small = falcon.App()
    small.add_route("/", Hello())
    small.add_route("/users/{id:int}/posts/{slug}", Post())
    small.add_route("/echo", Echo())

    def responder(endpoint: str) -> Callable[..., None]:
        def on_method(resource: Any, req: Any, resp: Any, **args: str) -> None:
            resp.content_type = html
            resp.text = endpoint_text(endpoint, args)

        return on_method

    # Falcon routes by path; the methods of one path are responders of one resource.
    by_template: dict[str, dict[str, Any]] = {}
    for route in routes:
        namespace = by_template.setdefault(route.template("{", "}"), {})
        namespace[f"on_{route.method.lower()}"] = responder(route.endpoint)
    github = falcon.App()
    for template, namespace in by_template.items():
        github.add_route(template, type("Resource", (), namespace)())
    return {
        "small": small,
        "github": github,
        "session": session_app(falcon_session_app),
    }


def bottle_apps(routes: list[Route]) -> dict[str, Any]:
    import bottle

    small = bottle.Bottle()

    @small.get("/")
    def hello() -> str:
        return HELLO

    @small.get("/users/<id:int>/posts/<slug>")
    def post(id: int, slug: str) -> dict[str, Any]:
        return {"id": id, "slug": slug, "ok": True}

    @small.post("/echo")
    def echo() -> Any:
        return bottle.request.json

    github = bottle.Bottle()
    for route in routes:
        github.route(route.rule, route.method, _github_view(route.endpoint))
    return {
        "small": small,
        "github": github,
        "session": session_app(bottle_session_app),
    }


def bottle_session_app() -> SessionApp:
    """Bottle's signed cookies (HMAC-SHA256 over a pickle) holding the session as
    a JSON string (Bottle 0.13 deprecates pickling other objects into cookies)."""
    import bottle

    dumps = json.JSONEncoder(separators=(",", ":")).encode
    request, response = bottle.request, bottle.response

    def open_session() -> dict[str, Any]:
        value = request.get_cookie(SESSION_COOKIE, secret=SESSION_SECRET)
        return json.loads(value) if value else {}

    def save_session(session: dict[str, Any]) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            dumps(session),
            secret=SESSION_SECRET,
            path="/",
            httponly=True,
        )
        response.set_header("Vary", "Cookie")

    app = bottle.Bottle()

    @app.get("/login")
    def login() -> str:
        save_session({"user": SESSION_USER, "count": 0})
        return LOGIN_BODY

    @app.get("/session")
    def visit() -> str:
        session = open_session()
        user = session["user"]
        count = session["count"] + 1
        session["count"] = count
        save_session(session)
        return visit_body(user, count)

    def load(value: str) -> Any:
        environ = {"HTTP_COOKIE": f"{SESSION_COOKIE}={value}"}
        cookie = bottle.BaseRequest(environ).get_cookie(
            SESSION_COOKIE, secret=SESSION_SECRET
        )
        if cookie is None:
            raise ValueError("bad signature")
        return json.loads(cookie)

    return SessionApp(app, load)


class _Node:
    """One level of the bare callable's route tree."""

    __slots__ = ("static", "param", "leaf")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.param: _Node | None = None
        #: method -> (endpoint, parameter names in path order)
        self.leaf: dict[str, tuple[str, tuple[str, ...]]] = {}


def _walk(node: _Node, parts: list[str], index: int, values: list[str]) -> Any:
    if index == len(parts):
        return node.leaf or None
    child = node.static.get(parts[index])
    if child is not None:
        found = _walk(child, parts, index + 1, values)
        if found is not None:
            return found
    if node.param is not None:
        values.append(parts[index])
        found = _walk(node.param, parts, index + 1, values)
        if found is not None:
            return found
        values.pop()
    return None


def bare_apps(routes: list[Route]) -> dict[str, Any]:
    """Hand-written WSGI callables doing the least work for the same responses."""
    dumps = json.JSONEncoder(separators=(",", ":")).encode
    loads = json.loads
    html = [("Content-Type", "text/html; charset=utf-8")]
    json_type = "application/json"
    hello_body = HELLO.encode()

    def small(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        method = environ["REQUEST_METHOD"]
        path = environ["PATH_INFO"]
        if path == "/" and method == "GET":
            body = hello_body
            headers = html
        elif path == "/echo" and method == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            document = loads(environ["wsgi.input"].read(length))
            body = dumps(document).encode()
            headers = [("Content-Type", json_type)]
        else:
            parts = path.split("/")
            if (
                method == "GET"
                and len(parts) == 5
                and parts[1] == "users"
                and parts[3] == "posts"
                and parts[2].isdigit()
                and parts[4]
            ):
                document = {"id": int(parts[2]), "slug": parts[4], "ok": True}
                body = dumps(document).encode()
                headers = [("Content-Type", json_type)]
            else:
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"Not Found"]
        headers = [*headers, ("Content-Length", str(len(body)))]
        start_response("200 OK", headers)
        return [body]

    root = _Node()
    for route in routes:
        node = root
        for seg in route.segments:
            if isinstance(seg, tuple):
                if node.param is None:
                    node.param = _Node()
                node = node.param
            else:
                node = node.static.setdefault(seg, _Node())
        node.leaf[route.method] = (route.endpoint, tuple(route.params))

    def github(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        values: list[str] = []
        leaf = _walk(root, environ["PATH_INFO"][1:].split("/"), 0, values)
        target = None if leaf is None else leaf.get(environ["REQUEST_METHOD"])
        if target is None:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not Found"]
        endpoint, names = target
        body = endpoint_text(endpoint, dict(zip(names, values, strict=True))).encode()
        start_response("200 OK", [*html, ("Content-Length", str(len(body)))])
        return [body]

    return {"small": small, "github": github, "session": session_app(bare_session_app)}


def bare_session_app() -> SessionApp:
    """The least work for the session responses: take the cookie's value from the
    header, one itsdangerous ``loads`` and one ``dumps``, a Set-Cookie header."""
    serializer = flask_style_serializer()
    loads, dumps = serializer.loads, serializer.dumps
    prefix = SESSION_COOKIE + "="
    cookie_tail = "; HttpOnly; Path=/"
    html = ("Content-Type", "text/html; charset=utf-8")
    vary = ("Vary", "Cookie")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ["PATH_INFO"]
        if path == "/session":
            value = environ.get("HTTP_COOKIE", "").partition(prefix)[2]
            session = loads(value.partition(";")[0], max_age=SESSION_MAX_AGE)
            count = session["count"] + 1
            session["count"] = count
            body = visit_body(session["user"], count).encode()
        elif path == "/login":
            session = {"user": SESSION_USER, "count": 0}
            body = LOGIN_BODY.encode()
        else:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not Found"]
        start_response(
            "200 OK",
            [
                html,
                ("Content-Length", str(len(body))),
                ("Set-Cookie", prefix + dumps(session) + cookie_tail),
                vary,
            ],
        )
        return [body]

    def load(value: str) -> Any:
        return loads(value, max_age=SESSION_MAX_AGE)

    return SessionApp(app, load)


# ------------------------------------------------------------------- microweb hook


class CoreUnavailable(Exception):
    """This process cannot build a microweb app on the requested core."""

    def __init__(self, reason: str, *, in_child: bool = False) -> None:
        super().__init__(reason)
        #: True when a child process with the core chosen by environment can run it
        self.in_child = in_child


def microweb_app_class(core: str) -> type:
    """An App class whose every core (routing, dispatch) is the ``core`` twin.

    This is the one place that knows how microweb pins its cores per app. It uses
    what the app offers: ``App.url_map_class`` (a ``Map`` subclass names its
    routing core in ``Map.core``), ``App.dispatch_core`` and ``App.__call__`` (the
    dispatch core's ``call_app``). When microweb offers neither, a process only
    has the core picked at import (``microweb.IMPLEMENTATION``), and asking for
    the other one raises :class:`CoreUnavailable` with ``in_child=True``: the
    driver then measures that core in a child process with
    ``MICROWEB_NO_EXTENSIONS`` set or unset.
    """
    microweb = import_microweb()
    app_class = getattr(microweb, "App", None)
    if app_class is None:
        raise CoreUnavailable("microweb.App does not exist yet in this microweb")
    suffix = "c" if core == NATIVE else "py"
    try:
        routing_core = importlib.import_module(f"microweb._routing_{suffix}")
        dispatch_core = importlib.import_module(f"microweb._dispatch_{suffix}")
    except ImportError as exc:
        raise CoreUnavailable(
            f"the {core} cores are not importable ({exc}); build the compiled ones "
            "with `pip install .`, or `python setup.py build_ext --inplace` in a "
            "copy of the tree put first on PYTHONPATH"
        ) from None
    routing = importlib.import_module("microweb.routing")
    can_pin = hasattr(routing.Map, "core") and hasattr(app_class, "dispatch_core")
    if not can_pin:
        loaded = getattr(microweb, "IMPLEMENTATION", "?")
        if loaded != core:
            raise CoreUnavailable(
                f"this process loaded the {loaded} cores and microweb.App cannot "
                f"pin the {core} ones per app",
                in_child=True,
            )
        return app_class  # type: ignore[no-any-return]

    pinned_map = type(f"Map_{core}", (routing.Map,), {"core": routing_core})
    namespace = {"url_map_class": pinned_map, "dispatch_core": dispatch_core}
    if hasattr(dispatch_core, "call_app"):
        # The app's __call__ is the dispatch core's too: the pure core's is a
        # Python function, the compiled one's is not.
        namespace["__call__"] = dispatch_core.call_app
    return type(f"App_{core}", (app_class,), namespace)


def microweb_session_interface(core: str) -> Any:
    """A session interface whose cookies are signed on the ``core`` signing core.

    A microweb whose ``SecureCookieSessionInterface`` has ``signing_core`` gets
    the stock interface with that core pinned on the instance: the app keeps the
    stock session path, as an app that leaves its interface alone does. An older
    one gets a subclass building its serializer (per call) from a
    ``signing.URLSafeTimedSerializer`` subclass whose ``core`` is
    ``microweb._signing_c`` or ``_signing_py``; any interface but the stock one
    gives up the dispatch core's fast path for plain responses.
    """
    suffix = "c" if core == NATIVE else "py"
    signing_core = importlib.import_module(f"microweb._signing_{suffix}")
    signing = importlib.import_module("microweb.signing")
    sessions = importlib.import_module("microweb.sessions")
    if hasattr(sessions.SecureCookieSessionInterface, "signing_core"):
        interface = sessions.SecureCookieSessionInterface()
        interface.signing_core = signing_core
        return interface
    serializer_class = type(
        f"URLSafeTimedSerializer_{core}",
        (signing.URLSafeTimedSerializer,),
        {"core": signing_core},
    )

    def get_signing_serializer(self: Any, app: Any) -> Any:
        if not app.secret_key:
            return None
        keys = list(app.config["SECRET_KEY_FALLBACKS"] or ())
        keys.append(app.secret_key)
        return serializer_class(
            keys,
            salt=self.salt,
            serializer=self.serializer,
            signer_kwargs={
                "key_derivation": self.key_derivation,
                "digest_method": self.digest_method,
            },
        )

    interface_class = type(
        f"SessionInterface_{core}",
        (sessions.SecureCookieSessionInterface,),
        {"get_signing_serializer": get_signing_serializer},
    )
    return interface_class()


def core_modules(apps: dict[str, Any]) -> str:
    """Which modules serve a microweb app (after its first request)."""
    found = set()
    for app in apps.values():
        if isinstance(app, BuildFailed):
            continue
        if isinstance(app, SessionApp):
            app = app.app
            serializer = app.session_interface.get_signing_serializer(app)
            signing_core = getattr(serializer, "core", None)
            if signing_core is not None:
                found.add(signing_core.__name__)
        for part in (getattr(app, "_dispatcher", None), app.url_map._matcher):
            if part is not None:
                found.add(type(part).__module__)
    return ", ".join(sorted(found))


def make_microweb_app(
    core: str, routes: list[Route], flask_contexts: bool = False
) -> dict[str, Any]:
    """microweb's apps on ``core``: the very code :func:`flask_apps` runs on Flask;
    with *flask_contexts*, apps that set Flask's context variables too
    (``App.flask_contexts``, for Flask extensions)."""
    app_class = microweb_app_class(core)
    if flask_contexts:
        app_class = type(app_class.__name__, (app_class,), {"flask_contexts": True})
    microweb = import_microweb()
    apps = flask_style_apps(app_class, microweb.request, routes)
    apps["session"] = session_app(
        lambda: flask_style_session_app(
            app_class, microweb.session, microweb_session_interface(core)
        )
    )
    return apps


# --------------------------------------------------------------------- contenders


@dataclass
class Framework:
    key: str
    label: str
    build: Callable[[list[Route]], dict[str, Any]]


def frameworks_for(cores: list[str], flask_contexts: bool = False) -> list[Framework]:
    """The contenders: microweb on each of *cores* (and, with *flask_contexts*, on
    each again with ``App.flask_contexts`` set), then the peers."""
    found = [
        Framework(
            f"microweb-{core}",
            f"microweb {core}",
            lambda routes, core=core: make_microweb_app(core, routes),
        )
        for core in cores
    ]
    if flask_contexts:
        found += [
            Framework(
                f"microweb-{core}-flask-contexts",
                f"microweb {core}, flask_contexts",
                lambda routes, core=core: make_microweb_app(core, routes, True),
            )
            for core in cores
        ]
    return found + [
        Framework("flask", "Flask", flask_apps),
        Framework("falcon", "Falcon", falcon_apps),
        Framework("bottle", "Bottle", bottle_apps),
        Framework("bare", "bare WSGI", bare_apps),
    ]


@dataclass
class Mismatch:
    call: Call
    expected: str
    got: str


@dataclass
class Cell(Timed):
    """One (workload, contender) pair; ``run(passes)`` serves the stream that often.

    One pass is ``units_per_pass`` requests; the samples are µs per request.
    """

    workload: str
    contender: str
    mismatches: list[Mismatch] = field(default_factory=list)
    #: why the cell is not timed although its contender runs (an app failed to build)
    skipped: str | None = None


def _no_run(passes: int) -> None:  # the run() of a skipped cell
    raise AssertionError("a skipped cell is never timed")


def _write(data: bytes) -> None:  # the write() callable start_response returns
    pass


def _start_response(
    status: str, headers: list[tuple[str, str]], exc_info: Any = None
) -> Callable[[bytes], None]:
    return _write


def make_runner(app: Any, calls: list[Call]) -> Callable[[int], None]:
    """The timed loop: what a WSGI server does per request, minus the socket."""
    pairs = [(call.environ, call.body) for call in calls]
    new_input = io.BytesIO
    start_response = _start_response

    def run(passes: int) -> None:
        for _ in range(passes):
            for template, body in pairs:
                environ = template.copy()
                environ["wsgi.input"] = new_input(body)
                result = app(environ, start_response)
                b"".join(result)
                if hasattr(result, "close"):
                    result.close()

    return run


def serve_once(app: Any, call: Call) -> tuple[str, list[tuple[str, str]], bytes]:
    """The same steps as the timed loop, keeping status, headers and body."""
    seen: list[Any] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        seen[:] = [status, headers]
        return _write

    environ = call.environ.copy()
    environ["wsgi.input"] = io.BytesIO(call.body)
    result = app(environ, start_response)
    try:
        body = b"".join(result)
    finally:
        if hasattr(result, "close"):
            result.close()
    return seen[0], seen[1], body


def set_cookie_value(headers: list[tuple[str, str]], name: str) -> str | None:
    """The value a Set-Cookie header gives cookie ``name``, as sent (quoted or not)."""
    prefix = name + "="
    for key, value in headers:
        if key.lower() == "set-cookie" and value.startswith(prefix):
            return value[len(prefix) :].split(";", 1)[0]
    return None


def check_response(
    call: Call, app: Any, session: SessionApp | None = None
) -> Mismatch | None:
    """Serve ``call`` once; a :class:`Mismatch` when the answer is wrong."""
    expect = call.expect
    try:
        status, headers, body = serve_once(app, call)
    except Exception as exc:  # any failure is a wrong answer
        return Mismatch(call, f"{expect.status}", f"{type(exc).__name__}: {exc}")
    return judge(call, status, headers, body, session)


def judge(
    call: Call,
    status: str,
    headers: list[tuple[str, str]],
    body: bytes,
    session: SessionApp | None = None,
) -> Mismatch | None:
    """Compare one response with the call's :class:`Expect`."""
    expect = call.expect
    problems = []
    code = int(status.split(None, 1)[0])
    if code != expect.status:
        problems.append(f"status {status!r}")
    content_type = next(
        (value for name, value in headers if name.lower() == "content-type"), ""
    )
    if expect.content_type and not content_type.lower().startswith(expect.content_type):
        problems.append(f"content type {content_type!r}")
    if expect.kind == "text" and body.decode("utf-8", "replace") != expect.value:
        problems.append(f"body {body[:120]!r}")
    elif expect.kind == "json":
        try:
            document = json.loads(body)
        except ValueError:
            document = "(not JSON)"
        if document != expect.value or _types(document) != _types(expect.value):
            problems.append(f"body {body[:120]!r}")
    elif expect.kind == "session":
        text, wanted = expect.value
        if body.decode("utf-8", "replace") != text:
            problems.append(f"body {body[:120]!r}")
        problems.extend(session_problems(headers, wanted, session))
    if not problems:
        return None
    expected = f"{expect.status} {expect.content_type or ''} {expect.value!r}"
    return Mismatch(call, expected[:160], "; ".join(problems))


def session_problems(
    headers: list[tuple[str, str]], wanted: dict[str, Any], session: SessionApp | None
) -> list[str]:
    """What is wrong with the response's session cookie: it must be set, and load
    (by the app's own means) to ``wanted``."""
    value = set_cookie_value(headers, SESSION_COOKIE)
    if value is None:
        return [f"no Set-Cookie for {SESSION_COOKIE!r}"]
    if session is None:
        return ["no way to load the session cookie"]
    try:
        loaded = session.load(value)
    except Exception as exc:
        return [f"the session cookie does not load ({type(exc).__name__}: {exc})"]
    if loaded != wanted or _types(loaded) != _types(wanted):
        return [f"session {loaded!r}"]
    return []


def with_session_cookie(
    session: SessionApp, calls: list[Call]
) -> tuple[list[Call], Mismatch | None]:
    """``calls`` carrying the session cookie the app sets on login.

    The login request is served once (and checked: its cookie must load to the
    logged-in session); its Set-Cookie value goes into each call's ``Cookie``
    header, as a browser would send it back. A failed login gives the mismatch.
    """
    try:
        status, headers, body = serve_once(session.app, LOGIN_CALL)
    except Exception as exc:  # any failure is a wrong answer
        return [], Mismatch(LOGIN_CALL, "200", f"{type(exc).__name__}: {exc}")
    mismatch = judge(LOGIN_CALL, status, headers, body, session)
    if mismatch is not None:
        return [], mismatch
    cookie = f"{SESSION_COOKIE}={set_cookie_value(headers, SESSION_COOKIE)}"
    return [
        Call(
            call.method,
            call.path,
            {**call.environ, "HTTP_COOKIE": cookie},
            call.body,
            call.expect,
        )
        for call in calls
    ], None


def _types(document: Any) -> Any:
    """The JSON value's shape with types, so that 1 and 1.0 and "1" differ."""
    if isinstance(document, dict):
        return {key: _types(value) for key, value in document.items()}
    if isinstance(document, list):
        return [_types(value) for value in document]
    return type(document).__name__


def build_cells(
    frameworks: list[Framework],
    workloads: list[Workload],
    routes: list[Route],
    notes: list[str],
    unavailable: dict[str, CoreUnavailable],
) -> tuple[list[Cell], list[Framework]]:
    """Build every framework's apps, check every response, return the cells."""
    cells: list[Cell] = []
    built: list[Framework] = []
    for framework in frameworks:
        try:
            apps = framework.build(routes)
        except CoreUnavailable as exc:
            unavailable[framework.key] = exc
            continue
        except Exception as exc:  # report, carry on without it
            notes.append(
                f"{framework.label} skipped: building its apps failed ({exc!r})"
            )
            continue
        built.append(framework)
        for failed in {str(a) for a in apps.values() if isinstance(a, BuildFailed)}:
            notes.append(f"{framework.label}: {failed}")
        for workload in workloads:
            app = apps[workload.app]
            if isinstance(app, BuildFailed):
                cells.append(
                    Cell(
                        workload.key,
                        framework.key,
                        run=_no_run,
                        units_per_pass=0,
                        skipped=str(app),
                    )
                )
                continue
            calls = workload.calls
            session = None
            if isinstance(app, SessionApp):
                session, app = app, app.app
                calls, failed_login = with_session_cookie(session, calls)
                if failed_login is not None:
                    cells.append(
                        Cell(
                            workload.key,
                            framework.key,
                            run=_no_run,
                            units_per_pass=0,
                            mismatches=[failed_login],
                        )
                    )
                    continue
            cell = Cell(
                workload.key,
                framework.key,
                run=make_runner(app, calls),
                units_per_pass=len(calls),
            )
            distinct = {id(call): call for call in calls}.values()
            for call in distinct:  # each distinct call once
                mismatch = check_response(call, app, session)
                if mismatch is not None:
                    cell.mismatches.append(mismatch)
            cells.append(cell)
        if framework.key.startswith("microweb-"):
            notes.append(f"{framework.label} served by: {core_modules(apps)}")
    return cells, built


# ------------------------------------------------------------------------- timing


@dataclass
class Settings:
    rounds: int
    target_ns: int
    clock: str
    gc_in_batches: bool
    quick: bool
    notes: list[str] = field(default_factory=list)


def measure(cells: list[Cell], settings: Settings) -> None:
    """Calibrate, then time the cells round-robin, the first cell rotating.

    A full collection runs before each batch, and the collector stays on during
    it unless ``--no-gc``: as in a server, the cycles a framework leaves count.
    """
    measure_round_robin(
        cells,
        rounds=settings.rounds,
        target_ns=settings.target_ns,
        clock=settings.clock,
        gc_in_batches=settings.gc_in_batches,
        collect_generation=2,
    )


# ----------------------------------------------------------------- child process


def run_child(core: str, settings: Settings, options: argparse.Namespace) -> dict:
    """Measure microweb ``core`` with Flask, Falcon and the bare callable in a child.

    The child picks the core the way an installation does, by environment:
    ``MICROWEB_NO_EXTENSIONS=1`` for pure; unset, with
    ``MICROWEB_REQUIRE_EXTENSIONS=1`` (never silently pure), for native.
    """
    env = dict(os.environ)
    if core == PURE:
        env[NO_EXTENSIONS_ENV] = "1"
        env.pop(REQUIRE_EXTENSIONS_ENV, None)
    else:
        env.pop(NO_EXTENSIONS_ENV, None)
        env[REQUIRE_EXTENSIONS_ENV] = "1"
    microweb = sys.modules.get("microweb")
    if microweb is not None:  # the same microweb as this process
        location = str(Path(microweb.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(
            [location, *filter(None, [env.get("PYTHONPATH")])]
        )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "child.json"
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--child-core",
            core,
            "--rounds",
            str(settings.rounds),
            "--clock",
            settings.clock,
            "--json",
            str(out),
        ]
        if settings.quick:
            command.append("--quick")
        if not settings.gc_in_batches:
            command.append("--no-gc")
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if not out.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
            return {"error": f"child exited {done.returncode}: {' / '.join(tail)}"}
        return json.loads(out.read_text())


# ----------------------------------------------------------------------- reports


def library_versions() -> dict[str, str]:
    versions = {}
    for name in ("flask", "werkzeug", "falcon", "bottle"):
        try:
            text = version(name)
        except PackageNotFoundError:
            versions[name] = "not installed"
            continue
        if name == "falcon":
            try:
                app_file = str(importlib.import_module("falcon.app").__file__)
                text += (
                    " (Cython build)"
                    if not app_file.endswith(".py")
                    else " (pure-Python build)"
                )
            except ImportError:
                pass
        versions[name] = text
    return versions


@dataclass
class Results:
    """Medians by (workload, contender), and the references each column's ratios use."""

    columns: list[tuple[str, str]]
    medians: dict[tuple[str, str], float]
    #: contender -> {"flask": {workload: µs}, "falcon": {...}} for its ratios
    references: dict[str, dict[str, dict[str, float]]]
    #: contender -> why a cell of it has no figure
    missing: dict[str, str]
    #: contender columns measured in a child process
    child: set[str]

    def us(self, workload: str, contender: str) -> float | None:
        return self.medians.get((workload, contender))

    def reference(self, contender: str, peer: str, workload: str) -> float | None:
        own = self.references.get(contender)
        if own is not None:
            return own.get(peer, {}).get(workload)
        return self.us(workload, peer)


def column_label(results: Results, key: str, label: str) -> str:
    return f"{label} †" if key in results.child else label


def _header(results: Results) -> list[str]:
    return ["workload"] + [column_label(results, k, lab) for k, lab in results.columns]


def us_table(workloads: list[Workload], results: Results) -> list[str]:
    rows = [
        [workload.title]
        + [fmt_us(results.us(workload.key, key)) for key, _ in results.columns]
        for workload in workloads
    ]
    return md_table(_header(results), rows)


def ratio_table(workloads: list[Workload], results: Results, peer: str) -> list[str]:
    rows = [
        [workload.title]
        + [
            fmt_ratio(
                results.reference(key, peer, workload.key),
                results.us(workload.key, key),
            )
            for key, _ in results.columns
        ]
        for workload in workloads
    ]
    return md_table(_header(results), rows)


def target_lines(workloads: list[Workload], results: Results) -> list[str]:
    """The issue's targets, stated met / not met from the measured medians.

    Each figure is the contender's time as a multiple of the peer's (µs / peer µs):
    ``0.40x`` means it took 40% of the peer's time.
    """
    native, pure = f"microweb-{NATIVE}", f"microweb-{PURE}"
    # The first targets were set before the session workload existed; they keep
    # their scope, and the session workload has targets of its own.
    requests = [w.key for w in workloads if w.key != "session"]
    session = ["session"]
    targets = [
        (native, "falcon", ["hello"], 0.5, True, "hello world in at most 0.50x"),
        (
            native,
            "falcon",
            requests,
            1.0,
            False,
            "every workload but session in under 1.00x",
        ),
        (
            pure,
            "flask",
            requests,
            0.2,
            True,
            "every workload but session in at most 0.20x",
        ),
        (native, "falcon", session, 1 / 3, True, "session in at most 1/3 of"),
        (native, "flask", session, 1 / 15, True, "session in at most 1/15 of"),
        (pure, "flask", session, 0.2, True, "session in at most 0.20x"),
    ]
    lines = []
    for contender, peer, keys, limit, inclusive, goal in targets:
        peer_label = peer.capitalize()
        head = f"- {contender.replace('-', ' ')}: {goal} {peer_label}'s time"
        chosen = [w.key for w in workloads if keys is None or w.key in keys]
        parts = []
        failed = []
        measured = 0
        for key in chosen:
            us = results.us(key, contender)
            ref = results.reference(contender, peer, key)
            if us is None or ref is None:
                parts.append(f"{key} not measured")
                failed.append(key)
                continue
            measured += 1
            share = us / ref
            if not (share <= limit if inclusive else share < limit):
                failed.append(key)
            shown = f"{share:.3f}" if limit < 0.1 else f"{share:.2f}"
            parts.append(f"{key} {shown}x ({fmt_us(us)} vs {fmt_us(ref)} µs)")
        if not measured:
            why = results.missing.get(contender, "no figure")
            lines.append(f"{head} — not measured ({why})")
            continue
        verdict = "**met**" if not failed else f"**not met** ({', '.join(failed)})"
        lines.append(f"{head} — {verdict}: " + "; ".join(parts))
    return lines


def mismatch_lines(cells: list[Cell], labels: dict[str, str]) -> list[str]:
    wrong = [cell for cell in cells if cell.mismatches]
    if not wrong:
        checked = sum(1 for cell in cells if not cell.skipped)
        return [
            f"Every distinct request of every stream was served once by every "
            f"contender and checked before timing ({checked} cells): all right."
        ]
    lines = [
        "These cells gave wrong answers and were not timed:",
        "",
        *md_table(["contender", "workload", "request", "expected", "got"], [], "lllll"),
    ]
    for cell in wrong:
        for m in cell.mismatches[:MAX_MISMATCHES_SHOWN]:
            lines.append(
                md_row(
                    [
                        labels.get(cell.contender, cell.contender),
                        cell.workload,
                        f"`{m.call.method} {m.call.path}`",
                        f"`{m.expected}`",
                        f"`{m.got}`",
                    ]
                )
            )
        if len(cell.mismatches) > MAX_MISMATCHES_SHOWN:
            more = len(cell.mismatches) - MAX_MISMATCHES_SHOWN
            lines.append(md_row(["", "", f"… {more} more", "", ""]))
    return lines


HOW_NOTE = (
    "Every figure is one whole request as a WSGI server makes it, without the socket: "
    "copy a prebuilt environ, put a fresh `io.BytesIO` in `wsgi.input`, call the app "
    "with a `start_response` that does nothing, join the returned iterable and call "
    "its `close()`. The bare WSGI column (hand-written callables: a path comparison, "
    "a small route tree for the GitHub set) is that harness plus the least work that "
    "gives the same responses; what a framework adds is its figure minus the bare one. "
    "Each framework has three apps: one with `/`, the JSON route and `/echo`, one "
    "with the GitHub routes (the 404 workload runs on it; its body is each "
    "framework's own not-found page, only the status is checked), and one with "
    "`/login` and `/session` for the session workload. Flask and microweb run the "
    "same app code (`flask_style_apps`, `flask_style_session_app`). The session "
    "request carries the cookie that the same app's `/login` set (served once, "
    "before timing); its view reads `user`, adds 1 to `count` and answers "
    "`Hello alice, visit 1`, and the check loads the new Set-Cookie with the "
    "app's own session interface (Flask, microweb), the itsdangerous serializer "
    "that signed it (Falcon, bare: Flask's salt, key derivation and digest, done "
    "by hand) or Bottle's `get_cookie(secret=...)`. microweb's signing core is "
    "pinned per app on the app's stock `SecureCookieSessionInterface` (its "
    "`signing_core`), so that the app keeps the stock session path."
)


def report(
    workloads: list[Workload],
    cells: list[Cell],
    results: Results,
    settings: Settings,
    header: list[str],
    source: str,
) -> list[str]:
    out = [
        *header,
        "## µs per request (median over rounds)",
        "",
        *us_table(workloads, results),
        "",
        "## vs Flask (x faster: Flask's µs / this column's µs)",
        "",
        *ratio_table(workloads, results, "flask"),
        "",
        "## vs Falcon (x faster: Falcon's µs / this column's µs)",
        "",
        *ratio_table(workloads, results, "falcon"),
        "",
        "## Targets",
        "",
        *target_lines(workloads, results),
        "",
        "## How",
        "",
        HOW_NOTE,
        "",
        f"GitHub set source: {source}",
    ]
    if results.child:
        out += [
            "",
            "† measured in a child process (this process could not pin that core), "
            "interleaved there with its own Flask, Falcon and bare runs; that "
            "column's ratios and targets use the child's Flask and Falcon figures.",
        ]
    labels = dict(results.columns)
    out += ["", "## Correctness check", "", *mismatch_lines(cells, labels)]
    out += notes_section(settings.notes)
    return out


def cells_payload(cells: list[Cell]) -> list[dict[str, Any]]:
    return [
        {
            "workload": c.workload,
            "contender": c.contender,
            "median_us": c.median_us if c.samples_us else None,
            "wall_samples_us": c.wall_samples_us,
            "cpu_samples_us": c.cpu_samples_us,
            "skipped": c.skipped,
            "passes_per_batch": c.passes,
            "requests_per_pass": c.units_per_pass,
            "mismatches": [
                {
                    "method": m.call.method,
                    "path": m.call.path,
                    "expected": m.expected,
                    "got": m.got,
                }
                for m in c.mismatches[:MAX_MISMATCHES_SHOWN]
            ],
        }
        for c in cells
    ]


def microweb_description() -> str:
    microweb = sys.modules.get("microweb")
    if microweb is None:
        return "microweb not loaded"
    location = Path(str(microweb.__file__)).resolve().parent
    return (
        f"microweb {getattr(microweb, '__version__', '?')} from `{location}` "
        f"(IMPLEMENTATION: {getattr(microweb, 'IMPLEMENTATION', '?')}; "
        f"App: {'yes' if hasattr(microweb, 'App') else 'not yet'})"
    )


# -------------------------------------------------------------------------- main


def parse_options(argv: list[str] | None) -> argparse.Namespace:
    parser = DEFAULTS.parser(__doc__)
    parser.add_argument(
        "--microweb-core",
        choices=("both", NATIVE, PURE),
        default="both",
        help="which microweb core(s) to measure (default both)",
    )
    parser.add_argument(
        "--no-gc",
        action="store_true",
        help="turn the garbage collector off during batches (default: on, as in "
        "production; the cost of the cycles a framework leaves counts)",
    )
    parser.add_argument(
        "--flask-contexts",
        action="store_true",
        help="also measure each microweb core with App.flask_contexts set (what "
        "an app using Flask extensions pays)",
    )
    parser.add_argument("--child-core", choices=CORES, help=argparse.SUPPRESS)
    return DEFAULTS.parse(parser, argv)


def main(argv: list[str] | None = None) -> int:
    options = parse_options(argv)
    settings = Settings(
        rounds=DEFAULTS.rounds_for(options),
        target_ns=DEFAULTS.target_ns_for(options),
        clock=options.clock,
        gc_in_batches=not options.no_gc,
        quick=options.quick,
    )
    wall_start = time.perf_counter()
    load_before = load_average()
    source, routes = parse_route_file(GITHUB_ROUTES)
    workloads = build_workloads(routes)
    try:
        import_microweb()
    except Exception as exc:  # report, carry on without it
        settings.notes.append(f"microweb skipped: cannot import it ({exc!r})")

    child_core = options.child_core
    if child_core:
        cores = [child_core]
    elif options.microweb_core == "both":
        cores = list(CORES)
    else:
        cores = [options.microweb_core]
    frameworks = frameworks_for(cores, options.flask_contexts and not child_core)
    if child_core:  # the references the parent's ratios need, and the floor
        keep = (f"microweb-{child_core}", "flask", "falcon", "bare")
        frameworks = [f for f in frameworks if f.key in keep]
    versions = library_versions()
    for framework in list(frameworks):
        name = framework.key
        if name in versions and versions[name] == "not installed":
            settings.notes.append(f"{framework.label} skipped: not installed")
            frameworks.remove(framework)

    unavailable: dict[str, CoreUnavailable] = {}
    cells, built = build_cells(
        frameworks, workloads, routes, settings.notes, unavailable
    )
    measure([c for c in cells if not c.mismatches and not c.skipped], settings)

    if child_core:
        payload = {
            "cells": cells_payload(cells),
            "unavailable": {k: str(v) for k, v in unavailable.items()},
            "microweb": microweb_description(),
            "notes": settings.notes,
        }
        write_json(options.json, payload)
        return 1 if any(c.mismatches for c in cells) else 0

    columns = [(f.key, f.label) for f in frameworks]
    medians = {(c.workload, c.contender): c.median_us for c in cells if c.samples_us}
    results = Results(columns, medians, {}, {}, set())
    for core in CORES:
        if core not in cores:
            results.missing[f"microweb-{core}"] = (
                f"not asked for: --microweb-core {options.microweb_core}"
            )
    child_payloads: dict[str, dict[str, Any]] = {}
    for key, exc in unavailable.items():
        core = key.removeprefix("microweb-")
        if not exc.in_child:
            results.missing[key] = str(exc)
            settings.notes.append(f"microweb {core} skipped: {exc}")
            continue
        payload = run_child(core, settings, options)
        child_payloads[core] = payload
        error = payload.get("error") or payload.get("unavailable", {}).get(key)
        if error:
            results.missing[key] = error
            settings.notes.append(
                f"microweb {core} skipped: not available in this process ({exc}), "
                f"nor in a child process ({error})"
            )
            continue
        results.child.add(key)
        settings.notes.append(
            f"microweb {core} ran in a child process: {exc}; child: "
            f"{payload.get('microweb')}"
        )
        settings.notes.extend(f"child ({core}): {n}" for n in payload["notes"])
        own: dict[str, dict[str, float]] = {"flask": {}, "falcon": {}, "bare": {}}
        for entry in payload["cells"]:
            if entry["median_us"] is None:
                if entry["contender"] == key and entry["skipped"]:
                    settings.notes.append(
                        f"child ({core}), {entry['workload']} not timed: "
                        f"{entry['skipped']}"
                    )
                if entry["contender"] == key and entry["mismatches"]:
                    results.missing[key] = "wrong answers in the child"
                    for m in entry["mismatches"]:
                        settings.notes.append(
                            f"child ({core}) wrong answer, {entry['workload']}: "
                            f"`{m['method']} {m['path']}` expected `{m['expected']}`"
                            f", got `{m['got']}`"
                        )
                continue
            if entry["contender"] == key:
                medians[(entry["workload"], key)] = entry["median_us"]
            elif entry["contender"] in own:
                own[entry["contender"]][entry["workload"]] = entry["median_us"]
        results.references[key] = own
        harness = ", ".join(
            f"{w} {fmt_us(own['bare'].get(w))}" for w in (wl.key for wl in workloads)
        )
        settings.notes.append(
            f"child ({core}) bare WSGI µs, for comparison with this process's: "
            f"{harness}"
        )

    busy = shared_cpu_note(cells, settings.clock)
    if busy:
        settings.notes.append(busy)
    wall_seconds = time.perf_counter() - wall_start
    libraries = "; ".join(f"{name} {text}" for name, text in versions.items())
    header = [
        "# microweb WSGI benchmark",
        "",
        machine_line(),
        f"- {microweb_description()}; {libraries}",
        f"- {settings.rounds} rounds, every (workload, contender) cell interleaved "
        f"round-robin; each figure is the median of the per-round µs per request by "
        f"{CLOCKS[settings.clock]}; one batch ≈ {settings.target_ns // 1_000_000} ms "
        f"of whole passes over the request stream, after a warm-up batch; garbage "
        f"collector {'on' if settings.gc_in_batches else 'off'} during batches",
        run_line(wall_seconds, load_before),
        "",
    ]
    out = report(workloads, cells, results, settings, header, source)
    print("\n".join(out))
    if options.json:
        payload = {
            **machine_payload(),
            "rounds": settings.rounds,
            "clock": settings.clock,
            "gc_in_batches": settings.gc_in_batches,
            "batch_target_ms": settings.target_ns // 1_000_000,
            "microweb": microweb_description(),
            "libraries": versions,
            "workloads": {w.key: w.title for w in workloads},
            "contenders": dict(columns),
            "medians_us": {
                f"{workload} / {contender}": us
                for (workload, contender), us in medians.items()
            },
            "cells": cells_payload(cells),
            "child_processes": child_payloads,
            "targets": target_lines(workloads, results),
            "notes": settings.notes,
            "wall_seconds": wall_seconds,
        }
        write_json(options.json, payload)
    return 1 if any(c.mismatches for c in cells) else 0


if __name__ == "__main__":
    sys.exit(main())
