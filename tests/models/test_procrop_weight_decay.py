"""``train procrop --weight-decay``: the decay reaches AdamW (same seed, other weights than a run
without it), the meta records it, bad values are refused (CPU, the tiny data set)."""

from __future__ import annotations

import pytest
import torch

from models.cli.main import main
from models.errors import InvalidInputError
from models.nn.checkpoint import load_checkpoint
from models.procrop.model import KIND
from models.procrop.train import ProCropTraining
from tests.tiny_procrop import tiny_indexed_folder

TINY = ["--epochs", "1", "--batch", "2", "--seed", "3", "--all-images"]


def test_the_decay_reaches_the_optimiser_and_the_meta(tmp_path, capsys):
    folder, index = tiny_indexed_folder(tmp_path)
    index = str(index)
    runs = {}
    for name, wd in (("none", "0"), ("strong", "0.5")):
        out = tmp_path / f"{name}.pt"
        assert main(["train", "procrop", str(folder), "--out", str(out), "--index", index, "--weight-decay", wd, *TINY]) == 0
        runs[name] = load_checkpoint(out, KIND)
    assert [r["meta"]["weight_decay"] for r in runs.values()] == [0.0, 0.5]
    a, b = (r["state_dict"] for r in runs.values())
    assert any(not torch.equal(a[k], b[k]) for k in a if a[k].is_floating_point())
    assert main(["train", "procrop", str(folder), "--out", str(tmp_path / "x.pt"), "--index", index, "--weight-decay", "-1"]) == 2
    assert "weight_decay must be in [0, 1), got -1.0" in capsys.readouterr().err


@pytest.mark.parametrize("field, value", [("epochs", 0), ("batch", 0), ("batch", 2.5), ("lr", 0.0), ("lr", float("nan")),
                                          ("clip", -1.0), ("ema", 1.0), ("ema", -0.1), ("weight_decay", 1.5),
                                          ("weight_decay", float("inf"))])  # fmt: skip
def test_bad_training_settings_are_refused_with_their_name(field, value):
    with pytest.raises(InvalidInputError, match=f"ProCrop training: {field} must"):
        ProCropTraining(**{field: value})
    ProCropTraining()  # the defaults hold
