"""Which images a batch crops: files as given, folders' images (not their subfolders)."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from models.errors import InvalidInputError
from models.imaging import SUPPORTED_SUFFIXES

__all__ = ["collect_sources"]

log = logging.getLogger(__name__)


def collect_sources(paths: Iterable[str | os.PathLike], *, exclude: Path | None = None) -> tuple[Path, ...]:
    """Absolute paths of the images to crop, in a stable order, each once.

    A file is taken as given (a bad one is reported by the batch, per image); a folder gives
    the files directly inside it with an image suffix (``.jpg``, ``.png``, ...), sorted by
    name, hidden files skipped. Files under ``exclude`` (the output folder) are left out, so
    crops are never cropped again.

    Raises
    ------
    InvalidInputError
        A path does not exist, or nothing is left to crop.
    """
    found: dict[Path, None] = {}
    inside = 0
    exclude = exclude.resolve() if exclude is not None else None
    given = list(paths)
    for raw in given:
        path = Path(raw)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
                           and not p.name.startswith("."))  # fmt: skip
            if not files:
                log.warning("%s: no image files in this folder", path)
        elif path.exists():
            files = [path]
        else:
            raise InvalidInputError(f"'{path}': no such file or folder")
        for f in files:
            resolved = f.resolve()
            if exclude is not None and resolved.is_relative_to(exclude):
                log.info("%s is in the output folder; skipped", f)
                inside += 1
                continue
            found.setdefault(resolved, None)
    if not found and inside:
        raise InvalidInputError(f"every image given ({inside}) is inside the output folder '{exclude}'; "
                                "choose an --out outside the source folders")  # fmt: skip
    if not found:
        raise InvalidInputError(f"no images to crop in {', '.join(map(str, given)) or 'nothing'}")
    return tuple(found)
