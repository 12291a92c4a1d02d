"""Atomic file writes: a crash or an error leaves the old file or the new one, never half.

Used by every writer in the package (JSON documents, SVG pictures, Excel workbooks).
Standard library only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "write_text_atomic"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Give a temporary path beside ``path`` to write to; on success it replaces ``path``.

    The temporary file keeps ``path``'s suffix (some writers choose their format by it),
    is flushed to disk, takes the mode of the file it replaces (or the usual mode for a
    new file), and is renamed over ``path`` in one step. On any error it is removed and
    ``path`` is left as it was.
    """
    target = Path(os.fspath(path))
    folder = target.parent if str(target.parent) else Path(".")
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=folder)
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        _fsync(temporary)
        os.chmod(temporary, _file_mode(target))
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    _fsync_folder(folder)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``path`` as UTF-8 with Unix line ends, atomically; return the path."""
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8", newline="\n") as stream:
        stream.write(text)
    return Path(os.fspath(path))


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _file_mode(target: Path) -> int:
    # mkstemp makes owner-only files; keep the mode of the file replaced, or the usual one.
    try:
        return target.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask


def _fsync_folder(folder: Path) -> None:
    # The rename itself is durable only once the folder is synced (POSIX only).
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        _fsync(folder)
