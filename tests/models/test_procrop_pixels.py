"""ProCrop's boxes at its boundary are whole pixels of the upright image (issue 16).

:func:`models.procrop.ranking.rank` on queries of any image size (no network needed: the
queries are what ``set_image`` caches): every returned box has whole-pixel edges inside the
image, is not empty, has the requested ratio within one pixel, and keeps a layout's keep
region in and its avoid region out.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from models.errors import InvalidInputError
from models.geometry import Box
from models.procrop.ranking import Queries, rank

RATIOS = (None, 1.0, 16 / 9, 4 / 5, 1.91, 9 / 16)


def _queries(seed: int, size: tuple[int, int], n: int = 12) -> Queries:
    """``n`` random normalised boxes at least 1 % of the image a side (as the network's, cleaned)."""
    rng = np.random.default_rng(seed)
    x0, y0 = rng.uniform(0, 0.99, n), rng.uniform(0, 0.99, n)
    x1, y1 = x0 + rng.uniform(0.01, 1, n) * (1 - x0), y0 + rng.uniform(0.01, 1, n) * (1 - y0)
    boxes = np.clip(np.stack([x0, y0, x1, y1], 1), 0, 1)
    return Queries(boxes, rng.uniform(0.01, 0.99, n), (), (), size)


def _within_a_pixel(box: Box, aspect: float) -> bool:
    """Whether the box's width is ``aspect`` x its height to a pixel (or its height the width / aspect)."""
    return min(abs(box.width - aspect * box.height), abs(box.height - box.width / aspect)) <= 1 + 1e-9


def _check(found, size: tuple[int, int], aspect: float | None) -> None:
    w, h = size
    assert found.items
    for s in found.items:
        b = s.box
        assert b == b.rounded(), b  # whole pixels
        assert 0 <= b.x0 < b.x1 <= w and 0 <= b.y0 < b.y1 <= h, (b, size)  # inside, not empty
        if aspect is not None:
            assert _within_a_pixel(b, aspect), (b, aspect)


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), w=st.integers(1, 6000), h=st.integers(1, 6000),
       aspect=st.sampled_from(RATIOS), top=st.integers(1, 8), iou=st.floats(0.0, 1.0))  # fmt: skip
def test_every_box_is_whole_pixels_inside_the_image_at_the_ratio(seed, w, h, aspect, top, iou):
    found = rank(_queries(seed, (w, h)), top, aspect=aspect, iou_threshold=iou)
    assert len(found.items) <= top
    _check(found, (w, h), aspect)


@pytest.mark.parametrize("aspect", RATIOS)
@pytest.mark.parametrize("size", [(451, 300), (300, 451), (4000, 3000), (1080, 1920)])
def test_a_layout_holds_in_whole_pixels(size, aspect):
    w, h = size
    keep = Box(round(0.40 * w), round(0.35 * h), round(0.55 * w), round(0.55 * h))
    avoid = Box(0, 0, round(0.15 * w), round(0.15 * h))
    found = rank(_queries(7, size, 40), 4, aspect=aspect, keep=(keep,), avoid=(avoid,))
    _check(found, size, aspect)
    for s in found.items:
        assert s.box.contains(keep), (s.box, keep)
        assert (met := s.box.intersection(avoid)) is None or met.area == 0, (s.box, avoid)


def test_the_same_queries_in_a_larger_image_give_the_same_crops_scaled():
    small, large = _queries(3, (451, 300)), _queries(3, (4510, 3000))
    for aspect in RATIOS:
        a, b = rank(small, 5, aspect=aspect).items, rank(large, 5, aspect=aspect).items
        assert len(a) == len(b)
        for p, q in zip(a, b):
            # the same crop up to each grid's snap (which may move a thin box's edge a few pixels
            # for its ratio): the small image's box, scaled, overlaps the large one's almost whole
            scaled = Box(*(10 * v for v in p.box.as_tuple()))
            assert scaled.iou(q.box) >= 0.95, (p.box, q.box)


def test_queries_refuse_a_size_that_is_not_whole_pixels():
    with pytest.raises(InvalidInputError, match="whole numbers"):
        _queries(0, (451.5, 300))  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError, match="whole numbers"):
        _queries(0, (0, 300))
