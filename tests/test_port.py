"""The port test: one application, two frameworks, identical answers.

``tests/port_app.py`` builds the same app on Flask and on microweb. Every request
below goes to both through the framework's own ``test_client()``, with each app's
``wsgi_app`` behind ``wsgiref.validate.validator`` (PEP 3333 checks on environ,
status, headers, body iterable and ``close()``), and the status line, the headers
and the body must be identical byte for byte. The teardown functions' records are
compared too.

One header is compared as a set rather than a list: ``Allow``. Flask builds it from
a ``set`` of methods, so even Flask's own order depends on ``PYTHONHASHSEED``; the
order carries no meaning (RFC 9110, section 10.2.1), the members must be equal.
"""

from __future__ import annotations

import typing as t
import uuid

import pytest
from conftest import flask_framework, microweb_framework, wrap_in_validator
from port_app import create_app, create_bare_app

ORDER_ID = uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e")
MULTIPART_BODY = (
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="a"\r\n\r\n'
    b"1\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="a"\r\n\r\n'
    b"\xc3\xa9t\xc3\xa9\r\n"
    b"--XyZ\r\n"
    b'Content-Disposition: form-data; name="b"\r\n\r\n'
    b"two words\r\n"
    b"--XyZ--\r\n"
)


def req(name: str, method: str, path: str, **kwargs: t.Any) -> t.Any:
    """One request of the port list: ``client.open(path, method=method, **kwargs)``.

    ``validate=False`` sends it without ``wsgiref.validate`` (say why where used).
    """
    return pytest.param(method, path, kwargs, id=name)


#: wsgiref's validator rejects a Content-Type header on a 204 response; Flask sends
#: one for ``return "", 204`` (the default mimetype), so microweb must too. PEP 3333
#: itself does not forbid it; this is one of the validator's extra HTTP checks.
FLASK_204_HAS_CONTENT_TYPE = {"validate": False}


REQUESTS = [
    # pages, HEAD, OPTIONS, 405
    req("index", "GET", "/"),
    req("index-user-header", "GET", "/", headers={"X-User": "alice"}),
    req("index-latin1-header", "GET", "/", headers={"X-User": "Jos\xe9"}),
    req("index-head", "HEAD", "/"),
    req("index-options", "OPTIONS", "/"),
    req("index-post-405", "POST", "/"),
    req("index-trace-405", "TRACE", "/"),
    req("index-query", "GET", "/?a=1&a=2&b=%C3%A9&c=x+y&empty="),
    req("bytes", "GET", "/bytes"),
    # before_request short-circuit (also before routing errors are raised)
    req("maintenance", "GET", "/items", headers={"X-Maintenance": "on"}),
    req("maintenance-unknown-path", "GET", "/no/such", headers={"X-Maintenance": "on"}),
    req(
        "maintenance-wrong-method", "DELETE", "/items", headers={"X-Maintenance": "on"}
    ),
    req("maintenance-head", "HEAD", "/items", headers={"X-Maintenance": "on"}),
    # url_value_preprocessor / url_defaults
    req("lang-en", "GET", "/en/about"),
    req("lang-fr", "GET", "/fr/about"),
    req("lang-docs-path", "GET", "/de/docs/guide/intro/part-1.html"),
    req("lang-docs-empty-path-404", "GET", "/de/docs/"),
    # converters
    req("path", "GET", "/files/dir/sub/file.txt"),
    req("path-quoted", "GET", "/files/with%20space/%C3%A9t%C3%A9.txt"),
    req("path-trailing-slash", "GET", "/files/dir/"),
    req("string", "GET", "/users/bob"),
    req("string-too-short-404", "GET", "/users/b"),
    req("string-too-long-404", "GET", "/users/abcdefghi"),
    req("string-unicode", "GET", "/users/%C3%A9mile"),
    req("uuid", "GET", f"/orders/{ORDER_ID}"),
    req("uuid-upper", "GET", f"/orders/{str(ORDER_ID).upper()}"),
    req("uuid-invalid-404", "GET", "/orders/not-a-uuid"),
    req("float", "GET", "/price/2.5"),
    req("float-int-404", "GET", "/price/3"),
    req("float-negative-404", "GET", "/price/-1.5"),
    req("any", "GET", "/feed/posts/"),
    req("any-quoted-item", "GET", "/feed/top-news/"),
    req("any-no-slash-redirect", "GET", "/feed/pages"),
    req("any-no-slash-redirect-query", "GET", "/feed/pages?x=1&y=%C3%A9"),
    req("any-other-404", "GET", "/feed/other/"),
    req("int-leading-zero", "GET", "/items/01"),
    req("int-negative-404", "GET", "/items/-1"),
    req("int-min-404", "POST", "/items/0/price", data={"price": "1"}),
    # streaming
    req("stream", "GET", "/stream"),
    req("stream-count", "GET", "/stream?count=5"),
    req("stream-empty", "GET", "/stream?count=0"),
    req("stream-bad-count", "GET", "/stream?count=x"),
    req("stream-head", "HEAD", "/stream"),
    req("stream-response", "GET", "/stream-response"),
    # redirects and url_for
    req("redirect-index", "GET", "/go"),
    req("redirect-external", "GET", "/go?to=external"),
    req("redirect-anchor", "GET", "/go?to=anchor"),
    req("redirect-permanent", "GET", "/go?to=permanent"),
    req("redirect-see-other", "GET", "/go?to=see-other"),
    req("redirect-endpoint", "GET", "/go?to=list_items"),
    req("redirect-build-error-500", "GET", "/go?to=nowhere"),
    req("redirect-followed", "GET", "/go?to=list_items", follow_redirects=True),
    req(
        "redirect-external-host",
        "GET",
        "/go?to=external",
        base_url="https://shop.example:8443/",
    ),
    req(
        "redirect-script-root",
        "GET",
        "/go?to=anchor",
        base_url="http://localhost/shop/",
    ),
    req("signed-url", "GET", "/signed/5"),
    req("signed-url-host", "GET", "/signed/5", headers={"Host": "api.example.org"}),
    req("slash-redirect", "GET", "/items/1/tags"),
    req("slash-redirect-post", "POST", "/items/1/tags", json=["x"]),
    req("slash-redirect-followed", "GET", "/items/1/tags", follow_redirects=True),
    req("merge-slashes-redirect", "GET", "/items//1"),
    # abort and error handlers
    req("abort-403-handler", "GET", "/admin"),
    req("admin-ok", "GET", "/admin", headers={"X-User": "root"}),
    req("abort-410-default", "GET", "/gone"),
    req("not-found-json", "GET", "/nope"),
    req("not-found-head", "HEAD", "/nope"),
    req("not-found-options", "OPTIONS", "/nope"),
    req("not-found-post", "POST", "/nope", json={"a": 1}),
    req("class-handler", "POST", "/items", json={"nameless": True}),
    req("subclass-handler", "GET", "/items/7"),
    req("subclass-handler-put", "PUT", "/items/7", json={}),
    req("unhandled-500-handler", "GET", "/boom"),
    # make_response, cookies, after_this_request, str status
    req("teapot", "GET", "/teapot"),
    req("after-this-request", "GET", "/cleanup"),
    req("context", "GET", "/context?a=1&b=%C3%A9"),
    req(
        "context-script-root",
        "GET",
        "/context",
        base_url="https://example.com:8443/app/",
    ),
    # request data
    req("echo-get", "GET", "/echo?x=1&x=2&y=", headers={"X-User": "bob"}),
    req("echo-form", "POST", "/echo", data={"a": "1", "b": "\u00e9t\u00e9"}),
    req("echo-form-repeated", "POST", "/echo?q=1", data={"a": ["1", "2"]}),
    req(
        "echo-multipart",
        "POST",
        "/echo",
        data=MULTIPART_BODY,
        content_type="multipart/form-data; boundary=XyZ",
    ),
    req("echo-json", "POST", "/echo", json={"k": [1, 2, 3]}),
    req("echo-text", "PUT", "/echo", data="plain text", content_type="text/plain"),
    req(
        "echo-patch",
        "PATCH",
        "/echo",
        data="a=1",
        content_type="application/x-www-form-urlencoded",
    ),
    req("echo-delete", "DELETE", "/echo"),
    req("echo-head", "HEAD", "/echo"),
    req("echo-options", "OPTIONS", "/echo"),
    # the JSON API
    req("items", "GET", "/items"),
    req("items-tag", "GET", "/items?tag=a"),
    req("items-unicode-tag", "GET", "/items?tag=%E2%98%83"),
    req("items-limit", "GET", "/items?limit=1"),
    req("items-bad-limit", "GET", "/items?limit=abc"),
    req("items-head", "HEAD", "/items"),
    req("items-options", "OPTIONS", "/items"),
    req("items-put-405", "PUT", "/items", json={}),
    req("create", "POST", "/items", json={"name": "sprocket", "price": 3}),
    req(
        "create-unicode", "POST", "/items", json={"name": "\u00fcber \u2603 \U0001f600"}
    ),
    req(
        "create-json-charset",
        "POST",
        "/items",
        data='{"name": "x"}',
        content_type="application/json; charset=utf-8",
    ),
    req(
        "create-json-suffix",
        "POST",
        "/items",
        data='{"name": "x"}',
        content_type="application/vnd.api+json",
    ),
    req(
        "create-bad-json-400",
        "POST",
        "/items",
        data="{bad",
        content_type="application/json",
    ),
    req(
        "create-empty-json-400",
        "POST",
        "/items",
        data="",
        content_type="application/json",
    ),
    req(
        "create-invalid-utf8-json-400",
        "POST",
        "/items",
        data=b'{"name": "\xff"}',
        content_type="application/json",
    ),
    req(
        "create-wrong-type-415",
        "POST",
        "/items",
        data="name=x",
        content_type="text/plain",
    ),
    req("create-form-415", "POST", "/items", data={"name": "x"}),
    req("create-no-body-415", "POST", "/items"),
    req("create-json-list", "POST", "/items", json=[1, 2]),
    req("item", "GET", "/items/1"),
    req("item-unicode", "GET", "/items/3"),
    req("item-put", "PUT", "/items/2", json={"price": 11.5, "extra": None}),
    req(
        "item-put-bad-json-400",
        "PUT",
        "/items/2",
        data="[1,",
        content_type="application/json",
    ),
    req("item-put-form-415", "PUT", "/items/2", data={"price": "1"}),
    req("item-delete-204", "DELETE", "/items/1", **FLASK_204_HAS_CONTENT_TYPE),
    req("item-patch-405", "PATCH", "/items/1"),
    req("item-options", "OPTIONS", "/items/1"),
    req(
        "price-form", "POST", "/items/2/price", data={"price": "3.5", "currency": "USD"}
    ),
    req("price-form-missing-400", "POST", "/items/2/price", data={"currency": "USD"}),
    req("price-form-bad-400", "POST", "/items/2/price", data={"price": "cheap"}),
    req("price-get-405", "GET", "/items/2/price"),
    req("search-get", "GET", "/search?q=lamp&page=2"),
    req(
        "search-post-json",
        "POST",
        "/search",
        json={"q": "lamp", "filters": {"max": 10}},
    ),
    req(
        "search-post-bad-json-silent",
        "POST",
        "/search",
        data="{",
        content_type="application/json",
    ),
    req(
        "search-post-text-silent",
        "POST",
        "/search",
        data="q",
        content_type="text/plain",
    ),
    req("tags", "GET", "/items/1/tags/"),
    req(
        "tags-force-json",
        "POST",
        "/items/1/tags/",
        data='["new"]',
        content_type="text/plain",
    ),
    req(
        "tags-force-bad-json-400",
        "POST",
        "/items/1/tags/",
        data="[",
        content_type="text/plain",
    ),
    # odd but valid input
    req(
        "long-query-string",
        "GET",
        "/search?" + "&".join(f"k{i}={'v' * 50}" for i in range(2000)),
    ),
    req("percent-encoded-slash", "GET", "/files/a%2Fb"),
    req("unicode-path-404", "GET", "/%E2%98%83"),
    req("dot-segments", "GET", "/files/./a/../b"),
]


BARE_REQUESTS = [
    req("bare-" + name, method, path, **kwargs)
    for name, method, path, kwargs in [
        ("text", "GET", "/", {}),
        ("text-head", "HEAD", "/", {}),
        ("text-options", "OPTIONS", "/", {}),
        ("text-405", "DELETE", "/", {}),
        ("bytes", "GET", "/bytes", {}),
        # Flask passes a returned bytearray through as the body item, which
        # wsgiref's validator rejects (PEP 3333 asks for bytes); compared unvalidated.
        ("bytearray", "GET", "/bytearray", {"validate": False}),
        ("empty", "GET", "/empty", {}),
        ("dict", "GET", "/dict", {}),
        ("dict-head", "HEAD", "/dict", {}),
        ("list", "GET", "/list", {}),
        ("status", "GET", "/status", {}),
        ("status-str", "GET", "/status-str", {}),
        ("status-unknown", "GET", "/status-unknown", {}),
        ("headers-dict", "GET", "/headers-dict", {}),
        ("headers-list", "GET", "/headers-list", {}),
        ("dict-content-type", "GET", "/dict-content-type", {}),
        ("response", "GET", "/response", {}),
        ("response-status", "GET", "/response-status", {}),
        ("generator", "GET", "/generator", {}),
        ("generator-head", "HEAD", "/generator", {}),
        ("jsonify", "GET", "/jsonify", {}),
        ("redirect", "GET", "/redirect", {}),
        ("abort-401", "GET", "/abort", {}),
        ("int", "GET", "/int/21", {}),
        ("int-404", "GET", "/int/x", {}),
        ("not-found", "GET", "/missing", {}),
        ("not-found-head", "HEAD", "/missing", {}),
        ("post", "POST", "/post", {"data": b"\x00body"}),
        ("post-405", "GET", "/post", {}),
        ("post-options", "OPTIONS", "/post", {}),
        ("crash-500", "GET", "/crash", {}),
        ("query", "GET", "/?a=%ZZ&b=\u00e9", {}),
        ("script-root", "GET", "/redirect", {"base_url": "http://h/mount/"}),
    ]
]


def run_request(
    fw: t.Any,
    method: str,
    path: str,
    kwargs: dict[str, t.Any],
    factory: t.Callable[[t.Any], t.Any] = create_app,
) -> dict[str, t.Any]:
    """Send one request to a fresh ``factory(fw)``; return what the test compares."""
    kwargs = dict(kwargs)
    app = factory(fw)
    if kwargs.pop("validate", True):
        wrap_in_validator(app)
    client = app.test_client()
    with client.open(path, method=method, **kwargs) as response:
        body = response.get_data()
        headers = []
        for name, value in response.headers.to_wsgi_list():
            if name.lower() == "allow":
                # Flask builds Allow from a set: compare members, not their order.
                value = ", ".join(sorted(value.split(", ")))
            headers.append((name, value))
        result = {
            "status": response.status,
            "headers": sorted(headers),
            "body": body,
            "redirects": [
                (r.status, r.headers.get("Location")) for r in response.history
            ],
        }
    result["teardown"] = list(app.teardown_log)
    return result


@pytest.fixture(scope="module")
def frameworks() -> tuple[t.Any, t.Any]:
    return flask_framework(), microweb_framework()


@pytest.mark.parametrize(("method", "path", "kwargs"), REQUESTS)
def test_same_answer_as_flask(
    frameworks: tuple[t.Any, t.Any], method: str, path: str, kwargs: dict[str, t.Any]
) -> None:
    flask_fw, microweb_fw = frameworks
    expected = run_request(flask_fw, method, path, kwargs)
    got = run_request(microweb_fw, method, path, kwargs)
    assert got["status"] == expected["status"]
    assert got["headers"] == expected["headers"]
    assert got["body"] == expected["body"]
    assert got["redirects"] == expected["redirects"]
    assert got["teardown"] == expected["teardown"]


@pytest.mark.parametrize(("method", "path", "kwargs"), BARE_REQUESTS)
def test_bare_app_same_answer_as_flask(
    frameworks: tuple[t.Any, t.Any], method: str, path: str, kwargs: dict[str, t.Any]
) -> None:
    """The same comparison on an app with no hooks and no error handlers."""
    flask_fw, microweb_fw = frameworks
    expected = run_request(flask_fw, method, path, kwargs, create_bare_app)
    got = run_request(microweb_fw, method, path, kwargs, create_bare_app)
    assert got["status"] == expected["status"]
    assert got["headers"] == expected["headers"]
    assert got["body"] == expected["body"]
    assert got["teardown"] == expected["teardown"]


@pytest.mark.parametrize(("method", "path", "kwargs"), REQUESTS)
def test_flask_against_itself(method: str, path: str, kwargs: dict[str, t.Any]) -> None:
    """The reference is deterministic: two Flask builds give the same answer.

    Guards the port test itself: were Flask's answer to vary (a timestamp, a random
    boundary), a microweb mismatch would mean nothing.
    """
    flask_fw = flask_framework()
    assert run_request(flask_fw, method, path, kwargs) == run_request(
        flask_fw, method, path, kwargs
    )


def test_every_view_is_exercised() -> None:
    """Each endpoint of the port app is reached by some request of the list."""
    flask_fw = flask_framework()
    app = create_app(flask_fw)
    adapter = app.url_map.bind("localhost")
    reached = set()
    for param in REQUESTS:
        method, path, _ = param.values
        path = path.split("?")[0]
        try:
            endpoint, _ = adapter.match(path, method=method)
        except Exception:
            continue
        reached.add(endpoint)
    assert reached >= set(app.view_functions) - {"static"}
