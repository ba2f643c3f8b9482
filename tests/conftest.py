"""Shared fixtures: the routing core twins, side by side in one process.

Core-level tests take ``map_class`` (or ``routing_core``) so that each of them runs
once on the compiled twin (``microweb._routing_c``) and once on the pure-Python twin
(``microweb._routing_py``). A native run (``MICROWEB_REQUIRE_EXTENSIONS=1``) fails
instead of skipping when the compiled twin cannot be imported, so that it can never
be silently pure.
"""

from __future__ import annotations

import gc
import importlib
import io
import os
import tracemalloc
import warnings
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

import pytest

CORE_NAMES = ("c", "py")

# Hypothesis's pytest plugin imports libcst when a test fails (to suggest an
# @example patch); libcst's import warns (DeprecationWarning from mypy_extensions),
# which filterwarnings = error turns into an INTERNALERROR that hides the report.
# Import it once here, quietly, so a failure is reported as a failure.
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import hypothesis.extra._patching  # noqa: F401
    except ImportError:
        pass


def require_extensions() -> bool:
    """Tell whether this run must have the compiled cores."""
    return os.environ.get("MICROWEB_REQUIRE_EXTENSIONS") == "1"


def import_core(kind: str, name: str) -> ModuleType:
    """Import ``microweb._<kind>_<name>`` (``kind`` is ``routing``, ``dispatch`` or
    ``signing``), or skip/fail the test as the run demands: a compiled twin that
    cannot be imported skips the test, unless the run requires it."""
    module_name = f"microweb._{kind}_{name}"
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        if name == "c" and not require_extensions():
            pytest.skip(f"{module_name} is not importable: {exc}")
        pytest.fail(f"{module_name} is not importable: {exc}")


def import_routing_core(name: str) -> ModuleType:
    """Import ``microweb._routing_<name>``, or skip/fail the test as the run demands."""
    return import_core("routing", name)


def pinned_map_class(core: ModuleType) -> type:
    """Return a ``microweb.routing.Map`` subclass that always uses *core*."""
    from microweb import routing

    return type("CoreMap", (routing.Map,), {"core": core})


def build_map(core: ModuleType, rules: Any = None, **kwargs: Any) -> Any:
    """Build a ``microweb.routing.Map`` on the routing kernel *core*.

    :param core: ``microweb._routing_c`` or ``microweb._routing_py``.
    :param rules: the rules, as for ``Map(rules)``.
    :param kwargs: the other ``Map`` arguments.
    """
    return pinned_map_class(core)(rules, **kwargs)


@pytest.fixture(scope="session", params=CORE_NAMES)
def routing_core(request: pytest.FixtureRequest) -> ModuleType:
    """Each twin of the routing kernel in turn: ``_routing_c``, then ``_routing_py``."""
    return import_routing_core(request.param)


@pytest.fixture(scope="session")
def map_class(routing_core: ModuleType) -> type:
    """A ``Map`` subclass pinned to the current ``routing_core``."""
    return pinned_map_class(routing_core)


@pytest.fixture(scope="session")
def make_map(routing_core: ModuleType) -> Callable[..., Any]:
    """A factory ``make_map(rules, **map_kwargs)`` building maps on the current core."""

    def make(rules: Any = None, **kwargs: Any) -> Any:
        return build_map(routing_core, rules, **kwargs)

    return make


def importable_cores(kind: str) -> list[ModuleType]:
    """Every twin of ``microweb._<kind>_*`` importable here, compiled one first;
    the compiled one is left out of a pure install (and fails a native run)."""
    cores = []
    for name in CORE_NAMES:
        try:
            cores.append(importlib.import_module(f"microweb._{kind}_{name}"))
        except ImportError as exc:
            if name == "c" and not require_extensions():
                continue
            pytest.fail(f"microweb._{kind}_{name} is not importable: {exc}")
    return cores


@pytest.fixture(scope="session")
def routing_cores() -> list[ModuleType]:
    """Every routing twin importable here: ``[_routing_c, _routing_py]``.

    ``_routing_c`` is left out of a pure install (and fails a native run).
    """
    return importable_cores("routing")


@pytest.fixture(scope="session")
def twin_cores(routing_cores: list[ModuleType]) -> tuple[ModuleType, ModuleType]:
    """``(_routing_c, _routing_py)``, for tests comparing the twins to each other."""
    if len(routing_cores) < 2:
        pytest.skip("microweb._routing_c is not importable")
    return routing_cores[0], routing_cores[1]


# -- application fixtures -------------------------------------------------------------


def wrap_in_validator(app: Any) -> Any:
    """Route every request to *app* through ``wsgiref.validate.validator``.

    The validator checks PEP 3333 on both sides of the call: the environ the test
    client builds, and the status, headers, body iterable and ``close()`` the app
    gives back. Wrapping ``app.wsgi_app`` (not ``app``) is Flask's documented way
    to add WSGI middleware, so it works the same on Flask and on microweb.
    """
    from wsgiref.validate import validator

    app.wsgi_app = validator(app.wsgi_app)
    return app


def microweb_framework(*extra: str) -> Any:
    """The namespace of Flask-named microweb objects, with the *extra* names (see
    ``port_app.microweb_namespace``); skip while microweb lacks them."""
    from port_app import microweb_namespace

    try:
        return microweb_namespace(*extra)
    except (ImportError, AttributeError) as exc:
        pytest.skip(f"microweb's app layer is not importable yet: {exc!r}")


def flask_framework(*extra: str) -> Any:
    """The namespace of Flask's own objects (the reference), with the *extra*
    names (see ``port_app.flask_namespace``)."""
    pytest.importorskip("flask")
    from port_app import flask_namespace

    return flask_namespace(*extra)


#: The framework namespace builders, by test id: Flask (the reference) first.
FRAMEWORKS = {"flask": flask_framework, "microweb": microweb_framework}


def both_frameworks(*extra: str) -> Any:
    """A ``fw`` fixture for a test module to override conftest's with
    (``fw = both_frameworks(...)``): Flask, then microweb, so that each test states
    the behaviour once for both. Each namespace also has the *extra* names
    (``"Blueprint"``, ``"View"``...)."""

    @pytest.fixture(name="fw", params=list(FRAMEWORKS))
    def fw(request: pytest.FixtureRequest) -> Any:
        return FRAMEWORKS[request.param](*extra)

    return fw


def fetch(client: Any, path: str = "/", method: str = "GET", **kwargs: Any) -> Any:
    """Send a request, read the whole body and close the response (PEP 3333)."""
    with client.open(path, method=method, **kwargs) as response:
        response.get_data()
    return response


@pytest.fixture
def fw() -> Any:
    """The framework under test: microweb's Flask-named objects (``fw.Flask`` is
    ``microweb.App``). Test modules that also check Flask override this fixture
    with one parametrized over both frameworks."""
    return microweb_framework()


@pytest.fixture
def app(fw: Any) -> Any:
    """``fw.Flask(__name__)`` in testing mode, with ``wsgi_app`` behind the PEP 3333
    validator."""
    application = fw.Flask(__name__)
    application.testing = True
    return wrap_in_validator(application)


@pytest.fixture
def client(app: Any) -> Any:
    """``app.test_client()``."""
    return app.test_client()


# -- dispatch core twins ----------------------------------------------------------


def pinned_app_class(name: str, base: type | None = None) -> type:
    """A ``microweb.App`` subclass whose routing and dispatch cores are both the
    ``name`` twin (``"c"`` or ``"py"``): ``NativeApp`` or ``PureApp``."""
    import microweb

    routing_module = import_core("routing", name)
    dispatch_module = import_core("dispatch", name)
    class_name = "NativeApp" if name == "c" else "PureApp"
    return type(
        class_name,
        (base or microweb.App,),
        {
            "dispatch_core": dispatch_module,
            "url_map_class": pinned_map_class(routing_module),
        },
    )


@pytest.fixture(scope="session", params=CORE_NAMES)
def dispatch_app_class(request: pytest.FixtureRequest) -> type:
    """Each pinned app class in turn: ``NativeApp`` (compiled routing and dispatch
    cores), then ``PureApp`` (the pure-Python twins)."""
    return pinned_app_class(request.param)


@pytest.fixture(scope="session")
def dispatch_twins() -> tuple[type, type]:
    """``(PureApp, NativeApp)``, for tests comparing the two dispatch cores.

    Skipped when the compiled cores are not importable, unless the run requires
    them (``MICROWEB_REQUIRE_EXTENSIONS=1``), which fails instead.
    """
    return pinned_app_class("py"), pinned_app_class("c")


# -- signing core twins -----------------------------------------------------------


@pytest.fixture(scope="session", params=CORE_NAMES)
def signing_core(request: pytest.FixtureRequest) -> ModuleType:
    """Each twin of the signing kernel in turn: ``_signing_c``, then ``_signing_py``
    (the compiled one skipped when not importable, unless the run requires it)."""
    return import_core("signing", request.param)


@pytest.fixture(scope="session")
def signing_cores() -> list[ModuleType]:
    """Every signing twin importable here: ``[_signing_c, _signing_py]``, the
    compiled one left out of a pure install (and failing a native run)."""
    return importable_cores("signing")


def pinned_serializer_class(core: ModuleType) -> type:
    """A ``microweb.signing.URLSafeTimedSerializer`` subclass always on *core*."""
    import microweb.signing

    return type(
        "PinnedSerializer", (microweb.signing.URLSafeTimedSerializer,), {"core": core}
    )


# -- differential and leak tests ----------------------------------------------------


def diff_phases() -> list[Any]:
    """Every Hypothesis phase but "explain": it imports libcst, whose
    DeprecationWarnings would turn a reported counterexample into an unrelated error
    under filterwarnings = error."""
    from hypothesis import Phase

    return [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]


def diff_settings(max_examples: int) -> Any:
    """The Hypothesis settings of the differential tests, with *max_examples*: no
    deadline, no "explain" phase (see :func:`diff_phases`), and no health check
    failing on slow or large examples."""
    from hypothesis import HealthCheck, settings

    return settings(
        max_examples=max_examples,
        deadline=None,
        phases=diff_phases(),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


#: Where Linux tells the size of this process's resident set, in pages.
STATM = "/proc/self/statm"


def resident_bytes() -> int:
    """The resident set size of this process, in bytes (read from :data:`STATM`)."""
    with open(STATM) as statm:
        resident_pages = int(statm.read().split()[1])
    return resident_pages * os.sysconf("SC_PAGE_SIZE")


def traced_growth(settle: Callable[[], Any], measure: Callable[[], Any]) -> int:
    """By how many bytes the memory Python objects hold grew over *measure*, run
    after *settle* under ``tracemalloc`` (a collection after each). Objects that
    outlive their call show here even where the resident set hides them (freed
    pages reused by the allocator)."""
    tracemalloc.start()
    try:
        settle()
        gc.collect()
        first, _ = tracemalloc.get_traced_memory()
        measure()
        gc.collect()
        second, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return second - first


# -- WSGI requests built by hand ----------------------------------------------------


class RecordingInput(io.RawIOBase):
    """``wsgi.input`` that records what is asked of it: how many bytes each read
    wanted, how far it was read; it can answer in short pieces, stop early or fail."""

    def __init__(self, data: bytes, piece: int = 0, fail: bool = False) -> None:
        self.data = data
        self.position = 0
        #: the most bytes one call gives (0: all that is asked)
        self.piece = piece
        self.fail = fail
        self.requests: list[int] = []

    def readable(self) -> bool:
        return True

    def _take(self, size: int) -> bytes:
        self.requests.append(size)
        if self.fail:
            raise OSError("connection reset")
        if size < 0:
            size = len(self.data) - self.position
        if self.piece:
            size = min(size, self.piece)
        chunk = self.data[self.position : self.position + size]
        self.position += len(chunk)
        return chunk

    def read(self, size: int | None = -1) -> bytes:
        return self._take(-1 if size is None else size)

    def readinto(self, buffer: Any) -> int:
        chunk = self._take(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def trace(self) -> dict[str, Any]:
        return {"requests": self.requests, "position": self.position}


def wsgi_environ(
    body: bytes = b"",
    path: str = "/",
    method: str = "POST",
    query: bytes = b"",
    content_type: str | None = None,
    length: str | None = "exact",
    extra: dict[str, Any] | None = None,
    piece: int = 0,
    fail: bool = False,
) -> dict[str, Any]:
    """A PEP 3333 environ with *body* in a :class:`RecordingInput` (*piece*,
    *fail*); *length* is ``CONTENT_LENGTH`` (``"exact"``: the body's length,
    ``None``: none) and *query* the raw bytes of the query string."""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query.decode("latin-1"),
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": RecordingInput(body, piece, fail),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if content_type is not None:
        environ["CONTENT_TYPE"] = content_type
    if length == "exact":
        environ["CONTENT_LENGTH"] = str(len(body))
    elif length is not None:
        environ["CONTENT_LENGTH"] = length
    environ.update(extra or {})
    return environ


def multipart_body(
    parts: Sequence[tuple[str, bytes] | tuple[str, bytes, str]], boundary: str
) -> bytes:
    """A ``multipart/form-data`` body with *boundary*: ``(name, value)`` fields and
    ``(name, content, filename)`` files."""
    chunks = []
    for part in parts:
        disposition = f'form-data; name="{part[0]}"'
        if len(part) == 3:
            disposition += f'; filename="{part[2]}"'
        chunks.append(
            f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n".encode()
            + part[1]
            + b"\r\n"
        )
    return b"".join(chunks) + f"--{boundary}--\r\n".encode()


# -- Hypothesis profiles ------------------------------------------------------------

#: Examples per fuzz test under the ``fuzz`` profile: minutes per test, not seconds.
FUZZ_PROFILE_EXAMPLES = 20_000


def _register_hypothesis_profiles() -> None:
    """Register the ``fuzz`` profile (``tox -e fuzz``) and load the profile named by
    ``HYPOTHESIS_PROFILE``, when set. Hypothesis' own ``--hypothesis-profile``
    option works too; the variable lets tox choose without changing the command."""
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # only the Hypothesis tests need it
        return
    settings.register_profile(
        "fuzz",
        max_examples=FUZZ_PROFILE_EXAMPLES,
        deadline=None,
        phases=diff_phases(),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    profile = os.environ.get("HYPOTHESIS_PROFILE")
    if profile:
        settings.load_profile(profile)


_register_hypothesis_profiles()


def fuzz_settings(max_examples: int) -> Any:
    """The Hypothesis settings of the fuzz tests (``tests/test_fuzz.py``).

    An ordinary run takes *max_examples* (small: the whole file stays within a CI
    budget). Under another profile than Hypothesis' ``default``
    (``HYPOTHESIS_PROFILE=fuzz``, as ``tox -e fuzz`` sets, or
    ``--hypothesis-profile=fuzz``) the profile's own ``max_examples`` applies.
    """
    from hypothesis import HealthCheck, settings

    if hasattr(settings, "get_current_profile_name"):
        profile = settings.get_current_profile_name()
    else:  # an older Hypothesis: only the variable can say
        profile = os.environ.get("HYPOTHESIS_PROFILE") or "default"
    if profile != "default":
        return settings(
            settings.default,
            deadline=None,
            phases=diff_phases(),
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
    return diff_settings(max_examples)
