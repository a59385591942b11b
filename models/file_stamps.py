"""Content stamps of input files: the one key of every on-disk cache built from a data set.

A stamp is the file's name, size and a SHA-256 of its bytes, never its modification time: a
data set copied or provisioned anew (same bytes, new times) keeps its caches, and a changed
image always invalidates them. Hashing is cheap next to what the caches hold (decoding and a
backbone pass per image).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["content_stamp", "files_digest"]


def content_stamp(path: str | os.PathLike) -> str:
    """``name:size:sha256-prefix`` of one file."""
    with open(path, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()
    return f"{Path(path).name}:{os.stat(path).st_size}:{digest[:24]}"


def files_digest(files: Iterable[str | os.PathLike], *, salt: str = "") -> str:
    """One 16-hex-digit digest of ``salt`` and the stamps of ``files``, in order."""
    h = hashlib.sha256(f"{salt}|".encode())
    for f in files:
        h.update(content_stamp(f).encode() + b"\0")
    return h.hexdigest()[:16]
