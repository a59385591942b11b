"""Names and paths the output folder accepts: :func:`safe_relative` (an output name that
cannot leave its folder) and :func:`require_regular_file` (an input that is safe to open)."""

from __future__ import annotations

import os
import re
import stat
from pathlib import PurePosixPath

from models.errors import InvalidInputError

__all__ = ["MAX_DEPTH", "MAX_NAME_BYTES", "require_regular_file", "safe_relative"]

MAX_NAME_BYTES = 240  # under NAME_MAX (255) on every common file system
MAX_DEPTH = 16  # folders in one output name


def safe_relative(name: str, *, what: str = "output name") -> PurePosixPath:
    """``name`` as a relative path that cannot leave its folder.

    Raises InvalidInputError for an empty or absolute name, ``..`` or ``.`` parts, hidden
    parts (``.x``: the folder's own files start with a dot), backslashes, NUL or control
    characters, parts longer than the file system allows, or more than 16 levels.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidInputError(f"{what} is empty")
    if "\\" in name or any(ord(c) < 32 for c in name) or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        raise InvalidInputError(f"{what} {name!r} must be a relative name using '/' for folders")
    parts = name.split("/")
    if any(p in ("", ".", "..") or p.startswith(".") or p != p.strip() for p in parts):
        raise InvalidInputError(f"{what} {name!r} must not be absolute, start a part with '.', use '..' or '//'")
    if any(len(p.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES for p in parts):
        raise InvalidInputError(f"{what} {name[:60]!r}...: a part is longer than {MAX_NAME_BYTES} bytes")
    if len(parts) > MAX_DEPTH:
        raise InvalidInputError(f"{what} {name[:60]!r}: more than {MAX_DEPTH} folders deep")
    return PurePosixPath(*parts)


def require_regular_file(path: str | os.PathLike, what: str = "file") -> os.stat_result:
    """``stat`` of ``path`` when it is a regular file (links followed); a FIFO, device, socket
    or folder is refused before anything opens it (opening a FIFO would block forever).

    Raises FileNotFoundError when missing (callers word it), InvalidInputError otherwise.
    """
    st = os.stat(path)
    if stat.S_ISREG(st.st_mode):
        return st
    kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode)
            else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device" if stat.S_ISCHR(st.st_mode)
            or stat.S_ISBLK(st.st_mode) else "not a regular file")  # fmt: skip
    raise InvalidInputError(f"{what} '{path}' is {kind}, not a regular file")


def _rel(name: str, hidden: bool) -> PurePosixPath:
    """A user's name through :func:`safe_relative`; the folder's own (``hidden``) names only
    need to stay inside it."""
    if not hidden:
        return safe_relative(name)
    parts = str(name).split("/")
    if any(p in ("", ".", "..") for p in parts) or "\\" in str(name):
        raise InvalidInputError(f"internal name {name!r} leaves the output folder")
    return PurePosixPath(*parts)
