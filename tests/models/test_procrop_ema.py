"""``train procrop --ema``: the saved network is the moving average of the weights, the raw
trajectory (its losses) is the run without it, and bad decays are refused (tiny models, CPU)."""

from __future__ import annotations

from dataclasses import replace

import torch

from models.cli.main import main
from models.nn.checkpoint import load_checkpoint
from models.procrop.model import KIND
from models.procrop.train import ProCropTraining, train_procrop
from tests.tiny_procrop import TINY_DECODER as TINY
from tests.tiny_procrop import tiny_indexed_folder


def test_the_average_is_saved_and_the_raw_run_is_unchanged(tmp_path, capsys):
    folder, index = tiny_indexed_folder(tmp_path)
    base = ProCropTraining(epochs=2, batch=2, holdout=False, seed=5)
    runs = {}
    for name, decay in (("raw", 0.0), ("last", 1e-12), ("ema", 0.9)):
        meta = train_procrop(folder, tmp_path / f"{name}.pt", settings=replace(base, ema=decay), config=TINY, index=index)
        runs[name] = (meta, load_checkpoint(tmp_path / f"{name}.pt", KIND)["state_dict"])
    raw, last, ema = (runs[n][1] for n in ("raw", "last", "ema"))
    assert [p["loss"] for p in runs["ema"][0]["curve"]] == [p["loss"] for p in runs["raw"][0]["curve"]]
    assert runs["ema"][0]["ema"] == 0.9 and "ema" not in runs["raw"][0]
    assert runs["raw"][0]["threads"] == torch.get_num_threads()
    floats = [k for k, v in raw.items() if v.is_floating_point()]
    assert all(torch.allclose(last[k], raw[k], atol=1e-6) for k in floats)  # decay ~0: the last weights
    assert max(float((ema[k] - raw[k]).abs().max()) for k in floats) > 1e-4  # decay 0.9: an average
    assert main(["train", "procrop", str(folder), "--out", str(tmp_path / "x.pt"), "--ema", "1", "--index", str(index)]) == 2
    assert "ema must be in [0, 1)" in capsys.readouterr().err
