"""Request bodies and JSON: microweb's fast paths against Flask, on both dispatch twins.

microweb's ``Request`` reads a body that has a ``Content-Length`` straight from
``wsgi.input`` and recognizes ``application/json`` before parsing the content type;
``get_json`` does Werkzeug's steps in one call; the JSON provider decodes and
encodes without the standard library's Python-level steps. Each of those must give
Flask's answer for the same environ: the same status, headers and body, the same
values and exceptions seen by the view, and the same reads of ``wsgi.input`` (never
past ``Content-Length``, the body read once).

Each request goes to Flask and to ``PureApp`` and ``NativeApp`` (the
``dispatch_app_class`` fixture) through the same view, which runs a script of
operations on ``request`` and answers what each one gave.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import io
import json as stdlib_json
import typing as t
import uuid

import flask
import pytest
from conftest import diff_settings, wsgi_environ
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from werkzeug.wrappers import Request as WerkzeugRequest

import microweb
import microweb.json
from microweb.wrappers import Request

SETTINGS = diff_settings(300)

# ----------------------------------------------------------------- the input


def make_environ(
    body: bytes,
    content_type: str | None = "application/json",
    length: str | None = "exact",
    method: str = "POST",
    extra: dict[str, t.Any] | None = None,
    piece: int = 0,
    fail: bool = False,
) -> dict[str, t.Any]:
    """A PEP 3333 environ for ``POST /json`` with *body* (see
    :func:`conftest.wsgi_environ`)."""
    return wsgi_environ(
        body,
        path="/json",
        method=method,
        content_type=content_type,
        length=length,
        extra=extra,
        piece=piece,
        fail=fail,
    )


# --------------------------------------------------------------- the app


def outcome(value: t.Any) -> t.Any:
    """What an operation gave, as JSON: bytes as latin-1 text, others by repr when
    JSON cannot hold them."""
    if isinstance(value, bytes):
        return {"bytes": value.decode("latin-1")}
    try:
        stdlib_json.dumps(value)
    except (TypeError, ValueError):
        return {"repr": repr(value)}
    return value


def run_operation(request: t.Any, operation: tuple[t.Any, ...]) -> t.Any:
    name, *args = operation
    if name == "get_json":
        return request.get_json(**args[0])
    if name == "json":
        return request.json
    if name == "is_json":
        return request.is_json
    if name == "get_data":
        return request.get_data(**args[0])
    if name == "data":
        return request.data
    if name == "stream":
        return request.stream.read()
    if name == "form":
        return sorted(request.form.items(multi=True))
    if name == "mimetype":
        return request.mimetype
    if name == "max_content_length":
        request.max_content_length = args[0]
        return None
    if name == "set_stream":
        request.stream = io.BytesIO(args[0])
        return None
    raise AssertionError(name)


def exception_record(error: BaseException) -> dict[str, t.Any]:
    return {
        "raised": type(error).__name__,
        "code": getattr(error, "code", None),
        "description": getattr(error, "description", None),
    }


def build(app: t.Any, request: t.Any, operations: list[tuple[t.Any, ...]]) -> t.Any:
    """*app* with ``POST /json`` running *operations*: every one but the last
    catches what it raises; the last one's exception makes the response."""

    @app.post("/json")
    def view() -> t.Any:
        records = []
        for operation in operations[:-1]:
            try:
                records.append(outcome(run_operation(request, operation)))
            except Exception as error:
                records.append(exception_record(error))
        records.append(outcome(run_operation(request, operations[-1])))
        return {"records": records}

    return app


class FlaskHookRequest(flask.Request):
    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        return {"hook": None if e is None else type(e).__name__}


class MicrowebHookRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        return {"hook": None if e is None else type(e).__name__}


class FlaskOwnDataRequest(flask.Request):
    def get_data(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return super().get_data(*args, **kwargs)


class MicrowebOwnDataRequest(Request):
    """A subclass that changes ``get_data``: ``get_json`` takes Werkzeug's steps."""

    def get_data(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return super().get_data(*args, **kwargs)


REQUEST_CLASSES = {
    "plain": (flask.Request, Request),
    "hook": (FlaskHookRequest, MicrowebHookRequest),
    "own_data": (FlaskOwnDataRequest, MicrowebOwnDataRequest),
}


def make_apps(
    app_class: type, operations: list[tuple[t.Any, ...]], config: dict[str, t.Any]
) -> tuple[t.Any, t.Any]:
    """The Flask app and the microweb app (on *app_class*) for one test."""
    flask_request_class, microweb_request_class = REQUEST_CLASSES[
        config.get("request_class", "plain")
    ]
    apps = []
    for factory, request, request_class in (
        (flask.Flask, flask.request, flask_request_class),
        (app_class, microweb.request, microweb_request_class),
    ):
        app = factory(__name__)
        app.request_class = request_class
        app.config["MAX_CONTENT_LENGTH"] = config.get("max_content_length")
        app.debug = config.get("debug", False)
        apps.append(build(app, request, operations))
    return apps[0], apps[1]


def serve(app: t.Any, environ: dict[str, t.Any]) -> dict[str, t.Any]:
    """One request to the WSGI callable: what came back, and what the input saw."""
    answer: dict[str, t.Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):  # type: ignore[no-untyped-def]
        answer["status"] = status
        answer["headers"] = sorted(headers)
        return lambda data: None

    try:
        result = app(environ, start_response)
        try:
            answer["body"] = b"".join(result)
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
    except Exception as error:  # testing is off: only a bug gets here
        answer["raised"] = repr(error)
    answer["input"] = environ["wsgi.input"].trace()
    answer["request_in_environ"] = environ.get("werkzeug.request") is not None
    return answer


def compare(
    app_class: type,
    operations: list[tuple[t.Any, ...]],
    environ_args: dict[str, t.Any],
    config: dict[str, t.Any] | None = None,
) -> dict[str, t.Any]:
    """Serve the same request on Flask and on microweb: the answers must be equal."""
    config = config or {}
    flask_app, microweb_app = make_apps(app_class, operations, config)
    expected = serve(flask_app, make_environ(**environ_args))
    got = serve(microweb_app, make_environ(**environ_args))
    assert got == expected, (operations, environ_args, config)
    return got


def records(answer: dict[str, t.Any]) -> list[t.Any]:
    return stdlib_json.loads(answer["body"])["records"]  # type: ignore[no-any-return]


# ----------------------------------------------------------- plain cases

DOCUMENT = {"id": 7, "name": "ünï", "tags": ["a", "b"], "nested": {"x": 1.5}}
BODY = stdlib_json.dumps(DOCUMENT).encode()

GET_JSON: tuple[t.Any, ...] = ("get_json", {})


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        " application/json",
        "application/vnd.api+json",
        "application/problem+json; charset=utf-8",
        "text/json",
        "application/jsonx",
        "text/plain",
        "",
        None,
    ],
)
def test_content_types(dispatch_app_class: type, content_type: str | None) -> None:
    """``application/json`` and ``application/*+json`` are JSON; anything else is
    a 415 (or ``None`` with *silent*, parsed anyway with *force*)."""
    environ_args = {"body": BODY, "content_type": content_type}
    compare(dispatch_app_class, [GET_JSON], environ_args)
    compare(dispatch_app_class, [("get_json", {"silent": True})], environ_args)
    compare(dispatch_app_class, [("get_json", {"force": True})], environ_args)
    compare(dispatch_app_class, [("is_json",), ("mimetype",)], environ_args)


def test_echo(dispatch_app_class: type) -> None:
    answer = compare(dispatch_app_class, [GET_JSON], {"body": BODY})
    assert answer["status"] == "200 OK"
    assert records(answer) == [DOCUMENT]
    # Read once, in one read of exactly the body's length.
    assert answer["input"] == {"requests": [len(BODY)], "position": len(BODY)}
    # As Flask's, the environ lets go of the request at the end.
    assert answer["request_in_environ"] is False


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b'{"a": 1} x',
        b'{"a": 1}  \n\t',
        b"[1, 2, 3]\r\n",
        b'"text"',
        b"12",
        b"null",
        b" {}",
        b'{"a": "\xff"}',  # not UTF-8
        b'{"a": "\xed\xa0\x80"}',  # a UTF-8 encoded surrogate (surrogatepass)
        b"\xef\xbb\xbf{}",  # UTF-8 byte order mark
        '{"a": "é"}'.encode("utf-16"),
        '{"a": 1}'.encode("utf-16-le"),
        '["é"]'.encode("utf-32-be"),
        b"{\x00}",
        # (JSON nested too deep is a 400 where Flask fails: tests/test_limits.py)
        b'{"a": NaN, "b": -Infinity}',
        b'{"a": 1, "a": 2}',
    ],
)
@pytest.mark.parametrize("debug", [False, True])
def test_bodies(dispatch_app_class: type, body: bytes, debug: bool) -> None:
    """Bad JSON (bad UTF-8 too) is a 400, with details only when debugging; the
    encodings json.loads detects are decoded as it decodes them."""
    config = {"debug": debug}
    compare(dispatch_app_class, [GET_JSON], {"body": body}, config)
    compare(
        dispatch_app_class,
        [("get_json", {"silent": True}), ("get_data", {})],
        {"body": body},
        config,
    )


@pytest.mark.parametrize(
    "length",
    ["exact", None, "", "0", "5", "9999", "-1", "abc", " 12", "+12", "1_2", "١٢"],
)
def test_content_lengths(dispatch_app_class: type, length: str | None) -> None:
    """The body is read up to ``Content-Length`` and never past it; a body that
    ends early is a 400; no length (and no terminated input) is an empty body."""
    for operations in ([GET_JSON], [("get_data", {}), ("data",)], [("stream",)]):
        compare(dispatch_app_class, operations, {"body": BODY, "length": length})


@pytest.mark.parametrize("piece", [1, 7, 64])
def test_short_reads(dispatch_app_class: type, piece: int) -> None:
    """A server that gives the body in pieces: read until the length, as Werkzeug."""
    compare(dispatch_app_class, [GET_JSON], {"body": BODY, "piece": piece})
    compare(
        dispatch_app_class,
        [GET_JSON],
        {"body": BODY, "piece": piece, "length": str(len(BODY) + 3)},
    )


def test_input_fails(dispatch_app_class: type) -> None:
    """An input that raises ``OSError`` is a disconnected client: 400."""
    answer = compare(dispatch_app_class, [GET_JSON], {"body": BODY, "fail": True})
    assert answer["status"].startswith("400")


@pytest.mark.parametrize(
    ("max_content_length", "override"),
    [(None, None), (10, None), (len(BODY), None), (len(BODY) - 1, None), (5, 10_000)],
)
def test_max_content_length(
    dispatch_app_class: type, max_content_length: int | None, override: int | None
) -> None:
    """Above ``MAX_CONTENT_LENGTH`` (or ``request.max_content_length``) a body is
    a 413, before anything is read."""
    operations: list[tuple[t.Any, ...]] = [GET_JSON]
    if override is not None:
        operations.insert(0, ("max_content_length", override))
    config = {"max_content_length": max_content_length}
    compare(dispatch_app_class, operations, {"body": BODY}, config)
    compare(dispatch_app_class, [("data",)], {"body": BODY}, config)


@pytest.mark.parametrize("max_content_length", [None, 10_000])
def test_terminated_chunked_input(
    dispatch_app_class: type, max_content_length: int | None
) -> None:
    """A server that ends the input itself (chunked bodies): no ``Content-Length``,
    Werkzeug's stream reads it, limited by ``MAX_CONTENT_LENGTH`` (a longer body
    is a 413 where Flask cuts it: tests/test_limits.py)."""
    extra = {"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"}
    config = {"max_content_length": max_content_length}
    for length in (None, "exact"):
        environ_args = {"body": BODY, "length": length, "extra": extra}
        compare(dispatch_app_class, [GET_JSON], environ_args, config)


def test_transfer_encoding_without_length(dispatch_app_class: type) -> None:
    extra = {"HTTP_TRANSFER_ENCODING": "gzip, chunked"}
    compare(dispatch_app_class, [GET_JSON], {"body": BODY, "extra": extra})
    extra = {"HTTP_TRANSFER_ENCODING": "gzip"}
    compare(dispatch_app_class, [GET_JSON], {"body": BODY, "extra": extra})


OPERATION = st.one_of(
    st.builds(
        lambda force, silent, cache: (
            "get_json",
            {"force": force, "silent": silent, "cache": cache},
        ),
        st.booleans(),
        st.booleans(),
        st.booleans(),
    ),
    st.just(("json",)),
    st.just(("is_json",)),
    st.builds(
        lambda cache, as_text, parse: (
            "get_data",
            {"cache": cache, "as_text": as_text, "parse_form_data": parse},
        ),
        st.booleans(),
        st.booleans(),
        st.booleans(),
    ),
    st.just(("data",)),
    st.just(("stream",)),
    st.just(("form",)),
    st.just(("mimetype",)),
    st.builds(lambda size: ("max_content_length", size), st.sampled_from([3, 10**6])),
    st.builds(lambda data: ("set_stream", data), st.sampled_from([b"", b'{"s": 1}'])),
)


@SETTINGS
@given(
    operations=st.lists(OPERATION, min_size=1, max_size=5),
    body=st.sampled_from([BODY, b"", b"{", b"a=1&b=2", b'{"a": "\xff"}', b"[1]\n"]),
    content_type=st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "application/x-www-form-urlencoded",
            "text/plain",
            None,
        ]
    ),
    length=st.sampled_from(["exact", None, "2", "9999"]),
    piece=st.sampled_from([0, 3]),
    config=st.fixed_dictionaries(
        {
            "max_content_length": st.sampled_from([None, 8, 10**6]),
            "debug": st.booleans(),
            "request_class": st.sampled_from(list(REQUEST_CLASSES)),
        }
    ),
)
def test_scripts_same_as_flask(
    dispatch_app_class: type,
    operations: list[tuple[t.Any, ...]],
    body: bytes,
    content_type: str | None,
    length: str | None,
    piece: int,
    config: dict[str, t.Any],
) -> None:
    """Any order of get_json (any flags), get_data, data, stream, form, is_json,
    limits and a replaced stream: each step gives what Flask's gives, the body is
    read once, and the input is never read past its length."""
    environ_args = {
        "body": body,
        "content_type": content_type,
        "length": length,
        "piece": piece,
    }
    compare(dispatch_app_class, operations, environ_args, config)


def test_hook_return_value(dispatch_app_class: type) -> None:
    """``on_json_loading_failed`` is called with the error (``None`` for a content
    type that is not JSON); what it returns is what ``get_json`` returns, cached."""
    config = {"request_class": "hook"}
    for environ_args in ({"body": b"{"}, {"body": BODY, "content_type": "text/plain"}):
        answer = compare(dispatch_app_class, [GET_JSON, GET_JSON], environ_args, config)
        assert answer["status"] == "200 OK"


def test_lower_case_head(dispatch_app_class: type) -> None:
    """A ``head`` method is served as ``HEAD`` is, but its body is left out only
    for exactly ``HEAD``, as Werkzeug's response does."""
    for method in ("head", "HEAD"):

        def start_response(status: str, headers: list[t.Any], exc_info=None):  # type: ignore[no-untyped-def]
            return lambda data: None

        bodies = []
        for factory in (flask.Flask, dispatch_app_class):
            app = factory(__name__)
            app.get("/")(lambda: "hello")
            environ = make_environ(b"", None, None, method=method)
            environ["PATH_INFO"] = "/"
            bodies.append(b"".join(app(environ, start_response)))
        assert bodies[0] == bodies[1] == (b"hello" if method == "head" else b"")


# ------------------------------------------------------- the request object


ENVIRON_VALUES = st.fixed_dictionaries(
    {},
    optional={
        "REQUEST_METHOD": st.sampled_from(["GET", "post", "Patch", ""]),
        "wsgi.url_scheme": st.sampled_from(["http", "https"]),
        "SERVER_NAME": st.sampled_from(["localhost", "example.org", ""]),
        "SERVER_PORT": st.sampled_from(["80", "8080", "", "x", "443 "]),
        "SCRIPT_NAME": st.text(max_size=8).map(lambda s: s.encode().decode("latin-1")),
        "PATH_INFO": st.text(max_size=8).map(lambda s: s.encode().decode("latin-1")),
        "QUERY_STRING": st.sampled_from(["", "a=1&b=%20", "ÿ"]),
        "REMOTE_ADDR": st.sampled_from(["127.0.0.1", "::1"]),
    },
)


@SETTINGS
@given(
    values=ENVIRON_VALUES,
    paths=st.lists(st.sampled_from(["/", "//", "/a/", "", "é"]), max_size=2),
    populate_request=st.booleans(),
    shallow=st.booleans(),
)
def test_request_attributes_same_as_werkzeug(
    values: dict[str, str], paths: list[str], populate_request: bool, shallow: bool
) -> None:
    """microweb's constructor sets Werkzeug's attributes to Werkzeug's values."""
    environ = dict(values)
    if paths:
        environ["SCRIPT_NAME"] = paths[0] + environ.get("SCRIPT_NAME", "")
    if len(paths) > 1:
        environ["PATH_INFO"] = paths[1] + environ.get("PATH_INFO", "")
    reference_environ = dict(environ)
    reference = WerkzeugRequest(reference_environ, populate_request, shallow)
    request = Request(environ, populate_request, shallow)
    expected = dict(vars(reference), headers=None, environ=None)
    got = dict(vars(request), headers=None, environ=None)
    assert got == expected
    assert type(request.headers) is type(reference.headers)
    assert request.headers.environ is environ
    assert (environ.get("werkzeug.request") is request) == (
        reference_environ.get("werkzeug.request") is reference
    )


def test_request_without_server_name() -> None:
    for environ in ({}, {"SERVER_NAME": "x"}, {"SERVER_NAME": "x", "SERVER_PORT": 1}):
        assert Request(dict(environ)).server == WerkzeugRequest(dict(environ)).server


# ------------------------------------------------------------- the JSON provider


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Html:
    def __html__(self) -> str:
        return "<b>bold</b>"


JSON_VALUES = [
    {"b": 1, "a": [1, 2.5, None, True], "é": "ünï\u2028"},
    [datetime.date(2024, 5, 6), datetime.datetime(2024, 5, 6, 7, 8, 9)],
    {"d": decimal.Decimal("1.10"), "u": uuid.UUID(int=5)},
    Point(1, 2),
    Markup("<i>x</i>"),
    Html(),
    "text",
    3,
    {"nan": float("nan"), "inf": float("-inf")},
    {1: "int key", "1": "str key"},
]


@pytest.mark.parametrize("value", JSON_VALUES)
@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"sort_keys": False},
        {"ensure_ascii": False},
        {"compact": True},
        {"compact": False},
        {"debug": True},
        {"default": None},
    ],
)
def test_response_body_same_as_flask(value: t.Any, settings: dict[str, t.Any]) -> None:
    """The body the dispatch core sends for a dict or list is Flask's jsonify."""
    settings = dict(settings)
    debug = settings.pop("debug", False)
    reference = flask.Flask(__name__)
    app = microweb.App(__name__)
    reference.debug = app.debug = debug
    for name, setting in settings.items():
        setattr(reference.json, name, setting)
        setattr(app.json, name, setting)
    outcomes = []
    for body in (
        lambda: reference.json.response(value).get_data(as_text=True),
        lambda: app.json.response_body(value),
    ):
        try:
            outcomes.append(body())
        except Exception as error:
            outcomes.append((type(error), str(error)))
    assert outcomes[0] == outcomes[1]


def test_response_body_circular() -> None:
    """A circular value is Flask's ValueError, and the encoder stays usable."""
    app = microweb.App(__name__)
    app.debug = False
    looped: dict[str, t.Any] = {}
    looped["self"] = looped
    with pytest.raises(ValueError, match="Circular reference"):
        app.json.response_body(looped)
    shared = [1]
    assert app.json.response_body({"a": shared, "b": shared}) == ('{"a":[1],"b":[1]}\n')


def test_response_body_follows_settings_changes() -> None:
    app = microweb.App(__name__)
    app.debug = False
    assert app.json.response_body({"b": 1, "a": 2}) == '{"a":2,"b":1}\n'
    app.json.sort_keys = False
    assert app.json.response_body({"b": 1, "a": 2}) == '{"b":1,"a":2}\n'
    app.debug = True
    assert app.json.response_body({"b": 1}) == '{\n  "b": 1\n}\n'


JSON_TEXT = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=8,
).map(lambda value: stdlib_json.dumps(value))


@SETTINGS
@given(
    text=st.one_of(
        JSON_TEXT,
        JSON_TEXT.map(lambda text: text + " \n"),
        JSON_TEXT.map(lambda text: text[:-1]),
        JSON_TEXT.map(lambda text: text + "]"),
        st.text(max_size=12),
    ),
    encoding=st.sampled_from(["utf-8", "utf-16", "utf-16-le", "utf-32", "latin-1"]),
    as_bytes=st.booleans(),
)
def test_loads_same_as_json_loads(text: str, encoding: str, as_bytes: bool) -> None:
    """microweb's decoding gives json.loads's value, or raises its exception."""
    document: str | bytes = text
    if as_bytes:
        try:
            document = text.encode(encoding)
        except UnicodeEncodeError:
            document = text.encode("utf-8", "surrogatepass")
    outcomes = []
    for loads in (stdlib_json.loads, microweb.json.loads):
        try:
            outcomes.append(("value", repr(loads(document))))
        except Exception as error:
            outcomes.append(("raised", repr(error)))
    assert outcomes[0] == outcomes[1]


def test_loads_through_the_provider() -> None:
    """A provider's own loads (subclass or instance attribute) is still called."""

    class Provider(microweb.json.JSONProvider):
        def loads(self, s: str | bytes, **kwargs: t.Any) -> t.Any:
            return {"provider": True}

    app = microweb.App(__name__)
    with app.app_context():
        assert microweb.json.loads(b"{}") == {}
        app.json.loads = lambda s, **kwargs: {"instance": True}  # type: ignore[method-assign]
        assert microweb.json.loads(b"{}") == {"instance": True}
        app.json = Provider(app)
        assert microweb.json.loads(b"{}") == {"provider": True}
        assert microweb.json.loads(b"[1]", parse_int=str) == {"provider": True}
    assert microweb.json.loads(b"[1]", parse_int=str) == ["1"]
