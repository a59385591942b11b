"""One writer per output folder: an advisory lock (``filelock``) held for a whole run.

The lock file is ``.cropstudio-work/.lock`` in the output folder; the holder writes its pid
beside it (``.lock.pid``) so that a second run can say who is writing. A second run fails at
once with "another batch is writing to OUT (pid N)", or waits up to ``timeout`` seconds.
The lock is released when the holder exits, however it exits (kill -9 included): it is an
``flock`` on an open file, not the file's existence.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from filelock import FileLock, Timeout

from models.errors import ExportError
from models.export.folder import WORK_DIR, OutputFolder

__all__ = ["LOCK_NAME", "FolderBusyError", "writer_lock"]

LOCK_NAME = ".lock"


class FolderBusyError(ExportError):
    """Another run holds the output folder's writer lock."""


@contextlib.contextmanager
def writer_lock(folder: OutputFolder, *, timeout: float = 0.0, what: str = "batch") -> Iterator[None]:
    """Hold ``folder``'s writer lock for the block (``timeout`` seconds of waiting at most; 0: fail at once).

    Raises
    ------
    FolderBusyError
        Another process holds it (the message names its pid when known).
    """
    folder.check_writable()  # also makes the work folder, through the no-follow path
    work = folder.root / WORK_DIR
    if folder.exists(f"{WORK_DIR}/{LOCK_NAME}") and not folder.is_file(f"{WORK_DIR}/{LOCK_NAME}"):
        raise ExportError(f"'{work / LOCK_NAME}' is not a regular file (a link?); remove it to use this folder")
    lock = FileLock(str(work / LOCK_NAME), timeout=timeout, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        pid = (folder.read_text(f"{WORK_DIR}/{LOCK_NAME}.pid") or "").strip()
        who = f" (pid {pid})" if pid.isdigit() else ""
        waited = f" after waiting {timeout:g} s" if timeout > 0 else ""
        raise FolderBusyError(f"another {what} is writing to {folder.root}{who}{waited}; wait for it to finish "
                              "(or pass --wait SECONDS)") from None  # fmt: skip
    except OSError as exc:
        raise ExportError(f"cannot lock the output folder '{folder.root}': {exc.strerror or exc}") from None
    try:
        folder.write_text(f"{WORK_DIR}/{LOCK_NAME}.pid", f"{os.getpid()}\n", hidden=True)
        yield
    finally:
        with contextlib.suppress(ExportError):
            folder.remove(f"{WORK_DIR}/{LOCK_NAME}.pid", hidden=True)
        lock.release()
