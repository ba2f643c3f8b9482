"""Routing lookup cost: microweb's two cores against Werkzeug, Falcon, Bottle, a dict.

Run from the repository root::

    python perf/routing.py              # full run (about a minute)
    python perf/routing.py --quick      # short run (under 30 seconds)
    python perf/routing.py --rounds 61 --json routing.json --plot routing.png

Everything runs in one process. Each contender gets a request stream, every lookup of
that stream is checked once against the expected endpoint and arguments (a router that
answers wrongly is reported and not timed), then the contenders are timed round-robin:
one batch of lookups each per round, the starting contender rotating between rounds.
The table shows the median over rounds of the microseconds per lookup.

microweb is timed twice on each map: through the Werkzeug-compatible
``adapter.match(path, method)``, and at the core, ``map._matcher.match("", path,
method)``, the call microweb's request dispatcher will make per request.

Speed is measured here and only here; tests never assert timings.
"""

from __future__ import annotations

import gc
import importlib
import random
import string
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # perf/ is not a package

from _harness import (
    CLOCKS,
    GITHUB_ROUTES,
    MAX_MISMATCHES_SHOWN,
    SEED,
    VALUES_PER_ROUTE,
    Route,
    RunDefaults,
    Timed,
    fmt_ratio,
    fmt_us,
    github_stream,
    import_microweb,
    load_average,
    machine_line,
    machine_payload,
    make_value,
    md_table,
    measure_round_robin,
    notes_section,
    parse_route_file,
    run_line,
    shared_cpu_note,
    write_json,
)
from _report import save_plot

SCALING_SIZES = (10, 100, 1_000, 10_000)
SCALING_STREAM_LENGTH = 4096
DEFAULTS = RunDefaults(
    rounds=41,
    quick_rounds=9,
    batch_ms=30,
    quick_batch_ms=20,
    quick_help="short run (< 30 s)",
)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Request:
    """One lookup of a stream and the answer a correct router gives."""

    method: str
    path: str
    route: Route
    args: dict[str, str]


def github_requests(routes: list[Route]) -> list[Request]:
    """The GitHub set's stream: VALUES_PER_ROUTE requests per route, shuffled."""
    return github_stream(
        routes,
        SEED,
        lambda route, path, args: Request(route.method, path, route, args),
    )


def generated_routes(count: int, seed: int) -> list[Route]:
    """``count`` distinct GET routes of 2-6 segments, static words and ``<pN>`` params.

    The first segment is always static. Routes are distinct by shape (parameter names
    are positional), so no two rules share a pattern. Taking the first ``n`` of a
    larger call gives the same ``n`` routes.
    """
    rng = random.Random(seed)
    words: list[str] = []
    while len(words) < 80:
        word = "".join(
            rng.choice(string.ascii_lowercase) for _ in range(rng.randint(3, 9))
        )
        if word not in words:
            words.append(word)
    shapes: set[tuple[str | None, ...]] = set()
    routes = []
    while len(routes) < count:
        length = rng.randint(2, 6)
        shape: list[str | None] = [rng.choice(words)]
        for _ in range(length - 1):
            shape.append(None if rng.random() < 0.35 else rng.choice(words))
        key = tuple(shape)
        if key in shapes:
            continue
        shapes.add(key)
        segments = tuple(
            (f"p{index}",) if seg is None else seg for index, seg in enumerate(shape)
        )
        routes.append(Route("GET", segments))
    return routes


def random_stream(routes: list[Route], length: int, seed: int) -> list[Request]:
    """``length`` requests hitting random routes with fresh parameter values."""
    rng = random.Random(seed)
    stream = []
    for _ in range(length):
        route = rng.choice(routes)
        args = {name: make_value(rng) for name in route.params}
        stream.append(Request(route.method, route.fill(args), route, args))
    return stream


# --------------------------------------------------------------------- contenders


@dataclass
class Mismatch:
    request: Request
    expected: Any
    got: Any


@dataclass
class Contender(Timed):
    """A router ready to be timed: ``run(passes)`` walks its stream ``passes`` times.

    One pass is ``units_per_pass`` lookups; the samples are µs per lookup.
    """

    key: str
    label: str
    build_seconds: float
    mismatches: list[Mismatch] = field(default_factory=list)
    checked: int = 0


def _loop_method(lookup: Callable[[str, str], Any], pairs: list[tuple[str, str]]):
    def run(passes: int) -> None:
        for _ in range(passes):
            for path, method in pairs:
                lookup(path, method)

    return run


def _loop_first(lookup: Callable[[Any], Any], pairs: list[tuple[Any, str]]):
    def run(passes: int) -> None:
        for _ in range(passes):
            for first, _method in pairs:
                lookup(first)

    return run


def _check(
    contender: Contender, stream: list[Request], answer: Callable[[Request], Any]
) -> None:
    """Run every lookup once; ``answer`` returns (expected, got)."""
    for request in stream:
        contender.checked += 1
        try:
            expected, got = answer(request)
        except Exception as exc:  # any failure is a mismatch
            expected, got = "a match", f"{type(exc).__name__}: {exc}"
        if expected != got:
            contender.mismatches.append(Mismatch(request, expected, got))


def build_adapter(
    map_class: type, rule_class: type, routes: list[Route], first: Request
) -> tuple[Any, float]:
    """Werkzeug-shaped map, one Rule per (method, path); the adapter bound once."""
    gc.collect()  # so the build time does not carry a collection of earlier garbage
    start = time.perf_counter()
    url_map = map_class(
        [rule_class(r.rule, methods=[r.method], endpoint=r.endpoint) for r in routes]
    )
    adapter = url_map.bind("example.org")
    adapter.match(first.path, first.method)  # compiles the matcher
    return adapter, time.perf_counter() - start


def kind_contenders(
    kind: AdapterKind, adapter: Any, build_seconds: float, stream: list[Request]
) -> list[Contender]:
    """The adapter row of a kind, then its core row when it has one (microweb)."""
    contenders = [
        adapter_contender(kind.key, kind.label, adapter, build_seconds, stream)
    ]
    if kind.has_core:
        contenders.append(
            core_contender(
                kind.core_key, kind.core_label, adapter, build_seconds, stream
            )
        )
    return contenders


def adapter_contender(
    key: str, label: str, adapter: Any, build_seconds: float, stream: list[Request]
) -> Contender:
    """Times ``adapter.match(path, method)``, the call a framework makes per request."""
    match = adapter.match
    contender = Contender(
        key,
        label,
        build_seconds,
        run=_loop_method(match, [(r.path, r.method) for r in stream]),
        units_per_pass=len(stream),
    )
    _check(
        contender,
        stream,
        lambda r: ((r.route.endpoint, r.args), tuple(match(r.path, r.method))),
    )
    return contender


#: The domain the core matches on when neither subdomains nor hosts are matched.
CORE_DOMAIN = ""


def _loop_core(match: Callable[[str, str, str], Any], pairs: list[tuple[str, str]]):
    def run(passes: int) -> None:
        domain = CORE_DOMAIN
        for _ in range(passes):
            for path, method in pairs:
                match(domain, path, method)

    return run


def core_contender(
    key: str, label: str, adapter: Any, build_seconds: float, stream: list[Request]
) -> Contender:
    """Times ``map._matcher.match("", path, method)``, the core call under the adapter.

    The call microweb's request dispatcher will make per request: it returns
    ``(rule, args)`` on a match, ``(None, new_path)`` for a redirect and
    ``(None, allowed_methods)`` otherwise, with no Werkzeug-API layer on top.
    """
    match = adapter.map._matcher.match
    contender = Contender(
        key,
        label,
        build_seconds,
        run=_loop_core(match, [(r.path, r.method) for r in stream]),
        units_per_pass=len(stream),
    )

    def answer(request: Request):
        rule, result = match(CORE_DOMAIN, request.path, request.method)
        got = (None if rule is None else rule.endpoint, result)
        return (request.route.endpoint, request.args), got

    _check(contender, stream, answer)
    return contender


def build_falcon_contender(routes: list[Route], stream: list[Request]) -> Contender:
    """Falcon routes per path; the method is looked up on the resource afterwards."""
    find, build_seconds = build_falcon_router(routes, stream[0].path)
    return falcon_contender(find, build_seconds, stream)


def build_falcon_router(
    routes: list[Route], first_path: str
) -> tuple[Callable[[str], Any], float]:
    """Falcon's ``CompiledRouter.find`` for *routes*, and its build time in seconds."""
    from falcon.routing import CompiledRouter

    def responder(self, req, resp, **params):  # pragma: no cover - never called
        return None

    start = time.perf_counter()
    methods_by_template: dict[str, set[str]] = {}
    for route in routes:
        methods_by_template.setdefault(route.template("{", "}"), set()).add(
            route.method
        )
    router = CompiledRouter()
    for template, methods in methods_by_template.items():
        namespace: dict[str, Any] = {f"on_{m.lower()}": responder for m in methods}
        namespace["methods"] = frozenset(methods)
        namespace["template"] = template
        resource = type("Resource", (), namespace)()
        router.add_route(template, resource)
    find = router.find
    find(first_path)  # compiles the generated finder
    return find, time.perf_counter() - start


def falcon_contender(
    find: Callable[[str], Any], build_seconds: float, stream: list[Request]
) -> Contender:
    """Times ``router.find(path)`` over *stream*."""
    contender = Contender(
        "falcon",
        "falcon.routing.CompiledRouter",
        build_seconds,
        run=_loop_first(find, [(r.path, r.method) for r in stream]),
        units_per_pass=len(stream),
    )

    def answer(request: Request):
        expected = (request.route.template("{", "}"), request.args, True)
        found = find(request.path)
        if found is None:
            return expected, None
        resource, _method_map, params, _template = found
        return expected, (resource.template, params, request.method in resource.methods)

    _check(contender, stream, answer)
    return contender


def build_bottle_contender(routes: list[Route], stream: list[Request]) -> Contender:
    """Bottle's router matches a WSGI environ; the environs are built before timing."""
    import bottle

    start = time.perf_counter()
    router = bottle.Router()
    for route in routes:
        router.add(route.rule, route.method, route.endpoint)
    environs = [
        ({"PATH_INFO": r.path, "REQUEST_METHOD": r.method}, r.method) for r in stream
    ]
    match = router.match
    match(environs[0][0])
    build_seconds = time.perf_counter() - start
    contender = Contender(
        "bottle",
        "bottle.Router",
        build_seconds,
        run=_loop_first(match, environs),
        units_per_pass=len(stream),
    )
    environ_of = {id(r): env for r, (env, _m) in zip(stream, environs, strict=True)}
    _check(
        contender,
        stream,
        lambda r: ((r.route.endpoint, r.args), tuple(match(environ_of[id(r)]))),
    )
    return contender


def build_dict_contender(stream: list[Request]) -> Contender:
    """The physical floor: ``dict.get`` of the exact path string."""
    start = time.perf_counter()
    table: dict[str, dict[str, str]] = {}
    for request in stream:
        table.setdefault(request.path, {})[request.method] = request.route.endpoint
    build_seconds = time.perf_counter() - start
    get = table.get
    contender = Contender(
        "dict",
        "dict lookup (physical floor)",
        build_seconds,
        run=_loop_first(get, [(r.path, r.method) for r in stream]),
        units_per_pass=len(stream),
    )
    _check(
        contender,
        stream,
        lambda r: (r.route.endpoint, get(r.path, {}).get(r.method)),
    )
    return contender


@dataclass
class Microweb:
    """What the microweb import gave: the two pinned Map classes and notes."""

    version: str = "?"
    location: str = "?"
    default_core: str = "?"
    rule: type | None = None
    native_map: type | None = None
    pure_map: type | None = None
    notes: list[str] = field(default_factory=list)


def load_microweb() -> Microweb:
    found = Microweb()
    try:
        microweb = import_microweb()
        routing = importlib.import_module("microweb.routing")
    except Exception as exc:  # report, carry on without it
        found.notes.append(
            f"microweb skipped: cannot import microweb.routing ({exc!r})"
        )
        return found
    found.version = getattr(microweb, "__version__", "?")
    found.location = str(Path(microweb.__file__).resolve().parent)
    found.default_core = getattr(microweb, "IMPLEMENTATION", "?")
    found.rule = routing.Rule
    try:
        pure = importlib.import_module("microweb._routing_py")
        found.pure_map = type("PureMap", (routing.Map,), {"core": pure})
    except Exception as exc:
        found.notes.append(f"microweb pure skipped: {exc!r}")
    try:
        native = importlib.import_module("microweb._routing_c")
        found.native_map = type("NativeMap", (routing.Map,), {"core": native})
    except ImportError as exc:
        found.notes.append(
            "microweb native skipped: the compiled core microweb._routing_c is not "
            f"built ({exc}); build it with `pip install .` or "
            "`cythonize -i microweb/_routing_c.pyx` in a copy of the tree"
        )
    return found


def library_versions() -> dict[str, str]:
    versions = {}
    for name in ("werkzeug", "falcon", "bottle"):
        try:
            importlib.import_module(name)
        except ImportError:
            versions[name] = "not installed"
            continue
        from importlib.metadata import version

        text = version(name)
        if name == "falcon":
            router_file = importlib.import_module("falcon.routing.compiled").__file__
            compiled = not str(router_file).endswith(".py")
            text += " (router compiled)" if compiled else " (router module is .py)"
        versions[name] = text
    return versions


# ----------------------------------------------------------------------- reports


def describe_mismatch(mismatch: Mismatch) -> list[str]:
    request = mismatch.request
    return [
        f"`{request.method} {request.path}`",
        f"`{mismatch.expected!r}`",
        f"`{mismatch.got!r}`",
    ]


def main_table(contenders: list[Contender], failed: list[Contender]) -> list[str]:
    by_key = {c.key: c for c in contenders}
    werkzeug = by_key.get("werkzeug")
    falcon = by_key.get("falcon")
    werkzeug_us = werkzeug.median_us if werkzeug else None
    falcon_us = falcon.median_us if falcon else None
    header = [
        "contender",
        "µs per lookup (median)",
        "vs Werkzeug (x faster)",
        "vs Falcon (x faster)",
    ]
    rows = [
        [
            c.label,
            fmt_us(c.median_us),
            fmt_ratio(werkzeug_us, c.median_us, "n/a"),
            fmt_ratio(falcon_us, c.median_us, "n/a"),
        ]
        for c in contenders
    ]
    rows += [
        [
            c.label,
            f"not timed: {len(c.mismatches)} of {c.checked} lookups wrong",
            "",
            "",
        ]
        for c in failed
    ]
    return md_table(header, rows)


@dataclass
class ScalingResult:
    size: int
    contenders: dict[str, Contender]
    skipped: dict[str, str]
    label: str = ""


def scaling_table(
    results: list[ScalingResult], keys: list[tuple[str, str]]
) -> list[str]:
    header = ["routes"]
    for _key, label in keys:
        header += [f"{label} µs", f"{label} vs 10 routes"]
    rows = []
    base: dict[str, float] = {}
    for result in results:
        row = [result.label or format(result.size, ",")]
        for key, _label in keys:
            contender = result.contenders.get(key)
            if contender is None or not contender.samples_us:
                row += [result.skipped.get(key, "skipped"), ""]
                continue
            us = contender.median_us
            if result is results[0]:
                base[key] = us
            ratio = f"{us / base[key]:.2f}x" if key in base else "n/a"
            row += [fmt_us(us), ratio]
        rows.append(row)
    return md_table(header, rows, "r" * len(header))


#: The issue's targets on the GitHub set: (core row, peer, at least this many
#: times faster than the peer). The core rows are judged: they time the call
#: microweb's dispatcher makes per request.
GITHUB_TARGETS = (
    ("native-core", "falcon", 3.0),
    ("native-core", "werkzeug", 20.0),
    ("pure-core", "werkzeug", 10.0),
    ("pure-core", "falcon", 1.0),
)
PEER_NAMES = {"falcon": "Falcon's router", "werkzeug": "Werkzeug"}
#: The most a core row may grow from the smallest generated map to the largest.
MAX_GROWTH = 1.5


def target_lines(github: list[Contender], scaling: list[ScalingResult]) -> list[str]:
    """The issue's targets, stated met / not met from the measured medians."""
    timed = {c.key: c for c in github if c.samples_us}
    lines = []
    for key, peer, wanted in GITHUB_TARGETS:
        goal = "no slower than" if wanted == 1 else f"≥ {wanted:g}x faster than"
        head = f"- {key.replace('-core', '')} core {goal} {PEER_NAMES[peer]}"
        if key not in timed or peer not in timed:
            lines.append(f"{head}: not measured")
            continue
        ratio = timed[peer].median_us / timed[key].median_us
        verdict = "met" if ratio >= wanted else "not met"
        lines.append(
            f"{head}: {ratio:.2f}x ({timed[key].median_us:.3f} vs "
            f"{timed[peer].median_us:.3f} µs) — **{verdict}**"
        )
    sized = [result for result in scaling if not result.label]
    for key in ("native-core", "pure-core"):
        head = (
            f"- {key.replace('-core', '')} core grows at most {MAX_GROWTH:g}x from "
            f"{sized[0].size:,} to {sized[-1].size:,} routes"
            if sized
            else f"- {key.replace('-core', '')} core growth"
        )
        first = sized[0].contenders.get(key) if sized else None
        last = sized[-1].contenders.get(key) if sized else None
        if first is None or last is None or not first.samples_us or not last.samples_us:
            lines.append(f"{head}: not measured")
            continue
        growth = last.median_us / first.median_us
        verdict = "met" if growth <= MAX_GROWTH else "not met"
        # Three decimals: a growth that rounds to the limit is still judged exactly.
        lines.append(
            f"{head}: {growth:.3f}x ({first.median_us:.3f} to {last.median_us:.3f} µs)"
            f" — **{verdict}**"
        )
    return lines


def mismatch_section(groups: list[tuple[str, Contender]]) -> list[str]:
    lines = [
        "## Correctness check (every lookup of every stream, once, before timing)",
        "",
    ]
    bad = [(where, c) for where, c in groups if c.mismatches]
    total = sum(c.checked for _where, c in groups)
    if not bad:
        lines.append(f"All {total:,} checked lookups returned the expected answer.")
        return lines
    for where, contender in bad:
        lines.append(
            f"**{contender.label}** ({where}): {len(contender.mismatches)} of "
            f"{contender.checked} lookups wrong; first "
            f"{min(len(contender.mismatches), MAX_MISMATCHES_SHOWN)}:"
        )
        lines.append("")
        lines += md_table(
            ["input", "expected", "got"],
            map(describe_mismatch, contender.mismatches[:MAX_MISMATCHES_SHOWN]),
            "lll",
        )
        lines.append("")
    return lines


# -------------------------------------------------------------------------- main


@dataclass
class Settings:
    rounds: int
    target_ns: int
    #: a map whose build (and first match) is predicted above this is left out
    build_budget: float
    #: "wall" (time.perf_counter_ns) or "cpu" (time.thread_time_ns)
    clock: str = "wall"
    notes: list[str] = field(default_factory=list)


@dataclass
class AdapterKind:
    """A Werkzeug-shaped router: its key, its label, and its Map and Rule classes."""

    key: str
    label: str
    map_class: type
    rule_class: type
    #: microweb: also time the core call ``map._matcher.match`` on the same map
    has_core: bool = False

    @property
    def short_label(self) -> str:
        return self.label.replace(".routing.Map", "")

    @property
    def core_key(self) -> str:
        return f"{self.key}-core"

    @property
    def core_label(self) -> str:
        return f"{self.label} — core"

    def columns(self) -> list[tuple[str, str]]:
        """Scaling-table columns: (key, label), the core one after the adapter one."""
        columns = [(self.key, self.short_label)]
        if self.has_core:
            columns.append((self.core_key, self.core_label))
        return columns


def adapter_kinds(
    microweb: Microweb, versions: dict[str, str], notes: list[str]
) -> list[AdapterKind]:
    kinds = []
    if microweb.rule is not None:
        for key, label, map_class in (
            ("native", "microweb native", microweb.native_map),
            ("pure", "microweb pure", microweb.pure_map),
        ):
            if map_class is not None:
                kinds.append(
                    AdapterKind(key, label, map_class, microweb.rule, has_core=True)
                )
    if versions["werkzeug"] == "not installed":
        notes.append("werkzeug skipped: not installed")
    else:
        import werkzeug.routing

        kinds.append(
            AdapterKind(
                "werkzeug",
                "werkzeug.routing.Map",
                werkzeug.routing.Map,
                werkzeug.routing.Rule,
            )
        )
    return kinds


def measure_github(
    routes: list[Route],
    stream: list[Request],
    kinds: list[AdapterKind],
    versions: dict[str, str],
    settings: Settings,
) -> list[Contender]:
    """Build, check and time every contender on the GitHub API set."""
    notes = settings.notes
    contenders: list[Contender] = []
    for kind in kinds:
        try:
            adapter, seconds = build_adapter(
                kind.map_class, kind.rule_class, routes, stream[0]
            )
        except Exception as exc:
            notes.append(f"{kind.label} skipped: building the map failed ({exc!r})")
            continue
        contenders.extend(kind_contenders(kind, adapter, seconds, stream))
    for name, builder in (
        ("falcon", build_falcon_contender),
        ("bottle", build_bottle_contender),
    ):
        if versions[name] == "not installed":
            notes.append(f"{name} skipped: not installed (pip install {name})")
            continue
        try:
            contenders.append(builder(routes, stream))
        except Exception as exc:
            notes.append(f"{name} skipped: building the router failed ({exc!r})")
    contenders.append(build_dict_contender(stream))
    measure_round_robin(
        [c for c in contenders if not c.mismatches],
        rounds=settings.rounds,
        target_ns=settings.target_ns,
        clock=settings.clock,
    )
    return contenders


#: The scaling table's columns after the Werkzeug-shaped routers: Falcon's router
#: (a peer that routes by path only) and the dict floor, on the same streams.
FALCON_COLUMN = ("falcon", "falcon")
DICT_COLUMN = ("dict", "dict lookup (floor)")


def measure_scaling(
    kinds: list[AdapterKind], falcon: bool, settings: Settings
) -> list[ScalingResult]:
    """Build, check and time the routers on generated route sets.

    The Werkzeug-shaped routers (microweb's, Werkzeug's), then Falcon's router when
    *falcon*, then the dict floor: ``dict.get`` of each request's exact path, on the
    same stream. The floor is what walking the stream costs at that size; a router's
    growth above it is its own.
    """
    notes = settings.notes
    largest = max(SCALING_SIZES)
    all_routes = generated_routes(largest, SEED + 1)
    results: list[ScalingResult] = []
    last_build: dict[str, tuple[int, float]] = {}
    dropped: set[str] = set()
    largest_adapter: dict[str, Any] = {}
    largest_falcon: tuple[Callable[[str], Any], float] | None = None

    def over_budget(key: str, label: str, size: int) -> bool:
        """Whether the build of *key* at *size* is predicted over the budget."""
        if key in last_build:
            previous_size, previous_seconds = last_build[key]
            predicted = previous_seconds * (size / previous_size) ** 1.1
            if predicted > settings.build_budget:
                dropped.add(key)
                notes.append(
                    f"{label} at {size:,} routes dropped: its build at "
                    f"{previous_size:,} routes took {previous_seconds:.2f} s, "
                    f"predicted {predicted:.1f} s here "
                    f"(budget {settings.build_budget:.0f} s)"
                )
                return True
        return False

    for size in SCALING_SIZES:
        routes = all_routes[:size]
        stream = random_stream(routes, SCALING_STREAM_LENGTH, SEED + size)
        result = ScalingResult(size, {}, {})
        for kind in kinds:
            if kind.key in dropped:
                _skip(result, kind, "dropped")
                continue
            if over_budget(kind.key, kind.label, size):
                _skip(result, kind, "too slow to build")
                continue
            try:
                adapter, seconds = build_adapter(
                    kind.map_class, kind.rule_class, routes, stream[0]
                )
            except Exception as exc:
                dropped.add(kind.key)
                _skip(result, kind, "build failed")
                notes.append(f"{kind.label} at {size:,} routes: build failed ({exc!r})")
                continue
            last_build[kind.key] = (size, seconds)
            if size == largest:
                largest_adapter[kind.key] = adapter
            _add(result, kind_contenders(kind, adapter, seconds, stream))
        key, label = FALCON_COLUMN
        if not falcon:
            pass
        elif key in dropped:
            result.skipped[key] = "dropped"
        elif over_budget(key, "falcon.routing.CompiledRouter", size):
            result.skipped[key] = "too slow to build"
        else:
            try:
                find, seconds = build_falcon_router(routes, stream[0].path)
            except Exception as exc:
                dropped.add(key)
                result.skipped[key] = "build failed"
                notes.append(f"falcon at {size:,} routes: build failed ({exc!r})")
            else:
                last_build[key] = (size, seconds)
                if size == largest:
                    largest_falcon = (find, seconds)
                _add(result, [falcon_contender(find, seconds, stream)])
        _add(result, [build_dict_contender(stream)])
        results.append(result)
    # The largest maps again, with a stream that only hits their first ten routes:
    # what remains of the growth is the algorithm; the rest is memory locality.
    smallest = min(SCALING_SIZES)
    hot_stream = random_stream(all_routes[:smallest], SCALING_STREAM_LENGTH, SEED + 7)
    hot = ScalingResult(
        largest, {}, {}, f"{largest:,}, stream hits only the first {smallest}"
    )
    for kind in kinds:
        adapter = largest_adapter.get(kind.key)
        if adapter is None:
            _skip(hot, kind, "dropped")
            continue
        _add(hot, kind_contenders(kind, adapter, 0.0, hot_stream))
    if largest_falcon is not None:
        _add(hot, [falcon_contender(largest_falcon[0], 0.0, hot_stream)])
    elif falcon:
        hot.skipped[FALCON_COLUMN[0]] = "dropped"
    _add(hot, [build_dict_contender(hot_stream)])
    results.append(hot)
    timed = [c for r in results for c in r.contenders.values() if not c.mismatches]
    measure_round_robin(
        timed,
        rounds=settings.rounds,
        target_ns=settings.target_ns,
        clock=settings.clock,
    )
    return results


def _skip(result: ScalingResult, kind: AdapterKind, reason: str) -> None:
    for key, _label in kind.columns():
        result.skipped[key] = reason


def _add(result: ScalingResult, contenders: list[Contender]) -> None:
    for contender in contenders:
        if contender.mismatches:
            result.skipped[contender.key] = "wrong answers"
        result.contenders[contender.key] = contender


def build_table(results: list[ScalingResult], keys: list[tuple[str, str]]) -> list[str]:
    rows = []
    for result in results:
        if result.label:
            continue
        row = [f"{result.size:,}"]
        for key, _label in keys:
            contender = result.contenders.get(key)
            row.append(f"{contender.build_seconds * 1000:,.0f}" if contender else "-")
        rows.append(row)
    header = ["routes", *(label for _key, label in keys)]
    return md_table(header, rows, "r" * len(header))


def header_lines(
    microweb: Microweb, versions: dict[str, str], settings: Settings, footer: str
) -> list[str]:
    if microweb.rule is not None:
        loaded = (
            f"microweb {microweb.version} from `{microweb.location}` "
            f"(default core: {microweb.default_core})"
        )
    else:
        loaded = "microweb not loaded (see the notes)"
    libraries = "; ".join(f"{name} {text}" for name, text in versions.items())
    return [
        "# microweb routing benchmark",
        "",
        machine_line(),
        f"- {loaded}; {libraries}",
        f"- {settings.rounds} rounds, contenders interleaved round-robin; each figure "
        f"is the median of the per-round µs per lookup by {CLOCKS[settings.clock]}; "
        "one batch ≈ "
        f"{settings.target_ns // 1_000_000} ms with the garbage collector off; a "
        "warm-up batch first",
        footer,
        "",
    ]


def timed_contenders(
    github: list[Contender], scaling: list[ScalingResult]
) -> list[Contender]:
    """Every contender that was timed, GitHub set and scaling."""
    return [c for c in github if c.samples_us] + [
        c for r in scaling for c in r.contenders.values() if c.samples_us
    ]


GITHUB_NOTE = (
    "Ratios are (that router's µs) / (this row's µs): above 1 means this row is "
    "faster. microweb and Werkzeug: `adapter.match(path, method)` on an adapter "
    "bound once, one Rule per (method, path). microweb — core: "
    '`map._matcher.match("", path, method)` on the same map, the call microweb\'s '
    "request dispatcher will make per request, without the Werkzeug-API layer "
    "(`(rule, args)` back, no exceptions). Falcon: `CompiledRouter.find(path)`, "
    "likewise a core-level call; Falcon routes by path only, the method is then "
    "looked up on the resource, so its figure leaves out the method dispatch the "
    "others include. Fair pairings: the core rows against Falcon, the adapter rows "
    "against Werkzeug's `adapter.match`. Bottle: `Router.match(environ)` with the "
    "environ dicts built before timing. The dict row is `dict.get(path)` on the "
    "exact path string of every request in the stream: the physical floor "
    "(loop + one hash lookup), not a router."
)

HOT_ROW_NOTE = (
    "The — core columns time `map._matcher.match` on the same maps as the "
    "microweb columns; falcon is `CompiledRouter.find` on the same routes. The dict "
    "column is `dict.get` of each request's exact path, on the same stream: what "
    "walking the stream costs (every size has a stream of "
    f"{SCALING_STREAM_LENGTH:,} requests), so a router's growth above it comes from "
    "its own work and data. The last row reuses the largest maps with a stream that "
    "hits only their first ten routes: growth left there is the algorithm's, the "
    "rest comes from memory locality (a large map does not stay in the CPU caches)."
)


def json_payload(
    microweb: Microweb,
    versions: dict[str, str],
    settings: Settings,
    github: list[Contender],
    scaling: list[ScalingResult],
    columns: dict[str, list[tuple[str, str]]],
    checked_groups: list[tuple[str, Contender]],
    wall_seconds: float,
) -> dict[str, Any]:
    """Every sample, and what ``perf/_report.py`` needs to redraw the tables.

    ``columns`` holds the (key, label) columns of the ``"scaling"`` and ``"build"``
    tables.
    """
    return {
        **machine_payload(),
        "rounds": settings.rounds,
        "clock": settings.clock,
        "batch_target_ms": settings.target_ns // 1_000_000,
        "microweb": {
            "version": microweb.version,
            "location": microweb.location,
            "default_core": microweb.default_core,
        },
        "libraries": versions,
        "scaling_columns": [list(column) for column in columns["scaling"]],
        "build_columns": [list(column) for column in columns["build"]],
        "github": [
            {
                "key": c.key,
                "label": c.label,
                "median_us": c.median_us,
                "wall_samples_us": c.wall_samples_us,
                "cpu_samples_us": c.cpu_samples_us,
                "passes_per_batch": c.passes,
                "lookups_per_pass": c.units_per_pass,
                "build_seconds": c.build_seconds,
            }
            for c in github
            if c.samples_us
        ],
        "scaling": [
            {
                "routes": r.size,
                "label": r.label,
                "results": {
                    key: {
                        "median_us": c.median_us,
                        "wall_samples_us": c.wall_samples_us,
                        "cpu_samples_us": c.cpu_samples_us,
                        "build_seconds": c.build_seconds,
                    }
                    for key, c in r.contenders.items()
                    if c.samples_us
                },
                "skipped": r.skipped,
            }
            for r in scaling
        ],
        "mismatches": [
            {
                "contender": c.label,
                "where": where,
                "method": m.request.method,
                "path": m.request.path,
                "expected": repr(m.expected),
                "got": repr(m.got),
            }
            for where, c in checked_groups
            for m in c.mismatches[:MAX_MISMATCHES_SHOWN]
        ],
        "targets": target_lines(github, scaling),
        "notes": settings.notes,
        "wall_seconds": wall_seconds,
    }


def run(argv: list[str] | None = None) -> int:
    parser = DEFAULTS.parser(__doc__)
    parser.add_argument("--plot", metavar="PATH", help="draw the results (matplotlib)")
    options = DEFAULTS.parse(parser, argv)
    settings = Settings(
        rounds=DEFAULTS.rounds_for(options),
        target_ns=DEFAULTS.target_ns_for(options),
        build_budget=3.0 if options.quick else 30.0,
        clock=options.clock,
    )
    wall_start = time.perf_counter()
    load_before = load_average()

    microweb = load_microweb()
    settings.notes.extend(microweb.notes)
    versions = library_versions()
    kinds = adapter_kinds(microweb, versions, settings.notes)
    source, github_routes = parse_route_file(GITHUB_ROUTES)
    stream = github_requests(github_routes)
    github = measure_github(github_routes, stream, kinds, versions, settings)
    falcon = versions["falcon"] != "not installed"
    scaling = measure_scaling(kinds, falcon, settings)
    wall_seconds = time.perf_counter() - wall_start
    busy_note = shared_cpu_note(timed_contenders(github, scaling), settings.clock)
    if busy_note:
        settings.notes.append(busy_note)

    footer = (
        run_line(wall_seconds, load_before)
        + " (other processes on the machine move every figure; ratios move less)"
    )
    peer_keys = [FALCON_COLUMN] if falcon else []
    scaling_keys = [column for kind in kinds for column in kind.columns()]
    scaling_keys += [*peer_keys, DICT_COLUMN]
    # a core row runs on its adapter row's map: one build, shown once
    build_keys = [(kind.key, kind.short_label) for kind in kinds] + peer_keys
    checked_groups = [("GitHub set", c) for c in github] + [
        (r.label or f"{r.size:,} generated routes", c)
        for r in scaling
        for c in r.contenders.values()
    ]
    out = header_lines(microweb, versions, settings, footer)
    out += [
        f"## GitHub API route set ({len(github_routes)} routes, "
        f"{len(stream):,} lookups in the stream: {VALUES_PER_ROUTE} per route, "
        "distinct parameter values, shuffled)",
        "",
        f"Source: {source}",
        "",
        *main_table(
            [c for c in github if not c.mismatches],
            [c for c in github if c.mismatches],
        ),
        "",
        GITHUB_NOTE,
        "",
        f"## Scaling with generated routes (2-6 segments, static words and "
        f"parameters; {SCALING_STREAM_LENGTH:,} lookups of random routes per size)",
        "",
    ]
    if scaling_keys != [DICT_COLUMN]:
        out += [
            *scaling_table(scaling, scaling_keys),
            "",
            HOT_ROW_NOTE,
            "",
            "Map build time in ms (construct the Map, bind, first match):",
            "",
            *build_table(scaling, build_keys),
        ]
    else:
        out.append("No router to scale (see the notes).")
    out += ["", "## Targets", "", *target_lines(github, scaling)]
    out += ["", *mismatch_section(checked_groups)]
    columns = {"scaling": scaling_keys, "build": build_keys}
    payload = json_payload(
        microweb,
        versions,
        settings,
        github,
        scaling,
        columns,
        checked_groups,
        wall_seconds,
    )
    if options.plot:
        # drawn from the JSON payload, as perf/report.py draws it from the file
        settings.notes.append(save_plot("routing", payload, options.plot))
    out += notes_section(settings.notes)
    print("\n".join(out))
    if options.json:
        write_json(options.json, payload)
    return 1 if any(c.mismatches for _where, c in checked_groups) else 0


if __name__ == "__main__":
    sys.exit(run())
