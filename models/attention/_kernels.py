"""numba kernels of the rectangle searches; private: call them through ``rectangles.py``.

All kernels work on the summed-area table ``sat`` of a non-negative **integer** map ``G``
(shape ``(m + 1, n + 1)``, ``sat[i, j] = G[:i, :j].sum()``), so every rectangle sum is exact
and ``sum >= T`` is decided without rounding. Rectangles are half-open cell ranges
``rows [top, top + h)``, ``cols [left, left + w)``. "Better" means smaller area, then larger
sum; the first rectangle found wins a complete tie.

Why numba: the seed's algorithms are two-pointer scans with data-dependent early exits.
Vectorising them in numpy would mean computing every band's full answer (losing the exits
that make them fast) or Python-level loops (100x slower); a compiled loop keeps the
algorithms as written and their complexity.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def _rect_sum(sat, top, left, bottom, right):
    return sat[bottom, right] - sat[top, right] - sat[bottom, left] + sat[top, left]


@njit(cache=True, nogil=True)
def _shortest_window(sat, top, bottom, threshold):
    """Seed Alg. 1 on the band ``rows [top, bottom)``: the shortest column range whose sum
    is ``>= threshold``, ties to the larger sum. Returns ``(length, left, sum)``;
    ``length = n + 1`` when none. Two pointers over the band's prefix sums: O(n)."""
    n = sat.shape[1] - 1
    best_len, best_left, best_sum = n + 1, 0, -1
    start = 0
    for end in range(1, n + 1):
        while start < end:
            s = _rect_sum(sat, top, start, bottom, end)
            if s < threshold:
                break
            length = end - start
            if length < best_len or (length == best_len and s > best_sum):
                best_len, best_left, best_sum = length, start, s
            start += 1
    return best_len, best_left, best_sum


@njit(cache=True, nogil=True)
def smallest_rect(sat, threshold):
    """P1 (seed Alg. 2): O(m^2 n) over bands, with two exact prunings.

    * ``L(t, b)``, the shortest valid width of band ``[t, b)``, can only shrink as ``b``
      grows, so ``L(t, m)`` bounds every band starting at ``t`` from below: bands taller than
      ``best_area / L(t, m)`` cannot win and the scan over ``b`` stops there.
    * When even ``[t, m)`` holds less than ``threshold``, no band starting at ``t`` or below
      is valid and the scan stops.

    Returns ``(top, left, h, w, sum)``; ``h = 0`` when no rectangle is valid.
    """
    m = sat.shape[0] - 1
    n = sat.shape[1] - 1
    best = (0, 0, 0, 0, np.int64(-1))
    best_area = m * n + 1
    for top in range(m):
        full_len, _, _ = _shortest_window(sat, top, m, threshold)
        if full_len > n:
            break
        for bottom in range(top + 1, m + 1):
            h = bottom - top
            if h * full_len > best_area:
                break
            if _rect_sum(sat, top, 0, bottom, n) < threshold:
                continue
            length, left, s = _shortest_window(sat, top, bottom, threshold)
            area = h * length
            if area < best_area or (area == best_area and s > best[4]):
                best_area = area
                best = (top, left, h, length, s)
    return best


@njit(cache=True, nogil=True)
def _best_fixed_window(sat, top, bottom, w):
    """Seed Alg. 3: the width-``w`` window of band ``[top, bottom)`` with the largest sum."""
    n = sat.shape[1] - 1
    best_left, best_sum = 0, np.int64(-1)
    for left in range(n - w + 1):
        s = _rect_sum(sat, top, left, bottom, left + w)
        if s > best_sum:
            best_left, best_sum = left, s
    return best_left, best_sum


@njit(cache=True, nogil=True)
def smallest_rect_fixed_shape(sat, widths, threshold):
    """P2 (seed Alg. 4): two pointers over rows, O(mn).

    ``widths[h]`` is the width of the allowed rectangle of height ``h`` (non-decreasing,
    ``widths[0] = 0``). The band ``[top, bottom)`` is grown at the bottom until it holds a
    valid window, then shrunk at the top while it still does; every band a valid optimum can
    sit in is visited (see the seed's proof around its Eq. 6). A band wider than the map is
    shrunk, never grown. Returns ``(top, left, h, w, sum)``; ``h = 0`` when none is valid.
    """
    m = sat.shape[0] - 1
    n = sat.shape[1] - 1
    best = (0, 0, 0, 0, np.int64(-1))
    best_area = -1
    top = 0
    for bottom in range(1, m + 1):
        while top < bottom:
            h = bottom - top
            w = widths[h]
            if w > n:
                top += 1
                continue
            if _rect_sum(sat, top, 0, bottom, n) < threshold:
                break
            left, s = _best_fixed_window(sat, top, bottom, w)
            if s < threshold:
                break
            area = h * w
            if best_area < 0 or area < best_area or (area == best_area and s > best[4]):
                best_area = area
                best = (top, left, h, w, s)
            top += 1
    return best


@njit(cache=True, nogil=True)
def _fill_before(dst_val, dst_at, src_val, src_at, size, count):
    """``dst[c]`` = best of ``src[j]`` over windows ``[j, j + size)`` ending at or before ``c``
    (``j <= c - size``), for ``c = size .. size + count - 1``; earlier positions win ties."""
    for c in range(size, size + count):
        j = c - size
        if c > size and dst_val[c - 1] >= src_val[j]:
            dst_val[c], dst_at[c] = dst_val[c - 1], dst_at[c - 1]
        else:
            dst_val[c], dst_at[c] = src_val[j], src_at[j]


@njit(cache=True, nogil=True)
def _fill_after(dst_val, dst_at, src_val, src_at, count):
    """``dst[c]`` = best of ``src[j]`` over ``j >= c``, for ``c = 0 .. count - 1``."""
    for c in range(count - 1, -1, -1):
        if c < count - 1 and dst_val[c + 1] > src_val[c]:
            dst_val[c], dst_at[c] = dst_val[c + 1], dst_at[c + 1]
        else:
            dst_val[c], dst_at[c] = src_val[c], src_at[c]


@njit(cache=True, nogil=True)
def _split_tables(sat, widths, num_shapes):
    """For each allowed shape ``k`` (1-based; shape 0 is "no rectangle") and each split
    position, the best window lying wholly before / after the split, along columns and rows.

    Returns ``(left_val, left_at, right_val, right_at, up_val, up_at, down_val, down_at)``;
    ``*_val[k, c]`` is the largest sum (``-1`` where the shape does not fit) and ``*_at`` its
    flat position ``top * n + left``. ``left_*[k, c]``: windows inside columns ``[0, c)``;
    ``right_*[k, c]``: inside ``[c, n)``; ``up``/``down``: rows ``[0, r)`` / ``[r, m)``.
    """
    m = sat.shape[0] - 1
    n = sat.shape[1] - 1
    left_val = np.full((num_shapes + 1, n + 1), -1, np.int64)
    right_val = np.full((num_shapes + 1, n + 1), -1, np.int64)
    up_val = np.full((num_shapes + 1, m + 1), -1, np.int64)
    down_val = np.full((num_shapes + 1, m + 1), -1, np.int64)
    left_at = np.zeros((num_shapes + 1, n + 1), np.int64)
    right_at = np.zeros((num_shapes + 1, n + 1), np.int64)
    up_at = np.zeros((num_shapes + 1, m + 1), np.int64)
    down_at = np.zeros((num_shapes + 1, m + 1), np.int64)
    left_val[0, :] = 0
    right_val[0, :] = 0
    up_val[0, :] = 0
    down_val[0, :] = 0
    col_val = np.empty(n, np.int64)
    col_at = np.empty(n, np.int64)
    row_val = np.empty(m, np.int64)
    row_at = np.empty(m, np.int64)
    for k in range(1, num_shapes + 1):
        h = k
        w = widths[k]
        nc = n - w + 1
        nr = m - h + 1
        col_val[:nc] = -1
        row_val[:nr] = -1
        for top in range(nr):
            for left in range(nc):
                s = _rect_sum(sat, top, left, top + h, left + w)
                if s > col_val[left]:
                    col_val[left] = s
                    col_at[left] = top * n + left
                if s > row_val[top]:
                    row_val[top] = s
                    row_at[top] = top * n + left
        _fill_before(left_val[k], left_at[k], col_val, col_at, w, nc)
        _fill_after(right_val[k], right_at[k], col_val, col_at, nc)
        _fill_before(up_val[k], up_at[k], row_val, row_at, h, nr)
        _fill_after(down_val[k], down_at[k], row_val, row_at, nr)
    return left_val, left_at, right_val, right_at, up_val, up_at, down_val, down_at


@njit(cache=True, nogil=True)
def _pair_scan(first_val, second_val, areas, threshold, best):
    """For every split, two pointers over shape pairs: the cheapest (first, second) shapes
    whose sums reach ``threshold``. Values are non-decreasing in the shape index wherever
    the shape fits (a bigger allowed shape contains a smaller one) and ``-1`` beyond, and
    areas strictly increase, so the smallest sufficient second shape only moves down as the
    first grows. ``best``: ``[area, sum, split, k1, k2]``, updated in place."""
    num_shapes = first_val.shape[0] - 1
    found = False
    for c in range(first_val.shape[1]):
        k2_max = 0
        while k2_max < num_shapes and second_val[k2_max + 1, c] >= 0:
            k2_max += 1
        k2 = k2_max  # invariant: second_val[k2, c] >= every `need` met so far
        for k1 in range(num_shapes + 1):
            v1 = first_val[k1, c]
            if v1 < 0:
                break
            need = threshold - v1
            if second_val[k2_max, c] < need:
                continue
            while k2 > 0 and second_val[k2 - 1, c] >= need:
                k2 -= 1
            area = areas[k1] + areas[k2]
            if area == 0:  # "no rectangle at all" only meets a zero threshold; keep >= 1
                continue
            s = v1 + second_val[k2, c]
            if best[0] < 0 or area < best[0] or (area == best[0] and s > best[1]):
                best[0], best[1], best[2], best[3], best[4] = area, s, c, k1, k2
                found = True
    return found


@njit(cache=True, nogil=True)
def two_rects_fixed_shape(sat, widths, threshold):
    """P3 with N = 2: at most two disjoint rectangles of allowed shapes, least total area.

    Two disjoint axis-aligned rectangles are always separated by a vertical or a horizontal
    line, so the optimum is, for some split, the best window before it plus the best window
    after it. The seed loops over every split and first-rectangle size and runs Alg. 4 on
    the rest: O(m^2 n^2). Here the per-shape prefix/suffix maxima (``_split_tables``) cost
    O(K m n) for K <= m shapes, and every split is then solved by a two-pointer scan over
    shape pairs in O(K): O(m^2 n) in all, the cost of P1.

    Returns ``(area, sum, r1, r2)`` where ``r = (top, left, h, w)`` and ``h = 0`` marks an
    absent rectangle; ``area = -1`` when nothing is valid.
    """
    m = sat.shape[0] - 1
    n = sat.shape[1] - 1
    num_shapes = 0
    while num_shapes < m and widths[num_shapes + 1] <= n:
        num_shapes += 1
    areas = np.zeros(num_shapes + 1, np.int64)
    for k in range(1, num_shapes + 1):
        areas[k] = k * widths[k]
    lv, la, rv, ra, uv, ua, dv, da = _split_tables(sat, widths, num_shapes)
    best_cols = np.array([-1, -1, 0, 0, 0], np.int64)
    best_rows = np.array([-1, -1, 0, 0, 0], np.int64)
    _pair_scan(lv, rv, areas, threshold, best_cols)
    _pair_scan(uv, dv, areas, threshold, best_rows)
    use_rows = best_rows[0] >= 0 and (
        best_cols[0] < 0 or best_rows[0] < best_cols[0] or (best_rows[0] == best_cols[0] and best_rows[1] > best_cols[1])
    )
    best = best_rows if use_rows else best_cols
    if best[0] < 0:
        return np.int64(-1), np.int64(-1), (0, 0, 0, 0), (0, 0, 0, 0)
    c, k1, k2 = best[2], best[3], best[4]
    if use_rows:
        at1, at2 = ua[k1, c], da[k2, c]
    else:
        at1, at2 = la[k1, c], ra[k2, c]
    r1 = (at1 // n, at1 % n, k1, widths[k1]) if k1 > 0 else (0, 0, 0, 0)
    r2 = (at2 // n, at2 % n, k2, widths[k2]) if k2 > 0 else (0, 0, 0, 0)
    return best[0], best[1], r1, r2
