"""What the benchmark scripts of perf/ share: data, timing, reports, options.

``perf/`` is not a package: each script puts its own directory first on
``sys.path`` and imports from here. Nothing in this module measures anything by
itself; it holds what every script does the same way:

- the GitHub API route set (:class:`Route`, :func:`parse_route_file`,
  :func:`github_stream`), read by ``routing.py`` and ``wsgi.py``;
- importing microweb (:func:`import_microweb`);
- the timing: a :class:`Timed` item is calibrated to a batch of whole passes, then
  timed round-robin against the others (:func:`measure_round_robin`), on the wall
  clock and on this thread's CPU time;
- the report: machine line, load average, number formats, Markdown tables, the
  shared-CPU note, JSON output;
- the command line every script has: ``--quick``, ``--rounds``, ``--clock`` and
  ``--json`` (:class:`RunDefaults`).
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import platform
import random
import re
import statistics
import string
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

PERF_DIR = Path(__file__).resolve().parent
REPO_ROOT = PERF_DIR.parent
GITHUB_ROUTES = PERF_DIR / "data" / "github.txt"

SEED = 20240601
VALUES_PER_ROUTE = 8
MAX_MISMATCHES_SHOWN = 10

#: ``--clock`` choices and how the header names them
CLOCKS = {
    "wall": "the wall clock (`time.perf_counter_ns`)",
    "cpu": "this thread's CPU time (`time.thread_time_ns`)",
}

_PARAM = re.compile(r":(\w+)")

T = TypeVar("T")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Route:
    """One route: a method and a path template in neutral form."""

    method: str
    #: path segments; a parameter segment is ``(name,)``, a static one is a ``str``
    segments: tuple[str | tuple[str], ...]

    @property
    def params(self) -> list[str]:
        """The parameter names, in path order."""
        return [seg[0] for seg in self.segments if isinstance(seg, tuple)]

    def template(self, open_: str, close: str) -> str:
        """The path with each parameter written ``{open_}name{close}``."""
        parts = [
            f"{open_}{seg[0]}{close}" if isinstance(seg, tuple) else seg
            for seg in self.segments
        ]
        return "/" + "/".join(parts)

    @property
    def rule(self) -> str:
        """Werkzeug/Flask/microweb/Bottle syntax: ``/repos/<owner>``."""
        return self.template("<", ">")

    @property
    def endpoint(self) -> str:
        """``"METHOD /rule"``: the endpoint name every contender registers."""
        return f"{self.method} {self.rule}"

    def fill(self, values: dict[str, str]) -> str:
        """The path with each parameter replaced by its value."""
        parts = [
            values[seg[0]] if isinstance(seg, tuple) else seg for seg in self.segments
        ]
        return "/" + "/".join(parts)


def parse_route_file(path: Path) -> tuple[str, list[Route]]:
    """Read ``METHOD /path/:param`` lines; the first comment line names the source."""
    source = ""
    routes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            source = source or line.lstrip("# ")
            continue
        method, template = line.split()
        segments: list[str | tuple[str]] = []
        for seg in template.strip("/").split("/"):
            match = _PARAM.fullmatch(seg)
            segments.append((match.group(1),) if match else seg)
        routes.append(Route(method, tuple(segments)))
    return source, routes


def make_value(rng: random.Random) -> str:
    """A deterministic alphanumeric segment value that always holds a digit.

    Static segments in the route sets are letters only, so a value can never
    collide with a literal segment and turn a parameter request into another route.
    """
    alphabet = string.ascii_lowercase + string.digits
    chars = [rng.choice(alphabet) for _ in range(rng.randint(4, 10))]
    chars[rng.randrange(len(chars))] = rng.choice(string.digits)
    return "".join(chars)


def github_stream(
    routes: list[Route], seed: int, make: Callable[[Route, str, dict[str, str]], T]
) -> list[T]:
    """VALUES_PER_ROUTE requests per route (distinct paths where it has params).

    ``make(route, path, args)`` builds one request. A static route weighs as much
    as any other: its one request object stands VALUES_PER_ROUTE times in the
    stream. The stream is shuffled with the same ``seed``, so every script that
    calls this with the same routes and seed gets the same requests in the same
    order.
    """
    rng = random.Random(seed)
    stream: list[T] = []
    for route in routes:
        seen_paths: set[str] = set()
        while len(seen_paths) < (VALUES_PER_ROUTE if route.params else 1):
            args = {name: make_value(rng) for name in route.params}
            path = route.fill(args)
            if path not in seen_paths:
                seen_paths.add(path)
                stream.append(make(route, path, args))
        if not route.params:  # a static route weighs as much as any other
            stream.extend([stream[-1]] * (VALUES_PER_ROUTE - 1))
    rng.shuffle(stream)
    return stream


def import_microweb() -> ModuleType:
    """Import microweb: the first on ``sys.path``, else the source tree next door.

    Raises what the import raises when neither gives a microweb.
    """
    try:
        return importlib.import_module("microweb")
    except ImportError:
        # Running from a checkout without an install: use the source tree.
        sys.path.insert(0, str(REPO_ROOT))
    return importlib.import_module("microweb")


# ------------------------------------------------------------------------- timing


@dataclass(kw_only=True)
class Timed:
    """Something timed in batches: ``run(passes)`` walks its stream that often.

    One pass makes ``units_per_pass`` timed operations (lookups, requests, calls);
    every sample is µs per operation. ``samples_us`` is the list on the clock the
    report uses (set by :func:`measure_round_robin`); both clocks are kept.
    """

    run: Callable[[int], None]
    units_per_pass: int = 1
    #: passes per batch, set by :func:`calibrate`
    passes: int = 1
    samples_us: list[float] = field(default_factory=list)
    wall_samples_us: list[float] = field(default_factory=list)
    cpu_samples_us: list[float] = field(default_factory=list)

    @property
    def median_us(self) -> float:
        """The median over rounds, on the report's clock."""
        return statistics.median(self.samples_us)


def _timed(run: Callable[[int], None], passes: int) -> int:
    start = time.perf_counter_ns()
    run(passes)
    return time.perf_counter_ns() - start


def calibrate(item: Timed, target_ns: int, first_passes: int = 1) -> None:
    """Pick the passes per batch so one batch takes about ``target_ns``.

    ``run(first_passes)`` first warms caches and any lazy compilation. Passes
    double until a timing covers a fifth of the target; each step keeps the
    fastest of three timings, so a scheduler preemption cannot shrink the batch.
    Then one untimed warm-up batch.
    """
    item.run(first_passes)
    passes = 1
    while True:
        elapsed = min(_timed(item.run, passes) for _ in range(3))
        if elapsed * 5 >= target_ns:
            break
        passes *= 2
    item.passes = max(1, round(passes * target_ns / max(elapsed, 1)))
    item.run(item.passes)  # the warm-up batch


def time_batch(
    item: Timed, *, gc_in_batches: bool = False, collect_generation: int = 0
) -> None:
    """One batch; appends µs per operation by the wall clock and by CPU time.

    ``gc.collect(collect_generation)`` runs before the batch; the collector is off
    during it unless ``gc_in_batches``. The CPU time of this thread leaves out the
    time other processes held the CPU; the wall clock does not.
    """
    gc.collect(collect_generation)
    if not gc_in_batches:
        gc.disable()
    try:
        start_cpu = time.thread_time_ns()
        start = time.perf_counter_ns()
        item.run(item.passes)
        elapsed = time.perf_counter_ns() - start
        elapsed_cpu = time.thread_time_ns() - start_cpu
    finally:
        gc.enable()
    units = item.passes * item.units_per_pass
    item.wall_samples_us.append(elapsed / units / 1000.0)
    item.cpu_samples_us.append(elapsed_cpu / units / 1000.0)


def measure_round_robin(
    items: Sequence[Timed],
    *,
    rounds: int,
    target_ns: int,
    clock: str = "wall",
    first_passes: int = 1,
    gc_in_batches: bool = False,
    collect_generation: int = 0,
) -> None:
    """Calibrate every item, then time them round-robin, the first one rotating.

    Everything built so far moves to the permanent generation (``gc.freeze``), so
    the collections between batches stay cheap however much was built. After the
    rounds each item's ``samples_us`` is its list on ``clock``. The keywords after
    ``clock`` go to :func:`calibrate` and :func:`time_batch`.
    """
    order = list(items)
    if not order:
        return
    gc.collect()
    gc.freeze()
    try:
        for item in order:
            calibrate(item, target_ns, first_passes)
        count = len(order)
        for round_index in range(rounds):
            shift = round_index % count
            for item in order[shift:] + order[:shift]:
                time_batch(
                    item,
                    gc_in_batches=gc_in_batches,
                    collect_generation=collect_generation,
                )
    finally:
        gc.unfreeze()
    for item in order:
        item.samples_us = (
            item.cpu_samples_us if clock == "cpu" else item.wall_samples_us
        )


# ------------------------------------------------------------------------ reports


def cpu_model() -> str:
    """The CPU's model name, as /proc/cpuinfo or the platform module give it."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def load_average() -> str:
    """The 1-minute load average, two decimals, or ``n/a``."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except (AttributeError, OSError):
        return "n/a"


def machine_line() -> str:
    """The header's bullet naming Python, the OS, the architecture and the CPU."""
    return (
        f"- Python {platform.python_version()} ({platform.python_implementation()}) "
        f"on {platform.system()} {platform.machine()}; CPU: {cpu_model()}"
    )


def run_line(wall_seconds: float, load_before: str) -> str:
    """The header's bullet with this run's wall time and the load before / now."""
    return (
        f"- wall time of this run: {wall_seconds:.1f} s; load average before / "
        f"after: {load_before} / {load_average()} on {os.cpu_count()} logical CPUs"
    )


def machine_payload() -> dict[str, Any]:
    """The machine and run details of the JSON output (``perf/_report.py`` reads them).

    Taken when the JSON is written, at the end of the run: ``load_average`` is the
    1-minute load average then, ``date`` the UTC time, ``microweb_version`` and
    ``microweb_implementation`` those of the imported microweb (``None`` when the
    run could not import it).
    """
    microweb = sys.modules.get("microweb")
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "cpu": cpu_model(),
        "system": platform.system(),
        "machine": platform.machine(),
        "logical_cpus": os.cpu_count(),
        "load_average": load_average(),
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "microweb_version": getattr(microweb, "__version__", None),
        "microweb_implementation": getattr(microweb, "IMPLEMENTATION", None),
    }


def fmt_us(value: float | None, missing: str = "-") -> str:
    """µs with 4 significant digits or so; ``missing`` for no figure."""
    if value is None:
        return missing
    return f"{value:.3f}" if value < 10 else f"{value:.2f}"


def fmt_ratio(reference: float | None, value: float | None, missing: str = "-") -> str:
    """``reference / value`` as ``1.23x`` (x faster); ``missing`` without both."""
    if reference is None or value is None:
        return missing
    return f"{reference / value:.2f}x"


def md_row(cells: Iterable[str]) -> str:
    """One Markdown table row; an empty cell is written ``| |``."""
    return "|" + "".join(f" {cell} |" if cell else " |" for cell in cells)


def md_table(
    header: Sequence[str], rows: Iterable[Sequence[str]], align: str | None = None
) -> list[str]:
    """A Markdown table: header, alignment row, rows.

    ``align`` has one letter per column, ``l`` (left) or ``r`` (right); by default
    the first column is left-aligned and the others right-aligned.
    """
    if align is None:
        align = "l" + "r" * (len(header) - 1)
    rule = "|" + "".join("---:|" if a == "r" else "---|" for a in align)
    return [md_row(header), rule, *(md_row(row) for row in rows)]


def notes_section(notes: list[str]) -> list[str]:
    """The ``## Notes`` section, preceded by a blank line; nothing without notes."""
    if not notes:
        return []
    return ["", "## Notes", "", *(f"- {note}" for note in notes)]


def shared_cpu_note(items: Iterable[Timed], clock: str) -> str | None:
    """Say so when other processes took a visible share of the CPU during batches.

    That is when the batches took more than 1.1x their CPU time on the wall clock.
    """
    timed = list(items)
    wall = sum(sum(item.wall_samples_us) for item in timed)
    cpu = sum(sum(item.cpu_samples_us) for item in timed)
    if not cpu or wall / cpu < 1.1:
        return None
    advice = (
        "the figures are CPU time, steadier than the wall clock here"
        if clock == "cpu"
        else "wall-clock figures are inflated and noisy, ratios less so; rerun on "
        "an idle machine, or with `--clock cpu`"
    )
    return (
        f"the CPU was shared: timed batches took {wall / cpu:.2f}x their CPU time "
        f"on the wall clock; {advice}"
    )


def write_json(path: str, payload: dict[str, Any]) -> None:
    """Write ``payload`` to ``path``, indented, with a final newline."""
    Path(path).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


# ------------------------------------------------------------------- command line


@dataclass(frozen=True)
class RunDefaults:
    """A script's rounds and batch length, for a full run and with ``--quick``."""

    rounds: int
    quick_rounds: int
    batch_ms: int
    quick_batch_ms: int
    #: the help of ``--quick``
    quick_help: str = "short run"

    def parser(self, doc: str | None) -> argparse.ArgumentParser:
        """A parser with ``--quick``, ``--rounds``, ``--clock`` and ``--json``.

        Its description is the first paragraph of ``doc`` (the script's
        docstring); the script adds its own options, then calls :meth:`parse`.
        """
        parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
        parser.add_argument("--quick", action="store_true", help=self.quick_help)
        parser.add_argument(
            "--rounds",
            type=int,
            help=f"timing rounds (default {self.rounds}, quick {self.quick_rounds})",
        )
        parser.add_argument(
            "--clock",
            choices=tuple(CLOCKS),
            default="wall",
            help="time batches by the wall clock (default) or by this thread's CPU "
            "time",
        )
        parser.add_argument(
            "--json", metavar="PATH", help="also write the results as JSON"
        )
        return parser

    @staticmethod
    def parse(
        parser: argparse.ArgumentParser, argv: list[str] | None
    ) -> argparse.Namespace:
        """Parse ``argv``; ``--rounds`` below 1 is an error."""
        options = parser.parse_args(argv)
        if options.rounds is not None and options.rounds < 1:
            parser.error("--rounds must be at least 1")
        return options

    def rounds_for(self, options: argparse.Namespace) -> int:
        """``--rounds``, else the default of a full or a quick run."""
        return int(
            options.rounds or (self.quick_rounds if options.quick else self.rounds)
        )

    def target_ns_for(self, options: argparse.Namespace) -> int:
        """The batch length in ns of a full or a quick run."""
        return (self.quick_batch_ms if options.quick else self.batch_ms) * 1_000_000
