"""The professional photos a dataset is built from.

A source folder is either a data set in the ``../shared/data`` format (``annotations.json``):
each image's first expert crop is a professional photo; or any folder: every image file
in it (recursively, hidden files skipped) is one. FLMS is refused: it is the evaluation set.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from models.errors import InvalidInputError
from models.eval.datasets import ANNOTATIONS_FILE, load_annotations
from models.imaging import SUPPORTED_SUFFIXES

__all__ = ["PhotoSource", "collect_photos", "sources_digest"]

log = logging.getLogger(__name__)

_FLMS = "FLMS is the evaluation set: building training data from it would leak the benchmark"


@dataclass(frozen=True, slots=True)
class PhotoSource:
    """One professional photo: ``region`` (normalised ``x0, y0, x1, y1``) of the image at
    ``path`` (absolute); ``rel`` is the image path relative to the source folder."""

    path: Path
    rel: str
    region: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)


def _refuse_flms(folder: Path) -> None:
    if any(part.lower() == "flms" for part in folder.parts):
        raise InvalidInputError(f"'{folder}' is an FLMS folder; {_FLMS}")


def collect_photos(folder: str | os.PathLike, *, exclude: Path | None = None) -> tuple[PhotoSource, ...]:
    """The photos of ``folder`` in a stable order (file order, or sorted paths).

    Raises
    ------
    InvalidInputError
        The folder is missing, is FLMS (by name or by its ``annotations.json`` name), or holds
        no image.
    """
    root = Path(folder).resolve()
    if not root.is_dir():
        raise InvalidInputError(f"source folder '{folder}' does not exist or is not a folder")
    _refuse_flms(root)
    if (root / ANNOTATIONS_FILE).is_file():
        aset = load_annotations(root)
        if "flms" in aset.name.lower():
            raise InvalidInputError(f"'{folder}' holds the {aset.name} annotations; {_FLMS}")
        photos = tuple(PhotoSource(item.file, item.file.relative_to(root).as_posix(), item.crops[0].as_tuple())
                       for item in aset.items)  # fmt: skip
    else:
        exclude = exclude.resolve() if exclude is not None else None
        files = sorted(
            p for p in root.rglob("*")
            if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES
            and not any(part.startswith(".") for part in p.relative_to(root).parts)
            and not (exclude is not None and p.resolve().is_relative_to(exclude))
        )  # fmt: skip
        photos = tuple(PhotoSource(p, p.relative_to(root).as_posix()) for p in files)
    if not photos:
        raise InvalidInputError(f"no images in '{folder}'")
    log.info("%s: %d professional photos", root, len(photos))
    return photos


def sources_digest(photos: tuple[PhotoSource, ...]) -> str:
    """A short digest of the photo list (paths and regions): a rerun must see the same one."""
    h = hashlib.sha256()
    for p in photos:
        h.update(f"{p.rel}\t{','.join(f'{v:.6f}' for v in p.region)}\n".encode())
    return h.hexdigest()[:16]
