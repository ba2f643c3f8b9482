"""WebSocket rules: ``websocket=True`` matches WebSocket handshakes, and only them.

A request is a WebSocket handshake when it sends ``Upgrade: websocket`` and
``upgrade`` among its ``Connection`` tokens. It matches WebSocket rules only, and an
HTTP request matches HTTP rules only; a request whose path and method match only
rules of the other kind is answered 400. Each test runs on Flask (the reference),
then on microweb's compiled cores (``NativeApp``), then on its pure ones
(``PureApp``). The last test serves Flask-Sock, the extension that registers such
rules, over a real socket.
"""

from __future__ import annotations

import threading
import typing as t

import flask
import pytest
from conftest import fetch, pinned_app_class

import microweb
from microweb.route_report import find_shadowed_rules

HANDSHAKE = {
    "Upgrade": "websocket",
    "Connection": "keep-alive, Upgrade",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version": "13",
}


class Flavour(t.NamedTuple):
    """An app class and the names of its framework."""

    app_class: type
    request: t.Any
    url_for: t.Any


@pytest.fixture(params=["flask", "c", "py"])
def flavour(request: pytest.FixtureRequest) -> Flavour:
    """Flask, then microweb on its compiled cores, then on its pure ones."""
    if request.param == "flask":
        return Flavour(flask.Flask, flask.request, flask.url_for)
    return Flavour(pinned_app_class(request.param), microweb.request, microweb.url_for)


def chat_app(flavour: Flavour) -> t.Any:
    """An app with WebSocket rules beside HTTP ones; each view says which it is."""
    app = flavour.app_class(__name__)
    request = flavour.request

    @app.route("/chat", websocket=True)
    def chat() -> str:
        return f"socket at {request.path}"

    @app.route("/room/<int:number>", websocket=True)
    def room(number: int) -> str:
        return f"socket in room {number!r}"

    @app.route("/page")
    def page() -> str:
        return "page"

    @app.route("/both", methods=["GET", "POST"])
    def both_http() -> str:
        return f"http {request.method}"

    @app.route("/both", websocket=True)
    def both_socket() -> str:
        return "socket"

    return app


def test_a_handshake_reaches_websocket_rules(flavour: Flavour) -> None:
    client = chat_app(flavour).test_client()
    response = fetch(client, "/chat", headers=HANDSHAKE)
    assert (response.status_code, response.text) == (200, "socket at /chat")
    response = fetch(client, "/room/7", headers=HANDSHAKE)
    assert (response.status_code, response.text) == (200, "socket in room 7")


def test_an_http_request_to_a_websocket_rule_is_a_bad_request(
    flavour: Flavour,
) -> None:
    client = chat_app(flavour).test_client()
    for path in ("/chat", "/room/7"):
        response = fetch(client, path)
        assert response.status_code == 400
        assert "Bad Request" in response.text
    # OPTIONS is one of the rule's methods: the kind of request still differs.
    assert fetch(client, "/chat", "OPTIONS").status_code == 400


def test_a_handshake_to_an_http_rule_is_a_bad_request(flavour: Flavour) -> None:
    client = chat_app(flavour).test_client()
    response = fetch(client, "/page", headers=HANDSHAKE)
    assert response.status_code == 400
    assert "Bad Request" in response.text


def test_a_method_no_rule_takes_is_still_a_405(flavour: Flavour) -> None:
    client = chat_app(flavour).test_client()
    for headers in ({}, HANDSHAKE):
        response = fetch(client, "/chat", "POST", headers=headers)
        assert response.status_code == 405
        assert sorted(response.allow) == ["GET", "HEAD", "OPTIONS"]


def test_one_path_serves_both_kinds(flavour: Flavour) -> None:
    client = chat_app(flavour).test_client()
    assert fetch(client, "/both").text == "http GET"
    assert fetch(client, "/both", "POST").text == "http POST"
    assert fetch(client, "/both", headers=HANDSHAKE).text == "socket"
    # The HTTP rule takes POST but not the handshake; the WebSocket rule refuses
    # POST, and a refused method comes first.
    response = fetch(client, "/both", "POST", headers=HANDSHAKE)
    assert response.status_code == 405
    assert sorted(response.allow) == ["GET", "HEAD", "OPTIONS"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Upgrade": "h2c", "Connection": "Upgrade"},
        {"Upgrade": "websocket", "Connection": "keep-alive"},
        {"Upgrade": "websocket"},
        {"Connection": "Upgrade"},
        {"Upgrade": "", "Connection": ""},
    ],
    ids=["other-protocol", "no-upgrade-token", "no-connection", "no-upgrade", "empty"],
)
def test_anything_short_of_a_handshake_is_http(
    flavour: Flavour, headers: dict[str, str]
) -> None:
    client = chat_app(flavour).test_client()
    assert fetch(client, "/page", headers=headers).text == "page"
    assert fetch(client, "/chat", headers=headers).status_code == 400


def test_the_handshake_headers_are_read_case_blind(flavour: Flavour) -> None:
    client = chat_app(flavour).test_client()
    headers = {"Upgrade": "WebSocket", "Connection": "UPGRADE"}
    assert fetch(client, "/chat", headers=headers).text == "socket at /chat"


def test_url_for_builds_ws_urls(flavour: Flavour) -> None:
    app = chat_app(flavour)
    url_for = flavour.url_for
    with app.test_request_context("/page"):
        assert url_for("chat") == "ws://localhost/chat"
        assert url_for("room", number=3) == "ws://localhost/room/3"
        assert url_for("page") == "/page"
        assert url_for("chat", _scheme="https", _external=True) == (
            "wss://localhost/chat"
        )
    with app.test_request_context("/page", base_url="https://example.org"):
        assert url_for("chat") == "wss://example.org/chat"
    # Inside the handshake, HTTP rules still build http URLs.
    with app.test_request_context("/chat", headers=HANDSHAKE):
        assert url_for("page", _external=True) == "http://localhost/page"
        assert url_for("chat") == "ws://localhost/chat"


def test_a_websocket_rule_takes_only_get_head_and_options(flavour: Flavour) -> None:
    app = flavour.app_class(__name__)
    with pytest.raises(ValueError, match="WebSocket"):
        app.add_url_rule("/chat", "chat", lambda: "", websocket=True, methods=["POST"])
    app.add_url_rule("/chat", "chat", lambda: "", websocket=True, methods=["GET"])


def test_shadowing_counts_only_rules_of_the_same_kind(dispatch_app_class: type) -> None:
    app = dispatch_app_class(__name__)
    app.add_url_rule("/chat", "page", lambda: "page")
    app.add_url_rule("/chat", "chat", lambda: "socket", websocket=True)
    with pytest.raises(microweb.routing.ShadowedRuleError):
        app.add_url_rule("/chat", "again", lambda: "again", websocket=True)
    assert find_shadowed_rules(app) == []


def test_flask_sock_serves_a_websocket(flavour: Flavour) -> None:
    """Flask-Sock's echo, over a real socket, served by Werkzeug's server."""
    flask_sock = pytest.importorskip("flask_sock")
    simple_websocket = pytest.importorskip("simple_websocket")
    from werkzeug.serving import make_server

    app = flavour.app_class(__name__)
    if flavour.app_class is not flask.Flask:
        # Flask-Sock reads flask.request and flask.current_app.
        app.flask_contexts = True
    sock = flask_sock.Sock(app)

    @sock.route("/echo/<name>")
    def echo(ws: t.Any, name: str) -> None:
        while (text := ws.receive()) != "bye":
            ws.send(f"{name}: {text}")

    @app.route("/echo/<name>")
    def page(name: str) -> str:
        return f"the page of {name}"

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client = simple_websocket.Client.connect(
            f"ws://127.0.0.1:{server.server_port}/echo/ann"
        )
        try:
            client.send("hello")
            assert client.receive(timeout=10) == "ann: hello"
            client.send("again")
            assert client.receive(timeout=10) == "ann: again"
            client.send("bye")
        finally:
            client.close()
        http = app.test_client()
        assert fetch(http, "/echo/ann").text == "the page of ann"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
