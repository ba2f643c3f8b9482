"""The request limits, on both dispatch cores: what each refuses, what it lets
through, and that ``None`` turns it off.

* ``MAX_FORM_MEMORY_SIZE`` and ``MAX_FORM_PARTS`` hold urlencoded bodies too (the
  whole body, its fields), where Werkzeug holds multipart bodies only: 413.
* ``MAX_JSON_DEPTH``: ``get_json`` on a body nested deeper is a 400 (``None``
  with ``silent=True``), and so is a body too deep for the decoder itself.
* ``MAX_CONTENT_LENGTH`` on a body the server ends itself (chunked): 413, where
  Werkzeug cuts the body at the limit.
* A query string holding raw bytes that are not UTF-8 is parsed, the bytes kept
  percent-escaped, where Werkzeug fails.
* A multipart body that fails half way closes the temporary files of the uploads
  it had read.
"""

from __future__ import annotations

import json
import sys
import typing as t

import pytest
from conftest import multipart_body, wsgi_environ
from werkzeug.formparser import default_stream_factory
from werkzeug.wrappers import Request as WerkzeugRequest

import microweb
from microweb.json import nested_deeper
from microweb.wrappers import Request

#: What a server that decodes chunked bodies itself adds to the environ.
CHUNKED = {"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"}
URLENCODED = "application/x-www-form-urlencoded"
#: A MAX_FORM_MEMORY_SIZE for multipart bodies: above 64 KiB, which Werkzeug's
#: parser reads at once.
FIELD = 70_000
MULTIPART = "multipart/form-data; boundary=limits-boundary"


def call(app: t.Any, environ: dict[str, t.Any]) -> tuple[int, bytes]:
    """The status and body *app* answers *environ* with, as a server reads them."""
    statuses: list[str] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: t.Any = None
    ) -> t.Callable[[bytes], t.Any]:
        statuses.append(status)
        return lambda data: None

    iterable = app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    return int(statuses[0][:3]), body


def answer(app: t.Any, environ: dict[str, t.Any]) -> tuple[int, t.Any]:
    """The status and, for a 200, the JSON body."""
    status, body = call(app, environ)
    return status, json.loads(body) if status == 200 else None


def make_app(app_class: type, **config: t.Any) -> t.Any:
    """An app on *app_class* with *config*, whose views report what the request
    parsed: ``/form``, ``/json``, ``/json-silent``, ``/data``, ``/stream``,
    ``/args``."""
    app = app_class(__name__)
    app.config.update(config)
    request = microweb.request

    @app.post("/form")
    def form() -> t.Any:
        return {
            "form": request.form.to_dict(flat=False),
            "files": {
                name: upload.read().decode()
                for name, upload in request.files.items(multi=True)
            },
        }

    @app.post("/json")
    def strict_json() -> t.Any:
        return {"json": request.get_json()}

    @app.post("/json-silent")
    def silent_json() -> t.Any:
        return {"json": request.get_json(silent=True)}

    @app.post("/data")
    def data() -> t.Any:
        return {"length": len(request.get_data())}

    @app.post("/stream")
    def stream() -> t.Any:
        return {"length": len(request.stream.read())}

    @app.get("/args")
    def args() -> t.Any:
        return {"args": request.args.to_dict(flat=False), "path": request.full_path}

    return app


def urlencoded(body: bytes, **kwargs: t.Any) -> dict[str, t.Any]:
    return wsgi_environ(body, path="/form", content_type=URLENCODED, **kwargs)


def json_environ(body: bytes, path: str = "/json", **kwargs: t.Any) -> dict[str, t.Any]:
    return wsgi_environ(body, path=path, content_type="application/json", **kwargs)


def nested(depth: int) -> bytes:
    """A JSON array nested *depth* levels deep: ``[[]]`` is two."""
    return b"[" * depth + b"]" * depth


def nested_value(depth: int) -> t.Any:
    value: list[t.Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


def fields(count: int) -> bytes:
    return b"&".join(b"f%d=v" % number for number in range(count))


# ------------------------------------------------------------------ the defaults


def test_defaults() -> None:
    """The form limits are Flask's; the JSON depth is well under the decoder's
    recursion limit."""
    config = microweb.App.default_config
    assert config["MAX_FORM_MEMORY_SIZE"] == 500_000
    assert config["MAX_FORM_PARTS"] == 1_000
    assert config["MAX_CONTENT_LENGTH"] is None
    assert config["MAX_JSON_DEPTH"] == 500
    assert config["MAX_JSON_DEPTH"] < sys.getrecursionlimit()


def test_request_limits_outside_an_app() -> None:
    """A request made outside an app has the defaults, and takes overrides."""
    request = Request(wsgi_environ())
    assert request.max_json_depth == 500
    assert request.max_form_memory_size == WerkzeugRequest.max_form_memory_size
    assert request.max_form_parts == WerkzeugRequest.max_form_parts
    request.max_json_depth = 3
    assert request.max_json_depth == 3


# ------------------------------------------------------------ urlencoded forms


def test_urlencoded_form_within_the_limits(dispatch_app_class: type) -> None:
    app = make_app(dispatch_app_class)
    body = b"name=ada&role=admin&role=owner&empty=&bad=%zz"
    assert answer(app, urlencoded(body)) == (
        200,
        {
            "form": {
                "name": ["ada"],
                "role": ["admin", "owner"],
                "empty": [""],
                "bad": ["%zz"],
            },
            "files": {},
        },
    )


@pytest.mark.parametrize("length", ["exact", None])
def test_urlencoded_body_size(dispatch_app_class: type, length: str | None) -> None:
    """The whole body is held to MAX_FORM_MEMORY_SIZE, with a Content-Length or
    from a server that ends the input itself."""
    app = make_app(dispatch_app_class, MAX_FORM_MEMORY_SIZE=100)
    extra = CHUNKED if length is None else None
    at_the_limit = b"name=" + b"x" * 95
    status, result = answer(app, urlencoded(at_the_limit, length=length, extra=extra))
    assert status == 200
    assert result["form"] == {"name": ["x" * 95]}
    status, _ = answer(app, urlencoded(at_the_limit + b"x", length=length, extra=extra))
    assert status == 413


def test_urlencoded_body_size_read_no_further(dispatch_app_class: type) -> None:
    """Over the limit by its Content-Length, the body is not read; without one,
    it is read one byte past the limit, no further."""
    app = make_app(dispatch_app_class, MAX_FORM_MEMORY_SIZE=100)
    environ = urlencoded(b"name=" + b"x" * 10_000)
    assert call(app, environ)[0] == 413
    assert environ["wsgi.input"].position == 0
    environ = urlencoded(b"name=" + b"x" * 10_000, length=None, extra=CHUNKED)
    assert call(app, environ)[0] == 413
    assert environ["wsgi.input"].position == 101


def test_urlencoded_body_size_after_get_data(dispatch_app_class: type) -> None:
    """A body read by get_data before the form is parsed is held to the limit too."""
    app = make_app(dispatch_app_class, MAX_FORM_MEMORY_SIZE=100)

    @app.post("/data-then-form")
    def data_then_form() -> t.Any:
        return {"length": len(microweb.request.get_data()), **microweb.request.form}

    environ = urlencoded(b"a=" + b"x" * 98)
    environ["PATH_INFO"] = "/data-then-form"
    assert answer(app, environ) == (200, {"length": 100, "a": "x" * 98})
    environ = urlencoded(b"a=" + b"x" * 99)
    environ["PATH_INFO"] = "/data-then-form"
    assert call(app, environ)[0] == 413


def test_urlencoded_fields(dispatch_app_class: type) -> None:
    """MAX_FORM_PARTS counts the fields; empty pieces between separators are no
    fields (the parser drops them)."""
    app = make_app(dispatch_app_class, MAX_FORM_PARTS=10)
    status, result = answer(app, urlencoded(fields(10)))
    assert status == 200
    assert len(result["form"]) == 10
    assert answer(app, urlencoded(fields(11)))[0] == 413
    assert (
        answer(app, urlencoded(b"&&" + fields(10).replace(b"&", b"&&&") + b"&"))[0]
        == 200
    )
    # Fields without a value count: the parser keeps them.
    assert answer(app, urlencoded(b"&".join([b"a"] * 11)))[0] == 413


def test_urlencoded_limits_at_flask_defaults(dispatch_app_class: type) -> None:
    app = make_app(dispatch_app_class)
    assert answer(app, urlencoded(fields(1_000)))[0] == 200
    assert answer(app, urlencoded(fields(1_001)))[0] == 413
    assert answer(app, urlencoded(b"a=" + b"x" * 499_998))[0] == 200
    assert answer(app, urlencoded(b"a=" + b"x" * 499_999))[0] == 413


def test_urlencoded_limits_turned_off(dispatch_app_class: type) -> None:
    app = make_app(dispatch_app_class, MAX_FORM_MEMORY_SIZE=None, MAX_FORM_PARTS=None)
    status, result = answer(app, urlencoded(fields(3_000)))
    assert (status, len(result["form"])) == (200, 3_000)
    body = b"a=" + b"x" * 600_000
    for length, extra in (("exact", None), (None, CHUNKED)):
        status, result = answer(app, urlencoded(body, length=length, extra=extra))
        assert (status, len(result["form"]["a"][0])) == (200, 600_000)


def test_urlencoded_limits_set_on_the_request(dispatch_app_class: type) -> None:
    """``request.max_form_parts`` (or ``max_form_memory_size``) set before the form
    is parsed overrides the config for that request."""
    app = make_app(dispatch_app_class)

    @app.before_request
    def tighten() -> None:
        microweb.request.max_form_parts = 2
        microweb.request.max_form_memory_size = 20

    assert answer(app, urlencoded(b"a=1&b=2"))[0] == 200
    assert answer(app, urlencoded(b"a=1&b=2&c=3"))[0] == 413
    assert answer(app, urlencoded(b"a=" + b"x" * 19))[0] == 413


def test_multipart_limits_unchanged(dispatch_app_class: type) -> None:
    """Multipart bodies keep Werkzeug's limits: per field, and parts. (Werkzeug
    also refuses any one read of the body, 64 KiB, larger than
    MAX_FORM_MEMORY_SIZE: the limit here is above that.)"""
    app = make_app(dispatch_app_class, MAX_FORM_MEMORY_SIZE=FIELD, MAX_FORM_PARTS=3)
    good = multipart(
        [("a", b"x" * FIELD), ("b", b"y"), ("f", b"z" * 2 * FIELD, "f.txt")]
    )
    status, result = answer(app, multipart_environ(good))
    assert status == 200
    assert result == {
        "form": {"a": ["x" * FIELD], "b": ["y"]},
        "files": {"f": "z" * 2 * FIELD},
    }
    too_large = multipart([("a", b"x" * (FIELD + 1))])
    assert answer(app, multipart_environ(too_large))[0] == 413
    too_many = multipart([("a", b"1"), ("b", b"2"), ("c", b"3"), ("d", b"4")])
    assert answer(app, multipart_environ(too_many))[0] == 413


# ------------------------------------------------------------------- JSON depth


@pytest.mark.parametrize("path", ["/json", "/json-silent"])
def test_json_depth_default(dispatch_app_class: type, path: str) -> None:
    app = make_app(dispatch_app_class)
    assert answer(app, json_environ(nested(500), path)) == (
        200,
        {"json": nested_value(500)},
    )
    expected = (400, None) if path == "/json" else (200, {"json": None})
    assert answer(app, json_environ(nested(501), path)) == expected
    # Objects count as arrays do.
    deep_objects = b'{"a":' * 501 + b"1" + b"}" * 501
    assert answer(app, json_environ(deep_objects, path)) == expected


def test_json_depth_custom(dispatch_app_class: type) -> None:
    app = make_app(dispatch_app_class, MAX_JSON_DEPTH=3)
    assert answer(app, json_environ(b'{"a": [[1]], "b": [{"c": 1}]}')) == (
        200,
        {"json": {"a": [[1]], "b": [{"c": 1}]}},
    )
    assert answer(app, json_environ(b'{"a": [[[1]]]}'))[0] == 400
    # Brackets in strings (escaped quotes too) are not nesting.
    body = b'[{"a": "[[[[{{{{\\"[[[["}]'
    assert answer(app, json_environ(body)) == (
        200,
        {"json": [{"a": '[[[[{{{{"[[[['}]},
    )


def test_json_depth_set_on_the_request(dispatch_app_class: type) -> None:
    app = make_app(dispatch_app_class)

    @app.before_request
    def tighten() -> None:
        microweb.request.max_json_depth = 2

    assert answer(app, json_environ(nested(2)))[0] == 200
    assert answer(app, json_environ(nested(3)))[0] == 400


@pytest.mark.parametrize("path", ["/json", "/json-silent"])
def test_json_depth_turned_off(dispatch_app_class: type, path: str) -> None:
    """With no limit, the decoder takes what it can; what is too deep for it (its
    RecursionError) is a bad body all the same, never a 500."""
    app = make_app(dispatch_app_class, MAX_JSON_DEPTH=None)
    assert answer(app, json_environ(nested(600), path)) == (
        200,
        {"json": nested_value(600)},
    )
    expected = (400, None) if path == "/json" else (200, {"json": None})
    assert answer(app, json_environ(nested(100_000), path)) == expected
    assert answer(app, json_environ(b"[" * 100_000, path)) == expected


def test_json_depth_above_the_decoder(dispatch_app_class: type) -> None:
    """A limit above what the decoder can nest: its RecursionError is a 400."""
    app = make_app(dispatch_app_class, MAX_JSON_DEPTH=1_000_000)
    assert answer(app, json_environ(nested(100_000)))[0] == 400


def test_json_depth_message_in_debug(dispatch_app_class: type) -> None:
    app = make_app(dispatch_app_class, MAX_JSON_DEPTH=5)
    app.debug = True
    status, body = call(app, json_environ(nested(6)))
    assert status == 400
    assert b"nested more than 5 levels deep" in body
    app = make_app(dispatch_app_class, MAX_JSON_DEPTH=None)
    app.debug = True
    status, body = call(app, json_environ(nested(100_000)))
    assert status == 400
    assert b"nested too deeply to decode" in body


class HookRequest(Request):
    """A request whose JSON failures become a value, as a subclass may do."""

    def on_json_loading_failed(self, e: ValueError | None) -> t.Any:
        return {"failed": type(e).__name__}


class OwnDataRequest(Request):
    """A request that changes get_data: get_json takes Werkzeug's steps."""

    def get_data(self, *args: t.Any, **kwargs: t.Any) -> t.Any:
        return super().get_data(*args, **kwargs)


@pytest.mark.parametrize("request_class", [HookRequest, OwnDataRequest])
def test_json_depth_in_subclasses(
    dispatch_app_class: type, request_class: type
) -> None:
    app = make_app(dispatch_app_class, MAX_JSON_DEPTH=4)
    app.request_class = request_class
    assert answer(app, json_environ(nested(4))) == (200, {"json": nested_value(4)})
    for body in (nested(5), nested(100_000)):
        status, result = answer(app, json_environ(body))
        if request_class is HookRequest:
            assert (status, result) == (200, {"json": {"failed": "ValueError"}})
        else:
            assert status == 400


def test_json_normal_bodies(dispatch_app_class: type) -> None:
    """A wide document (many brackets, little depth) is not refused."""
    app = make_app(dispatch_app_class)
    document = [{"id": number, "tags": ["a", "b"]} for number in range(2_000)]
    body = json.dumps(document).encode()
    assert answer(app, json_environ(body)) == (200, {"json": document})
    assert answer(app, json_environ(b'{"a": 1}')) == (200, {"json": {"a": 1}})


@pytest.mark.parametrize(
    ("document", "depth"),
    [
        ("1", 0),
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('["]]]", "[[[["]', 1),
        ('["\\"[[[", "\\\\", [[]]]', 3),
        ("[1]]]]][[[", 3),  # not JSON: the decoder refuses it
        ('"' + "[" * 20, 0),  # an unterminated string runs to the end
        ('["a\\', 1),
    ],
)
def test_nested_deeper(document: str, depth: int) -> None:
    for value in (document, document.encode()):
        assert nested_deeper(value, depth) is False
        if depth:
            assert nested_deeper(value, depth - 1) is True


def test_nested_deeper_hostile_strings() -> None:
    """Strings of escaped quotes without an end: the scan still ends (linear)."""
    body = b'"' + b'\\"' * 200_000 + b"[" * 1_000
    assert nested_deeper(body, 500) is False
    body = b'["' + b'\\"' * 200_000 + b'"' + b"[" * 501
    assert nested_deeper(body, 500) is True


# ---------------------------------------------------------------- query strings


def test_query_string_raw_bytes(dispatch_app_class: type) -> None:
    """Raw bytes that are not UTF-8 stay percent-escaped, as escaped ones do."""
    app = make_app(dispatch_app_class)
    environ = wsgi_environ(path="/args", method="GET", query=b"a=\xff\xfe&b=\xc3\x28")
    assert answer(app, environ) == (
        200,
        {"args": {"a": ["%FF%FE"], "b": ["%C3("]}, "path": "/args?a=%FF%FE&b=%C3("},
    )
    escaped = wsgi_environ(path="/args", method="GET", query=b"a=%ff%fe&b=%c3%28")
    assert answer(app, escaped)[1]["args"] == {"a": ["%FF%FE"], "b": ["%C3("]}


@pytest.mark.parametrize(
    "query",
    [b"a=1&b=%C3%A9&c=%zz&d", "a=é&b=ü".encode(), b"x=%ff&y=%e2%82", b"", b"&&=&"],
)
def test_query_string_as_werkzeug(dispatch_app_class: type, query: bytes) -> None:
    """For query strings Werkzeug parses, the same parameters and full path."""
    app = make_app(dispatch_app_class)
    environ = wsgi_environ(path="/args", method="GET", query=query)
    reference = WerkzeugRequest(wsgi_environ(path="/args", method="GET", query=query))
    assert answer(app, environ) == (
        200,
        {"args": reference.args.to_dict(flat=False), "path": reference.full_path},
    )


# --------------------------------------------- bodies the server ends (chunked)


@pytest.mark.parametrize("path", ["/data", "/json", "/stream"])
def test_terminated_body_over_the_limit(dispatch_app_class: type, path: str) -> None:
    app = make_app(dispatch_app_class, MAX_CONTENT_LENGTH=64)
    at_the_limit = b'{"a": "' + b"x" * 55 + b'"}'
    environ = json_environ(at_the_limit, path, length=None, extra=CHUNKED)
    status, result = answer(app, environ)
    assert status == 200
    assert result == ({"json": {"a": "x" * 55}} if path == "/json" else {"length": 64})
    # One byte more is asked for, to know the body ends.
    assert environ["wsgi.input"].position == 64
    environ = json_environ(at_the_limit + b" ", path, length=None, extra=CHUNKED)
    assert call(app, environ)[0] == 413
    assert environ["wsgi.input"].position == 65
    environ = json_environ(b"x" * 100_000, path, length=None, extra=CHUNKED)
    assert call(app, environ)[0] == 413
    assert environ["wsgi.input"].position == 65


def test_terminated_body_with_content_length(dispatch_app_class: type) -> None:
    """The server ends the input: its Content-Length over the limit is a 413
    before reading; under it, the body is still read to its end, and held to the
    limit."""
    app = make_app(dispatch_app_class, MAX_CONTENT_LENGTH=64)
    environ = wsgi_environ(b"x" * 10, path="/data", length="100", extra=CHUNKED)
    environ.pop("HTTP_TRANSFER_ENCODING")
    assert call(app, environ)[0] == 413
    assert environ["wsgi.input"].position == 0
    environ = wsgi_environ(b"x" * 100, path="/data", length="10", extra=CHUNKED)
    environ.pop("HTTP_TRANSFER_ENCODING")
    assert call(app, environ)[0] == 413


def test_terminated_body_limit_zero(dispatch_app_class: type) -> None:
    app = make_app(dispatch_app_class, MAX_CONTENT_LENGTH=0)
    environ = wsgi_environ(b"", path="/data", length=None, extra=CHUNKED)
    assert answer(app, environ) == (200, {"length": 0})
    environ = wsgi_environ(b"x", path="/data", length=None, extra=CHUNKED)
    assert call(app, environ)[0] == 413


def test_terminated_body_without_limit(dispatch_app_class: type) -> None:
    app = make_app(dispatch_app_class)
    environ = wsgi_environ(b"x" * 300_000, path="/data", length=None, extra=CHUNKED)
    assert answer(app, environ) == (200, {"length": 300_000})


def test_terminated_forms_over_the_limit(dispatch_app_class: type) -> None:
    """Forms are read through the same stream: 413 past the limit, the whole
    form at it (a multipart body exactly at the limit too, which Werkzeug's
    stream refuses when the parser reads on)."""
    app = make_app(dispatch_app_class, MAX_CONTENT_LENGTH=200)
    body = multipart([("a", b"1"), ("f", b"content", "f.txt")])
    body += b"e" * (200 - len(body))  # an epilogue, ignored
    assert len(body) == 200
    status, result = answer(app, multipart_environ(body, length=None, extra=CHUNKED))
    assert (status, result) == (200, {"form": {"a": ["1"]}, "files": {"f": "content"}})
    environ = multipart_environ(body + b"\r\n", length=None, extra=CHUNKED)
    assert call(app, environ)[0] == 413
    big = multipart([("f", b"x" * 1_000, "f.txt")])
    assert call(app, multipart_environ(big, length=None, extra=CHUNKED))[0] == 413
    form = b"a=" + b"x" * 198
    assert answer(app, urlencoded(form, length=None, extra=CHUNKED)) == (
        200,
        {"form": {"a": ["x" * 198]}, "files": {}},
    )
    assert call(app, urlencoded(form + b"x", length=None, extra=CHUNKED))[0] == 413


# ------------------------------------------- uploads of a multipart body that fails


def multipart(parts: t.Sequence[tuple[str, bytes] | tuple[str, bytes, str]]) -> bytes:
    """A ``multipart/form-data`` body with the boundary :data:`MULTIPART` names."""
    return multipart_body(parts, "limits-boundary")


def multipart_environ(body: bytes, **kwargs: t.Any) -> dict[str, t.Any]:
    return wsgi_environ(body, path="/form", content_type=MULTIPART, **kwargs)


#: The temporary files the last requests' form parsers opened.
OPENED: list[t.IO[bytes]] = []


class RecordingUploadsRequest(Request):
    """Records the file each upload is written to."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> t.IO[bytes]:
        container = default_stream_factory(
            total_content_length, content_type, filename, content_length
        )
        OPENED.append(container)
        return container


UPLOAD = multipart([("file", b"content", "a.txt"), ("name", b"ada")])


@pytest.mark.parametrize(
    ("case", "status"),
    [
        ("good", 200),
        # Parsed silently (Werkzeug's default): an empty form.
        ("truncated-after-the-file", 200),
        ("truncated-in-the-second-file", 200),
        ("shorter-than-content-length", 400),
        ("too-many-parts-after-the-file", 413),
        ("field-too-large-after-the-file", 413),
        ("over-max-content-length-after-the-file", 413),
    ],
)
def test_failed_multipart_closes_uploads(
    dispatch_app_class: type, case: str, status: int
) -> None:
    app = make_app(
        dispatch_app_class,
        MAX_FORM_PARTS=5,
        MAX_FORM_MEMORY_SIZE=FIELD,
        MAX_CONTENT_LENGTH=100_000,
    )
    app.request_class = RecordingUploadsRequest
    second_file = multipart([("a", b"a", "a.txt"), ("b", b"b" * 5_000, "b.txt")])
    environs = {
        "good": multipart_environ(UPLOAD),
        "truncated-after-the-file": multipart_environ(
            UPLOAD[: UPLOAD.index(b"--limits-boundary--")]
        ),
        "truncated-in-the-second-file": multipart_environ(second_file[:-200]),
        "shorter-than-content-length": multipart_environ(
            UPLOAD, length=str(len(UPLOAD) + 100)
        ),
        "too-many-parts-after-the-file": multipart_environ(
            multipart(
                [("file", b"content", "a.txt")] + [(f"f{i}", b"v") for i in range(9)]
            )
        ),
        "field-too-large-after-the-file": multipart_environ(
            multipart([("file", b"content", "a.txt"), ("name", b"x" * (FIELD + 1))])
        ),
        "over-max-content-length-after-the-file": multipart_environ(
            multipart([("file", b"content", "a.txt"), ("big", b"x" * 200_000, "b")]),
            length=None,
            extra=CHUNKED,
        ),
    }
    OPENED.clear()
    got, result = answer(app, environs[case])
    assert got == status
    if case == "good":
        assert result == {"form": {"name": ["ada"]}, "files": {"file": "content"}}
    elif status == 200:
        assert result == {"form": {}, "files": {}}
    assert OPENED
    assert all(container.closed for container in OPENED)
    OPENED.clear()


def test_silent_multipart_failure_closes_uploads() -> None:
    """A body that does not parse, parsed silently (the default): the form is
    empty, and the uploads it had read are closed."""
    OPENED.clear()
    body = UPLOAD[: UPLOAD.index(b"--limits-boundary--")]
    request = RecordingUploadsRequest(
        wsgi_environ(body, path="/form", content_type=MULTIPART)
    )
    assert not request.form
    assert not request.files
    assert OPENED
    assert all(container.closed for container in OPENED)
    OPENED.clear()
