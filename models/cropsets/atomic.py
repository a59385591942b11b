"""Writing a small text file atomically: a temporary file in the same folder, then a rename.

A reader (or a rerun after a kill) sees the old file or the new one, never half of one. Used
for the project file, the manifests and XMP sidecars; images go through
:func:`models.imaging.export_crop`, which has its own no-clobber variant.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from models.errors import ExportError

__all__ = ["write_text_atomically"]


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
