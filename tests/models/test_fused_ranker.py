"""``judge-heatmap``: the judge plus the heatmap's attention term and area and centre priors."""

from __future__ import annotations

import numpy as np
import pytest

from models.eval.ranking import available_rankers, make_ranker
from models.heatmap.model import shared_heatmap_model
from models.imaging import load_image
from models.procrop.fused_ranker import FusedRanker, FusedView
from models.scorer.model import judge_weights, load_scorer
from tests.conftest import SAMPLES

BOXES = np.array([[0.0, 0.0, 1.0, 1.0], [0.1, 0.05, 0.9, 0.85], [0.0, 0.3, 0.6, 1.0], [0.25, 0.2, 0.95, 0.9]])


@pytest.fixture(scope="module")
def image():
    return load_image(SAMPLES / "astronaut.jpg", max_side=256)


def test_the_fused_score_is_the_judge_plus_each_term_by_hand(image):
    ranker = make_ranker("judge-heatmap")
    assert "judge-heatmap" in available_rankers() and isinstance(ranker, FusedRanker)
    prepared = ranker.prepare(image)
    ratio = image.info.width / image.info.height
    got = ranker.score(prepared, BOXES, ratio)
    judge = load_scorer(judge_weights())
    judged = judge.score(judge.prepare(image.rgb), BOXES, ratio)
    heat = shared_heatmap_model().predict(image.rgb)
    inside = []  # the heatmap's mass inside each box, summed over its cells, minus the box's area
    hh, hw = heat.shape
    for x0, y0, x1, y1 in BOXES:
        cols = (np.arange(hw) + 0.5) / hw
        rows = (np.arange(hh) + 0.5) / hh
        m = np.outer((rows >= y0) & (rows < y1), (cols >= x0) & (cols < x1))
        inside.append(heat[m].sum() / heat.sum() - (x1 - x0) * (y1 - y0))
    area = (BOXES[:, 2] - BOXES[:, 0]) * (BOXES[:, 3] - BOXES[:, 1])
    off = np.hypot(BOXES[:, [0, 2]].mean(1) - 0.5, BOXES[:, [1, 3]].mean(1) - 0.5)
    expected = judged + ranker.area * area + ranker.heatmap * np.array(inside) - ranker.centre * off
    assert got == pytest.approx(expected, abs=1e-6)  # BOXES' edges fall on the 40 x 40 heatmap's cell edges


def test_each_weight_moves_the_ranking_its_own_way(image):
    ratio = image.info.width / image.info.height
    prepared = FusedRanker().prepare(image)
    by_area = FusedRanker(area=1e4).score(prepared, BOXES, ratio)
    assert int(np.argmax(by_area)) == 0  # the whole image is the largest
    by_centre = FusedRanker(centre=1e4).score(prepared, BOXES, ratio)
    assert int(np.argmin(by_centre)) == 2  # the one furthest off-centre
    assert isinstance(prepared, FusedView) and prepared.size == (image.info.width, image.info.height)


def test_score_before_prepare_is_a_clear_error():
    from models.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="prepare"):
        FusedRanker().score(None, BOXES, 1.0)
