"""Differential tests: Werkzeug's router and both microweb twins give one answer.

Hypothesis generates rule sets and requests; for each request the outcome (the
endpoint and converted values, or 404, or 405 with the allowed methods, or the
redirect URL, or 400 for a WebSocket request to an HTTP rule and the other way
round) must be the same from ``werkzeug.routing``, ``microweb._routing_c`` and
``microweb._routing_py``. The building side is compared the same way.

Deliberate differences (see ``microweb.routing``): a rule that lands on the same
pattern as an earlier rule with overlapping methods raises ShadowedRuleError (such
rules are left out of the set, after checking that Werkzeug would indeed have put
them in the same place), and a converter's plain ValueError is a 404 (only the twins
are compared there).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import werkzeug.routing
from conftest import build_map, diff_phases, diff_settings
from hypothesis import (
    assume,
    currently_in_test_context,
    event,
    given,
    settings,
)
from hypothesis import strategies as st

from microweb.routing import (
    MethodNotAllowed,
    NotFound,
    RequestRedirect,
    Rule,
    ShadowedRuleError,
    WebsocketMismatch,
)

SERVER = "example.org"
METHODS = ("GET", "POST", "PUT", "DELETE")
REQUEST_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")

PHASES = diff_phases()
DIFF_SETTINGS = diff_settings(400)

GITHUB_ROUTES = Path(__file__).resolve().parent.parent / "perf" / "data" / "github.txt"


# ----------------------------------------------------------------------- helpers


def match_outcome(
    adapter: Any, path: str, method: str, websocket: bool | None = None
) -> tuple:
    """One match, reduced to a comparable value (exception kinds included)."""
    try:
        endpoint, view_args = adapter.match(path, method, websocket=websocket)
    except (RequestRedirect, werkzeug.routing.RequestRedirect) as exc:
        return ("redirect", exc.new_url, exc.code)
    except MethodNotAllowed as exc:
        return ("405", sorted(exc.valid_methods or ()))
    except WebsocketMismatch:
        return ("400 WebSocket mismatch",)
    except NotFound:
        return ("404",)
    except Exception as exc:  # noqa: BLE001 - any other exception is an outcome too
        return ("error", type(exc).__name__)
    typed_args = sorted(
        (name, type(value).__name__, repr(value)) for name, value in view_args.items()
    )
    return ("match", endpoint, typed_args)


def build_outcome(adapter: Any, endpoint: str, values: Any, method: Any) -> tuple:
    """One build, reduced to a comparable value."""
    try:
        return ("url", adapter.build(endpoint, values, method=method))
    except werkzeug.routing.BuildError as exc:
        return ("BuildError", str(exc))
    except Exception as exc:  # noqa: BLE001
        return ("error", type(exc).__name__)


def note_event(name: str) -> None:
    """Count an event in Hypothesis' statistics (also usable outside @given)."""
    if currently_in_test_context():
        event(name)


def methods_overlap(earlier: Any, new: Any) -> bool:
    """Whether an *earlier* rule takes a method the *new* rule was written for: the
    ``HEAD`` that ``GET`` implies does not count (see ShadowedRuleError)."""
    if earlier is None or new is None:
        return True
    claimed = set(new) - {"HEAD"} if "GET" in new else set(new)
    return bool(set(earlier) & claimed)


def same_werkzeug_state(first: Any, second: Any) -> bool:
    """Tell whether Werkzeug's matcher puts two bound rules in the same state."""
    if len(first._parts) != len(second._parts):
        return False
    for part_a, part_b in zip(first._parts, second._parts, strict=True):
        if part_a.static != part_b.static:
            return False
        if part_a.static:
            if part_a.content != part_b.content:
                return False
        elif part_a != part_b:
            return False
    return True


class RuleSet:
    """The same rules on Werkzeug and on every importable twin."""

    def __init__(
        self,
        specs: list[dict[str, Any]],
        cores: list[ModuleType],
        map_kwargs: dict[str, Any],
        converters: dict[str, Any] | None = None,
    ) -> None:
        self.map_kwargs = dict(map_kwargs)
        if converters:
            self.map_kwargs["converters"] = converters
        # Keep the rules microweb accepts; check every refusal against Werkzeug.
        scratch = [build_map(core, **self.map_kwargs) for core in cores]
        reference_scratch = werkzeug.routing.Map(**self.map_kwargs)
        reference_rules: list[Any] = []
        kept: list[dict[str, Any]] = []
        for spec in specs:
            reference_rule = werkzeug.routing.Rule(**spec)
            try:
                reference_scratch.add(reference_rule)  # binds it, for its parts
            except Exception as exc:  # noqa: BLE001 - e.g. a default to_url rejects
                for core in cores:
                    with pytest.raises(type(exc)):
                        build_map(core, [Rule(**spec)], **self.map_kwargs)
                continue
            refused = []
            for url_map in scratch:
                try:
                    url_map.add(Rule(**spec))
                except ShadowedRuleError:
                    refused.append(True)
                else:
                    refused.append(False)
            assert len(set(refused)) == 1, ("twins disagree on ShadowedRuleError", spec)
            shadowing = [
                earlier
                for earlier in reference_rules
                if not spec.get("build_only")
                and earlier.websocket == reference_rule.websocket
                and same_werkzeug_state(earlier, reference_rule)
                and methods_overlap(earlier.methods, reference_rule.methods)
            ]
            if refused[0]:
                note_event("ShadowedRuleError")
                assert shadowing, ("refused a rule Werkzeug could match", spec)
                # start the scratch maps again without the refused rule
                scratch = [
                    build_map(core, [Rule(**s) for s in kept], **self.map_kwargs)
                    for core in cores
                ]
                continue
            assert not shadowing, ("accepted a rule Werkzeug can never match", spec)
            kept.append(spec)
            reference_rules.append(reference_rule)
        self.specs = kept
        self.reference = werkzeug.routing.Map(
            [werkzeug.routing.Rule(**spec) for spec in kept], **self.map_kwargs
        )
        self.maps = [
            build_map(core, [Rule(**spec) for spec in kept], **self.map_kwargs)
            for core in cores
        ]
        self.names = [core.__name__ for core in cores]

    def adapters(self, **bind_kwargs: Any) -> tuple[Any, list[Any]]:
        return (
            self.reference.bind(SERVER, **bind_kwargs),
            [url_map.bind(SERVER, **bind_kwargs) for url_map in self.maps],
        )

    def check_match(
        self,
        path: str,
        method: str,
        websocket: bool | None = None,
        **bind_kwargs: Any,
    ) -> tuple:
        reference, adapters = self.adapters(**bind_kwargs)
        outcomes = [
            match_outcome(adapter, path, method, websocket) for adapter in adapters
        ]
        for name, got in zip(self.names, outcomes, strict=True):
            assert got == outcomes[0], (
                path,
                method,
                websocket,
                self.names[0],
                outcomes[0],
                name,
                got,
            )
        expected = match_outcome(reference, path, method, websocket)
        note_event(f"match outcome: {expected[0]}")
        if expected == ("error", "ValueError"):
            # Werkzeug lets a converter's ValueError escape (from to_python, or
            # from to_url while building a defaults redirect); microweb answers
            # 404 for the first and serves the matched rule for the second.
            assert outcomes[0][0] not in {"error", "405", "redirect"}, (
                path,
                method,
                outcomes[0],
            )
            return outcomes[0]
        assert outcomes[0] == expected, (path, method, websocket, self.specs)
        return expected

    def check_build(self, endpoint: Any, values: Any, method: Any) -> tuple:
        reference, adapters = self.adapters()
        outcomes = [
            build_outcome(adapter, endpoint, values, method) for adapter in adapters
        ]
        for name, got in zip(self.names, outcomes, strict=True):
            assert got == outcomes[0], (
                endpoint,
                values,
                method,
                outcomes[0],
                name,
                got,
            )
        expected = build_outcome(reference, endpoint, values, method)
        assert outcomes[0] == expected, (endpoint, values, method, self.specs)
        return expected


# -------------------------------------------------------------------- strategies

STATIC_SEGMENTS = ["a", "b", "ab", "x", "1", "é", "a.b", "edit"]
CONVERTERS = [
    "<{name}>",
    "<int:{name}>",
    "<int(signed=True):{name}>",
    "<path:{name}>",
    "<any(a, b, x):{name}>",
    "<string(length=2):{name}>",
    "<string(minlength=2, maxlength=3):{name}>",
    "<float:{name}>",
    "<uuid:{name}>",
]
SAMPLE_UUID = "12345678-1234-5678-1234-567812345678"


@st.composite
def rule_strings(draw: Any) -> str:
    """A rule string: 0-4 segments, each static or a converter; maybe a trailing /."""
    count = draw(st.integers(0, 4))
    segments = []
    for index in range(count):
        kind = draw(st.sampled_from(["static", "static", "converter", "mixed"]))
        name = f"v{index}"
        if kind == "static":
            segments.append(draw(st.sampled_from(STATIC_SEGMENTS)))
        elif kind == "converter":
            segments.append(draw(st.sampled_from(CONVERTERS)).format(name=name))
        else:
            prefix = draw(st.sampled_from(["p", "a-", "x"]))
            converter = draw(st.sampled_from(CONVERTERS[:3] + CONVERTERS[5:6]))
            segments.append(prefix + converter.format(name=name))
    trailing = draw(st.booleans()) if count else False
    rule = "/" + "/".join(segments)
    if trailing:
        rule += "/"
    return rule


@st.composite
def rule_specs(draw: Any) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "string": draw(rule_strings()),
        "endpoint": draw(st.sampled_from(["e0", "e1", "e2", "e3"])),
    }
    methods = draw(
        st.one_of(st.none(), st.lists(st.sampled_from(METHODS), min_size=1, max_size=3))
    )
    if methods is not None:
        spec["methods"] = methods
    if draw(st.integers(0, 4)) == 0:
        spec["defaults"] = {
            draw(st.sampled_from(["v0", "v1", "d"])): draw(
                st.sampled_from([1, 2, "a", "x"])
            )
        }
    if draw(st.integers(0, 5)) == 0:
        spec["strict_slashes"] = False
    if draw(st.integers(0, 8)) == 0:
        spec["merge_slashes"] = False
    if draw(st.integers(0, 4)) == 0:
        # A WebSocket rule takes GET, HEAD and OPTIONS at most.
        spec["websocket"] = True
        spec["methods"] = draw(
            st.one_of(
                st.none(),
                st.lists(
                    st.sampled_from(["GET", "HEAD", "OPTIONS"]), min_size=1, max_size=2
                ),
            )
        )
        if spec["methods"] is None:
            del spec["methods"]
    return spec


map_options = st.fixed_dictionaries(
    {},
    optional={
        "strict_slashes": st.booleans(),
        "merge_slashes": st.booleans(),
        "redirect_defaults": st.booleans(),
    },
)

segment_text = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_characters="/", categories=["L", "N", "P", "S", "Zs"]
    ),
    max_size=6,
)
random_segments = st.one_of(
    st.sampled_from(
        STATIC_SEGMENTS
        + [
            "",
            "",
            "%",
            "%2F",
            "%41",
            "12",
            "-3",
            "1.5",
            "-1.5",
            "0.0",
            "ab",
            "abc",
            SAMPLE_UUID,
            SAMPLE_UUID.upper(),
            "a-1",
            "p1",
            "xé",
            "٣",
            "1e3",
            " ",
            ".",
        ]
    ),
    segment_text,
)


def value_for(segment: str, draw: Any) -> str:
    """Text that the converter in a rule segment would (mostly) accept."""
    if "<" not in segment:
        return segment
    prefix, _, rest = segment.partition("<")
    converter = rest.split(":")[0] if ":" in rest else "default"
    if converter.startswith("int"):
        text = draw(st.sampled_from(["0", "1", "42", "007", "-5", "x"]))
    elif converter.startswith("float"):
        text = draw(st.sampled_from(["1.5", "0.0", "10.25", "1", "-1.5"]))
    elif converter.startswith("path"):
        text = draw(st.sampled_from(["a", "a/b", "a/b/c", "edit", "a//b", "a/"]))
    elif converter.startswith("any"):
        text = draw(st.sampled_from(["a", "b", "x", "c"]))
    elif converter.startswith("string(length"):
        text = draw(st.sampled_from(["ab", "éé", "a", "abc"]))
    elif converter.startswith("string(min"):
        text = draw(st.sampled_from(["ab", "abc", "a", "abcd"]))
    elif converter.startswith("uuid"):
        text = draw(st.sampled_from([SAMPLE_UUID, SAMPLE_UUID.upper(), "1234"]))
    else:
        text = draw(
            st.one_of(st.sampled_from(["a", "b", "1", "x y", "é"]), segment_text)
        )
    return prefix + text


@st.composite
def request_paths(draw: Any, rule_strings_: list[str]) -> str:
    """A path shaped after one of the rules (with mutations), or a random one."""
    if rule_strings_ and draw(st.integers(0, 3)) > 0:
        rule = draw(st.sampled_from(rule_strings_))
        segments = rule.split("/")[1:]
        path = "/" + "/".join(value_for(segment, draw) for segment in segments)
        mutation = draw(
            st.sampled_from(
                ["none", "none", "slash", "unslash", "double", "extra", "drop", "lead"]
            )
        )
        if mutation == "slash":
            path += "/"
        elif mutation == "unslash":
            path = path.rstrip("/") or "/"
        elif mutation == "double":
            cut = draw(st.integers(0, len(path)))
            path = path[:cut] + "/" + path[cut:]
        elif mutation == "extra":
            path += "/" + draw(random_segments)
        elif mutation == "drop":
            path = path.rsplit("/", 1)[0] or "/"
        elif mutation == "lead":
            path = "//" + path
        return path
    segments = draw(st.lists(random_segments, max_size=5))
    return "/" + "/".join(segments)


# ------------------------------------------------------------------ (a) matching


@DIFF_SETTINGS
@given(
    specs=st.lists(rule_specs(), min_size=1, max_size=7),
    options=map_options,
    data=st.data(),
)
def test_match_differential(
    routing_cores: list[ModuleType],
    specs: list[dict[str, Any]],
    options: dict[str, Any],
    data: Any,
) -> None:
    rules = RuleSet(specs, routing_cores, options)
    assume(rules.specs)
    strings = [spec["string"] for spec in rules.specs]
    for _ in range(12):
        path = data.draw(request_paths(strings), label="path")
        method = data.draw(st.sampled_from(REQUEST_METHODS), label="method")
        websocket = data.draw(st.sampled_from([None, None, False, True]))
        rules.check_match(path, method, websocket)


@DIFF_SETTINGS
@given(
    specs=st.lists(rule_specs(), min_size=1, max_size=5),
    data=st.data(),
)
def test_match_differential_bound_variants(
    routing_cores: list[ModuleType], specs: list[dict[str, Any]], data: Any
) -> None:
    # script name, scheme and query arguments show in redirect URLs
    rules = RuleSet(specs, routing_cores, {})
    assume(rules.specs)
    strings = [spec["string"] for spec in rules.specs]
    bind_kwargs = data.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "script_name": st.sampled_from(["/", "/app", "/app/", "/é a"]),
                "url_scheme": st.sampled_from(["http", "https", "ws", "wss"]),
                "query_args": st.one_of(
                    st.sampled_from(["a=1", "q=%C3%A9&x", ""]),
                    st.dictionaries(
                        st.sampled_from(["a", "q", "é"]),
                        st.one_of(st.integers(), segment_text),
                        max_size=2,
                    ),
                ),
            },
        ),
        label="bind",
    )
    for _ in range(6):
        path = data.draw(request_paths(strings), label="path")
        method = data.draw(st.sampled_from(REQUEST_METHODS), label="method")
        rules.check_match(path, method, **bind_kwargs)


# ------------------------------------------------------------------ (b) building

present_build_values = st.one_of(
    st.integers(-5, 100),
    st.sampled_from(
        [
            0.5,
            1.5,
            -2.25,
            "a",
            "b",
            "x",
            "ab",
            "abc",
            "a/b",
            "é",
            "x y",
            "",
            uuid.UUID(SAMPLE_UUID),
            SAMPLE_UUID,
            True,
        ]
    ),
    segment_text,
    st.lists(st.sampled_from(["a", "b", 1]), max_size=2),
)
build_values = st.one_of(st.none(), present_build_values)


@DIFF_SETTINGS
@given(
    specs=st.lists(rule_specs(), min_size=1, max_size=6),
    options=map_options,
    data=st.data(),
)
def test_build_differential(
    routing_cores: list[ModuleType],
    specs: list[dict[str, Any]],
    options: dict[str, Any],
    data: Any,
) -> None:
    rules = RuleSet(specs, routing_cores, options)
    assume(rules.specs)
    for _ in range(10):
        endpoint = data.draw(st.sampled_from(["e0", "e1", "e2", "e3", "missing"]))
        values = data.draw(
            st.dictionaries(
                st.sampled_from(["v0", "v1", "v2", "v3", "d", "q"]),
                build_values,
                max_size=4,
            ),
            label="values",
        )
        method = data.draw(st.one_of(st.none(), st.sampled_from(REQUEST_METHODS)))
        rules.check_build(endpoint, values, method)


@DIFF_SETTINGS
@given(
    specs=st.lists(rule_specs(), min_size=1, max_size=6),
    data=st.data(),
)
def test_build_then_match_differential(
    routing_cores: list[ModuleType], specs: list[dict[str, Any]], data: Any
) -> None:
    # Whatever URL gets built must match the same way everywhere too.
    rules = RuleSet(specs, routing_cores, {})
    assume(rules.specs)
    for spec in rules.specs:
        rule = werkzeug.routing.Rule(spec["string"])
        werkzeug.routing.Map([rule])
        values = {
            name: data.draw(present_build_values) for name in sorted(rule.arguments)
        }
        result = rules.check_build(spec["endpoint"], values, None)
        if result[0] == "url" and "?" not in result[1]:
            from urllib.parse import unquote, urlsplit

            # A WebSocket rule builds a whole ws:// URL.
            url = urlsplit(result[1])
            rules.check_match(unquote(url.path), "GET", url.scheme == "ws")


# ------------------------------------------------- deliberate difference: ValueError


@settings(max_examples=30, deadline=None, phases=PHASES)
@given(digits=st.integers(4301, 6000), signed=st.booleans())
def test_int_value_error_twins_agree(
    routing_cores: list[ModuleType], digits: int, signed: bool
) -> None:
    specs = [
        {
            "string": "/n/<int(signed=True):v>" if signed else "/n/<int:v>",
            "endpoint": "n",
        }
    ]
    rules = RuleSet(specs, routing_cores, {})
    assert rules.check_match("/n/" + "7" * digits, "GET") == ("404",)


# -------------------------------------------------------------- (c) GitHub routes


def github_routes() -> list[tuple[str, str]]:
    if not GITHUB_ROUTES.exists():
        pytest.skip(f"{GITHUB_ROUTES} is missing")
    routes = []
    for line in GITHUB_ROUTES.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        method, path = line.split()
        rule = "/".join(
            f"<{segment[1:]}>" if segment.startswith(":") else segment
            for segment in path.split("/")
        )
        routes.append((method, rule))
    return routes


@pytest.fixture(scope="module")
def github_rules(routing_cores: list[ModuleType]) -> RuleSet:
    specs = [
        {"string": rule, "endpoint": f"{method} {rule}", "methods": [method]}
        for method, rule in github_routes()
    ]
    rules = RuleSet(specs, routing_cores, {})
    assert len(rules.specs) == 203
    return rules


def fill(rule: str, values: list[str]) -> str:
    filled = iter(values)
    return "/".join(
        next(filled) if segment.startswith("<") else segment
        for segment in rule.split("/")
    )


def test_github_routes_exact(github_rules: RuleSet) -> None:
    for spec in github_rules.specs:
        rule = spec["string"]
        method = spec["methods"][0]
        count = rule.count("<")
        path = fill(rule, [f"p{index}" for index in range(count)])
        result = github_rules.check_match(path, method)
        assert result[0] == "match", (rule, result)
        assert github_rules.check_build(
            spec["endpoint"],
            {
                name[1:-1]: f"p{index}"
                for index, name in enumerate(
                    segment for segment in rule.split("/") if segment.startswith("<")
                )
            },
            method,
        ) == ("url", path)
        near_misses = [
            path + "/",
            path + "/extra",
            path.rsplit("/", 1)[0] or "/",
            "/" + path,
            path.replace("/", "//", 1),
            path.upper(),
        ]
        for near_miss in near_misses:
            for near_method in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"):
                github_rules.check_match(near_miss, near_method)
        for other in ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"):
            github_rules.check_match(path, other)


@settings(max_examples=1000, deadline=None, phases=PHASES)
@given(data=st.data())
def test_github_routes_generated(github_rules: RuleSet, data: Any) -> None:
    spec = data.draw(st.sampled_from(github_rules.specs), label="rule")
    rule = spec["string"]
    values = [
        data.draw(st.one_of(segment_text, random_segments), label="value")
        for _ in range(rule.count("<"))
    ]
    path = fill(rule, values)
    mutation = data.draw(
        st.sampled_from(["none", "none", "slash", "extra", "missing", "double"])
    )
    if mutation == "slash":
        path += "/"
    elif mutation == "extra":
        path += "/" + data.draw(random_segments)
    elif mutation == "missing":
        path = path.rsplit("/", 1)[0] or "/"
    elif mutation == "double":
        path = path.replace("/", "//", 1)
    method = data.draw(
        st.one_of(st.just(spec["methods"][0]), st.sampled_from(REQUEST_METHODS))
    )
    github_rules.check_match(path, method)
