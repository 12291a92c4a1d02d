"""Atomic writes: the old file or the new one, never half of one, and nothing left behind."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from vsm_widget import ValueStreamMap
from vsm_widget.data import files
from vsm_widget.data.files import atomic_path, write_text_atomic


def test_write_replaces_the_file_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "map.json"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    write_text_atomic(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.json"]


def test_a_new_file_gets_the_usual_mode(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        write_text_atomic(tmp_path / "new.svg", "<svg/>")
    finally:
        os.umask(mask)
    assert (tmp_path / "new.svg").stat().st_mode & 0o777 == 0o644


def test_an_error_while_writing_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "summary.xlsx"
    target.write_bytes(b"old workbook")
    seen: list[Path] = []

    def write_half_then_fail() -> None:
        with atomic_path(target) as temporary:
            seen.append(temporary)
            temporary.write_bytes(b"half a wor")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_half_then_fail()
    assert seen[0].parent == tmp_path
    assert seen[0].suffix == ".xlsx"  # writers that pick a format by suffix still work
    assert target.read_bytes() == b"old workbook"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.xlsx"]


def test_a_failed_rename_leaves_the_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "map.json"
    target.write_text("old", encoding="utf-8")

    def broken_replace(source: object, destination: object) -> None:
        raise OSError("rename refused")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="rename refused"):
        write_text_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.json"]


# --------------------------------------------------------------------------- what is at the path


def small_map() -> ValueStreamMap:
    m = ValueStreamMap("Files", demand=100, available_time="8 h")
    m.add_process("Cut", cycle_time="30 s")
    return m


# Every writer of the package goes through atomic_path: JSON, SVG and Excel.
WRITERS: dict[str, Callable[[ValueStreamMap, Path], object]] = {
    "map.json": lambda m, path: m.save(path),
    "map.svg": lambda m, path: m.to_svg(path),
    "map.xlsx": lambda m, path: m.to_excel(path),
}


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize("name", WRITERS)
def test_a_symlink_stays_a_link_and_its_target_gets_the_content(tmp_path: Path, name: str) -> None:
    elsewhere = tmp_path / "data"
    elsewhere.mkdir()
    real = elsewhere / name
    real.write_bytes(b"old")
    real.chmod(0o640)
    link = tmp_path / f"link-{name}"
    link.symlink_to(real)
    WRITERS[name](small_map(), link)
    assert link.is_symlink()
    assert link.resolve() == real
    assert real.read_bytes() != b"old"
    assert real.read_bytes()[:2] in (b"{\n", b"<?", b"PK")  # JSON, SVG, a zip (xlsx)
    assert real.stat().st_mode & 0o777 == 0o640
    assert names(tmp_path) == ["data", f"link-{name}"]
    assert names(elsewhere) == [name]


def test_a_chain_of_links_and_a_link_to_a_file_not_yet_made(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    (tmp_path / "middle.json").symlink_to(real)  # points at nothing yet
    (tmp_path / "first.json").symlink_to(tmp_path / "middle.json")
    write_text_atomic(tmp_path / "first.json", "one")
    assert real.read_text(encoding="utf-8") == "one"
    assert (tmp_path / "first.json").is_symlink()
    assert (tmp_path / "middle.json").is_symlink()
    write_text_atomic(tmp_path / "first.json", "two")
    assert real.read_text(encoding="utf-8") == "two"
    assert names(tmp_path) == ["first.json", "middle.json", "real.json"]


@pytest.mark.parametrize("name", WRITERS)
def test_a_read_only_file_is_refused_and_kept(tmp_path: Path, name: str) -> None:
    target = tmp_path / name
    target.write_bytes(b"keep me")
    target.chmod(0o444)
    with pytest.raises(PermissionError, match="read-only") as caught:
        WRITERS[name](small_map(), target)
    assert caught.value.filename == str(target)
    assert str(target) in str(caught.value)
    assert target.read_bytes() == b"keep me"
    assert target.stat().st_mode & 0o777 == 0o444
    assert names(tmp_path) == [name]


def test_a_link_to_a_read_only_file_is_refused(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_text("keep", encoding="utf-8")
    real.chmod(0o444)
    (tmp_path / "link.json").symlink_to(real)
    with pytest.raises(PermissionError, match="read-only"):
        small_map().save(tmp_path / "link.json")
    assert real.read_text(encoding="utf-8") == "keep"
    assert (tmp_path / "link.json").is_symlink()


def test_a_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "maps.json"
    folder.mkdir()
    (folder / "inside.txt").write_text("x", encoding="utf-8")
    with pytest.raises(IsADirectoryError, match="a folder, not a file"):
        small_map().save(folder)
    assert names(folder) == ["inside.txt"]
    assert names(tmp_path) == ["maps.json"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_fifo_is_refused_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.svg"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="FIFO") as caught:
        small_map().to_svg(fifo)
    assert caught.value.filename == str(fifo)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert names(tmp_path) == ["pipe.svg"]


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no Unix sockets here")
def test_a_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(OSError, match="socket"):
            small_map().save(path)
        assert stat.S_ISSOCK(path.stat().st_mode)
    finally:
        server.close()


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError) as caught:
        write_text_atomic(tmp_path / "nowhere" / "map.json", "x")
    assert caught.value.filename == str(tmp_path / "nowhere")
    assert names(tmp_path) == []


def test_text_that_cannot_be_written_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "map.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_text_atomic(target, "broken \ud800 text")
    assert target.read_text(encoding="utf-8") == "old"
    assert names(tmp_path) == ["map.json"]


@pytest.mark.parametrize("name", WRITERS)
def test_a_writer_that_fails_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / name
    target.write_bytes(b"old")

    def broken_fsync(path: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files, "_fsync", broken_fsync)
    with pytest.raises(OSError, match="No space left"):
        WRITERS[name](small_map(), target)
    assert target.read_bytes() == b"old"
    assert names(tmp_path) == [name]
