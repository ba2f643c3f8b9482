"""Fuzz tests: hostile requests never make the framework fail, on either core.

Hypothesis builds whole WSGI environs the way a server hands them over, and worse:
any method (lower case, unknown), ``PATH_INFO`` as latin-1-decoded bytes (invalid
UTF-8, percent-escapes, control bytes), query strings, arbitrary ``HTTP_*`` headers
(``Host``, ``Accept``, ``Authorization``, ``Range``, dates...), ``Content-Type`` and
``Content-Length`` (missing, wrong, garbage), cookies (the session cookie valid,
signed with a fallback key, expired, signed over a payload that is no session,
tampered with, or garbage) and bodies (JSON, broken JSON, deep nesting, forms,
multipart, random bytes, too large). Each environ goes to one application built on
``PureApp`` and on ``NativeApp`` (conftest's pinned classes) in two shapes: a plain
one whose plain return values take the dispatch core's direct ``start_response``
path, and a full one with after-request hooks, teardown functions, signals,
``TRUSTED_HOSTS``, ``MAX_CONTENT_LENGTH`` and more error handlers. Every request:

* gets an answer: no exception escapes the WSGI callable, and the status is below
  500 unless a view or hook failed on purpose (it marks the environ);
* passes ``wsgiref.validate`` (the whole exchange when the environ is PEP 3333, the
  status line, headers and body otherwise) and, when it has a ``Content-Length``
  and a body, the body has that length;
* leaves no context behind;
* gets the same status line, header list and body from both cores, with the same
  errors logged.

The routing core's match is fuzzed apart, on paths and methods beyond those of
``test_routing_differential.py`` (any text, control characters, lone surrogates, any
method): it may only match, redirect, or refuse with 404 or 405, and the twins
agree. The signing core's ``loads`` on garbage and damaged tokens is fuzzed in
``test_signing_differential.py`` (only itsdangerous exceptions escape, and both twins
agree with itsdangerous); here it sees hostile session cookies through whole requests.

Hostile input that Werkzeug 3.1 or Flask 3.1 answer with a 500 is in the strategies,
with a test of its own below: raw bytes that are not UTF-8 in the query string, JSON
bodies nested deeper than the decoder's recursion limit, and hosts IDNA cannot encode
or whose port is out of range. Should one give a 500 again, pin it here as a strict
``xfail`` and leave it out of the strategies until it is fixed. Hosts whose
name IDNA cannot encode are in the strategies (a redirect on them answers 400), and
hosts whose port is out of range too (``request.host`` reads them as empty, as
Werkzeug 3.1.9 does; see :func:`test_request_url_host_port_out_of_range`).

The default run is small (CI); ``HYPOTHESIS_PROFILE=fuzz`` (``tox -e fuzz``) runs the
same tests for minutes (see ``conftest.fuzz_settings``). With no compiled core (a
pure install) the properties are checked on the pure core alone.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import string
import time
import traceback
import typing as t
import uuid
import warnings
from datetime import datetime, timezone
from types import ModuleType
from unittest import mock
from urllib.parse import urlencode
from wsgiref import validate as wsgi_validate

import itsdangerous
import pytest
from conftest import build_map, fuzz_settings, importable_cores, pinned_app_class
from hypothesis import event, example, given
from hypothesis import strategies as st
from markupsafe import Markup
from werkzeug.exceptions import default_exceptions
from werkzeug.routing import BaseConverter, ValidationError
from werkzeug.test import EnvironBuilder

import microweb
from microweb import (
    Blueprint,
    MethodView,
    Response,
    abort,
    flash,
    g,
    get_flashed_messages,
    make_response,
    redirect,
    render_template_string,
    request,
    session,
    stream_with_context,
    url_for,
)
from microweb.globals import context_var
from microweb.routing import MethodNotAllowed, NotFound, RequestRedirect, Rule
from microweb.sessions import session_json_serializer

REQUEST_SETTINGS = fuzz_settings(500)
SESSION_SETTINGS = fuzz_settings(250)
ROUTING_SETTINGS = fuzz_settings(1000)

SECRET_KEY = "fuzz secret key"
OLD_SECRET_KEY = "the key before"
#: What ``time.time()`` says while a request is served: the session cookie each
#: core signs then carries the same timestamp.
NOW = 1_750_000_000
#: Set by a view or hook that fails on purpose: a 5xx is then its answer.
DELIBERATE = "fuzz.deliberate"


# -------------------------------------------------------------- the application


class Deliberate(Exception):
    """A failure a view raises on purpose, with no handler: a 500 is right."""


class Handled(Exception):
    """A failure a handler turns into a 422."""


class HexConverter(BaseConverter):
    """Hexadecimal in the URL, ``int`` in the view; ``dead`` fails validation."""

    regex = "[0-9a-fA-F]{1,8}"

    def to_python(self, value: str) -> int:
        if value.lower() == "dead":
            raise ValidationError()
        return int(value, 16)

    def to_url(self, value: int) -> str:
        return format(value, "x")


#: One rule per converter (and option) the router knows, each served by
#: :func:`echo_args`.
CONVERTER_RULES = [
    "/int/<int:value>",
    "/signed/<int(signed=True):value>",
    "/fixed/<int(fixed_digits=3):value>",
    "/bounded/<int(min=1, max=99):value>",
    "/float/<float:value>",
    "/sfloat/<float(signed=True):value>",
    "/path/<path:value>",
    "/path/<path:value>/raw",
    "/uuid/<uuid:value>",
    "/any/<any(red, green, 'blue-ish'):value>",
    "/string/<string(minlength=2, maxlength=5):value>",
    "/len/<string(length=3):value>",
    "/default/<value>",
    "/hex/<hex:value>",
    "/two/<int:number>/<name>/",
    "/mixed/x<int:value>y",
]


def mark_deliberate() -> None:
    request.environ[DELIBERATE] = True


def echo_args(**view_args: t.Any) -> t.Any:
    return {
        "endpoint": request.endpoint,
        "args": {name: repr(value) for name, value in sorted(view_args.items())},
        "query": request.args.to_dict(flat=False),
    }


def describe(value: t.Any) -> t.Any:
    """A JSON-safe account of a parsed header value."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return repr(value)


def inspect_request() -> t.Any:
    """What Werkzeug's parsers make of the request's headers."""
    return {
        "method": request.method,
        "url": request.url,
        "full_path": request.full_path,
        "host": request.host,
        "scheme": request.scheme,
        "remote_addr": request.remote_addr,
        "access_route": list(request.access_route),
        "cookies": sorted(request.cookies.items(multi=True)),
        "accept": describe(request.accept_mimetypes.best),
        "accept_json": request.accept_mimetypes.accept_json,
        "languages": [str(value) for value in request.accept_languages.values()],
        "encodings": describe(request.accept_encodings),
        "user_agent": request.user_agent.string,
        "authorization": describe(request.authorization),
        "if_modified_since": describe(request.if_modified_since),
        "if_none_match": describe(request.if_none_match),
        "if_range": describe(request.if_range),
        "range": describe(request.range),
        "cache_control": describe(request.cache_control),
        "date": describe(request.date),
        "origin": request.origin,
        "referrer": request.referrer,
        "is_json": request.is_json,
        "mimetype": request.mimetype,
        "mimetype_params": dict(request.mimetype_params),
        "content_length": request.content_length,
        "is_secure": request.is_secure,
    }


class ItemAPI(MethodView):
    def get(self, item_id: int) -> t.Any:
        return {"item": item_id, "seen": g.get("seen")}

    def post(self, item_id: int) -> t.Any:
        return {"item": item_id, "form": request.form.to_dict(flat=False)}, 201

    def delete(self, item_id: int) -> t.Any:
        return {"deleted": item_id}


def build_app(app_class: type, shape: str) -> t.Any:
    """The fuzzed application on *app_class*: ``"plain"`` (no after-request hook,
    no signal receiver: the dispatch core's direct path) or ``"full"``."""
    full = shape == "full"
    # A name per app: the logger is looked up by name, and each app keeps its own
    # records.
    app = app_class(f"fuzz_{shape}_{app_class.__name__}", static_folder=None)
    app.secret_key = SECRET_KEY
    app.config["SECRET_KEY_FALLBACKS"] = [OLD_SECRET_KEY]
    # Production mode, whatever the environment says: an error is answered (and
    # logged), never raised.
    app.testing = app.debug = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.url_map.converters["hex"] = HexConverter
    if full:
        app.config["MAX_CONTENT_LENGTH"] = 2048
        app.config["MAX_FORM_PARTS"] = 8
        app.config["TRUSTED_HOSTS"] = ["localhost", ".example.org", "[::1]"]
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    records: list[t.Any] = []
    app.fuzz_records = records

    for number, rule in enumerate(CONVERTER_RULES):
        app.add_url_rule(rule, f"converter{number}", echo_args)

    @app.route("/")
    def index() -> str:
        return "index"

    @app.route("/items", methods=["GET", "POST"])
    def items() -> t.Any:
        if request.method == "POST":
            return {"created": request.form.get("name")}, 201
        return ["a", "b"]

    app.add_url_rule(
        "/mv/<int:item_id>", view_func=ItemAPI.as_view("item_api"), strict_slashes=True
    )

    @app.route("/dir/")
    def directory() -> str:
        return "a directory"

    @app.route("/page", defaults={"n": 1})
    @app.route("/page/<int:n>")
    def page(n: int) -> str:
        return f"page {n}"

    app.add_url_rule("/old", "old", redirect_to="/items")

    @app.route("/noauto", provide_automatic_options=False)
    def noauto() -> str:
        return "no automatic OPTIONS"

    @app.route("/<lang>/hello")
    def hello() -> t.Any:
        return {"lang": g.get("lang")}

    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        if values and "lang" in values:
            g.lang = values.pop("lang")

    @app.post("/json")
    def strict_json() -> t.Any:
        data = request.get_json()
        return {"type": type(data).__name__, "data": data}

    @app.route("/json-silent", methods=["GET", "POST", "PUT"])
    def silent_json() -> t.Any:
        return {"data": request.get_json(silent=True), "force": request.is_json}

    @app.route("/form", methods=["POST", "PUT", "PATCH"])
    def form() -> t.Any:
        files = [
            (name, upload.filename, upload.mimetype, len(upload.read()))
            for name, upload in request.files.items(multi=True)
        ]
        return {"form": request.form.to_dict(flat=False), "files": files}

    @app.route("/data", methods=["GET", "POST", "PUT", "DELETE", "PATCH", "PROPFIND"])
    def data() -> t.Any:
        return {
            "length": len(request.get_data()),
            "content_type": request.content_type,
            "values": request.values.to_dict(flat=False),
        }

    app.add_url_rule("/inspect", "inspect", inspect_request, methods=["GET", "POST"])

    @app.route("/session", methods=["GET", "POST"])
    def count_visits() -> t.Any:
        count = session.get("count")
        if not isinstance(count, int) or isinstance(count, bool):
            count = 0
        session["count"] = count + 1
        return {"count": count + 1, "keys": sorted(session)}

    @app.get("/session/peek")
    def peek() -> t.Any:
        return {"user": repr(session.get("user")), "size": len(session)}

    @app.post("/session/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    @app.route("/flash")
    def flash_message() -> t.Any:
        flash(request.args.get("m", "hello"), request.args.get("c", "message"))
        return {"flashed": get_flashed_messages(with_categories=True)}

    @app.route("/cookie")
    def set_cookie() -> t.Any:
        response = make_response("cookie set")
        response.set_cookie("echo", request.args.get("v", ""), path="/cookie")
        return response

    @app.route("/redirect")
    def go() -> t.Any:
        return redirect(url_for("index", next=request.args.get("next")))

    @app.route("/external")
    def external() -> str:
        return url_for("converter0", value=5, _external=True, q=request.args.get("q"))

    @app.route("/abort/<int:code>")
    def abort_with(code: int) -> t.Any:
        if code not in default_exceptions:
            return f"no error class for {code}", 404
        if code >= 500:
            mark_deliberate()
        abort(code)

    @app.route("/boom")
    def boom() -> t.Any:
        mark_deliberate()
        raise Deliberate("a view failing on purpose")

    @app.route("/handled", methods=["GET", "POST"])
    def handled() -> t.Any:
        raise Handled(request.args.get("why", "because"))

    @app.route("/tuple")
    def as_tuple() -> t.Any:
        return "created", 201, {"X-Thing": "1"}

    @app.route("/response")
    def as_response() -> t.Any:
        return Response("plain", mimetype="text/plain", headers={"X-R": "1"})

    # A 204 or 304 with Werkzeug's default Content-Type is what Flask sends too,
    # but wsgiref's validator refuses it: these views drop it.
    @app.route("/empty", methods=["GET", "DELETE"])
    def empty() -> t.Any:
        response = make_response("", 204)
        del response.headers["Content-Type"]
        return response

    @app.route("/not-modified")
    def not_modified() -> t.Any:
        response = Response(status=304)
        del response.headers["Content-Type"]
        return response

    @app.route("/bytes")
    def as_bytes() -> bytes:
        return b"\x00\xff raw"

    @app.route("/stream")
    def stream() -> t.Any:
        def generate() -> t.Iterator[str]:
            yield request.path
            yield "|"
            yield ",".join(request.args)

        return stream_with_context(generate())

    @app.route("/template")
    def template() -> str:
        return render_template_string(
            "<p>{{ value }}</p>{% for k in keys %}{{ k }}{% endfor %}",
            value=request.args.get("v", ""),
            keys=list(request.args),
        )

    blueprint = Blueprint("bp", __name__, url_prefix="/bp")

    @blueprint.route("/")
    def bp_index() -> str:
        return "blueprint"

    @blueprint.route("/<int:n>", methods=["GET", "PUT"])
    def bp_item(n: int) -> t.Any:
        return {"n": n}

    @blueprint.before_request
    def bp_before() -> t.Any:
        if request.headers.get("X-Fuzz-Bp") == "stop":
            return "stopped by the blueprint"
        return None

    @blueprint.errorhandler(Handled)
    def bp_handled(error: Handled) -> t.Any:
        return f"blueprint handled {error}", 409

    app.register_blueprint(blueprint)

    @app.before_request
    def hook() -> t.Any:
        switch = request.headers.get("X-Fuzz-Hook")
        if switch == "abort":
            abort(403)
        if switch == "stop":
            return {"stopped": request.endpoint}
        if switch == "handled":
            raise Handled("from a hook")
        if switch == "boom":
            mark_deliberate()
            raise Deliberate("a hook failing on purpose")
        g.seen = request.method
        return None

    @app.errorhandler(Handled)
    def on_handled(error: Handled) -> t.Any:
        return {"handled": str(error)}, 422

    if full:

        @app.after_request
        def stamp(response: t.Any) -> t.Any:
            # ascii(): the session holds any text, a header value may not.
            response.headers["X-Fuzz-After"] = ascii(session.get("count", "-"))[:20]
            return response

        @app.teardown_request
        def record_teardown(error: BaseException | None) -> None:
            records.append(("teardown", type(error).__name__ if error else None))

        @app.teardown_appcontext
        def record_app_teardown(error: BaseException | None) -> None:
            records.append(("app teardown", type(error).__name__ if error else None))

        @app.errorhandler(404)
        def not_found(error: t.Any) -> t.Any:
            return {"not found": request.path}, 404

        @app.errorhandler(400)
        def bad_request(error: t.Any) -> t.Any:
            return f"bad request: {error.description}", 400

        def on_exception(sender: t.Any, exception: BaseException) -> None:
            records.append(("got_request_exception", type(exception).__name__))

        def on_finished(sender: t.Any, response: t.Any) -> None:
            records.append(("request_finished", response.status))

        # blinker holds receivers weakly: the app keeps them alive.
        app.fuzz_receivers = [on_exception, on_finished]
        microweb.got_request_exception.connect(on_exception, app)
        microweb.request_finished.connect(on_finished, app)

    # The errors the app logs are kept (with their traceback) instead of printed.
    recorder = logging.Handler()
    recorder.emit = lambda record: records.append(  # type: ignore[method-assign]
        (
            "logged",
            record.levelname,
            record.exc_info[0].__name__ if record.exc_info else None,
            "".join(traceback.format_exception(*record.exc_info))
            if record.exc_info
            else record.getMessage(),
        )
    )
    app.logger.handlers = [recorder]
    app.logger.propagate = False
    return app


SHAPES = ("plain", "full")


@pytest.fixture(scope="module", params=SHAPES)
def fuzz_apps(request: pytest.FixtureRequest) -> t.Iterator[list[t.Any]]:
    """The app of one shape on each core importable here, compiled one first."""
    cores = importable_cores("dispatch")
    apps = [
        build_app(pinned_app_class(core.__name__.rpartition("_")[2]), request.param)
        for core in cores
    ]
    yield apps
    for app in apps:
        for receiver in getattr(app, "fuzz_receivers", ()):
            microweb.got_request_exception.disconnect(receiver, app)
            microweb.request_finished.disconnect(receiver, app)


# -------------------------------------------------------------- session cookies


class RawPayload:
    """A serializer that signs its payload as it is: tokens that are signed
    properly over bytes that are no session."""

    @staticmethod
    def dumps(payload: bytes) -> bytes:
        return payload

    @staticmethod
    def loads(payload: bytes) -> bytes:
        return payload


def sign_session(payload: bytes, secret: str, signed_at: int) -> str:
    """A session cookie value signed as Flask signs it, over *payload*."""
    serializer = itsdangerous.URLSafeTimedSerializer(
        secret,
        salt="cookie-session",
        serializer=RawPayload,
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha1},
    )
    with mock.patch.object(time, "time", lambda: float(signed_at)):
        # bytes: itsdangerous sees a serializer that does not give str.
        return serializer.dumps(payload).decode("ascii")


session_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(width=32),
    st.text(max_size=10),
    st.binary(max_size=8),
    st.uuids(),
    st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2100, 1, 1)).map(
        lambda moment: moment.replace(microsecond=0, tzinfo=timezone.utc)
    ),
    st.text(max_size=8).map(Markup),
)
session_values = st.recursive(
    session_scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(
            st.sampled_from([" t", " di", " b", "a", "b"]) | st.text(max_size=4),
            children,
            max_size=3,
        )
    ),
    max_leaves=8,
)
#: Sessions as an app of this kind writes them (``_flashes`` and ``_permanent`` are
#: the framework's own keys: a cookie signed with the app's key never holds junk
#: there, and a permanent session's expiry follows the wall clock).
session_dicts = st.dictionaries(
    st.sampled_from(["count", "user", "cart"])
    | st.text(max_size=6).filter(lambda key: not key.startswith("_")),
    session_values,
    max_size=4,
)
#: Payloads no session interface ever signed: tags with the wrong content, JSON
#: that is no dict, bytes that are no JSON, deep nesting.
odd_payloads = st.one_of(
    st.sampled_from(
        [
            b'{" t": 5}',
            b'{" t": [1], "x": 2}',
            b'{" b": "!!!"}',
            b'{" b": 5}',
            b'{" d": "not a date"}',
            b'{" d": 7}',
            b'{" u": "not-a-uuid"}',
            b'{" u": []}',
            b'{" m": 5}',
            b'{" di": 1}',
            b'{"count": {" d": 7}}',
            b'{"count": 1e999, "user": -1e999}',
            b'{"count": ' + b"9" * 5000 + b"}",
            b"[]",
            b'"text"',
            b"null",
            b"{}",
            b"\xff\xfe",
            b"",
            b"[" * 5000 + b"]" * 5000,
            b'{"a":' * 3000 + b"1" + b"}" * 3000,
        ]
    ),
    st.binary(max_size=40),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=6),
        lambda children: (
            st.lists(children, max_size=3)
            | st.dictionaries(
                st.sampled_from([" t", " di", " b", " d", " u", " m", "count"]),
                children,
                max_size=2,
            )
        ),
        max_leaves=6,
    ).map(lambda value: json.dumps(value).encode()),
)
B64_ALPHABET = string.ascii_letters + string.digits + "-_"


@st.composite
def session_cookies(draw: st.DrawFn) -> str:
    """A session cookie value: valid, signed in other ways, damaged or garbage."""
    kind = draw(
        st.sampled_from(
            [
                "valid",
                "valid",
                "fallback",
                "expired",
                "future",
                "wrong key",
                "odd payload",
                "tampered",
                "garbage",
                "empty",
            ]
        )
    )
    event(f"session cookie: {kind}")
    signed_at = NOW - draw(st.integers(0, 3600))
    secret = SECRET_KEY
    if kind == "fallback":
        secret = OLD_SECRET_KEY
    elif kind == "expired":
        signed_at = NOW - 32 * 24 * 3600
    elif kind == "future":
        signed_at = NOW + draw(st.integers(1, 10**6))
    elif kind == "wrong key":
        secret = "not the key"
    if kind == "odd payload":
        payload = draw(odd_payloads)
    else:
        payload = session_json_serializer.dumps(draw(session_dicts)).encode()
    if kind == "garbage":
        return draw(
            st.text(alphabet=B64_ALPHABET + ".", max_size=60)
            | st.text(st.characters(max_codepoint=255), max_size=30)
        )
    if kind == "empty":
        return ""
    token = sign_session(payload, secret, signed_at)
    if kind == "tampered":
        index = draw(st.integers(0, max(len(token) - 1, 0)))
        how = draw(st.sampled_from(["flip", "drop", "dot", "cut", "append", "swap"]))
        if how == "flip":
            char = draw(st.sampled_from(B64_ALPHABET + ".=!"))
            token = token[:index] + char + token[index + 1 :]
        elif how == "drop":
            token = token[:index] + token[index + 1 :]
        elif how == "dot":
            token = token[:index] + "." + token[index:]
        elif how == "cut":
            token = token[:index]
        elif how == "append":
            token += draw(st.text(alphabet=B64_ALPHABET + ".", max_size=8))
        else:
            parts = token.split(".")
            token = ".".join(reversed(parts))
    return token


# -------------------------------------------------------------- the environs

STANDARD_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
TOKEN_CHARS = string.ascii_letters + string.digits + "!#$%&'*+-.^_`|~"
methods = st.one_of(
    st.sampled_from(STANDARD_METHODS),
    st.sampled_from(STANDARD_METHODS),
    st.sampled_from(
        ["get", "Post", "head", "options", "TRACE", "PROPFIND", "CONNECT", "BREW"]
    ),
    st.text(alphabet=TOKEN_CHARS, min_size=1, max_size=10),
)

#: Byte strings paths are made of: what the rules expect, escapes, UTF-8, bytes
#: that are not UTF-8, control bytes, separators.
PATH_PIECES = [
    b"a",
    b"XY",
    b"0",
    b"42",
    b"-7",
    b"007",
    b"1.5",
    b"-0.5",
    b"1e3",
    b"inf",
    b"nan",
    b"99999999999999999999999",
    b"dead",
    b"beef",
    b"red",
    b"blue-ish",
    b"12345678-1234-5678-1234-567812345678",
    b"x5y",
    b"raw",
    b"..",
    b".",
    b"%",
    b"%2F",
    b"%41",
    b"%C3%A9",
    b"%ZZ",
    "é".encode(),
    "☃".encode(),
    "\U0001f600".encode(),
    "٣".encode(),
    b"\xff",
    b"\x80",
    b"\xc3",
    b"\xed\xa0\x80",  # a surrogate, encoded as UTF-8 (not valid UTF-8)
    b"\x00",
    b"\x1f",
    b"\x7f",
    b" ",
    b"+",
    b";",
    b"?",
    b"#",
    b"\\",
    b"//",
    b"\r\n",
]
ROUTE_PREFIXES = [
    "",
    "int",
    "signed",
    "fixed",
    "bounded",
    "float",
    "sfloat",
    "path",
    "uuid",
    "any",
    "string",
    "len",
    "default",
    "hex",
    "two",
    "mixed",
    "items",
    "mv",
    "dir",
    "page",
    "old",
    "noauto",
    "en",
    "json",
    "json-silent",
    "form",
    "data",
    "inspect",
    "session",
    "flash",
    "cookie",
    "redirect",
    "external",
    "abort",
    "boom",
    "handled",
    "tuple",
    "response",
    "empty",
    "not-modified",
    "bytes",
    "stream",
    "template",
    "bp",
]
#: Paths that reach each route as it is (the generated ones mostly miss), with
#: the methods the route takes.
KNOWN_PATHS: dict[str, list[str]] = {
    "/": ["GET"],
    "/items": ["GET", "POST"],
    "/mv/3": ["GET", "POST", "DELETE"],
    "/dir/": ["GET"],
    "/dir": ["GET"],
    "/page": ["GET"],
    "/page/1": ["GET"],
    "/page/7": ["GET"],
    "/old": ["GET"],
    "/noauto": ["GET"],
    "/fr/hello": ["GET"],
    "/json": ["POST"],
    "/json-silent": ["GET", "POST", "PUT"],
    "/form": ["POST", "PUT", "PATCH"],
    "/data": ["GET", "POST", "PUT", "DELETE", "PATCH", "PROPFIND"],
    "/inspect": ["GET", "POST"],
    "/session": ["GET", "POST"],
    "/session/peek": ["GET"],
    "/session/clear": ["POST"],
    "/flash": ["GET"],
    "/cookie": ["GET"],
    "/redirect": ["GET"],
    "/external": ["GET"],
    "/abort/400": ["GET"],
    "/abort/404": ["GET"],
    "/abort/418": ["GET"],
    "/abort/500": ["GET"],
    "/abort/503": ["GET"],
    "/abort/299": ["GET"],
    "/boom": ["GET"],
    "/handled": ["GET", "POST"],
    "/tuple": ["GET"],
    "/response": ["GET"],
    "/empty": ["GET", "DELETE"],
    "/not-modified": ["GET"],
    "/bytes": ["GET"],
    "/stream": ["GET"],
    "/template": ["GET"],
    "/bp/": ["GET"],
    "/bp": ["GET"],
    "/bp/5": ["GET", "PUT"],
    "/two/1/x/": ["GET"],
    "/mixed/x5y": ["GET"],
}
#: The routes that read a body or the session: drawn more often.
BODY_PATHS = ["/json", "/json-silent", "/form", "/data", "/session", "/inspect"]
path_segments = st.lists(
    st.sampled_from(PATH_PIECES) | st.binary(max_size=3), max_size=3
).map(b"".join)


@st.composite
def targets(draw: st.DrawFn) -> tuple[str, list[str]]:
    """``PATH_INFO`` (the bytes of the request path, decoded as latin-1), and the
    methods its route takes when it reaches one."""
    kind = draw(st.sampled_from(["known"] * 3 + ["route", "route", "random"]))
    route_methods = STANDARD_METHODS
    if kind == "known":
        path = draw(st.sampled_from(sorted(KNOWN_PATHS)) | st.sampled_from(BODY_PATHS))
        route_methods = KNOWN_PATHS[path]
        raw = path.encode()
    elif kind == "route":
        prefix = draw(st.sampled_from(ROUTE_PREFIXES)).encode()
        segments = draw(st.lists(path_segments, max_size=3))
        raw = b"/".join([b"", prefix, *segments])
    else:
        raw = draw(st.binary(max_size=30))
        if draw(st.booleans()):
            raw = b"/" + raw
    how = draw(st.sampled_from(["as is"] * 12 + ["slash", "double", "strip", "query"]))
    if how == "slash":
        raw += b"/"
    elif how == "double":
        raw = raw.replace(b"/", b"//", 1)
    elif how == "strip":
        raw = raw.rstrip(b"/")
    elif how == "query":
        raw += b"?x=1"
    return raw.decode("latin-1"), route_methods


path_infos = targets().map(lambda target: target[0])


QUERY_PIECES = [
    "v=1",
    "v=%3Cb%3E",
    "v=caf%C3%A9",
    "v=%FF",
    "next=http://evil.example/",
    "next=//evil",
    "next=%0d%0aX-Injected:%201",
    "m=hi",
    "c=error",
    "q=a+b",
    "why=x",
    "name=n",
    "k",
    "=v",
    "%ZZ=1",
    "a=1&a=2",
    "\xc3\xa9=\xff",
    "x=\x00",
    ";",
    "&&",
]


query_strings = st.one_of(
    st.lists(
        st.sampled_from(QUERY_PIECES)
        | st.builds(
            "{}={}".format,
            st.sampled_from(["v", "next", "m", "c", "q", "why"]),
            st.text(st.characters(max_codepoint=255), max_size=12),
        ),
        max_size=4,
    ).map("&".join),
    st.binary(max_size=30).map(lambda raw: raw.decode("latin-1")),
)

latin1_texts = st.text(st.characters(max_codepoint=255), max_size=40)


def basic(credentials: bytes) -> str:
    return "Basic " + base64.b64encode(credentials).decode()


#: Header values worth sending as they are, by ``HTTP_*`` name.
HEADER_VALUES: dict[str, list[str]] = {
    "ACCEPT": [
        "*/*",
        "application/json",
        "text/html;q=0.9,*/*;q=0.1",
        "text/*;q=abc",
        "a/b;q=1e500",
        "*/*;q=-1",
        ";;;,,,",
        "application/json;q=nan",
    ],
    "ACCEPT_LANGUAGE": ["en-US,en;q=0.5", "*", "x;q=nan", "é;q=1", ",,"],
    "ACCEPT_ENCODING": ["gzip, deflate", "*;q=0", "br;q=2"],
    "AUTHORIZATION": [
        basic(b"user:pass"),
        basic(b"\xff\xfe:\x00"),
        basic(b"no colon"),
        "Basic !!!",
        "Basic",
        "Basic ====",
        "Bearer abc",
        'Digest username="a", realm="r", nonce="n", uri="/", response="x"',
        'Digest username="a',
        "",
    ],
    "IF_MODIFIED_SINCE": [
        "Wed, 21 Oct 2015 07:28:00 GMT",
        "garbage",
        "Mon, 99 Foo 99999 99:99:99 GMT",
        "0",
        "Sat, 01 Jan 10000 00:00:00 GMT",
    ],
    "IF_NONE_MATCH": ['"abc"', 'W/"x", "y"', "*", '"unterminated', "W/"],
    "IF_RANGE": ['"etag"', "Wed, 21 Oct 2015 07:28:00 GMT", "junk"],
    "RANGE": [
        "bytes=0-10",
        "bytes=-5",
        "bytes=10-5",
        "bytes=abc",
        "bytes=0-1,2-3",
        "items=1-2",
        "bytes=99999999999999999999-",
        "bytes=",
    ],
    "CACHE_CONTROL": ["no-cache", "max-age=abc", "max-age=" + "9" * 30, '="'],
    "DATE": ["Wed, 21 Oct 2015 07:28:00 GMT", "yesterday"],
    "X_FORWARDED_FOR": ["1.2.3.4, 5.6.7.8", "garbage", "", ",,"],
    "X_FORWARDED_PROTO": ["https", "gopher"],
    "ORIGIN": ["http://example.org", "null", "\xff"],
    "REFERER": ["http://example.org/a?b", "::::"],
    "TRANSFER_ENCODING": ["chunked", "gzip, chunked", "identity"],
    "CONTENT_ENCODING": ["gzip", "deflate", "unknown"],
    "X_FUZZ_HOOK": ["abort", "stop", "handled", "boom", "other"],
    "X_FUZZ_BP": ["stop", "go"],
    "USER_AGENT": ["Mozilla/5.0", "", "curl/8"],
    "CONNECTION": ["close", "keep-alive, Upgrade"],
    "EXPECT": ["100-continue"],
}
header_names = st.sampled_from(sorted(HEADER_VALUES)) | st.text(
    alphabet=string.ascii_uppercase + string.digits + "_", min_size=1, max_size=12
)


@st.composite
def request_headers(draw: st.DrawFn) -> list[tuple[str, str]]:
    """``HTTP_*`` environ entries (no ``Host``, ``Cookie``, ``Content-*``)."""
    headers = []
    for name in draw(st.lists(header_names, max_size=4, unique=True)):
        known = HEADER_VALUES.get(name)
        if known and draw(st.integers(0, 3)):
            value = draw(st.sampled_from(known))
        else:
            value = draw(latin1_texts)
        headers.append((f"HTTP_{name}", value))
    return headers


#: Hosts the full app trusts.
TRUSTED = ["localhost", "example.org", "shop.example.org:8080"]
hosts = st.one_of(
    st.sampled_from(
        [
            "localhost",
            "localhost",
            "localhost:5000",
            "example.org",
            "shop.example.org:8080",
            "EXAMPLE.ORG",
            "evil.example",
            "",
            "[::1]",
            "[::1]:80",
            "[::1",
            "localhost:port",
            "a b",
            "xn--bcher-kva.example.org",
            "b\xfccher.example.org",
            "a..example.org",
            "x" * 64 + ".example.org",
            "localhost:99999999999",
        ]
    ),
    latin1_texts,
)

cookie_names = st.sampled_from(["session", "other", "echo", "a b", "x;y", ""])


@st.composite
def cookie_headers(draw: st.DrawFn) -> str:
    """An ``HTTP_COOKIE`` value: the session cookie (any kind), others, junk."""
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["session", "session", "other", "quoted", "junk"]))
        if kind == "session":
            parts.append(f"session={draw(session_cookies())}")
        elif kind == "other":
            name = draw(cookie_names)
            parts.append(f"{name}={draw(st.text(B64_ALPHABET + '%=', max_size=10))}")
        elif kind == "quoted":
            parts.append(f'{draw(cookie_names)}="{draw(latin1_texts)}"')
        else:
            parts.append(draw(latin1_texts))
    return draw(st.sampled_from(["; ", ";", ", ", " ; "])).join(parts)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)
CONTENT_TYPES = [
    "application/json",
    "application/json; charset=latin-1",
    "application/vnd.api+json",
    "text/plain",
    "text/plain; charset=\xff",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-16",
    "multipart/form-data; boundary=fuzzboundary",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    'multipart/form-data; boundary="fuzzboundary"',
    "multipart/mixed; boundary=fuzzboundary",
    "application/octet-stream",
    "",
    ";;;",
]


@st.composite
def multipart_bodies(draw: st.DrawFn) -> bytes:
    """A ``multipart/form-data`` body with boundary ``fuzzboundary``, whole or
    damaged. A damaged one holds no file part: Werkzeug's parser drops the files
    it read before the damage without closing them (a ResourceWarning), a known
    failure pinned in ``test_hostile.py``."""
    damage = draw(st.sampled_from(["none", "none", "cut", "no end", "junk"]))
    with_files = damage in ("none", "junk")
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(["name", "file", "a", 'q"uote', "é"]))
        disposition = f'form-data; name="{name}"'
        if with_files and draw(st.booleans()):
            filename = draw(st.sampled_from(["a.txt", "../../etc/passwd", "", "é.bin"]))
            disposition += f'; filename="{filename}"'
        headers = f"Content-Disposition: {disposition}\r\n"
        if draw(st.booleans()):
            headers += "Content-Type: application/octet-stream\r\n"
        content = draw(st.binary(max_size=20))
        parts.append(
            b"--fuzzboundary\r\n" + headers.encode() + b"\r\n" + content + b"\r\n"
        )
    body = b"".join(parts) + b"--fuzzboundary--\r\n"
    if damage == "cut":
        body = body[: draw(st.integers(0, len(body)))]
    elif damage == "no end":
        body = b"".join(parts)
    elif damage == "junk":
        body += draw(st.binary(max_size=20))
    return body


bodies = st.one_of(
    st.just((b"", None)),
    st.tuples(
        json_values.map(lambda value: json.dumps(value).encode()),
        st.sampled_from(CONTENT_TYPES[:3]),
    ),
    st.tuples(
        st.sampled_from(
            [
                b"{",
                b'{"a": }',
                b"\xff\xfe",
                b'"\\ud800"',
                b"[1, 2,]",
                b"1" * 5000,
                b"NaN",
                # Nested deeper than MAX_JSON_DEPTH, and than the decoder's
                # recursion limit.
                b"[" * 600 + b"]" * 600,
                b"[" * 100_000,
            ]
        )
        | st.binary(max_size=30),
        st.sampled_from(CONTENT_TYPES[:3]),
    ),
    st.tuples(
        st.lists(st.tuples(st.text(max_size=6), st.text(max_size=6)), max_size=4).map(
            lambda pairs: urlencode(pairs).encode()
        ),
        st.just("application/x-www-form-urlencoded"),
    ),
    st.tuples(multipart_bodies(), st.sampled_from(CONTENT_TYPES[7:12])),
    st.tuples(st.binary(max_size=40), st.sampled_from([None, *CONTENT_TYPES])),
    st.tuples(st.just(b"x=" + b"y" * 5000), st.sampled_from(CONTENT_TYPES[5:7])),
)


@st.composite
def environ_specs(draw: st.DrawFn) -> dict[str, t.Any]:
    """What one request's environ is made of (built fresh per call)."""
    body, content_type = draw(bodies)
    length = draw(
        st.sampled_from(["exact"] * 4 + ["missing", "more", "less", "garbage"])
    )
    if b"filename=" in body and length in ("more", "less"):
        # A multipart body that ends early after a file part: the known failure
        # of multipart_bodies() again.
        length = "exact"
    if length == "exact":
        content_length: str | None = str(len(body)) if body or content_type else None
    elif length == "missing":
        content_length = None
    elif length == "more":
        content_length = str(len(body) + draw(st.integers(1, 100)))
    elif length == "less":
        content_length = str(max(len(body) - draw(st.integers(1, 10)), 0))
    else:
        content_length = draw(
            st.sampled_from(["abc", "-1", "", " 5 ", "0x10", "1e3", "9" * 25, "+3"])
        )
    if content_type is not None and draw(st.integers(0, 9)) == 0:
        content_type = draw(latin1_texts)
    path, route_methods = draw(targets())
    if draw(st.integers(0, 19)) == 0:
        # PEP 3333 lets a server send an empty path, or none, for the root.
        path = draw(st.sampled_from(["", None]))
    if route_methods and draw(st.booleans()):
        method = draw(st.sampled_from(route_methods))
    else:
        method = draw(methods)
    return {
        "method": method,
        "script_name": draw(st.sampled_from(["", "", "", "/mount", "/"])),
        "path": path,
        "query": draw(query_strings | st.none()),
        "scheme": draw(st.sampled_from(["http", "http", "https"])),
        "server": draw(
            st.sampled_from([("localhost", "80"), ("example.org", "8080"), ("", "")])
        ),
        "host": draw(st.none() | st.sampled_from(TRUSTED) | hosts),
        "cookie": draw(st.none() | cookie_headers()),
        "headers": draw(request_headers()),
        "remote_addr": draw(st.sampled_from(["127.0.0.1", "::1", "junk", None])),
        "body": body,
        "content_type": content_type,
        "content_length": content_length,
    }


def make_environ(spec: dict[str, t.Any]) -> dict[str, t.Any]:
    """A fresh environ for *spec*, its body in a new ``BytesIO``."""
    server_name, server_port = spec["server"]
    environ: dict[str, t.Any] = {
        "REQUEST_METHOD": spec["method"],
        "SCRIPT_NAME": spec["script_name"],
        "SERVER_NAME": server_name,
        "SERVER_PORT": server_port,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": spec["scheme"],
        "wsgi.input": io.BytesIO(spec["body"]),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    optional = {
        "PATH_INFO": spec["path"],
        "QUERY_STRING": spec["query"],
        "HTTP_HOST": spec["host"],
        "HTTP_COOKIE": spec["cookie"],
        "REMOTE_ADDR": spec["remote_addr"],
        "CONTENT_TYPE": spec["content_type"],
        "CONTENT_LENGTH": spec["content_length"],
    }
    environ.update((key, value) for key, value in optional.items() if value is not None)
    environ.update(spec["headers"])
    return environ


# -------------------------------------------------------------- serving


def pep3333_environ(spec: dict[str, t.Any]) -> bool:
    """Whether ``wsgiref.validate`` takes the environ of *spec* (a server could
    send it): only those requests go through the whole validator."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        try:
            wsgi_validate.check_environ(make_environ(spec))
        except (AssertionError, KeyError, ValueError, Warning):
            return False
    return True


def check_response(status: str, headers: list[tuple[str, str]]) -> None:
    """What ``wsgiref.validate`` checks of an answer, for a request it could not
    take whole."""
    wsgi_validate.check_status(status)
    wsgi_validate.check_headers(headers)
    wsgi_validate.check_content_type(status, headers)


def serve(app: t.Any, spec: dict[str, t.Any]) -> dict[str, t.Any]:
    """Send one request; return what came back and what the app recorded."""
    validated = pep3333_environ(spec)
    environ = make_environ(spec)
    application = wsgi_validate.validator(app) if validated else app
    app.fuzz_records.clear()
    captured: dict[str, t.Any] = {"written": []}

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Callable[[bytes], None]:
        captured["status"] = status
        captured["headers"] = list(headers)
        return captured["written"].append

    outcome: dict[str, t.Any] = {"validated": validated}
    with mock.patch.object(time, "time", lambda: float(NOW)):
        try:
            iterable = application(environ, start_response)
            try:
                chunks = list(iterable)
            finally:
                close = getattr(iterable, "close", None)
                if close is not None:
                    close()
        except Exception:  # noqa: BLE001 - any escape is the finding
            outcome["escaped"] = traceback.format_exc()
        else:
            outcome["status"] = captured["status"]
            outcome["headers"] = captured["headers"]
            outcome["body"] = b"".join(captured["written"] + chunks)
    outcome["deliberate"] = bool(environ.get(DELIBERATE))
    outcome["records"] = list(app.fuzz_records)
    outcome["context_left"] = context_var.get(None) is not None
    return outcome


def tracebacks(outcome: dict[str, t.Any]) -> str:
    return "\n".join(
        record[3] for record in outcome["records"] if record[0] == "logged"
    )


def check_outcome(name: str, spec: dict[str, t.Any], outcome: dict[str, t.Any]) -> None:
    """The properties every answer has."""
    assert "escaped" not in outcome, f"{name}: escaped\n{outcome['escaped']}\n{spec}"
    assert not outcome["context_left"], (name, spec)
    status, headers, body = outcome["status"], outcome["headers"], outcome["body"]
    code = int(status[:3])
    event(f"status {code}")
    if code >= 500:
        assert outcome["deliberate"], f"{name}: {status}\n{tracebacks(outcome)}\n{spec}"
    if not outcome["validated"]:
        check_response(status, headers)
    lengths = [value for key, value in headers if key.lower() == "content-length"]
    assert len(lengths) <= 1, (name, headers)
    if (
        lengths
        and spec["method"].upper() != "HEAD"
        and code not in (204, 304)
        and code >= 200
    ):
        assert int(lengths[0]) == len(body), (name, status, headers, body, spec)


def comparable(outcome: dict[str, t.Any]) -> dict[str, t.Any]:
    """An outcome without what differs between cores by nature: the frames of a
    logged traceback."""
    records = [record[:3] for record in outcome["records"]]
    return {**outcome, "records": records}


@REQUEST_SETTINGS
@example(
    spec={
        "method": "POST",
        "script_name": "",
        "path": "/json",
        "query": "",
        "scheme": "http",
        "server": ("localhost", "80"),
        "host": "localhost",
        "cookie": "session=garbage",
        "headers": [("HTTP_X_FUZZ_HOOK", "other")],
        "remote_addr": "127.0.0.1",
        "body": b'{"a": [1, 2',
        "content_type": "application/json",
        "content_length": "11",
    }
)
@given(spec=environ_specs())
def test_requests_never_fail(fuzz_apps: list[t.Any], spec: dict[str, t.Any]) -> None:
    """Any request: an answer below 500 (unless on purpose), valid per PEP 3333,
    the same from both cores."""
    outcomes = []
    for app in fuzz_apps:
        name = type(app).__name__
        outcome = serve(app, spec)
        check_outcome(name, spec, outcome)
        outcomes.append((name, comparable(outcome)))
    for name, outcome in outcomes[1:]:
        assert outcome == outcomes[0][1], (outcomes[0][0], name, spec)


#: Requests that go through the session with each kind of cookie.
@SESSION_SETTINGS
@given(
    path=st.sampled_from(
        ["/session", "/session/peek", "/session/clear", "/flash", "/inspect", "/"]
    ),
    method=st.sampled_from(["GET", "POST", "HEAD"]),
    cookies=st.lists(session_cookies(), min_size=1, max_size=2),
    separator=st.sampled_from(["; ", ";"]),
)
def test_session_cookies(
    fuzz_apps: list[t.Any],
    path: str,
    method: str,
    cookies: list[str],
    separator: str,
) -> None:
    """Every kind of session cookie on the routes that open the session: a
    bad one gives an empty session (never an error), a good one its content."""
    spec = {
        "method": method,
        "script_name": "",
        "path": path,
        "query": "m=x",
        "scheme": "http",
        "server": ("localhost", "80"),
        "host": "localhost",
        "cookie": separator.join(f"session={value}" for value in cookies),
        "headers": [],
        "remote_addr": "127.0.0.1",
        "body": b"",
        "content_type": None,
        "content_length": None,
    }
    outcomes = []
    for app in fuzz_apps:
        name = type(app).__name__
        outcome = serve(app, spec)
        check_outcome(name, spec, outcome)
        outcomes.append((name, comparable(outcome)))
    for name, outcome in outcomes[1:]:
        assert outcome == outcomes[0][1], (outcomes[0][0], name, spec)


# -------------------------------------------------------------- pinned cases


def serve_once(app: t.Any, **environ: t.Any) -> str:
    """The status line *app* answers a GET of ``/`` with, the environ changed by
    *environ*."""
    spec = {
        "method": "GET",
        "script_name": "",
        "path": "/",
        "query": "",
        "scheme": "http",
        "server": ("localhost", "80"),
        "host": "localhost",
        "cookie": None,
        "headers": [],
        "remote_addr": "127.0.0.1",
        "body": b"",
        "content_type": None,
        "content_length": None,
    }
    statuses: list[str] = []
    request_environ = {**make_environ(spec), **environ}
    iterable = app(request_environ, lambda status, *_: statuses.append(status))
    try:
        b"".join(iterable)
    finally:
        getattr(iterable, "close", lambda: None)()
    return statuses[-1]


def minimal_app(app_class: type) -> t.Any:
    app = app_class("fuzz_known_failures", static_folder=None)
    app.testing = app.debug = False
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True

    @app.route("/args")
    def args() -> t.Any:
        return request.args.to_dict()

    @app.route("/url")
    def url() -> str:
        return request.url

    @app.route("/dir/")
    def directory() -> str:
        return "a directory"

    @app.route("/page", defaults={"number": 1})
    @app.route("/page/<int:number>")
    def page(number: int) -> str:
        return f"page {number}"

    @app.route("/data", methods=["GET", "POST"])
    def data() -> t.Any:
        return {"length": len(request.get_data())}

    @app.post("/json")
    def strict_json() -> t.Any:
        return {"type": type(request.get_json()).__name__}

    @app.post("/json-silent")
    def silent_json() -> t.Any:
        return {"type": type(request.get_json(silent=True)).__name__}

    return app


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("length", [str(2**63), "9" * 25])
def test_content_length_past_index_size(
    dispatch_app_class: type, method: str, length: str
) -> None:
    # Found by the fuzz profile while get_data learned to read wsgi.input itself:
    # one read of the whole Content-Length raised OverflowError, a 500. Werkzeug's
    # stream answers 400 when the input ends first, as here.
    app = minimal_app(dispatch_app_class)
    status = serve_once(
        app,
        REQUEST_METHOD=method,
        PATH_INFO="/data",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH=length,
    )
    assert status.startswith("400 "), status


def test_query_string_not_utf8(dispatch_app_class: type) -> None:
    # Werkzeug 3.1's request.args decodes the raw query bytes as strict UTF-8: a
    # byte that is not UTF-8, sent unescaped, was a 500 (Flask 3.1 too).
    app = minimal_app(dispatch_app_class)
    status = serve_once(app, PATH_INFO="/args", QUERY_STRING="q=\xff")
    assert int(status[:3]) < 500, status


@pytest.mark.parametrize("silent", [False, True], ids=["strict", "silent"])
def test_json_nested_too_deep(dispatch_app_class: type, silent: bool) -> None:
    # Werkzeug 3.1's get_json catches ValueError only, even with silent=True: the
    # decoder's RecursionError on a body nested too deep was a 500 (Flask 3.1 too).
    app = minimal_app(dispatch_app_class)
    body = b"[" * 100_000 + b"]" * 100_000
    status = serve_once(
        app,
        REQUEST_METHOD="POST",
        PATH_INFO="/json-silent" if silent else "/json",
        CONTENT_TYPE="application/json",
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": io.BytesIO(body)},
    )
    assert status.startswith("400 " if not silent else "200 "), status


@pytest.mark.parametrize("path", ["/dir", "/page/1"], ids=["slash", "defaults"])
def test_redirect_host_port_out_of_range(dispatch_app_class: type, path: str) -> None:
    # A routing redirect puts the request's host in its Location, which the
    # response writes through iri_to_uri: it fails on a port above 65535 (a 500 in
    # Flask 3.1 on Werkzeug 3.1.8). The host is dropped, as Werkzeug 3.1.9's
    # get_host drops it, and the redirect goes ahead without it.
    app = minimal_app(dispatch_app_class)
    status = serve_once(app, PATH_INFO=path, HTTP_HOST="localhost:99999999999")
    assert status.startswith("308 "), status


@pytest.mark.parametrize("path", ["/dir", "/page/1"], ids=["slash", "defaults"])
@pytest.mark.parametrize(
    "host",
    ["a..example.org", "x" * 64 + ".example.org"],
    ids=["empty-label", "long-label"],
)
def test_redirect_host_not_idna(dispatch_app_class: type, host: str, path: str) -> None:
    # A routing redirect binds the URL adapter, which refuses a host IDNA cannot
    # encode with BadHost: a 400, as Flask's, where it once escaped as a 500.
    app = minimal_app(dispatch_app_class)
    status = serve_once(app, PATH_INFO=path, HTTP_HOST=host)
    assert status.startswith("400 "), status


@pytest.mark.parametrize("port", ["99999999999", "65536", "8x", "\u0661"])
def test_request_url_host_port_out_of_range(
    dispatch_app_class: type, port: str
) -> None:
    # Before Werkzeug 3.1.9, request.url (and host_url, base_url, root_url) failed
    # on such a host: urlsplit raises ValueError (a 500, in Flask 3.1 too). The
    # request's host reads as empty, as from 3.1.9.
    app = minimal_app(dispatch_app_class)
    status = serve_once(app, PATH_INFO="/url", HTTP_HOST=f"localhost:{port}")
    assert int(status[:3]) < 500, status


def test_external_url_host_port_out_of_range(dispatch_app_class: type) -> None:
    # The URL adapter reads the host as request.host does: a redirect to an
    # external URL built on a port out of range was a 500 before Werkzeug 3.1.9.
    app = minimal_app(dispatch_app_class)

    @app.route("/external")
    def external() -> t.Any:
        return redirect(url_for("external", _external=True))

    status = serve_once(app, PATH_INFO="/external", HTTP_HOST="localhost:99999")
    assert status.startswith("302 "), status


@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("localhost:8080", "localhost:8080"),
        ("[::1]:8080", "[::1]:8080"),
        ("localhost:65536", ""),
        ("localhost:0", ""),
        ("localhost:", ""),
        ("[::1]:99999", ""),
    ],
)
def test_request_host_port(header: str, host: str) -> None:
    # The same on every Werkzeug 3.1: a port out of range empties the host.
    environ = EnvironBuilder("/", headers={"Host": header}).get_environ()
    request = microweb.Request(environ)
    assert request.host == host


def test_redirect_bad_host_reaches_handlers(dispatch_app_class: type) -> None:
    # The 400 is the request's routing error: a 400 handler answers it.
    app = minimal_app(dispatch_app_class)
    app.register_error_handler(400, lambda error: ("bad host", 400))
    client = app.test_client()
    response = client.get("/dir", headers={"Host": "a..example.org"})
    assert (response.status_code, response.text) == (400, "bad host")


# -------------------------------------------------------------- the routing core

#: Every converter, strict slashes, defaults, an alias, ``redirect_to``.
ROUTING_RULES = [
    Rule("/", endpoint="index"),
    *(
        Rule(rule, endpoint=f"converter{number}")
        for number, rule in enumerate(CONVERTER_RULES)
    ),
    Rule("/items", endpoint="items", methods=["GET", "POST"]),
    Rule("/items/<int:item_id>", endpoint="item", methods=["GET", "PUT", "DELETE"]),
    Rule("/dir/", endpoint="dir"),
    Rule("/page", defaults={"n": 1}, endpoint="page"),
    Rule("/page/<int:n>", endpoint="page"),
    Rule("/old/<int:n>", redirect_to="/page/<n>", endpoint="old"),
    Rule("/loose", strict_slashes=False, endpoint="loose"),
    Rule("/unmerged//x", merge_slashes=False, endpoint="unmerged"),
]


@pytest.fixture(scope="module")
def routing_adapters(routing_cores: list[ModuleType]) -> list[tuple[str, t.Any]]:
    """The rules on each routing twin importable here, bound to a server."""
    adapters = []
    for core in routing_cores:
        url_map = build_map(
            core,
            [rule.empty() for rule in ROUTING_RULES],
            converters={"hex": HexConverter},
        )
        adapters.append((core.__name__, url_map.bind("example.org")))
    return adapters


def match_outcome(adapter: t.Any, path: str, method: str) -> tuple[t.Any, ...]:
    """A match reduced to a comparable value; only the router's defined outcomes
    are caught."""
    try:
        endpoint, view_args = adapter.match(path, method, query_args="q=1")
    except RequestRedirect as redirect_:
        return ("redirect", redirect_.new_url, redirect_.code)
    except MethodNotAllowed as refusal:
        return ("405", sorted(refusal.valid_methods or ()))
    except NotFound:
        return ("404",)
    return (
        "match",
        endpoint,
        sorted(
            (name, type(value).__name__, repr(value))
            for name, value in view_args.items()
        ),
    )


route_paths = st.one_of(
    path_infos,
    path_infos,
    st.text(max_size=30).map(lambda text: "/" + text),
    st.text(st.characters(codec="utf-8"), max_size=30),
    st.lists(st.sampled_from(ROUTE_PREFIXES) | st.text(max_size=6), max_size=4).map(
        lambda parts: "/" + "/".join(parts)
    ),
)
route_methods = methods | st.text(max_size=8) | st.just("")


@ROUTING_SETTINGS
@given(path=route_paths, method=route_methods)
def test_routing_match_outcomes(
    routing_adapters: list[tuple[str, t.Any]], path: str, method: str
) -> None:
    """Any path and method: a match, a redirect, a 404 or a 405 (nothing else
    escapes), the same on both twins; a redirect's target can go in a header."""
    outcomes = []
    for name, adapter in routing_adapters:
        outcome = match_outcome(adapter, path, method)
        if outcome[0] == "redirect":
            location = outcome[1]
            assert location.isascii(), (name, path, location)
            assert not wsgi_validate.bad_header_value_re.search(location), (
                name,
                path,
                location,
            )
        outcomes.append((name, outcome))
    event(f"routing: {outcomes[0][1][0]}")
    for name, outcome in outcomes[1:]:
        assert outcome == outcomes[0][1], (path, method, outcomes[0][0], name)


def test_uuid_sample_matches(routing_adapters: list[tuple[str, t.Any]]) -> None:
    # The generated paths reach the converters: a sanity check of the fixture.
    sample = uuid.UUID("12345678-1234-5678-1234-567812345678")
    for _, adapter in routing_adapters:
        assert adapter.match(f"/uuid/{sample}") == ("converter8", {"value": sample})
        assert adapter.match("/hex/beef") == ("converter13", {"value": 0xBEEF})
