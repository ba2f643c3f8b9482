"""Leak test for the routing twins: repeat match and build; memory stays flat.

A reference leaked per call in a compiled kernel (or a cache keyed by request path
that never stops growing) shows up as resident memory growing with the number of
calls. Each core does a warm-up, then a few hundred thousand calls in rounds, and the
resident set size after the last round must stay within a small slack of the size
after the first one. The same goes for hostile input: paths that are not UTF-8, hold
control characters or a lone surrogate, run to hundreds of segments or thousands of
digits, and methods no client should send.
"""

from __future__ import annotations

import gc
import os
import sys
from typing import Any

import pytest
from conftest import STATM, resident_bytes, traced_growth

from microweb.routing import (
    BuildError,
    MethodNotAllowed,
    NotFound,
    RequestRedirect,
    Rule,
)

SERVER = "example.org"
#: Calls per round: 5 matches and 2 builds per iteration.
ITERATIONS_PER_ROUND = 12_000
ROUNDS = 4
#: Allowed growth of the resident set between the first and the last round.
RSS_SLACK_BYTES = 3 * 1024 * 1024


def leak_map(map_class: type) -> Any:
    return map_class(
        [
            Rule("/", endpoint="index"),
            Rule("/users/<int:user_id>", methods=["GET"], endpoint="user"),
            Rule("/users/<int:user_id>", methods=["DELETE"], endpoint="user_delete"),
            Rule("/files/<path:name>", endpoint="file"),
            Rule("/dir/", endpoint="dir"),
            Rule("/posts/<slug>/", endpoint="post"),
            Rule("/page", defaults={"n": 1}, endpoint="page"),
            Rule("/page/<int:n>", endpoint="page"),
        ]
    )


def exercise(adapter: Any, start: int, count: int) -> None:
    """Run *count* iterations of match and build calls of every kind."""
    for number in range(start, start + count):
        adapter.match(f"/users/{number}", "GET")
        adapter.match(f"/files/a/{number}/b.txt", "GET")
        try:
            adapter.match(f"/missing/{number}", "GET")
        except NotFound:
            pass
        try:
            adapter.match(f"/users/{number}", "PUT")
        except MethodNotAllowed:
            pass
        try:
            adapter.match(f"/posts/p{number}", "GET", query_args={"q": number})
        except RequestRedirect:
            pass
        adapter.build("user", {"user_id": number, "tab": "x"})
        try:
            adapter.build("post", {"wrong": number})
        except BuildError:
            pass


@pytest.mark.skipif(not os.path.exists(STATM), reason="needs /proc/self/statm")
def test_match_and_build_rss_flat(map_class: type) -> None:
    adapter = leak_map(map_class).bind(SERVER)
    exercise(adapter, 0, ITERATIONS_PER_ROUND)  # warm-up: caches, interned objects
    gc.collect()
    sizes = []
    start = ITERATIONS_PER_ROUND
    for _ in range(ROUNDS):
        exercise(adapter, start, ITERATIONS_PER_ROUND)
        start += ITERATIONS_PER_ROUND
        gc.collect()
        sizes.append(resident_bytes())
    growth = sizes[-1] - sizes[0]
    assert growth < RSS_SLACK_BYTES, f"resident set grew by {growth} bytes: {sizes}"


def test_match_and_build_traced_memory_flat(map_class: type) -> None:
    # Python-level objects that outlive the calls (lists, dicts, exceptions kept in a
    # cache...) show in tracemalloc even where the resident set hides them.
    adapter = leak_map(map_class).bind(SERVER)
    exercise(adapter, 0, 3_000)
    gc.collect()
    growth = traced_growth(
        lambda: exercise(adapter, 3_000, 2_000), lambda: exercise(adapter, 5_000, 6_000)
    )
    # 6,000 iterations: even 16 bytes kept per call would be 672 KB
    assert growth < 256 * 1024, growth


def test_refcounts_stable(map_class: type) -> None:
    # A reference leaked on a shared object (the endpoint, a rule, a converter's
    # value) shows as a growing reference count.
    if not hasattr(sys, "getrefcount"):
        pytest.skip("needs sys.getrefcount")
    endpoint = "refcounted_endpoint_" + str(id(map_class))
    rule = Rule("/r/<int:n>", endpoint=endpoint, defaults={"flag": True})
    url_map = map_class([rule, Rule("/s/", endpoint=endpoint + "_s")])
    adapter = url_map.bind(SERVER)
    exercise_shared = [endpoint, rule]
    for _ in range(100):
        adapter.match("/r/1")
        adapter.build(endpoint, {"n": 1})
    before = [sys.getrefcount(obj) for obj in exercise_shared]
    for number in range(2_000):
        assert adapter.match(f"/r/{number}") == (endpoint, {"n": number, "flag": True})
        assert adapter.match(f"/r/{number}", return_rule=True)[0] is rule
        adapter.build(endpoint, {"n": number})
        try:
            adapter.match("/s")
        except RequestRedirect:
            pass
    gc.collect()
    after = [sys.getrefcount(obj) for obj in exercise_shared]
    assert after[0] - before[0] < 50, (before, after)
    assert after[1] - before[1] < 50, (before, after)


# -- hostile paths and methods --------------------------------------------------------

#: Paths no browser sends: not UTF-8 (as PEP 3333 hands them over), control
#: characters, a lone surrogate, hundreds of segments, a number too long for int(),
#: escapes and doubled slashes.
HOSTILE_PATHS = [
    "/caf\xc3\xa9/\xff\xfe",
    "/users/\x00\x1f\x7f",
    "/users/\udcff",
    "/" + "a/" * 300,
    "/files/" + "x/" * 300 + "y.txt",
    "/users/" + "9" * 5_000,
    "/users/1%2F2",
    "//users//12//",
    "/posts/" + "p" * 2_000,
    "/dir",
    "",
]
HOSTILE_METHODS = ["GET", "", "get", "PROPFIND", "X" * 100]


def exercise_hostile(adapter: Any, count: int) -> None:
    """Match every hostile path with every method, *count* times; only the
    router's own outcomes may come out."""
    for _ in range(count):
        for path in HOSTILE_PATHS:
            for method in HOSTILE_METHODS:
                try:
                    adapter.match(path, method)
                except (NotFound, MethodNotAllowed, RequestRedirect):
                    pass


@pytest.mark.skipif(not os.path.exists(STATM), reason="needs /proc/self/statm")
def test_hostile_match_rss_flat(map_class: type) -> None:
    # 55 matches per iteration, 1,500 iterations per round: close to 400,000
    # matches per core, in a few seconds.
    adapter = leak_map(map_class).bind(SERVER)
    exercise_hostile(adapter, 1_000)  # warm-up
    gc.collect()
    sizes = []
    for _ in range(ROUNDS):
        exercise_hostile(adapter, 1_500)
        gc.collect()
        sizes.append(resident_bytes())
    growth = sizes[-1] - sizes[0]
    assert growth < RSS_SLACK_BYTES, f"resident set grew by {growth} bytes: {sizes}"


def test_hostile_match_traced_memory_flat(map_class: type) -> None:
    adapter = leak_map(map_class).bind(SERVER)
    exercise_hostile(adapter, 200)
    gc.collect()
    growth = traced_growth(
        lambda: exercise_hostile(adapter, 100), lambda: exercise_hostile(adapter, 500)
    )
    # 27,500 matches: even 8 bytes kept per match would be 220 KB.
    assert growth < 96 * 1024, growth
