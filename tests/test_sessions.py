"""Sessions: byte-compatible cookies with Flask, both ways, and Flask's behaviour."""

from __future__ import annotations

import base64
import typing as t
import uuid
import warnings
import zlib
from datetime import datetime, timezone

import flask
import pytest
from itsdangerous import TimestampSigner

import microweb

SECRET = "interop-secret"


def make_app(module: t.Any, app_class: t.Any) -> t.Any:
    app = app_class(__name__)
    app.secret_key = SECRET
    app.config["SECRET_KEY_FALLBACKS"] = ["retired-secret"]

    @app.route("/set")
    def set_values() -> str:
        module.session["user"] = "ada"
        module.session["pair"] = (1, "two")
        module.session["raw"] = b"\x00\xff"
        module.session["id"] = uuid.UUID(int=7)
        module.session["when"] = datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
        module.session["tricky"] = {" t": "not a tuple"}
        module.session["count"] = module.session.get("count", 0) + 1
        module.flash("saved", "info")
        return "set"

    @app.route("/get")
    def get_values() -> dict[str, t.Any]:
        return {
            "user": module.session.get("user"),
            "pair": repr(module.session.get("pair")),
            "raw": repr(module.session.get("raw")),
            "id": repr(module.session.get("id")),
            "when": repr(module.session.get("when")),
            "tricky": repr(module.session.get("tricky")),
            "count": module.session.get("count"),
            "flashes": module.get_flashed_messages(with_categories=True),
        }

    @app.route("/permanent")
    def permanent() -> str:
        module.session.permanent = True
        module.session["user"] = "grace"
        return "permanent"

    @app.route("/clear")
    def clear() -> str:
        module.session.clear()
        return "cleared"

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    @app.route("/peek")
    def peek() -> str:
        return str("user" in module.session)

    return app


def apps() -> tuple[t.Any, t.Any]:
    return make_app(flask, flask.Flask), make_app(microweb, microweb.App)


def session_cookie(response: t.Any) -> str:
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith("session="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError("no session cookie")


@pytest.mark.parametrize("direction", ["flask-to-microweb", "microweb-to-flask"])
def test_cookies_read_across_frameworks(direction: str) -> None:
    flask_app, microweb_app = apps()
    writer, reader = (
        (flask_app, microweb_app)
        if direction == "flask-to-microweb"
        else (microweb_app, flask_app)
    )
    cookie = session_cookie(writer.test_client().get("/set"))
    reader_client = reader.test_client()
    reader_client.set_cookie("session", cookie)
    expected_client = writer.test_client()
    expected_client.set_cookie("session", cookie)
    assert reader_client.get("/get").json == expected_client.get("/get").json


def test_cookie_signed_with_a_fallback_key_reads() -> None:
    old_app = make_app(flask, flask.Flask)
    old_app.secret_key = "retired-secret"
    old_app.config["SECRET_KEY_FALLBACKS"] = None
    cookie = session_cookie(old_app.test_client().get("/set"))
    client = make_app(microweb, microweb.App).test_client()
    client.set_cookie("session", cookie)
    assert client.get("/get").json["user"] == "ada"


@pytest.mark.parametrize("path", ["/plain", "/peek", "/set", "/permanent", "/clear"])
@pytest.mark.parametrize("with_cookie", [False, True])
def test_headers_match_flask(path: str, with_cookie: bool) -> None:
    results = []
    for app in apps():
        client = app.test_client()
        if with_cookie:
            client.get("/permanent")
        response = client.get(path)
        headers = sorted(
            (name, value.split("=", 1)[0] if name == "Set-Cookie" else value)
            for name, value in response.headers.items()
        )
        results.append((response.status_code, headers, response.get_data()))
    assert results[0] == results[1]


def _signed(payload: bytes) -> str:
    signer = TimestampSigner(
        SECRET, salt="cookie-session", key_derivation="hmac", digest_method="sha1"
    )
    return signer.sign(payload).decode()


BAD_COOKIES = {
    "tampered": lambda good: good[:-2] + ("A" if good[-1] != "A" else "B") * 2,
    "truncated": lambda good: good[: len(good) // 2],
    "not base64": lambda good: "%%%%.$$$$.####",
    "wrong key": lambda good: make_app(flask, flask.Flask).secret_key and "x.y.z",
    "not json": lambda good: _signed(base64.urlsafe_b64encode(b"{nope").rstrip(b"=")),
    "not a dict": lambda good: _signed(base64.urlsafe_b64encode(b"[1,2]").rstrip(b"=")),
    "zlib bomb": lambda good: _signed(
        b"." + base64.urlsafe_b64encode(zlib.compress(b"0" * (4 << 20))).rstrip(b"=")
    ),
    "10 kB": lambda good: "a" * 10_000,
    "empty": lambda good: "",
}


@pytest.mark.parametrize("name", sorted(BAD_COOKIES))
def test_bad_cookie_gives_an_empty_session(name: str) -> None:
    app = make_app(microweb, microweb.App)
    good = session_cookie(app.test_client().get("/set"))
    client = app.test_client()
    with warnings.catch_warnings():
        # The test client warns that a 10 kB cookie is larger than browsers keep.
        warnings.simplefilter("ignore", UserWarning)
        client.set_cookie("session", BAD_COOKIES[name](good))
    response = client.get("/get")
    assert response.status_code == 200
    assert response.json["user"] is None


def test_no_secret_key_reads_empty_and_refuses_writes() -> None:
    app = microweb.App(__name__)
    app.testing = True

    @app.route("/read")
    def read() -> str:
        return repr(microweb.session.get("x"))

    @app.route("/write")
    def write() -> str:
        microweb.session["x"] = 1
        return "no"

    client = app.test_client()
    assert client.get("/read").data == b"None"
    with pytest.raises(RuntimeError, match="secret key"):
        client.get("/write")


def test_session_transaction() -> None:
    app = make_app(microweb, microweb.App)
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = "hopper"
    assert client.get("/get").json["user"] == "hopper"


@pytest.mark.parametrize(
    "cookie_header",
    [
        "session={token}",
        "other=1; session={token}",
        "session={token}; session=second",
        'session="{token}"',
        "session={token}\xc3\xa9",
        "session=; session={token}",
        "=nameless; session={token}",
    ],
)
def test_session_reads_the_same_cookie_with_or_without_a_request_object(
    cookie_header: str,
) -> None:
    # The session opens from the environ when the view has not built the request
    # object yet; it must pick the same cookie value as request.cookies does.
    app = microweb.App(__name__)
    app.secret_key = SECRET

    @app.route("/set")
    def set_user() -> str:
        microweb.session["user"] = "ada"
        return "set"

    @app.route("/session-only")
    def session_only() -> str:
        return repr(microweb.session.get("user"))

    @app.route("/request-first")
    def request_first() -> str:
        assert microweb.request.path == "/request-first"
        return repr(microweb.session.get("user"))

    client = app.test_client(use_cookies=False)
    set_cookie = client.get("/set").headers["Set-Cookie"]
    token = set_cookie.split(";")[0].partition("=")[2]
    header = cookie_header.format(token=token)
    lazy = client.get("/session-only", headers={"Cookie": header})
    eager = client.get("/request-first", headers={"Cookie": header})
    assert lazy.status_code == eager.status_code == 200
    assert lazy.get_data(as_text=True) == eager.get_data(as_text=True)
    assert lazy.headers.get("Vary") == eager.headers.get("Vary") == "Cookie"
