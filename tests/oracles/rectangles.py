"""Brute-force references for the rectangle problems: slow, obvious, independent.

Every function enumerates all candidate rectangles of an integer map with plain slicing and
returns ``(area, attention)`` of the best answer (smallest area, then largest sum), or
``None``. They restate the definitions of ``models.attention.rectangles`` without sharing
its code: thresholds via ``Fraction``, shapes from the ceil rule written out again.
"""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import combinations

import numpy as np


def threshold(weights: np.ndarray, tau: float) -> int:
    return math.ceil(Fraction(tau) * int(weights.sum()))


def shapes(rows: int, cols: int, ratio: Fraction) -> list[tuple[int, int]]:
    if ratio >= 1:
        out = [(h, math.ceil(h * ratio)) for h in range(1, rows + 1)]
    else:
        out = [(math.ceil(w / ratio), w) for w in range(1, cols + 1)]
    return [(h, w) for h, w in out if h <= rows and w <= cols]


def all_rects(rows: int, cols: int):
    for top in range(rows):
        for bottom in range(top + 1, rows + 1):
            for left in range(cols):
                for right in range(left + 1, cols + 1):
                    yield top, left, bottom - top, right - left


def placements(rows: int, cols: int, allowed: list[tuple[int, int]]):
    for h, w in allowed:
        for top in range(rows - h + 1):
            for left in range(cols - w + 1):
                yield top, left, h, w


def rect_sum(weights: np.ndarray, rect) -> int:
    top, left, h, w = rect
    return int(weights[top : top + h, left : left + w].sum())


def _best(candidates):
    best = None
    for area, s in candidates:
        if best is None or area < best[0] or (area == best[0] and s > best[1]):
            best = (area, s)
    return best


def smallest_rect(weights: np.ndarray, tau: float):
    t = threshold(weights, tau)
    sums = ((h * w, rect_sum(weights, (top, left, h, w))) for top, left, h, w in all_rects(*weights.shape))
    return _best((a, s) for a, s in sums if s >= t)


def smallest_rect_ratio(weights: np.ndarray, tau: float, ratio: Fraction):
    t = threshold(weights, tau)
    rects = placements(*weights.shape, shapes(*weights.shape, ratio))
    return _best((r[2] * r[3], s) for r in rects if (s := rect_sum(weights, r)) >= t)


def _disjoint(a, b) -> bool:
    at, al, ah, aw = a
    bt, bl, bh, bw = b
    return at + ah <= bt or bt + bh <= at or al + aw <= bl or bl + bw <= al


def two_rects_ratio(weights: np.ndarray, tau: float, ratio: Fraction):
    t = threshold(weights, tau)
    rects = [(r, rect_sum(weights, r)) for r in placements(*weights.shape, shapes(*weights.shape, ratio))]
    singles = ((r[2] * r[3], s) for r, s in rects if s >= t)
    pairs = (
        (a[2] * a[3] + b[2] * b[3], sa + sb)
        for (a, sa), (b, sb) in combinations(rects, 2)
        if sa + sb >= t and _disjoint(a, b)
    )
    return _best(list(singles) + list(pairs))
