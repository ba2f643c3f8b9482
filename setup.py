"""Build script for microweb's optional compiled cores.

All metadata lives in ``pyproject.toml``; this file only declares the Cython
extensions and decides what happens when they cannot be built:

* ``MICROWEB_NO_EXTENSIONS`` set (non-empty): nothing is compiled, the install is
  pure Python.
* Cython missing or the compile failing: one loud warning, then a pure-Python
  install (the front modules fall back to the ``_py`` twins at import time).
* ``MICROWEB_REQUIRE_EXTENSIONS=1`` or ``CIBUILDWHEEL=1``: such a failure stops
  the build instead, so a wheel or a CI run can never be silently pure.
* ``MICROWEB_DEBUG_BUILD=1``: a build for testing, never for shipping (``tox -e
  debug``): no optimisation, debug symbols, C assertions on (CPython's own, in the
  inline functions of its headers), and Cython's runtime checks on (bounds,
  negative indices, uninitialised memoryviews, ``None``), whatever the sources'
  ``# cython:`` headers say. GCC or Clang only.

The C files Cython generates go under the build directory, never next to the
``.pyx`` sources, and are never shipped: every build re-cythonizes.
"""

from __future__ import annotations

import os
import sys
import textwrap

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

NO_EXTENSIONS = bool(os.environ.get("MICROWEB_NO_EXTENSIONS"))
REQUIRE_EXTENSIONS = (
    os.environ.get("MICROWEB_REQUIRE_EXTENSIONS") == "1"
    or os.environ.get("CIBUILDWHEEL") == "1"
)
DEBUG_BUILD = os.environ.get("MICROWEB_DEBUG_BUILD") == "1"

#: Compiler flags of a debug build. Given after Python's own (which hold -O3 and
#: -DNDEBUG), so these win.
DEBUG_COMPILE_ARGS = ["-O0", "-g", "-UNDEBUG"]
#: Cython's runtime checks, on in a debug build.
DEBUG_DIRECTIVES = {
    "boundscheck": True,
    "wraparound": True,
    "initializedcheck": True,
    "nonecheck": True,
}

# One entry per compiled core.
EXTENSIONS = [
    Extension("microweb._routing_c", ["microweb/_routing_c.pyx"]),
    Extension("microweb._dispatch_c", ["microweb/_dispatch_c.pyx"]),
    # The signing core deflates with zlib directly (the library CPython's zlib
    # module wraps), to keep one stream instead of setting one up per value.
    Extension("microweb._signing_c", ["microweb/_signing_c.pyx"], libraries=["z"]),
]
if DEBUG_BUILD:
    for _extension in EXTENSIONS:
        _extension.extra_compile_args += DEBUG_COMPILE_ARGS

CYTHON_DIRECTIVES = {
    "language_level": "3",
    "boundscheck": False,
    "wraparound": False,
    "binding": False,
    "embedsignature": True,
    # No __test__ dict in the module: nothing uses it, and stubtest would flag it.
    "autotestdict": False,
}


def _without_header_directives(source: str, names: set[str]) -> str:
    """*source* with the directives *names* taken out of its ``# cython:`` header
    comments, which would win over the ``compiler_directives`` given to cythonize.
    The line count stays, so line numbers still point into the real source."""
    lines = source.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if not line.startswith("#"):
            break  # the header comments come before anything else
        marker, found, settings = line.partition("cython:")
        if not found:
            continue
        kept = [
            item.strip()
            for item in settings.split(",")
            if item.split("=", 1)[0].strip() not in names
        ]
        lines[index] = f"{marker}cython: {', '.join(kept)}\n" if kept else "#\n"
    return "".join(lines)


def _debug_sources(extensions: list[Extension], directory: str) -> None:
    """Point each extension at a copy of its ``.pyx`` source, under *directory*,
    whose header leaves :data:`DEBUG_DIRECTIVES` to the build."""
    for ext in extensions:
        sources = []
        for source in ext.sources:
            if not source.endswith(".pyx"):
                sources.append(source)
                continue
            copy = os.path.join(directory, source)
            os.makedirs(os.path.dirname(copy), exist_ok=True)
            with open(source, encoding="utf-8") as original:
                text = _without_header_directives(
                    original.read(), set(DEBUG_DIRECTIVES)
                )
            with open(copy, "w", encoding="utf-8") as rewritten:
                rewritten.write(text)
            sources.append(copy)
        ext.sources = sources


class BuildFailed(Exception):
    """A compiled core could not be built."""


def _build_errors() -> tuple[type[BaseException], ...]:
    # distutils moved into setuptools; import the error classes from wherever
    # this setuptools keeps them.
    try:
        from setuptools.errors import (
            CCompilerError,
            CompileError,
            ExecError,
            LinkError,
            PlatformError,
        )

        errors: tuple[type[BaseException], ...] = (
            CCompilerError,
            CompileError,
            ExecError,
            LinkError,
            PlatformError,
        )
    except ImportError:  # setuptools older than 59
        from distutils.errors import (
            CCompilerError,
            DistutilsExecError,
            DistutilsPlatformError,
        )

        errors = (CCompilerError, DistutilsExecError, DistutilsPlatformError)
    return (*errors, OSError, ValueError, ImportError)


def _warn_pure(reason: str) -> None:
    line = "*" * 76
    message = textwrap.dedent(
        f"""
        {line}
        WARNING: microweb's compiled cores could not be built.

        Reason: {reason}

        microweb is being installed as PURE PYTHON. It is complete and
        correct, but its routing, dispatch and signing run
        several times slower than the compiled build.

        To get the compiled build, install a C compiler and the Python
        headers, then reinstall. To make this failure an error instead of a
        fallback, set MICROWEB_REQUIRE_EXTENSIONS=1. To skip the compile on
        purpose (and silence this message), set MICROWEB_NO_EXTENSIONS=1.
        {line}
        """
    )
    sys.stderr.write(message)
    sys.stderr.flush()


class OptionalBuildExt(build_ext):
    """``build_ext`` that cythonizes at build time and may fall back to pure."""

    _warned = False

    def _fail(self, reason: str) -> None:
        if REQUIRE_EXTENSIONS:
            raise BuildFailed(
                f"{reason}\n(MICROWEB_REQUIRE_EXTENSIONS=1 or CIBUILDWHEEL=1 is set, "
                "so a pure-Python fallback is not allowed)"
            )
        if not OptionalBuildExt._warned:
            OptionalBuildExt._warned = True
            _warn_pure(reason)

    def run(self) -> None:
        if not self.extensions:
            return
        try:
            from Cython.Build import cythonize
        except ImportError:
            self._fail("Cython (3.0 or newer) is not installed")
            self.extensions = []
            return
        directives = CYTHON_DIRECTIVES
        if DEBUG_BUILD:
            directives = {**CYTHON_DIRECTIVES, **DEBUG_DIRECTIVES}
            _debug_sources(self.extensions, os.path.join(self.build_temp, "debug"))
        try:
            cythonized = cythonize(
                self.extensions,
                compiler_directives=directives,
                build_dir=os.path.join(self.build_temp, "cython"),
                # The .pxi files a core includes, also for the debug build's
                # copies of the sources.
                include_path=["microweb"],
                quiet=True,
            )
        except Exception as exc:  # Cython reports its errors as several types
            self._fail(f"cythonize failed: {type(exc).__name__}: {exc}")
            self.extensions = []
            return
        # Keep the Extension objects that finalize_options prepared; take only
        # the generated C sources from Cython's copies.
        c_sources = {ext.name: ext.sources for ext in cythonized}
        for ext in self.extensions:
            ext.sources = c_sources[ext.name]
        try:
            super().run()
        except _build_errors() as exc:
            self._fail(f"{type(exc).__name__}: {exc}")

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except _build_errors() as exc:
            self._fail(f"building {ext.name} failed: {type(exc).__name__}: {exc}")


setup(
    ext_modules=[] if NO_EXTENSIONS else EXTENSIONS,
    cmdclass={"build_ext": OptionalBuildExt},
)
