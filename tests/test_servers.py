"""The example app under real servers: gunicorn (sync and gthread) and Waitress.

Each server runs as a child process (``python -m gunicorn`` / ``python -m
waitress``) on 127.0.0.1, serving the journal (``examples/journal``) on a fresh
SQLite database, with the microweb core this test process selected: the
environment passes ``MICROWEB_NO_EXTENSIONS`` / ``MICROWEB_REQUIRE_EXTENSIONS``
through, and every answer says which core served it. A Python load client then
drives it for a bounded time:

- threads, each on its own keep-alive ``http.client`` connection, half of them
  logged in (the session cookie of one login), the other half visitors;
- each request carries an id (``GET /api/ping?id=<n>``) which the app reads from
  ``request`` into ``g`` and echoes, along with the user it took the client for,
  so an answer served with another thread's context shows; every fifth request
  reads an entry instead (``GET /api/entries/<1|2>``);
- every response is checked (status, content type, body), and none may fail;
- the resident set of each worker process (``/proc/<pid>/statm``) is read after
  a warm-up and again at the end: it must stay flat (see :data:`RSS_TOLERANCE`);
- the workers that served the run are the ones that started it (none crashed or
  was replaced), and the server's log holds no traceback.

Sessions across processes: a cookie set by one process must be accepted by every
other. The client logs in over HTTP, then sends that cookie on fresh connections
until every worker has answered (two pids for gunicorn), each of which must take
the client for the member who logged in; a cookie set by this test process's own
journal app must be accepted too.

Which worker answered is told by the ``X-Worker-Pid`` header. The example app
does not send it: the small module the servers load (:data:`SERVED_MODULE`,
written into a temporary folder) wraps the app's ``wsgi_app`` to add it, with
``X-Microweb-Core``.

The load lasts ``MICROWEB_LOAD_SECONDS`` per server (default 3, a short CI run);
set it higher for a longer run by hand, for instance
``MICROWEB_LOAD_SECONDS=60 pytest tests/test_servers.py``.
"""

from __future__ import annotations

import http.client
import importlib.util
import itertools
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import pytest
from werkzeug.security import generate_password_hash

import microweb

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
if not (EXAMPLES / "journal" / "__init__.py").is_file():
    pytest.skip(
        f"the example app is not at {EXAMPLES / 'journal'} (these tests were copied "
        "without the source tree's examples/ folder)",
        allow_module_level=True,
    )
if not Path("/proc/self/statm").is_file():
    pytest.skip(
        "these tests read worker memory from /proc/<pid>/statm (Linux)",
        allow_module_level=True,
    )

#: Seconds of load per server.
LOAD_SECONDS = float(os.environ.get("MICROWEB_LOAD_SECONDS", "3"))
#: Seconds of load before the first memory sample: allocator arenas, caches and
#: the first requests' lazy set-up settle then.
WARM_UP_SECONDS = min(1.0, LOAD_SECONDS / 3)
#: Client threads, each with its own connection; the odd ones are logged in.
CLIENT_THREADS = 8
#: How much a worker's resident set may grow between the sample after the warm-up
#: and the one at the end: 2 MiB, whatever the length of the run, since the growth
#: that allocator noise gives is bounded and a leak's is not. Measured on the
#: machine these tests were written on, in runs of 3 s to 90 s (up to about 100,000
#: requests) on both cores: 200 to 900 KiB, nearly all of it in the first 15 s,
#: then flat. A 3 s run only catches a gross leak (about 700 bytes per request or
#: more); a run by hand of a minute or more catches about 20 bytes per request.
RSS_TOLERANCE = 2 * 1024 * 1024
#: Seconds a server may take to answer its first request.
START_TIMEOUT = 30.0
SECRET_KEY = "test-servers-secret"
PASSWORD = "analytical-engine"
#: The seeded entries, by id: (author, title).
ENTRIES = {1: ("ada", "Notes on the engine"), 2: ("grace", "A moth in relay 70")}

#: The module the servers load as ``served_journal:app``.
SERVED_MODULE = '''\
"""The journal as tests/test_servers.py serves it: its database and secret key
from the environment, and two response headers for the tests, the process that
answered and the microweb core it runs on."""

import os

import microweb
from journal import create_app

app = create_app(
    {
        "SECRET_KEY": os.environ["SERVED_JOURNAL_SECRET_KEY"],
        "DATABASE": os.environ["SERVED_JOURNAL_DATABASE"],
    }
)
served_by = app.wsgi_app


def wsgi_app(environ, start_response):
    def start(status, headers, exc_info=None):
        headers.append(("X-Worker-Pid", str(os.getpid())))
        headers.append(("X-Microweb-Core", microweb.IMPLEMENTATION))
        return start_response(status, headers, exc_info)

    return served_by(environ, start)


app.wsgi_app = wsgi_app
'''


def gunicorn_command(worker_class: str, *extra: str) -> list[str]:
    command = [sys.executable, "-m", "gunicorn", "--workers", "2"]
    command += ["--worker-class", worker_class, *extra]
    # Two workers must not wait 30 s to finish their keep-alive connections.
    command += ["--graceful-timeout", "5", "--log-level", "info"]
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        # Newer gunicorns open a control socket at a fixed path in $HOME; servers
        # run side by side (the test envs, other checkouts) must not share it.
        command.append("--no-control-socket")
    return command + ["--bind", "127.0.0.1:{port}", "served_journal:app"]


#: name: (the module it needs, its command line, its number of worker processes)
SERVERS: dict[str, tuple[str, Callable[[], list[str]], int]] = {
    "gunicorn-sync": ("gunicorn", lambda: gunicorn_command("sync"), 2),
    "gunicorn-gthread": (
        "gunicorn",
        lambda: gunicorn_command("gthread", "--threads", "4"),
        2,
    ),
    "waitress": (
        "waitress",
        lambda: [
            sys.executable,
            "-m",
            "waitress",
            "--listen=127.0.0.1:{port}",
            "--threads=4",
            "served_journal:app",
        ],
        1,
    ),
}


# -- the server ------------------------------------------------------------------------


def seed_database(path: Path) -> None:
    """The journal's tables, its two members (both with :data:`PASSWORD`) and
    :data:`ENTRIES`."""
    schema = (EXAMPLES / "journal" / "schema.sql").read_text(encoding="utf-8")
    # A cheap hash keeps logging in fast; the app makes scrypt ones.
    hashed = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    with closing(sqlite3.connect(path)) as db:
        db.executescript(schema)
        db.executemany(
            "INSERT INTO user (username, password) VALUES (?, ?)",
            [("ada", hashed), ("grace", hashed)],
        )
        db.executemany(
            "INSERT INTO entry (id, author_id, title, body) VALUES (?, ?, ?, '')",
            [(1, 1, ENTRIES[1][1]), (2, 2, ENTRIES[2][1])],
        )
        db.commit()


def free_port() -> int:
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children(pid: int) -> list[int]:
    """The pids of the processes whose parent is *pid*."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name, in parentheses, may hold spaces: split after it.
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        if parent == pid:
            found.append(int(entry.name))
    return sorted(found)


def resident_bytes(pid: int) -> int:
    """The resident set size of process *pid*, from ``/proc/<pid>/statm``."""
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    workers: int

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: gunicorn's workers, or waitress."""
        if self.name.startswith("gunicorn"):
            return children(self.process.pid)
        return [self.process.pid]

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def wait_ready(self) -> None:
        """Wait until the server answers and all its workers are up."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_text()}")
            try:
                with closing(self.connection()) as conn:
                    conn.request("GET", "/api/ping?id=ready")
                    ready = conn.getresponse().status == 200
            except OSError:
                ready = False
            if ready and len(self.worker_pids()) == self.workers:
                return
            if time.monotonic() > deadline:
                pytest.fail(f"{self.name} did not start:\n{self.log_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start_server(name: str, folder: Path) -> Server:
    """Start server *name* on a fresh database in *folder*, and wait until it is
    ready (another free port on the rare bind race)."""
    module, command, workers = SERVERS[name]
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (it is in the 'test' extra)")
    database = folder / "journal.sqlite"
    seed_database(database)
    (folder / "served_journal.py").write_text(SERVED_MODULE, encoding="utf-8")
    # The served module, the example's folder (for ``journal``), and the folder
    # this process imported microweb from, so that the servers run the same one.
    paths = [str(folder), str(EXAMPLES)]
    paths.append(str(Path(microweb.__file__).resolve().parent.parent))
    if os.environ.get("PYTHONPATH"):
        paths.append(os.environ["PYTHONPATH"])
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(paths),
        SERVED_JOURNAL_DATABASE=str(database),
        SERVED_JOURNAL_SECRET_KEY=SECRET_KEY,
        PYTHONUNBUFFERED="1",
    )
    for attempt in range(3):
        port = free_port()
        log = folder / f"{name}-{attempt}.log"
        with open(log, "wb") as output:
            process = subprocess.Popen(
                [part.format(port=port) for part in command()],
                cwd=folder,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        server = Server(name, process, port, log, workers)
        try:
            server.wait_ready()
        except RuntimeError:
            if "in use" in server.log_text() and attempt < 2:
                continue
            raise
        return server
    raise AssertionError("unreachable")


@pytest.fixture(scope="module", params=list(SERVERS))
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Each server in turn, serving the journal on a fresh database."""
    running = start_server(request.param, tmp_path_factory.mktemp(request.param))
    try:
        yield running
    finally:
        running.stop()
    log = running.log_text()
    assert "Traceback" not in log, log


# -- the client ------------------------------------------------------------------------


def log_in(server: Server, username: str = "ada") -> tuple[str, int]:
    """Log *username* in over HTTP: the session cookie (``name=value``) and the pid
    of the process that set it."""
    with closing(server.connection()) as conn:
        conn.request(
            "POST",
            "/auth/login",
            body=f"username={username}&password={PASSWORD}",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = conn.getresponse()
        response.read()
    assert response.status == 302, response.status
    cookie = SimpleCookie(response.getheader("Set-Cookie"))["session"]
    return f"session={cookie.value}", int(response.getheader("X-Worker-Pid"))


@dataclass
class Tally:
    """What one client thread saw."""

    requests: int = 0
    errors: list[str] = field(default_factory=list)
    pids: Counter[int] = field(default_factory=Counter)


def check(response: http.client.HTTPResponse, body: bytes, expected: Any) -> str:
    """What is wrong with a response (``""`` when nothing is)."""
    if response.status != 200:
        return f"status {response.status}: {body[:200]!r}"
    if response.getheader("Content-Type") != "application/json":
        return f"content type {response.getheader('Content-Type')}"
    if response.getheader("X-Microweb-Core") != microweb.IMPLEMENTATION:
        return f"served by the {response.getheader('X-Microweb-Core')} core"
    try:
        data = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:200]!r}"
    if isinstance(expected, dict) and "title" in expected:
        data = {key: data.get(key) for key in expected}
    if data != expected:
        return f"expected {expected}, got {data}"
    return ""


def request_for(number: int, user: str | None) -> tuple[str, Any]:
    """The path of request *number* and the JSON it must answer."""
    if number % 5 == 0:
        entry_id = 1 + number // 5 % 2
        author, title = ENTRIES[entry_id]
        expected = {"id": entry_id, "title": title, "author": author}
        return f"/api/entries/{entry_id}", expected
    return f"/api/ping?id={number}", {"ok": True, "id": str(number), "user": user}


def client(
    server: Server,
    cookie: str | None,
    numbers: Iterator[int],
    stop: threading.Event,
    tally: Tally,
    fresh_connections: bool = False,
) -> None:
    """Send requests until *stop* is set, on one keep-alive connection (or a new
    connection per request), and check every answer."""
    user = "ada" if cookie else None
    headers = {"Cookie": cookie} if cookie else {}
    conn = server.connection()
    try:
        while not stop.is_set():
            number = next(numbers)
            path, expected = request_for(number, user)
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as exc:
                tally.errors.append(f"GET {path}: {exc!r}")
                conn.close()
                continue
            finally:
                tally.requests += 1
            problem = check(response, body, expected)
            if problem:
                tally.errors.append(f"GET {path}: {problem}")
            tally.pids[int(response.getheader("X-Worker-Pid") or 0)] += 1
            if fresh_connections:
                conn.close()
    finally:
        conn.close()


def run_clients(
    server: Server,
    cookies: list[str | None],
    stop: threading.Event,
    fresh_connections: bool = False,
) -> tuple[list[threading.Thread], list[Tally]]:
    numbers = itertools.count(1)  # next() on it is atomic: ids never repeat
    tallies = [Tally() for _ in cookies]
    threads = [
        threading.Thread(
            target=client,
            args=(server, cookie, numbers, stop, tally, fresh_connections),
            daemon=True,
        )
        for cookie, tally in zip(cookies, tallies, strict=True)
    ]
    for thread in threads:
        thread.start()
    return threads, tallies


def summary(tallies: list[Tally]) -> tuple[int, list[str], Counter[int]]:
    requests = sum(tally.requests for tally in tallies)
    errors = [error for tally in tallies for error in tally.errors]
    pids: Counter[int] = Counter()
    for tally in tallies:
        pids.update(tally.pids)
    return requests, errors, pids


# -- the tests -------------------------------------------------------------------------


def test_under_load_every_answer_is_right_and_memory_flat(server: Server) -> None:
    cookie, _ = log_in(server)
    workers = server.worker_pids()
    stop = threading.Event()
    started = time.monotonic()
    threads, tallies = run_clients(
        server, [cookie if i % 2 else None for i in range(CLIENT_THREADS)], stop
    )
    try:
        time.sleep(WARM_UP_SECONDS)
        before = {pid: resident_bytes(pid) for pid in workers}
        time.sleep(max(0.0, started + LOAD_SECONDS - time.monotonic()))
        after = {pid: resident_bytes(pid) for pid in server.worker_pids()}
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
    elapsed = time.monotonic() - started
    requests, errors, pids = summary(tallies)

    print(
        f"{server.name}: {requests} requests in {elapsed:.1f} s "
        f"({requests / elapsed:.0f}/s), {len(errors)} errors; by worker "
        f"{dict(pids)}; RSS after warm-up / at the end (KiB): "
        + ", ".join(
            f"{before[pid] >> 10} / {after.get(pid, 0) >> 10}" for pid in before
        )
    )
    assert not any(thread.is_alive() for thread in threads), "a client hung"
    assert errors == [], f"{len(errors)} of {requests} requests failed: {errors[:10]}"
    assert requests >= 50 * LOAD_SECONDS, f"only {requests} requests were served"
    # The workers that served the run are the ones that started it.
    assert sorted(after) == sorted(workers)
    assert set(pids) <= set(workers), pids
    growth = {pid: after[pid] - before[pid] for pid in workers}
    assert all(grown <= RSS_TOLERANCE for grown in growth.values()), (
        f"worker memory grew by {growth} bytes over {requests} requests"
    )


def test_sessions_are_accepted_by_every_worker(server: Server, tmp_path: Path) -> None:
    setter_cookie, setter = log_in(server)
    cookies = [setter_cookie, session_cookie_from_this_process(tmp_path)]
    workers = set(server.worker_pids())
    assert setter in workers
    # Fresh connections from several threads at once, so that every worker is
    # handed some, until each has answered with each cookie (or time is up).
    for cookie in cookies:
        stop = threading.Event()
        threads, tallies = run_clients(server, [cookie] * 4, stop, True)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if set(summary(tallies)[2]) >= workers:
                break
            time.sleep(0.05)
        stop.set()
        for thread in threads:
            thread.join(timeout=15)
        requests, errors, pids = summary(tallies)
        # Each answer took the client for ada (the check of ``user``).
        assert errors == [], f"{len(errors)} of {requests} failed: {errors[:10]}"
        assert set(pids) == workers, f"answered by {dict(pids)} of {workers}"
    if server.workers > 1:
        assert workers - {setter}, "no other process took the cookie"


def session_cookie_from_this_process(tmp_path: Path) -> str:
    """A session cookie for ada, set by the journal app of this test process (a
    process the servers share nothing with but the secret key)."""
    if str(EXAMPLES) not in sys.path:
        sys.path.insert(0, str(EXAMPLES))
    from journal import create_app

    database = tmp_path / "journal.sqlite"
    seed_database(database)
    app = create_app({"SECRET_KEY": SECRET_KEY, "DATABASE": str(database)})
    test_client = app.test_client()
    response = test_client.post(
        "/auth/login", data={"username": "ada", "password": PASSWORD}
    )
    assert response.status_code == 302
    cookie = test_client.get_cookie("session")
    assert cookie is not None
    return f"session={cookie.value}"


def test_the_servers_run_this_core(server: Server) -> None:
    with closing(server.connection()) as conn:
        conn.request("GET", "/api/ping?id=core")
        response = conn.getresponse()
        response.read()
    assert response.getheader("X-Microweb-Core") == microweb.IMPLEMENTATION
    if os.environ.get("MICROWEB_NO_EXTENSIONS"):
        assert microweb.IMPLEMENTATION == "pure"
    elif os.environ.get("MICROWEB_REQUIRE_EXTENSIONS") == "1":
        assert microweb.IMPLEMENTATION == "native"
    assert re.fullmatch(r"\d+", response.getheader("X-Worker-Pid") or "")
