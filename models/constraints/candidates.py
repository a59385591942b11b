"""Every crop the search considers: boxes of the exact ratio that satisfy the hard constraints.

For a box of width ``w`` (height ``w / ratio``) the positions that keep it inside the image
and around the keep regions form one closed interval per axis, computed exactly:
``x0 in [max(0, keep.x1 - w), min(keep.x0, W - w)]``. Sizes run from the largest box of the
ratio down to ``min_scale`` of it (never below the smallest box that holds the keep
regions, which is always included); positions are sampled evenly across each interval,
its ends (tight against a constraint or the frame) and the centred position included.
Boxes meeting an avoid region are dropped. So every candidate satisfies the constraints by
construction, and the grid is the search space that "exhaustive" search is exact over.

Feasibility is decided exactly, not up to the grid. For one size, the positions clear of
the avoid regions are the keep interval minus one open rectangle per avoid region; if any
position is left, one is left at a corner of that arrangement, whose coordinates are
interval ends or an avoid edge (``a.x1``, or ``a.x0 - w``): those "critical" positions are
always candidates. And a box that fits can shrink around the keep regions and still fit, so
the smallest size tried (``min_scale`` of the largest box, or the smallest box holding the
keep regions) decides: no candidate at all means no crop of at least that size exists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.constraints.problem import CropProblem, _min_box_for, keep_union
from models.errors import InfeasibleError

__all__ = ["Candidates", "GridSpec", "ensure_room", "enumerate_candidates", "position_interval", "smallest_width"]


@dataclass(frozen=True, slots=True)
class GridSpec:
    """Resolution of the candidate grid: ``sizes`` widths, ``steps`` positions per axis."""

    sizes: int = 48
    steps: int = 25
    min_scale: float = 0.3


@dataclass(frozen=True, slots=True, eq=False)
class Candidates:
    """``(N,)`` float64 arrays of box edges in full-resolution pixels."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray

    def __len__(self) -> int:
        return int(self.x0.shape[0])

    @property
    def area(self) -> np.ndarray:
        return (self.x1 - self.x0) * (self.y1 - self.y0)

    def take(self, index: np.ndarray) -> Candidates:
        return Candidates(self.x0[index], self.y0[index], self.x1[index], self.y1[index])


def _positions(lo: np.ndarray, hi: np.ndarray, centred: np.ndarray, steps: int, critical: np.ndarray) -> np.ndarray:
    """Positions per size, ``(n, k)`` sorted rows, NaN-padded: ``steps`` evenly spaced over
    ``[lo, hi]``, the critical ones ``(n, c)`` inside it and the centred one, without
    repeats; a single ``lo`` where the interval is a point. All sizes at once."""
    step = (hi - lo) / max(steps - 1, 1)
    even = np.arange(steps)[None, :] * step[:, None] + lo[:, None]  # [n, steps], as np.linspace computes it
    if steps > 1:
        even[:, -1] = hi  # np.linspace's end point, exactly
    crit = np.where((critical >= lo[:, None]) & (critical <= hi[:, None]), critical, np.nan)  # [n, c]
    centre = np.minimum(np.maximum(centred, lo), hi)[:, None]
    rows = np.sort(np.concatenate([even, crit, centre], axis=1), axis=1)  # NaN sort last
    rows[:, 1:][rows[:, 1:] == rows[:, :-1]] = np.nan  # repeats (np.unique's exact equality)
    point = hi - lo < 1e-9
    rows[point] = np.nan
    rows[point, 0] = lo[point]
    return rows


def _grid(problem: CropProblem, widths: np.ndarray, steps: int) -> tuple[np.ndarray, ...]:
    """Edges ``x0, y0, x1, y1`` of every candidate, size by size (``widths`` in order), then
    row by row, then column by column: the order the exhaustive search breaks ties by."""
    rooms = [r for r in (position_interval(problem, w) for w in widths) if r is not None]
    if not rooms:
        return tuple(np.zeros(0) for _ in range(4))
    w, h, x_lo, x_hi, y_lo, y_hi = (np.array(v, np.float64) for v in zip(*rooms))
    width, height = problem.image_size
    avoid = problem.avoid
    cx = np.array([[v for a in avoid for v in (a.x1, a.x0 - wi)] for wi in w]).reshape(len(w), -1)
    cy = np.array([[v for a in avoid for v in (a.y1, a.y0 - hi)] for hi in h]).reshape(len(h), -1)
    xs = _positions(x_lo, x_hi, (width - w) / 2, steps, cx)  # [n, kx]
    ys = _positions(y_lo, y_hi, (height - h) / 2, steps, cy)  # [n, ky]
    gx = np.broadcast_to(xs[:, None, :], (len(w), ys.shape[1], xs.shape[1]))  # [n, ky, kx]
    gy = np.broadcast_to(ys[:, :, None], gx.shape)
    keep = ~(np.isnan(gx) | np.isnan(gy))
    gw = np.broadcast_to(w[:, None, None], gx.shape)
    gh = np.broadcast_to(h[:, None, None], gx.shape)
    x0, y0 = gx[keep], gy[keep]
    return x0, y0, x0 + gw[keep], y0 + gh[keep]


def position_interval(problem: CropProblem, w: float) -> tuple[float, float, float, float, float, float] | None:
    """For a crop ``w`` wide (height from the ratio): ``(w, h, x_lo, x_hi, y_lo, y_hi)``, the
    closed ranges of ``x0`` and ``y0`` that keep it inside the image and around every keep
    region; ``None`` when it cannot hold them."""
    width, height = problem.image_size
    h = min(w / problem.ratio, float(height))
    w = min(w, float(width))
    x_lo, x_hi, y_lo, y_hi = 0.0, width - w, 0.0, height - h
    union = keep_union(problem)
    if union is not None:
        x_lo, x_hi = max(x_lo, union.x1 - w), min(x_hi, union.x0)
        y_lo, y_hi = max(y_lo, union.y1 - h), min(y_hi, union.y0)
    if x_hi < x_lo - 1e-9 or y_hi < y_lo - 1e-9:
        return None
    return w, h, x_lo, max(x_hi, x_lo), y_lo, max(y_hi, y_lo)


def smallest_width(problem: CropProblem, min_scale: float) -> float:
    """The smallest crop width considered: ``min_scale`` of the largest box of the ratio, or
    the smallest box holding the keep regions when there are any."""
    largest = problem.largest.width
    union = keep_union(problem)
    return largest * min_scale if union is None else min(_min_box_for(union, problem.ratio)[0], largest)


def _snap_edges(values: np.ndarray, edges: list[float], tol: float) -> np.ndarray:
    """Put coordinates within ``tol`` of a constraint edge exactly on it: ``(a - w) + w`` can
    land one ulp past ``a``, which would turn a crop touching a region into one meeting it."""
    for edge in edges:
        values[np.abs(values - edge) <= tol] = edge
    return values


def enumerate_candidates(problem: CropProblem, grid: GridSpec = GridSpec()) -> Candidates:
    """All candidate boxes of ``problem`` (possibly none: then the avoid regions leave no room)."""
    largest = problem.largest.width
    low = smallest_width(problem, grid.min_scale)
    widths = np.linspace(largest, largest * grid.min_scale, grid.sizes)
    widths = np.unique(np.append(widths[widths >= low], low))
    x0, y0, x1, y1 = _grid(problem, widths, grid.steps)
    regions = (*problem.keep, *problem.avoid)
    tol = 1e-9 * max(problem.image_size)
    x_edges = [0.0, float(problem.image_size[0]), *(v for r in regions for v in (r.x0, r.x1))]
    y_edges = [0.0, float(problem.image_size[1]), *(v for r in regions for v in (r.y0, r.y1))]
    cands = Candidates(*(_snap_edges(v, e, tol) for v, e in ((x0, x_edges), (y0, y_edges), (x1, x_edges), (y1, y_edges))))
    if problem.avoid and len(cands):
        clear = np.ones(len(cands), bool)
        for a in problem.avoid:
            clear &= (cands.x1 <= a.x0) | (cands.x0 >= a.x1) | (cands.y1 <= a.y0) | (cands.y0 >= a.y1)
        cands = cands.take(np.flatnonzero(clear))
    return cands


def ensure_room(problem: CropProblem, cands: Candidates | None = None, grid: GridSpec = GridSpec()) -> Candidates:
    """The candidates of ``problem``, or :class:`InfeasibleError` saying why there are none.

    Any grid decides this exactly (module docstring); pass ``cands`` to reuse a search's.
    """
    cands = enumerate_candidates(problem, grid) if cands is None else cands
    if len(cands):
        return cands
    if problem.keep:
        raise InfeasibleError(f"no {problem.aspect} crop can hold the keep regions without meeting an avoid region")
    w = smallest_width(problem, grid.min_scale)
    raise InfeasibleError(
        f"no {problem.aspect} crop of at least {w:.0f}x{w / problem.ratio:.0f} px "
        f"({grid.min_scale:.0%} of the largest) fits between the avoid regions"
    )
