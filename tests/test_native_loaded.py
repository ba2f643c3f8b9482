"""The run really uses the core it claims to use.

CI's native run sets ``MICROWEB_REQUIRE_EXTENSIONS=1`` and its pure run sets
``MICROWEB_NO_EXTENSIONS=1``; these tests fail the run when the loaded core does not
match, so that a broken build can never pass as a native one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

import microweb
import microweb.routing

REQUIRE = os.environ.get("MICROWEB_REQUIRE_EXTENSIONS") == "1"
NO_EXTENSIONS = bool(os.environ.get("MICROWEB_NO_EXTENSIONS"))


@pytest.mark.skipif(not REQUIRE or NO_EXTENSIONS, reason="only for the native run")
def test_native_core_loaded() -> None:
    from microweb import _routing_c

    assert microweb.IMPLEMENTATION == "native"
    assert microweb.routing.core is _routing_c
    assert microweb.routing.Map.core is _routing_c


@pytest.mark.skipif(not NO_EXTENSIONS, reason="only for the pure run")
def test_pure_core_loaded() -> None:
    from microweb import _routing_py

    assert microweb.IMPLEMENTATION == "pure"
    assert microweb.routing.core is _routing_py
    assert microweb.routing.Map.core is _routing_py


def test_implementation_matches_core() -> None:
    assert microweb.IMPLEMENTATION in {"native", "pure"}
    expected = (
        "microweb._routing_c"
        if microweb.IMPLEMENTATION == "native"
        else ("microweb._routing_py")
    )
    assert microweb.routing.core.__name__ == expected


def test_version_command() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "microweb", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env=os.environ.copy(),
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    output = completed.stdout.strip()
    assert re.fullmatch(r"microweb \S+ \((native|pure) core\)", output), output
    assert microweb.__version__ in output
    assert f"({microweb.IMPLEMENTATION} core)" in output
