"""Atomic file writes: a crash or an error leaves the old file or the new one, never half.

Used by every writer in the package (JSON documents, SVG pictures, Excel workbooks).
What is at the path is respected: a symbolic link stays a link and its target gets the
new content; a read-only file is refused, not replaced; so is anything that is not a
regular file (a folder, a FIFO, a device). Standard library only.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_path", "write_text_atomic"]

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Give a temporary path beside ``path`` to write to; on success it replaces ``path``.

    The temporary file keeps ``path``'s suffix (some writers choose their format by it),
    is flushed to disk, takes the mode of the file it replaces (or the usual mode for a
    new file), and is renamed over ``path`` in one step. On any error it is removed and
    ``path`` is left as it was.

    If ``path`` is a symbolic link, the file it points to is written (the link stays).
    A path that is a folder, a FIFO, a device or a socket raises ``OSError``
    (``IsADirectoryError`` for a folder), and a read-only file ``PermissionError``,
    before anything is written.
    """
    target = _writable_target(Path(os.fspath(path)))
    folder = target.parent
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=folder)
    except OSError as error:
        # Name the folder, not the temporary file nobody asked for.
        raise type(error)(
            error.errno, f"cannot write in this folder: {error.strerror}", str(folder)
        ) from None
    temporary = Path(name)
    try:
        os.close(handle)
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
    """Write ``text`` to ``path`` as UTF-8, atomically; return the path.

    Line ends are written as they are in ``text`` (the package writes Unix ones).
    """
    # Encode first: text that cannot be written must fail before any file exists.
    data = text.encode("utf-8")
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
    return Path(os.fspath(path))


def _writable_target(path: Path) -> Path:
    """The regular file that writing ``path`` should replace (a link's target), checked.

    Raises before anything is written when the path cannot or must not be replaced.
    """
    # realpath follows every link (a chain too, or a link to a file not yet made).
    target = Path(os.path.realpath(path))
    try:
        info = os.stat(target)
    except FileNotFoundError:
        if not target.parent.is_dir():
            raise FileNotFoundError(errno.ENOENT, "no such folder to save in", str(target.parent)) from None
        return target
    for test, kind in _KINDS:
        if test(info.st_mode):
            error = IsADirectoryError if kind == "a folder" else OSError
            code = errno.EISDIR if kind == "a folder" else errno.EINVAL
            raise error(code, f"this is {kind}, not a file; give the path of a file to save to", str(path))
    # The mode bits, not os.access: as root, access() allows writing to any file.
    if not info.st_mode & 0o222 or not os.access(target, os.W_OK):
        raise PermissionError(
            errno.EACCES, "the file is read-only; make it writable or save under another name", str(path)
        )
    return target


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
