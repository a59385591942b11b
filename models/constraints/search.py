"""Searching the score over ratio-constrained crops: exhaustive over the candidate grid.

:class:`ExhaustiveSearch` evaluates every term on every candidate of
:func:`~models.constraints.candidates.enumerate_candidates` (vectorised, O(1) per box per
term) and returns the best ones: the global optimum over the grid, in milliseconds. A
black-box searcher for scores that do not decompose plugs in behind the same
:class:`Searcher` protocol.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from models.constraints.candidates import Candidates, GridSpec, ensure_room, enumerate_candidates
from models.constraints.problem import CropProblem, check_feasible
from models.constraints.terms import ScoreTerm
from models.geometry import Box

__all__ = ["ExhaustiveSearch", "Proposal", "Searcher", "snap_to_pixels"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Proposal:
    """A scored crop: ``box`` in full-resolution pixels, ``terms`` each term's contribution."""

    box: Box
    score: float
    terms: tuple[tuple[str, float], ...]


class Searcher(Protocol):
    def search(self, problem: CropProblem, terms: Sequence[ScoreTerm], *, top_k: int = 1) -> tuple[Proposal, ...]: ...


def _satisfies(box: Box, problem: CropProblem) -> bool:
    w, h = problem.image_size
    return (
        Box(0, 0, w, h).contains(box)
        and all(box.contains(k) for k in problem.keep)
        and all(box.intersection(a) is None for a in problem.avoid)
    )


def snap_to_pixels(box: Box, problem: CropProblem) -> Box:
    """Whole-pixel edges for ``box`` that still satisfy every constraint.

    Sizes are tried from both sides: integer widths next to the exact one with the heights
    next to ``width / ratio``, and integer heights next to the exact one with the widths next
    to ``height * ratio`` (from the width side alone, the exact-ratio sizes of a wide box
    are missed, from the height side those of a tall one); each at the integer positions
    next to the exact ones. Among the candidates
    that satisfy the constraints, the least relative ratio error ``|log(w / (h * ratio))|``
    wins (the output is resized from the crop: that error is its distortion), then the
    least movement of the four edges; both are the same for a box and its transpose at
    ``1 / ratio``, so tall and wide crops are snapped alike. Returns ``box`` unchanged if
    none does (possible only when a constraint leaves less than a pixel of play).
    """
    ratio = problem.ratio
    near = lambda v: (math.floor(v), math.ceil(v))  # noqa: E731
    sizes = {(w, h) for w in near(box.width) for h in near(w / ratio)}
    sizes |= {(w, h) for h in near(box.height) for w in near(h * ratio)}
    best: tuple | None = None
    for w, h in sizes:
        if w <= 0 or h <= 0:
            continue
        error = round(abs(math.log(w / (h * ratio))), 12)
        for x0 in {math.floor(box.x0), math.ceil(box.x0)}:
            for y0 in {math.floor(box.y0), math.ceil(box.y0)}:
                cand = Box(x0, y0, x0 + w, y0 + h)
                if not _satisfies(cand, problem):
                    continue
                shift = abs(x0 - box.x0) + abs(y0 - box.y0) + abs(x0 + w - box.x1) + abs(y0 + h - box.y1)
                key = (error, round(shift, 9), (x0, y0, w, h))
                if best is None or key < best:
                    best = key
    if best is None:
        return box
    x0, y0, w, h = best[2]
    return Box(x0, y0, x0 + w, y0 + h)


def _top(total: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` best scores, best first, ties by index: the first ``k`` of a stable
    argsort of ``-total``, without sorting all of them."""
    if k >= len(total) or k <= 0:
        return np.argsort(-total, kind="stable")[: max(k, 0)]
    kth = np.partition(-total, k - 1)[k - 1]
    pool = np.flatnonzero(-total <= kth)  # increasing indices: the stable sort keeps their order
    return pool[np.argsort(-total[pool], kind="stable")][:k]


@dataclass(frozen=True, slots=True)
class ExhaustiveSearch:
    """The best candidates of the grid by total score (ties: first, i.e. larger, box)."""

    grid: GridSpec = GridSpec()

    def search(self, problem: CropProblem, terms: Sequence[ScoreTerm], *, top_k: int = 1) -> tuple[Proposal, ...]:
        check_feasible(problem)
        cands = ensure_room(problem, enumerate_candidates(problem, self.grid), self.grid)
        parts = [(t.name, t(cands)) for t in terms]
        total = np.sum([p for _, p in parts], axis=0) if parts else np.zeros(len(cands))
        order = _top(total, top_k)
        log.debug("exhaustive search: %d candidates, best %.4f", len(cands), total[order[0]])
        return tuple(self._proposal(cands, i, total, parts, problem) for i in order)

    @staticmethod
    def _proposal(cands: Candidates, i: int, total: np.ndarray, parts, problem: CropProblem) -> Proposal:
        box = Box(float(cands.x0[i]), float(cands.y0[i]), float(cands.x1[i]), float(cands.y1[i]))
        return Proposal(snap_to_pixels(box, problem), float(total[i]), tuple((n, float(v[i])) for n, v in parts))
