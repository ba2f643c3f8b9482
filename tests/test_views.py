"""Class-based views: ``View`` and ``MethodView``.

Every test runs twice: on Flask (the reference; a failure there means the test is
wrong) and on microweb (a failure there is a microweb bug). ``fw`` is the
framework's namespace with ``fw.View`` and ``fw.MethodView`` added; the ``app`` and
``client`` fixtures of conftest.py build on it.
"""

from __future__ import annotations

import functools
import importlib.util
import typing as t

import pytest
from conftest import both_frameworks, fetch

#: Flask, then microweb, each with ``View`` and ``MethodView``.
fw = both_frameworks("View", "MethodView")


def allowed(client: t.Any, path: str = "/") -> set[str]:
    """The methods an automatic ``OPTIONS`` answer lists in ``Allow``."""
    response = fetch(client, path, "OPTIONS")
    assert response.status_code == 200
    return {method.strip() for method in response.headers["Allow"].split(",")}


# -- View ----------------------------------------------------------------------


def test_view_defaults(fw: t.Any) -> None:
    assert fw.View.methods is None
    assert fw.View.provide_automatic_options is None
    assert fw.View.decorators == []
    assert fw.View.init_every_request is True
    assert fw.MethodView.methods is None


def test_view_dispatch_request_with_methods(fw: t.Any, app: t.Any) -> None:
    class Echo(fw.View):
        methods = ["GET", "POST"]

        def dispatch_request(self) -> str:
            return fw.request.method

    app.add_url_rule("/", view_func=Echo.as_view("echo"))
    client = app.test_client()
    assert fetch(client).data == b"GET"
    assert fetch(client, method="POST").data == b"POST"
    response = fetch(client, method="PUT")
    assert response.status_code == 405
    assert allowed(client) == {"GET", "HEAD", "OPTIONS", "POST"}
    # HEAD is routed with GET; the view sees "HEAD", the body is dropped.
    head = fetch(client, method="HEAD")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["Content-Length"] == "4"


def test_view_without_methods_answers_get(fw: t.Any, app: t.Any) -> None:
    class Page(fw.View):
        def dispatch_request(self) -> str:
            return "page"

    app.add_url_rule("/", view_func=Page.as_view("page"))
    client = app.test_client()
    assert fetch(client).data == b"page"
    assert fetch(client, method="POST").status_code == 405
    assert allowed(client) == {"GET", "HEAD", "OPTIONS"}


def test_view_receives_url_variables_as_keywords(fw: t.Any, app: t.Any) -> None:
    class Item(fw.View):
        def dispatch_request(self, **kwargs: t.Any) -> dict[str, t.Any]:
            return kwargs

    app.add_url_rule("/<name>/<int:number>", view_func=Item.as_view("item"))
    response = fetch(app.test_client(), "/spam/42")
    assert response.get_json() == {"name": "spam", "number": 42}


def test_base_dispatch_request_is_not_implemented(fw: t.Any, app: t.Any) -> None:
    app.add_url_rule("/", view_func=fw.View.as_view("bare"))
    with pytest.raises(NotImplementedError):
        app.test_client().get("/")


def test_as_view_attributes(fw: t.Any) -> None:
    class Documented(fw.View):
        """The class's docstring."""

        methods = ["PUT"]
        provide_automatic_options = False

        def dispatch_request(self) -> str:
            return ""

    view = Documented.as_view("documented_endpoint")
    assert view.view_class is Documented
    assert view.__name__ == "documented_endpoint"
    assert view.__doc__ == "The class's docstring."
    assert view.__module__ == __name__
    assert view.methods == ["PUT"]
    assert view.provide_automatic_options is False


def test_as_view_attributes_default_to_none(fw: t.Any) -> None:
    class Plain(fw.View):
        def dispatch_request(self) -> str:
            return ""

    view = Plain.as_view("plain")
    assert view.methods is None
    assert view.provide_automatic_options is None
    assert view.__doc__ is None
    # Each call builds a new function.
    assert Plain.as_view("plain") is not view


def test_as_view_name_is_the_endpoint(fw: t.Any, app: t.Any) -> None:
    class Named(fw.View):
        def dispatch_request(self) -> str:
            return fw.request.endpoint

    view = Named.as_view("chosen")
    app.add_url_rule("/", view_func=view)
    assert app.view_functions["chosen"] is view
    assert fetch(app.test_client()).data == b"chosen"


def test_view_class_can_be_replaced_after_as_view(fw: t.Any, app: t.Any) -> None:
    class Broken(fw.View):
        def dispatch_request(self) -> str:
            raise ZeroDivisionError

    class Fixed(Broken):
        def dispatch_request(self) -> str:
            return "fixed"

    view = Broken.as_view("patched")
    view.view_class = Fixed
    app.add_url_rule("/", view_func=view)
    assert fetch(app.test_client()).data == b"fixed"


def test_class_args_and_kwargs_reach_the_constructor(fw: t.Any, app: t.Any) -> None:
    class Greeting(fw.View):
        def __init__(self, greeting: str, *, punctuation: str = ".") -> None:
            self.greeting = greeting
            self.punctuation = punctuation

        def dispatch_request(self, name: str) -> str:
            return f"{self.greeting}, {name}{self.punctuation}"

    app.add_url_rule(
        "/hello/<name>", view_func=Greeting.as_view("hello", "Hello", punctuation="!")
    )
    app.add_url_rule("/bye/<name>", view_func=Greeting.as_view("bye", "Bye"))
    client = app.test_client()
    assert fetch(client, "/hello/you").data == b"Hello, you!"
    assert fetch(client, "/bye/you").data == b"Bye, you."


# -- decorators ----------------------------------------------------------------


def tagging(tag: str, calls: list[str]) -> t.Callable[..., t.Any]:
    """A decorator factory: the view's body is wrapped in ``tag(...)``."""

    def decorator(function: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        calls.append(f"{tag}:{function.__name__}:{function.__module__}")

        @functools.wraps(function)
        def wrapper(**kwargs: t.Any) -> str:
            return f"{tag}({function(**kwargs)})"

        return wrapper

    return decorator


def test_decorators_apply_in_order(fw: t.Any, app: t.Any) -> None:
    calls: list[str] = []

    class Wrapped(fw.View):
        decorators = [tagging("inner", calls), tagging("outer", calls)]

        def dispatch_request(self) -> str:
            return "body"

    view = Wrapped.as_view("wrapped")
    # Decorators see the endpoint's name and the class's module, first to last.
    assert calls == [f"inner:wrapped:{__name__}", f"outer:wrapped:{__name__}"]
    # The attributes sit on the outermost function.
    assert view.view_class is Wrapped
    assert view.__name__ == "wrapped"
    app.add_url_rule("/", view_func=view)
    assert fetch(app.test_client()).data == b"outer(inner(body))"


def test_decorator_can_answer_instead_of_the_view(fw: t.Any, app: t.Any) -> None:
    def deny(function: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
        def wrapper(**kwargs: t.Any) -> t.Any:
            if fw.request.args.get("key") != "secret":
                return "denied", 403
            return function(**kwargs)

        return wrapper

    built: list[int] = []

    class Guarded(fw.View):
        decorators = [deny]

        def __init__(self) -> None:
            built.append(1)

        def dispatch_request(self) -> str:
            return "granted"

    app.add_url_rule("/", view_func=Guarded.as_view("guarded"))
    client = app.test_client()
    assert fetch(client).status_code == 403
    assert built == []
    assert fetch(client, "/?key=secret").data == b"granted"
    assert built == [1]


def test_decorators_written_on_the_class_do_not_wrap_the_view(
    fw: t.Any, app: t.Any
) -> None:
    seen: list[str] = []

    def class_decorator(cls: type) -> type:
        seen.append(cls.__name__)
        return cls

    @class_decorator
    class Decorated(fw.View):
        def dispatch_request(self) -> str:
            return "ok"

    view = Decorated.as_view("decorated")
    assert seen == ["Decorated"]
    app.add_url_rule("/", view_func=view)
    assert fetch(app.test_client()).data == b"ok"
    assert seen == ["Decorated"]


# -- init_every_request --------------------------------------------------------


def test_init_every_request_builds_an_instance_per_request(
    fw: t.Any, app: t.Any
) -> None:
    instances: list[object] = []

    class Fresh(fw.View):
        def __init__(self) -> None:
            instances.append(self)
            self.hits = 0

        def dispatch_request(self) -> str:
            self.hits += 1
            return str(self.hits)

    app.add_url_rule("/", view_func=Fresh.as_view("fresh"))
    assert instances == []
    client = app.test_client()
    assert [fetch(client).data for _ in range(3)] == [b"1", b"1", b"1"]
    assert len(instances) == 3
    assert len({id(instance) for instance in instances}) == 3


def test_init_every_request_false_shares_one_instance(fw: t.Any, app: t.Any) -> None:
    instances: list[object] = []

    class Shared(fw.View):
        init_every_request = False

        def __init__(self, start: int) -> None:
            instances.append(self)
            self.hits = start

        def dispatch_request(self) -> str:
            self.hits += 1
            return str(self.hits)

    view = Shared.as_view("shared", 10)
    # Built once, by as_view, before any request.
    assert len(instances) == 1
    app.add_url_rule("/", view_func=view)
    client = app.test_client()
    assert [fetch(client).data for _ in range(3)] == [b"11", b"12", b"13"]
    assert len(instances) == 1
    # Another as_view builds another instance.
    Shared.as_view("other", 0)
    assert len(instances) == 2


def test_init_every_request_false_with_method_view(fw: t.Any, app: t.Any) -> None:
    instances: list[object] = []

    class Counter(fw.MethodView):
        init_every_request = False

        def __init__(self) -> None:
            instances.append(self)
            self.count = 0

        def get(self) -> str:
            return str(self.count)

        def post(self) -> str:
            self.count += 1
            return str(self.count)

    app.add_url_rule("/", view_func=Counter.as_view("counter"))
    client = app.test_client()
    fetch(client, method="POST")
    fetch(client, method="POST")
    assert fetch(client).data == b"2"
    assert len(instances) == 1


# -- MethodView: methods -------------------------------------------------------


def test_method_view_dispatches_by_method(fw: t.Any, app: t.Any) -> None:
    class Resource(fw.MethodView):
        def get(self) -> str:
            return "GET"

        def post(self) -> str:
            return "POST"

    assert Resource.methods == {"GET", "POST"}
    app.add_url_rule("/", view_func=Resource.as_view("resource"))
    client = app.test_client()
    assert fetch(client).data == b"GET"
    assert fetch(client, method="POST").data == b"POST"
    assert allowed(client) == {"GET", "HEAD", "OPTIONS", "POST"}


def test_method_view_405_for_missing_handler(fw: t.Any, app: t.Any) -> None:
    class ReadOnly(fw.MethodView):
        def get(self) -> str:
            return "read"

    app.add_url_rule("/", view_func=ReadOnly.as_view("read_only"))
    client = app.test_client()
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = fetch(client, method=method)
        assert response.status_code == 405, method
        allow = {m.strip() for m in response.headers["Allow"].split(",")}
        assert allow == {"GET", "HEAD", "OPTIONS"}


def test_method_view_every_handler_name(fw: t.Any, app: t.Any) -> None:
    class Everything(fw.MethodView):
        def get(self) -> str:
            return "get"

        def post(self) -> str:
            return "post"

        def put(self) -> str:
            return "put"

        def delete(self) -> str:
            return "delete"

        def patch(self) -> str:
            return "patch"

        def head(self) -> str:
            return "head"

        def options(self) -> str:
            return "options"

        def trace(self) -> str:
            return "trace"

        def connect(self) -> str:  # not a handler name: CONNECT is not inferred
            return "connect"

        def helper(self) -> str:
            return "helper"

    assert Everything.methods == {
        "GET",
        "POST",
        "PUT",
        "DELETE",
        "PATCH",
        "HEAD",
        "OPTIONS",
        "TRACE",
    }
    app.add_url_rule("/", view_func=Everything.as_view("everything"))
    client = app.test_client()
    for method in ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"):
        assert fetch(client, method=method).data == method.lower().encode()


def test_method_view_inheritance_merges_methods(fw: t.Any, app: t.Any) -> None:
    class Base(fw.MethodView):
        def get(self) -> str:
            return "base get"

        def post(self) -> str:
            return "base post"

    class Child(Base):
        def get(self) -> str:
            return "child get"

        def delete(self) -> str:
            return "child delete"

    assert Base.methods == {"GET", "POST"}
    assert Child.methods == {"GET", "POST", "DELETE"}
    app.add_url_rule("/", view_func=Child.as_view("child"))
    client = app.test_client()
    assert fetch(client).data == b"child get"
    assert fetch(client, method="POST").data == b"base post"
    assert fetch(client, method="DELETE").data == b"child delete"
    assert fetch(client, method="PUT").status_code == 405


def test_method_view_handlers_from_mixins(fw: t.Any, app: t.Any) -> None:
    class DeleteMixin:
        def delete(self) -> str:
            return "mixin delete"

    class PatchMixin:
        def patch(self) -> str:
            return "mixin patch"

    class Base(fw.MethodView):
        def get(self) -> str:
            return "get"

    class Mixed(DeleteMixin, PatchMixin, Base):
        pass

    class MixinFirst(PatchMixin, fw.MethodView):
        pass

    assert Mixed.methods == {"GET", "DELETE", "PATCH"}
    assert MixinFirst.methods == {"PATCH"}
    app.add_url_rule("/", view_func=Mixed.as_view("mixed"))
    client = app.test_client()
    assert fetch(client, method="DELETE").data == b"mixin delete"
    assert fetch(client, method="PATCH").data == b"mixin patch"


def test_method_view_explicit_methods_are_kept(fw: t.Any, app: t.Any) -> None:
    class Explicit(fw.MethodView):
        methods = ["GET"]

        def get(self) -> str:
            return "get"

        def post(self) -> str:
            return "post"

    class Extended(Explicit):
        def put(self) -> str:
            return "put"

    assert Explicit.methods == ["GET"]
    # A subclass that sets nothing merges its bases' methods with every handler
    # it has, inherited ones included: the base's unlisted ``post`` comes back.
    assert Extended.methods == {"GET", "POST", "PUT"}
    app.add_url_rule("/", view_func=Explicit.as_view("explicit"))
    app.add_url_rule("/extended", view_func=Extended.as_view("extended"))
    client = app.test_client()
    assert fetch(client, method="POST").status_code == 405
    assert fetch(client, "/extended", method="PUT").data == b"put"
    assert fetch(client, "/extended", method="POST").data == b"post"


def test_method_view_without_handlers(fw: t.Any, app: t.Any) -> None:
    class Empty(fw.MethodView):
        pass

    assert Empty.methods is None
    app.add_url_rule("/", view_func=Empty.as_view("empty"))
    # add_url_rule falls back to GET, which the class cannot answer.
    with pytest.raises(AssertionError, match="Unimplemented method 'GET'"):
        app.test_client().get("/")


def test_method_view_listed_but_unimplemented_method(fw: t.Any, app: t.Any) -> None:
    class Partial(fw.MethodView):
        methods = ["GET", "POST"]

        def get(self) -> str:
            return "get"

    app.add_url_rule("/", view_func=Partial.as_view("partial"))
    client = app.test_client()
    assert fetch(client).data == b"get"
    with pytest.raises(AssertionError, match="Unimplemented method 'POST'"):
        client.post("/")


def test_method_view_url_variables(fw: t.Any, app: t.Any) -> None:
    class User(fw.MethodView):
        def get(self, user_id: int) -> str:
            return f"user {user_id}"

        def delete(self, user_id: int) -> tuple[str, int]:
            return f"deleted {user_id}", 202

    app.add_url_rule("/users/<int:user_id>", view_func=User.as_view("user"))
    client = app.test_client()
    assert fetch(client, "/users/7").data == b"user 7"
    response = fetch(client, "/users/7", "DELETE")
    assert response.status_code == 202
    assert response.data == b"deleted 7"


# -- MethodView: HEAD and OPTIONS ----------------------------------------------


def test_head_falls_back_to_get(fw: t.Any, app: t.Any) -> None:
    calls: list[str] = []

    class Page(fw.MethodView):
        def get(self) -> t.Any:
            calls.append(fw.request.method)
            return "hello", {"X-Seen": fw.request.method}

    assert Page.methods == {"GET"}
    app.add_url_rule("/", view_func=Page.as_view("page"))
    response = fetch(app.test_client(), method="HEAD")
    assert response.status_code == 200
    assert response.data == b""
    assert response.headers["Content-Length"] == "5"
    assert response.headers["X-Seen"] == "HEAD"
    assert calls == ["HEAD"]


def test_head_handler_wins_over_get(fw: t.Any, app: t.Any) -> None:
    class Page(fw.MethodView):
        def get(self) -> str:
            return "from get"

        def head(self) -> t.Any:
            return "", {"X-Handler": "head"}

    assert Page.methods == {"GET", "HEAD"}
    app.add_url_rule("/", view_func=Page.as_view("page"))
    response = fetch(app.test_client(), method="HEAD")
    assert response.headers["X-Handler"] == "head"


def test_automatic_options_lists_the_methods(fw: t.Any, app: t.Any) -> None:
    class Resource(fw.MethodView):
        def get(self) -> str:
            return ""

        def put(self) -> str:
            return ""

        def delete(self) -> str:
            return ""

    app.add_url_rule("/", view_func=Resource.as_view("resource"))
    response = fetch(app.test_client(), method="OPTIONS")
    assert response.status_code == 200
    assert response.data == b""
    allow = {method.strip() for method in response.headers["Allow"].split(",")}
    assert allow == {"DELETE", "GET", "HEAD", "OPTIONS", "PUT"}


def test_options_handler_replaces_automatic_options(fw: t.Any, app: t.Any) -> None:
    class Custom(fw.MethodView):
        def get(self) -> str:
            return "get"

        def options(self) -> t.Any:
            return "custom options", {"Allow": "GET"}

    app.add_url_rule("/", view_func=Custom.as_view("custom"))
    response = fetch(app.test_client(), method="OPTIONS")
    assert response.data == b"custom options"
    assert response.headers["Allow"] == "GET"


def test_provide_automatic_options_false(fw: t.Any, app: t.Any) -> None:
    class NoOptions(fw.MethodView):
        provide_automatic_options = False

        def get(self) -> str:
            return "get"

    app.add_url_rule("/", view_func=NoOptions.as_view("no_options"))
    response = fetch(app.test_client(), method="OPTIONS")
    assert response.status_code == 405


# -- registration and url_for --------------------------------------------------


def test_add_url_rule_and_url_for(fw: t.Any, app: t.Any) -> None:
    class UserList(fw.MethodView):
        def get(self) -> str:
            return fw.url_for("user_detail", user_id=3)

        def post(self) -> tuple[str, int]:
            return fw.url_for("user_list", _external=True), 201

    class UserDetail(fw.MethodView):
        def get(self, user_id: int) -> str:
            return fw.url_for("user_detail", user_id=user_id + 1)

    app.add_url_rule("/users/", view_func=UserList.as_view("user_list"))
    app.add_url_rule(
        "/users/<int:user_id>", view_func=UserDetail.as_view("user_detail")
    )
    client = app.test_client()
    assert fetch(client, "/users/").data == b"/users/3"
    response = fetch(client, "/users/", "POST")
    assert response.status_code == 201
    assert response.data == b"http://localhost/users/"
    assert fetch(client, "/users/9").data == b"/users/10"
    with app.test_request_context():
        assert fw.url_for("user_list") == "/users/"
        assert fw.url_for("user_detail", user_id=5) == "/users/5"


def test_one_view_function_under_two_rules(fw: t.Any, app: t.Any) -> None:
    class Listing(fw.MethodView):
        def get(self, page: int = 1) -> str:
            return f"page {page}"

    view = Listing.as_view("listing")
    app.add_url_rule("/items/", view_func=view, defaults={"page": 1})
    app.add_url_rule("/items/page/<int:page>", view_func=view)
    client = app.test_client()
    assert fetch(client, "/items/").data == b"page 1"
    assert fetch(client, "/items/page/4").data == b"page 4"
    with app.test_request_context():
        assert fw.url_for("listing") == "/items/"
        assert fw.url_for("listing", page=2) == "/items/page/2"


def test_explicit_endpoint_and_methods_win(fw: t.Any, app: t.Any) -> None:
    class Resource(fw.MethodView):
        def get(self) -> str:
            return "get"

        def post(self) -> str:
            return "post"

    app.add_url_rule(
        "/", "explicit", view_func=Resource.as_view("ignored"), methods=["POST"]
    )
    client = app.test_client()
    assert fetch(client, method="POST").data == b"post"
    assert fetch(client).status_code == 405
    assert "explicit" in app.view_functions
    assert "ignored" not in app.view_functions
    with app.test_request_context():
        assert fw.url_for("explicit") == "/"


def test_route_decorator_with_as_view(fw: t.Any, app: t.Any) -> None:
    class Hello(fw.View):
        def dispatch_request(self) -> str:
            return "hello"

    app.route("/hello")(Hello.as_view("hello"))
    assert fetch(app.test_client(), "/hello").data == b"hello"


# -- async handlers ------------------------------------------------------------

HAS_ASGIREF = importlib.util.find_spec("asgiref") is not None


def require_ensure_sync(fw: t.Any) -> None:
    if not hasattr(fw.Flask, "ensure_sync"):
        pytest.skip(f"{fw.name}'s app has no ensure_sync yet")


@pytest.mark.skipif(not HAS_ASGIREF, reason="asgiref is not installed")
def test_async_handlers(fw: t.Any, app: t.Any) -> None:
    require_ensure_sync(fw)

    class AsyncResource(fw.MethodView):
        async def get(self, name: str) -> str:
            return f"async {name}"

    class AsyncView(fw.View):
        async def dispatch_request(self) -> str:
            return "async view"

    assert AsyncResource.methods == {"GET"}
    app.add_url_rule("/r/<name>", view_func=AsyncResource.as_view("resource"))
    app.add_url_rule("/v", view_func=AsyncView.as_view("view"))
    client = app.test_client()
    assert fetch(client, "/r/x").data == b"async x"
    assert fetch(client, "/v").data == b"async view"


@pytest.mark.skipif(HAS_ASGIREF, reason="asgiref is installed")
def test_async_handler_without_asgiref(fw: t.Any, app: t.Any) -> None:
    require_ensure_sync(fw)

    class AsyncResource(fw.MethodView):
        async def get(self) -> str:
            return "never"

    app.add_url_rule("/", view_func=AsyncResource.as_view("resource"))
    with pytest.raises(RuntimeError, match="async"):
        app.test_client().get("/")


def test_handler_names_match_flask() -> None:
    flask_views = pytest.importorskip("flask.views")
    from microweb import views

    assert views.http_method_funcs == flask_views.http_method_funcs
