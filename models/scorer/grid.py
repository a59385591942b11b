"""A fixed grid of candidate crops of one image: what the judge picks among when no other
proposals exist, and what ProCrop's re-ranking adds to the decoder's queries
(:mod:`models.procrop.rerank`); and GAIC's grid of candidate crops (:func:`gaic_anchors`), the
candidates of GAIC-style graded sets and of the judge's ``w_grid`` training pairs."""

from __future__ import annotations

import numpy as np

__all__ = ["GAIC_BINS", "POSITIONS", "SIDES", "candidate_grid", "gaic_anchors"]

SIDES = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
POSITIONS = 5


def candidate_grid(image_ratio: float, max_ratio: float = 2.0) -> np.ndarray:
    """``(M, 4)`` normalised boxes: width and height each a fraction in :data:`SIDES` of the
    image's, at :data:`POSITIONS` evenly spaced offsets per axis, pixel ratio within
    ``[1 / max_ratio, max_ratio]``. The full image is always one of them."""
    out = []
    for w in SIDES:
        for h in SIDES:
            r = w / h * image_ratio
            if not (1 / max_ratio <= r <= max_ratio) and not (w == 1.0 and h == 1.0):
                continue
            for x0 in np.unique(np.linspace(0, 1 - w, POSITIONS).round(6)):
                for y0 in np.unique(np.linspace(0, 1 - h, POSITIONS).round(6)):
                    out.append((x0, y0, x0 + w, y0 + h))
    return np.array(out, np.float64)


GAIC_BINS = 12
"""GAIC's grid: 12 bins per axis; a corner sits on one of the first (or last) ``GAIC_BINS // 3`` lines."""


def gaic_anchors(image_ratio: float, bins: int = GAIC_BINS) -> np.ndarray:
    """``(M, 4)`` normalised GAIC candidates of an image of pixel ratio ``image_ratio`` (W / H).

    ``x0 = i / bins`` and ``x1 = j / bins`` with ``i`` below ``bins // 3`` and ``j`` from
    ``bins - bins // 3`` to ``bins - 1`` (so never the right or bottom edge, as in GAIC's grid),
    the same for ``y``; kept where the area is at least half the image's and the pixel ratio
    lies strictly between 1:2 and 2:1. A square image has 90; the whole image is never one."""
    if not image_ratio > 0:
        raise ValueError(f"image ratio must be positive, got {image_ratio!r}")
    third = bins // 3
    starts, ends = range(third), range(bins - third, bins)
    out = [
        (x0 / bins, y0 / bins, x1 / bins, y1 / bins)
        for x0 in starts for y0 in starts for x1 in ends for y1 in ends
        if (x1 - x0) * (y1 - y0) * 2 >= bins * bins and 0.5 < (x1 - x0) / (y1 - y0) * image_ratio < 2.0
    ]  # fmt: skip
    return np.array(out, np.float64).reshape(-1, 4)
