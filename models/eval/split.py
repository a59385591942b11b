"""A fixed train / hold-out split of a training folder, by file name.

``is_holdout(name)`` puts about one image in ``every`` into the hold-out part, decided by a
CRC-32 of the file name, so the split is the same on every machine and for every command:
heads are trained on the rest, and score weights are chosen on the hold-out part (on
images the heads never saw). Evaluation sets like FLMS are never used for either.
"""

from __future__ import annotations

import zlib

__all__ = ["is_holdout"]


def is_holdout(name: str, every: int = 5) -> bool:
    return zlib.crc32(name.encode("utf-8")) % every == 0
