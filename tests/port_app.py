"""A small but realistic application, written once against Flask's API.

``create_app(fw)`` builds it on whichever framework ``fw`` names (see
:func:`flask_namespace` and :func:`microweb_namespace`), so that
``tests/test_port.py`` can send the same requests to the Flask build and to the
microweb build and compare the answers byte for byte.

It uses only the slice of the API that microweb has today: routes with every
builtin converter, request hooks, error handlers, redirects, ``url_for``,
JSON in and out, tuple returns, ``Response`` objects, streamed bodies, ``g``,
URL value preprocessors and defaults. No blueprints, templates or sessions.
"""

from __future__ import annotations

import importlib
import types
import typing as t
import uuid

#: The names ``create_app`` takes from a framework, in Flask's spelling.
FRAMEWORK_NAMES = (
    "Flask",
    "request",
    "g",
    "abort",
    "redirect",
    "url_for",
    "jsonify",
    "make_response",
    "after_this_request",
    "current_app",
    "Response",
    "has_request_context",
    "has_app_context",
)


#: Where Flask keeps an extra name a test module asks for, when not in ``flask``
#: itself; microweb exports every one of them from ``microweb``.
FLASK_HOMES = {"View": "flask.views", "MethodView": "flask.views"}


def flask_namespace(*extra: str) -> types.SimpleNamespace:
    """The framework namespace for Flask itself.

    :param extra: names to add beyond :data:`FRAMEWORK_NAMES` (``Blueprint``,
        ``View``...), taken from ``flask`` or the module :data:`FLASK_HOMES` names.
    """
    import flask

    ns = types.SimpleNamespace(
        **{name: getattr(flask, name) for name in FRAMEWORK_NAMES}
    )
    for name in extra:
        home = importlib.import_module(FLASK_HOMES.get(name, "flask"))
        setattr(ns, name, getattr(home, name))
    ns.name = "flask"
    return ns


def microweb_namespace(*extra: str) -> types.SimpleNamespace:
    """The framework namespace for microweb (``App`` plays ``Flask``).

    :param extra: names to add beyond :data:`FRAMEWORK_NAMES`, as for
        :func:`flask_namespace`; microweb exports them all from ``microweb``.

    Raises ImportError (or AttributeError) while microweb lacks a name.
    """
    import microweb

    names = {
        name: getattr(microweb, name)
        for name in FRAMEWORK_NAMES + extra
        if name != "Flask"
    }
    ns = types.SimpleNamespace(Flask=microweb.App, **names)
    ns.name = "microweb"
    return ns


class StoreError(Exception):
    """A domain error the API reports as JSON (handled by class)."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ItemMissing(StoreError):
    """A more specific domain error: its own handler must win over StoreError's."""

    status = 404


class Unhandled(Exception):
    """An error no handler names: it ends in the 500 handler."""


ITEMS: dict[int, dict[str, t.Any]] = {
    1: {"id": 1, "name": "widget", "price": 2.5, "tags": ["a", "b"]},
    2: {"id": 2, "name": "gadget", "price": 10.0, "tags": []},
    3: {"id": 3, "name": "caf\u00e9 cr\u00e8me", "price": 0.1, "tags": ["\u2603"]},
}


def create_app(fw: t.Any) -> t.Any:
    """Build the application on framework *fw*.

    The app records what its teardown functions saw in ``app.teardown_log`` (a
    list of exception class names, or ``None``), which the port test compares too.
    """
    app = fw.Flask(__name__)
    app.config["API_VERSION"] = "2.1"
    app.teardown_log = []
    request, g = fw.request, fw.g
    counter = {"n": 0}

    # -- hooks -------------------------------------------------------------------

    @app.url_value_preprocessor
    def pull_lang_code(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        g.lang_code = values.pop("lang_code", None) if values else None

    @app.url_defaults
    def add_lang_code(endpoint: str, values: dict[str, t.Any]) -> None:
        if "lang_code" in values or not g.get("lang_code"):
            return
        if app.url_map.is_endpoint_expecting(endpoint, "lang_code"):
            values["lang_code"] = g.lang_code

    @app.before_request
    def maintenance_switch() -> t.Any:
        if request.headers.get("X-Maintenance") == "on":
            return fw.jsonify(error="maintenance", path=request.path), 503
        return None

    @app.before_request
    def load_user() -> None:
        g.user = request.headers.get("X-User", "anonymous")
        counter["n"] += 1
        g.request_number = counter["n"]

    @app.after_request
    def stamp_order_first(response: t.Any) -> t.Any:
        # Registered first, so it runs last.
        response.headers["X-Hook-Order"] = (
            response.headers.get("X-Hook-Order", "") + "first"
        )
        return response

    @app.after_request
    def stamp_order_second(response: t.Any) -> t.Any:
        response.headers["X-Hook-Order"] = (
            response.headers.get("X-Hook-Order", "") + "second,"
        )
        response.headers["X-Api-Version"] = fw.current_app.config["API_VERSION"]
        return response

    @app.teardown_request
    def record_teardown(exc: BaseException | None) -> None:
        app.teardown_log.append(None if exc is None else type(exc).__name__)

    # -- error handlers ------------------------------------------------------------

    @app.errorhandler(404)
    def not_found(error: t.Any) -> t.Any:
        return fw.jsonify(error="not found", path=request.path, code=error.code), 404

    @app.errorhandler(403)
    def forbidden(error: t.Any) -> t.Any:
        return {"error": "forbidden", "description": error.description}, 403

    @app.errorhandler(StoreError)
    def store_error(error: StoreError) -> t.Any:
        return {"error": error.message, "kind": "store"}, error.status

    @app.errorhandler(ItemMissing)
    def item_missing(error: ItemMissing) -> t.Any:
        return (
            {"error": error.message, "kind": "missing"},
            404,
            {"X-Missing": "yes"},
        )

    @app.errorhandler(500)
    def internal_error(error: t.Any) -> t.Any:
        original = getattr(error, "original_exception", None)
        return (
            fw.jsonify(error="internal", original=type(original).__name__),
            500,
        )

    # -- pages ---------------------------------------------------------------------

    @app.route("/")
    def index() -> str:
        return f"<h1>Store</h1><p>Hello, {g.user}!</p>"

    @app.route("/bytes")
    def raw_bytes() -> bytes:
        return b"\x00\x01binary\xff"

    @app.route("/<lang_code>/about")
    def about() -> t.Any:
        return {
            "lang": g.lang_code,
            "self": fw.url_for("about"),
            "other": fw.url_for("about", lang_code="fr"),
            "items": fw.url_for("list_items"),
        }

    @app.route("/<lang_code>/docs/<path:page>")
    def docs(page: str) -> t.Any:
        return {
            "lang": g.lang_code,
            "page": page,
            "link": fw.url_for("docs", page="index"),
        }

    @app.route("/files/<path:subpath>")
    def files(subpath: str) -> t.Any:
        return fw.Response(
            "file: " + subpath, mimetype="text/plain", headers={"X-Path": subpath}
        )

    @app.route("/users/<string(minlength=2, maxlength=8):username>")
    def user_page(username: str) -> t.Any:
        return "user " + username, 200, {"X-User-Page": username}

    @app.route("/orders/<uuid:order_id>")
    def order(order_id: uuid.UUID) -> t.Any:
        return fw.jsonify(id=order_id, hex=order_id.hex, version=order_id.version)

    @app.route("/price/<float:amount>")
    def price(amount: float) -> t.Any:
        return fw.jsonify(amount=amount, with_tax=round(amount * 1.2, 2))

    @app.route("/feed/<any(posts, pages, 'top-news'):kind>/")
    def feed(kind: str) -> t.Any:
        return fw.jsonify([kind, fw.url_for("feed", kind=kind, page=2, sort="new")])

    @app.route("/stream")
    def stream() -> t.Any:
        count = request.args.get("count", 3, type=int)

        def generate() -> t.Iterator[str]:
            for number in range(count):
                yield f"line {number}\n"

        return generate(), {"Content-Type": "text/plain; charset=utf-8"}

    @app.route("/stream-response")
    def stream_response() -> t.Any:
        def generate() -> t.Iterator[bytes]:
            yield b"["
            yield b"1,2"
            yield b"]"

        return fw.Response(generate(), mimetype="application/json", status=206)

    @app.route("/go")
    def go() -> t.Any:
        target = request.args.get("to", "index")
        if target == "external":
            return fw.redirect(fw.url_for("item", item_id=2, _external=True))
        if target == "anchor":
            return fw.redirect(
                fw.url_for(
                    "item", item_id=1, _anchor="reviews section", q="x y", n=[1, 2]
                )
            )
        if target == "permanent":
            return fw.redirect(fw.url_for("index"), code=301)
        if target == "see-other":
            return fw.redirect("/items?from=go", 303)
        return fw.redirect(fw.url_for(target))

    @app.route("/admin")
    def admin() -> t.Any:
        if g.user != "root":
            fw.abort(403, description="Admins only.")
        return "welcome, root"

    @app.route("/gone")
    def gone() -> t.Any:
        fw.abort(410)

    @app.route("/teapot")
    def teapot() -> t.Any:
        response = fw.make_response("short and stout", 418)
        response.headers["X-Teapot"] = "yes"
        response.set_cookie("brewed", "earl grey", path="/teapot")
        return response

    @app.route("/cleanup")
    def cleanup() -> t.Any:
        @fw.after_this_request
        def add_marker(response: t.Any) -> t.Any:
            response.headers["X-Cleaned"] = "1"
            return response

        return "cleaned", "202 ACCEPTED"

    @app.route("/boom")
    def boom() -> t.Any:
        raise Unhandled("kaboom")

    @app.route("/context")
    def context() -> t.Any:
        return {
            "request": fw.has_request_context(),
            "app": fw.has_app_context(),
            "app_name": fw.current_app.name,
            "endpoint": request.endpoint,
            "rule": request.url_rule.rule,
            "view_args": request.view_args,
            "url": request.url,
            "base_url": request.base_url,
            "host_url": request.host_url,
            "number": g.request_number,
        }

    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo() -> t.Any:
        return {
            "method": request.method,
            "args": request.args.to_dict(flat=False),
            "form": request.form.to_dict(flat=False),
            "is_json": request.is_json,
            "length": request.content_length,
            "ctype": request.content_type,
            "mimetype": request.mimetype,
            "user": g.user,
        }

    # -- JSON API --------------------------------------------------------------------

    @app.get("/items")
    def list_items() -> t.Any:
        tag = request.args.get("tag")
        limit = request.args.get("limit", default=10, type=int)
        found = [item for item in ITEMS.values() if tag is None or tag in item["tags"]]
        return fw.jsonify(found[:limit])

    @app.post("/items")
    def create_item() -> t.Any:
        data = request.get_json()
        if not isinstance(data, dict) or "name" not in data:
            raise StoreError("name is required")
        item = {"id": 99, "name": data["name"], "price": data.get("price", 0)}
        location = fw.url_for("item", item_id=99)
        return item, 201, [("Location", location), ("X-Created", "1")]

    @app.route("/items/<int:item_id>", methods=["GET", "PUT", "DELETE"])
    def item(item_id: int) -> t.Any:
        if item_id not in ITEMS:
            raise ItemMissing(f"no item {item_id}")
        if request.method == "PUT":
            changes = request.json
            return {**ITEMS[item_id], **changes}
        if request.method == "DELETE":
            return "", 204
        return ITEMS[item_id]

    @app.route("/items/<int(min=1):item_id>/price", methods=["POST"])
    def set_price(item_id: int) -> t.Any:
        price = request.form.get("price", type=float)
        if price is None:
            fw.abort(400)
        return fw.jsonify(
            id=item_id, price=price, currency=request.form.get("currency", "EUR")
        )

    @app.route("/search", methods=["GET", "POST"])
    def search() -> t.Any:
        if request.method == "POST":
            query = request.get_json(silent=True) or {}
        else:
            query = request.args.to_dict()
        return fw.jsonify(query=query, n=len(query)), 200, {"Cache-Control": "no-store"}

    @app.route("/items/<int:item_id>/tags/", methods=["GET", "POST"])
    def item_tags(item_id: int) -> t.Any:
        if request.method == "POST":
            return fw.jsonify(added=request.get_json(force=True)), 201
        return fw.jsonify(ITEMS.get(item_id, {}).get("tags", []))

    @app.route("/signed/<int:item_id>", endpoint="signed_item")
    def signed(item_id: int) -> t.Any:
        return fw.url_for(
            "signed_item", item_id=item_id, _external=True, _scheme="https"
        )

    return app


def create_bare_app(fw: t.Any) -> t.Any:
    """The common return types on an app with no hooks and no error handlers.

    A framework may answer such an app on a shorter path (no Response object, no
    hook chain); this app makes the port test compare that path with Flask too.
    """
    app = fw.Flask(__name__)
    app.teardown_log = []

    @app.route("/")
    def text() -> str:
        return "plain \u00e9\u2603"

    @app.route("/bytes")
    def raw() -> bytes:
        return b"\x00raw\xff"

    @app.route("/bytearray")
    def raw_array() -> bytearray:
        return bytearray(b"array")

    @app.route("/empty")
    def empty() -> str:
        return ""

    @app.route("/dict")
    def as_dict() -> dict[str, t.Any]:
        return {"z": 1, "a": {"nested": [1, 2.5, None, False]}, "u": "\u00e9"}

    @app.route("/list")
    def as_list() -> list[t.Any]:
        return [{"b": 1, "a": 2}, "x", 3]

    @app.route("/status")
    def with_status() -> t.Any:
        return "created", 201

    @app.route("/status-str")
    def with_status_str() -> t.Any:
        return "odd", "299 Odd Reason"

    @app.route("/status-unknown")
    def with_status_unknown() -> t.Any:
        return "unknown", 599

    @app.route("/headers-dict")
    def with_headers_dict() -> t.Any:
        return "h", {"X-One": "1", "Content-Type": "text/plain"}

    @app.route("/headers-list")
    def with_headers_list() -> t.Any:
        return {"ok": 1}, 202, [("X-Dup", "a"), ("X-Dup", "b"), ("Set-Cookie", "a=1")]

    @app.route("/dict-content-type")
    def dict_content_type() -> t.Any:
        return {"ok": 1}, 200, {"Content-Type": "application/problem+json"}

    @app.route("/response")
    def response() -> t.Any:
        return fw.Response("resp", 203, {"X-R": "r"}, mimetype="text/plain")

    @app.route("/response-status")
    def response_status() -> t.Any:
        return fw.Response("resp"), 404

    @app.route("/generator")
    def generator() -> t.Any:
        return (part for part in ["a", "\u00e9", "c"])

    @app.route("/jsonify")
    def jsonify_view() -> t.Any:
        return fw.jsonify("a", 1, None)

    @app.route("/redirect")
    def redirect_view() -> t.Any:
        return fw.redirect("/dict")

    @app.route("/abort")
    def abort_view() -> t.Any:
        fw.abort(401)

    @app.route("/int/<int:n>")
    def with_int(n: int) -> str:
        return str(n * 2)

    @app.route("/post", methods=["POST"])
    def post_only() -> t.Any:
        return fw.request.get_data()

    @app.route("/crash")
    def crash() -> t.Any:
        raise RuntimeError("crash")

    return app
