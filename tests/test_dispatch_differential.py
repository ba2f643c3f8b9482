"""Differential tests for the dispatch core: PureApp, NativeApp and Flask agree.

One application factory (:func:`build_app`) registers the same routes, hooks and
error handlers on ``PureApp`` (``_routing_py`` + ``_dispatch_py``), on ``NativeApp``
(``_routing_c`` + ``_dispatch_c``) and on ``flask.Flask``. Hypothesis generates what
the views return (plain values, tuples, response objects, generators, ``None``,
``abort``, custom exceptions...), which hooks and handlers exist, and a few raw WSGI
requests (any method, paths from the rules and mangled ones, latin-1 ``PATH_INFO``
that is not UTF-8, query strings, headers, bodies). Each request goes straight to
the WSGI callable with a fresh environ.

* The two twins must give the same status line, the same header list in the same
  order, the same body bytes, the same propagated exception (testing mode) and the
  same records from the hooks (teardown, URL value preprocessor).
* Each twin must give Flask's answer: status, headers as sorted pairs (``Allow`` as
  a set of methods: Flask builds it from a ``set``), body, exception and records.

Every request goes through ``wsgiref.validate.validator`` when Flask's own answer
passes it (for the twin test: when both twins' answers pass it; a twin failing it
alone is a difference too). Flask fails it for a ``204``/``304`` with a
``Content-Type`` (the validator's extra HTTP check) and for status codes that are
not three digits; those are compared unvalidated.
"""

from __future__ import annotations

import io
import json
import typing as t
import uuid
from urllib.parse import urlencode
from wsgiref.validate import validator

import flask
import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from werkzeug.exceptions import HTTPException, ImATeapot
from werkzeug.routing import BaseConverter, ValidationError

import microweb

# No "explain" phase: it imports libcst, whose DeprecationWarnings would turn a
# reported counterexample into an unrelated error under filterwarnings = error.
PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]
TWIN_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    phases=PHASES,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FLASK_SETTINGS = settings(TWIN_SETTINGS, max_examples=100)

METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH")


# -------------------------------------------------------------- the application


class CustomError(Exception):
    """A domain error; a handler for it is registered in some apps."""


class SubCustomError(CustomError):
    """A subclass: its own handler (when registered) must win over its parent's."""


class Teapot(ImATeapot):
    """An HTTP error with its own description: not the default body."""

    description = "Short and stout."


class WeirdStatus(HTTPException):
    """An HTTP error whose code has no standard reason phrase."""

    code = 599
    description = "Beyond the known codes."


class HexConverter(BaseConverter):
    """A custom converter: hexadecimal in the URL, ``int`` in the view; ``dead``
    is refused with ValidationError (the rule does not match)."""

    regex = "[0-9a-fA-F]+"

    def to_python(self, value: str) -> int:
        if value.lower() == "dead":
            raise ValidationError()
        return int(value, 16)

    def to_url(self, value: int) -> str:
        return format(value, "x")


#: (rule, endpoint, add_url_rule options). The view of each endpoint does what the
#: generated config says for it.
ROUTES: list[tuple[str, str, dict[str, t.Any]]] = [
    ("/", "index", {}),
    ("/items", "items", {"methods": ["GET", "POST"]}),
    ("/items/<int:item_id>", "item", {"methods": ["GET", "PUT", "DELETE"]}),
    ("/files/<path:name>", "files", {}),
    ("/price/<float:amount>", "price", {}),
    ("/orders/<uuid:order_id>", "order", {}),
    ("/feed/<any(posts, pages, 'top-news'):section>/", "feed", {}),
    ("/users/<string(minlength=2, maxlength=8):name>", "user", {}),
    ("/hex/<hex:value>", "hexview", {}),
    ("/only-post", "only_post", {"methods": ["POST"]}),
    ("/opts", "opts", {"methods": ["GET", "OPTIONS"]}),
    ("/dir/", "directory", {}),
    ("/patch", "patch", {"methods": ["PATCH"]}),
    ("/page", "page", {"defaults": {"n": 1}}),
    ("/page/<int:n>", "page", {}),
    ("/<lang>/hello", "hello", {}),
    ("/noauto", "noauto", {"provide_automatic_options": False}),
]
ENDPOINTS = sorted({endpoint for _, endpoint, _ in ROUTES})

HANDLER_KEYS = ("custom", "subcustom", 404, 405, 418, 500, "http", "exception")


class Namespace(t.NamedTuple):
    """What a view needs from its framework, in Flask's spelling."""

    request: t.Any
    g: t.Any
    abort: t.Any
    redirect: t.Any
    url_for: t.Any
    jsonify: t.Any
    Response: t.Any
    after_this_request: t.Any


FLASK_NS = Namespace(
    flask.request,
    flask.g,
    flask.abort,
    flask.redirect,
    flask.url_for,
    flask.jsonify,
    flask.Response,
    flask.after_this_request,
)
MICROWEB_NS = Namespace(
    microweb.request,
    microweb.g,
    microweb.abort,
    microweb.redirect,
    microweb.url_for,
    microweb.jsonify,
    microweb.Response,
    microweb.after_this_request,
)


def make_body(spec: tuple[str, t.Any], ns: Namespace) -> t.Any:
    """The body part of a tuple return value."""
    kind, value = spec
    if kind == "response":
        return ns.Response(value)
    return value


def make_headers(spec: tuple[str, list[tuple[str, str]]]) -> t.Any:
    kind, pairs = spec
    return dict(pairs) if kind == "dict" else list(pairs)


def perform(
    behaviour: tuple[t.Any, ...],
    endpoint: str,
    ns: Namespace,
    view_args: dict[str, t.Any],
) -> t.Any:
    """Run one generated view behaviour."""
    kind = behaviour[0]
    request = ns.request
    if kind in ("str", "bytes", "dict", "list"):
        return behaviour[1]
    if kind == "status":
        return make_body(behaviour[1], ns), behaviour[2]
    if kind == "headers":
        return make_body(behaviour[1], ns), make_headers(behaviour[2])
    if kind == "triple":
        return make_body(behaviour[1], ns), behaviour[2], make_headers(behaviour[3])
    if kind == "response":
        _, body, status, mimetype = behaviour
        return ns.Response(body, status=status, mimetype=mimetype)
    if kind == "generator":
        return (chunk for chunk in behaviour[1])
    if kind == "none":
        return None
    if kind == "abort":
        _, code, description = behaviour
        if description is None:
            ns.abort(code)
        ns.abort(code, description)
    if kind == "teapot":
        raise Teapot()
    if kind == "weird":
        raise WeirdStatus()
    if kind == "custom":
        raise CustomError(behaviour[1])
    if kind == "subcustom":
        raise SubCustomError(behaviour[1])
    if kind == "unhandled":
        raise LookupError(behaviour[1])
    if kind == "redirect":
        return ns.redirect(behaviour[1], code=behaviour[2])
    if kind == "jsonify":
        return ns.jsonify(behaviour[1])
    if kind == "after_this":

        def stamp(response: t.Any) -> t.Any:
            response.headers["X-After-This"] = "yes"
            return response

        ns.after_this_request(stamp)
        return behaviour[1]
    if kind == "url_for":
        return ns.url_for(endpoint, _external=behaviour[1], **view_args)
    if kind == "args":
        return f"{endpoint}: " + ", ".join(
            f"{name}={value!r}" for name, value in sorted(view_args.items())
        )
    if kind == "json_strict":
        return {"json": request.get_json()}
    if kind == "echo":
        return {
            "endpoint": request.endpoint,
            "rule": request.url_rule.rule if request.url_rule else None,
            "view_args": {name: repr(value) for name, value in view_args.items()},
            "method": request.method,
            "path": request.path,
            "full_path": request.full_path,
            "url": request.url,
            "args": request.args.to_dict(flat=False),
            "form": request.form.to_dict(flat=False),
            "json": request.get_json(silent=True),
            "data": len(request.get_data()),
            "content_type": request.content_type,
            "custom": request.headers.get("X-Custom"),
            "seen": ns.g.get("seen"),
            "lang": ns.g.get("lang"),
        }
    raise AssertionError(f"unknown behaviour {behaviour!r}")


def build_app(
    app_class: type, ns: Namespace, config: dict[str, t.Any], name: str
) -> t.Any:
    """The test application on *app_class* (``flask.Flask``, ``PureApp`` or
    ``NativeApp``) with the framework names *ns*.

    ``app.dispatch_log`` records what the teardown functions and the URL value
    preprocessor saw; the tests compare it too.
    """
    app = app_class(name, static_folder=None)
    app.testing = config["testing"]
    app.url_map.converters["hex"] = HexConverter
    log: list[t.Any] = []
    app.dispatch_log = log
    behaviours = config["behaviours"]
    request, g = ns.request, ns.g

    def make_view(endpoint: str) -> t.Callable[..., t.Any]:
        def view(**view_args: t.Any) -> t.Any:
            return perform(behaviours[endpoint], endpoint, ns, view_args)

        view.__name__ = endpoint
        return view

    views = {endpoint: make_view(endpoint) for endpoint in ENDPOINTS}
    for rule, endpoint, options in ROUTES:
        app.add_url_rule(rule, endpoint, views[endpoint], **options)
    app.add_url_rule("/old", "old", redirect_to="/items")

    if config["preprocessor"]:

        @app.url_value_preprocessor
        def pull_lang(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
            log.append(("pre", endpoint, None if values is None else sorted(values)))
            if values and "lang" in values:
                g.lang = values.pop("lang")

    if config["before"]:

        @app.before_request
        def before() -> t.Any:
            switch = request.headers.get("X-Before")
            if switch == "str":
                return "stopped by a hook"
            if switch == "tuple":
                return {"hook": True}, 202
            if switch == "abort":
                ns.abort(403)
            if switch == "custom":
                raise CustomError("from a hook")
            return None

    if config["second_before"]:

        @app.before_request
        def remember() -> None:
            g.seen = request.method

    for number in range(config["after"]):

        def after(response: t.Any, number: int = number) -> t.Any:
            response.headers["X-After"] = (
                response.headers.get("X-After", "") + f"{number}"
            )
            return response

        app.after_request(after)

    @app.teardown_request
    def record_request(exc: BaseException | None) -> None:
        log.append(("teardown_request", None if exc is None else type(exc).__name__))

    if config["teardown_appcontext"]:

        @app.teardown_appcontext
        def record_app(exc: BaseException | None) -> None:
            log.append(("teardown_app", None if exc is None else type(exc).__name__))

    handlers = config["handlers"]
    if "custom" in handlers:

        @app.errorhandler(CustomError)
        def custom(error: CustomError) -> t.Any:
            return {"error": str(error), "kind": type(error).__name__}, 400

    if "subcustom" in handlers:

        @app.errorhandler(SubCustomError)
        def subcustom(error: SubCustomError) -> t.Any:
            return f"sub: {error}", 409, {"X-Sub": "1"}

    if 404 in handlers:

        @app.errorhandler(404)
        def not_found(error: t.Any) -> t.Any:
            return f"not found: {request.path}", 404

    if 405 in handlers:

        @app.errorhandler(405)
        def not_allowed(error: t.Any) -> t.Any:
            return ns.Response("no such method", 405)

    if 418 in handlers:

        @app.errorhandler(418)
        def teapot(error: t.Any) -> t.Any:
            return f"tea: {error.description}", 418

    if 500 in handlers:

        @app.errorhandler(500)
        def internal(error: t.Any) -> t.Any:
            original = getattr(error, "original_exception", None)
            return {"internal": type(original).__name__}, 500

    if "http" in handlers:

        @app.errorhandler(HTTPException)
        def any_http(error: HTTPException) -> t.Any:
            return f"http {error.code} {error.name}", error.code

    if "exception" in handlers:

        @app.errorhandler(Exception)
        def any_exception(error: Exception) -> t.Any:
            return f"exception {type(error).__name__}", 500

    app.raw_wsgi_app = app.wsgi_app
    return app


# -------------------------------------------------------------- the requests


def make_environ(spec: dict[str, t.Any]) -> dict[str, t.Any]:
    """A fresh PEP 3333 environ for a generated request (body in a new BytesIO)."""
    host = spec["host"]
    server_name, _, port = host.partition(":")
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": spec["method"],
        "SCRIPT_NAME": "",
        "PATH_INFO": spec["path"],
        "QUERY_STRING": spec["query"],
        "SERVER_NAME": server_name,
        "SERVER_PORT": port or "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(spec["body"]),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if spec["content_type"] is not None:
        environ["CONTENT_TYPE"] = spec["content_type"]
    if spec["body"] or spec["content_type"] is not None:
        environ["CONTENT_LENGTH"] = str(len(spec["body"]))
    for name, value in spec["headers"]:
        environ[name] = value
    return environ


class ValidationFailed(Exception):
    """``wsgiref.validate`` rejected the exchange."""


def call_wsgi(app: t.Any, spec: dict[str, t.Any], validate: bool) -> dict[str, t.Any]:
    """Send one request to *app*; return status, headers, body (or the exception
    the app let through) and the app's records."""
    app.dispatch_log.clear()
    app.wsgi_app = validator(app.raw_wsgi_app) if validate else app.raw_wsgi_app
    captured: dict[str, t.Any] = {}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Callable[[bytes], None]:
        captured["status"] = status
        captured["headers"] = list(headers)
        return captured.setdefault("written", []).append

    environ = make_environ(spec)
    result: dict[str, t.Any]
    try:
        iterable = app(environ, start_response)
    except (AssertionError, Warning) as exc:
        if validate:
            raise ValidationFailed(repr(exc)) from exc
        raise
    except Exception as exc:  # noqa: BLE001 - a propagated error is an outcome
        result = {"raised": (type(exc).__name__, str(exc))}
    else:
        try:
            chunks = list(iterable)
        except (AssertionError, Warning) as exc:
            if validate:
                raise ValidationFailed(repr(exc)) from exc
            raise
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()
        result = {
            "status": captured["status"],
            "headers": captured["headers"],
            "body": b"".join(captured.get("written", []) + chunks),
        }
    result["log"] = list(app.dispatch_log)
    return result


def serve(app: t.Any, spec: dict[str, t.Any], validate: bool) -> dict[str, t.Any]:
    """:func:`call_wsgi`, noting whether the validator passed."""
    if validate:
        try:
            return {**call_wsgi(app, spec, True), "validated": True}
        except ValidationFailed as failure:
            return {"validated": False, "failure": str(failure)}
    return {**call_wsgi(app, spec, False), "validated": False}


def comparable_to_flask(result: dict[str, t.Any]) -> dict[str, t.Any]:
    """A result with headers as sorted pairs and ``Allow`` as a set of methods."""
    result = dict(result)
    if "headers" in result:
        headers = []
        for name, value in result["headers"]:
            if name.lower() == "allow":
                value = ", ".join(sorted(value.split(", ")))
            headers.append((name, value))
        result["headers"] = sorted(headers)
    return result


# -------------------------------------------------------------- strategies

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6,
)
json_dicts = st.dictionaries(st.text(max_size=5), json_values, max_size=3)
json_lists = st.lists(json_values, max_size=3)
texts = st.one_of(
    st.text(max_size=12), st.sampled_from(["", "<p>é ☃ 😀</p>", "\ud800", "a\udcff"])
)
statuses = st.one_of(
    st.sampled_from([200, 201, 202, 204, 301, 304, 400, 404, 418, 500, 599]),
    st.integers(100, 999),
)
header_tokens = st.text(alphabet="abcXYZ019-_ ;=/", max_size=8)
header_pairs = st.lists(
    st.tuples(
        st.sampled_from(
            ["X-One", "X-Two", "Content-Type", "Cache-Control", "Location", "Vary"]
        ),
        header_tokens,
    ),
    max_size=3,
)
header_specs = st.tuples(st.sampled_from(["dict", "list"]), header_pairs)
body_specs = st.one_of(
    st.tuples(st.just("str"), texts),
    st.tuples(st.just("bytes"), st.binary(max_size=12)),
    st.tuples(st.just("dict"), json_dicts),
    st.tuples(st.just("list"), json_lists),
    st.tuples(st.just("response"), st.text(max_size=8)),
)
behaviours = st.one_of(
    st.tuples(st.just("str"), texts),
    st.tuples(st.just("bytes"), st.binary(max_size=12)),
    st.tuples(st.just("dict"), json_dicts),
    st.tuples(st.just("list"), json_lists),
    st.tuples(st.just("status"), body_specs, statuses),
    st.tuples(st.just("headers"), body_specs, header_specs),
    st.tuples(st.just("triple"), body_specs, statuses, header_specs),
    st.tuples(
        st.just("response"),
        st.one_of(st.text(max_size=8), st.binary(max_size=8)),
        statuses,
        st.sampled_from([None, "text/plain", "application/json", "image/png"]),
    ),
    st.tuples(
        st.just("generator"),
        st.lists(st.one_of(st.text(max_size=4), st.binary(max_size=4)), max_size=3),
    ),
    st.tuples(st.just("none")),
    st.tuples(
        st.just("abort"),
        st.sampled_from([400, 401, 403, 404, 405, 409, 410, 413, 418, 429, 500, 503]),
        st.sampled_from([None, "Custom description."]),
    ),
    st.tuples(st.just("teapot")),
    st.tuples(st.just("weird")),
    st.tuples(st.just("custom"), st.text(max_size=6)),
    st.tuples(st.just("subcustom"), st.text(max_size=6)),
    st.tuples(st.just("unhandled"), st.text(max_size=6)),
    st.tuples(
        st.just("redirect"),
        st.sampled_from(["/items", "http://example.org/x?y=1", "/caf\xe9", "../up"]),
        st.sampled_from([301, 302, 303, 307, 308]),
    ),
    st.tuples(st.just("jsonify"), json_values),
    st.tuples(st.just("after_this"), texts),
    st.tuples(st.just("url_for"), st.booleans()),
    st.tuples(st.just("args")),
    st.tuples(st.just("json_strict")),
    st.tuples(st.just("echo")),
)
app_configs = st.fixed_dictionaries(
    {
        "testing": st.booleans(),
        "behaviours": st.fixed_dictionaries(
            {endpoint: behaviours for endpoint in ENDPOINTS}
        ),
        "preprocessor": st.booleans(),
        "before": st.booleans(),
        "second_before": st.booleans(),
        "after": st.integers(0, 2),
        "teardown_appcontext": st.booleans(),
        "handlers": st.frozensets(st.sampled_from(HANDLER_KEYS)),
    }
)

#: Path pieces: plain characters, literal percent-escapes (PATH_INFO is already
#: unquoted, so these stay as text), UTF-8 as latin-1 and bytes that are not UTF-8.
SEGMENT_PIECES = [
    *"abcXY09-._~:@!$&'()*+,;= ",
    "%",
    "%2F",
    "%41",
    "%C3%A9",
    "\xc3\xa9",  # "é" in UTF-8, as PEP 3333 hands it over
    "\xe2\x98\x83",  # "☃"
    "\xff",
    "\x80",
    "\xe9",
    "\xc3",
]
segments = st.lists(st.sampled_from(SEGMENT_PIECES), max_size=6).map("".join)
nonempty_segments = st.lists(
    st.sampled_from(SEGMENT_PIECES), min_size=1, max_size=6
).map("".join)
rule_paths = st.one_of(
    st.sampled_from(
        [
            "/",
            "/items",
            "/only-post",
            "/opts",
            "/dir/",
            "/dir",
            "/patch",
            "/page",
            "/old",
            "/noauto",
            "/feed/posts/",
            "/feed/top-news/",
            "/feed/pages",
            "/feed/other/",
        ]
    ),
    st.builds("/items/{}".format, st.one_of(st.integers(-5, 10**20), segments)),
    st.builds(
        "/files/{}".format,
        st.lists(segments, min_size=1, max_size=3).map("/".join),
    ),
    st.builds(
        "/price/{}".format,
        st.one_of(
            st.floats(0, 1e6, allow_nan=False).map(repr),
            st.integers(-3, 30),
            segments,
        ),
    ),
    st.builds(
        "/orders/{}".format,
        st.one_of(
            st.uuids().map(str), st.uuids().map(lambda u: str(u).upper()), segments
        ),
    ),
    st.builds("/users/{}".format, segments),
    st.builds(
        "/hex/{}".format,
        st.one_of(st.sampled_from(["dead", "DEAD", "beef", "0"]), segments),
    ),
    st.builds("/page/{}".format, st.sampled_from(["1", "2", "01", "x"])),
    st.builds("/{}/hello".format, nonempty_segments),
)
random_paths = st.builds("/{}".format, segments)


def mangle(path: str, how: str) -> str:
    if how == "trailing":
        return path + "/"
    if how == "double":
        index = path.find("/", 1)
        return path if index < 0 else path[:index] + "/" + path[index:]
    if how == "leading":
        return "/" + path
    if how == "strip":
        return path.rstrip("/") or "/"
    return path


paths = st.builds(
    mangle,
    st.one_of(rule_paths, random_paths),
    st.sampled_from(["none", "none", "none", "trailing", "double", "leading", "strip"]),
)
queries = st.lists(
    st.sampled_from(
        ["a=1", "a=2", "b=%C3%A9", "c=x+y", "empty=", "%ZZ", "\xc3\xa9=\xff", "k", "=v"]
    ),
    max_size=4,
).map("&".join)
latin1_texts = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"),
    max_size=10,
)
request_headers = st.lists(
    st.one_of(
        st.tuples(
            st.just("HTTP_X_BEFORE"),
            st.sampled_from(["str", "tuple", "abort", "custom", "other"]),
        ),
        st.tuples(st.just("HTTP_X_CUSTOM"), latin1_texts),
        st.tuples(
            st.just("HTTP_ACCEPT"), st.sampled_from(["*/*", "application/json"])
        ),
    ),
    max_size=3,
    unique_by=lambda pair: pair[0],
)
bodies = st.one_of(
    st.just((b"", None)),
    st.tuples(
        json_values.map(lambda value: json.dumps(value).encode()),
        st.sampled_from(
            [
                "application/json",
                "application/json; charset=utf-8",
                "application/vnd.api+json",
            ]
        ),
    ),
    st.tuples(
        st.lists(st.tuples(st.text(max_size=4), st.text(max_size=4)), max_size=3).map(
            lambda pairs: urlencode(pairs).encode()
        ),
        st.just("application/x-www-form-urlencoded"),
    ),
    st.tuples(
        st.binary(max_size=20),
        st.sampled_from(
            [
                None,
                "application/json",
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=XyZ",
                "multipart/form-data",
                "application/octet-stream",
            ]
        ),
    ),
)
requests = st.builds(
    lambda method, path, query, host, headers, body: {
        "method": method,
        "path": path,
        "query": query,
        "host": host,
        "headers": headers,
        "body": body[0],
        "content_type": body[1],
    },
    st.sampled_from(METHODS),
    paths,
    queries,
    st.sampled_from(["localhost", "example.org:8080"]),
    request_headers,
    bodies,
)
request_lists = st.lists(requests, min_size=1, max_size=4)


# -------------------------------------------------------------- the tests


def twin_outcome(app: t.Any, spec: dict[str, t.Any], validate: bool) -> t.Any:
    return serve(app, spec, validate)


@TWIN_SETTINGS
@given(config=app_configs, specs=request_lists)
def test_twins_agree(
    dispatch_twins: tuple[type, type],
    config: dict[str, t.Any],
    specs: list[dict[str, t.Any]],
) -> None:
    """PureApp and NativeApp: same status, header list (in order), body, exception
    and hook records, request after request."""
    pure_class, native_class = dispatch_twins
    pure = build_app(pure_class, MICROWEB_NS, config, "dispatch_diff_pure")
    native = build_app(native_class, MICROWEB_NS, config, "dispatch_diff_native")
    for spec in specs:
        pure_result = serve(pure, spec, True)
        native_result = serve(native, spec, True)
        assert native_result["validated"] == pure_result["validated"], (
            spec,
            pure_result,
            native_result,
        )
        if not pure_result["validated"]:
            pure_result = serve(pure, spec, False)
            native_result = serve(native, spec, False)
        assert native_result == pure_result, spec


@FLASK_SETTINGS
@given(config=app_configs, specs=request_lists)
def test_same_answer_as_flask(
    dispatch_app_class: type,
    config: dict[str, t.Any],
    specs: list[dict[str, t.Any]],
) -> None:
    """Each twin answers as Flask does: status, headers (sorted; ``Allow`` as a
    set), body, exception and hook records."""
    reference = build_app(flask.Flask, FLASK_NS, config, "dispatch_diff_flask")
    app = build_app(dispatch_app_class, MICROWEB_NS, config, "dispatch_diff_microweb")
    for spec in specs:
        expected = serve(reference, spec, True)
        validate = expected["validated"]
        if not validate:
            expected = serve(reference, spec, False)
        got = serve(app, spec, validate)
        assert comparable_to_flask(got) == comparable_to_flask(expected), spec
