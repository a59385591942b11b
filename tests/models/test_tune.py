"""`cropstudio tune` on a small synthetic training folder."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from models.cli.main import main
from models.constraints.devset import TEMPLATES, constraint_items
from models.constraints.tune import tune_weights
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
