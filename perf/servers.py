"""Requests per second under real servers: microweb native, microweb pure and Flask.

Run from the repository root::

    python perf/servers.py            # full run (about 5 minutes)
    python perf/servers.py --quick    # short run (about a minute)
    python perf/servers.py --seconds 5 --rounds 7 --json servers.json

One small app, written once against Flask's API (:func:`build_app`), is served three
ways: on microweb's compiled core, on its pure-Python core, and on Flask; each by
gunicorn (gthread worker, 2 processes x 4 threads) and by Waitress (4 threads), as
child processes on 127.0.0.1. The workloads are ``GET /`` (hello world), ``GET
/json`` (a small JSON object) and the example app's ``GET /api/ping?id=1`` (the
journal of ``examples/journal``, on the same framework, mounted at ``/journal``).

The load comes from ``wrk`` (1 thread, keep-alive connections) when it is on PATH,
else from a Python client (threads on keep-alive ``http.client`` connections),
which takes more of the CPUs it shares with the servers.

Before timing, every (server, framework, workload) is checked: status, content
type and body, from several connections at once (which also warms the workers up),
and the core each server runs on. Then the cells are timed in rounds, one run of
``--seconds`` per cell per round, the first cell rotating between rounds; the tables
show the median over rounds of the requests per second, and of the CPU time the
server's processes spent per request (read from ``/proc``; steadier than requests
per second on a shared machine).
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from types import ModuleType
from typing import Any

PERF_DIR = Path(__file__).resolve().parent
REPO_ROOT = PERF_DIR.parent
EXAMPLES = REPO_ROOT / "examples"

#: Which framework :func:`build_app` builds on: ``microweb`` or ``flask``.
FRAMEWORK_ENV = "MICROWEB_PERF_FRAMEWORK"


# ---------------------------------------------------------- the app (in the servers)


def flask_names(framework: str) -> ModuleType:
    """A module of Flask's names (``Flask``, ``g``, ``request``...) on *framework*:
    ``flask`` itself, or microweb's with ``App`` as ``Flask``."""
    if framework == "flask":
        import flask

        return flask
    import microweb

    names = ModuleType("flask_names")
    names.__dict__.update(vars(microweb))
    names.Flask = microweb.App  # type: ignore[attr-defined]
    return names


def import_journal(framework: str) -> ModuleType:
    """The example app's package, on *framework*: for Flask, imported while
    ``microweb`` names a module of Flask's objects, which is what changing its
    imports does (as ``tests/test_example.py`` does)."""
    if framework == "flask":
        names = ModuleType("microweb")
        names.__dict__.update(vars(flask_names("flask")))
        names.App = names.Flask  # type: ignore[attr-defined]
        sys.modules["microweb"] = names
    import journal

    return journal


def build_app() -> Any:
    """The app the servers serve (gunicorn ``servers:build_app()``, waitress
    ``--call servers:build_app``), on the framework :data:`FRAMEWORK_ENV` names."""
    framework = os.environ.get(FRAMEWORK_ENV, "microweb")
    fw = flask_names(framework)
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    app = fw.Flask(__name__)

    @app.get("/")
    def hello() -> str:
        return "Hello, World!"

    @app.get("/json")
    def message() -> dict[str, str]:
        return {"message": "Hello, World!"}

    @app.get("/core")
    def core() -> str:
        """What serves this app (checked before timing, never timed)."""
        if framework == "flask":
            return "flask"
        return str(sys.modules["microweb"].IMPLEMENTATION)

    journal = import_journal(framework)
    # The ping reads no database and no session cookie is sent.
    journal_app = journal.create_app({"SECRET_KEY": "perf", "DATABASE": os.devnull})
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/journal": journal_app})
    return app


# ------------------------------------------------------------------ what is measured


@dataclass(frozen=True)
class Workload:
    name: str
    path: str
    mimetype: str
    check: Callable[[bytes], bool]


WORKLOADS = [
    Workload("hello world", "/", "text/html", lambda body: body == b"Hello, World!"),
    Workload(
        "JSON",
        "/json",
        "application/json",
        lambda body: json.loads(body) == {"message": "Hello, World!"},
    ),
    Workload(
        "journal ping",
        "/journal/api/ping?id=1",
        "application/json",
        lambda body: json.loads(body) == {"ok": True, "id": "1", "user": None},
    ),
]


@dataclass(frozen=True)
class Contender:
    name: str
    #: the environment its servers run with (``None`` removes a variable)
    env: dict[str, str | None]
    #: what its ``GET /core`` answers
    core: str


CONTENDERS = [
    Contender(
        "microweb native",
        {
            FRAMEWORK_ENV: "microweb",
            "MICROWEB_NO_EXTENSIONS": None,
            # A missing compiled core fails the server instead of serving pure.
            "MICROWEB_REQUIRE_EXTENSIONS": "1",
        },
        "native",
    ),
    Contender(
        "microweb pure",
        {FRAMEWORK_ENV: "microweb", "MICROWEB_NO_EXTENSIONS": "1"},
        "pure",
    ),
    Contender("Flask", {FRAMEWORK_ENV: "flask"}, "flask"),
]
REFERENCE = "Flask"


def gunicorn_command() -> list[str]:
    command = [sys.executable, "-m", "gunicorn", "--workers", "2"]
    command += ["--worker-class", "gthread", "--threads", "4"]
    command += ["--graceful-timeout", "5", "--bind", "127.0.0.1:{port}"]
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        # Newer gunicorns open a control socket at a fixed path in $HOME, which
        # the servers run side by side must not share.
        command.append("--no-control-socket")
    return command + ["servers:build_app()"]


def waitress_command() -> list[str]:
    return [
        *(sys.executable, "-m", "waitress", "--listen=127.0.0.1:{port}"),
        *("--threads=4", "--call", "servers:build_app"),
    ]


#: name: (the module it needs, its command line)
SERVERS: dict[str, tuple[str, Callable[[], list[str]]]] = {
    "gunicorn gthread (2 x 4)": ("gunicorn", gunicorn_command),
    "waitress (4 threads)": ("waitress", waitress_command),
}


# ------------------------------------------------------------------------ the servers


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_tree(pid: int) -> list[int]:
    """*pid* and its children (gunicorn's master and workers)."""
    pids = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
                pids.append(int(entry.name))
    return pids


def cpu_seconds(pids: list[int]) -> float:
    """The CPU time (user + system) the processes *pids* have used so far."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    kind: str
    contender: Contender
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def get(self, path: str) -> tuple[int, str, bytes]:
        with closing(
            http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        ) as conn:
            conn.request("GET", path)
            response = conn.getresponse()
            return (
                response.status,
                response.getheader("Content-Type", ""),
                (response.read()),
            )

    def wait_ready(self, timeout: float = 30) -> str | None:
        """Wait for the first answer; the problem, or ``None``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return f"exited: {self.log.read_text(errors='replace')[-2000:]}"
            try:
                status, _, body = self.get("/core")
            except OSError:
                time.sleep(0.1)
                continue
            if status != 200 or body.decode() != self.contender.core:
                return f"GET /core answered {status} {body[:100]!r}"
            return None
        return "did not answer in time"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_server(
    kind: str, contender: Contender, folder: Path, microweb_root: Path
) -> Server:
    paths = [str(PERF_DIR), str(EXAMPLES), str(microweb_root)]
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    for name, value in contender.env.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    port = free_port()
    log = folder / f"{kind.split()[0]}-{contender.name.replace(' ', '-')}.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [part.format(port=port) for part in SERVERS[kind][1]()],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Server(kind, contender, process, port, log)


def check(server: Server, workload: Workload, connections: int) -> str | None:
    """Check *workload*'s answers, from *connections* connections at once (which
    warms every worker up); the problem, or ``None``."""
    problems: list[str] = []

    def fetch() -> None:
        for _ in range(25):
            try:
                status, content_type, body = server.get(workload.path)
                mimetype = content_type.split(";")[0]
                right = status == 200 and mimetype == workload.mimetype
                if not (right and workload.check(body)):
                    problems.append(f"{status} {content_type} {body[:100]!r}")
            except (OSError, ValueError, http.client.HTTPException) as exc:
                problems.append(repr(exc))

    threads = [threading.Thread(target=fetch) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if problems:
        return f"GET {workload.path}: {problems[0]} ({len(problems)} wrong)"
    return None


# ------------------------------------------------------------------------- the load


@dataclass
class Run:
    requests: int
    seconds: float
    errors: int

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


WRK_REQUESTS = re.compile(r"(\d+) requests in ([\d.]+)(us|ms|s|m)\b")
WRK_SOCKET_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)
WRK_STATUS_ERRORS = re.compile(r"Non-2xx or 3xx responses: (\d+)")
WRK_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


def wrk_load(url: str, seconds: int, connections: int) -> Run:
    command = ["wrk", "--threads", "1", "--connections", str(connections)]
    command += ["--duration", f"{seconds}s", "--timeout", "5s", url]
    output = subprocess.run(
        command, capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    match = WRK_REQUESTS.search(output)
    if match is None:
        raise RuntimeError(f"cannot read wrk's output:\n{output}")
    errors = sum(
        int(n) for found in WRK_SOCKET_ERRORS.findall(output) for n in found
    ) + sum(int(n) for n in WRK_STATUS_ERRORS.findall(output))
    elapsed = float(match.group(2)) * WRK_UNITS[match.group(3)]
    return Run(int(match.group(1)), elapsed, errors)


def python_load(url: str, seconds: int, connections: int) -> Run:
    """What ``wrk`` does, with threads on keep-alive ``http.client`` connections."""
    address, _, path = url.removeprefix("http://").partition("/")
    host, _, port = address.partition(":")
    counts = [[0, 0] for _ in range(connections)]  # requests, errors
    deadline = time.monotonic() + seconds

    def client(count: list[int]) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=5)
        while time.monotonic() < deadline:
            try:
                conn.request("GET", "/" + path)
                response = conn.getresponse()
                response.read()
                count[1] += response.status != 200
            except (OSError, http.client.HTTPException):
                count[1] += 1
                conn.close()
            count[0] += 1
        conn.close()

    start = time.monotonic()
    threads = [threading.Thread(target=client, args=(c,)) for c in counts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    return Run(sum(c[0] for c in counts), elapsed, sum(c[1] for c in counts))


@dataclass
class Cell:
    server: Server
    workload: Workload
    per_second: list[float] = field(default_factory=list)
    cpu_us: list[float] = field(default_factory=list)
    errors: int = 0

    def measure(
        self, load: Callable[[str, int, int], Run], seconds: int, c: int
    ) -> None:
        url = f"http://127.0.0.1:{self.server.port}{self.workload.path}"
        pids = process_tree(self.server.process.pid)
        before = cpu_seconds(pids)
        run = load(url, seconds, c)
        used = cpu_seconds(pids) - before
        self.per_second.append(run.per_second)
        self.cpu_us.append(used / max(run.requests, 1) * 1e6)
        self.errors += run.errors


# ------------------------------------------------------------------------- the report


def package_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def tables(cells: list[Cell], names: list[str]) -> list[str]:
    by_key = {
        (cell.server.kind, cell.workload.name, cell.server.contender.name): cell
        for cell in cells
    }
    kinds = list(dict.fromkeys(cell.server.kind for cell in cells))
    others = [name for name in names if name != REFERENCE]
    show_ratios = REFERENCE in names
    lines: list[str] = []
    for title, attribute, fmt, better in [
        ("Requests per second (higher is better)", "per_second", "{:,.0f}", "higher"),
        ("Server CPU µs per request (lower is better)", "cpu_us", "{:,.0f}", "lower"),
    ]:
        header = ["server", "workload", *names]
        if show_ratios:
            header += [f"{name} vs {REFERENCE}" for name in others]
        rows = []
        for kind in kinds:
            for workload in WORKLOADS:
                medians: dict[str, float] = {}
                row = [kind, workload.name]
                for name in names:
                    cell = by_key.get((kind, workload.name, name))
                    if cell is None or not getattr(cell, attribute):
                        row.append("-")
                        continue
                    medians[name] = statistics.median(getattr(cell, attribute))
                    row.append(fmt.format(medians[name]))
                if show_ratios:
                    for name in others:
                        if name in medians and REFERENCE in medians:
                            ratio = medians[name] / medians[REFERENCE]
                            if better == "lower":
                                ratio = 1 / ratio
                            row.append(f"{ratio:.2f}x")
                        else:
                            row.append("-")
                rows.append(row)
        lines += ["", f"## {title}", ""]
        align = "ll" + "r" * (len(header) - 2)
        rule = "|" + "".join("---:|" if a == "r" else "---|" for a in align)
        lines.append("| " + " | ".join(header) + " |")
        lines.append(rule)
        lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines += [
        "",
        f"Ratios: how many times {REFERENCE}'s figure each microweb's is (requests "
        "per second divided by Flask's; for CPU per request, Flask's divided by "
        "microweb's): above 1 is better than Flask.",
    ]
    return lines


# ------------------------------------------------------------------------------ main


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="short run: 3 rounds of 1 s per cell"
    )
    parser.add_argument("--rounds", type=int, help="rounds (default 5, quick 3)")
    parser.add_argument(
        "--seconds", type=int, help="seconds of load per cell per round (default 3)"
    )
    parser.add_argument(
        "--connections", type=int, default=8, help="concurrent connections (8)"
    )
    parser.add_argument(
        "--python-client",
        action="store_true",
        help="use the Python client even where wrk is on PATH",
    )
    parser.add_argument("--json", metavar="PATH", help="also write every sample")
    options = parser.parse_args(argv)
    options.rounds = options.rounds or (3 if options.quick else 5)
    options.seconds = options.seconds or (1 if options.quick else 3)
    if options.rounds < 1 or options.seconds < 1 or options.connections < 1:
        parser.error("--rounds, --seconds and --connections must be at least 1")
    return options


def run(argv: list[str] | None = None) -> int:
    options = parse(argv)
    sys.path.insert(0, str(PERF_DIR))  # perf/ is not a package
    from _harness import load_average, machine_line, notes_section, write_json

    started = time.monotonic()
    load_before = load_average()
    notes: list[str] = []
    problems: list[str] = []

    # The servers import the microweb this process finds first (an install, or
    # PYTHONPATH), else the source tree next to perf/.
    spec = importlib.util.find_spec("microweb")
    if spec is not None and spec.origin is not None:
        microweb_root = Path(spec.origin).resolve().parent.parent
    else:
        microweb_root = REPO_ROOT
    wrk = None if options.python_client else shutil.which("wrk")
    if wrk:
        wrk_version = subprocess.run(
            [wrk, "--version"], capture_output=True, text=True
        ).stdout.split(" [")[0]
        load_line = f"{wrk_version}: 1 thread, {options.connections} connections"
        load: Callable[[str, int, int], Run] = wrk_load
    else:
        why = "--python-client" if options.python_client else "wrk is not on PATH"
        load_line = (
            f"the Python client ({why}): {options.connections} threads on "
            "keep-alive http.client connections, which take more of the CPUs the "
            "servers share than wrk would"
        )
        load = python_load

    kinds = []
    for kind, (module, _) in SERVERS.items():
        if importlib.util.find_spec(module) is None:
            notes.append(f"{kind} left out: {module} is not installed")
        else:
            kinds.append(kind)
    contenders = list(CONTENDERS)
    if importlib.util.find_spec("flask") is None:
        notes.append("Flask left out: it is not installed")
        contenders = [c for c in contenders if c.name != "Flask"]

    folder = Path(tempfile.mkdtemp(prefix="microweb-perf-servers-"))
    servers = [
        start_server(kind, contender, folder, microweb_root)
        for kind in kinds
        for contender in contenders
    ]
    cells: list[Cell] = []
    try:
        running = []
        for server in servers:
            problem = server.wait_ready()
            if problem:
                notes.append(
                    f"{server.contender.name} under {server.kind} left out: {problem}"
                )
                server.stop()
            else:
                running.append(server)
        for server in running:
            for workload in WORKLOADS:
                problem = check(server, workload, options.connections)
                if problem:
                    problems.append(
                        f"{server.contender.name} under {server.kind}: {problem}"
                    )
                else:
                    cells.append(Cell(server, workload))
        for round_index in range(options.rounds):
            shift = round_index % max(len(cells), 1)
            for cell in cells[shift:] + cells[:shift]:
                cell.measure(load, options.seconds, options.connections)
    finally:
        for server in servers:
            server.stop()
    for cell in cells:
        if cell.errors:
            problems.append(
                f"{cell.server.contender.name} under {cell.server.kind}, "
                f"{cell.workload.name}: {cell.errors} errors under load"
            )
    shutil.rmtree(folder, ignore_errors=True)
    if not cells:
        problems.append("nothing was measured (see the notes)")

    names = [c.name for c in contenders if any(x.server.contender is c for x in cells)]
    lines = [
        "# microweb under real servers",
        "",
        machine_line(),
        f"- microweb from `{microweb_root}`; Flask {package_version('flask')}, "
        f"Werkzeug {package_version('werkzeug')}, gunicorn "
        f"{package_version('gunicorn')}, waitress {package_version('waitress')}",
        f"- load: {load_line}, {options.seconds} s per cell per round, "
        f"{options.rounds} rounds, cells interleaved; each figure is the median over "
        "rounds",
        f"- the servers and the load generator share {os.cpu_count()} logical CPUs; "
        f"load average {load_before} before, {load_average()} after; wall time "
        f"{time.monotonic() - started:.0f} s",
        "",
        "## Correctness check",
        "",
    ]
    if problems:
        lines += [f"- {problem}" for problem in problems]
    else:
        lines.append(
            f"Every server answered every workload right from {options.connections} "
            "connections at once, on the core it was meant to run, and no request "
            "failed under load."
        )
    if cells:
        lines += tables(cells, names)
    lines += notes_section(notes)
    print("\n".join(lines))

    if options.json:
        write_json(
            options.json,
            {
                "load": load_line,
                "seconds": options.seconds,
                "rounds": options.rounds,
                "problems": problems,
                "cells": [
                    {
                        "server": cell.server.kind,
                        "contender": cell.server.contender.name,
                        "workload": cell.workload.name,
                        "requests_per_second": cell.per_second,
                        "server_cpu_us_per_request": cell.cpu_us,
                        "errors": cell.errors,
                    }
                    for cell in cells
                ],
            },
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(run())
