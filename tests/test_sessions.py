"""Sessions: byte-compatible cookies with Flask, both ways, and Flask's behaviour.

The session's own request path is checked against the general one: a direct
answer (the dispatch core's, without a response object) saves the session as a
response object and ``save_session`` do, header for header, on both cores; the
cookie is found in the header as Werkzeug's ``parse_cookie`` finds it; the
``Set-Cookie`` is Werkzeug's ``dump_cookie``; the tagged JSON is Flask's.
"""

from __future__ import annotations

import base64
import gc
import string
import time
import typing as t
import uuid
import warnings
import zlib
from datetime import datetime, timedelta, timezone

import flask
import pytest
from conftest import importable_cores
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import TimestampSigner
from markupsafe import Markup
from werkzeug.http import dump_cookie
from werkzeug.sansio.http import parse_cookie
from werkzeug.test import EnvironBuilder

import microweb
import microweb.sessions
import microweb.signals

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


# --------------------------------------------------------- the direct answer path


def serve(app: t.Any, environ: dict[str, t.Any]) -> tuple[str, list[t.Any], bytes]:
    """Status line, header list (in order) and body of one WSGI call."""
    answer: dict[str, t.Any] = {}

    def start_response(
        status: str, headers: list[t.Any], exc_info: t.Any = None
    ) -> t.Any:
        answer["status"], answer["headers"] = status, list(headers)
        return None

    iterable = app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        getattr(iterable, "close", lambda: None)()
    return answer["status"], answer["headers"], body


def wsgi_environ(method: str, path: str, cookie: str | None) -> dict[str, t.Any]:
    environ = EnvironBuilder(path=path, method=method).get_environ()
    if cookie is not None:
        environ["HTTP_COOKIE"] = cookie
    return environ


def direct_path_app(app_class: type, slow: bool, config: dict[str, t.Any]) -> t.Any:
    """An app whose views use the session in every way; with *slow*, an
    ``after_request`` hook puts every answer on the response-object path."""
    app = app_class(__name__)
    app.secret_key = SECRET
    app.config.update(config)
    app.logger.disabled = True
    session = microweb.session

    @app.route("/set")
    def set_values() -> str:
        session["user"] = "ada"
        session["n"] = session.get("n", 0) + 1
        return "set"

    @app.route("/read")
    def read() -> str:
        return repr(session.get("user"))

    @app.route("/peek")
    def peek() -> str:
        return str("user" in session)

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    @app.route("/clear")
    def clear() -> str:
        session.clear()
        return "cleared"

    @app.route("/permanent")
    def permanent() -> str:
        session.permanent = True
        session["user"] = "grace"
        return "permanent"

    @app.route("/json")
    def json_answer() -> t.Any:
        session["json"] = True
        return {"ok": [1, 2]}

    @app.route("/created")
    def created() -> t.Any:
        session["created"] = 1
        return "created", 201

    @app.route("/bytes")
    def raw() -> bytes:
        session["bytes"] = b"\x00\xff"
        return b"bytes"

    @app.route("/missing")
    def missing() -> str:
        session["missing"] = (1, "two")
        microweb.abort(404)

    @app.route("/nested")
    def nested() -> str:
        session["nested"] = {"a": [1, {" t": "not a tag"}], "when": uuid.UUID(int=3)}
        return "nested"

    @app.route("/unserializable")
    def unserializable() -> str:
        session["object"] = object()
        return "never sent"

    if slow:

        @app.after_request
        def keep(response: t.Any) -> t.Any:
            return response

    return app


DIRECT_PATHS = [
    "/set",
    "/read",
    "/peek",
    "/plain",
    "/clear",
    "/permanent",
    "/json",
    "/created",
    "/bytes",
    "/missing",
    "/nested",
    "/unserializable",
]
DIRECT_CONFIGS = {
    "default": {},
    "attributes": {
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_DOMAIN": "b\xfccher.example.org",
        "SESSION_COOKIE_PATH": "/app dir",
    },
    "renamed": {
        "SESSION_COOKIE_NAME": "sid",
        "SESSION_COOKIE_HTTPONLY": False,
        "SESSION_COOKIE_PARTITIONED": True,
        "SESSION_REFRESH_EACH_REQUEST": False,
    },
    "small limit": {"MAX_COOKIE_SIZE": 60},
    "no secret key": {"SECRET_KEY": None},
}


class _FrozenDatetime(datetime):
    """``datetime`` whose ``now()`` is always the same instant."""

    @classmethod
    def now(cls, tz: t.Any = None) -> t.Any:
        return datetime(2031, 1, 2, 3, 4, 5, tzinfo=timezone.utc).astimezone(tz)


@pytest.fixture
def frozen_session_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The signing clock and a permanent cookie's expiry, frozen in microweb and
    Flask: two requests give the same cookie however far apart they run."""
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.25)
    monkeypatch.setattr(microweb.sessions, "datetime", _FrozenDatetime)
    monkeypatch.setattr(flask.sessions, "datetime", _FrozenDatetime)


@pytest.mark.usefixtures("frozen_session_clock")
@pytest.mark.parametrize(
    "config", list(DIRECT_CONFIGS.values()), ids=list(DIRECT_CONFIGS)
)
def test_direct_answer_saves_the_session_as_a_response_does(
    dispatch_app_class: type, config: dict[str, t.Any]
) -> None:
    # The dispatch core answers plain values itself and adds the session's
    # headers; an after_request hook sends the same views through a response
    # object and save_session. Both must answer alike, header for header.
    # Weak receivers of request signals that other tests left behind go now.
    gc.collect()
    microweb.signals.watch.update()
    signals_watched = microweb.signals.watch.active
    direct = direct_path_app(dispatch_app_class, slow=False, config=config)
    slow = direct_path_app(dispatch_app_class, slow=True, config=config)
    finalized: list[t.Any] = []
    finalize = direct.finalize_request

    def spy(*args: t.Any, **kwargs: t.Any) -> t.Any:
        finalized.append(args)
        return finalize(*args, **kwargs)

    direct.finalize_request = spy
    name = direct.config["SESSION_COOKIE_NAME"]
    cookies: list[str | None] = [None, "other=1", f"{name}=garbage"]
    with warnings.catch_warnings():
        # A cookie past MAX_COOKIE_SIZE warns, on both paths (compared apart).
        warnings.simplefilter("ignore", UserWarning)
        if direct.secret_key:
            for setter in ("/set", "/permanent", "/nested"):
                set_cookie = dict(serve(slow, wsgi_environ("GET", setter, None))[1])
                cookies.append(set_cookie["Set-Cookie"].split(";")[0])
        for cookie in cookies:
            for path in DIRECT_PATHS:
                for method in ("GET", "HEAD"):
                    expected = serve(slow, wsgi_environ(method, path, cookie))
                    got = serve(direct, wsgi_environ(method, path, cookie))
                    assert got == expected, (method, path, cookie)
    # Every answer but the failures (a session that cannot be saved, or written
    # without a secret key) was direct, unless a receiver of request signals
    # left by another test is still alive.
    if direct.secret_key and not signals_watched:
        assert all(args[0].code == 500 for args in finalized), finalized


def test_direct_answer_warns_of_a_large_cookie_as_a_response_does(
    dispatch_app_class: type,
) -> None:
    records = []
    for slow in (False, True):
        app = direct_path_app(dispatch_app_class, slow, {"MAX_COOKIE_SIZE": 60})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            serve(app, wsgi_environ("GET", "/set", None))
        records.append([(type(w.message), str(w.message)) for w in caught])
    assert records[0] == records[1] != []


def test_session_interface_replaced_after_the_first_request(
    dispatch_app_class: type,
) -> None:
    # The dispatcher was built with the stock interface; an interface set later
    # is still the one that saves the session (on a response object).
    class Marking(microweb.sessions.SecureCookieSessionInterface):
        def save_session(self, app: t.Any, session: t.Any, response: t.Any) -> None:
            super().save_session(app, session, response)
            response.headers["X-Saved-By"] = "marking"

    app = direct_path_app(dispatch_app_class, slow=False, config={})
    client = app.test_client()
    assert "X-Saved-By" not in client.get("/set").headers
    app.session_interface = Marking()
    response = client.get("/set")
    assert response.headers["X-Saved-By"] == "marking"
    assert response.headers["Vary"] == "Cookie"
    assert "Set-Cookie" in response.headers


def _changed_after_the_first_request(app_class: type, module: t.Any) -> list[t.Any]:
    """What an app answers when its session interface, then its cookie name, are
    changed after it served its first request, for requests whose views leave
    the session alone."""

    class Marking(module.sessions.SecureCookieSessionInterface):
        def save_session(self, app: t.Any, session: t.Any, response: t.Any) -> None:
            response.headers["X-Saved-By"] = "marking"
            super().save_session(app, session, response)

    app = app_class(__name__)
    app.secret_key = SECRET

    @app.route("/")
    def plain() -> str:
        return "plain"

    @app.route("/permanent")
    def permanent() -> str:
        module.session.permanent = True
        module.session["user"] = "ada"
        return "permanent"

    client = app.test_client()
    answers = [client.get("/").headers.get("X-Saved-By")]
    app.session_interface = Marking()
    answers.append(client.get("/").headers.get("X-Saved-By"))
    app.session_interface = module.sessions.SecureCookieSessionInterface()
    answers.append(client.get("/").headers.get("X-Saved-By"))
    app.config["SESSION_COOKIE_NAME"] = "sid"
    client = app.test_client()
    client.get("/permanent")
    # A permanent session is refreshed on every response, under its new name.
    refreshed = client.get("/").headers.get("Set-Cookie", "")
    answers.append(refreshed.split("=", 1)[0])
    return answers


def test_settings_changed_after_the_first_request_as_flask(
    dispatch_app_class: type,
) -> None:
    # The dispatcher is built at the first request from the app's session
    # interface and the like; changing them later is seen by the next request,
    # as Flask reads them on every request.
    expected = _changed_after_the_first_request(flask.Flask, flask)
    assert expected == [None, "marking", None, "sid"]
    assert _changed_after_the_first_request(dispatch_app_class, microweb) == expected


def _settings_walk(app_class: type, module: t.Any) -> list[tuple[str, str]]:
    """What each response says and sets while the settings the stock cookie
    depends on change between requests (several in place)."""
    app = app_class(__name__)
    app.secret_key = "first-key"
    app.config["SECRET_KEY_FALLBACKS"] = []

    @app.route("/count")
    def count() -> str:
        module.session["n"] = module.session.get("n", 0) + 1
        return str(module.session["n"])

    @app.route("/permanent")
    def permanent() -> str:
        module.session.permanent = True
        return str(module.session.get("n"))

    @app.route("/plain")
    def plain() -> str:
        return "plain"

    client = app.test_client()
    fallbacks = app.config["SECRET_KEY_FALLBACKS"]
    every_way = ("/plain", "/count", "/permanent", "/plain")
    steps: list[tuple[t.Callable[[], object], tuple[str, ...]]] = [
        (lambda: None, every_way),
        # A new key: the cookie is read (and refused) by a request that does
        # not touch the session, then read again once the old key is a
        # fallback, added in place.
        (lambda: app.config.update(SECRET_KEY="second-key"), ("/plain",)),
        (lambda: fallbacks.append("first-key"), ("/plain", "/count")),
        (lambda: fallbacks.clear(), every_way),
        (lambda: app.config.update(PERMANENT_SESSION_LIFETIME=3600), every_way),
        (lambda: app.config.update(SESSION_REFRESH_EACH_REQUEST=False), every_way),
        (
            lambda: app.config.update(
                SESSION_REFRESH_EACH_REQUEST=True,
                SESSION_COOKIE_NAME="sid",
                SESSION_COOKIE_HTTPONLY=False,
                SESSION_COOKIE_SAMESITE="Lax",
            ),
            every_way,
        ),
        (
            lambda: setattr(
                app, "session_interface", module.sessions.SecureCookieSessionInterface()
            ),
            every_way,
        ),
        (lambda: setattr(app.session_interface, "salt", "other-salt"), every_way),
        (lambda: setattr(app.session_interface, "key_derivation", "concat"), every_way),
        (
            lambda: app.config.update(PERMANENT_SESSION_LIFETIME=timedelta(seconds=-1)),
            every_way,
        ),
    ]
    answers = []
    for step, paths in steps:
        step()
        for path in paths:
            response = client.get(path)
            answers.append(
                (response.text, ", ".join(response.headers.getlist("Set-Cookie")))
            )
    return answers


@pytest.mark.usefixtures("frozen_session_clock")
def test_settings_the_cookie_depends_on_are_read_per_request_as_flask(
    dispatch_app_class: type,
) -> None:
    # The stock interface works its cookie out once per set of settings: a
    # change to any of them, in the config (a list changed in place included)
    # or on the interface, is seen by the next request, as in Flask.
    expected = _settings_walk(flask.Flask, flask)
    counts = "".join(text for text, _ in expected if text.isdigit())
    # A fallback key read the old cookie (2); a new cookie name, another salt,
    # another key derivation, a negative lifetime each started afresh (1).
    assert counts == "112334455112211111", counts
    assert _settings_walk(dispatch_app_class, microweb) == expected


@pytest.mark.usefixtures("frozen_session_clock")
def test_an_app_class_with_its_own_session_lifetime_as_flask(
    dispatch_app_class: type,
) -> None:
    # The lifetime comes from the app, which may work it out otherwise than
    # from the config.
    headers = []
    for module, base in ((flask, flask.Flask), (microweb, dispatch_app_class)):

        class Fixed(base):  # type: ignore[misc, valid-type]
            @property
            def permanent_session_lifetime(self) -> timedelta:
                return timedelta(days=2)

        app = Fixed(__name__)
        app.secret_key = SECRET

        @app.route("/permanent")
        def permanent(module: t.Any = module) -> str:
            module.session.permanent = True
            return "permanent"

        headers.append(app.test_client().get("/permanent").headers["Set-Cookie"])
    assert "Expires=Sat, 04 Jan 2031" in headers[0]
    assert headers[1] == headers[0]


@pytest.mark.usefixtures("frozen_session_clock")
def test_an_app_class_with_its_own_secret_key_as_flask(
    dispatch_app_class: type,
) -> None:
    # The key comes from ``app.secret_key``, which a subclass may set as a plain
    # class attribute (the config then has none), and an instance may change.
    headers = []
    for module, base in ((flask, flask.Flask), (microweb, dispatch_app_class)):

        class Keyed(base):  # type: ignore[misc, valid-type]
            secret_key = "class-secret"

        app = Keyed(__name__)
        assert app.config["SECRET_KEY"] is None

        @app.route("/count")
        def count(module: t.Any = module) -> str:
            module.session["n"] = module.session.get("n", 0) + 1
            return str(module.session["n"])

        client = app.test_client()
        answers = [client.get("/count").get_data(), client.get("/count").get_data()]
        headers.append(client.get("/count").headers["Set-Cookie"])
        app.secret_key = "instance-secret"
        # Signed with the old key, the cookie no longer reads: a new session.
        answers.append(client.get("/count").get_data())
        headers.append(client.get("/count").headers["Set-Cookie"])
        assert answers == [b"1", b"2", b"1"]
    assert headers[2:] == headers[:2]


def test_apps_sharing_the_stock_interface_keep_their_own_settings() -> None:
    # The default interface is one object for every app class; each app's
    # cookie follows its own config.
    apps = []
    for key in ("key-one", "key-two"):
        app = microweb.App(__name__)
        app.secret_key = key

        @app.route("/who")
        def who() -> str:
            microweb.session["key"] = microweb.current_app.secret_key
            return str(microweb.session.get("seen", 0))

        apps.append(app)
    assert apps[0].session_interface is apps[1].session_interface
    clients = [app.test_client() for app in apps]
    for _ in range(2):
        for app, client in zip(apps, clients, strict=True):
            client.get("/who")
            serializer = app.session_interface.get_signing_serializer(app)
            cookie = client.get_cookie("session")
            assert serializer.loads(cookie.value)["key"] == app.secret_key


def test_custom_session_class_is_honoured(dispatch_app_class: type) -> None:
    class Interface(microweb.sessions.SecureCookieSessionInterface):
        class session_class(microweb.sessions.SecureCookieSession):  # noqa: N801
            pass

    app = direct_path_app(dispatch_app_class, slow=False, config={})
    app.session_interface = Interface()
    seen = []

    @app.route("/kind")
    def kind() -> str:
        seen.append(type(microweb.session._get_current_object()))  # type: ignore[attr-defined]
        return "kind"

    client = app.test_client()
    client.get("/set")
    client.get("/kind")
    assert seen == [Interface.session_class]


def test_signing_core_pinned_on_the_interface() -> None:
    from microweb import _signing_py

    app = make_app(microweb, microweb.App)
    interface = microweb.sessions.SecureCookieSessionInterface()
    interface.signing_core = _signing_py
    app.session_interface = interface
    assert interface.get_signing_serializer(app).core is _signing_py
    cookie = session_cookie(app.test_client().get("/set"))
    reader = make_app(flask, flask.Flask).test_client()
    reader.set_cookie("session", cookie)
    assert reader.get("/get").json["user"] == "ada"


@pytest.mark.usefixtures("frozen_session_clock")
@pytest.mark.parametrize("sort_keys", [True, False])
@pytest.mark.parametrize("ensure_ascii", [True, False])
@pytest.mark.parametrize(
    "data",
    [{"zeta": "\xe9t\xe9", "alpha": 1, "none": None}, {"zeta": [1, "\xe9"], "a": 2.5}],
    ids=["flat", "nested"],
)
def test_cookie_json_follows_the_apps_json_settings(
    sort_keys: bool, ensure_ascii: bool, data: dict[str, t.Any]
) -> None:
    # Flask serializes the session with the app's JSON provider: its key order
    # and escaping are in the cookie, which must be the same bytes here.
    cookies = []
    for module, app_class in ((flask, flask.Flask), (microweb, microweb.App)):
        app = app_class(__name__)
        app.secret_key = SECRET
        app.json.sort_keys = sort_keys
        app.json.ensure_ascii = ensure_ascii

        @app.route("/")
        def fill(module: t.Any = module) -> str:
            module.session.update(data)
            return "filled"

        cookies.append(session_cookie(app.test_client().get("/")))
    assert cookies[0] == cookies[1]


def test_cookie_attributes_follow_the_config_and_the_getters() -> None:
    # The stock interface reads the cookie's attributes from the config on every
    # response; a subclass's getters are asked instead.
    class Scoped(microweb.sessions.SecureCookieSessionInterface):
        def get_cookie_domain(self, app: t.Any) -> str:
            return "example.org"

        def get_cookie_path(self, app: t.Any) -> str:
            return "/scoped"

    app = make_app(microweb, microweb.App)
    client = app.test_client()
    first = client.get("/permanent").headers["Set-Cookie"]
    assert first.endswith("Path=/") and "Domain" not in first
    app.config.update(SESSION_COOKIE_PATH="/app", SESSION_COOKIE_SAMESITE="Lax")
    second = client.get("/permanent").headers["Set-Cookie"]
    assert "Path=/app" in second and "SameSite=Lax" in second, second
    app.session_interface = Scoped()
    third = client.get("/permanent").headers["Set-Cookie"]
    assert "Domain=example.org" in third and "Path=/scoped" in third


def test_session_proxy_outside_a_request() -> None:
    app = microweb.App(__name__)
    app.secret_key = SECRET
    for use in (
        lambda: microweb.session["user"],
        lambda: microweb.session.get("user"),
        lambda: microweb.session.__setitem__("user", "ada"),
    ):
        with pytest.raises(RuntimeError, match="outside of request context"):
            use()
        with (
            app.app_context(),
            pytest.raises(RuntimeError, match="outside of request context"),
        ):
            use()


def test_session_marks_itself_modified() -> None:
    session = microweb.sessions.SecureCookieSession({"a": 1})
    assert not session.modified
    session["b"] = 2
    assert session.modified and session == {"a": 1, "b": 2}
    calls = []
    session = microweb.sessions.SecureCookieSession()
    session.on_update = calls.append
    session["c"] = 3
    assert calls == [session] and not session.modified


# ------------------------------------------------------------ the cookie's parts

cookie_tokens = st.sampled_from(
    ["session", "sid", "a", "=", ";", " ", "; ", '"', "\\", ",", "\t", "\xe9", "\x00"]
    + ["x=1", "abc", "-_.", "%20"]
)
cookie_headers = st.lists(cookie_tokens, max_size=16).map("".join)
cookie_names = st.sampled_from(["session", "sid", "a", "", "s=1", "\xe9", "a b", "x;"])


@settings(max_examples=400, deadline=None)
@given(header=st.none() | cookie_headers, name=cookie_names)
def test_cookie_value_is_parse_cookie(header: str | None, name: str) -> None:
    # The dispatch core reads the session cookie from the header in place; the
    # answer is werkzeug's (this installed version's) parse_cookie.
    expected = parse_cookie(header).get(name)
    for core in importable_cores("dispatch"):
        assert core.cookie_value(header, name) == expected, core.__name__


cookie_values = st.text(
    string.ascii_letters + string.digits + "-_.", min_size=0, max_size=40
)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(["session", "sid", "s\xe9ance", "a b"]),
    path=st.sampled_from([None, "/", "/app", "/a b;c", "/\xe9"]),
    domain=st.sampled_from(
        [None, "", "example.org", ".example.org:8080", "b\xfccher.de"]
    ),
    secure=st.booleans(),
    httponly=st.booleans(),
    samesite=st.sampled_from([None, "Lax", "strict", "None"]),
    partitioned=st.booleans(),
    max_size=st.sampled_from([0, 60, 4093]),
    value=cookie_values,
    expires=st.none()
    | st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(9000, 1, 1),
        timezones=st.just(timezone.utc),
    ),
)
def test_set_cookie_is_dump_cookie(
    name: str,
    path: str | None,
    domain: str | None,
    secure: bool,
    httponly: bool,
    samesite: str | None,
    partitioned: bool,
    max_size: int,
    value: str,
    expires: datetime | None,
) -> None:
    # The session's Set-Cookie is laid out ahead per set of attributes; it must
    # be werkzeug's dump_cookie, byte for byte, warning included.
    app = microweb.App(__name__)
    app.config.update(
        SESSION_COOKIE_NAME=name,
        SESSION_COOKIE_PATH=path,
        SESSION_COOKIE_DOMAIN=domain,
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_HTTPONLY=httponly,
        SESSION_COOKIE_SAMESITE=samesite,
        SESSION_COOKIE_PARTITIONED=partitioned,
        MAX_COOKIE_SIZE=max_size,
    )
    interface = app.session_interface
    outcomes = []
    for make in (
        lambda: interface._set_cookie(app, value, expires)[1],
        lambda: dump_cookie(
            name,
            value,
            expires=expires,
            path=path or app.config["APPLICATION_ROOT"],
            domain=domain or None,
            secure=secure,
            httponly=httponly,
            max_size=max_size,
            samesite=samesite,
            partitioned=partitioned,
        ),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcomes.append((make(), [str(w.message) for w in caught]))
    assert outcomes[0] == outcomes[1]


session_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=8),
    st.binary(max_size=8),
    st.uuids(),
    st.datetimes(
        min_value=datetime(1970, 1, 1),
        max_value=datetime(9999, 1, 1),
        timezones=st.just(timezone.utc),
    ).map(lambda moment: moment.replace(microsecond=0)),
    st.text(max_size=8).map(Markup),
)
session_keys = st.sampled_from([" t", " di", " b", "user", "a", "\xe9"]) | st.text(
    max_size=4
)
session_values = st.recursive(
    session_scalars,
    lambda children: (
        st.lists(children, max_size=3)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(session_keys, children, max_size=3)
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(session_keys, session_values, max_size=4))
def test_tagged_json_is_flasks(data: dict[str, t.Any]) -> None:
    # The session serializer's shortcuts (flat objects, the app's encoder made
    # once) give Flask's text, and read it back as Flask does.
    flask_app = flask.Flask(__name__)
    app = microweb.App(__name__)
    with flask_app.app_context():
        expected = flask.sessions.session_json_serializer.dumps(data)
        flask_loaded = flask.sessions.session_json_serializer.loads(expected)
    with app.app_context():
        text = microweb.sessions.session_json_serializer.dumps(data)
        loaded = microweb.sessions.session_json_serializer.loads(text)
    assert text == expected
    assert repr(loaded) == repr(flask_loaded)
