"""The candidate grid built size by size with Python loops: the reference the vectorised
:func:`models.constraints.candidates.enumerate_candidates` must match exactly (same boxes, same
order, since the exhaustive search breaks ties by order)."""

from __future__ import annotations

import numpy as np

from models.constraints.candidates import GridSpec, position_interval, smallest_width
from models.constraints.problem import CropProblem


def _positions(lo: float, hi: float, centred: float, steps: int, critical: list[float]) -> np.ndarray:
    if hi - lo < 1e-9:
        return np.array([lo])
    extra = [c for c in critical if lo <= c <= hi] + [min(max(centred, lo), hi)]
    return np.unique(np.concatenate([np.linspace(lo, hi, steps), extra]))


def grid_edges(problem: CropProblem, grid: GridSpec = GridSpec()) -> np.ndarray:
    """``(4, N)`` x0, y0, x1, y1 before edge snapping and the avoid filter."""
    largest = problem.largest.width
    low = smallest_width(problem, grid.min_scale)
    widths = np.linspace(largest, largest * grid.min_scale, grid.sizes)
    widths = np.unique(np.append(widths[widths >= low], low))
    parts = []
    for width in widths:
        room = position_interval(problem, width)
        if room is None:
            continue
        w, h, x_lo, x_hi, y_lo, y_hi = room
        xs = _positions(x_lo, x_hi, (problem.image_size[0] - w) / 2, grid.steps,
                        [v for a in problem.avoid for v in (a.x1, a.x0 - w)])  # fmt: skip
        ys = _positions(y_lo, y_hi, (problem.image_size[1] - h) / 2, grid.steps,
                        [v for a in problem.avoid for v in (a.y1, a.y0 - h)])  # fmt: skip
        gx, gy = np.meshgrid(xs, ys, indexing="xy")
        parts.append(np.stack([gx.ravel(), gy.ravel(), gx.ravel() + w, gy.ravel() + h]))
    return np.concatenate(parts, axis=1) if parts else np.zeros((4, 0))
