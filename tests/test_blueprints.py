"""Blueprints, static files and ``send_file``.

Every test runs twice: on Flask (the reference; a failure there means the test is
wrong) and on microweb (a failure there is a microweb bug). ``fw`` is the framework's
namespace with ``fw.Blueprint``, ``fw.send_file`` and ``fw.send_from_directory``
added; the ``app`` and ``client`` fixtures of conftest.py build on it, with
``app.wsgi_app`` behind ``wsgiref.validate.validator``.
"""

from __future__ import annotations

import datetime
import io
import os
import typing as t

import pytest
from conftest import (
    both_frameworks,
    fetch,
    flask_framework,
    microweb_framework,
    wrap_in_validator,
)
from werkzeug.exceptions import NotFound
from werkzeug.routing import BuildError

EXTRA_NAMES = ("Blueprint", "send_file", "send_from_directory")

#: Flask, then microweb, each with ``Blueprint`` and the file senders.
fw = both_frameworks(*EXTRA_NAMES)


def text(client: t.Any, path: str = "/", **kwargs: t.Any) -> tuple[int, str]:
    """The status code and the body text of a GET."""
    response = fetch(client, path, **kwargs)
    return response.status_code, response.get_data(as_text=True)


def new_app(fw: t.Any, **kwargs: t.Any) -> t.Any:
    """A testing app built with *kwargs*, behind the validator."""
    app = fw.Flask(__name__, **kwargs)
    app.testing = True
    return wrap_in_validator(app)


def rules(app: t.Any) -> set[tuple[str, str]]:
    """The ``(rule, endpoint)`` pairs of the app's URL map, without ``static``."""
    return {
        (rule.rule, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
    }


def echo_blueprint(fw: t.Any, name: str = "bp", **kwargs: t.Any) -> t.Any:
    """A blueprint whose view ``show`` answers its endpoint and blueprint."""
    blueprint = fw.Blueprint(name, __name__, **kwargs)

    @blueprint.route("/show")
    def show() -> str:
        return f"{fw.request.endpoint} {fw.request.blueprint}"

    return blueprint


# -- url_prefix ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("prefix", "rule", "expected"),
    [
        ("/p", "/x", "/p/x"),
        ("/p/", "/x", "/p/x"),
        ("/p", "x", "/p/x"),
        ("/p/", "x", "/p/x"),
        ("/p", "", "/p"),
        ("/p/", "", "/p/"),
        ("/p", "/", "/p/"),
        ("/p/", "/", "/p/"),
        ("/a/b", "/c/<int:n>", "/a/b/c/<int:n>"),
        (None, "/x", "/x"),
        (None, "/", "/"),
    ],
)
def test_url_prefix_joins_rule(
    fw: t.Any, app: t.Any, prefix: str | None, rule: str, expected: str
) -> None:
    blueprint = fw.Blueprint("bp", __name__, url_prefix=prefix)
    blueprint.add_url_rule(rule, "view", lambda **kwargs: "ok")
    app.register_blueprint(blueprint)
    assert rules(app) == {(expected, "bp.view")}


def test_url_prefix_routes_serve(fw: t.Any, app: t.Any, client: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__, url_prefix="/p")
    blueprint.add_url_rule("", "bare", lambda: "bare")
    blueprint.add_url_rule("/", "slash", lambda: "slash")
    blueprint.add_url_rule("/n/<int:n>", "number", lambda n: str(n * 2))
    app.register_blueprint(blueprint)
    assert text(client, "/p") == (200, "bare")
    assert text(client, "/p/") == (200, "slash")
    assert text(client, "/p/n/21") == (200, "42")
    assert fetch(client, "/n/21").status_code == 404


def test_register_url_prefix_overrides_blueprint(fw: t.Any, app: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__, url_prefix="/from-bp")
    blueprint.add_url_rule("/x", "x", lambda: "x")
    app.register_blueprint(blueprint, url_prefix="/from-register/")
    app.register_blueprint(blueprint, url_prefix="", name="empty")
    assert rules(app) == {("/from-register/x", "bp.x"), ("/x", "empty.x")}


def test_register_name_overrides_name(fw: t.Any, app: t.Any, client: t.Any) -> None:
    app.register_blueprint(echo_blueprint(fw), name="other", url_prefix="/o")
    assert list(app.blueprints) == ["other"]
    assert text(client, "/o/show") == (200, "other.show other")
    with app.test_request_context():
        assert fw.url_for("other.show") == "/o/show"
        with pytest.raises(BuildError):
            fw.url_for("bp.show")


# -- subdomains ----------------------------------------------------------------


def subdomain_app(fw: t.Any) -> t.Any:
    app = new_app(fw, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"
    return app


def test_subdomain_blueprint(fw: t.Any) -> None:
    app = subdomain_app(fw)
    blueprint = fw.Blueprint("api", __name__, subdomain="api")

    @blueprint.route("/ping")
    def ping() -> str:
        return f"pong {fw.request.host}"

    app.add_url_rule("/ping", "root_ping", lambda: "root")
    app.register_blueprint(blueprint)
    client = app.test_client()
    assert text(client, "/ping", base_url="http://api.example.test") == (
        200,
        "pong api.example.test",
    )
    assert text(client, "/ping", base_url="http://example.test") == (200, "root")
    assert fetch(client, "/ping", base_url="http://other.example.test").status_code == (
        404
    )
    with app.app_context():
        assert fw.url_for("api.ping") == "http://api.example.test/ping"
        assert fw.url_for("root_ping") == "http://example.test/ping"
    with app.test_request_context("/", base_url="http://example.test"):
        assert fw.url_for("api.ping") == "http://api.example.test/ping"
        assert fw.url_for("root_ping") == "/ping"


def test_subdomain_register_option_and_variable(fw: t.Any) -> None:
    app = subdomain_app(fw)
    blueprint = fw.Blueprint("users", __name__, subdomain="ignored")

    @blueprint.route("/")
    def home(user: str) -> str:
        return f"home of {user}"

    app.register_blueprint(blueprint, subdomain="<user>")
    client = app.test_client()
    assert text(client, "/", base_url="http://alice.example.test") == (
        200,
        "home of alice",
    )
    with app.app_context():
        assert fw.url_for("users.home", user="bob") == "http://bob.example.test/"


def test_nested_subdomains_join(fw: t.Any) -> None:
    app = subdomain_app(fw)
    parent = fw.Blueprint("parent", __name__, subdomain="eu")
    child = fw.Blueprint("child", __name__, subdomain="api")
    child.add_url_rule("/c", "c", lambda: "child")
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    [rule] = [r for r in app.url_map.iter_rules() if r.endpoint == "parent.child.c"]
    assert rule.subdomain == "api.eu"
    client = app.test_client()
    assert text(client, "/c", base_url="http://api.eu.example.test") == (200, "child")


# -- url_defaults --------------------------------------------------------------


def test_blueprint_url_defaults(fw: t.Any, app: t.Any, client: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__, url_defaults={"lang": "en", "page": 1})

    @blueprint.route("/docs")
    def docs(lang: str, page: int) -> str:
        return f"{lang} {page}"

    @blueprint.route("/docs/<lang>", defaults={"page": 9})
    def docs_in(lang: str, page: int) -> str:
        return f"{lang} {page}"

    app.register_blueprint(blueprint)
    assert text(client, "/docs") == (200, "en 1")
    # Werkzeug applies a rule's defaults over the matched values: the blueprint's
    # default for ``lang`` wins over the URL's.
    assert text(client, "/docs/fr") == (200, "en 9")
    with app.test_request_context():
        assert fw.url_for("bp.docs") == "/docs"
        assert fw.url_for("bp.docs", lang="en", page=1) == "/docs"
        assert fw.url_for("bp.docs_in", lang="en", page=9) == "/docs/en"


def test_register_url_defaults_merge(fw: t.Any, app: t.Any, client: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__, url_defaults={"lang": "en", "page": 1})

    @blueprint.route("/docs")
    def docs(lang: str, page: int) -> str:
        return f"{lang} {page}"

    app.register_blueprint(blueprint, url_defaults={"lang": "de"})
    app.register_blueprint(blueprint, name="second", url_prefix="/2")
    assert text(client, "/docs") == (200, "de 1")
    assert text(client, "/2/docs") == (200, "en 1")


# -- names ---------------------------------------------------------------------


def test_same_blueprint_twice_under_names(fw: t.Any, app: t.Any, client: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__)
    calls: list[str | None] = []

    @blueprint.before_request
    def before() -> None:
        calls.append(fw.request.blueprint)

    @blueprint.route("/where")
    def where() -> str:
        return fw.url_for(".where")

    app.register_blueprint(blueprint, url_prefix="/one")
    app.register_blueprint(blueprint, url_prefix="/two", name="two")
    assert list(app.blueprints) == ["bp", "two"]
    assert app.blueprints["bp"] is blueprint
    assert app.blueprints["two"] is blueprint
    assert rules(app) == {("/one/where", "bp.where"), ("/two/where", "two.where")}
    assert text(client, "/one/where") == (200, "/one/where")
    assert text(client, "/two/where") == (200, "/two/where")
    assert calls == ["bp", "two"]


def test_name_collision_same_blueprint(fw: t.Any, app: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__)
    app.register_blueprint(blueprint)
    with pytest.raises(ValueError) as info:
        app.register_blueprint(blueprint, url_prefix="/again")
    message = str(info.value)
    assert "'bp'" in message
    assert "this blueprint" in message
    assert "name=" in message


def test_name_collision_different_blueprint(fw: t.Any, app: t.Any) -> None:
    app.register_blueprint(fw.Blueprint("bp", __name__))
    with pytest.raises(ValueError) as info:
        app.register_blueprint(fw.Blueprint("bp", __name__))
    message = str(info.value)
    assert "'bp'" in message
    assert "a different blueprint" in message
    assert "name=" in message


def test_name_collision_nested_names_full_name(fw: t.Any, app: t.Any) -> None:
    parent = fw.Blueprint("parent", __name__)
    parent.register_blueprint(fw.Blueprint("child", __name__))
    parent.register_blueprint(fw.Blueprint("child", __name__), url_prefix="/x")
    with pytest.raises(ValueError) as info:
        app.register_blueprint(parent)
    message = str(info.value)
    assert "'child'" in message
    assert "'parent.child'" in message
    assert "a different blueprint" in message


def collision_messages(framework: t.Any) -> list[str]:
    """The ValueError messages of three name collisions on *framework*."""
    messages = []
    application = framework.Flask(__name__)
    blueprint = framework.Blueprint("bp", __name__)
    application.register_blueprint(blueprint)
    for collide in (
        lambda: application.register_blueprint(blueprint),
        lambda: application.register_blueprint(framework.Blueprint("bp", __name__)),
    ):
        with pytest.raises(ValueError) as info:
            collide()
        messages.append(str(info.value))
    parent = framework.Blueprint("parent", __name__)
    parent.register_blueprint(framework.Blueprint("child", __name__))
    parent.register_blueprint(framework.Blueprint("child", __name__))
    with pytest.raises(ValueError) as info:
        application.register_blueprint(parent)
    messages.append(str(info.value))
    return messages


def test_collision_messages_equal_flask() -> None:
    assert collision_messages(microweb_framework(*EXTRA_NAMES)) == collision_messages(
        flask_framework(*EXTRA_NAMES)
    )


@pytest.mark.parametrize("name", ["a.b", ".a", "a."])
def test_dotted_blueprint_name_rejected(fw: t.Any, name: str) -> None:
    with pytest.raises(ValueError, match="dot"):
        fw.Blueprint(name, __name__)


def test_empty_blueprint_name_rejected(fw: t.Any) -> None:
    with pytest.raises(ValueError, match="empty"):
        fw.Blueprint("", __name__)


def test_dotted_endpoint_and_view_name_rejected(fw: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="dot"):
        blueprint.add_url_rule("/x", "a.b", lambda: "x")

    def view() -> str:
        return "x"

    view.__name__ = "a.b"
    with pytest.raises(ValueError, match="dot"):
        blueprint.add_url_rule("/x", view_func=view)
    with pytest.raises(ValueError, match="dot"):
        blueprint.route("/x", endpoint="a.b")(lambda: "x")


def test_register_blueprint_on_itself(fw: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="itself"):
        blueprint.register_blueprint(blueprint)


def test_endpoint_names_and_url_for(fw: t.Any, app: t.Any, client: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__, url_prefix="/bp")

    @blueprint.route("/view")
    def view() -> str:
        return " ".join(
            (
                fw.url_for(".view"),
                fw.url_for("bp.view"),
                fw.url_for("view"),
                fw.url_for(".other", n=3),
            )
        )

    @blueprint.route("/other/<int:n>")
    def other(n: int) -> str:
        return str(n)

    @app.route("/view")
    def app_view() -> str:
        return " ".join((fw.url_for(".view"), fw.url_for("bp.view")))

    app.add_url_rule("/plain", "view", lambda: "plain")
    app.register_blueprint(blueprint)
    assert set(app.view_functions) >= {"bp.view", "bp.other", "view", "app_view"}
    assert text(client, "/bp/view") == (200, "/bp/view /bp/view /plain /bp/other/3")
    assert text(client, "/view") == (200, "/plain /bp/view")
    with app.test_request_context():
        assert fw.url_for("bp.other", n=1, q="x") == "/bp/other/1?q=x"


def test_blueprint_endpoint_decorator_is_unprefixed(
    fw: t.Any, app: t.Any, client: t.Any
) -> None:
    blueprint = fw.Blueprint("bp", __name__)
    blueprint.add_url_rule("/e", "named")

    @blueprint.endpoint("named")
    def named() -> str:
        return "by blueprint endpoint"

    app.add_url_rule("/named", "named", lambda: "app view")
    app.register_blueprint(blueprint)
    assert blueprint.view_functions == {"named": named}
    # Flask copies the blueprint's ``view_functions`` onto the app unprefixed.
    assert app.view_functions["named"] is named
    assert text(client, "/named") == (200, "by blueprint endpoint")
    assert "bp.named" not in app.view_functions
    with pytest.raises(KeyError):
        client.get("/e")


def test_blueprint_method_routes(fw: t.Any, app: t.Any, client: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__, url_prefix="/m")
    blueprint.get("/r")(lambda: "get")
    blueprint.post("/r", endpoint="post_r")(lambda: "post")
    with pytest.raises(TypeError, match="methods"):
        blueprint.get("/r2", methods=["POST"])
    app.register_blueprint(blueprint)
    assert text(client, "/m/r") == (200, "get")
    assert fetch(client, "/m/r", "POST").get_data(as_text=True) == "post"
    assert fetch(client, "/m/r", "DELETE").status_code == 405


# -- nested blueprints ---------------------------------------------------------


def nested(fw: t.Any, events: list[str]) -> tuple[t.Any, t.Any, t.Any]:
    """An app with ``parent`` (``/parent``) holding ``child`` (``/child``), each
    with a view and every hook, logging to *events*."""
    app = new_app(fw)
    parent = fw.Blueprint("parent", __name__, url_prefix="/parent")
    child = fw.Blueprint("child", __name__, url_prefix="/child")

    def info() -> str:
        return f"{fw.request.endpoint} {fw.request.blueprint} {fw.request.blueprints}"

    parent.add_url_rule("/p", "p", info)
    child.add_url_rule("/c", "c", info)
    app.add_url_rule("/a", "a", info)
    for scope, name in ((app, "app"), (parent, "parent"), (child, "child")):
        for number in (1, 2):
            label = f"{name}{number}"

            def before(label: str = label) -> None:
                events.append(f"before {label}")

            def after(response: t.Any, label: str = label) -> t.Any:
                events.append(f"after {label}")
                return response

            def teardown(error: BaseException | None, label: str = label) -> None:
                events.append(f"teardown {label}")

            scope.before_request(before)
            scope.after_request(after)
            scope.teardown_request(teardown)
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    return app, parent, child


def test_nested_prefixes_names_and_request_blueprints(fw: t.Any) -> None:
    app, parent, child = nested(fw, [])
    assert rules(app) == {
        ("/a", "a"),
        ("/parent/p", "parent.p"),
        ("/parent/child/c", "parent.child.c"),
    }
    assert list(app.blueprints) == ["parent", "parent.child"]
    assert app.blueprints["parent.child"] is child
    assert list(app.iter_blueprints()) == [parent, child]
    client = app.test_client()
    assert text(client, "/parent/child/c") == (
        200,
        "parent.child.c parent.child ['parent.child', 'parent']",
    )
    assert text(client, "/parent/p") == (200, "parent.p parent ['parent']")
    assert text(client, "/a") == (200, "a None []")


def test_nested_hook_order(fw: t.Any) -> None:
    events: list[str] = []
    app, _, _ = nested(fw, events)
    client = app.test_client()
    fetch(client, "/parent/child/c")
    assert events == [
        "before app1",
        "before app2",
        "before parent1",
        "before parent2",
        "before child1",
        "before child2",
        "after child2",
        "after child1",
        "after parent2",
        "after parent1",
        "after app2",
        "after app1",
        "teardown child2",
        "teardown child1",
        "teardown parent2",
        "teardown parent1",
        "teardown app2",
        "teardown app1",
    ]
    events.clear()
    fetch(client, "/parent/p")
    assert events == [
        "before app1",
        "before app2",
        "before parent1",
        "before parent2",
        "after parent2",
        "after parent1",
        "after app2",
        "after app1",
        "teardown parent2",
        "teardown parent1",
        "teardown app2",
        "teardown app1",
    ]
    events.clear()
    fetch(client, "/a")
    assert events == [
        "before app1",
        "before app2",
        "after app2",
        "after app1",
        "teardown app2",
        "teardown app1",
    ]
    events.clear()
    assert fetch(client, "/parent/nothing").status_code == 404
    assert events == [
        "before app1",
        "before app2",
        "after app2",
        "after app1",
        "teardown app2",
        "teardown app1",
    ]


def test_blueprint_before_request_short_circuits(
    fw: t.Any, app: t.Any, client: t.Any
) -> None:
    events: list[str] = []
    blueprint = fw.Blueprint("bp", __name__)
    blueprint.add_url_rule("/v", "v", lambda: events.append("view") or "view")

    @blueprint.before_request
    def stop() -> t.Any:
        events.append("stop")
        return "stopped", 403

    @blueprint.before_request
    def never() -> None:
        events.append("never")

    @blueprint.after_request
    def after(response: t.Any) -> t.Any:
        events.append("after")
        response.headers["X-After"] = "yes"
        return response

    app.register_blueprint(blueprint)
    response = fetch(client, "/v")
    assert (response.status_code, response.data) == (403, b"stopped")
    assert response.headers["X-After"] == "yes"
    assert events == ["stop", "after"]


def test_teardown_sees_error(fw: t.Any, app: t.Any, client: t.Any) -> None:
    seen: list[t.Any] = []
    blueprint = fw.Blueprint("bp", __name__)

    @blueprint.route("/boom")
    def boom() -> str:
        raise KeyError("boom")

    blueprint.teardown_request(lambda error: seen.append(type(error).__name__))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.register_blueprint(blueprint)
    assert fetch(client, "/boom").status_code == 500
    assert seen == ["KeyError"]


def test_nested_url_value_preprocessors_scope(fw: t.Any) -> None:
    app = new_app(fw)
    seen: list[tuple[str, str | None, t.Any]] = []
    parent = fw.Blueprint("parent", __name__, url_prefix="/<lang>")
    child = fw.Blueprint("child", __name__, url_prefix="/child")

    def record(scope: str) -> t.Callable[..., None]:
        def preprocess(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
            seen.append((scope, endpoint, dict(values) if values else values))

        return preprocess

    @parent.url_value_preprocessor
    def pop_lang(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        assert values is not None
        fw.g.lang = values.pop("lang")

    app.url_value_preprocessor(record("app"))
    parent.url_value_preprocessor(record("parent"))
    child.url_value_preprocessor(record("child"))
    parent.add_url_rule("/p", "p", lambda: f"p {fw.g.lang}")
    child.add_url_rule("/c/<int:n>", "c", lambda n: f"c {fw.g.lang} {n}")
    app.add_url_rule("/a", "a", lambda: "a")
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    client = app.test_client()
    assert text(client, "/fr/child/c/3") == (200, "c fr 3")
    assert seen == [
        ("app", "parent.child.c", {"lang": "fr", "n": 3}),
        ("parent", "parent.child.c", {"n": 3}),
        ("child", "parent.child.c", {"n": 3}),
    ]
    seen.clear()
    assert text(client, "/de/p") == (200, "p de")
    assert seen == [("app", "parent.p", {"lang": "de"}), ("parent", "parent.p", {})]
    seen.clear()
    assert text(client, "/a") == (200, "a")
    assert seen == [("app", "a", {})]
    seen.clear()
    assert fetch(client, "/nowhere/x/y").status_code == 404
    assert seen == [("app", None, None)]


def test_nested_url_defaults_scope(fw: t.Any) -> None:
    app = new_app(fw)
    parent = fw.Blueprint("parent", __name__, url_prefix="/<lang>")
    child = fw.Blueprint("child", __name__, url_prefix="/child")
    other = fw.Blueprint("other", __name__, url_prefix="/<lang>/other")

    @parent.url_defaults
    def add_lang(endpoint: str, values: dict[str, t.Any]) -> None:
        values.setdefault("lang", "en")

    @child.url_defaults
    def add_page(endpoint: str, values: dict[str, t.Any]) -> None:
        values.setdefault("page", 7)

    parent.add_url_rule("/p", "p", lambda lang: "p")
    child.add_url_rule("/c", "c", lambda lang: "c")
    other.add_url_rule("/o", "o", lambda lang: "o")
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    app.register_blueprint(other)
    with app.test_request_context():
        assert fw.url_for("parent.p") == "/en/p"
        assert fw.url_for("parent.child.c") == "/en/child/c?page=7"
        assert fw.url_for("parent.p", lang="fr") == "/fr/p"
        with pytest.raises(BuildError):
            fw.url_for("other.o")


def test_nested_url_prefix_slashes(fw: t.Any, app: t.Any) -> None:
    parent = fw.Blueprint("parent", __name__, url_prefix="/parent/")
    child = fw.Blueprint("child", __name__, url_prefix="child")
    grandchild = fw.Blueprint("grandchild", __name__)
    child.add_url_rule("/c", "c", lambda: "c")
    grandchild.add_url_rule("/g", "g", lambda: "g")
    child.register_blueprint(grandchild, url_prefix="/gc/")
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert rules(app) == {
        ("/parent/child/c", "parent.child.c"),
        ("/parent/child/gc/g", "parent.child.grandchild.g"),
    }
    assert list(app.blueprints) == [
        "parent",
        "parent.child",
        "parent.child.grandchild",
    ]


def test_nested_register_options_name_and_prefix(
    fw: t.Any, app: t.Any, client: t.Any
) -> None:
    parent = fw.Blueprint("parent", __name__)
    child = echo_blueprint(fw, "child", url_prefix="/ignored")
    parent.register_blueprint(child, name="kid", url_prefix="/kid")
    app.register_blueprint(parent, url_prefix="/top")
    assert rules(app) == {("/top/kid/show", "parent.kid.show")}
    assert text(client, "/top/kid/show") == (200, "parent.kid.show parent.kid")


def test_nested_url_for_relative(fw: t.Any, app: t.Any, client: t.Any) -> None:
    parent = fw.Blueprint("parent", __name__, url_prefix="/parent")
    child = fw.Blueprint("child", __name__, url_prefix="/child")
    parent.add_url_rule("/x", "x", lambda: "parent x")

    @child.route("/x")
    def x() -> str:
        return f"{fw.url_for('.x')} {fw.url_for('parent.x')}"

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert text(client, "/parent/child/x") == (200, "/parent/child/x /parent/x")


# -- error handlers ------------------------------------------------------------


class BlueprintError(Exception):
    pass


def test_blueprint_errorhandler_scope(fw: t.Any, app: t.Any, client: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__, url_prefix="/bp")

    @blueprint.errorhandler(404)
    def bp_404(error: Exception) -> t.Any:
        return "bp 404", 404

    @blueprint.errorhandler(BlueprintError)
    def bp_error(error: Exception) -> t.Any:
        return f"bp handled {error}", 400

    @blueprint.route("/missing")
    def bp_missing() -> str:
        fw.abort(404)

    @blueprint.route("/raise")
    def bp_raise() -> str:
        raise BlueprintError("x")

    @app.route("/missing")
    def app_missing() -> str:
        fw.abort(404)

    @app.route("/raise")
    def app_raise() -> str:
        raise BlueprintError("y")

    app.register_blueprint(blueprint)
    assert text(client, "/bp/missing") == (404, "bp 404")
    assert text(client, "/bp/raise") == (400, "bp handled x")
    response = fetch(client, "/missing")
    assert response.status_code == 404
    assert b"bp 404" not in response.data
    with pytest.raises(BlueprintError):
        client.get("/raise")


def test_blueprint_404_handler_does_not_catch_unmatched(
    fw: t.Any, app: t.Any, client: t.Any
) -> None:
    blueprint = fw.Blueprint("bp", __name__, url_prefix="/bp")
    blueprint.errorhandler(404)(lambda error: ("bp 404", 404))
    blueprint.errorhandler(405)(lambda error: ("bp 405", 405))
    blueprint.add_url_rule("/only-get", "only_get", lambda: "get")
    app.register_blueprint(blueprint)
    for path in ("/bp/nothing", "/nothing"):
        response = fetch(client, path)
        assert response.status_code == 404
        assert b"bp 404" not in response.data
        assert b"Not Found" in response.data
    response = fetch(client, "/bp/only-get", "POST")
    assert response.status_code == 405
    assert b"bp 405" not in response.data


def test_app_404_handler_catches_unmatched(
    fw: t.Any, app: t.Any, client: t.Any
) -> None:
    blueprint = fw.Blueprint("bp", __name__, url_prefix="/bp")
    blueprint.errorhandler(404)(lambda error: ("bp 404", 404))
    app.register_blueprint(blueprint)
    app.errorhandler(404)(lambda error: (f"app 404 {fw.request.blueprint}", 404))
    assert text(client, "/bp/nothing") == (404, "app 404 None")


def test_app_errorhandler_from_blueprint(fw: t.Any, app: t.Any, client: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__)

    @blueprint.app_errorhandler(403)
    def forbidden(error: Exception) -> t.Any:
        return f"app-wide 403 {fw.request.blueprint}", 403

    @blueprint.app_errorhandler(BlueprintError)
    def domain(error: Exception) -> t.Any:
        return "app-wide domain", 409

    blueprint.add_url_rule("/b", "b", lambda: fw.abort(403))
    app.add_url_rule("/a", "a", lambda: fw.abort(403))
    app.add_url_rule("/d", "d", lambda: (_ for _ in ()).throw(BlueprintError()))
    app.register_blueprint(blueprint)
    assert text(client, "/b") == (403, "app-wide 403 bp")
    assert text(client, "/a") == (403, "app-wide 403 None")
    assert text(client, "/d") == (409, "app-wide domain")
    assert text(client, "/nothing")[0] == 404


def test_blueprint_handler_wins_over_app_handler(
    fw: t.Any, app: t.Any, client: t.Any
) -> None:
    parent = fw.Blueprint("parent", __name__, url_prefix="/p")
    child = fw.Blueprint("child", __name__, url_prefix="/c")
    app.errorhandler(BlueprintError)(lambda error: ("app", 500))
    parent.errorhandler(BlueprintError)(lambda error: ("parent", 500))
    parent.errorhandler(LookupError)(lambda error: ("parent lookup", 500))
    child.errorhandler(KeyError)(lambda error: ("child key", 500))

    def raise_(error: Exception) -> t.Callable[[], str]:
        def view() -> str:
            raise error

        return view

    child.add_url_rule("/domain", "domain", raise_(BlueprintError()))
    child.add_url_rule("/index", "index", raise_(IndexError()))
    child.add_url_rule("/key", "key", raise_(KeyError()))
    app.add_url_rule("/domain", "domain", raise_(BlueprintError()))
    parent.register_blueprint(child)
    app.register_blueprint(parent)
    assert text(client, "/p/c/domain") == (500, "parent")
    assert text(client, "/p/c/index") == (500, "parent lookup")
    assert text(client, "/p/c/key") == (500, "child key")
    assert text(client, "/domain") == (500, "app")


def test_blueprint_after_request_sees_error_responses(
    fw: t.Any, app: t.Any, client: t.Any
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.logger.disabled = True
    seen: list[tuple[str | None, int]] = []
    blueprint = fw.Blueprint("bp", __name__)
    blueprint.errorhandler(BlueprintError)(lambda error: ("handled", 418))

    @blueprint.after_request
    def after(response: t.Any) -> t.Any:
        seen.append((fw.request.blueprint, response.status_code))
        return response

    def raise_domain() -> str:
        raise BlueprintError()

    blueprint.add_url_rule("/handled", "handled", raise_domain)
    blueprint.add_url_rule("/crash", "crash", lambda: 1 / 0)
    blueprint.add_url_rule("/abort", "abort", lambda: fw.abort(410))
    app.register_blueprint(blueprint)
    assert text(client, "/handled") == (418, "handled")
    assert fetch(client, "/crash").status_code == 500
    assert fetch(client, "/abort").status_code == 410
    assert seen == [("bp", 418), ("bp", 500), ("bp", 410)]


def test_blueprint_500_handler(fw: t.Any, app: t.Any, client: t.Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    blueprint = fw.Blueprint("bp", __name__)
    blueprint.register_error_handler(500, lambda error: ("bp 500", 500))
    blueprint.add_url_rule("/b", "b", lambda: 1 / 0)
    app.add_url_rule("/a", "a", lambda: 1 / 0)
    app.register_blueprint(blueprint)
    app.logger.disabled = True
    assert text(client, "/b") == (500, "bp 500")
    response = fetch(client, "/a")
    assert response.status_code == 500
    assert b"bp 500" not in response.data


# -- app-wide registration from a blueprint ------------------------------------


def test_app_hooks_from_blueprint(fw: t.Any, app: t.Any, client: t.Any) -> None:
    events: list[str] = []
    blueprint = fw.Blueprint("bp", __name__)

    @blueprint.before_app_request
    def before() -> None:
        events.append(f"before {fw.request.endpoint}")

    @blueprint.after_app_request
    def after(response: t.Any) -> t.Any:
        events.append(f"after {fw.request.endpoint}")
        response.headers["X-App"] = "1"
        return response

    @blueprint.teardown_app_request
    def teardown(error: BaseException | None) -> None:
        events.append(f"teardown {error}")

    @blueprint.app_url_value_preprocessor
    def preprocess(endpoint: str | None, values: dict[str, t.Any] | None) -> None:
        events.append(f"preprocess {endpoint}")

    @blueprint.app_url_defaults
    def defaults(endpoint: str, values: dict[str, t.Any]) -> None:
        if endpoint == "item":
            values.setdefault("n", 5)

    blueprint.add_url_rule("/b", "b", lambda: "b")
    app.add_url_rule("/item/<int:n>", "item", lambda n: fw.url_for("item"))
    app.register_blueprint(blueprint)
    response = fetch(client, "/item/1")
    assert response.data == b"/item/5"
    assert response.headers["X-App"] == "1"
    assert events == [
        "preprocess item",
        "before item",
        "after item",
        "teardown None",
    ]
    events.clear()
    response = fetch(client, "/nothing")
    assert response.status_code == 404
    assert response.headers["X-App"] == "1"
    assert events == ["preprocess None", "before None", "after None", "teardown None"]


def test_app_hooks_registered_once(fw: t.Any, app: t.Any, client: t.Any) -> None:
    events: list[str] = []
    blueprint = fw.Blueprint("bp", __name__)
    blueprint.before_app_request(lambda: events.append("before") and None)
    app.register_blueprint(blueprint)
    app.register_blueprint(blueprint, name="again")
    app.add_url_rule("/", "index", lambda: "i")
    fetch(client)
    assert events == ["before"]


def test_context_processors_registration(fw: t.Any, app: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__)

    def for_app() -> dict[str, t.Any]:
        return {"a": 1}

    def for_blueprint() -> dict[str, t.Any]:
        return {"b": 2}

    assert blueprint.app_context_processor(for_app) is for_app
    assert blueprint.context_processor(for_blueprint) is for_blueprint
    app.register_blueprint(blueprint)
    assert for_app in app.template_context_processors[None]
    assert app.template_context_processors["bp"][-1] is for_blueprint


def test_hook_decorators_return_function(fw: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__)

    def function(*args: t.Any) -> None:
        return None

    for decorator in (
        blueprint.before_request,
        blueprint.after_request,
        blueprint.teardown_request,
        blueprint.url_value_preprocessor,
        blueprint.url_defaults,
        blueprint.before_app_request,
        blueprint.after_app_request,
        blueprint.teardown_app_request,
        blueprint.app_url_value_preprocessor,
        blueprint.app_url_defaults,
        blueprint.errorhandler(404),
        blueprint.app_errorhandler(500),
        blueprint.route("/x"),
    ):
        assert decorator(function) is function


# -- record and record_once ----------------------------------------------------


def test_record_and_record_once(fw: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__, url_prefix="/bp", subdomain="s")
    every: list[tuple[t.Any, ...]] = []
    once: list[tuple[t.Any, ...]] = []

    @blueprint.record
    def on_every(state: t.Any) -> None:
        every.append(
            (
                state.app,
                state.blueprint is blueprint,
                state.first_registration,
                state.url_prefix,
                state.subdomain,
                state.name,
                dict(state.options),
            )
        )

    @blueprint.record_once
    def on_first(state: t.Any) -> None:
        once.append((state.app, state.first_registration, state.name))

    first_app = new_app(fw)
    second_app = new_app(fw)
    first_app.register_blueprint(blueprint)
    first_app.register_blueprint(
        blueprint, name="two", url_prefix="/two", subdomain="t"
    )
    second_app.register_blueprint(blueprint, name="three")
    assert every == [
        (first_app, True, True, "/bp", "s", "bp", {}),
        (
            first_app,
            True,
            False,
            "/two",
            "t",
            "two",
            {"name": "two", "url_prefix": "/two", "subdomain": "t"},
        ),
        (second_app, True, True, "/bp", "s", "three", {"name": "three"}),
    ]
    assert once == [(first_app, True, "bp"), (second_app, True, "three")]


def test_record_state_add_url_rule(fw: t.Any, app: t.Any, client: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__, url_prefix="/bp")

    @blueprint.record
    def add_rule(state: t.Any) -> None:
        state.add_url_rule("/added", "added", lambda: f"added to {state.name}")

    app.register_blueprint(blueprint)
    app.register_blueprint(blueprint, name="other", url_prefix="/o")
    assert rules(app) == {("/bp/added", "bp.added"), ("/o/added", "other.added")}
    assert text(client, "/o/added") == (200, "added to other")


# -- setup after registration --------------------------------------------------


@pytest.mark.parametrize(
    "setup",
    [
        lambda bp: bp.route("/late")(lambda: "late"),
        lambda bp: bp.add_url_rule("/late", "late", lambda: "late"),
        lambda bp: bp.before_request(lambda: None),
        lambda bp: bp.after_request(lambda response: response),
        lambda bp: bp.teardown_request(lambda error: None),
        lambda bp: bp.errorhandler(404)(lambda error: "x"),
        lambda bp: bp.register_error_handler(KeyError, lambda error: "x"),
        lambda bp: bp.url_value_preprocessor(lambda endpoint, values: None),
        lambda bp: bp.url_defaults(lambda endpoint, values: None),
        lambda bp: bp.before_app_request(lambda: None),
        lambda bp: bp.app_errorhandler(404)(lambda error: "x"),
        lambda bp: bp.record(lambda state: None),
        lambda bp: bp.record_once(lambda state: None),
        lambda bp: bp.endpoint("late")(lambda: "late"),
    ],
)
def test_setup_after_registration_raises(
    fw: t.Any, app: t.Any, setup: t.Callable[[t.Any], t.Any]
) -> None:
    blueprint = fw.Blueprint("bp", __name__)
    app.register_blueprint(blueprint)
    with pytest.raises(AssertionError) as info:
        setup(blueprint)
    message = str(info.value)
    assert "can no longer be called on the blueprint 'bp'" in message
    assert "already been registered" in message


def test_register_blueprint_after_first_request_raises(
    fw: t.Any, app: t.Any, client: t.Any
) -> None:
    app.add_url_rule("/", "index", lambda: "i")
    fetch(client)
    with pytest.raises(AssertionError, match="register_blueprint"):
        app.register_blueprint(fw.Blueprint("bp", __name__))


def test_app_blueprints_and_iter_blueprints(fw: t.Any, app: t.Any) -> None:
    first = fw.Blueprint("first", __name__)
    second = fw.Blueprint("second", __name__)
    assert app.blueprints == {}
    assert list(app.iter_blueprints()) == []
    app.register_blueprint(second)
    app.register_blueprint(first)
    app.register_blueprint(first, name="third")
    assert app.blueprints == {"second": second, "first": first, "third": first}
    assert list(app.iter_blueprints()) == [second, first, first]


# -- static files --------------------------------------------------------------


def write(path: t.Any, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


@pytest.fixture
def site(tmp_path: t.Any) -> t.Any:
    """A root path with ``static/`` files, a blueprint ``assets/`` folder and a
    secret file beside them."""
    write(tmp_path / "static" / "hello.txt", b"hello, static world\n")
    write(tmp_path / "static" / "css" / "site.css", b"body { color: red }\n")
    write(tmp_path / "static" / "data.json", b'{"a": 1}')
    write(tmp_path / "assets" / "bp.txt", b"blueprint file")
    write(tmp_path / "secret.txt", b"top secret")
    return tmp_path


def test_app_static_default_route(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    [rule] = [rule for rule in app.url_map.iter_rules() if rule.endpoint == "static"]
    assert rule.rule == "/static/<path:filename>"
    assert app.static_folder == os.path.join(str(site), "static")
    assert app.static_url_path == "/static"
    assert app.has_static_folder
    client = app.test_client()
    response = fetch(client, "/static/hello.txt")
    assert response.status_code == 200
    assert response.data == b"hello, static world\n"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Length"] == "20"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Accept-Ranges"] == "bytes"
    assert "Last-Modified" in response.headers
    assert response.headers["ETag"]
    response = fetch(client, "/static/css/site.css")
    assert response.data == b"body { color: red }\n"
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert fetch(client, "/static/data.json").headers["Content-Type"] == (
        "application/json"
    )
    with app.test_request_context():
        assert fw.url_for("static", filename="css/site.css") == "/static/css/site.css"


def test_app_static_missing_and_traversal(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    client = app.test_client()
    for path in (
        "/static/missing.txt",
        "/static/../secret.txt",
        "/static/css/../../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/css",
        "/static/",
    ):
        response = fetch(client, path)
        assert response.status_code == 404, path
        assert b"top secret" not in response.data


def test_app_static_conditional_304(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    client = app.test_client()
    first = fetch(client, "/static/hello.txt")
    etag = first.headers["ETag"]
    response = fetch(client, "/static/hello.txt", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    response = fetch(
        client,
        "/static/hello.txt",
        headers={"If-Modified-Since": first.headers["Last-Modified"]},
    )
    assert response.status_code == 304
    response = fetch(client, "/static/hello.txt", headers={"If-None-Match": '"other"'})
    assert response.status_code == 200
    assert response.data == b"hello, static world\n"


def test_app_static_range_206(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    client = app.test_client()
    response = fetch(client, "/static/hello.txt", headers={"Range": "bytes=0-4"})
    assert response.status_code == 206
    assert response.data == b"hello"
    assert response.headers["Content-Range"] == "bytes 0-4/20"
    assert response.headers["Content-Length"] == "5"
    response = fetch(client, "/static/hello.txt", headers={"Range": "bytes=-6"})
    assert response.status_code == 206
    assert response.data == b"world\n"
    response = fetch(client, "/static/hello.txt", headers={"Range": "bytes=50-60"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */20"


def test_app_static_head(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    response = fetch(app.test_client(), "/static/hello.txt", "HEAD")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == "20"


def test_app_static_url_path_and_folder_options(fw: t.Any, site: t.Any) -> None:
    app = new_app(
        fw, root_path=str(site), static_folder="assets", static_url_path="/files"
    )
    client = app.test_client()
    assert text(client, "/files/bp.txt") == (200, "blueprint file")
    assert fetch(client, "/static/hello.txt").status_code == 404
    none_app = new_app(fw, root_path=str(site), static_folder=None)
    assert not none_app.has_static_folder
    assert none_app.static_url_path is None
    assert "static" not in {rule.endpoint for rule in none_app.url_map.iter_rules()}


def test_send_file_max_age_default(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    client = app.test_client()
    response = fetch(client, "/static/hello.txt")
    assert response.headers["Cache-Control"] == "public, max-age=3600"
    assert "Expires" in response.headers
    app = new_app(fw, root_path=str(site))
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = datetime.timedelta(minutes=2)
    with app.test_request_context():
        assert app.get_send_file_max_age("x.txt") == 120
    response = fetch(app.test_client(), "/static/hello.txt")
    assert response.headers["Cache-Control"] == "public, max-age=120"


def test_blueprint_static_folder(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    blueprint = fw.Blueprint(
        "bp",
        __name__,
        url_prefix="/bp",
        static_folder="assets",
        static_url_path="/files",
        root_path=str(site),
    )
    assert blueprint.has_static_folder
    assert blueprint.static_folder == os.path.join(str(site), "assets")
    assert blueprint.static_url_path == "/files"
    app.register_blueprint(blueprint)
    assert ("/bp/files/<path:filename>", "bp.static") in {
        (rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()
    }
    client = app.test_client()
    response = fetch(client, "/bp/files/bp.txt")
    assert response.status_code == 200
    assert response.data == b"blueprint file"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert fetch(client, "/bp/files/missing.txt").status_code == 404
    for path in ("/bp/files/../secret.txt", "/bp/files/%2e%2e/secret.txt"):
        response = fetch(client, path)
        assert response.status_code == 404, path
        assert b"top secret" not in response.data
    with app.test_request_context():
        assert fw.url_for("bp.static", filename="bp.txt") == "/bp/files/bp.txt"


def test_blueprint_static_default_url_path(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    blueprint = fw.Blueprint(
        "bp", __name__, static_folder="assets", root_path=str(site)
    )
    assert blueprint.static_url_path == "/assets"
    app.register_blueprint(blueprint, url_prefix="/b")
    client = app.test_client()
    assert text(client, "/b/assets/bp.txt") == (200, "blueprint file")
    response = fetch(client, "/static/hello.txt")
    assert response.data == b"hello, static world\n"


def test_a_viewless_rule_under_a_blueprint_route_builds_urls(fw: t.Any) -> None:
    """Flask's tutorial: the blog blueprint serves "/", and the app adds "/" for
    the endpoint "index" with no view, so that ``url_for("index")`` works."""
    app = new_app(fw)
    blog = fw.Blueprint("blog", __name__)

    @blog.route("/")
    def index() -> str:
        return "blog index"

    app.register_blueprint(blog)
    app.add_url_rule("/", endpoint="index")
    assert text(app.test_client(), "/") == (200, "blog index")
    with app.test_request_context():
        assert fw.url_for("index") == "/"
        assert fw.url_for("blog.index") == "/"
        assert fw.url_for("index", _external=True) == "http://localhost/"


def test_blueprint_static_under_the_app_static_url(fw: t.Any, site: t.Any) -> None:
    """A blueprint with a static folder and no URL prefix registers: the app's
    static route serves those URLs, and the blueprint's endpoint builds them."""
    write(site / "parts" / "static" / "part.txt", b"part file")
    app = new_app(fw, root_path=str(site))
    blueprint = fw.Blueprint(
        "parts", __name__, static_folder="static", root_path=str(site / "parts")
    )
    assert blueprint.static_url_path == "/static"
    app.register_blueprint(blueprint)
    client = app.test_client()
    assert text(client, "/static/hello.txt") == (200, "hello, static world\n")
    assert fetch(client, "/static/part.txt").status_code == 404
    with app.test_request_context():
        assert fw.url_for("parts.static", filename="part.txt") == "/static/part.txt"


def test_blueprint_static_without_an_app_static_route(fw: t.Any, site: t.Any) -> None:
    write(site / "parts" / "static" / "part.txt", b"part file")
    app = new_app(fw, root_path=str(site), static_folder=None)
    blueprint = fw.Blueprint(
        "parts", __name__, static_folder="static", root_path=str(site / "parts")
    )
    app.register_blueprint(blueprint)
    client = app.test_client()
    assert text(client, "/static/part.txt") == (200, "part file")
    assert fetch(client, "/static/hello.txt").status_code == 404


def test_blueprint_static_trailing_slashes(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    slashed_url = fw.Blueprint(
        "bp",
        __name__,
        url_prefix="/bp",
        static_folder="assets",
        static_url_path="/files/",
        root_path=str(site),
    )
    assert slashed_url.static_url_path == "/files"
    slashed_folder = fw.Blueprint(
        "other", __name__, static_folder="assets/", root_path=str(site)
    )
    assert slashed_folder.static_folder == os.path.join(str(site), "assets")
    assert slashed_folder.static_url_path == "/assets"
    app.register_blueprint(slashed_url)
    app.register_blueprint(slashed_folder, url_prefix="/o")
    assert {
        (rule.rule, rule.endpoint)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.endswith(".static")
    } == {
        ("/bp/files/<path:filename>", "bp.static"),
        ("/o/assets/<path:filename>", "other.static"),
    }
    client = app.test_client()
    assert text(client, "/bp/files/bp.txt") == (200, "blueprint file")
    assert text(client, "/o/assets/bp.txt") == (200, "blueprint file")


def test_blueprint_static_setters(fw: t.Any, site: t.Any) -> None:
    blueprint = fw.Blueprint(
        "bp", __name__, static_folder="assets", root_path=str(site)
    )
    blueprint.static_folder = "other/"
    assert blueprint.static_folder == os.path.join(str(site), "other")
    assert blueprint.static_url_path == "/other"
    blueprint.static_url_path = "/y/"
    assert blueprint.static_url_path == "/y"
    blueprint.static_folder = None
    assert not blueprint.has_static_folder


def test_app_static_trailing_slashes(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site), static_url_path="/s/")
    assert app.static_url_path == "/s"
    assert ("/s/<path:filename>", "static") in {
        (rule.rule, rule.endpoint) for rule in app.url_map.iter_rules()
    }
    assert text(app.test_client(), "/s/hello.txt") == (200, "hello, static world\n")
    app = new_app(fw, root_path=str(site), static_folder="static/")
    assert app.static_folder == os.path.join(str(site), "static")
    assert app.static_url_path == "/static"
    assert text(app.test_client(), "/static/hello.txt") == (
        200,
        "hello, static world\n",
    )


def test_app_static_empty_url_path(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site), static_url_path="")
    assert app.static_url_path == ""
    assert text(app.test_client(), "/hello.txt") == (200, "hello, static world\n")


def test_blueprint_without_static_folder(fw: t.Any, app: t.Any) -> None:
    blueprint = fw.Blueprint("bp", __name__)
    assert not blueprint.has_static_folder
    assert blueprint.static_folder is None
    assert blueprint.static_url_path is None
    app.register_blueprint(blueprint)
    assert "bp.static" not in {rule.endpoint for rule in app.url_map.iter_rules()}
    with app.test_request_context(), pytest.raises(RuntimeError, match="static"):
        blueprint.send_static_file("x")


def test_send_static_file_in_view(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    app.add_url_rule("/hello", "hello", lambda: app.send_static_file("hello.txt"))
    assert text(app.test_client(), "/hello") == (200, "hello, static world\n")


# -- send_file and send_from_directory -----------------------------------------


def test_send_file_path(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    absolute = str(site / "static" / "hello.txt")
    app.add_url_rule("/abs", "abs", lambda: fw.send_file(absolute))
    app.add_url_rule("/rel", "rel", lambda: fw.send_file("secret.txt"))
    app.add_url_rule(
        "/download",
        "download",
        lambda: fw.send_file(absolute, as_attachment=True, download_name="r\u00e9.txt"),
    )
    app.add_url_rule(
        "/typed", "typed", lambda: fw.send_file(absolute, mimetype="text/x-custom")
    )
    client = app.test_client()
    response = fetch(client, "/abs")
    assert response.data == b"hello, static world\n"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Content-Disposition"] == "inline; filename=hello.txt"
    assert text(client, "/rel") == (200, "top secret")
    response = fetch(client, "/download")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=re.txt; filename*=UTF-8''r%C3%A9.txt"
    )
    response = fetch(client, "/typed")
    assert response.headers["Content-Type"] == "text/x-custom; charset=utf-8"


def test_send_file_bytesio(fw: t.Any, app: t.Any, client: t.Any) -> None:
    @app.route("/csv")
    def csv() -> t.Any:
        return fw.send_file(
            io.BytesIO(b"a,b\n1,2\n"), download_name="report.csv", as_attachment=True
        )

    @app.route("/inline")
    def inline() -> t.Any:
        return fw.send_file(io.BytesIO(b"\x89PNG"), mimetype="image/png")

    @app.route("/unnamed")
    def unnamed() -> t.Any:
        return fw.send_file(io.BytesIO(b"x"))

    response = fetch(client, "/csv")
    assert response.status_code == 200
    assert response.data == b"a,b\n1,2\n"
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == "attachment; filename=report.csv"
    assert "ETag" not in response.headers
    response = fetch(client, "/inline")
    assert response.data == b"\x89PNG"
    assert response.headers["Content-Type"] == "image/png"
    assert "Content-Disposition" not in response.headers
    with pytest.raises(TypeError, match="mimetype"):
        client.get("/unnamed")


def test_send_file_etag_and_conditional_options(
    fw: t.Any, app: t.Any, client: t.Any
) -> None:
    app.add_url_rule(
        "/plain",
        "plain",
        lambda: fw.send_file(
            io.BytesIO(b"abc"), mimetype="text/plain", etag=False, conditional=False
        ),
    )
    app.add_url_rule(
        "/tagged",
        "tagged",
        lambda: fw.send_file(
            io.BytesIO(b"abc"), mimetype="text/plain", etag="xyz", last_modified=0
        ),
    )
    response = fetch(client, "/plain", headers={"Range": "bytes=0-0"})
    assert (response.status_code, response.data) == (200, b"abc")
    assert "ETag" not in response.headers
    assert "Accept-Ranges" not in response.headers
    response = fetch(client, "/tagged", headers={"If-None-Match": '"xyz"'})
    assert response.status_code == 304
    assert response.headers["ETag"] == '"xyz"'
    response = fetch(client, "/tagged", headers={"Range": "bytes=1-"})
    assert (response.status_code, response.data) == (206, b"bc")
    assert response.headers["Last-Modified"] == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_send_file_missing_path_raises(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    app.add_url_rule("/m", "m", lambda: fw.send_file("missing.txt"))
    with pytest.raises(FileNotFoundError):
        app.test_client().get("/m")


def test_use_x_sendfile(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    app.config["USE_X_SENDFILE"] = True
    response = fetch(app.test_client(), "/static/hello.txt")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["X-Sendfile"] == str(site / "static" / "hello.txt")
    assert response.headers["Content-Length"] == "20"


def test_send_file_max_age_argument_and_config(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 60
    app.add_url_rule("/cfg", "cfg", lambda: fw.send_file("secret.txt"))
    app.add_url_rule("/arg", "arg", lambda: fw.send_file("secret.txt", max_age=10))
    client = app.test_client()
    assert fetch(client, "/cfg").headers["Cache-Control"] == "public, max-age=60"
    assert fetch(client, "/arg").headers["Cache-Control"] == "public, max-age=10"


def test_send_from_directory(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))

    @app.route("/files/<path:name>")
    def files(name: str) -> t.Any:
        return fw.send_from_directory(str(site / "static"), name)

    @app.route("/relative/<path:name>")
    def relative(name: str) -> t.Any:
        return fw.send_from_directory("static", name, as_attachment=True)

    client = app.test_client()
    assert text(client, "/files/css/site.css") == (200, "body { color: red }\n")
    response = fetch(client, "/relative/hello.txt")
    assert response.data == b"hello, static world\n"
    assert response.headers["Content-Disposition"] == "attachment; filename=hello.txt"
    for path in ("/files/missing", "/files/../secret.txt", "/files/%2e%2e/secret.txt"):
        response = fetch(client, path)
        assert response.status_code == 404, path
        assert b"top secret" not in response.data


def test_send_from_directory_raises_not_found(fw: t.Any, site: t.Any) -> None:
    app = new_app(fw, root_path=str(site))
    with app.test_request_context():
        with pytest.raises(NotFound):
            fw.send_from_directory(str(site / "static"), "../secret.txt")
        with pytest.raises(NotFound):
            fw.send_from_directory(str(site / "static"), "missing.txt")
        response = fw.send_from_directory(str(site / "static"), "hello.txt")
        response.close()
        assert response.status_code == 200
