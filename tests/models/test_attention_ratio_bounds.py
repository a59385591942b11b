"""Free-ratio attention crops bounded by the ratios FCDB's experts use (issue 19: no slivers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.attention import RectangleSearch, attention_crop
from models.attention.crop import EXPERT_FREE_RATIOS
from models.attention.saliency import AttentionMap
from tests.bench.expert_ratios import DEFAULT, expert_ratios


def _pole(shape: tuple[int, int], size: tuple[int, int]) -> AttentionMap:
    """All attention in one narrow vertical strip: the free P1 crop is a sliver."""
    values = np.zeros(shape, np.float32)
    m, n = shape
    values[:, n // 2 - 1 : n // 2 + 1] = 1.0
    return AttentionMap(values, size, "test")


@pytest.mark.skipif(not (DEFAULT / "annotations.json").is_file(), reason="needs ../shared/data/fcdb_train")
def test_the_bound_is_what_every_fcdb_expert_crop_respects():
    r = expert_ratios(DEFAULT)
    low, high = (b.value for b in EXPERT_FREE_RATIOS)
    assert low - 0.01 <= r[0] and r[-1] <= high + 0.01  # every crop inside
    assert r[0] == pytest.approx(low, abs=0.02) and r[-1] == pytest.approx(high, abs=0.02)  # and tight


def test_a_sliver_is_held_at_the_narrowest_expert_ratio():
    att = _pole((64, 64), (640, 640))
    search = RectangleSearch(att.values)
    free = attention_crop(att, search, tau=0.9)
    assert free.boxes[0].width / free.boxes[0].height < 0.1  # the seed's P1: a sliver
    bounded = attention_crop(att, search, tau=0.9, ratio_bounds=EXPERT_FREE_RATIOS)
    box = bounded.boxes[0]
    assert box.width / box.height == pytest.approx(0.5, abs=0.01)
    assert box.contains(free.boxes[0], tol=0.5) and bounded.aspect is None and "sliver" in bounded.note


def test_an_image_narrower_than_the_bound_widens_it():
    att = _pole((64, 16), (100, 400))  # the image itself is 1:4
    bounded = attention_crop(att, RectangleSearch(att.values), tau=0.9, ratio_bounds=EXPERT_FREE_RATIOS)
    free = attention_crop(att, RectangleSearch(att.values), tau=0.9)
    assert bounded.boxes == free.boxes
