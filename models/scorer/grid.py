"""A fixed grid of candidate crops of one image: what the judge picks among when no other
proposals exist, and what ProCrop's re-ranking adds to the decoder's queries
(:mod:`models.procrop.rerank`)."""

from __future__ import annotations

import numpy as np

__all__ = ["POSITIONS", "SIDES", "candidate_grid"]

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
