"""Rankers as judges: ``cropstudio eval DIR --rank-candidates`` / ``--rank-pairs`` on small sets
the tests write, against hand-computed GAIC metrics."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.cli.main import main
from models.errors import InvalidInputError
from models.eval import ranking
from models.eval.datasets import DatasetError, load_annotations
from models.eval.metrics import candidate_acc, rank_correlations
from models.eval.rank_runner import evaluate_candidates, evaluate_pairs
from models.eval.ranking import LargestRanker, RandomRanker, make_ranker

# Image a: 12 graded crops, crop j has opinion score 12 - j (crop 0 best) and area 1 - 0.03 j.
# The fake ranker's order (best first) is 10, 0, 5, 11, 1, 2, 3, 4, 6, 7, 8, 9.
A_ORDER = [10, 0, 5, 11, 1, 2, 3, 4, 6, 7, 8, 9]
A_PRED = [0.0] * 12
for rank, j in enumerate(A_ORDER):
    A_PRED[j] = 12.0 - rank
A_BOXES = [[0.0, 0.0, 1.0 - 0.03 * j, 1.0] for j in range(12)]
A_MOS = [12.0 - j for j in range(12)]
# Image b: 3 crops; the fake ranker ties crops 0 and 1 (the listed order breaks the tie).
B_BOXES = [[0, 0, 1, 1], [0, 0, 0.5, 1], [0, 0, 0.8, 1]]
B_MOS = [1.0, 3.0, 2.0]
B_PRED = [0.5, 0.5, 0.1]
PRED = {"a.jpg": A_PRED, "b.jpg": B_PRED}

# Hand-computed: a) top-1 is crop 10 (in neither top 5 nor top 10); top 4 = 10, 0, 5, 11 holds
# one top-5 crop (0) and two top-10 crops (0, 5). b) 3 crops: every cut holds all of them.
# SRCC a = 1 - 6 * 226 / (12 * 143) = 360 / 1716 (no ties; d = pred rank - MOS rank:
# 1, 3, 3, 3, 3, -3, 2, 2, 2, 2, -10, -8); PCC a is the same (both are linear in the ranks).
# b: ranks (2.5, 2.5, 1) vs (1, 3, 2) have zero covariance, and so do the raw scores.
EXPECTED = {"acc_1_5": 0.5, "acc_4_5": (0.25 + 1) / 2, "acc_1_10": 0.5, "acc_4_10": (0.5 + 1) / 2,
            "srcc": 360 / 1716 / 2, "pcc": 360 / 1716 / 2}  # fmt: skip


@dataclass(frozen=True)
class Fake:
    name: str = "fake"

    def prepare(self, image):
        return image.info.path.name

    def score(self, prepared, boxes, image_ratio):
        return np.array(PRED[prepared])


def _photo(path: Path, seed: int) -> None:
    rgb = np.random.default_rng(seed).integers(0, 255, (40, 60, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(path)


@pytest.fixture
def graded(tmp_path: Path) -> Path:
    root = tmp_path / "graded"
    (root / "images").mkdir(parents=True)
    _photo(root / "images" / "a.jpg", 1)
    _photo(root / "images" / "b.jpg", 2)
    images = [
        {"file": "images/a.jpg", "width": 60, "height": 40, "crops": A_BOXES, "scores": A_MOS},
        {"file": "images/b.jpg", "width": 60, "height": 40, "crops": B_BOXES, "scores": B_MOS},
        {"file": "images/gone.jpg", "width": 60, "height": 40, "crops": B_BOXES, "scores": B_MOS},
    ]
    (root / "annotations.json").write_text(json.dumps({"name": "graded", "images": images}))
    pairs = [  # a.jpg: bigger wins (4:1), smaller wins (5:0), tie (skipped); b.jpg: bigger wins (3:2)
        {"file": "images/a.jpg", "pairs": [
            {"crop_0": [0, 0, 1, 1], "crop_1": [0, 0, 0.5, 0.5], "votes_0": 4, "votes_1": 1},
            {"crop_0": [0, 0, 1, 1], "crop_1": [0, 0, 0.5, 0.5], "votes_0": 0, "votes_1": 5},
            {"crop_0": [0, 0, 1, 1], "crop_1": [0, 0, 0.6, 0.5], "votes_0": 2, "votes_1": 2}]},
        {"file": "images/b.jpg", "pairs": [
            {"crop_0": [0, 0, 0.5, 1], "crop_1": [0, 0, 0.9, 1], "votes_0": 2, "votes_1": 3}]},
    ]  # fmt: skip
    (root / "ranking.json").write_text(json.dumps({"items": pairs}))
    return root


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setitem(ranking.RANKERS, "fake", Fake)
    return Fake()


def test_candidate_acc_by_hand():
    assert candidate_acc(A_PRED, A_MOS, 1, 5) == 0.0
    assert candidate_acc(A_PRED, A_MOS, 4, 5) == 0.25
    assert candidate_acc(A_PRED, A_MOS, 4, 10) == 0.5
    assert candidate_acc(B_PRED, B_MOS, 4, 5) == 1.0  # k capped at 3 crops
    assert candidate_acc([0.5, 0.5, 0.1], [1, 3, 2], 1, 1) == 0.0  # the tie keeps crop 0 first
    with pytest.raises(InvalidInputError, match="one predicted score"):
        candidate_acc([1.0], [1.0, 2.0], 1, 1)
    with pytest.raises(InvalidInputError, match="positive"):
        candidate_acc([1.0], [1.0], 0, 1)


def test_rank_correlations_by_hand():
    r, p = rank_correlations(A_PRED, A_MOS)
    assert r == pytest.approx(360 / 1716) and p == pytest.approx(360 / 1716)
    assert rank_correlations(B_PRED, B_MOS) == pytest.approx((0.0, 0.0))
    assert rank_correlations([1.0, 1.0, 1.0], [1, 2, 3]) == (0.0, 0.0)  # a constant ranker ranks nothing
    assert rank_correlations([3, 2, 1], [30, 20, 10]) == pytest.approx((1.0, 1.0))


def test_evaluate_candidates_matches_the_hand_computed_metrics(graded, fake):
    report = evaluate_candidates(load_annotations(graded), fake)
    assert report.n_images == 2 and report.skipped == 1
    for key, value in EXPECTED.items():
        assert getattr(report, key) == pytest.approx(value), key


def test_largest_first_and_random_baselines(graded):
    aset = load_annotations(graded)
    largest = evaluate_candidates(aset, LargestRanker())
    # a: areas fall with the opinion score (all right, SRCC 1); b: area order 0, 2, 1 is the
    # opinion order reversed (SRCC -1); three crops make every ACC cut 1 on b.
    assert (largest.acc_1_5, largest.acc_4_5, largest.acc_1_10, largest.acc_4_10) == (1.0, 1.0, 1.0, 1.0)
    assert largest.srcc == pytest.approx(0.0)
    first, again = evaluate_candidates(aset, RandomRanker()), evaluate_candidates(aset, RandomRanker())
    assert first == dataclass_replace_time(again, first.ms_per_image)  # seeded by the file name
    assert -1 <= first.srcc <= 1 and 0 <= first.acc_4_10 <= 1


def dataclass_replace_time(report, ms):
    from dataclasses import replace

    return replace(report, ms_per_image=ms)


def test_evaluate_candidates_needs_graded_crops(tmp_path):
    (tmp_path / "annotations.json").write_text(json.dumps({"images": [
        {"file": "x.jpg", "width": 10, "height": 10, "crops": [[0, 0, 1, 1]]}]}))  # fmt: skip
    with pytest.raises(DatasetError, match="no graded crops"):
        evaluate_candidates(load_annotations(tmp_path), LargestRanker())


def test_pair_accuracy_by_hand(graded):
    # largest: right on a's first pair (weight 3/5), wrong on its second (5/5), right on b's (1/5)
    report = evaluate_pairs(graded, LargestRanker(), holdout_only=False)
    assert report.n_pairs == 3 and report.n_images == 2
    assert report.accuracy == pytest.approx(2 / 3)
    assert report.weighted == pytest.approx((0.6 + 0.2) / (0.6 + 1.0 + 0.2))
    with pytest.raises(DatasetError, match="ranking.json"):
        evaluate_pairs(graded / "images", LargestRanker())


def test_cli_rank_candidates_json_and_table(graded, fake, capsys):
    code = main(["eval", str(graded), "--rank-candidates", "--method", "fake", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["task"] == "rank-candidates"
    assert [r["method"] for r in data["results"]] == ["fake", "random", "largest"]
    for key, value in EXPECTED.items():
        assert data["results"][0][key] == pytest.approx(value), key
    code = main(["eval", str(graded), "--rank-candidates", "--method", "fake", "--no-baselines"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and lines[1].split()[:7] == ["method", "ACC1/5", "ACC4/5", "ACC1/10", "ACC4/10", "SRCC", "PCC"]
    assert lines[2].split()[:7] == ["fake", "50.0", "62.5", "50.0", "75.0", "0.105", "0.105"]


def test_cli_rank_pairs(graded, capsys):
    code = main(["eval", str(graded), "--rank-pairs", "--all-images", "--method", "largest", "--no-baselines", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    (result,) = json.loads(out)["results"]
    assert result["accuracy"] == pytest.approx(2 / 3) and result["n_pairs"] == 3


def test_cli_unknown_ranker_exits_2(graded, capsys):
    assert main(["eval", str(graded), "--rank-candidates", "--method", "nope"]) == 2
    assert "error: unknown ranker 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["scorer", "judge"])
def test_scorer_rankers_are_registered_and_score_boxes(graded, name):
    report = evaluate_candidates(load_annotations(graded), make_ranker(name))
    assert report.n_images == 2 and -1 <= report.srcc <= 1 and report.method == name


def test_bundled_judge_says_how_it_was_made():
    from models.scorer.model import judge_weights, load_scorer

    judge = load_scorer(judge_weights())
    meta = judge.meta
    assert judge.config.rod == 3 and "train scorer" in meta["command"] and "--pro" in meta["command"]
    assert meta["holdout_excluded"] and meta["seed"] == 0 and "pro_portraits" in meta["data"]
