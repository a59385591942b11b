"""Pseudo-heatmaps: the labels the heatmap network learns (seed sec. 3.3).

Each expert crop becomes its indicator on an ``m x m`` grid (cell value = fraction of the
cell inside the crop, exact), and an image's heatmap is the average over its crops: 1 where
every expert kept the pixel, 0 where none did.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.errors import InvalidInputError
from models.geometry import Box

__all__ = ["box_coverage", "pseudo_heatmap"]


def _cover(lo: float, hi: float, m: int) -> np.ndarray:
    edges = np.arange(m + 1) / m
    return np.clip(np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo), 0.0, None) * m


def box_coverage(box: Box, m: int) -> np.ndarray:
    """``(m, m)`` float32: the fraction of each grid cell covered by ``box`` (normalised)."""
    return np.outer(_cover(box.y0, box.y1, m), _cover(box.x0, box.x1, m)).astype(np.float32)


def pseudo_heatmap(crops: Sequence[Box], m: int, *, mirror: bool = False) -> np.ndarray:
    """The mean coverage of ``crops`` (boxes normalised to [0, 1]); ``mirror`` flips it
    left-right (for a mirrored image)."""
    if not crops:
        raise InvalidInputError("a pseudo-heatmap needs at least one crop")
    if m < 1:
        raise InvalidInputError(f"heatmap size must be positive, got {m}")
    heat = np.mean([box_coverage(c, m) for c in crops], axis=0)
    return np.ascontiguousarray(heat[:, ::-1]) if mirror else heat
