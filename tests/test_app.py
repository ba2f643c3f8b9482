"""Behaviour of the app slice: routes, return values, hooks, errors, contexts.

Every test runs twice: on Flask (the reference; a failure there means the test is
wrong) and on microweb (a failure there is a microweb bug). ``fw`` is the framework's
namespace (``fw.Flask`` is ``flask.Flask`` or ``microweb.App``); the ``app`` and
``client`` fixtures of conftest.py build on it, with ``app.wsgi_app`` behind
``wsgiref.validate.validator``.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import gc
import importlib
import io
import typing as t
import uuid
import weakref

import pytest
from conftest import (
    both_frameworks,
    fetch,
    flask_framework,
    microweb_framework,
    pinned_app_class,
    wrap_in_validator,
)
from werkzeug.exceptions import (
    Aborter,
    BadRequest,
    BadRequestKeyError,
    Conflict,
    Forbidden,
    HTTPException,
    InternalServerError,
    NotFound,
)
from werkzeug.routing import BuildError

#: Flask, then microweb: each test states the behaviour once for both.
fw = both_frameworks("Blueprint")


def add(app: t.Any, rule: str, view: t.Callable[..., t.Any], **options: t.Any) -> None:
    """Add a route whose endpoint is its rule (lambdas would share ``<lambda>``)."""
    app.add_url_rule(rule, rule, view, **options)


def new_app(fw: t.Any, **config: t.Any) -> t.Any:
    """A second app in the same test, like the fixture's, with extra config."""
    app = fw.Flask(__name__)
    app.testing = True
    app.config.update(config)
    return wrap_in_validator(app)


# -- return values -------------------------------------------------------------


def test_str_return(app: t.Any, client: t.Any) -> None:
    add(app, "/", lambda: "h\u00e9llo")
    response = fetch(client)
    assert response.status == "200 OK"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Length"] == "6"
    assert response.data == "h\u00e9llo".encode()


def test_bytes_return(app: t.Any, client: t.Any) -> None:
    add(app, "/", lambda: b"\xff\x00")
    response = fetch(client)
    assert response.data == b"\xff\x00"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def test_dict_and_list_return_json(app: t.Any, client: t.Any) -> None:
    add(app, "/d", lambda: {"b": 1, "a": [1.5, None, True], "\u00e9": "\u2603"})
    add(app, "/l", lambda: [1, "two", {"z": 0, "y": 1}])
    response = fetch(client, "/d")
    assert response.headers["Content-Type"] == "application/json"
    assert response.data == b'{"a":[1.5,null,true],"b":1,"\\u00e9":"\\u2603"}\n'
    assert response.headers["Content-Length"] == str(len(response.data))
    response = fetch(client, "/l")
    assert response.headers["Content-Type"] == "application/json"
    assert response.data == b'[1,"two",{"y":1,"z":0}]\n'


def test_none_return_is_type_error_naming_view(app: t.Any, client: t.Any) -> None:
    @app.route("/")
    def forgot_to_return() -> None:
        pass

    with pytest.raises(TypeError) as info:
        client.get("/")
    message = str(info.value)
    assert "'forgot_to_return'" in message
    assert "did not return a valid response" in message


def test_unsupported_return_type_is_type_error(app: t.Any, client: t.Any) -> None:
    app.add_url_rule("/", "number", lambda: 42)
    with pytest.raises(TypeError) as info:
        client.get("/")
    assert "int" in str(info.value)


def test_bad_tuple_length_is_type_error(app: t.Any, client: t.Any) -> None:
    app.add_url_rule("/", "four", lambda: ("a", 200, {}, "extra"))
    with pytest.raises(TypeError, match="did not return a valid response tuple"):
        client.get("/")


def test_none_body_in_tuple_is_type_error(app: t.Any, client: t.Any) -> None:
    app.add_url_rule("/", "nobody", lambda: (None, 404))
    with pytest.raises(TypeError, match="'nobody'"):
        client.get("/")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (201, "201 CREATED"),
        (299, "299 UNKNOWN"),
        ("202", "202 ACCEPTED"),
        ("202 ACCEPTED", "202 ACCEPTED"),
        ("299 Custom Thing", "299 Custom Thing"),
        (404, "404 NOT FOUND"),
    ],
)
def test_body_status_tuple(
    app: t.Any, client: t.Any, status: t.Any, expected: str
) -> None:
    add(app, "/", lambda: ("body", status))
    response = fetch(client)
    assert response.status == expected
    assert response.data == b"body"


def test_body_headers_tuple_dict_and_list(app: t.Any, client: t.Any) -> None:
    add(app, "/dict", lambda: ("d", {"X-A": "1", "Content-Type": "text/plain"}))
    add(app, "/list", lambda: ("l", [("X-A", "1"), ("X-A", "2")]))
    add(app, "/three", lambda: ({"ok": True}, 201, [("Location", "/there")]))
    response = fetch(client, "/dict")
    assert response.status_code == 200
    assert response.headers["X-A"] == "1"
    assert response.headers["Content-Type"] == "text/plain"
    response = fetch(client, "/list")
    assert response.headers.getlist("X-A") == ["1", "2"]
    response = fetch(client, "/three")
    assert response.status == "201 CREATED"
    assert response.headers["Location"] == "/there"
    assert response.json == {"ok": True}


def test_tuple_headers_extend_a_response(app: t.Any, client: t.Any, fw: t.Any) -> None:
    add(
        app,
        "/",
        lambda: (fw.Response("r", status=202, headers={"X-A": "1"}), {"X-B": "2"}),
    )
    response = fetch(client)
    assert response.status == "202 ACCEPTED"
    assert (response.headers["X-A"], response.headers["X-B"]) == ("1", "2")


def test_response_object_returned_as_is(app: t.Any, client: t.Any, fw: t.Any) -> None:
    made = fw.Response("x", status=207, mimetype="text/csv")
    add(app, "/", lambda: made)
    response = fetch(client)
    assert response.status == "207 MULTI STATUS"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data == b"x"


def test_wsgi_callable_returned(app: t.Any, client: t.Any) -> None:
    def tiny_wsgi(environ: dict[str, t.Any], start_response: t.Any) -> list[bytes]:
        start_response("203 Borrowed", [("Content-Type", "text/plain")])
        return [b"from ", environ["PATH_INFO"].encode()]

    add(app, "/w", lambda: tiny_wsgi)
    response = fetch(client, "/w")
    assert response.status == "203 Borrowed"
    assert response.data == b"from /w"


def test_generator_is_streamed(app: t.Any, client: t.Any) -> None:
    def chunks() -> t.Iterator[str]:
        yield "a"
        yield "\u00e9"
        yield ""
        yield "c"

    add(app, "/", lambda: chunks())
    response = fetch(client)
    assert response.data == "a\u00e9c".encode()
    assert "Content-Length" not in response.headers
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def test_make_response_forms(app: t.Any, fw: t.Any) -> None:
    with app.test_request_context():
        empty = fw.make_response()
        assert (empty.status_code, empty.get_data()) == (200, b"")
        text = fw.make_response("hi", 404, {"X-A": "1"})
        assert (text.status_code, text.get_data(), text.headers["X-A"]) == (
            404,
            b"hi",
            "1",
        )
        data = fw.make_response({"a": 1})
        assert (data.mimetype, data.get_json()) == ("application/json", {"a": 1})
        pair = fw.make_response(("made", 201))
        assert (pair.status_code, pair.get_data()) == (201, b"made")
        assert isinstance(text, fw.Response)
        assert isinstance(app.make_response("x"), app.response_class)


# -- JSON out ------------------------------------------------------------------


@dataclasses.dataclass
class Point:
    x: int
    y: int


def test_jsonify_forms(app: t.Any, fw: t.Any) -> None:
    with app.test_request_context():
        assert fw.jsonify().get_data() == b"null\n"
        assert fw.jsonify(1, 2).get_data() == b"[1,2]\n"
        assert fw.jsonify("x").get_data() == b'"x"\n'
        assert fw.jsonify(b=1, a=2).get_data() == b'{"a":2,"b":1}\n'
        assert fw.jsonify([]).get_data() == b"[]\n"
        with pytest.raises(TypeError):
            fw.jsonify({"a": 1}, b=2)


def test_jsonify_default_types(app: t.Any, fw: t.Any) -> None:
    value = {
        "when": datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
        "day": datetime.date(2024, 5, 6),
        "id": uuid.UUID(int=1),
        "amount": decimal.Decimal("1.10"),
        "point": Point(1, 2),
    }
    with app.test_request_context():
        assert fw.jsonify(value).get_json() == {
            "when": "Mon, 06 May 2024 07:08:09 GMT",
            "day": "Mon, 06 May 2024 00:00:00 GMT",
            "id": "00000000-0000-0000-0000-000000000001",
            "amount": "1.10",
            "point": {"x": 1, "y": 2},
        }
        with pytest.raises(TypeError):
            fw.jsonify(object())


def test_jsonify_pretty_in_debug(app: t.Any, fw: t.Any) -> None:
    app.debug = True
    with app.test_request_context():
        assert fw.jsonify(a=[1]).get_data() == b'{\n  "a": [\n    1\n  ]\n}\n'


def json_module(fw: t.Any) -> t.Any:
    """``flask.json`` or ``microweb.json``."""
    return importlib.import_module(f"{fw.name}.json")


def test_json_dump_and_load_files_outside_an_app(fw: t.Any) -> None:
    module = json_module(fw)
    value = {"b": [1, 2], "a": datetime.date(2026, 1, 2)}
    out = io.StringIO()
    module.dump(value, out)
    assert out.getvalue() == '{"b": [1, 2], "a": "Fri, 02 Jan 2026 00:00:00 GMT"}'
    assert module.load(io.StringIO('{"x": [1]}')) == {"x": [1]}
    assert module.load(io.BytesIO('{"\u00e9": 1}'.encode())) == {"\u00e9": 1}


def test_json_dump_and_load_files_with_the_app_provider(fw: t.Any) -> None:
    module = json_module(fw)
    app = fw.Flask(__name__)
    out = io.StringIO()
    with app.app_context():
        module.dump({"b": 1, "a": "\u00e9"}, out)
        assert module.load(io.BytesIO(b'{"n": 2}')) == {"n": 2}
    # The provider's settings: sorted keys, ASCII.
    assert out.getvalue() == '{"a": "\\u00e9", "b": 1}'
    out = io.StringIO()
    app.json.dump({"b": 1, "a": 2}, out, indent=1)
    assert out.getvalue() == '{\n "a": 2,\n "b": 1\n}'
    assert app.json.load(io.StringIO("[1, 2]")) == [1, 2]


# -- JSON and forms in ---------------------------------------------------------


@pytest.fixture
def json_app(app: t.Any, fw: t.Any) -> t.Any:
    @app.route("/json", methods=["POST", "GET"])
    def read_json() -> t.Any:
        return {"got": fw.request.get_json()}

    @app.route("/property", methods=["POST"])
    def read_property() -> t.Any:
        return {"got": fw.request.json}

    @app.route("/silent", methods=["POST"])
    def read_silent() -> t.Any:
        return {"got": fw.request.get_json(silent=True)}

    @app.route("/force", methods=["POST"])
    def read_force() -> t.Any:
        return {"got": fw.request.get_json(force=True)}

    @app.route("/form", methods=["POST"])
    def read_form() -> t.Any:
        return {"name": fw.request.form["name"]}

    return app


@pytest.mark.parametrize(
    ("path", "kwargs", "status", "got"),
    [
        ("/json", {"json": {"a": [1]}}, 200, {"a": [1]}),
        ("/json", {"data": "{bad", "content_type": "application/json"}, 400, None),
        ("/json", {"data": "", "content_type": "application/json"}, 400, None),
        ("/json", {"data": b"\xff\xfe", "content_type": "application/json"}, 400, None),
        ("/json", {"data": "[1, 2", "content_type": "application/json"}, 400, None),
        ("/json", {"data": "NaN", "content_type": "application/json"}, 200, None),
        ("/json", {"data": '{"a": 1}', "content_type": "text/plain"}, 415, None),
        ("/json", {"data": {"a": "1"}}, 415, None),
        ("/json", {}, 415, None),
        ("/property", {"json": 5}, 200, 5),
        ("/property", {"data": "{", "content_type": "application/json"}, 400, None),
        ("/property", {"data": "x", "content_type": "text/xml"}, 415, None),
        ("/silent", {"data": "{", "content_type": "application/json"}, 200, None),
        ("/silent", {"data": "[]", "content_type": "text/plain"}, 200, None),
        ("/force", {"data": "[3]", "content_type": "text/plain"}, 200, [3]),
        ("/force", {"data": "[3", "content_type": "text/plain"}, 400, None),
        ("/form", {"data": {"name": "n\u00e9"}}, 200, None),
        ("/form", {"data": {"other": "x"}}, 400, None),
    ],
)
def test_request_json_and_form(
    json_app: t.Any, client: t.Any, path: str, kwargs: t.Any, status: int, got: t.Any
) -> None:
    response = fetch(client, path, "POST", **kwargs)
    assert response.status_code == status
    if status == 200 and path != "/form" and kwargs.get("data") != "NaN":
        assert response.json == {"got": got}
    if status in (400, 415):
        assert response.headers["Content-Type"] == "text/html; charset=utf-8"


def test_form_key_error_is_bad_request_key_error(json_app: t.Any, fw: t.Any) -> None:
    with json_app.test_request_context("/form", method="POST", data={"x": "1"}):
        with pytest.raises(BadRequestKeyError):
            fw.request.form["name"]


def debug_files_key_error(fw: t.Any) -> type:
    home = "flask.debughelpers" if fw.name == "flask" else "microweb.debughelpers"
    return importlib.import_module(home).DebugFilesKeyError  # type: ignore[no-any-return]


def upload_body(kind: str) -> dict[str, t.Any]:
    """Test-client arguments for a POST body of the *kind* named in the test ids."""
    if kind == "urlencoded, key in the form":
        return {"data": {"doc": "notes.txt", "n": "1"}}
    if kind == "urlencoded, key not in the form":
        return {"data": {"other": "x"}}
    if kind == "multipart without the file":
        return {
            "data": {"n": "1", "f": (io.BytesIO(b"x"), "f.txt")},
            "content_type": "multipart/form-data",
        }
    return {"json": {"doc": "notes.txt"}}


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "body",
    [
        "urlencoded, key in the form",
        "urlencoded, key not in the form",
        "multipart without the file",
        "JSON",
    ],
)
def test_missing_upload_explained_in_debug_mode(
    app: t.Any, fw: t.Any, debug: bool, body: str
) -> None:
    """In debug mode, a file asked for that came as a plain form field (the form
    lacked ``enctype="multipart/form-data"``) raises an error saying so, which the
    debugger shows; otherwise, and for any other missing file, it is a 400."""
    app.debug = debug
    explained = debug and body == "urlencoded, key in the form"
    with app.test_request_context("/", method="POST", **upload_body(body)):
        with pytest.raises(KeyError) as caught:
            fw.request.files["doc"]
        assert isinstance(caught.value, debug_files_key_error(fw)) is explained
        assert isinstance(caught.value, BadRequestKeyError) is not explained
        if explained:
            assert isinstance(caught.value, AssertionError)
            message = str(caught.value)
            for part in ("'doc'", "application/x-www-form-urlencoded", "notes.txt"):
                assert part in message
            assert 'enctype="multipart/form-data"' in message
        # The form and the other files are all there.
        if body == "multipart without the file":
            assert fw.request.form.to_dict() == {"n": "1"}
            assert list(fw.request.files) == ["f"]
        else:
            assert fw.request.form.to_dict() == upload_body(body).get("data", {})
            assert not fw.request.files


@pytest.mark.parametrize("debug", [False, True])
def test_missing_upload_served(app: t.Any, fw: t.Any, debug: bool) -> None:
    @app.post("/upload")
    def upload() -> t.Any:
        return fw.request.files["doc"].filename

    app.debug = debug
    app.testing = False
    client = app.test_client()
    named_only = {"doc": "notes.txt"}
    if debug:
        with pytest.raises(debug_files_key_error(fw)):
            fetch(client, "/upload", "POST", data=named_only)
    else:
        assert fetch(client, "/upload", "POST", data=named_only).status_code == 400
    uploaded = {"doc": (io.BytesIO(b"text"), "notes.txt")}
    assert fetch(client, "/upload", "POST", data=uploaded).text == "notes.txt"


def test_hook_registries_read_a_missing_name_as_empty(app: t.Any, fw: t.Any) -> None:
    for registry in (
        app.before_request_funcs,
        app.after_request_funcs,
        app.teardown_request_funcs,
        app.url_value_preprocessors,
        app.url_default_functions,
        app.template_context_processors,
    ):
        assert registry["unregistered"] == []
    assert app.error_handler_spec["unregistered"][404] == {}
    # Added straight to a registry before the first request, as extensions do.
    app.after_request_funcs[None].append(lambda response: fw.make_response("after"))
    app.add_url_rule("/", "index", lambda: "view")
    assert fetch(app.test_client(), "/").get_data() == b"after"


def test_client_builds_a_request_from_open_arguments(client: t.Any) -> None:
    # Flask's private helper, which Flask-SocketIO's test client calls to share
    # the HTTP client's environ and cookies.
    client.set_cookie("name", "value")
    request = client._request_from_builder_args(
        (), {"path": "/socket?x=1", "headers": {"X-A": "b"}}
    )
    environ = dict(request.environ)
    client._add_cookies_to_wsgi(environ)
    assert (request.path, request.args.to_dict()) == ("/socket", {"x": "1"})
    assert (request.remote_addr, request.headers["X-A"]) == ("127.0.0.1", "b")
    assert request.user_agent.string.startswith("Werkzeug/")
    assert environ["HTTP_COOKIE"] == "name=value"


def test_request_args_and_values(app: t.Any, client: t.Any, fw: t.Any) -> None:
    @app.route("/", methods=["POST"])
    def view() -> t.Any:
        request = fw.request
        return {
            "args": request.args.getlist("a"),
            "typed": request.args.get("n", type=int),
            "bad": request.args.get("m", -1, type=int),
            "form": request.form.get("f"),
            "values": request.values.getlist("a"),
            "path": request.path,
            "full_path": request.full_path,
            "query": request.query_string.decode(),
            "method": request.method,
        }

    response = fetch(
        client, "/?a=1&a=%C3%A9&n=5&m=x", "POST", data={"f": "v", "a": "3"}
    )
    assert response.json == {
        "args": ["1", "\u00e9"],
        "typed": 5,
        "bad": -1,
        "form": "v",
        "values": ["1", "\u00e9", "3"],
        "path": "/",
        "full_path": "/?a=1&a=%C3%A9&n=5&m=x",
        "query": "a=1&a=%C3%A9&n=5&m=x",
        "method": "POST",
    }


# -- hooks ---------------------------------------------------------------------


@pytest.fixture
def hook_log(app: t.Any, fw: t.Any) -> list[str]:
    log: list[str] = []

    @app.before_request
    def before_one() -> None:
        log.append("before1")

    @app.before_request
    def before_two() -> t.Any:
        log.append("before2")
        if fw.request.args.get("stop"):
            return "stopped", 299
        return None

    @app.after_request
    def after_one(response: t.Any) -> t.Any:
        log.append("after1")
        response.headers["X-Order"] = response.headers.get("X-Order", "") + "1"
        return response

    @app.after_request
    def after_two(response: t.Any) -> t.Any:
        log.append("after2")
        response.headers["X-Order"] = response.headers.get("X-Order", "") + "2"
        return response

    @app.teardown_request
    def teardown_one(exc: BaseException | None) -> None:
        log.append(f"teardown1:{type(exc).__name__}")

    @app.teardown_request
    def teardown_two(exc: BaseException | None) -> None:
        log.append(f"teardown2:{type(exc).__name__}")

    @app.teardown_appcontext
    def teardown_app(exc: BaseException | None) -> None:
        log.append(f"appcontext:{type(exc).__name__}")

    @app.route("/")
    def view() -> str:
        log.append("view")
        return "ok"

    @app.route("/fail")
    def fail() -> str:
        log.append("view")
        raise KeyError("fail")

    return log


def test_hook_order(hook_log: list[str], client: t.Any) -> None:
    response = fetch(client)
    assert response.headers["X-Order"] == "21"
    assert hook_log == [
        "before1",
        "before2",
        "view",
        "after2",
        "after1",
        "teardown2:NoneType",
        "teardown1:NoneType",
        "appcontext:NoneType",
    ]


def test_before_request_short_circuits(hook_log: list[str], client: t.Any) -> None:
    response = fetch(client, "/?stop=1")
    assert response.status == "299 UNKNOWN"
    assert response.data == b"stopped"
    assert response.headers["X-Order"] == "21"
    assert "view" not in hook_log
    assert hook_log[:4] == ["before1", "before2", "after2", "after1"]


def test_before_request_runs_before_routing_errors(
    hook_log: list[str], client: t.Any
) -> None:
    assert fetch(client, "/missing?stop=1").status_code == 299
    assert fetch(client, "/missing").status_code == 404
    assert fetch(client, "/", "POST").status_code == 405
    assert hook_log.count("after1") == 3


def test_teardown_gets_exception(hook_log: list[str], client: t.Any) -> None:
    with pytest.raises(KeyError):
        client.get("/fail")
    assert hook_log == [
        "before1",
        "before2",
        "view",
        "teardown2:KeyError",
        "teardown1:KeyError",
        "appcontext:KeyError",
    ]


def test_teardown_after_500_without_propagation(
    hook_log: list[str], app: t.Any, client: t.Any
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = fetch(client, "/fail")
    assert response.status_code == 500
    # Flask runs after_request on the 500 response, and teardown sees the error.
    assert hook_log == [
        "before1",
        "before2",
        "view",
        "after2",
        "after1",
        "teardown2:KeyError",
        "teardown1:KeyError",
        "appcontext:KeyError",
    ]


def test_teardown_after_handled_error_gets_none(
    hook_log: list[str], app: t.Any, client: t.Any
) -> None:
    app.register_error_handler(KeyError, lambda e: ("handled", 409))
    response = fetch(client, "/fail")
    assert (response.status_code, response.data) == (409, b"handled")
    assert hook_log[-3:] == [
        "teardown2:NoneType",
        "teardown1:NoneType",
        "appcontext:NoneType",
    ]


def test_after_request_can_replace_response(
    app: t.Any, client: t.Any, fw: t.Any
) -> None:
    add(app, "/", lambda: "original")
    app.after_request(lambda response: fw.Response("replaced", 201))
    response = fetch(client)
    assert (response.status_code, response.data) == (201, b"replaced")


def test_after_this_request(app: t.Any, client: t.Any, fw: t.Any) -> None:
    order: list[str] = []

    @app.after_request
    def app_after(response: t.Any) -> t.Any:
        order.append("app")
        return response

    @app.route("/")
    def view() -> str:
        @fw.after_this_request
        def first(response: t.Any) -> t.Any:
            order.append("first")
            response.headers["X-First"] = "1"
            return response

        @fw.after_this_request
        def second(response: t.Any) -> t.Any:
            order.append("second")
            return response

        return "v"

    response = fetch(client)
    assert response.headers["X-First"] == "1"
    assert order == ["first", "second", "app"]
    fetch(client)
    assert order == ["first", "second", "app"] * 2


def test_after_this_request_outside_request(fw: t.Any) -> None:
    with pytest.raises(RuntimeError):
        fw.after_this_request(lambda response: response)


def test_url_value_preprocessor_sees_view_args(
    app: t.Any, client: t.Any, fw: t.Any
) -> None:
    seen: list[t.Any] = []

    @app.url_value_preprocessor
    def pull(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        seen.append((endpoint, dict(values) if values is not None else None))
        if values:
            fw.g.lang = values.pop("lang", None)

    @app.url_defaults
    def push(endpoint: str, values: dict[str, t.Any]) -> None:
        if "lang" not in values and app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = fw.g.get("lang", "en")

    @app.route("/<lang>/page/<int:n>")
    def page(n: int) -> t.Any:
        return {
            "n": n,
            "lang": fw.g.lang,
            "view_args": fw.request.view_args,
            "next": fw.url_for("page", n=n + 1),
            "other": fw.url_for("page", n=1, lang="de"),
        }

    response = fetch(client, "/fr/page/3")
    assert response.json == {
        "n": 3,
        "lang": "fr",
        "view_args": {"n": 3},
        "next": "/fr/page/4",
        "other": "/de/page/1",
    }
    fetch(client, "/nowhere")
    assert seen == [("page", {"lang": "fr", "n": 3}), (None, None)]


# -- error handlers ------------------------------------------------------------


class BaseAppError(Exception):
    pass


class SpecificError(BaseAppError):
    pass


class MoreSpecificError(SpecificError):
    pass


def test_errorhandler_most_specific_class_wins(app: t.Any, client: t.Any) -> None:
    app.register_error_handler(BaseAppError, lambda e: ("base", 500))
    app.register_error_handler(SpecificError, lambda e: ("specific", 500))
    errors = {
        "base": BaseAppError,
        "specific": SpecificError,
        "more": MoreSpecificError,
    }
    for name, error in errors.items():

        def view(error: type[Exception] = error) -> t.NoReturn:
            raise error()

        app.add_url_rule("/" + name, name, view)
    assert fetch(client, "/base").data == b"base"
    assert fetch(client, "/specific").data == b"specific"
    assert fetch(client, "/more").data == b"specific"


def test_errorhandler_code_and_class_are_one_key(
    app: t.Any, client: t.Any, fw: t.Any
) -> None:
    @app.errorhandler(404)
    def by_code(error: t.Any) -> t.Any:
        return "by code", 404

    @app.errorhandler(NotFound)
    def by_class(error: t.Any) -> t.Any:
        return "by class", 404

    assert fetch(client, "/missing").data == b"by class"


def test_code_handler_beats_http_exception_handler(
    app: t.Any, client: t.Any, fw: t.Any
) -> None:
    app.register_error_handler(HTTPException, lambda e: (f"generic {e.code}", e.code))
    app.register_error_handler(403, lambda e: ("forbidden handler", 403))
    add(app, "/forbidden", lambda: fw.abort(403))
    add(app, "/teapot", lambda: fw.abort(418))
    assert fetch(client, "/forbidden").data == b"forbidden handler"
    assert fetch(client, "/teapot").data == b"generic 418"
    response = fetch(client, "/missing")
    assert (response.status_code, response.data) == (404, b"generic 404")
    response = fetch(client, "/forbidden", "POST")
    assert (response.status_code, response.data) == (405, b"generic 405")


def test_exception_handler_catches_http_exceptions(app: t.Any, client: t.Any) -> None:
    app.register_error_handler(Exception, lambda e: (f"caught {type(e).__name__}", 500))
    response = fetch(client, "/missing")
    assert (response.status_code, response.data) == (500, b"caught NotFound")


def test_handler_receives_the_http_exception(
    app: t.Any, client: t.Any, fw: t.Any
) -> None:
    @app.errorhandler(403)
    def forbidden(error: t.Any) -> t.Any:
        assert isinstance(error, Forbidden)
        return {
            "code": error.code,
            "name": error.name,
            "description": error.description,
        }, 403

    add(app, "/", lambda: fw.abort(403, "No entry."))
    assert fetch(client).json == {
        "code": 403,
        "name": "Forbidden",
        "description": "No entry.",
    }


def test_500_handler_for_unhandled_error(app: t.Any, client: t.Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.errorhandler(500)
    def internal(error: t.Any) -> t.Any:
        assert isinstance(error, InternalServerError)
        return f"original: {type(error.original_exception).__name__}", 500

    add(app, "/", lambda: 1 / 0)
    response = fetch(client)
    assert (response.status_code, response.data) == (
        500,
        b"original: ZeroDivisionError",
    )


def test_default_500_page(app: t.Any, client: t.Any) -> None:
    app.testing = False
    add(app, "/", lambda: 1 / 0)
    response = fetch(client)
    assert response.status == "500 INTERNAL SERVER ERROR"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"<title>500 Internal Server Error</title>" in response.data


def test_http_exception_default_pages(app: t.Any, client: t.Any, fw: t.Any) -> None:
    add(app, "/gone", lambda: fw.abort(410))
    add(app, "/only-get", lambda: fw.abort(405, valid_methods=["GET", "PUT"]))
    response = fetch(client, "/gone")
    assert response.status == "410 GONE"
    assert b"<h1>Gone</h1>" in response.data
    response = fetch(client, "/only-get")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, PUT"


def test_abort_with_response(app: t.Any, client: t.Any, fw: t.Any) -> None:
    add(app, "/", lambda: fw.abort(fw.Response("custom", 418, {"X-A": "1"})))
    response = fetch(client)
    assert (response.status, response.data) == ("418 I'M A TEAPOT", b"custom")
    assert response.headers["X-A"] == "1"


def test_abort_unknown_code(app: t.Any, fw: t.Any) -> None:
    with pytest.raises(LookupError):
        fw.abort(599)


class Overloaded(HTTPException):
    code = 599
    description = "Try again later."


class OverloadedAborter(Aborter):
    """Werkzeug's aborter, which also knows status 599."""

    def __init__(self) -> None:
        super().__init__(extra={599: Overloaded})


def test_aborter_class_adds_status_codes(fw: t.Any) -> None:
    class OverloadedApp(fw.Flask):  # type: ignore[misc,name-defined]
        aborter_class = OverloadedAborter

    app = wrap_in_validator(OverloadedApp(__name__))
    app.testing = True
    add(app, "/busy", lambda: fw.abort(599))
    add(app, "/gone", lambda: fw.abort(410))
    assert isinstance(app.aborter, OverloadedAborter)
    made = app.make_aborter()
    assert isinstance(made, OverloadedAborter) and made is not app.aborter
    client = app.test_client()
    response = fetch(client, "/busy")
    assert response.status_code == 599
    assert b"Try again later." in response.data
    assert fetch(client, "/gone").status_code == 410
    with app.app_context(), pytest.raises(Overloaded):
        fw.abort(599)
    # Outside an app, abort() knows only Werkzeug's codes.
    with pytest.raises(LookupError):
        fw.abort(599)


def test_aborter_replaced_on_the_app(app: t.Any, client: t.Any, fw: t.Any) -> None:
    add(app, "/", lambda: fw.abort(599))
    app.aborter = OverloadedAborter()
    assert fetch(client).status_code == 599


def test_propagate_exceptions_in_testing(app: t.Any, client: t.Any) -> None:
    add(app, "/", lambda: {}["missing"])
    with pytest.raises(KeyError):
        client.get("/")


@pytest.mark.parametrize(
    ("testing", "propagate", "raises"),
    [
        (True, None, True),
        (False, None, False),
        (False, True, True),
        (True, False, False),
    ],
)
def test_propagate_exceptions_setting(
    fw: t.Any, testing: bool, propagate: bool | None, raises: bool
) -> None:
    app = new_app(fw, PROPAGATE_EXCEPTIONS=propagate)
    app.testing = testing
    add(app, "/", lambda: 1 / 0)
    client = app.test_client()
    if raises:
        with pytest.raises(ZeroDivisionError):
            client.get("/")
    else:
        assert fetch(client).status_code == 500


def test_http_exceptions_never_propagate_by_default(
    app: t.Any, client: t.Any, fw: t.Any
) -> None:
    add(app, "/", lambda: fw.abort(404))
    assert fetch(client).status_code == 404


def test_trap_http_exceptions(fw: t.Any) -> None:
    app = new_app(fw, TRAP_HTTP_EXCEPTIONS=True)
    add(app, "/", lambda: fw.abort(404))
    with pytest.raises(NotFound):
        app.test_client().get("/")
    with pytest.raises(NotFound):
        app.test_client().get("/not-routed")


def test_trap_http_exceptions_without_propagation(fw: t.Any) -> None:
    app = new_app(fw, TRAP_HTTP_EXCEPTIONS=True, PROPAGATE_EXCEPTIONS=False)
    seen = []

    @app.errorhandler(500)
    def internal(error: t.Any) -> t.Any:
        seen.append(type(error.original_exception).__name__)
        return "500 from trapped", 500

    add(app, "/", lambda: fw.abort(403))
    response = fetch(app.test_client())
    assert (response.status_code, response.data, seen) == (
        500,
        b"500 from trapped",
        ["Forbidden"],
    )


def test_trap_bad_request_errors(fw: t.Any) -> None:
    def form_view() -> str:
        return fw.request.form["missing"]

    app = new_app(fw)
    app.route("/", methods=["POST"])(form_view)
    assert fetch(app.test_client(), "/", "POST").status_code == 400

    app = new_app(fw, TRAP_BAD_REQUEST_ERRORS=True)
    app.route("/", methods=["POST"])(form_view)
    with pytest.raises(BadRequestKeyError):
        app.test_client().post("/")

    app = new_app(fw)
    app.debug = True  # TRAP_BAD_REQUEST_ERRORS None: trapped in debug mode
    app.route("/", methods=["POST"])(form_view)
    with pytest.raises(BadRequestKeyError):
        app.test_client().post("/")

    app = new_app(fw, TRAP_BAD_REQUEST_ERRORS=False)
    app.debug = True
    app.route("/", methods=["POST"])(form_view)
    assert fetch(app.test_client(), "/", "POST").status_code == 400


def test_bad_json_never_500_even_when_trapping(fw: t.Any) -> None:
    app = new_app(fw)
    add(app, "/", lambda: {"got": fw.request.json}, methods=["POST"])
    response = fetch(
        app.test_client(), "/", "POST", data="{", content_type="application/json"
    )
    assert response.status_code == 400
    app = new_app(fw, TRAP_BAD_REQUEST_ERRORS=True)
    add(app, "/", lambda: {"got": fw.request.json}, methods=["POST"])
    with pytest.raises(BadRequest):
        app.test_client().post("/", data="{", content_type="application/json")


def test_handler_raising_propagates_in_testing(app: t.Any, client: t.Any) -> None:
    @app.errorhandler(ValueError)
    def broken(error: Exception) -> t.NoReturn:
        raise RuntimeError("handler failed")

    add(app, "/", lambda: int("x"))
    with pytest.raises(RuntimeError, match="handler failed"):
        client.get("/")


def test_handler_raising_ends_in_500(app: t.Any, client: t.Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen = []

    @app.errorhandler(ValueError)
    def broken(error: Exception) -> t.NoReturn:
        raise RuntimeError("handler failed")

    @app.errorhandler(500)
    def internal(error: t.Any) -> t.Any:
        seen.append(type(error.original_exception).__name__)
        return "internal", 500

    add(app, "/", lambda: int("x"))
    response = fetch(client)
    assert (response.status_code, response.data, seen) == (
        500,
        b"internal",
        ["RuntimeError"],
    )


def test_handler_raising_http_exception(app: t.Any, client: t.Any, fw: t.Any) -> None:
    app.register_error_handler(KeyError, lambda e: fw.abort(409))
    add(app, "/", lambda: {}["x"])
    with pytest.raises(Conflict):
        client.get("/")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert fetch(client).status_code == 500


def test_routing_redirect_skips_handlers(app: t.Any, client: t.Any) -> None:
    app.register_error_handler(HTTPException, lambda e: ("handled", 599))
    add(app, "/dir/", lambda: "dir")
    response = fetch(client, "/dir")
    assert response.status == "308 PERMANENT REDIRECT"
    assert response.headers["Location"] == "http://localhost/dir/"


def test_errorhandler_registration_errors(app: t.Any) -> None:
    with pytest.raises(ValueError, match="not a recognized HTTP error code"):
        app.register_error_handler(999, lambda e: "x")
    with pytest.raises(TypeError):
        app.register_error_handler(KeyError("instance"), lambda e: "x")
    with pytest.raises(ValueError):
        app.register_error_handler(int, lambda e: "x")


# -- redirects, url_for --------------------------------------------------------


@pytest.mark.parametrize("code", [None, 301, 302, 303, 307, 308])
def test_redirect_codes(app: t.Any, client: t.Any, fw: t.Any, code: int | None) -> None:
    if code is None:
        add(app, "/", lambda: fw.redirect("/target?a=1&b=<x>"))
    else:
        add(app, "/", lambda: fw.redirect("/target?a=1&b=<x>", code))
    response = fetch(client)
    assert response.status_code == (code or 302)
    assert response.headers["Location"] == "/target?a=1&b=%3Cx%3E"
    assert b'href="/target?a=1&amp;b=&lt;x&gt;"' in response.data


def test_redirect_response_class(app: t.Any, fw: t.Any) -> None:
    class Special(fw.Response):
        pass

    # Outside an app context the Response argument is used...
    response = fw.redirect("http://example.com/\u00e9", Response=Special)
    assert type(response) is Special
    assert response.headers["Location"] == "http://example.com/\u00e9"
    # ... inside one, the app's redirect() decides (Flask 3.1 ignores the argument).
    with app.app_context():
        response = fw.redirect("/x", 307, Response=Special)
        assert type(response) is app.response_class
        assert response.status_code == 307


def test_url_for_in_request(app: t.Any, client: t.Any, fw: t.Any) -> None:
    @app.route("/item/<int:item_id>")
    def item(item_id: int) -> t.Any:
        return {
            "plain": fw.url_for("item", item_id=5),
            "query": fw.url_for("item", item_id=5, q="a b", tags=["x", "y"]),
            "anchor": fw.url_for("item", item_id=5, _anchor="top part"),
            "external": fw.url_for("item", item_id=5, _external=True),
            "scheme": fw.url_for("item", item_id=5, _external=True, _scheme="https"),
            "none_dropped": fw.url_for("item", item_id=5, q=None),
        }

    data = fetch(client, "/item/1", base_url="http://example.org:8080/root/").json
    assert data == {
        "plain": "/root/item/5",
        "query": "/root/item/5?q=a+b&tags=x&tags=y",
        "anchor": "/root/item/5#top%20part",
        "external": "http://example.org:8080/root/item/5",
        "scheme": "https://example.org:8080/root/item/5",
        "none_dropped": "/root/item/5",
    }


def test_url_for_method(app: t.Any, fw: t.Any) -> None:
    app.add_url_rule("/read", "thing", lambda: "r", methods=["GET"])
    app.add_url_rule("/write", "thing", methods=["POST"])
    with app.test_request_context():
        assert fw.url_for("thing") == "/read"
        assert fw.url_for("thing", _method="POST") == "/write"
        with pytest.raises(BuildError):
            fw.url_for("thing", _method="DELETE")


def test_url_for_takes_a_value_named_self(app: t.Any, fw: t.Any) -> None:
    @app.route("/<self>")
    def show(self: str) -> str:
        return self

    with app.test_request_context():
        assert fw.url_for("show", self="me") == "/me"
        assert app.url_for("show", self="you") == "/you"


def test_url_for_build_error(app: t.Any, client: t.Any, fw: t.Any) -> None:
    add(app, "/", lambda: fw.url_for("nowhere"))
    with app.test_request_context():
        with pytest.raises(BuildError):
            fw.url_for("nowhere")
    with pytest.raises(BuildError):
        client.get("/")


def test_url_for_contexts(app: t.Any, fw: t.Any) -> None:
    app.add_url_rule("/x/<name>", "x", lambda name: name)
    with pytest.raises(RuntimeError):
        fw.url_for("x", name="a")
    with app.app_context():
        with pytest.raises(RuntimeError):
            fw.url_for("x", name="a")
    app.config["SERVER_NAME"] = "example.com"
    with app.app_context():
        assert fw.url_for("x", name="a") == "http://example.com/x/a"
        assert fw.url_for("x", name="a", _external=False) == "/x/a"
    with app.test_request_context("/", base_url="https://example.com/app/"):
        assert fw.url_for("x", name="a b") == "/app/x/a%20b"
        assert (
            fw.url_for("x", name="a", _external=True) == "https://example.com/app/x/a"
        )


def test_url_for_scheme_requires_external(app: t.Any, fw: t.Any) -> None:
    app.add_url_rule("/x", "x", lambda: "x")
    with app.test_request_context():
        with pytest.raises(ValueError):
            fw.url_for("x", _scheme="https", _external=False)


# -- request attributes, g, contexts -------------------------------------------


def test_request_routing_attributes(app: t.Any, client: t.Any, fw: t.Any) -> None:
    @app.route("/u/<int:uid>/<path:rest>", methods=["GET", "POST"])
    def view(uid: int, rest: str) -> t.Any:
        rule = fw.request.url_rule
        return {
            "view_args": fw.request.view_args,
            "rule": rule.rule,
            "methods": sorted(rule.methods),
            "endpoint": fw.request.endpoint,
            "rule_endpoint": rule.endpoint,
        }

    @app.errorhandler(404)
    def missing(error: t.Any) -> t.Any:
        return {"rule": fw.request.url_rule, "endpoint": fw.request.endpoint}, 404

    assert fetch(client, "/u/7/a/b").json == {
        "view_args": {"uid": 7, "rest": "a/b"},
        "rule": "/u/<int:uid>/<path:rest>",
        "methods": ["GET", "HEAD", "OPTIONS", "POST"],
        "endpoint": "view",
        "rule_endpoint": "view",
    }
    assert fetch(client, "/nothing").json == {"rule": None, "endpoint": None}


def test_g_lifetime(app: t.Any, client: t.Any, fw: t.Any) -> None:
    @app.route("/")
    def view() -> t.Any:
        before = "counter" in fw.g
        fw.g.counter = fw.g.get("counter", 0) + 1
        fw.g.setdefault("items", []).append(1)
        return {"before": before, "counter": fw.g.counter, "popped": fw.g.pop("items")}

    assert fetch(client).json == {"before": False, "counter": 1, "popped": [1]}
    assert fetch(client).json == {"before": False, "counter": 1, "popped": [1]}
    with app.app_context():
        fw.g.value = 1
        assert fw.g.value == 1
        assert fw.g.pop("missing", "default") == "default"
        with pytest.raises(AttributeError):
            fw.g.absent  # noqa: B018
        assert sorted(fw.g) == ["value"]
    with app.app_context():
        assert "value" not in fw.g


def test_g_shared_between_request_and_its_app_context(app: t.Any, fw: t.Any) -> None:
    with app.app_context():
        fw.g.outer = 1
        with app.test_request_context():
            assert fw.g.outer == 1


def test_context_predicates(app: t.Any, client: t.Any, fw: t.Any) -> None:
    assert (fw.has_request_context(), fw.has_app_context()) == (False, False)
    with app.app_context():
        assert (fw.has_request_context(), fw.has_app_context()) == (False, True)
        assert fw.current_app._get_current_object() is app
    with app.test_request_context("/x?a=1", method="POST"):
        assert (fw.has_request_context(), fw.has_app_context()) == (True, True)
        assert (fw.request.path, fw.request.method, fw.request.args["a"]) == (
            "/x",
            "POST",
            "1",
        )
        assert fw.request.url_rule is None
    assert (fw.has_request_context(), fw.has_app_context()) == (False, False)
    add(app, "/", lambda: {"r": fw.has_request_context(), "a": fw.has_app_context()})
    assert fetch(client).json == {"r": True, "a": True}


@pytest.mark.parametrize("kind", ["app", "request"])
def test_popping_a_context_out_of_order_is_an_error(
    app: t.Any, fw: t.Any, kind: str
) -> None:
    make = app.app_context if kind == "app" else app.test_request_context
    first, second = make(), make()
    first.push()
    second.push()
    with pytest.raises(AssertionError, match=f"Popped wrong {kind} context"):
        first.pop()
    # The second pop fails too (Flask's with LookupError); nothing is left pushed.
    with pytest.raises((AssertionError, LookupError)):
        second.pop()
    assert (fw.has_request_context(), fw.has_app_context()) == (False, False)


def test_proxies_outside_context(fw: t.Any) -> None:
    with pytest.raises(RuntimeError, match="outside of request context"):
        fw.request.path  # noqa: B018
    with pytest.raises(RuntimeError, match="outside of application context"):
        fw.current_app.name  # noqa: B018
    with pytest.raises(RuntimeError, match="outside of application context"):
        fw.g.x  # noqa: B018


def test_test_request_context_preprocesses_nothing(app: t.Any, fw: t.Any) -> None:
    called = []
    app.before_request(lambda: called.append("before"))
    app.add_url_rule("/p/<int:n>", "p", lambda n: str(n))
    with app.test_request_context("/p/3"):
        assert called == []
        assert fw.request.view_args == {"n": 3}
        assert fw.request.endpoint == "p"


def test_wsgi_app_middleware_is_honoured(app: t.Any, client: t.Any) -> None:
    calls = []
    inner = app.wsgi_app

    def middleware(environ: dict[str, t.Any], start_response: t.Any) -> t.Any:
        calls.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app = middleware
    add(app, "/", lambda: "x")
    fetch(client)
    fetch(client, "/missing")
    assert calls == ["/", "/missing"]


# -- OPTIONS, HEAD, 405, registration ------------------------------------------


def test_automatic_options(app: t.Any, client: t.Any) -> None:
    add(app, "/", lambda: "x", methods=["GET", "POST"])
    add(app, "/put", lambda: "x", methods=["PUT"])
    response = fetch(client, "/", "OPTIONS")
    assert response.status_code == 200
    assert response.data == b""
    assert sorted(response.headers["Allow"].split(", ")) == [
        "GET",
        "HEAD",
        "OPTIONS",
        "POST",
    ]
    assert sorted(fetch(client, "/put", "OPTIONS").headers["Allow"].split(", ")) == [
        "OPTIONS",
        "PUT",
    ]


def test_options_merges_rules_on_same_path(app: t.Any, client: t.Any) -> None:
    app.add_url_rule("/same", "read", lambda: "r", methods=["GET"])
    app.add_url_rule("/same", "write", lambda: "w", methods=["DELETE"])
    response = fetch(client, "/same", "OPTIONS")
    assert sorted(response.headers["Allow"].split(", ")) == [
        "DELETE",
        "GET",
        "HEAD",
        "OPTIONS",
    ]
    assert fetch(client, "/same", "DELETE").data == b"w"


def test_no_automatic_options(app: t.Any, client: t.Any, fw: t.Any) -> None:
    app.add_url_rule("/manual", "manual", lambda: "x", provide_automatic_options=False)
    add(app, "/own", lambda: ("mine", {"Allow": "GET"}), methods=["GET", "OPTIONS"])

    def declared() -> str:
        return "declared"

    declared.provide_automatic_options = False  # type: ignore[attr-defined]
    declared.methods = ["GET", "OPTIONS"]  # type: ignore[attr-defined]
    app.add_url_rule("/declared", "declared", declared)
    response = fetch(client, "/manual", "OPTIONS")
    assert response.status_code == 405
    response = fetch(client, "/own", "OPTIONS")
    assert (response.data, response.headers["Allow"]) == (b"mine", "GET")
    assert fetch(client, "/declared", "OPTIONS").data == b"declared"


def test_head_matches_get(app: t.Any, client: t.Any) -> None:
    seen = []

    @app.route("/")
    def view() -> str:
        seen.append("called")
        return "some body"

    get = fetch(client)
    head = fetch(client, "/", "HEAD")
    assert head.status == get.status
    assert head.data == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"] == "9"
    assert sorted(head.headers.items()) == sorted(get.headers.items())
    assert seen == ["called", "called"]


def test_head_on_stream(app: t.Any, client: t.Any) -> None:
    add(app, "/", lambda: iter(["a", "b"]))
    head = fetch(client, "/", "HEAD")
    assert (head.status_code, head.data) == (200, b"")


def test_method_not_allowed(app: t.Any, client: t.Any) -> None:
    add(app, "/", lambda: "x", methods=["POST"])
    response = fetch(client)
    assert response.status == "405 METHOD NOT ALLOWED"
    assert sorted(response.headers["Allow"].split(", ")) == ["OPTIONS", "POST"]
    assert b"<title>405 Method Not Allowed</title>" in response.data


def test_method_shortcuts(app: t.Any, client: t.Any) -> None:
    app.get("/r", endpoint="g")(lambda: "get")
    app.post("/r", endpoint="po")(lambda: "post")
    app.put("/r", endpoint="pu")(lambda: "put")
    app.delete("/r", endpoint="d")(lambda: "delete")
    app.patch("/r", endpoint="pa")(lambda: "patch")
    with pytest.raises(TypeError, match="route"):
        app.get("/x", methods=["POST"])
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH"):
        assert fetch(client, "/r", method).data == method.lower().encode()


def test_methods_must_not_be_a_string(app: t.Any) -> None:
    with pytest.raises(TypeError):
        app.route("/", methods="POST")(lambda: "x")


def test_endpoint_decorator_and_view_functions(app: t.Any, client: t.Any) -> None:
    app.add_url_rule("/e", "named")

    @app.endpoint("named")
    def implementation() -> str:
        return "from endpoint decorator"

    assert app.view_functions["named"] is implementation
    assert fetch(client, "/e").data == b"from endpoint decorator"
    assert [rule.rule for rule in app.url_map.iter_rules("named")] == ["/e"]


def test_overwriting_endpoint_is_an_error(app: t.Any) -> None:
    app.add_url_rule("/a", "same", lambda: "a")
    with pytest.raises(
        AssertionError, match="overwriting an existing endpoint function"
    ):
        app.add_url_rule("/b", "same", lambda: "b")


def test_endpoint_defaults_to_function_name(app: t.Any) -> None:
    @app.route("/")
    def the_index() -> str:
        return ""

    assert "the_index" in app.view_functions
    assert [rule.endpoint for rule in app.url_map.iter_rules() if rule.rule == "/"] == [
        "the_index"
    ]


@pytest.mark.parametrize(
    "register",
    [
        lambda app: app.route("/late", endpoint="late")(lambda: "late"),
        lambda app: app.add_url_rule("/late", "late", lambda: "late"),
        lambda app: app.before_request(lambda: None),
        lambda app: app.after_request(lambda r: r),
        lambda app: app.errorhandler(404)(lambda e: "x"),
        lambda app: app.teardown_request(lambda e: None),
    ],
    ids=[
        "route",
        "add_url_rule",
        "before_request",
        "after_request",
        "errorhandler",
        "teardown",
    ],
)
def test_setup_after_first_request_fails(
    app: t.Any, client: t.Any, register: t.Callable[[t.Any], t.Any]
) -> None:
    add(app, "/", lambda: "x")
    register(app)  # fine before the first request
    fetch(client)
    with pytest.raises(AssertionError, match="already handled its first request"):
        register(app)


# -- bad input -----------------------------------------------------------------


@pytest.fixture
def echo_app(app: t.Any, fw: t.Any) -> t.Any:
    add(app, "/files/<path:name>", lambda name: {"name": name, "path": fw.request.path})
    add(app, "/\u00e9t\u00e9", lambda: "summer")
    add(app, "/q", lambda: {"args": fw.request.args.to_dict(flat=False)})
    return app


@pytest.mark.parametrize(
    ("path_info", "status", "name"),
    [
        ("/files/\xff\xfe", 200, "\ufffd\ufffd"),
        ("/files/a\xc3(b", 200, "a\ufffd(b"),
        ("/files/\xc3\xa9", 200, "\u00e9"),
        ("/\xc3\xa9t\xc3\xa9", 200, None),
        ("/\xe9t\xe9", 404, None),
        ("/files/%ff", 200, "%ff"),
    ],
)
def test_invalid_utf8_path(
    echo_app: t.Any, client: t.Any, path_info: str, status: int, name: str | None
) -> None:
    response = fetch(client, "/", environ_overrides={"PATH_INFO": path_info})
    assert response.status_code == status
    if name is not None:
        assert response.json["name"] == name


def test_enormous_query_string(echo_app: t.Any, client: t.Any) -> None:
    query = "&".join(f"k{i}={'v' * 100}" for i in range(5000))
    response = fetch(client, "/q?" + query)
    assert response.status_code == 200
    assert len(response.json["args"]) == 5000


def test_malformed_query_string(echo_app: t.Any, client: t.Any) -> None:
    response = fetch(client, "/q", query_string="a=%zz&b=%ff&&c&=d&e=1=2")
    assert response.status_code == 200
    assert response.json["args"] == {
        "a": ["%zz"],
        "b": ["%FF"],
        "c": [""],
        "": ["d"],
        "e": ["1=2"],
    }


def test_body_without_content_length(app: t.Any, client: t.Any, fw: t.Any) -> None:
    add(app, "/", lambda: {"len": len(fw.request.get_data())}, methods=["POST"])
    response = fetch(client, "/", "POST", data=b"abc")
    assert response.json == {"len": 3}


# -- more return-value and handler corners -------------------------------------


def test_str_subclass_and_mapping_subclass(app: t.Any, client: t.Any) -> None:
    import collections

    from markupsafe import Markup

    add(app, "/markup", lambda: Markup("<b>%s</b>") % "<i>")
    add(app, "/ordered", lambda: collections.OrderedDict([("b", 1), ("a", 2)]))
    add(app, "/int-keys", lambda: {2: "b", 1: "a"})
    assert fetch(client, "/markup").data == b"<b>&lt;i&gt;</b>"
    assert fetch(client, "/ordered").data == b'{"a":2,"b":1}\n'
    assert fetch(client, "/int-keys").data == b'{"1":"a","2":"b"}\n'


def test_response_tuple_forms(app: t.Any, client: t.Any, fw: t.Any) -> None:
    add(app, "/r3", lambda: (fw.Response("r"), 201, {"X-A": "1"}))
    add(app, "/none-status", lambda: ("b", None, {"X-A": "2"}))
    response = fetch(client, "/r3")
    assert (response.status, response.headers["X-A"]) == ("201 CREATED", "1")
    response = fetch(client, "/none-status")
    assert (response.status, response.headers["X-A"]) == ("200 OK", "2")


def test_error_handler_returning_none(app: t.Any, client: t.Any) -> None:
    app.register_error_handler(404, lambda e: None)
    with pytest.raises(TypeError, match="did not return a valid response"):
        client.get("/missing")


def test_custom_http_exception_class(app: t.Any, client: t.Any, fw: t.Any) -> None:
    class Unavailable(HTTPException):
        code = 499
        description = "Client went away."

    def view() -> t.NoReturn:
        raise Unavailable()

    add(app, "/plain", view)
    response = fetch(client, "/plain")
    assert response.status == "499 UNKNOWN"
    assert b"Client went away." in response.data
    handled = new_app(fw)
    handled.register_error_handler(Unavailable, lambda e: (f"handled {e.code}", e.code))
    add(handled, "/plain", view)
    response = fetch(handled.test_client(), "/plain")
    assert (response.status_code, response.data) == (499, b"handled 499")


def test_http_exception_with_response(app: t.Any, client: t.Any, fw: t.Any) -> None:
    def view() -> t.NoReturn:
        raise Forbidden(response=fw.Response("own body", 403, {"X-Own": "1"}))

    add(app, "/", view)
    response = fetch(client)
    assert (response.status_code, response.data, response.headers["X-Own"]) == (
        403,
        b"own body",
        "1",
    )


def test_before_request_error_goes_to_handlers(
    app: t.Any, client: t.Any, fw: t.Any
) -> None:
    calls = []

    @app.before_request
    def guard() -> None:
        if fw.request.path == "/guarded":
            raise PermissionError("no")

    app.register_error_handler(PermissionError, lambda e: ("denied", 403))
    app.after_request(lambda r: calls.append("after") or r)
    add(app, "/guarded", lambda: "never")
    response = fetch(client, "/guarded")
    assert (response.status_code, response.data, calls) == (403, b"denied", ["after"])


def test_after_request_error_propagates(app: t.Any, client: t.Any) -> None:
    teardown = []

    @app.after_request
    def broken(response: t.Any) -> t.Any:
        raise LookupError("after failed")

    app.teardown_request(lambda exc: teardown.append(type(exc).__name__))
    add(app, "/", lambda: "x")
    with pytest.raises(LookupError):
        client.get("/")
    assert teardown == ["LookupError"]


def test_rule_defaults_redirect(app: t.Any, client: t.Any) -> None:
    def page(n: int) -> str:
        return f"page {n}"

    app.add_url_rule("/page/", "page", page, defaults={"n": 1})
    app.add_url_rule("/page/<int:n>", "page", page)
    assert fetch(client, "/page/").data == b"page 1"
    assert fetch(client, "/page/2").data == b"page 2"
    response = fetch(client, "/page/1")
    assert response.status_code == 308
    assert response.headers["Location"] == "http://localhost/page/"


def test_strict_slashes_false(app: t.Any, client: t.Any) -> None:
    app.add_url_rule("/loose/", "loose", lambda: "loose", strict_slashes=False)
    assert fetch(client, "/loose").data == b"loose"
    assert fetch(client, "/loose/").data == b"loose"


def test_json_cached_and_silent_after_failure(
    app: t.Any, client: t.Any, fw: t.Any
) -> None:
    @app.route("/", methods=["POST"])
    def view() -> t.Any:
        first = fw.request.get_json(silent=True)
        again = fw.request.get_json(silent=True)
        try:
            fw.request.get_json()
        except BadRequest:
            raised = True
        else:
            raised = False
        return {"first": first, "again": again, "raised": raised}

    response = fetch(client, "/", "POST", data="{", content_type="application/json")
    assert response.json == {"first": None, "again": None, "raised": True}
    response = fetch(client, "/", "POST", json={"a": 1})
    assert response.json == {"first": {"a": 1}, "again": {"a": 1}, "raised": False}


def test_json_on_get_without_body(app: t.Any, client: t.Any, fw: t.Any) -> None:
    add(app, "/", lambda: {"json": fw.request.json})
    assert fetch(client).status_code == 415


def test_test_request_context_with_json(app: t.Any, fw: t.Any) -> None:
    with app.test_request_context("/", method="POST", json={"k": [1]}):
        assert fw.request.is_json
        assert fw.request.get_json() == {"k": [1]}


def test_app_attributes(app: t.Any, fw: t.Any) -> None:
    # The fixture builds the app in conftest.py.
    assert app.name == "conftest"
    assert app.import_name == "conftest"
    assert app.testing is True
    assert app.config["TESTING"] is True
    assert app.debug is False
    app.debug = True
    assert app.config["DEBUG"] is True
    assert app.secret_key is None
    app.secret_key = "s"
    assert app.config["SECRET_KEY"] == "s"
    assert isinstance(app.extensions, dict)
    assert app.logger.name == "conftest"
    assert app.url_map.strict_slashes is True


@pytest.fixture(params=["flask", "c", "py"])
def served_by(request: pytest.FixtureRequest) -> tuple[t.Any, type]:
    """``(fw, app class)`` for tests of the dispatcher's own behaviour: Flask,
    then microweb pinned to its compiled cores, then to its pure ones, in one
    process."""
    if request.param == "flask":
        names = flask_framework("Blueprint")
        return names, names.Flask
    return microweb_framework("Blueprint"), pinned_app_class(request.param)


def test_settings_changed_after_middleware_wrapped_a_served_app(
    served_by: tuple[t.Any, type],
) -> None:
    # Middleware assigned after the first request wraps what serves requests
    # then; a setting changed later must still reach the next request.
    _, app_class = served_by
    app = app_class(__name__)
    add(app, "/json", lambda: {"b": 1, "a": 2})
    client = app.test_client()
    assert fetch(client, "/json").get_data() == b'{"a":2,"b":1}\n'
    seen: list[str] = []
    inner = app.wsgi_app

    def middleware(environ: t.Any, start_response: t.Any) -> t.Any:
        seen.append(environ["PATH_INFO"])
        return inner(environ, start_response)

    app.wsgi_app = middleware

    class Unsorted(type(app.json)):  # type: ignore[misc]
        sort_keys = False

    app.json = Unsorted(app)
    assert fetch(client, "/json").get_data() == b'{"b":1,"a":2}\n'
    app.dispatch_request = lambda: {"z": 0, "y": 1}
    assert fetch(client, "/json").get_data() == b'{"z":0,"y":1}\n'
    assert seen == ["/json", "/json"]


def test_registries_changed_after_the_first_request(
    served_by: tuple[t.Any, type],
) -> None:
    # Flask reads the view functions and the hook registries on every request:
    # a test that swaps a view, or an extension that adds a hook from inside a
    # view (Flask-Caching's hit indication), is heard on the next request.
    fw, app_class = served_by
    app = app_class(__name__)
    app.testing = True
    app.add_url_rule("/", "index", lambda: "index")
    blueprint = fw.Blueprint("bp", __name__)
    blueprint.add_url_rule("/bp", "page", lambda: "page")
    app.register_blueprint(blueprint)
    client = app.test_client()
    torn_down: list[str] = []

    def answer(path: str = "/") -> tuple[bytes, str | None]:
        response = fetch(client, path)
        return response.get_data(), response.headers.get("X-Hook")

    def hook(response: t.Any) -> t.Any:
        response.headers["X-Hook"] = "after"
        return response

    steps = [answer()]
    app.view_functions["index"] = lambda: "swapped"
    steps.append(answer())
    app.after_request_funcs[None].append(hook)
    steps.append(answer())
    app.before_request_funcs.setdefault("bp", []).insert(0, lambda: "before bp")
    steps += [answer("/bp"), answer()]
    app.after_request_funcs[None].remove(hook)
    del app.before_request_funcs["bp"]
    steps += [answer(), answer("/bp")]
    app.url_value_preprocessors[None].append(
        lambda endpoint, values: torn_down.append(f"preprocess {endpoint}")
    )
    app.teardown_appcontext_funcs.append(lambda exc: torn_down.append("app"))
    app.teardown_request_funcs["bp"] = [lambda exc: torn_down.append("bp")]
    steps += [answer("/bp")]
    app.view_functions |= {"index": lambda: "merged"}
    steps.append(answer())
    app.view_functions = {**app.view_functions, "index": lambda: "replaced"}
    steps.append(answer())
    assert steps == [
        (b"index", None),
        (b"swapped", None),
        (b"swapped", "after"),
        (b"before bp", "after"),
        (b"swapped", "after"),
        (b"swapped", None),
        (b"page", None),
        (b"page", None),
        (b"merged", None),
        (b"replaced", None),
    ]
    assert torn_down == [
        "preprocess bp.page",
        "bp",
        "app",
        *["preprocess index", "app"] * 2,
    ]


def test_reading_the_registries_keeps_the_dispatcher(dispatch_app_class: type) -> None:
    # Only a change builds the dispatcher again: serving, and reading a
    # registry (a missing scope included), keep the one there is.
    import copy
    import pickle
    from collections import defaultdict

    app = dispatch_app_class(__name__)
    app.add_url_rule("/", "index", lambda: "index")
    app.teardown_request(lambda exc: None)
    client = app.test_client()
    fetch(client, "/")
    dispatcher = app.wsgi_app
    for _ in range(3):
        fetch(client, "/")
    assert app.before_request_funcs["nowhere"] == []
    assert app.after_request_funcs.get("nowhere") is None
    assert list(app.teardown_request_funcs[None]) == app.teardown_request_funcs[None]
    copied = copy.copy(app.teardown_request_funcs)
    # Copied deeply or pickled, a registry is a plain one.
    assert type(copy.deepcopy(app.after_request_funcs)) is defaultdict
    assert pickle.loads(pickle.dumps(app.url_default_functions)) == {}
    assert app.wsgi_app is dispatcher
    assert copied[None] == app.teardown_request_funcs[None]
    app.teardown_request_funcs[None].clear()
    assert app.wsgi_app is not dispatcher
    assert fetch(client, "/").get_data() == b"index"
    dispatcher = app.wsgi_app
    app.teardown_request_funcs[None].sort(key=id, reverse=True)
    assert app.wsgi_app is not dispatcher


def test_response_and_json_classes_set_after_the_first_request(
    app: t.Any, client: t.Any
) -> None:
    # Flask reads app.json and app.response_class on every request: replacing
    # them after the first one changes the next answers.
    add(app, "/json", lambda: {"b": 1, "a": 2})
    add(app, "/text", lambda: "text")
    assert fetch(client, "/json").get_data() == b'{"a":2,"b":1}\n'
    assert fetch(client, "/text").content_type == "text/html; charset=utf-8"

    class Unsorted(type(app.json)):  # type: ignore[misc]
        sort_keys = False

    class Plain(app.response_class):  # type: ignore[misc,name-defined]
        default_mimetype = "text/plain"

    app.json = Unsorted(app)
    app.response_class = Plain
    assert fetch(client, "/json").get_data() == b'{"b":1,"a":2}\n'
    assert fetch(client, "/text").content_type == "text/plain; charset=utf-8"


# -------------------------------------------------------------- freeing the app


def served_app(fw: t.Any, app_class: type) -> weakref.ref[t.Any]:
    """A weak reference to an app of *app_class* with routes, hooks, a blueprint
    and a session, which has served a few requests; no strong one is left."""
    app = app_class(__name__)
    app.secret_key = "secret"
    shop = fw.Blueprint("shop", __name__, url_prefix="/shop")

    @shop.route("/items/<int:item>")
    def item(item: int) -> t.Any:
        return {"item": item}

    app.register_blueprint(shop)

    @app.route("/")
    def index() -> str:
        return "index"

    @app.before_request
    def before() -> None:
        fw.g.seen = True

    client = app.test_client()
    assert fetch(client, "/").get_data() == b"index"
    assert fetch(client, "/shop/items/3").get_json() == {"item": 3}
    return weakref.ref(app)


@pytest.mark.parametrize("serve", [False, True], ids=["fresh", "served"])
def test_app_freed_on_zero_refcount(served_by: tuple[t.Any, type], serve: bool) -> None:
    # An app holds no reference cycle (its JSON provider, its dispatcher...),
    # fresh or once it has served: reference counting alone frees it.
    fw, app_class = served_by
    was_enabled = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        if serve:
            app_ref = served_app(fw, app_class)
        else:
            app = app_class(__name__)
            app_ref = weakref.ref(app)
            del app
        assert app_ref() is None
    finally:
        if was_enabled:
            gc.enable()


def test_wsgi_app_taken_after_the_first_request(
    served_by: tuple[t.Any, type],
) -> None:
    # Middleware may wrap app.wsgi_app after the app has served; another app
    # given this app's wsgi_app serves this app, as in Flask.
    fw, app_class = served_by
    app = app_class("first")
    app.add_url_rule("/", "index", lambda: fw.current_app.import_name)
    assert fetch(app.test_client()).get_data() == b"first"
    other = app_class("other")
    other.add_url_rule("/", "index", lambda: fw.current_app.import_name)
    other.wsgi_app = app.wsgi_app
    assert fetch(other.test_client()).get_data() == b"first"
    wrap_in_validator(app)
    assert fetch(app.test_client()).get_data() == b"first"
