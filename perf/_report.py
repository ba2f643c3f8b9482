"""Tables and plots drawn from the JSON files that the perf/ scripts write.

``perf/wsgi.py``, ``perf/routing.py`` and ``perf/signing.py`` save every sample
with ``--json PATH``. This module reads such a file back, checks its shape (a
malformed file raises :class:`ReportError`, naming the file and the field), and
turns it into reStructuredText tables and a PNG plot. It has three callers, so
what they show cannot drift apart:

- ``perf/report.py``, the command line: JSON files in, ``.rst`` and ``.png`` out;
- ``perf/routing.py --plot``, which draws from the payload it is about to save;
- the docs build (``docs/_ext/perf_results.py``), from ``docs/perf-results/``.

Only what the JSON holds is shown: each table cell is a median the script
computed, or a ratio of two of them; the signing file holds samples only, so its
medians are computed here on the run's clock, as the script computes them.
matplotlib is imported only to draw (a :class:`~matplotlib.figure.Figure` saved
through the Agg canvas; no pyplot state).
"""

from __future__ import annotations

import json
import math
import re
import statistics
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# perf/ is not a package: whoever imports this module has put perf/ on sys.path
from _harness import fmt_us

#: the scripts whose JSON files this module reads, by the name of their file
KINDS = ("wsgi", "routing", "signing")
#: what a table cell shows when there is no figure
MISSING = "—"
#: the reference contender of perf/signing.py
SIGNING_REFERENCE = "itsdangerous"
#: the key of each wsgi column that is a ratio reference, and its name in titles
WSGI_PEERS = {"flask": "Flask", "falcon": "Falcon"}
#: the routing rows that are ratio references
ROUTING_PEERS = {"werkzeug": "Werkzeug", "falcon": "Falcon"}


class ReportError(ValueError):
    """A JSON file is not what the perf/ scripts write: the message says where."""


# --------------------------------------------------------------------- checking


def _describe(value: Any) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return "null" if value is None else type(value).__name__


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


_CHECKS: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": _is_number,
    "positive number": lambda v: _is_number(v) and v > 0,
    "object": lambda v: isinstance(v, dict),
    "list": lambda v: isinstance(v, list),
    "boolean": lambda v: isinstance(v, bool),
}


def _check(value: Any, kind: str, where: str) -> Any:
    """``value`` when it is a ``kind`` (a key of ``_CHECKS``), else ReportError."""
    if not _CHECKS[kind](value):
        article = "an" if kind[0] in "aeiou" else "a"
        raise ReportError(
            f"{where}: expected {article} {kind}, found {_describe(value)}"
        )
    return value


def _get(
    container: dict[str, Any],
    key: str,
    kind: str,
    where: str,
    *,
    optional: bool = False,
) -> Any:
    """``container[key]`` checked as a ``kind``; ``None`` if optional and absent."""
    if key not in container or (optional and container[key] is None):
        if optional:
            return None
        raise ReportError(f"{where}: the key {key!r} is missing")
    return _check(container[key], kind, f"{where}.{key}")


def _strings(value: Any, where: str) -> list[str]:
    """A list of strings, checked."""
    _check(value, "list", where)
    for index, item in enumerate(value):
        _check(item, "string", f"{where}[{index}]")
    return value


def _string_map(value: Any, where: str) -> dict[str, str]:
    """An object of strings, checked."""
    _check(value, "object", where)
    for key, item in value.items():
        _check(item, "string", f"{where}.{key}")
    return value


def _columns(value: Any, where: str) -> list[tuple[str, str]]:
    """A list of ``[key, label]`` pairs, checked."""
    _check(value, "list", where)
    columns = []
    for index, pair in enumerate(value):
        if not (isinstance(pair, list) and len(pair) == 2):
            raise ReportError(f"{where}[{index}]: expected [key, label]")
        columns.append(tuple(_strings(pair, f"{where}[{index}]")))
    return columns


def check_payload(kind: str, payload: Any, where: str = "$") -> None:
    """Raise :class:`ReportError` unless ``payload`` has what ``kind`` writes.

    Every field that a table, a plot or the machine line reads is checked, with
    its type; fields that no report reads (such as the passes per batch) are not.
    The error names the field as a JSONPath, ``where`` standing for the payload.
    """
    if kind not in KINDS:
        raise ReportError(f"{where}: unknown kind {kind!r} (one of {KINDS})")
    _check(payload, "object", where)
    for key in ("python", "implementation", "cpu"):
        _get(payload, key, "string", where)
    rounds = _get(payload, "rounds", "integer", where)
    _check(rounds, "positive number", f"{where}.rounds")
    if _get(payload, "clock", "string", where) not in ("wall", "cpu"):
        raise ReportError(f"{where}.clock: expected 'wall' or 'cpu'")
    for key in ("system", "machine", "load_average", "date"):
        _get(payload, key, "string", where, optional=True)
    for key in ("microweb_version", "microweb_implementation"):
        _get(payload, key, "string", where, optional=True)
    _get(payload, "logical_cpus", "integer", where, optional=True)
    _get(payload, "batch_target_ms", "integer", where, optional=True)
    _get(payload, "wall_seconds", "number", where, optional=True)
    if "libraries" in payload:
        _string_map(payload["libraries"], f"{where}.libraries")
    for key in ("notes", "targets"):
        if key in payload:
            _strings(payload[key], f"{where}.{key}")
    {"wsgi": _check_wsgi, "routing": _check_routing, "signing": _check_signing}[kind](
        payload, where
    )


def _check_wsgi(payload: dict[str, Any], where: str) -> None:
    workloads = _string_map(
        _get(payload, "workloads", "object", where), f"{where}.workloads"
    )
    contenders = _string_map(
        _get(payload, "contenders", "object", where), f"{where}.contenders"
    )
    medians = _get(payload, "medians_us", "object", where)
    for key, value in medians.items():
        at = f"{where}.medians_us[{key!r}]"
        workload, _, contender = key.partition(" / ")
        if workload not in workloads or contender not in contenders:
            raise ReportError(f"{at}: not a known 'workload / contender' pair")
        _check(value, "positive number", at)
    children = _get(payload, "child_processes", "object", where, optional=True) or {}
    for core, child in children.items():
        at = f"{where}.child_processes.{core}"
        _check(child, "object", at)
        if "error" in child:
            continue
        for index, cell in enumerate(_get(child, "cells", "list", at)):
            cell_at = f"{at}.cells[{index}]"
            _check(cell, "object", cell_at)
            _get(cell, "workload", "string", cell_at)
            _get(cell, "contender", "string", cell_at)
            _get(cell, "median_us", "positive number", cell_at, optional=True)


def _check_routing(payload: dict[str, Any], where: str) -> None:
    for index, row in enumerate(_get(payload, "github", "list", where)):
        at = f"{where}.github[{index}]"
        _check(row, "object", at)
        _get(row, "key", "string", at)
        _get(row, "label", "string", at)
        _get(row, "median_us", "positive number", at)
    for key in ("scaling_columns", "build_columns"):
        if key not in payload:
            raise ReportError(
                f"{where}: the key {key!r} is missing (a file written by an older "
                "perf/routing.py: run it again)"
            )
        _columns(payload[key], f"{where}.{key}")
    for index, size in enumerate(_get(payload, "scaling", "list", where)):
        at = f"{where}.scaling[{index}]"
        _check(size, "object", at)
        _get(size, "routes", "integer", at)
        _get(size, "label", "string", at)
        _string_map(_get(size, "skipped", "object", at), f"{at}.skipped")
        for key, result in _get(size, "results", "object", at).items():
            result_at = f"{at}.results.{key}"
            _check(result, "object", result_at)
            _get(result, "median_us", "positive number", result_at)
            _get(result, "build_seconds", "number", result_at)


def _check_signing(payload: dict[str, Any], where: str) -> None:
    for index, cell in enumerate(_get(payload, "cells", "list", where)):
        at = f"{where}.cells[{index}]"
        _check(cell, "object", at)
        _get(cell, "operation", "string", at)
        _get(cell, "contender", "string", at)
        for key in ("wall_us", "cpu_us"):
            samples = _get(cell, key, "list", at)
            if not samples:
                raise ReportError(f"{at}.{key}: no samples")
            for sample_index, sample in enumerate(samples):
                _check(sample, "positive number", f"{at}.{key}[{sample_index}]")
    if "problems" in payload:
        _strings(payload["problems"], f"{where}.problems")


def load(path: Path | str, kind: str) -> dict[str, Any]:
    """Read and check the JSON file ``path`` written by ``perf/{kind}.py``.

    Raises OSError when it cannot be read, :class:`ReportError` when it is not
    JSON or not what that script writes.
    """
    text = Path(path).read_text(encoding="utf-8")
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReportError(f"{path}: not JSON ({exc})") from None
    try:
        check_payload(kind, payload)
    except ReportError as exc:
        raise ReportError(f"{path}: {exc}") from None
    return payload


# ------------------------------------------------------------------------ tables


@dataclass
class Table:
    """One table: a title, a header row and rows of cell texts (Markdown inline)."""

    title: str
    header: list[str]
    rows: list[list[str]]


@dataclass
class Report:
    """What one JSON file shows: tables, then the targets and the notes of the run."""

    tables: list[Table]
    targets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _ratio(reference: float | None, value: float | None) -> str:
    if reference is None or value is None:
        return MISSING
    return f"{reference / value:.2f}x"


def _with_ratio(value: float | None, reference: float | None) -> str:
    """``µs (ratio)``, the ratio being ``reference / value``."""
    if value is None:
        return MISSING
    if reference is None:
        return fmt_us(value)
    return f"{fmt_us(value)} ({_ratio(reference, value)})"


def build_report(kind: str, payload: dict[str, Any]) -> Report:
    """The tables, targets and notes of a checked payload of ``kind``."""
    builder = {"wsgi": _wsgi, "routing": _routing, "signing": _signing}[kind]
    # the scripts write each target as a Markdown bullet
    return Report(
        builder(payload),
        [target.removeprefix("- ") for target in payload.get("targets", [])],
        list(payload.get("notes", [])),
    )


def wsgi_medians(payload: dict[str, Any]) -> dict[tuple[str, str], float]:
    """The wsgi medians by (workload, contender)."""
    medians = {}
    for key, value in payload["medians_us"].items():
        workload, _, contender = key.partition(" / ")
        medians[(workload, contender)] = value
    return medians


def _wsgi_references(payload: dict[str, Any]) -> dict[str, dict[str, dict[str, float]]]:
    """A column measured in a child process -> its own peers' µs, by workload.

    perf/wsgi.py runs a microweb core that it cannot pin in its own process in a
    child, with its own Flask and Falcon, and takes that column's ratios against
    those: so does this report.
    """
    references: dict[str, dict[str, dict[str, float]]] = {}
    for core, child in (payload.get("child_processes") or {}).items():
        if "error" in child:
            continue
        own: dict[str, dict[str, float]] = {peer: {} for peer in WSGI_PEERS}
        for cell in child["cells"]:
            if cell["contender"] in own and cell.get("median_us") is not None:
                own[cell["contender"]][cell["workload"]] = cell["median_us"]
        references[f"microweb-{core}"] = own
    return references


def _wsgi(payload: dict[str, Any]) -> list[Table]:
    medians = wsgi_medians(payload)
    references = _wsgi_references(payload)
    columns = list(payload["contenders"].items())
    header = ["workload"] + [
        f"{label} †" if key in references else label for key, label in columns
    ]
    workloads = list(payload["workloads"].items())
    tables = [
        Table(
            "µs per request (median over rounds; lower is better)",
            header,
            [
                [title] + [_us(medians.get((workload, key))) for key, _ in columns]
                for workload, title in workloads
            ],
        )
    ]
    for peer, name in WSGI_PEERS.items():
        rows = []
        for workload, title in workloads:
            row = [title]
            for key, _label in columns:
                own = references.get(key)
                reference = (
                    own[peer].get(workload)
                    if own is not None
                    else medians.get((workload, peer))
                )
                row.append(_ratio(reference, medians.get((workload, key))))
            rows.append(row)
        tables.append(
            Table(f"x faster than {name} ({name}'s µs / the column's µs)", header, rows)
        )
    return tables


def _us(value: float | None) -> str:
    return MISSING if value is None else fmt_us(value)


def _routing(payload: dict[str, Any]) -> list[Table]:
    github = payload["github"]
    by_key = {row["key"]: row["median_us"] for row in github}
    peers = [(key, name) for key, name in ROUTING_PEERS.items() if key in by_key]
    tables = [
        Table(
            "GitHub API set: µs per lookup (median over rounds; lower is better)",
            ["contender", "µs per lookup"] + [f"x faster than {n}" for _, n in peers],
            [
                [row["label"], fmt_us(row["median_us"])]
                + [_ratio(by_key[key], row["median_us"]) for key, _ in peers]
                for row in github
            ],
        )
    ]
    columns = payload["scaling_columns"]
    scaling = payload["scaling"]
    base: dict[str, float] = {}
    rows = []
    for size in scaling:
        row = [size["label"] or f"{size['routes']:,}"]
        for key, _label in columns:
            result = size["results"].get(key)
            if result is None:
                row.append(size["skipped"].get(key, "not measured"))
                continue
            us = result["median_us"]
            if size is scaling[0]:
                base[key] = us
            growth = f" ({us / base[key]:.2f}x)" if key in base else ""
            row.append(fmt_us(us) + growth)
        rows.append(row)
    smallest = f"{scaling[0]['routes']:,} routes" if scaling else "the smallest size"
    tables.append(
        Table(
            "Generated routes: µs per lookup (median) and, in brackets, the time as "
            f"a multiple of the time at {smallest}",
            ["routes"] + [label for _, label in columns],
            rows,
        )
    )
    build_rows = []
    for size in scaling:
        if size["label"]:
            continue
        row = [f"{size['routes']:,}"]
        for key, _label in payload["build_columns"]:
            result = size["results"].get(key)
            row.append(
                MISSING if result is None else f"{result['build_seconds'] * 1000:,.0f}"
            )
        build_rows.append(row)
    tables.append(
        Table(
            "Map build time in ms (construct the map, bind, first match)",
            ["routes"] + [label for _, label in payload["build_columns"]],
            build_rows,
        )
    )
    return tables


def signing_medians(payload: dict[str, Any]) -> dict[tuple[str, str], float]:
    """The signing medians by (operation, contender), on the run's clock."""
    samples = "cpu_us" if payload["clock"] == "cpu" else "wall_us"
    return {
        (cell["operation"], cell["contender"]): statistics.median(cell[samples])
        for cell in payload["cells"]
    }


def _ordered(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _signing(payload: dict[str, Any]) -> list[Table]:
    medians = signing_medians(payload)
    operations = _ordered(operation for operation, _ in medians)
    contenders = _ordered(contender for _, contender in medians)
    rows = []
    for operation in operations:
        reference = medians.get((operation, SIGNING_REFERENCE))
        row = [operation]
        for contender in contenders:
            value = medians.get((operation, contender))
            row.append(
                _us(value)
                if contender == SIGNING_REFERENCE
                else _with_ratio(value, reference)
            )
        rows.append(row)
    tables = [
        Table(
            "µs per operation (median over rounds; lower is better) and, in "
            f"brackets, x faster than {SIGNING_REFERENCE}",
            ["operation", *contenders],
            rows,
        )
    ]
    return tables


# ------------------------------------------------------------ reStructuredText


_INLINE = re.compile(r"\*\*(?P<strong>[^*]+)\*\*|`(?P<code>[^`]+)`")
_SPECIAL = re.compile(r"([\\*`|_\[\]])")


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def rst_inline(text: str) -> str:
    """Markdown inline text (``**strong**``, `` `code` ``) as reStructuredText.

    The rest is escaped, so a label or a note can never turn into markup. A
    literal or a strong span next to a word character gets an escaped space, as
    reStructuredText needs to see it as inline markup.
    """
    out = []
    position = 0
    for match in _INLINE.finditer(text):
        out.append(_escape(text[position : match.start()]))
        if match.group("code") is not None:
            markup = f"``{match.group('code')}``"
        else:
            markup = f"**{_escape(match.group('strong'))}**"
        if match.start() and (text[match.start() - 1].isalnum()):
            markup = "\\ " + markup
        if match.end() < len(text) and text[match.end()].isalnum():
            markup += "\\ "
        out.append(markup)
        position = match.end()
    out.append(_escape(text[position:]))
    return "".join(out)


def rst_table(table: Table) -> list[str]:
    """A ``list-table`` with a header row and the first column as stub."""
    lines = [
        f".. list-table:: {rst_inline(table.title)}",
        "   :header-rows: 1",
        "   :stub-columns: 1",
        "   :widths: auto",
        "",
    ]
    for row in [table.header, *table.rows]:
        for index, cell in enumerate(row):
            lines.append(f"   {'* -' if index == 0 else '  -'} {rst_inline(cell)}")
    return lines


def rst_bullets(items: Iterable[str]) -> list[str]:
    """A bullet list of Markdown inline items."""
    return [f"- {rst_inline(item)}" for item in items]


def rst_report(report: Report) -> list[str]:
    """The tables, then the targets and the notes of the run, as bullet lists."""
    lines: list[str] = []
    for table in report.tables:
        lines += [*rst_table(table), ""]
    if report.targets:
        lines += ["Targets, as the run judged them:", "", *rst_bullets(report.targets)]
        lines.append("")
    if report.notes:
        lines += ["Notes of the run:", "", *rst_bullets(report.notes), ""]
    return lines


def _libraries(payloads: dict[str, dict[str, Any]]) -> str:
    versions: dict[str, list[str]] = {}
    for payload in payloads.values():
        for name, text in (payload.get("libraries") or {}).items():
            if text not in versions.setdefault(name, []):
                versions[name].append(text)
    return "; ".join(
        f"{name} {' / '.join(texts)}" for name, texts in sorted(versions.items())
    )


def _machine(payload: dict[str, Any]) -> str:
    system = (
        " ".join(filter(None, [payload.get("system"), payload.get("machine")]))
        or "unknown system"
    )
    cpus = payload.get("logical_cpus")
    return (
        f"Python {payload['python']} ({payload['implementation']}) on {system}; "
        f"CPU: {payload['cpu']}" + (f", {cpus} logical CPUs" if cpus else "")
    )


def _microweb(payload: dict[str, Any]) -> str:
    version = payload.get("microweb_version")
    if version is None:
        return "microweb (version not recorded)"
    core = payload.get("microweb_implementation")
    return f"microweb {version}" + (f" (default core: {core})" if core else "")


def _run(kind: str, payload: dict[str, Any]) -> str:
    parts = [f"{payload['rounds']} rounds"]
    batch = payload.get("batch_target_ms")
    if batch:
        parts.append(f"batches of about {batch} ms")
    parts.append("wall clock" if payload["clock"] == "wall" else "thread CPU time")
    if payload.get("date"):
        parts.append(f"run at {_date(payload['date'])}")
    if payload.get("wall_seconds") is not None:
        parts.append(f"{payload['wall_seconds']:.0f} s")
    if payload.get("load_average"):
        parts.append(f"load average {payload['load_average']} at the end")
    return f"`perf/{kind}.py`: " + ", ".join(parts)


def _date(text: str) -> str:
    """An ISO 8601 date as ``2025-01-31 12:34 UTC``; other text as it is."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M") + (" UTC" if moment.tzinfo else "")


def machine_lines(payloads: dict[str, dict[str, Any]]) -> list[str]:
    """Bullets (Markdown inline) naming the machine, the libraries and each run.

    One machine bullet when every file names the same machine, else one per file.
    """
    machines = _ordered(_machine(p) for p in payloads.values())
    if len(machines) == 1:
        lines = [f"Machine: {machines[0]}"]
    else:
        lines = [
            f"Machine of `perf/{k}.py`: {_machine(p)}" for k, p in payloads.items()
        ]
    builds = _ordered(_microweb(p) for p in payloads.values())
    libraries = _libraries(payloads)
    lines.append(" / ".join(builds) + (f"; {libraries}" if libraries else ""))
    lines += [_run(kind, payload) for kind, payload in payloads.items()]
    return lines


# -------------------------------------------------------------------------- plots

#: bar and line colours by contender label: microweb in blues, the peers apart
_COLOURS = (
    ("native — core", "#08306b"),
    ("pure — core", "#4292c6"),
    ("native", "#2171b5"),
    ("pure", "#9ecae1"),
    ("flask", "#7f7f7f"),
    ("werkzeug", "#7f7f7f"),
    ("itsdangerous", "#7f7f7f"),
    ("falcon", "#d62728"),
    ("bottle", "#2ca02c"),
    ("bare", "#222222"),
    ("dict", "#222222"),
)
_OTHER_COLOURS = ("#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#17becf")


def colour(label: str, index: int) -> str:
    """The colour of a contender, the same in every plot."""
    lowered = label.lower()
    for part, value in _COLOURS:
        if part in lowered:
            return value
    return _OTHER_COLOURS[index % len(_OTHER_COLOURS)]


def _plain(text: str) -> str:
    """Markdown inline text without its markup, for a plot."""
    return text.replace("`", "").replace("**", "")


def _short_workload(title: str) -> str:
    """``"hello world: `GET /`"`` -> ``"hello world"``, wrapped for an axis."""
    head = re.split(r"[:,]", _plain(title), maxsplit=1)[0]
    return textwrap.fill(head, 16, break_on_hyphens=False)


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _log_scale(axes: Any, which: str) -> None:
    """A log scale on the ``which`` (``"x"`` or ``"y"``) axis, ticked 1, 2, 5, 10...

    Plain numbers rather than powers of ten, so that a reader can read a figure off.
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    if which == "x":
        axes.set_xscale("log")
        axis = axes.xaxis
    else:
        axes.set_yscale("log")
        axis = axes.yaxis
    axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda value, _position: f"{value:g}"))
    axis.set_minor_locator(NullLocator())


def _grouped_bars(
    axes: Any,
    groups: list[str],
    series: list[tuple[str, list[float | None]]],
) -> None:
    """One group of bars per x label, one bar per series (label, values)."""
    width = 0.8 / max(len(series), 1)
    for index, (label, values) in enumerate(series):
        offset = (index - (len(series) - 1) / 2) * width
        xs = [i + offset for i, v in enumerate(values) if v is not None]
        ys = [v for v in values if v is not None]
        axes.bar(xs, ys, width, label=label, color=colour(label, index))
    axes.set_xticks(range(len(groups)), groups)


def draw_wsgi(payload: dict[str, Any], path: Path | str) -> None:
    medians = wsgi_medians(payload)
    workloads = list(payload["workloads"].items())
    figure = _figure(8.5, 4.6)
    axes = figure.add_subplot()
    _grouped_bars(
        axes,
        [_short_workload(title) for _, title in workloads],
        [
            (label, [medians.get((workload, key)) for workload, _ in workloads])
            for key, label in payload["contenders"].items()
        ],
    )
    _log_scale(axes, "y")
    axes.set_ylabel("µs per request (median, log scale)")
    axes.set_title("Whole requests through each framework (lower is better)")
    axes.grid(axis="y", alpha=0.3)
    figure.legend(loc="outside lower center", ncols=6, fontsize=9, frameon=False)
    _save(figure, path)


def draw_routing(payload: dict[str, Any], path: Path | str) -> None:
    figure = _figure(8.5, 9)
    left, right = figure.subplots(2, 1, height_ratios=(1, 1.15))
    github = payload["github"][::-1]
    labels = [row["label"] for row in github]
    values = [row["median_us"] for row in github]
    left.barh(
        labels,
        values,
        color=[colour(label, index) for index, label in enumerate(labels)],
    )
    _log_scale(left, "x")
    left.set_xlabel("µs per lookup (median, log scale)")
    left.set_title("GitHub API routes (lower is better)")
    for index, value in enumerate(values):
        left.text(value, index, f" {fmt_us(value)}", va="center", fontsize=8)
    left.margins(x=0.15)
    scaling = payload["scaling"]
    for index, (key, label) in enumerate(payload["scaling_columns"]):
        points = [
            (size["routes"], size["results"][key]["median_us"])
            for size in scaling
            if not size["label"] and key in size["results"]
        ]
        if not points:
            continue
        sizes, times = zip(*points, strict=True)
        line_colour = colour(label, index)
        style = "--" if "core" in label else "-"
        right.plot(sizes, times, style, marker="o", label=label, color=line_colour)
        for size in scaling:  # the largest map, its stream on 10 routes only
            if size["label"] and key in size["results"]:
                right.plot(
                    [size["routes"]],
                    [size["results"][key]["median_us"]],
                    marker="o",
                    markerfacecolor="none",
                    markersize=10,
                    color=line_colour,
                )
    _log_scale(right, "x")
    _log_scale(right, "y")
    right.set_xlabel("number of routes")
    right.set_ylabel("µs per lookup (median, log scale)")
    hot = [size["label"] for size in scaling if size["label"]]
    right.set_title(
        "Scaling with the number of routes" + (f"\nhollow: {hot[0]}" if hot else ""),
        fontsize=10,
    )
    right.grid(which="both", alpha=0.3)
    right.legend(fontsize=8)
    _save(figure, path)


def draw_signing(payload: dict[str, Any], path: Path | str) -> None:
    medians = signing_medians(payload)
    operations = _ordered(operation for operation, _ in medians)
    contenders = _ordered(contender for _, contender in medians)
    figure = _figure(7, 3.6)
    axes = figure.add_subplot()
    _grouped_bars(
        axes,
        operations,
        [
            (name, [medians.get((operation, name)) for operation in operations])
            for name in contenders
        ],
    )
    axes.set_ylabel("µs per operation (median)")
    axes.set_title("Session cookie signing (lower is better)")
    axes.grid(axis="y", alpha=0.3)
    figure.legend(loc="outside lower center", ncols=3, fontsize=9, frameon=False)
    _save(figure, path)


def _save(figure: Any, path: Path | str) -> None:
    # No "Software" entry: the same data gives the same bytes.
    figure.savefig(path, dpi=150, metadata={"Software": None})


DRAW: dict[str, Callable[[dict[str, Any], Path | str], None]] = {
    "wsgi": draw_wsgi,
    "routing": draw_routing,
    "signing": draw_signing,
}


def save_plot(kind: str, payload: dict[str, Any], path: Path | str) -> str:
    """Draw ``kind``'s plot into ``path``; a note saying what happened.

    Without matplotlib the plot is skipped, and the note says so.
    """
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return "plot skipped: matplotlib is not installed (pip install matplotlib)"
    DRAW[kind](payload, path)
    return f"plot written to {path}"
