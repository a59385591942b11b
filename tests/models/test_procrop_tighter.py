"""ProCrop's suggestions at a ratio far from the image's: the tighter framings fill the list
only after every box fitted around a query (models.cropping.methods._tighter)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models import cropping
from models.cropping.methods import TIGHTER, get_method
from models.geometry import AspectRatio, Box
from models.imaging import ImageInfo, LoadedImage
from models.procrop.ranking import Queries
from models.subjects import Head, Subjects

W, H = 400, 600  # a portrait, cropped to 16:9


def _analysis(sides: list[float], scores: list[float], *, size: tuple[int, int] = (W, H), heads: tuple[Box, ...] = (),
              boxes: list[list[float]] | None = None) -> cropping.Analysis:  # fmt: skip
    """Queries centred on the image, ``sides`` of its width and height each (or ``boxes``,
    normalised), with these ``heads``."""
    w, h = size
    image = LoadedImage(ImageInfo(Path("p.png"), w, h, "PNG", "RGB", 1, None), np.zeros((h, w, 3), np.uint8))
    analysis = cropping.Analysis(image, Subjects((w, h), tuple(Head(b, b) for b in heads)))
    if boxes is None:
        boxes = [[0.5 - s / 2, 0.5 - s / 2, 0.5 + s / 2, 0.5 + s / 2] for s in sides]
    queries = Queries(np.array(boxes, np.float64), np.array(scores), (), (), (w, h))
    analysis.cached(get_method("procrop").key, lambda: queries)
    return analysis


def test_tighter_framings_come_after_every_fitted_box_and_stay_best_first():
    analysis = _analysis([1.0, 0.8, 0.6, 0.45], [0.9, 0.5, 0.3, 0.2])
    found = cropping.ranked(analysis, cropping.Request(AspectRatio(16, 9), method="procrop"), 5)
    # every query is taller than a full-width 16:9 box: fitted around, all four are that one box
    first = found[0].box
    assert (first.x0, first.x1, first.height) == (0, 400, 225) and abs(first.center[1] - H / 2) <= 1
    assert TIGHTER not in found[0].notes
    widths = [r.box.width for r in found[1:]]  # inside the 0.8, 0.6, 0.45 queries, snapped to whole pixels
    assert len(widths) == 3 and all(abs(w - e) <= 1 for w, e in zip(widths, (320, 240, 180)))
    assert all(TIGHTER in r.notes for r in found[1:])
    assert all(abs(r.box.width / r.box.height - 16 / 9) < 0.02 for r in found)
    assert all(a.box.iou(b.box) <= 0.7 for i, a in enumerate(found) for b in found[i + 1 :])
    scores = [r.score for r in found]
    assert scores == sorted(scores, reverse=True) and scores[0] == 0.9 and scores[1] < 0.2


def test_no_tighter_framing_when_the_fitted_boxes_are_enough_or_the_ratio_is_free():
    analysis = _analysis([1.0, 0.8, 0.6, 0.45], [0.9, 0.5, 0.3, 0.2])
    free = cropping.ranked(analysis, cropping.Request(None, method="procrop"), 5)
    assert free and all(TIGHTER not in r.notes for r in free)
    one = cropping.ranked(analysis, cropping.Request(AspectRatio(16, 9), method="procrop"), 1)
    assert len(one) == 1 and TIGHTER not in one[0].notes


def test_the_engine_builds_the_fallbacks_only_as_far_as_it_reads_them(monkeypatch):
    import models.cropping.methods as methods

    drawn = {"queries": 0, "tighter": 0}

    def counted(name, make):
        def wrapper(*args, **kwargs):
            for item in make(*args, **kwargs):
                drawn[name] += 1
                yield item
        return wrapper

    monkeypatch.setattr(methods, "query_suggestions", counted("queries", methods.query_suggestions))
    monkeypatch.setattr(methods, "_tighter", counted("tighter", methods._tighter))
    analysis = _analysis([1.0, 0.8, 0.6, 0.45], [0.9, 0.5, 0.3, 0.2])
    one = cropping.ranked(analysis, cropping.Request(AspectRatio(16, 9), method="procrop"), 1)
    assert len(one) == 1 and drawn == {"queries": 0, "tighter": 0}  # the voted list held it
    five = cropping.ranked(analysis, cropping.Request(AspectRatio(16, 9), method="procrop"), 5)
    # five asked, four exist: the queries' own boxes all repeat the voted one, and of the four
    # tighter framings the widest (inside the full query) repeats it too; every proposal read
    assert len(five) == 4 and drawn == {"queries": 4, "tighter": 4}


def test_proposals_moved_onto_a_shown_crop_are_shifted_instead_so_every_head_stays_whole():
    # the README's case: a square photo whose head touches the top, ProCrop's boxes lower down;
    # nearest by overlap, each moved box would be the one full-width 16:9 box
    head = Box(143, 0, 315, 186)
    boxes = [[0.0, 0.22, 1.0, 0.78], [0.1, 0.3, 0.85, 0.72], [0.25, 0.4, 0.75, 0.68], [0.0, 0.44, 1.0, 1.0]]  # 16:9
    analysis = _analysis([], [0.9, 0.5, 0.4, 0.3], size=(512, 512), heads=(head,), boxes=boxes)
    found = cropping.ranked(analysis, cropping.Request(AspectRatio(16, 9), method="procrop"), 5)
    assert found[0].box.as_tuple() == (0, 0, 512, 288)
    # the second query (384 x 215), shifted up about its own size; the third, grown to hold the
    # head (331 x 186 at least), and the fourth, full width, repeat one of these two
    assert len(found) == 2 and found[1].box.y0 == 0 and abs(found[1].box.width - 384) <= 3
    assert all(r.box.contains(head) and not r.left_out_heads for r in found)
    assert all(a.box.iou(b.box) <= 0.7 for i, a in enumerate(found) for b in found[i + 1 :])
