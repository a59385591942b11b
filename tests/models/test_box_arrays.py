"""models.box_arrays against the one-box oracles: Box.iou and models.eval.metrics.disp."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.box_arrays import as_boxes, best_disps, best_ious, disp_matrix, iou_matrix
from models.errors import InvalidInputError
from models.eval.metrics import best_disp, best_iou, disp
from models.geometry import Box

edge = st.floats(0, 100, allow_nan=False)


@st.composite
def boxes(draw) -> Box:
    x0, y0 = draw(edge), draw(edge)
    return Box(x0, y0, x0 + draw(st.floats(0, 50)), y0 + draw(st.floats(0, 50)))


@given(a=st.lists(boxes(), min_size=1, max_size=6), b=st.lists(boxes(), min_size=1, max_size=6))
def test_iou_and_disp_matrices_match_the_one_box_oracles(a: list[Box], b: list[Box]) -> None:
    ious, disps = iou_matrix(a, b), disp_matrix(a, b)
    assert ious.shape == disps.shape == (len(a), len(b))
    for i, p in enumerate(a):
        for j, q in enumerate(b):
            assert ious[i, j] == pytest.approx(p.iou(q), abs=1e-9)
            assert disps[i, j] == pytest.approx(disp(p, q), abs=1e-9)
    assert np.all((ious >= 0) & (ious <= 1 + 1e-12))


@given(a=st.lists(boxes(), min_size=1, max_size=6), gts=st.lists(boxes(), min_size=1, max_size=4))
def test_best_over_ground_truths_matches_the_metrics(a: list[Box], gts: list[Box]) -> None:
    for p, v, d in zip(a, best_ious(a, gts), best_disps(a, gts)):
        assert v == pytest.approx(max(p.iou(g) for g in gts), abs=1e-9)
        assert d == pytest.approx(min(disp(p, g) for g in gts), abs=1e-9)
        assert best_iou(p, gts) == pytest.approx(v, abs=1e-12) and best_disp(p, gts) == pytest.approx(d, abs=1e-12)


def test_known_values_and_degenerate_boxes() -> None:
    a = np.array([[0, 0, 2, 2], [1, 1, 3, 3], [5, 5, 5, 9]], float)  # the last one has no area
    m = iou_matrix(a, [[0, 0, 2, 2]])[:, 0]
    assert m.tolist() == pytest.approx([1.0, 1 / 7, 0.0])
    assert iou_matrix([[0, 0, 0, 0]], [[0, 0, 0, 0]])[0, 0] == 0.0  # no area on both sides: 0, as Box.iou
    assert disp_matrix(Box(0, 0, 1, 1), Box(0.1, 0.2, 0.9, 1.0))[0, 0] == pytest.approx((0.1 + 0.2 + 0.1 + 0) / 4)


def test_shapes_are_checked() -> None:
    assert as_boxes(Box(1, 2, 3, 4)).tolist() == [[1, 2, 3, 4]]
    assert as_boxes([1, 2, 3, 4]).shape == (1, 4)
    with pytest.raises(InvalidInputError, match=r"\(N, 4\)"):
        as_boxes(np.zeros((3, 3)))
    with pytest.raises(InvalidInputError, match="ground-truth"):
        best_ious([[0, 0, 1, 1]], [])
