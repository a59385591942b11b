"""A fixed train / hold-out split of a training folder, by file name.

``is_holdout(name)`` puts about one image in ``every`` into the hold-out part, decided by a
CRC-32 of the file name, so the split is the same on every machine and for every command:
heads are trained on the rest, and score weights are chosen on the hold-out part (on
images the heads never saw). Evaluation sets like FLMS are never used for either.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from typing import TypeVar

__all__ = ["is_holdout", "split_images"]

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
