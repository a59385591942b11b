"""P1 / P2 / P3 / auto-tau against the brute-force oracles in tests/oracles."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from models.attention.rectangles import RectangleSearch, ratio_shapes, threshold_for
from models.errors import InvalidInputError
from tests.oracles import rectangles as oracle

RATIOS = [Fraction(1), Fraction(2), Fraction(1, 2), Fraction(3, 2), Fraction(2, 3), Fraction(16, 9),
          Fraction(9, 16), Fraction(3), Fraction(1, 3), Fraction(5, 4), Fraction(191, 100)]
TAUS = st.one_of(st.sampled_from([0.0, 0.1, 0.25, 0.5, 0.7, 0.9, 1.0]), st.floats(0, 1))


def int_maps(max_side: int):
    shape = st.tuples(st.integers(1, max_side), st.integers(1, max_side))
    # small values give many ties (exercising tie-breaks); zeros give empty rows/columns
    return shape.flatmap(lambda s: arrays(np.int64, s, elements=st.integers(0, 9)))


def check_boxes(search: RectangleSearch, result, ratio: Fraction | None = None) -> None:
    m, n = search.shape
    for b in result.boxes:
        assert 0 <= b.x0 < b.x1 <= n and 0 <= b.y0 < b.y1 <= m
        if ratio is not None:
            assert (int(b.height), int(b.width)) in oracle.shapes(m, n, ratio)
    if len(result.boxes) == 2:
        a, b = result.boxes
        assert a.intersection(b) is None
    assert result.attention >= threshold_for(search.total, result.tau)
    assert result.attention == sum(
        int(search.weights[int(b.y0):int(b.y1), int(b.x0):int(b.x1)].sum()) for b in result.boxes)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weights=int_maps(7), tau=TAUS)
def test_p1_matches_brute_force(weights, tau):
    search = RectangleSearch(weights)
    result = search.smallest(tau)
    check_boxes(search, result)
    assert (result.cells, result.attention) == oracle.smallest_rect(weights, tau)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weights=int_maps(8), tau=TAUS, ratio=st.sampled_from(RATIOS))
def test_p2_matches_brute_force(weights, tau, ratio):
    search = RectangleSearch(weights)
    result = search.smallest_with_ratio(tau, ratio)
    expected = oracle.smallest_rect_ratio(weights, tau, ratio)
    if expected is None:
        assert result is None
    else:
        check_boxes(search, result, ratio)
        assert (result.cells, result.attention) == expected


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weights=int_maps(6), tau=TAUS, ratio=st.sampled_from(RATIOS))
def test_p3_matches_brute_force(weights, tau, ratio):
    search = RectangleSearch(weights)
    result = search.two_with_ratio(tau, ratio)
    expected = oracle.two_rects_ratio(weights, tau, ratio)
    if expected is None:
        assert result is None
    else:
        check_boxes(search, result, ratio)
        assert (result.cells, result.attention) == expected


@pytest.mark.parametrize("seed", range(6))
def test_larger_float_maps_match_brute_force(seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(6, 12, size=2)
    # a blob plus noise, like a saliency map
    yy, xx = np.mgrid[0:m, 0:n]
    cy, cx = rng.uniform(0, m), rng.uniform(0, n)
    g = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 2.0**2)) + 0.05 * rng.random((m, n))
    search = RectangleSearch(g.astype(np.float32))
    w = search.weights  # the exact integer map the search runs on
    for tau in (0.3, 0.7, 0.95):
        assert (search.smallest(tau).cells, search.smallest(tau).attention) == oracle.smallest_rect(w, tau)
        for ratio in (Fraction(16, 9), Fraction(4, 5)):
            got = search.smallest_with_ratio(tau, ratio)
            got = None if got is None else (got.cells, got.attention)
            assert got == oracle.smallest_rect_ratio(w, tau, ratio)
        got = search.two_with_ratio(tau, Fraction(3, 2))
        got = None if got is None else (got.cells, got.attention)
        assert got == oracle.two_rects_ratio(w, tau, Fraction(3, 2))


def test_float_quantisation_keeps_the_map():
    g = np.random.default_rng(0).random((5, 7))
    w = RectangleSearch(g).weights
    np.testing.assert_allclose(w / w.max(), g / g.max(), atol=1e-6)


def test_tau_one_is_the_bounding_box_of_the_support():
    g = np.zeros((9, 11))
    g[2, 3] = g[6, 8] = g[4, 5] = 1.0
    r = RectangleSearch(g).smallest(1.0)
    assert r.boxes[0].as_tuple() == (3, 2, 9, 7)
    assert r.kept == 1.0


def test_tau_zero_is_the_best_single_cell():
    g = np.zeros((4, 5))
    g[3, 1] = 5.0
    g[0, 0] = 2.0
    r = RectangleSearch(g).smallest(0.0)
    assert r.boxes[0].as_tuple() == (1, 3, 2, 4)


def test_all_zero_map_gives_a_single_cell_and_nan_kept():
    r = RectangleSearch(np.zeros((3, 4))).smallest(0.7)
    assert r.cells == 1 and math.isnan(r.kept)


def test_one_by_one_map():
    s = RectangleSearch(np.array([[3.0]]))
    assert s.smallest(1.0).boxes[0].as_tuple() == (0, 0, 1, 1)
    assert s.smallest_with_ratio(1.0, 1.0).boxes[0].as_tuple() == (0, 0, 1, 1)
    assert s.smallest_with_ratio(0.5, 2.0) is None  # a 2:1 box cannot fit in one cell
    assert s.two_with_ratio(0.5, 2.0) is None
    assert s.max_kept_with_ratio(2.0) == 0.0


def test_ratio_that_cannot_keep_enough_returns_none():
    g = np.zeros((10, 10))
    g[0, 0] = g[9, 9] = 1.0  # opposite corners: no 3:1 box holds both
    s = RectangleSearch(g)
    assert s.smallest_with_ratio(1.0, 3.0) is None
    assert s.max_kept_with_ratio(3.0) == 0.5
    two = s.two_with_ratio(1.0, 3.0)  # ... but two boxes do
    assert len(two.boxes) == 2 and two.cells == 6


@pytest.mark.parametrize(
    "bad, message",
    [
        (np.array([[1.0, np.nan]]), "NaN"),
        (np.array([[1.0, np.inf]]), "NaN or infinite"),
        (np.array([[1.0, -0.5]]), "negative"),
        (np.array([[1, -1]]), "negative"),
        (np.zeros((0, 3)), "non-empty 2-D"),
        (np.zeros(5), "non-empty 2-D"),
        (np.array([["a"]]), "numeric"),
    ],
)
def test_bad_maps_are_rejected_clearly(bad, message):
    with pytest.raises(InvalidInputError, match=message):
        RectangleSearch(bad)


@pytest.mark.parametrize("tau", [-0.1, 1.5, float("nan"), "high"])
def test_bad_tau_is_rejected(tau):
    with pytest.raises(InvalidInputError, match="tau"):
        RectangleSearch(np.ones((3, 3))).smallest(tau)


@pytest.mark.parametrize("ratio", [0, -1, float("nan"), float("inf")])
def test_bad_ratio_is_rejected(ratio):
    with pytest.raises(InvalidInputError, match="ratio"):
        RectangleSearch(np.ones((3, 3))).smallest_with_ratio(0.5, ratio)


def test_ratio_shapes_round_the_long_side():
    assert ratio_shapes(3, 10, 2.0) == [(1, 2), (2, 4), (3, 6)]
    assert ratio_shapes(10, 3, 0.5) == [(2, 1), (4, 2), (6, 3)]
    # 16:9 rounds widths up exactly (no float drift: 9 * 16/9 is 16, not 17)
    assert (9, 16) in ratio_shapes(9, 16, 16 / 9)


def test_input_is_not_mutated():
    g = np.random.default_rng(1).random((6, 6))
    before = g.copy()
    RectangleSearch(g).smallest(0.5)
    np.testing.assert_array_equal(g, before)


def test_auto_tau_uniform_map_is_one_half():
    auto = RectangleSearch(np.ones((40, 50))).auto_tau()
    assert auto.gamma == pytest.approx(1.0, abs=0.05)
    assert auto.tau == pytest.approx(0.5, abs=0.02)


def test_auto_tau_concentrated_map_keeps_more_and_maximises_the_objective():
    yy, xx = np.mgrid[0:60, 0:80]
    g = np.exp(-((yy - 30) ** 2 + (xx - 40) ** 2) / (2 * 6.0**2))
    auto = RectangleSearch(g).auto_tau()
    assert auto.gamma > 1.5 and auto.tau > 0.55
    grid = np.linspace(0.01, 0.99, 981)
    objective = grid - grid ** (1 + auto.gamma)  # seed Eq. 7 under the fitted model
    assert auto.tau == pytest.approx(grid[np.argmax(objective)], abs=2e-3)
    assert len(auto.taus) == 10 and all(0 < a <= 1 for a in auto.areas)


@given(total=st.integers(0, 1 << 50), tau=st.floats(0, 1))
def test_threshold_is_the_exact_ceiling(total, tau):
    assert threshold_for(total, tau) == math.ceil(Fraction(tau) * total)
