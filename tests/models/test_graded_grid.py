"""GAIC's candidate grid, the judge's graded-grid pairs and the graded proxy set built from them."""

from __future__ import annotations

import itertools
import json
import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.eval.datasets import load_annotations
from models.geometry import Box
from models.scorer.grid import gaic_anchors
from models.scorer.train import Sample, ScorerTraining, _pairs
from models.scorer.views import anchor_pairs
from tests.bench import graded_proxy
from tests.tiny_data import NAMES, tiny_folder


def test_a_square_image_has_gaics_90_candidates_and_never_the_whole_image():
    a = gaic_anchors(1.0)
    # by hand: widths and heights of 5-11 bins with w * h >= 72 of 144; a width of w bins can be
    # placed (x0 in 0..3, x1 in 8..11) in 1, 2, 3, 4, 3, 2, 1 ways for w = 5..11:
    # w 7: h 11 (3 x 1); w 8: h 9-11 (4 x 6); w 9: h 8-11 (3 x 10); w 10: h 8-11 (2 x 10); w 11: h 7-11 (1 x 13)
    assert len(a) == 3 + 24 + 30 + 20 + 13 == 90
    assert not (a == [0, 0, 1, 1]).all(axis=1).any() and a[:, 2].max() == pytest.approx(11 / 12)
    area = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    assert area.min() >= 0.5 - 1e-12 and len(np.unique(a.round(9), axis=0)) == 90


@settings(max_examples=40, deadline=None)
@given(st.fractions(min_value=Fraction(1, 4), max_value=Fraction(4, 1), max_denominator=50))
def test_gaic_anchors_are_every_grid_box_that_keeps_the_rules(ratio):
    lines = [Fraction(i, 12) for i in range(13)]
    brute = {
        (x0, y0, x1, y1)
        for x0, y0, x1, y1 in itertools.product(lines, repeat=4)
        if x0 < Fraction(1, 3) and y0 < Fraction(1, 3) and Fraction(2, 3) <= x1 < 1 and Fraction(2, 3) <= y1 < 1
        and (x1 - x0) * (y1 - y0) >= Fraction(1, 2) and Fraction(1, 2) < (x1 - x0) / (y1 - y0) * ratio < 2
    }  # fmt: skip
    got = {tuple(Fraction(round(v * 12), 12) for v in box) for box in gaic_anchors(float(ratio))}
    assert got == brute


def test_gaic_anchors_refuse_a_ratio_that_is_not_positive():
    with pytest.raises(ValueError, match="positive"):
        gaic_anchors(0.0)


def test_anchor_pairs_put_the_candidate_nearer_the_label_first():
    label = Box(0.1, 0.0, 0.9, 0.8)
    anchors = [Box(*a) for a in gaic_anchors(1.5)]
    pairs = anchor_pairs([label], anchors, 20, random.Random(3))
    assert len(pairs) == 20
    assert all(a.iou(label) >= b.iou(label) + 0.1 for a, b in pairs)
    assert anchor_pairs([], anchors, 5, random.Random(0)) == [] and anchor_pairs([label], anchors[:1], 5, random.Random(0)) == []


def test_the_grid_signal_pairs_only_images_with_an_expert_crop():
    expert = Sample(None, 0, 1.5, expert=(Box(0.2, 0.1, 0.9, 0.9),))  # type: ignore[arg-type]
    pro = Sample(None, 1, 1.5, frame=Box(0, 0, 1, 1))  # type: ignore[arg-type]
    off = ScorerTraining(w_pairs=0, w_expert=0)
    rng = random.Random(0)
    assert _pairs(expert, off, rng) == []  # off by default
    on = _pairs(expert, ScorerTraining(w_pairs=0, w_expert=0, w_grid=0.5, grid=6), rng)
    assert len(on) == 6 and all(w == 0.5 and a.iou(expert.expert[0]) > b.iou(expert.expert[0]) for a, b, w in on)
    assert _pairs(pro, ScorerTraining(w_pairs=0, w_expert=0, w_grid=0.5), rng) == []


def test_the_graded_proxy_grades_each_candidate_by_its_iou_with_the_expert_crop(tmp_path):
    folder = tiny_folder(tmp_path / "src")
    assert graded_proxy.main([str(folder), "--out", str(tmp_path / "g"), "--all"]) == 0
    graded = load_annotations(tmp_path / "g")
    source = {im.file.name: im for im in load_annotations(folder).items}
    assert len(graded.items) == len(source) == 4
    for im in graded.items:
        crop = source[im.file.name].crops[0]
        assert im.file.is_file() and len(im.crops) == len(gaic_anchors(im.width / im.height)) > 50
        assert im.scores == pytest.approx([c.iou(crop) for c in im.crops], abs=1e-4)
    assert graded_proxy.main([str(folder), "--out", str(tmp_path / "g")]) == 2  # never writes over a folder
    doc = json.loads((tmp_path / "g" / "annotations.json").read_text())
    assert "IoU" in doc["box_format"]


def test_the_graded_proxy_takes_only_the_hold_out_fifth_and_refuses_a_folder_with_none(tmp_path, capsys):
    from models.eval.split import is_holdout

    folder = tiny_folder(tmp_path / "src")
    held = sorted(n for n in NAMES if is_holdout(n))
    assert held and len(held) < len(NAMES)
    assert graded_proxy.main([str(folder), "--out", str(tmp_path / "g")]) == 0
    assert sorted(im.file.name for im in load_annotations(tmp_path / "g").items) == held
    doc = json.loads((folder / "annotations.json").read_text())
    doc["images"] = [e for e in doc["images"] if not is_holdout(Path(e["file"]).name)]
    (folder / "annotations.json").write_text(json.dumps(doc))
    assert graded_proxy.main([str(folder), "--out", str(tmp_path / "none")]) == 2
    assert "no hold-out image" in capsys.readouterr().err and not (tmp_path / "none").exists()
