"""Writing a small text file atomically: a temporary file in the same folder, then a rename;
and appending records to a JSON-lines journal in one write.

A reader (or a rerun after a kill) sees the old file or the new one, never half of one. Used
for files beside the sources (the project file, XMP sidecars) and the dataset build's
journal and manifests; files in a batch's output folder go through
:class:`models.export.folder.OutputFolder` (no link followed, one hidden work folder). The journals of
resumable runs (crop-set batches, dataset builds) append with :func:`append_json_lines`: a
kill leaves whole lines, or one partial last line that their readers drop.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import stat
import secrets
from collections.abc import Iterable
from pathlib import Path

from models.errors import ExportError

__all__ = ["append_json_lines", "append_to_fd", "write_text_atomically"]


def append_json_lines(path: str | os.PathLike, rows: Iterable[dict], *, what: str, fsync: bool = False) -> None:
    """Append ``rows`` to ``path``, one compact JSON line each, in one ``write`` on a file
    opened for appending (safe from several processes); ``fsync`` also flushes it to disk.

    Raises ExportError naming ``what`` ("the batch journal") when the folder is not writable.
    """
    data = "".join(json.dumps(row, separators=(",", ":")) + "\n" for row in rows).encode()
    if not data:
        return
    path = Path(path)
    try:
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags | getattr(os, "O_NONBLOCK", 0), 0o666)  # a planted link or FIFO is refused
        append_to_fd(fd, data, fsync=fsync)
    except OSError as exc:
        why = "it is a symbolic link (not followed)" if exc.errno == errno.ELOOP else exc.strerror or str(exc)
        raise ExportError(f"cannot write {what} '{path}': {why}") from exc


def append_to_fd(fd: int, data: bytes, *, fsync: bool) -> None:
    """Write ``data`` in one ``write`` to the file open as ``fd`` (for appending) and close it;
    refuses anything but a regular file (a FIFO or device opened non-blocking)."""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        os.write(fd, data)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def write_text_atomically(path: str | os.PathLike, text: str) -> Path:
    """Replace ``path`` with ``text`` (UTF-8, ``\\n`` line ends) atomically.

    Raises
    ------
    ExportError
        The folder is missing or not writable, or the disk is full.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name[:200]}.{secrets.token_hex(6)}.tmp")
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise ExportError(f"cannot write '{path}': {exc.strerror or exc}") from exc
    return path
