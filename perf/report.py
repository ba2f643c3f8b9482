"""Turn the JSON files of perf/'s scripts into reStructuredText tables and PNG plots.

Run from the repository root::

    python perf/report.py                   # docs/perf-results/ -> perf/results/report/
    python perf/report.py routing           # only routing.json
    python perf/report.py --results DIR --out DIR

For each of wsgi, routing and signing (or the ones named), reads ``NAME.json`` from
the results directory (what ``perf/NAME.py --json`` wrote), checks it, and writes
``NAME.rst`` (the machine line, the tables, the targets and notes of the run) and
``NAME.png`` (the plot; needs matplotlib) into the output directory. The docs build
draws the Performance page from the same files with the same code
(``perf/_report.py``). A file that is missing or malformed stops the run with a
message naming the file and the field, and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # perf/ is not a package

from _harness import REPO_ROOT
from _report import (
    KINDS,
    ReportError,
    build_report,
    load,
    machine_lines,
    rst_bullets,
    rst_report,
    save_plot,
)

DEFAULT_RESULTS = REPO_ROOT / "docs" / "perf-results"
DEFAULT_OUT = REPO_ROOT / "perf" / "results" / "report"


def write_report(kind: str, results: Path, out: Path) -> list[str]:
    """Write ``out/kind.rst`` and ``out/kind.png``; what was written, as lines."""
    payload = load(results / f"{kind}.json", kind)
    title = f"perf/{kind}.py"
    lines = [
        title,
        "=" * len(title),
        "",
        *rst_bullets(machine_lines({kind: payload})),
        "",
        *rst_report(build_report(kind, payload)),
    ]
    rst_path = out / f"{kind}.rst"
    rst_path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return [
        f"tables written to {rst_path}",
        save_plot(kind, payload, out / f"{kind}.png"),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "kinds",
        nargs="*",
        metavar="NAME",
        help=f"which results to report: {', '.join(KINDS)} (default: all three)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        help="the directory holding NAME.json (default: docs/perf-results)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        help="where to write NAME.rst and NAME.png (default: perf/results/report)",
    )
    options = parser.parse_args(argv)
    unknown = [kind for kind in options.kinds if kind not in KINDS]
    if unknown:
        parser.error(f"unknown NAME {', '.join(unknown)} (one of {', '.join(KINDS)})")
    options.out.mkdir(parents=True, exist_ok=True)
    for kind in options.kinds or KINDS:
        try:
            written = write_report(kind, options.results, options.out)
        except (OSError, ReportError) as exc:
            print(f"perf/report.py: {kind}: {exc}", file=sys.stderr)
            return 1
        print("\n".join(written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
