"""`cropstudio tune` on a small synthetic training folder."""

from __future__ import annotations

import json

from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image

from models.cli.main import main
from models.constraints.devset import TEMPLATES, constraint_items
from models.constraints.tune import FACE_CUT, DevItems, dev_items, grid_search, tune_weights
from models.eval.datasets import load_annotations


def make_folder(tmp_path, count=3):
    rng = np.random.default_rng(0)
    (tmp_path / "images").mkdir()
    entries = []
    for i in range(count):
        Image.fromarray(rng.integers(0, 255, (60, 80, 3), dtype=np.uint8)).save(tmp_path / f"images/{i}.jpg")
        crop = [0.0, 0.0, 0.9, 0.8] if i % 2 else [0.05, 0.1, 1.0, 1.0]
        entries.append({"file": f"images/{i}.jpg", "width": 80, "height": 60, "crops": [crop]})
    (tmp_path / "annotations.json").write_text(json.dumps({"name": "synthetic", "images": entries}))
    return tmp_path


def test_items_pair_each_crop_with_the_templates_inside_it(tmp_path):
    items = constraint_items(load_annotations(make_folder(tmp_path)))
    assert items and all(it.crop.contains(TEMPLATES[it.layout_index], tol=1e-6) for it in items)
    assert {it.layout_index for it in items} <= set(range(8))


def test_tune_ranks_settings_and_reports_the_bars(tmp_path, capsys):
    result = tune_weights(make_folder(tmp_path))
    ious = [iou for iou, _ in result.ranking]
    assert result.items > 0 and ious == sorted(ious, reverse=True)
    assert 0 < result.centred_iou <= result.grid_oracle_iou + 1e-9 <= 1 + 1e-9
    assert main(["tune", str(tmp_path), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "centred baseline" in out and len(out.strip().splitlines()) == 4 + 3


def _random_dev(rng, items=12, terms=3):
    matrices = tuple(rng.normal(size=(int(rng.integers(1, 30)), terms)).round(1) for _ in range(items))  # ties too
    ious = tuple(rng.uniform(0, 1, len(m)) for m in matrices)
    return DevItems(matrices, ious, rng.uniform(0, 1, items), items, np.arange(items))


@dataclass(frozen=True, slots=True)
class _W:
    a: float = 0.0
    b: float = 0.0
    face_cut: float = 0.0


def test_grid_search_matches_a_brute_force_loop():
    rng = np.random.default_rng(5)
    dev = _random_dev(rng)
    grid = {"a": (0.0, 0.5, 2.0), "b": (-1.0, 0.0, 1.0)}
    got = {w: iou for iou, w in grid_search(dev, _W, grid)}
    assert len(got) == 9
    for a in grid["a"]:
        for b in grid["b"]:
            picks = []
            for m, ious in zip(dev.matrices, dev.ious):
                totals = [a * row[0] + b * row[1] + FACE_CUT * row[2] for row in m]
                picks.append(ious[totals.index(max(totals))])  # the first of ties, as the search
            assert got[_W(a, b, FACE_CUT)] == pytest.approx(float(np.mean(picks)), abs=1e-12)
    ranked = [iou for iou, _ in grid_search(dev, _W, grid)]
    assert ranked == sorted(ranked, reverse=True)


def test_the_term_cache_round_trips_and_is_keyed(tmp_path, monkeypatch):
    import models.constraints.tune as tune

    (tmp_path / "data").mkdir()
    folder = make_folder(tmp_path / "data")
    cache = tmp_path / "terms.npz"
    first = tune_weights(folder, cache=cache)
    assert cache.is_file()
    monkeypatch.setattr(tune, "dev_items", lambda *a, **k: pytest.fail("recomputed a cached set"))
    again = tune_weights(folder, cache=cache)
    assert again.ranking == first.ranking and again.centred_iou == first.centred_iou
    monkeypatch.undo()
    calls = []
    monkeypatch.setattr(tune, "dev_items", lambda *a, **k: calls.append(k) or dev_items(*a, **k))
    assert tune_weights(folder, images=1, cache=cache).images == 1  # another key: computed again
    assert len(calls) == 1 and calls[0]["images"] == 1


def test_subsets_keep_their_images():
    dev = _random_dev(np.random.default_rng(1))
    dev = DevItems(dev.matrices, dev.ious, dev.centred, 4, np.array([0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 3, 3]))
    part = dev.subset(np.flatnonzero(np.isin(dev.image_of, [1, 3])))
    assert part.images == 2 and len(part.ious) == 8 and part.matrices[0] is dev.matrices[2]
