"""A small WSGI app on microweb's router, served on http://127.0.0.1:5000.

The app object with Flask's decorators is not here yet; until it is, this shows the
routing core on its own: Werkzeug's rules, matched by the compiled core when it is
built. Run it with ``python examples/hello.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.serving import run_simple
from werkzeug.wrappers import Request, Response

import microweb
from microweb.routing import Map, Rule

url_map = Map(
    [
        Rule("/", endpoint="index"),
        Rule("/hello/<name>", endpoint="hello"),
        Rule("/add/<int:a>/<int:b>", endpoint="add"),
        Rule("/files/<path:name>", endpoint="files"),
    ]
)


def index(request: Request, urls: Any) -> Response:
    links = [
        urls.build("hello", {"name": "world"}),
        urls.build("add", {"a": 2, "b": 40}),
        urls.build("files", {"name": "docs/readme.txt"}),
    ]
    body = "\n".join(
        [f"microweb {microweb.__version__}, {microweb.IMPLEMENTATION} core", *links]
    )
    return Response(body + "\n")


def hello(request: Request, urls: Any, name: str) -> Response:
    return Response(f"Hello, {name}!\n")


def add(request: Request, urls: Any, a: int, b: int) -> Response:
    return Response(json.dumps({"sum": a + b}), mimetype="application/json")


def files(request: Request, urls: Any, name: str) -> Response:
    return Response(f"You asked for {name!r}.\n")


views: dict[str, Callable[..., Response]] = {
    "index": index,
    "hello": hello,
    "add": add,
    "files": files,
}


def application(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    request = Request(environ)
    urls = url_map.bind_to_environ(environ)
    try:
        endpoint, args = urls.match()
        response = views[endpoint](request, urls, **args)
    except HTTPException as error:
        return error(environ, start_response)
    return response(environ, start_response)


if __name__ == "__main__":
    run_simple("127.0.0.1", 5000, application, use_reloader=False)
