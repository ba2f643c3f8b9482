"""Session-cookie signing cost: microweb's two signing cores against itsdangerous.

Run from the repository root::

    python perf/signing.py            # full run (about 10 seconds)
    python perf/signing.py --quick    # short run (a few seconds)
    python perf/signing.py --rounds 61 --json signing.json --clock cpu

What is timed is what a Flask-style app does with its session cookie: serialize and
sign the session when the response goes out (``dumps``), verify and deserialize it
when the next request comes in (``loads`` with ``max_age``). Every contender uses
Flask's session settings: salt ``"cookie-session"``, HMAC key derivation, SHA-1, the
default compact-JSON serializer, one serializer built before timing.

Before timing, each contender signs the session at a frozen clock: the tokens must
be identical, and each contender must load every other one's token. A contender that
fails this is reported and not timed (and the exit status is 1).

Then every (operation, contender) cell is calibrated to a batch of about 20 ms and
timed round-robin, one batch per cell per round, the starting cell rotating between
rounds, with the garbage collector off during a batch. The table shows the median
over rounds of the microseconds per operation. Speed is measured here and only here;
tests never assert timings.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any
from unittest import mock

import itsdangerous

sys.path.insert(0, str(Path(__file__).resolve().parent))  # perf/ is not a package

from _harness import (
    CLOCKS,
    RunDefaults,
    Timed,
    fmt_ratio,
    fmt_us,
    import_microweb,
    load_average,
    machine_line,
    machine_payload,
    md_table,
    measure_round_robin,
    notes_section,
    shared_cpu_note,
    write_json,
)

SECRET_KEY = "dev-secret-key-0123456789abcdef"
SALT = "cookie-session"
SIGNER_KWARGS = {"key_derivation": "hmac", "digest_method": hashlib.sha1}
#: Flask's default PERMANENT_SESSION_LIFETIME: 31 days.
MAX_AGE = 31 * 24 * 3600
SESSION = {
    "user_id": 42,
    "csrf_token": "5f2b9c0e8d7a4b61a3e9f0c2d4b6a8e1",
    "_flashes": [["message", "Welcome back"]],
}
#: The clock reading the correctness check signs at.
FROZEN_NOW = 1_700_000_000.5
TARGETS = {"microweb native": 5.0, "microweb pure": 2.0}
REFERENCE = "itsdangerous"
DEFAULTS = RunDefaults(rounds=41, quick_rounds=11, batch_ms=20, quick_batch_ms=10)
#: the calls that warm a loop up before its calibration
FIRST_PASSES = 10


# -------------------------------------------------------------------- contenders


@dataclass
class Contender:
    """One serializer and what was measured on it."""

    name: str
    serializer: Any
    #: why it was not timed (a wrong answer in the check), if it was not
    failure: str | None = None


@dataclass
class Cell(Timed):
    """One (operation, contender) pair: the loop to time and its samples.

    One pass of ``run`` is one operation; the samples are µs per operation.
    """

    operation: str
    contender: Contender


OPERATIONS = ("sign + verify", "dumps only", "loads only")


def loops(serializer: Any) -> dict[str, Callable[[int], None]]:
    """The timed loops for *serializer*, by operation; ``passes`` calls each."""
    dumps = serializer.dumps
    loads = serializer.loads
    session = SESSION
    token = dumps(session)

    def sign_and_verify(passes: int) -> None:
        for _ in range(passes):
            loads(dumps(session), max_age=MAX_AGE)

    def dumps_only(passes: int) -> None:
        for _ in range(passes):
            dumps(session)

    def loads_only(passes: int) -> None:
        for _ in range(passes):
            loads(token, max_age=MAX_AGE)

    return {
        "sign + verify": sign_and_verify,
        "dumps only": dumps_only,
        "loads only": loads_only,
    }


@dataclass
class Loaded:
    """What the imports gave: the contenders, and notes on what is missing."""

    contenders: list[Contender] = field(default_factory=list)
    microweb: str = "microweb not loaded"
    notes: list[str] = field(default_factory=list)


def load_contenders() -> Loaded:
    loaded = Loaded()
    try:
        microweb = import_microweb()
        signing = importlib.import_module("microweb.signing")
    except Exception as exc:  # report, carry on without it
        loaded.notes.append(
            f"microweb skipped: cannot import microweb.signing ({exc!r})"
        )
        signing = None
    else:
        location = Path(microweb.__file__).resolve().parent
        loaded.microweb = (
            f"microweb {getattr(microweb, '__version__', '?')} from `{location}` "
            f"(default signing core: {signing.core.__name__})"
        )
    if signing is not None:
        for name, module_name in (
            ("microweb native", "microweb._signing_c"),
            ("microweb pure", "microweb._signing_py"),
        ):
            try:
                core = importlib.import_module(module_name)
            except ImportError as exc:
                loaded.notes.append(
                    f"{name} skipped: {module_name} is not importable ({exc}); build "
                    "it with `pip install .` or `python setup.py build_ext --inplace` "
                    "in a copy of the tree put first on PYTHONPATH"
                )
                continue
            pinned = type(
                "PinnedSerializer", (signing.URLSafeTimedSerializer,), {"core": core}
            )
            serializer = pinned(SECRET_KEY, salt=SALT, signer_kwargs=SIGNER_KWARGS)
            loaded.contenders.append(Contender(name, serializer))
    reference = itsdangerous.URLSafeTimedSerializer(
        SECRET_KEY, salt=SALT, signer_kwargs=SIGNER_KWARGS
    )
    loaded.contenders.append(Contender(REFERENCE, reference))
    return loaded


def check(contenders: list[Contender]) -> list[str]:
    """Sign at a frozen clock; tokens must be identical and load everywhere.

    Returns the lines describing each wrong answer; a contender that gave one (a
    token unlike itsdangerous', or a wrong value from a right token) gets its
    ``failure`` set and is left out of the timing.
    """
    problems = []
    with mock.patch.object(time, "time", lambda: FROZEN_NOW):
        tokens = {}
        for contender in contenders:
            try:
                tokens[contender.name] = contender.serializer.dumps(SESSION)
            except Exception as exc:  # noqa: BLE001 - a failure is an answer
                tokens[contender.name] = repr(exc)
        expected = tokens[REFERENCE]
        for contender in contenders:
            if tokens[contender.name] != expected:
                contender.failure = "token differs from itsdangerous'"
                problems.append(
                    f"- {contender.name}: dumps gave `{tokens[contender.name]}`, "
                    f"itsdangerous gave `{expected}`"
                )
            for signer_name, token in tokens.items():
                if signer_name != REFERENCE and token != expected:
                    continue  # a wrong token is its signer's failure, reported above
                try:
                    value = contender.serializer.loads(token, max_age=MAX_AGE)
                except Exception as exc:  # noqa: BLE001 - a failure is an answer
                    value = exc
                if value != SESSION:
                    contender.failure = contender.failure or "loads gave a wrong value"
                    problems.append(
                        f"- {contender.name}: loads of {signer_name}'s token gave "
                        f"{value!r}, expected {SESSION!r}"
                    )
    return problems


# ----------------------------------------------------------------------- reports


def table(cells: list[Cell], names: list[str]) -> list[str]:
    """Operations down, contenders across: µs and the ratio to itsdangerous."""
    by_key = {(cell.operation, cell.contender.name): cell for cell in cells}
    header = ["operation"]
    for name in names:
        header.append(f"{name} µs")
        if name != REFERENCE:
            header.append(f"{name} vs {REFERENCE}")
    rows = []
    for operation in OPERATIONS:
        reference = by_key.get((operation, REFERENCE))
        reference_us = reference.median_us if reference else None
        row = [operation]
        for name in names:
            cell = by_key.get((operation, name))
            cell_us = cell.median_us if cell else None
            row.append(fmt_us(cell_us, "—"))
            if name != REFERENCE:
                row.append(fmt_ratio(reference_us, cell_us, "—"))
        rows.append(row)
    return md_table(header, rows)


def target_lines(cells: list[Cell]) -> list[str]:
    by_key = {(cell.operation, cell.contender.name): cell for cell in cells}
    reference = by_key.get(("sign + verify", REFERENCE))
    lines = []
    for name, wanted in TARGETS.items():
        cell = by_key.get(("sign + verify", name))
        if cell is None or reference is None:
            lines.append(
                f"- {name} sign + verify ≥ {wanted:.0f}x faster than itsdangerous: "
                "not measured"
            )
            continue
        ratio = reference.median_us / cell.median_us
        verdict = "met" if ratio >= wanted else "not met"
        lines.append(
            f"- {name} sign + verify ≥ {wanted:.0f}x faster than itsdangerous: "
            f"{ratio:.2f}x — **{verdict}**"
        )
    return lines


# -------------------------------------------------------------------------- main


def run(argv: list[str] | None = None) -> int:
    args = DEFAULTS.parse(DEFAULTS.parser(__doc__), argv)
    rounds = DEFAULTS.rounds_for(args)
    target_ns = DEFAULTS.target_ns_for(args)
    load_before = load_average()

    loaded = load_contenders()
    problems = check(loaded.contenders)
    timed = [c for c in loaded.contenders if c.failure is None]
    cells = [
        Cell(operation, contender, run=loops(contender.serializer)[operation])
        for operation in OPERATIONS
        for contender in timed
    ]
    measure_round_robin(
        cells,
        rounds=rounds,
        target_ns=target_ns,
        clock=args.clock,
        first_passes=FIRST_PASSES,
    )

    names = [c.name for c in timed]
    lines = [
        "# microweb signing benchmark",
        "",
        machine_line(),
        f"- {loaded.microweb}; itsdangerous {version('itsdangerous')} "
        f"(`{Path(itsdangerous.__file__).resolve().parent}`)",
        f"- session `{json.dumps(SESSION, separators=(',', ':'))}`; salt `{SALT}`, "
        f"key derivation hmac, sha1, compact JSON; loads with max_age={MAX_AGE}",
        f"- {rounds} rounds, cells interleaved round-robin; each figure is the median "
        f"of the per-round µs per operation by {CLOCKS[args.clock]}; one batch ≈ "
        f"{target_ns // 1_000_000} ms with the garbage collector off; a warm-up batch "
        "first",
        f"- load average {load_before} before, {load_average()} after",
        "",
        "## Correctness check",
        "",
    ]
    if problems:
        lines += problems
    else:
        lines.append(
            f"All {len(loaded.contenders)} contenders gave the same token at a frozen "
            "clock and loaded each other's tokens."
        )
    lines += ["", "## µs per operation (lower is better)", ""]
    lines += table(cells, names)
    lines += [
        "",
        "Ratios are itsdangerous' µs divided by the contender's: above 1 means faster "
        "than itsdangerous. sign + verify is `loads(dumps(session), max_age=...)`; "
        "dumps only and loads only time the two halves (loads of one token made "
        "before timing).",
        "",
        "## Targets",
        "",
    ]
    lines += target_lines(cells)
    notes = list(loaded.notes)
    shared = shared_cpu_note(cells, args.clock)
    if shared:
        notes.append(shared)
    lines += notes_section(notes)
    print("\n".join(lines))

    if args.json:
        payload = {
            **machine_payload(),
            "rounds": rounds,
            "clock": args.clock,
            "batch_target_ms": target_ns // 1_000_000,
            "microweb": loaded.microweb,
            "libraries": {"itsdangerous": version("itsdangerous")},
            "problems": problems,
            "cells": [
                {
                    "operation": cell.operation,
                    "contender": cell.contender.name,
                    "median_us": cell.median_us,
                    "passes": cell.passes,
                    "wall_us": cell.wall_samples_us,
                    "cpu_us": cell.cpu_samples_us,
                }
                for cell in cells
            ],
            "targets": target_lines(cells),
            "notes": notes,
        }
        write_json(args.json, payload)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(run())
