"""Compiled brute-force references for the benchmark (the pure-Python oracles in
tests/oracles are the ground truth; tests/models/test_bench_references.py checks these
against them).

* P1: every rectangle, by upper-left corner (the seed's Fig. 5a): O(m^2 n^2).
* P2: every upper-left corner and every allowed height (Fig. 5b): O(m^2 n).
* P3: the seed's own sec. 3.3 algorithm (every split, every first height, Alg. 4 on the
  rest): O(m^2 n^2). Exhaustive pair enumeration is far slower still.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from models.attention._kernels import smallest_rect_fixed_shape


@njit(cache=True)
def brute_p1(sat, threshold):
    m, n = sat.shape[0] - 1, sat.shape[1] - 1
    best_area, best_sum = m * n + 1, np.int64(-1)
    for top in range(m):
        for left in range(n):
            for bottom in range(top + 1, m + 1):
                for right in range(left + 1, n + 1):
                    s = sat[bottom, right] - sat[top, right] - sat[bottom, left] + sat[top, left]
                    if s >= threshold:
                        area = (bottom - top) * (right - left)
                        if area < best_area or (area == best_area and s > best_sum):
                            best_area, best_sum = area, s
    return best_area, best_sum


@njit(cache=True)
def brute_p2(sat, widths, threshold):
    m, n = sat.shape[0] - 1, sat.shape[1] - 1
    best_area, best_sum = -1, np.int64(-1)
    for top in range(m):
        for left in range(n):
            for h in range(1, m - top + 1):
                w = widths[h]
                if left + w > n:
                    break
                s = sat[top + h, left + w] - sat[top, left + w] - sat[top + h, left] + sat[top, left]
                if s >= threshold:
                    area = h * w
                    if best_area < 0 or area < best_area or (area == best_area and s > best_sum):
                        best_area, best_sum = area, s
                    break
    return best_area, best_sum


@njit(cache=True)
def _best_window(sat, h, w, row1, col1):
    """Largest sum of an h x w window inside rows [0, row1) and columns [0, col1)."""
    best = np.int64(-1)
    for top in range(row1 - h + 1):
        for left in range(col1 - w + 1):
            s = sat[top + h, left + w] - sat[top, left + w] - sat[top + h, left] + sat[top, left]
            if s > best:
                best = s
    return best


@njit(cache=True)
def _seed_p3_one_way(sat, widths, threshold, by_rows):
    """First rectangle before the split (exhaustive, best sum for its height), second after
    it by Alg. 4 with the remaining threshold; every split and every first height."""
    m, n = sat.shape[0] - 1, sat.shape[1] - 1
    best_area, best_sum = -1, np.int64(-1)
    for split in range(0, (m if by_rows else n) + 1):
        if by_rows:
            rest_sat = np.ascontiguousarray(sat[split:, :] - sat[split : split + 1, :])
        else:
            rest_sat = np.ascontiguousarray(sat[:, split:] - sat[:, split : split + 1])
        for h1 in range(0, m + 1):
            w1 = widths[h1]
            if (h1 > split) if by_rows else (w1 > split):
                break
            if w1 > n:
                break
            t1 = np.int64(0)
            if h1 > 0:
                t1 = _best_window(sat, h1, w1, split if by_rows else m, n if by_rows else split)
            area, s = h1 * w1, t1
            if threshold - t1 > 0 or h1 == 0:
                top, left, h2, w2, s2 = smallest_rect_fixed_shape(rest_sat, widths, threshold - t1)
                if h2 == 0:
                    continue
                area, s = area + h2 * w2, t1 + s2
            if best_area < 0 or area < best_area or (area == best_area and s > best_sum):
                best_area, best_sum = area, s
    return best_area, best_sum


def seed_p3(sat: np.ndarray, widths: np.ndarray, threshold: int) -> tuple[int, int]:
    """The seed's P3 algorithm over vertical and horizontal splits: ``(area, sum)``."""
    cands = [c for c in (_seed_p3_one_way(sat, widths, threshold, False),
                         _seed_p3_one_way(sat, widths, threshold, True)) if c[0] >= 0]
    if not cands:
        return -1, -1
    return min(cands, key=lambda c: (c[0], -c[1]))
