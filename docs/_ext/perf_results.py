"""The Performance page's results, drawn at build time from ``docs/perf-results/``.

A local Sphinx extension with three directives; ``NAME`` is ``wsgi``, ``routing`` or
``signing``, and its data ``docs/perf-results/NAME.json``, the file that
``perf/NAME.py --json`` wrote::

    .. perf-machine::

    .. perf-results:: NAME

    .. perf-plot:: NAME

       Optional caption.

``perf-machine`` names the machine, the libraries and each run; ``perf-results``
gives NAME's tables, then the targets and the notes of the run; ``perf-plot`` draws
NAME's plot into ``docs/_generated/`` (git-ignored) and shows it as a figure. The
tables and plots come from ``perf/_report.py``, the code ``perf/report.py`` runs, so
the page cannot disagree with the data. A missing file gives a note in the page;
a malformed one an error, which fails the build (``-W``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

PERF_DIR = Path(__file__).resolve().parents[2] / "perf"
if str(PERF_DIR) not in sys.path:
    # perf/ is not a package; appended, so that its scripts shadow nothing
    sys.path.append(str(PERF_DIR))

import _report  # noqa: E402 - needs perf/ on sys.path

#: the code the output depends on: a change to it re-reads the page
CODE = (PERF_DIR / "_report.py", PERF_DIR / "_harness.py")


class _PerfDirective(SphinxDirective):
    """What the three directives share: find, load and parse."""

    def results_path(self, kind: str) -> Path:
        return Path(self.env.srcdir) / self.config.perf_results_dir / f"{kind}.json"

    def load(self, kind: str) -> dict[str, Any] | None:
        """``kind``'s checked payload; ``None`` when the file is not there."""
        path = self.results_path(kind)
        for dependency in (path, *CODE):
            self.env.note_dependency(str(dependency))
        if not path.exists():
            return None
        try:
            return _report.load(path, kind)
        except (OSError, _report.ReportError) as exc:
            raise self.error(f"perf results: {exc}") from None

    def parse(self, lines: list[str], source: str) -> list[nodes.Node]:
        """Generated reStructuredText, parsed in the page's context."""
        parent = nodes.Element()
        self.state.nested_parse(StringList(lines, source=source), 0, parent)
        return list(parent.children)

    def shown(self, path: Path) -> str:
        """``path`` as the reader knows it: from the repository root if inside."""
        try:
            return path.relative_to(Path(self.env.srcdir).parent).as_posix()
        except ValueError:
            return str(path)

    def missing(self, kinds: list[str]) -> list[nodes.Node]:
        """A note: no results yet, and how to make them.

        For one file, once per page: its plot and its tables share the note.
        """
        if len(kinds) == 1:
            noted = self.env.temp_data.setdefault("perf_results_noted", set())
            if kinds[0] in noted:
                return []
            noted.add(kinds[0])
            path = self.shown(self.results_path(kinds[0]))
            text = (
                f"No results yet: ``{path}`` is missing. "
                f"``python perf/{kinds[0]}.py --json {path}`` writes it (see "
                "``perf/README.md``)."
            )
        else:
            folder = self.shown(self.results_path(kinds[0]).parent)
            names = ", ".join(f"``{kind}.json``" for kind in kinds)
            text = (
                f"No results yet: ``{folder}/`` holds none of {names}. "
                "``perf/README.md`` says how to write them."
            )
        return self.parse([".. note::", "", f"   {text}"], "perf-results")


class PerfMachine(_PerfDirective):
    """``.. perf-machine::``: the machine, the libraries and each run, as bullets."""

    def run(self) -> list[nodes.Node]:
        payloads = {kind: self.load(kind) for kind in _report.KINDS}
        found = {kind: p for kind, p in payloads.items() if p is not None}
        if not found:
            return self.missing(list(_report.KINDS))
        lines = _report.rst_bullets(_report.machine_lines(found))
        return self.parse(lines, str(self.results_path(next(iter(found)))))


class PerfResults(_PerfDirective):
    """``.. perf-results:: NAME``: the tables, targets and notes of NAME's run."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        kind = self.kind()
        payload = self.load(kind)
        if payload is None:
            return self.missing([kind])
        lines = _report.rst_report(_report.build_report(kind, payload))
        return self.parse(lines, str(self.results_path(kind)))

    def kind(self) -> str:
        kind = self.arguments[0]
        if kind not in _report.KINDS:
            raise self.error(
                f"{self.name}: unknown results {kind!r} "
                f"(one of {', '.join(_report.KINDS)})"
            )
        return kind


class PerfPlot(PerfResults):
    """``.. perf-plot:: NAME``: NAME's plot, drawn now; the content is its caption."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        kind = self.kind()
        payload = self.load(kind)
        if payload is None:
            return self.missing([kind])
        if importlib.util.find_spec("matplotlib") is None:
            return self.parse(
                [
                    ".. note::",
                    "",
                    "   The plot is drawn at build time with matplotlib, which is "
                    "not installed (``pip install -e .[docs]`` installs it).",
                ],
                "perf-plot",
            )
        folder = self.config.perf_results_plots_dir
        image = Path(self.env.srcdir) / folder / f"perf-{kind}.png"
        image.parent.mkdir(parents=True, exist_ok=True)
        _report.DRAW[kind](payload, image)
        lines = [
            f".. figure:: /{folder}/{image.name}",
            f"   :alt: the {kind} results plotted",
            "   :width: 100%",
        ]
        if self.content:
            lines += ["", *(f"   {line}" for line in self.content)]
        return self.parse(lines, str(self.results_path(kind)))


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("perf_results_dir", "perf-results", "env")
    app.add_config_value("perf_results_plots_dir", "_generated", "env")
    app.add_directive("perf-machine", PerfMachine)
    app.add_directive("perf-results", PerfResults)
    app.add_directive("perf-plot", PerfPlot)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
