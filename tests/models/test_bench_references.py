"""The benchmarks' compiled brute-force references agree with the pure-Python oracles, and the
constraint-scale bench's geometry keeps its invariants."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.attention.rectangles import RectangleSearch, _sat, _widths_for, threshold_for
from models.geometry import Box
from tests.bench import brute, constraint_scale
from tests.oracles import rectangles as oracle


@pytest.mark.parametrize("seed", range(8))
def test_compiled_references_match_oracles(seed):
    rng = np.random.default_rng(seed)
    w = rng.integers(0, 6, size=tuple(rng.integers(1, 7, size=2))) * (rng.random((1, 1)) > 0.2)
    w = w.astype(np.int64)
    sat = _sat(w)
    ratio = Fraction(3, 2)
    widths = _widths_for(w.shape[0], ratio)
    for tau in (0.0, 0.4, 0.8, 1.0):
        t = threshold_for(int(w.sum()), tau)
        assert tuple(brute.brute_p1(sat, t)) == oracle.smallest_rect(w, tau)
        expected = oracle.smallest_rect_ratio(w, tau, ratio)
        assert tuple(brute.brute_p2(sat, widths, t)) == (expected or (-1, -1))
        expected = oracle.two_rects_ratio(w, tau, ratio)
        assert tuple(brute.seed_p3(sat, widths, t)) == (expected or (-1, -1))
        # and the fast search agrees with both
        fast = RectangleSearch(w).two_with_ratio(tau, ratio)
        assert (None if fast is None else (fast.cells, fast.attention)) == expected


@settings(max_examples=200, deadline=None)
@given(st.floats(0.05, 0.6), st.floats(0.05, 0.6), st.floats(0.0, 0.4), st.floats(0.0, 0.4),
       st.floats(0.5, 1.0), st.floats(0.0, 1.0), st.floats(1.0, 4000.0), st.floats(1.0, 4000.0))  # fmt: skip
def test_constraint_scale_shrink_keeps_ratio_layout_and_image(kw, kh, kx, ky, factor, py, width, height):
    """The constraint-scale bench's shrink of the whole image: its ratio kept, the layout held,
    inside the image; unchanged when the smaller box cannot hold the layout."""
    keep = Box(kx * width, ky * height, (kx + kw) * width, (ky + kh) * height)
    box = Box(0.0, 0.0, width, height)
    out = constraint_scale.shrink(box, keep, factor, width, height, py=py)
    if factor * width < keep.width - 1e-9 or factor * height < keep.height - 1e-9:
        assert out == box
        return
    assert out.width == pytest.approx(factor * width) and out.height == pytest.approx(factor * height)
    tol = 1e-9 * max(width, height)
    assert out.x0 >= -tol and out.y0 >= -tol and out.x1 <= width + tol and out.y1 <= height + tol
    assert out.contains(keep, tol=tol)
