"""``compact_json`` of the compiled signing core against the standard library.

``microweb._signing_c.compact_json(obj, ensure_ascii, sort_keys)`` must return
exactly ``json.dumps(obj, ensure_ascii=ensure_ascii, sort_keys=sort_keys,
separators=(",", ":"))`` (the same text, and a str of the same kind), or ``None``
when *obj* is or holds anything but an exact dict with exact str keys, list, tuple,
str, int, bool, float or ``None``, or nests more than 64 containers deep. It has no
pure-Python twin: the tests skip when the compiled core is not importable (a native
run, ``MICROWEB_REQUIRE_EXTENSIONS=1``, fails instead) or has no ``compact_json``.
"""

from __future__ import annotations

import collections
import decimal
import enum
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from conftest import diff_settings, import_core
from hypothesis import given
from hypothesis import strategies as st

DIFF_SETTINGS = diff_settings(200)
#: The most containers nested in one another that compact_json encodes.
MAX_DEPTH = 64
FLAGS = [(False, False), (False, True), (True, False), (True, True)]
FLAG_IDS = ["unicode", "unicode-sorted", "ascii", "ascii-sorted"]
#: Ways to put a value in a container: a list, a tuple, a dict.
WRAPPERS = [lambda value: [value], lambda value: (value,), lambda value: {"k": value}]
WRAPPER_IDS = ["list", "tuple", "dict"]

CompactJson = Callable[[Any, bool, bool], "str | None"]


@pytest.fixture(scope="module")
def compact_json() -> CompactJson:
    """``microweb._signing_c.compact_json``; every test skips without it."""
    core = import_core("signing", "c")
    function = getattr(core, "compact_json", None)
    if function is None:
        pytest.skip("microweb._signing_c has no compact_json")
    return function


def dumps(obj: Any, ensure_ascii: bool, sort_keys: bool) -> str:
    """The standard library's compact JSON text of *obj*: the reference."""
    return json.dumps(
        obj, ensure_ascii=ensure_ascii, sort_keys=sort_keys, separators=(",", ":")
    )


def assert_same_text(result: str | None, expected: str) -> None:
    """*result* is *expected*: the same code points, in a str of the same kind
    (equal strs of different kinds or ASCII flags differ in size)."""
    assert type(result) is str
    assert result == expected
    assert sys.getsizeof(result) == sys.getsizeof(expected)
    assert result.isascii() == expected.isascii()


def assert_matches(compact_json: CompactJson, obj: Any) -> None:
    """compact_json gives the standard library's text for *obj*, for all four
    combinations of ensure_ascii and sort_keys."""
    for ensure_ascii, sort_keys in FLAGS:
        assert_same_text(
            compact_json(obj, ensure_ascii, sort_keys),
            dumps(obj, ensure_ascii, sort_keys),
        )


def nested(depth: int, make: Callable[[Any], Any], leaf: Any = 0) -> Any:
    """*leaf* inside *depth* containers made by *make*, one in another."""
    value = leaf
    for _ in range(depth):
        value = make(value)
    return value


# ---------------------------------------------------------------------- strategies

#: Code points every JSON encoder must think about.
SPECIAL_CHARS = list(
    '"\\/\x00\x08\x09\x0a\x0b\x0c\x0d\x1f\x20~\x7f\x80\x9f\xa0\xe9\xff'
    "\u0100\u2028\u2029\ud7ff\ud800\udbff\udc00\udfff\ue000\ufeff\uffff"
    "\U00010000\U0001f600\U0010ffff"
)
chars = st.one_of(
    st.characters(),
    st.sampled_from(SPECIAL_CHARS),
    st.integers(0, 0x1F).map(chr),  # control characters
    st.integers(0xD800, 0xDFFF).map(chr),  # lone surrogates
    st.integers(0x10000, 0x10FFFF).map(chr),  # beyond the BMP
)
texts = st.one_of(
    st.text(chars, max_size=20),
    st.text(st.characters(max_codepoint=0x7F), max_size=20),  # ASCII strs
    st.text(st.characters(max_codepoint=0xFF), max_size=20),  # Latin-1 strs
)
integers = st.one_of(
    st.integers(),
    st.integers(-(2**64) - 2, 2**64 + 2),  # around the long long bounds
    st.sampled_from([-(2**63) - 1, -(2**63), 2**63 - 1, 2**63, 2**64]),
    st.integers(-(10**400), 10**400),  # longer than a long long
)
floats = st.one_of(
    st.floats(),  # NaN, infinities, -0.0 and subnormals included
    st.sampled_from([-0.0, 1e16, 1e-7, 5e-324, 2.2250738585072014e-308, 1e22]),
)
leaves = st.one_of(st.none(), st.booleans(), integers, floats, texts)


def containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Lists, tuples and dicts (with str keys) of *children*."""
    return st.one_of(
        st.lists(children, max_size=5),
        st.lists(children, max_size=5).map(tuple),
        st.dictionaries(texts, children, max_size=5),
    )


json_values = st.recursive(leaves, containers, max_leaves=25)


# -------------------------------------------------------------- the same as json


@pytest.mark.parametrize(("ensure_ascii", "sort_keys"), FLAGS, ids=FLAG_IDS)
@DIFF_SETTINGS
@given(value=json_values)
def test_matches_json_dumps(
    compact_json: CompactJson, ensure_ascii: bool, sort_keys: bool, value: Any
) -> None:
    assert_same_text(
        compact_json(value, ensure_ascii, sort_keys),
        dumps(value, ensure_ascii, sort_keys),
    )


SESSION = {
    "user_id": 42,
    "csrf_token": "5f2b9c0e8d7a4b61a3e9f0c2d4b6a8e1",
    "_flashes": [["message", "Welcome back"]],
}


@pytest.mark.parametrize(
    ("obj", "ensure_ascii", "sort_keys", "text"),
    [
        ({}, False, False, "{}"),
        ([], False, False, "[]"),
        ((), True, True, "[]"),
        ("", True, False, '""'),
        ([{}, [], ()], False, True, "[{},[],[]]"),
        (None, False, False, "null"),
        ([True, False, None], True, False, "[true,false,null]"),
        ("\x7f", True, False, '"\\u007f"'),
        ("\x7f", False, False, '"\x7f"'),
        ("\u2028", True, False, '"\\u2028"'),
        ("\u2028", False, False, '"\u2028"'),
        ("\ud800", True, False, '"\\ud800"'),
        ("\ud800", False, False, '"\ud800"'),
        ("\U0001f600", True, False, '"\\ud83d\\ude00"'),
        ("\U0001f600", False, False, '"\U0001f600"'),
        ("\ud83d\ude00", True, False, '"\\ud83d\\ude00"'),
        ("\U0010ffff", True, False, '"\\udbff\\udfff"'),
        ("é\xff", True, False, '"\\u00e9\\u00ff"'),
        ("é\xff", False, False, '"é\xff"'),
        ('"\\/', False, False, '"\\"\\\\/"'),
        ("\b\f\n\r\t", True, False, '"\\b\\f\\n\\r\\t"'),
        ("\x00\x01\x0b\x1f", False, False, '"\\u0000\\u0001\\u000b\\u001f"'),
        (-0.0, False, False, "-0.0"),
        (0.0, False, False, "0.0"),
        (1.0, False, False, "1.0"),
        (0.1, False, False, "0.1"),
        (1e16, False, False, "1e+16"),
        (1e-7, False, False, "1e-07"),
        (5e-324, False, False, "5e-324"),
        (2.2250738585072014e-308, False, False, "2.2250738585072014e-308"),
        (1.7976931348623157e308, False, False, "1.7976931348623157e+308"),
        (123456789012345678.0, False, False, "1.2345678901234568e+17"),
        (float("nan"), False, False, "NaN"),
        (-float("nan"), False, False, "NaN"),
        (float("inf"), False, False, "Infinity"),
        (-float("inf"), False, False, "-Infinity"),
        (0, False, False, "0"),
        (-1, False, False, "-1"),
        (-(2**63), False, False, "-9223372036854775808"),
        (2**63 - 1, False, False, "9223372036854775807"),
        (2**64, False, False, "18446744073709551616"),
        (-(2**63) - 1, False, False, "-9223372036854775809"),
        (SESSION, False, False, json.dumps(SESSION, separators=(",", ":"))),
        ({"count": 1, "user": "alice"}, True, True, '{"count":1,"user":"alice"}'),
        ({"b": 1, "a": 2}, False, False, '{"b":1,"a":2}'),
        ({"b": 1, "a": 2}, False, True, '{"a":2,"b":1}'),
    ],
)
def test_pinned_text(
    compact_json: CompactJson, obj: Any, ensure_ascii: bool, sort_keys: bool, text: str
) -> None:
    assert dumps(obj, ensure_ascii, sort_keys) == text
    assert_same_text(compact_json(obj, ensure_ascii, sort_keys), text)


@pytest.mark.parametrize(
    "obj",
    [
        "ascii only",
        "latin-1: é",
        "two bytes: \u2028",
        "four bytes: \U0001f600",
        {"é": "\u2028", "a": ["\U0001f600"]},
        ["\x7f", "\x80", "\xff", "\u0100", "\uffff", "\U00010000"],
    ],
    ids=["ascii", "latin1", "ucs2", "ucs4", "mixed", "boundaries"],
)
def test_kind_of_result(compact_json: CompactJson, obj: Any) -> None:
    assert_matches(compact_json, obj)


def test_sort_keys_in_code_point_order(compact_json: CompactJson) -> None:
    keys = ["b", "a", "B", "", "é", "\uffff", "\U0001f600", "\ud800", "ab", "a\x00"]
    mapping = {key: index for index, key in enumerate(keys)}
    assert_matches(compact_json, mapping)
    # More keys than are sorted by insertion, or on the stack; dicts below.
    many = {
        f"k{index * 7919 % 1000:03}\u2028": {"z": index, "y": [index]}
        for index in range(200)
    }
    assert_matches(compact_json, many)


def test_long_text_outgrows_the_stack_buffer(compact_json: CompactJson) -> None:
    for obj in [
        "x" * 5000,
        "\x00" * 3000,  # 6 code points each
        "\U0001f600" * 2000,  # 12 code points each with ensure_ascii
        ["é" * 700, "\u2028" * 700, "\U0001f600" * 700, "\x01" * 700],
        {f"key{index}": [index, index * 0.5, "v" * index] for index in range(300)},
        list(range(5000)),
    ]:
        assert_matches(compact_json, obj)


def test_as_deep_as_allowed(compact_json: CompactJson) -> None:
    for make in WRAPPERS:
        assert_matches(compact_json, nested(MAX_DEPTH, make))
    mixed = nested(MAX_DEPTH // 2, lambda value: {"k": [value]})
    assert_matches(compact_json, mixed)


def test_long_ints(compact_json: CompactJson) -> None:
    for number in (10**100, -(10**100), 2**1000 + 1, 10**1000 - 1):
        assert_matches(compact_json, [number])


# ---------------------------------------------------------------- left to json


class Mapping(dict):  # type: ignore[type-arg]
    pass


class Text(str):
    __slots__ = ()


class Number(int):
    pass


class Real(float):
    pass


class Items(list):  # type: ignore[type-arg]
    pass


class Colour(enum.IntEnum):
    RED = 1


Point = collections.namedtuple("Point", "x y")

UNSUPPORTED = {
    "dict-subclass": Mapping(a=1),
    "ordered-dict": collections.OrderedDict(a=1),
    "str-subclass": Text("a"),
    "int-subclass": Number(1),
    "int-enum": Colour.RED,
    "float-subclass": Real(1.5),
    "list-subclass": Items([1]),
    "named-tuple": Point(1, 2),
    "int-key": {1: "a"},
    "none-key": {None: "a"},
    "tuple-key": {(1, 2): "a"},
    "bool-key": {True: "a"},
    "float-key": {1.5: "a"},
    "str-subclass-key": {Text("a"): 1},
    "int-key-after-str-keys": {"b": 1, "a": 2, 3: 3},
    "set": {1, 2},
    "frozenset": frozenset(),
    "decimal": decimal.Decimal("1.5"),
    "datetime": datetime(2024, 1, 1),
    "bytes": b"a",
    "complex": 1j,
    "object": object(),
    "nested-deep": [[{"a": [1, 2, {"b": ("c", {"d": [{3, 4}]})}]}]],
    "after-long-text": ["x" * 5000, "\U0001f600" * 500, set()],
    "in-many-sorted-keys": {
        f"k{index}": index if index != 40 else {1} for index in range(50)
    },
}


@pytest.mark.parametrize("obj", list(UNSUPPORTED.values()), ids=list(UNSUPPORTED))
@pytest.mark.parametrize(("ensure_ascii", "sort_keys"), FLAGS, ids=FLAG_IDS)
def test_unsupported_gives_none(
    compact_json: CompactJson, obj: Any, ensure_ascii: bool, sort_keys: bool
) -> None:
    assert compact_json(obj, ensure_ascii, sort_keys) is None


@pytest.mark.parametrize("make", WRAPPERS, ids=WRAPPER_IDS)
@pytest.mark.parametrize(("ensure_ascii", "sort_keys"), FLAGS, ids=FLAG_IDS)
def test_too_deep_gives_none(
    compact_json: CompactJson,
    make: Callable[[Any], Any],
    ensure_ascii: bool,
    sort_keys: bool,
) -> None:
    too_deep = nested(MAX_DEPTH + 1, make)
    assert dumps(too_deep, ensure_ascii, sort_keys)  # the library encodes it
    assert compact_json(too_deep, ensure_ascii, sort_keys) is None
    assert compact_json([1, {"a": too_deep}], ensure_ascii, sort_keys) is None


def circular_values() -> dict[str, Any]:
    """Values that hold themselves, some of them twice."""
    items: list[Any] = [1]
    items.append(items)
    mapping: dict[str, Any] = {"a": 1}
    mapping["self"] = mapping
    mapping["again"] = mapping
    twice: list[Any] = []
    twice += [twice, twice]
    outer: dict[str, Any] = {"b": 0}
    inner = [outer, ("t", outer)]
    outer["a"] = inner
    return {"list": items, "dict": mapping, "twice": twice, "mutual": outer}


@pytest.mark.parametrize("name", list(circular_values()))
@pytest.mark.parametrize(("ensure_ascii", "sort_keys"), FLAGS, ids=FLAG_IDS)
def test_circular_gives_none(
    compact_json: CompactJson, name: str, ensure_ascii: bool, sort_keys: bool
) -> None:
    obj = circular_values()[name]
    assert compact_json(obj, ensure_ascii, sort_keys) is None
    with pytest.raises(ValueError, match="Circular reference"):
        dumps(obj, ensure_ascii, sort_keys)


@pytest.mark.parametrize(("ensure_ascii", "sort_keys"), FLAGS, ids=FLAG_IDS)
def test_int_too_long_for_repr_gives_none(
    compact_json: CompactJson, ensure_ascii: bool, sort_keys: bool
) -> None:
    huge = 10**5000  # more digits than sys.get_int_max_str_digits() allows
    for obj in (huge, -huge, [1, {"a": huge}]):
        assert compact_json(obj, ensure_ascii, sort_keys) is None


@pytest.mark.skipif(
    not hasattr(sys, "set_int_max_str_digits"), reason="no int digit limit"
)
def test_int_digit_limit_is_followed(compact_json: CompactJson) -> None:
    number = 10**700  # 701 digits
    limit = sys.get_int_max_str_digits()
    try:
        sys.set_int_max_str_digits(640)
        assert compact_json([number], False, False) is None
        sys.set_int_max_str_digits(0)  # no limit: int.__repr__ may then run Python
        assert_matches(compact_json, [number])
        assert compact_json([2**20000], False, False) is None  # left to json
    finally:
        sys.set_int_max_str_digits(limit)
