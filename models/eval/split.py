"""A fixed train / hold-out split of a training folder, by file name.

``is_holdout(name)`` puts about one image in ``every`` into the hold-out part, decided by a
CRC-32 of the file name, so the split is the same on every machine and for every command:
heads are trained on the rest, and score weights are chosen on the hold-out part (on
images the heads never saw). Evaluation sets like FLMS are never used for either.

:func:`extra_images` reads an extra training folder, e.g. the weakly labelled output of
the dataset builder (``cropstudio build-dataset``): an image there that records a
``source`` (the professional photo it was made from) is left out when its source is a
hold-out image, so hold-out photos never reach training through their outpainted copies.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

__all__ = ["extra_images", "is_holdout", "split_images"]

T = TypeVar("T")


def is_holdout(name: str, every: int = 5) -> bool:
    return zlib.crc32(name.encode("utf-8")) % every == 0


def split_images(images: Sequence[T], *, holdout: bool = True, limit: int | None = None) -> tuple[list[T], list[T]]:
    """``(train, held_out)`` of annotated images (anything with ``.file``): with ``holdout``,
    the hold-out images go to the second list; otherwise all train and none are held out.
    ``limit`` keeps the first ``limit`` training images (and a quarter as many held out)."""
    train = [im for im in images if not (holdout and is_holdout(im.file.name))]
    held = [im for im in images if holdout and is_holdout(im.file.name)]
    if limit is not None:
        train, held = train[:limit], held[: max(1, limit // 4)]
    return train, held


def extra_images(folder: str | os.PathLike, holdout: bool = True) -> tuple[list, list[str | None]]:
    """The annotated images of an extra training folder (hold-out sources left out when
    ``holdout``) and, per image, its recorded ``source`` (``None`` when it has none)."""
    from models.eval.datasets import load_annotations

    aset = load_annotations(folder)
    try:
        entries = json.loads((aset.folder / "annotations.json").read_text())["images"]
        sources = {(aset.folder / e["file"]).resolve(): e.get("source") for e in entries}
    except (OSError, ValueError, KeyError, TypeError):
        sources = {}
    images, found = [], []
    for im in aset.items:
        source = sources.get(im.file.resolve())
        source = source if isinstance(source, str) else None
        if holdout and is_holdout(Path(source).name if source else im.file.name):
            continue
        images.append(im)
        found.append(source)
    return images, found
