"""Refinement rounds (issue 5, seed sec. 3.3): pseudo-labels appended, frame kept, rounds resumable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.dataset_builder.manifest import JOURNAL
from models.dataset_builder.refine import Proposal, RefineSettings, curate
from models.dataset_builder.runner import BuildSettings, build_dataset
from models.eval.datasets import load_annotations
from tests.models.test_dataset_builder import make_photos


def test_curate_keeps_diverse_top_scored_crops() -> None:
    frame = (0.1, 0.1, 0.9, 0.9)
    props = [Proposal((0.1, 0.1, 0.9, 0.9), 0.99),  # the frame again: dropped
             Proposal((0.0, 0.0, 0.6, 0.6), 0.8), Proposal((0.0, 0.0, 0.61, 0.6), 0.7),  # near-duplicates
             Proposal((0.4, 0.3, 1.0, 1.0), 0.6), Proposal((0.5, 0.5, 0.55, 0.55), 0.95),  # too small
             Proposal((0.2, 0.2, 0.8, 0.8), 0.3)]  # fmt: skip
    kept = curate(props, [frame], RefineSettings(top_k=3, max_iou=0.6, min_area=0.1, min_inside=0.5))
    assert kept == ((0.0, 0.0, 0.6, 0.6), (0.4, 0.3, 1.0, 1.0), (0.2, 0.2, 0.8, 0.8))
    # by default a crop must lie at least 75 % inside the photo's frame
    assert curate(props, [frame], RefineSettings(top_k=3, max_iou=0.6, min_area=0.1)) == ((0.2, 0.2, 0.8, 0.8),)


def _fake_models(calls: list):
    def trainer(folder, weights, r, settings):
        calls.append(("train", r, len(load_annotations(folder).items)))
        weights.write_bytes(b"w")
        return {"fake": True}

    def proposer(weights, images, settings, tick):
        calls.append(("propose", weights.name, len(images)))
        return [[Proposal((0.0, 0.0, 0.5 + 0.1 * (i % 3), 0.6), 0.9), Proposal((0.3, 0.3, 1.0, 1.0), 0.5)]
                for i, _ in enumerate(images)]  # fmt: skip

    return trainer, proposer


def test_rounds_append_pseudo_labels_and_are_not_redone(tmp_path: Path) -> None:
    src = make_photos(tmp_path / "photos", 4)
    calls: list = []
    trainer, proposer = _fake_models(calls)
    refine = RefineSettings(top_k=1, max_iou=0.5, min_inside=0.0)
    report = build_dataset(BuildSettings(src, tmp_path / "out", 5, canvas=96, rounds=2), refine=refine,
                           trainer=trainer, proposer=proposer)  # fmt: skip
    assert report.rounds == 2 and not report.cancelled
    assert [c[0] for c in calls] == ["train", "propose", "train", "propose"]
    data = json.loads((tmp_path / "out" / "annotations.json").read_text())
    for entry in data["images"]:
        assert entry["label_kinds"][0] == "frame" and set(entry["label_kinds"][1:]) <= {"round-1", "round-2"}
        assert len(entry["crops"]) == len(entry["label_kinds"]) >= 2
    assert len(load_annotations(tmp_path / "out").items) == 5
    rounds = [json.loads(x) for x in (tmp_path / "out" / JOURNAL).read_text().splitlines() if '"round"' in x]
    assert [r["round"] for r in rounds] == [1, 2]
    calls.clear()
    again = build_dataset(BuildSettings(src, tmp_path / "out", 5, canvas=96, rounds=3), refine=refine,
                          trainer=trainer, proposer=proposer)  # fmt: skip
    assert again.rounds == 3 and [c[:2] for c in calls] == [("train", 3), ("propose", "round-3.pt")]


@pytest.mark.slow
def test_one_real_procrop_round_end_to_end(tmp_path: Path) -> None:
    src = make_photos(tmp_path / "photos", 6, size=(128, 96))
    report = build_dataset(BuildSettings(src, tmp_path / "out", 6, canvas=128, rounds=1),
                           refine=RefineSettings(epochs=1, proposals=6, top_k=2, min_area=0.05, min_inside=0.0))  # fmt: skip
    assert report.rounds == 1 and report.images == 6
    aset = load_annotations(tmp_path / "out")
    assert all(len(item.crops) >= 1 for item in aset.items)
    data = json.loads((tmp_path / "out" / "annotations.json").read_text())
    assert any("round-1" in e["label_kinds"] for e in data["images"])
    assert (tmp_path / "out" / "refine" / "round-1.pt").is_file()
