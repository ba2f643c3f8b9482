"""Flask's dispatch methods: ``full_dispatch_request``, ``preprocess_request``,
``dispatch_request`` and ``raise_routing_exception``.

Called directly (inside ``test_request_context``, as Flask's testing docs do), they
run the hooks and the view of the current request. Overridden, they serve every
request: the dispatch core matches it, then hands it to ``full_dispatch_request``.
Each test runs on Flask (the reference) and on microweb; the override tests run
on microweb once per core (``NativeApp`` and ``PureApp``).
"""

from __future__ import annotations

import typing as t

import flask
import pytest
from conftest import both_frameworks, fetch, pinned_app_class
from werkzeug.exceptions import Gone, MethodNotAllowed, NotFound

import microweb
from microweb import dispatch

fw = both_frameworks("Blueprint", "request_started")


class Flavour(t.NamedTuple):
    """An app class to subclass and the names of its framework."""

    app_class: type
    request: t.Any
    request_started: t.Any


@pytest.fixture(params=["flask", "c", "py"])
def flavour(request: pytest.FixtureRequest) -> Flavour:
    """Flask, then microweb on its compiled cores, then on its pure ones."""
    if request.param == "flask":
        return Flavour(flask.Flask, flask.request, flask.request_started)
    return Flavour(
        pinned_app_class(request.param), microweb.request, microweb.request_started
    )


def shop_app(fw: t.Any, calls: list[t.Any]) -> t.Any:
    """An app with a hook of each kind on the app, on a blueprint ``shop`` and on
    ``shop.admin`` nested in it, each recording itself in *calls*."""
    app = fw.Flask(__name__)
    shop = fw.Blueprint("shop", __name__)
    admin = fw.Blueprint("admin", __name__)
    for owner, name in ((app, "app"), (shop, "shop"), (admin, "admin")):

        def preprocess(endpoint: t.Any, values: t.Any, name: str = name) -> None:
            calls.append(("preprocess", name, endpoint, dict(values or {})))

        def before(name: str = name) -> None:
            calls.append(("before", name))

        owner.url_value_preprocessor(preprocess)
        owner.before_request(before)

    @admin.route("/users/<name>")
    def user(name: str) -> str:
        calls.append(("view", name))
        return f"user {name}"

    shop.register_blueprint(admin, url_prefix="/admin")
    app.register_blueprint(shop, url_prefix="/shop")
    return app


# -------------------------------------------------------------- called directly


def test_preprocess_request_runs_the_hooks_app_first_then_outermost_in(
    fw: t.Any,
) -> None:
    calls: list[t.Any] = []
    app = shop_app(fw, calls)
    with app.test_request_context("/shop/admin/users/ann"):
        assert app.preprocess_request() is None
    endpoint = "shop.admin.user"
    values = {"name": "ann"}
    assert calls == [
        ("preprocess", "app", endpoint, values),
        ("preprocess", "shop", endpoint, values),
        ("preprocess", "admin", endpoint, values),
        ("before", "app"),
        ("before", "shop"),
        ("before", "admin"),
    ]


def test_preprocess_request_returns_the_first_answer_and_stops(fw: t.Any) -> None:
    app = fw.Flask(__name__)
    calls: list[str] = []

    @app.before_request
    def first() -> None:
        calls.append("first")

    @app.before_request
    def second() -> str:
        calls.append("second")
        return "stopped"

    @app.before_request
    def third() -> None:
        calls.append("third")

    with app.test_request_context("/"):
        assert app.preprocess_request() == "stopped"
    assert calls == ["first", "second"]


def test_preprocess_request_lets_hooks_set_g_for_the_view(fw: t.Any) -> None:
    app = fw.Flask(__name__)

    @app.before_request
    def load_user() -> None:
        fw.g.user = "ann"

    @app.route("/")
    def index() -> str:
        return f"hello {fw.g.user}"

    with app.test_request_context("/"):
        app.preprocess_request()
        assert app.dispatch_request() == "hello ann"


def test_preprocess_request_without_a_match_passes_no_endpoint(fw: t.Any) -> None:
    app = fw.Flask(__name__)
    seen: list[t.Any] = []

    @app.url_value_preprocessor
    def preprocess(endpoint: t.Any, values: t.Any) -> None:
        seen.append((endpoint, values))

    with app.test_request_context("/nowhere"):
        assert app.preprocess_request() is None
    assert seen == [(None, None)]


def test_dispatch_request_calls_the_view_with_the_url_values(fw: t.Any) -> None:
    app = fw.Flask(__name__)

    @app.route("/items/<int:item_id>/<slug>")
    def item(item_id: int, slug: str) -> tuple[int, str]:
        return item_id, slug

    with app.test_request_context("/items/7/red-hat"):
        assert app.dispatch_request() == (7, "red-hat")


def test_dispatch_request_returns_the_view_value_unconverted(fw: t.Any) -> None:
    app = fw.Flask(__name__)

    @app.route("/")
    def index() -> dict[str, int]:
        return {"n": 1}

    with app.test_request_context("/"):
        assert app.dispatch_request() == {"n": 1}


@pytest.mark.parametrize(
    ("path", "method", "error"),
    [("/nowhere", "GET", NotFound), ("/", "POST", MethodNotAllowed)],
)
def test_dispatch_request_raises_the_routing_error(
    fw: t.Any, path: str, method: str, error: type[Exception]
) -> None:
    app = fw.Flask(__name__)
    app.add_url_rule("/", "index", lambda: "index")
    with app.test_request_context(path, method=method):
        with pytest.raises(error):
            app.dispatch_request()


def test_dispatch_request_answers_automatic_options(fw: t.Any) -> None:
    app = fw.Flask(__name__)
    app.add_url_rule("/", "index", lambda: "index", methods=["GET", "POST"])
    with app.test_request_context("/", method="OPTIONS"):
        response = app.dispatch_request()
    assert set(response.allow) == {"GET", "HEAD", "POST", "OPTIONS"}


def test_dispatch_request_leaves_options_to_a_view_that_takes_it(fw: t.Any) -> None:
    app = fw.Flask(__name__)

    @app.route("/", methods=["GET", "OPTIONS"], provide_automatic_options=False)
    def index() -> str:
        return f"view saw {fw.request.method}"

    with app.test_request_context("/", method="OPTIONS"):
        assert app.dispatch_request() == "view saw OPTIONS"


def test_dispatch_request_raises_key_error_for_an_endpoint_without_view(
    fw: t.Any,
) -> None:
    app = fw.Flask(__name__)
    app.add_url_rule("/", "orphan")
    with app.test_request_context("/"), pytest.raises(KeyError):
        app.dispatch_request()


def test_full_dispatch_request_makes_the_response_and_runs_after_hooks(
    fw: t.Any,
) -> None:
    app = fw.Flask(__name__)
    started: list[t.Any] = []

    @app.route("/")
    def index() -> str:
        return "hello"

    @app.after_request
    def stamp(response: t.Any) -> t.Any:
        response.headers["X-Stamp"] = "yes"
        return response

    def on_started(sender: t.Any, **extra: t.Any) -> None:
        started.append(sender)

    fw.request_started.connect(on_started)
    try:
        with app.test_request_context("/"):
            response = app.full_dispatch_request()
    finally:
        fw.request_started.disconnect(on_started)
    assert (response.status_code, response.get_data(), response.headers["X-Stamp"]) == (
        200,
        b"hello",
        "yes",
    )
    assert started == [app]


def test_full_dispatch_request_hands_errors_to_the_handlers(fw: t.Any) -> None:
    app = fw.Flask(__name__)

    @app.errorhandler(404)
    def not_found(error: t.Any) -> tuple[str, int]:
        return "no such page", 404

    with app.test_request_context("/nowhere"):
        response = app.full_dispatch_request()
    assert (response.status_code, response.get_data()) == (404, b"no such page")


def test_dispatch_methods_need_a_request_context(fw: t.Any) -> None:
    app = fw.Flask(__name__)
    for method in (app.preprocess_request, app.dispatch_request):
        with pytest.raises(RuntimeError, match="outside of request context"):
            method()
    with app.app_context():
        with pytest.raises(RuntimeError, match="outside of request context"):
            app.dispatch_request()


# -------------------------------------------------------------- overridden


def routes(app: t.Any) -> t.Any:
    """``/`` (GET) and ``/users/<name>`` on *app*, which is returned."""
    app.add_url_rule("/", "index", lambda: "index")
    app.add_url_rule("/users/<name>", "user", lambda name: f"user {name}")
    return app


def test_an_overridden_dispatch_request_serves_every_request(
    flavour: Flavour,
) -> None:
    class Shouting(flavour.app_class):  # type: ignore[name-defined,misc]
        def dispatch_request(self) -> t.Any:
            try:
                rv = super().dispatch_request()
            except NotFound:
                return "NOT HERE", 404
            return rv.upper()

    client = routes(Shouting(__name__)).test_client()
    answers = [fetch(client, path) for path in ("/", "/users/ann", "/nowhere")]
    assert [(r.status_code, r.get_data()) for r in answers] == [
        (200, b"INDEX"),
        (200, b"USER ANN"),
        (404, b"NOT HERE"),
    ]
    assert fetch(client, "/", "DELETE").status_code == 405


def test_an_overridden_preprocess_request_runs_once_per_request(
    flavour: Flavour,
) -> None:
    calls: list[str] = []

    class Gated(flavour.app_class):  # type: ignore[name-defined,misc]
        def preprocess_request(self) -> t.Any:
            calls.append(flavour.request.path)
            if flavour.request.path.startswith("/users/"):
                return "members only", 403
            return super().preprocess_request()

    app = routes(Gated(__name__))
    before: list[str] = []
    app.before_request(lambda: before.append("hook"))
    client = app.test_client()
    assert fetch(client, "/").get_data() == b"index"
    blocked = fetch(client, "/users/ann")
    assert (blocked.status_code, blocked.get_data()) == (403, b"members only")
    assert calls == ["/", "/users/ann"]
    assert before == ["hook"]


def test_an_overridden_full_dispatch_request_sees_every_response(
    flavour: Flavour,
) -> None:
    class Counting(flavour.app_class):  # type: ignore[name-defined,misc]
        served = 0

        def full_dispatch_request(self) -> t.Any:
            response = super().full_dispatch_request()
            type(self).served += 1
            response.headers["X-Served"] = str(self.served)
            return response

    client = routes(Counting(__name__)).test_client()
    answers = [fetch(client, path) for path in ("/", "/nowhere", "/users/bo")]
    assert [(r.status_code, r.headers["X-Served"]) for r in answers] == [
        (200, "1"),
        (404, "2"),
        (200, "3"),
    ]


def test_an_overridden_raise_routing_exception_changes_the_error(
    flavour: Flavour,
) -> None:
    class Retired(flavour.app_class):  # type: ignore[name-defined,misc]
        def raise_routing_exception(self, request: t.Any) -> t.NoReturn:
            if isinstance(request.routing_exception, NotFound):
                raise Gone()
            raise request.routing_exception

    client = routes(Retired(__name__)).test_client()
    assert fetch(client, "/nowhere").status_code == 410
    assert fetch(client, "/", "POST").status_code == 405
    assert fetch(client, "/").get_data() == b"index"


def test_an_override_sends_request_started_once(flavour: Flavour) -> None:
    class Overriding(flavour.app_class):  # type: ignore[name-defined,misc]
        def dispatch_request(self) -> t.Any:
            return super().dispatch_request()

    app = routes(Overriding(__name__))
    started: list[t.Any] = []

    def on_started(sender: t.Any, **extra: t.Any) -> None:
        started.append(sender)

    flavour.request_started.connect(on_started)
    try:
        fetch(app.test_client(), "/")
    finally:
        flavour.request_started.disconnect(on_started)
    assert started == [app]


def test_a_dispatch_method_set_on_the_instance_after_serving_is_used(
    flavour: Flavour,
) -> None:
    app = routes(flavour.app_class(__name__))
    client = app.test_client()
    assert fetch(client, "/").get_data() == b"index"
    app.dispatch_request = lambda: "replaced"
    assert fetch(client, "/").get_data() == b"replaced"


def test_an_override_reads_the_view_functions_on_each_request(
    flavour: Flavour,
) -> None:
    class Overriding(flavour.app_class):  # type: ignore[name-defined,misc]
        def dispatch_request(self) -> t.Any:
            return super().dispatch_request()

    app = routes(Overriding(__name__))
    client = app.test_client()
    assert fetch(client, "/").get_data() == b"index"
    app.view_functions["index"] = lambda: "swapped"
    assert fetch(client, "/").get_data() == b"swapped"


# -------------------------------------------------------------- which path serves


def test_the_core_serves_an_app_that_overrides_nothing(
    dispatch_app_class: type,
) -> None:
    app = routes(dispatch_app_class(__name__))
    assert dispatch.build(app, app.dispatch_core).delegate is None


@pytest.mark.parametrize("name", dispatch.DISPATCH_METHODS)
def test_an_app_overriding_a_dispatch_method_is_served_through_it(
    dispatch_app_class: type, name: str
) -> None:
    def passthrough(self: t.Any, *args: t.Any) -> t.Any:
        return getattr(super(subclass, self), name)(*args)

    subclass = type("Overriding", (dispatch_app_class,), {name: passthrough})
    app = routes(subclass(__name__))
    dispatcher = dispatch.build(app, app.dispatch_core)
    assert dispatcher.delegate is subclass.full_dispatch_request
    assert fetch(app.test_client(), "/users/ann").get_data() == b"user ann"
