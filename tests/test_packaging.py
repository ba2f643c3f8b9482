"""The packagers' guarantee: what ``pip install microweb`` really gets.

The slow tests build an sdist from the source tree, build a wheel from that sdist
(so the sdist alone must be enough to compile), and install each into a fresh venv,
with and without the compile. They need the source tree, a C compiler and access
to the package index; they are skipped only when the source tree is absent.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import microweb

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_MARKERS = ("pyproject.toml", "setup.py", "microweb/_routing_c.pyx")
# Environment variables that steer the build or the core selection; the
# subprocesses below must not inherit the ones this test run was started with.
MICROWEB_VARIABLES = (
    "MICROWEB_NO_EXTENSIONS",
    "MICROWEB_REQUIRE_EXTENSIONS",
    "CIBUILDWHEEL",
)
EXTENSION_SUFFIXES = (".so", ".pyd")
IGNORED_WHEN_COPYING = shutil.ignore_patterns(
    ".git",
    ".tox",
    ".venv",
    ".ci-venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".hypothesis",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "_build",
    "results",
    "*.so",
    "*.pyd",
    "*.c",
)


def test_imports_the_installed_package() -> None:
    """Under tox the suite must test the built package, not ./microweb."""
    if os.environ.get("MICROWEB_TESTING_INSTALLED") != "1":
        pytest.skip("only checked when MICROWEB_TESTING_INSTALLED=1 (tox sets it)")
    package_dir = Path(microweb.__file__).resolve().parent
    assert package_dir != REPO_ROOT / "microweb", (
        f"the tests imported the source tree ({package_dir}), not the installed package"
    )


def test_version_matches_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "microweb", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == (
        f"microweb {microweb.__version__} ({microweb.IMPLEMENTATION} core)"
    )


# --------------------------------------------------------------------- slow part


def _clean_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in MICROWEB_VARIABLES}
    env.pop("PYTHONPATH", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(overrides)
    return env


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(
            f"command failed ({result.returncode}): {' '.join(args)}\n"
            f"{result.stdout[-6000:]}",
            pytrace=False,
        )
    return result.stdout


def _venv_python(venv_dir: Path) -> Path:
    scripts = sysconfig.get_path("scripts", vars={"base": str(venv_dir)})
    name = "python.exe" if os.name == "nt" else "python"
    return Path(scripts) / name


def _make_venv(venv_dir: Path) -> Path:
    venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    return _venv_python(venv_dir)


def _installed_package_dir(python: Path, cwd: Path, env: dict[str, str]) -> Path:
    out = _run(
        [
            str(python),
            "-c",
            "import microweb, os; print(os.path.dirname(microweb.__file__))",
        ],
        cwd,
        env,
    )
    return Path(out.strip().splitlines()[-1])


@dataclass(frozen=True)
class Dists:
    sdist: Path
    wheel: Path


@pytest.fixture(scope="session")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dists]:
    """Build the sdist from a copy of the source tree, then the wheel from it."""
    if not all((REPO_ROOT / marker).is_file() for marker in SOURCE_MARKERS):
        pytest.skip(
            f"the microweb source tree is not at {REPO_ROOT} (the tests run from an "
            "installed location): nothing to build the sdist from"
        )
    try:
        import build  # noqa: F401
    except ImportError:
        pytest.fail("the 'build' package is needed: pip install microweb[test]")
    work = tmp_path_factory.mktemp("dists")
    source = work / "source"
    # A copy, so that the build writes no egg-info or build/ into the checkout
    # and leftovers there (a stale .c or .so) cannot leak into the sdist.
    shutil.copytree(REPO_ROOT, source, ignore=IGNORED_WHEN_COPYING)
    out_dir = work / "dist"
    # With neither --sdist nor --wheel, `build` makes the sdist, unpacks it and
    # builds the wheel from the unpacked sdist.
    _run(
        [sys.executable, "-m", "build", "--outdir", str(out_dir), str(source)],
        work,
        _clean_env(MICROWEB_REQUIRE_EXTENSIONS="1"),
    )
    (sdist,) = out_dir.glob("microweb-*.tar.gz")
    (wheel,) = out_dir.glob("microweb-*.whl")
    yield Dists(sdist=sdist, wheel=wheel)


@pytest.mark.slow
def test_sdist_carries_sources_not_generated_files(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as archive:
        names = archive.getnames()
    top = names[0].split("/")[0]
    members = {name.split("/", 1)[1] for name in names if "/" in name}
    assert "microweb/_routing_c.pyx" in members
    assert "microweb/_routing_c.pyi" in members
    assert "microweb/py.typed" in members
    assert "microweb/_routing_py.py" in members
    assert "pyproject.toml" in members and "setup.py" in members
    generated = [name for name in members if name.endswith((".c", *EXTENSION_SUFFIXES))]
    assert generated == [], f"{top} ships generated files: {generated}"


@pytest.mark.slow
def test_wheel_carries_compiled_core_and_stubs(dists: Dists) -> None:
    with zipfile.ZipFile(dists.wheel) as archive:
        names = archive.namelist()
    assert any(
        name.startswith("microweb/_routing_c.") and name.endswith(EXTENSION_SUFFIXES)
        for name in names
    ), names
    assert "microweb/_routing_c.pyi" in names
    assert "microweb/py.typed" in names
    assert not [name for name in names if name.endswith(".c")]


@pytest.mark.slow
def test_wheel_from_sdist_installs_native(
    dists: Dists, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("native-venv")
    python = _make_venv(work / "venv")
    env = _clean_env()
    _run([str(python), "-m", "pip", "install", str(dists.wheel)], work, env)
    _run(
        [
            str(python),
            "-c",
            "import microweb; "
            "assert microweb.IMPLEMENTATION == 'native', microweb.IMPLEMENTATION",
        ],
        work,
        env,
    )
    version = _run([str(python), "-m", "microweb", "--version"], work, env)
    assert version.strip() == f"microweb {microweb.__version__} (native core)"


@pytest.mark.slow
def test_sdist_without_extensions_installs_pure(
    dists: Dists, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("pure-venv")
    python = _make_venv(work / "venv")
    # --no-cache-dir: pip would otherwise cache the wheel it builds from the sdist
    # and could hand this pure build to a later install of the same file.
    _run(
        [str(python), "-m", "pip", "install", "--no-cache-dir", str(dists.sdist)],
        work,
        _clean_env(MICROWEB_NO_EXTENSIONS="1"),
    )
    env = _clean_env()  # no variable at run time: the missing module decides
    _run(
        [
            str(python),
            "-c",
            "import microweb; "
            "assert microweb.IMPLEMENTATION == 'pure', microweb.IMPLEMENTATION",
        ],
        work,
        env,
    )
    package_dir = _installed_package_dir(python, work, env)
    compiled = [
        path.name
        for path in package_dir.iterdir()
        if path.name.startswith("_routing_c.") and path.suffix in EXTENSION_SUFFIXES
    ]
    assert compiled == []
    assert (package_dir / "_routing_py.py").is_file()
    version = _run([str(python), "-m", "microweb", "--version"], work, env)
    assert version.strip() == f"microweb {microweb.__version__} (pure core)"
