"""Files an app or blueprint ships or keeps: ``open_resource`` under the root path,
``open_instance_resource`` under the instance folder, and where that folder is.

Every test runs on Flask (the reference) and on microweb.
"""

from __future__ import annotations

import typing as t
from pathlib import Path

import pytest
from conftest import both_frameworks

fw = both_frameworks("Blueprint")

TEXT = "cr\u00e9er la table"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A root path holding ``data/schema.sql`` (UTF-8) and ``kept.txt``."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "schema.sql").write_bytes(TEXT.encode())
    (tmp_path / "kept.txt").write_text("kept")
    return tmp_path


def owners(fw: t.Any, root: Path) -> list[t.Any]:
    """An app and a blueprint, both with *root* as their root path."""
    return [
        fw.Flask(__name__, root_path=str(root)),
        fw.Blueprint("parts", __name__, root_path=str(root)),
    ]


def test_open_resource_reads_bytes_by_default(fw: t.Any, root: Path) -> None:
    for owner in owners(fw, root):
        with owner.open_resource("data/schema.sql") as resource:
            assert resource.read() == TEXT.encode()


@pytest.mark.parametrize("mode", ["r", "rt"])
def test_open_resource_reads_text_in_the_encoding_given(
    fw: t.Any, root: Path, mode: str
) -> None:
    for owner in owners(fw, root):
        with owner.open_resource("data/schema.sql", mode, encoding="utf-8") as text:
            assert text.read() == TEXT
        with owner.open_resource("data/schema.sql", mode, encoding="latin-1") as text:
            assert text.read() == TEXT.encode().decode("latin-1")


def test_blueprint_open_resource_reads_utf8_by_default(fw: t.Any, root: Path) -> None:
    blueprint = fw.Blueprint("parts", __name__, root_path=str(root / "data"))
    with blueprint.open_resource("schema.sql", "r") as text:
        assert text.read() == TEXT


@pytest.mark.parametrize("mode", ["w", "wb", "a", "x", "r+", "rb+", "br"])
def test_open_resource_refuses_anything_but_reading(
    fw: t.Any, root: Path, mode: str
) -> None:
    for owner in owners(fw, root):
        with pytest.raises(ValueError, match="can only be opened for reading"):
            owner.open_resource("kept.txt", mode)
    assert (root / "kept.txt").read_text() == "kept"
    assert sorted(path.name for path in root.iterdir()) == ["data", "kept.txt"]


def test_open_resource_missing_file(fw: t.Any, root: Path) -> None:
    for owner in owners(fw, root):
        with pytest.raises(FileNotFoundError):
            owner.open_resource("data/missing.sql")


def test_open_instance_resource_writes_and_reads(fw: t.Any, tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    instance.mkdir()
    app = fw.Flask(__name__, instance_path=str(instance))
    with app.open_instance_resource("state.txt", "w") as state:
        state.write(TEXT)
    assert (instance / "state.txt").read_bytes() == TEXT.encode()
    with app.open_instance_resource("state.txt") as state:
        assert state.read() == TEXT.encode()
    with app.open_instance_resource("state.txt", "r") as state:
        assert state.read() == TEXT
    with app.open_instance_resource("state.txt", "a", encoding="latin-1") as state:
        state.write("\u00e9")
    assert (instance / "state.txt").read_bytes() == TEXT.encode() + b"\xe9"


def test_open_instance_resource_needs_the_folder(fw: t.Any, tmp_path: Path) -> None:
    app = fw.Flask(__name__, instance_path=str(tmp_path / "not-made"))
    with pytest.raises(FileNotFoundError):
        app.open_instance_resource("state.txt", "w")
    assert not (tmp_path / "not-made").exists()


def test_auto_find_instance_path(fw: t.Any, tmp_path: Path) -> None:
    app = fw.Flask(__name__)
    assert app.auto_find_instance_path() == app.instance_path
    # Beside this test module, a top-level module of the tests folder.
    assert app.instance_path == str(Path(__file__).parent / "instance")

    class Elsewhere(fw.Flask):  # type: ignore[misc,name-defined]
        def auto_find_instance_path(self) -> str:
            return str(tmp_path / "elsewhere")

    assert Elsewhere(__name__).instance_path == str(tmp_path / "elsewhere")
    given = str(tmp_path / "given")
    assert Elsewhere(__name__, instance_path=given).instance_path == given
