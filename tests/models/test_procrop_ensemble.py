"""ProCrop ensembles: the members' nearest-query vote against a brute-force loop, an ensemble
of copies scoring as one network, and ``train procrop --members`` training each member as a
single run of its seed would (tiny models, CPU, seconds)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image
from hypothesis import given, settings
from hypothesis import strategies as st

from models.cli.main import main
from models.nn.checkpoint import load_checkpoint
from models.procrop.model import KIND, ProCropConfig, ProCropEnsemble, build_model, nearest_vote
from models.procrop.predictor import load_predictor
from models.procrop.train import ProCropTraining, train_procrop
from tests.tiny_procrop import TINY_DECODER as TINY
from tests.tiny_procrop import tiny_indexed_folder



def _iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def _boxes(draw, n: int) -> torch.Tensor:
    out = []
    for _ in range(n):
        x0, y0 = draw(st.floats(0, 0.7)), draw(st.floats(0, 0.7))
        out.append([x0, y0, x0 + draw(st.floats(0.05, 0.3)), y0 + draw(st.floats(0.05, 0.3))])
    return torch.tensor(out, dtype=torch.float64)


@settings(max_examples=40, deadline=None)
@given(st.data(), st.integers(1, 4), st.integers(1, 5))
def test_the_vote_is_the_mean_probability_of_each_members_nearest_query(data, members, queries):
    boxes = [_boxes(data.draw, queries) for _ in range(members)]
    logits = [torch.tensor(data.draw(st.lists(st.floats(-4, 4), min_size=queries, max_size=queries)), dtype=torch.float64)
              for _ in range(members)]  # fmt: skip
    pool, fused = nearest_vote(boxes, logits)
    assert pool.shape == (members * queries, 4)
    flat = [b.tolist() for bs in boxes for b in bs]
    for i, box in enumerate(flat):
        votes = []
        for bs, ls in zip(boxes, logits):
            ious = [_iou(box, q.tolist()) for q in bs]
            votes.append(float(torch.sigmoid(ls[int(np.argmax(ious))])))  # first of equal IoUs, as argmax
        assert float(torch.sigmoid(fused[i])) == pytest.approx(np.mean(votes), abs=1e-6)


def test_one_member_is_unchanged_and_copies_score_as_one_network():
    torch.manual_seed(0)
    query, ratios, refs = torch.randn(2, 320, 10, 10), torch.tensor([1.5, 0.75]), torch.randn(2, 2, 64, 4, 4)
    single = build_model(TINY).eval()
    b = torch.rand(5, 4)
    assert nearest_vote([b], [torch.arange(5.0)])[1].tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    ensemble = build_model(ProCropConfig(**{**TINY.to_dict(), "members": 3})).eval()
    assert isinstance(ensemble, ProCropEnsemble)
    for member in ensemble.members:
        member.load_state_dict(single.state_dict())
    with torch.no_grad():
        one, three = single(query, ratios, refs), ensemble(query, ratios, refs)
    assert three.boxes.shape == (2, 18, 4) and three.logits.shape == (2, 18) and len(three.layers) == 1
    for k in range(3):  # every copy's box gets its own probability: the copies agree
        assert torch.allclose(three.boxes[:, 6 * k : 6 * (k + 1)], one.boxes)
        assert torch.allclose(three.logits[:, 6 * k : 6 * (k + 1)].sigmoid(), one.logits.sigmoid(), atol=1e-5)


def test_training_members_trains_each_as_its_seeds_single_run(tmp_path, capsys):
    folder, index = tiny_indexed_folder(tmp_path)
    base = ProCropTraining(epochs=1, batch=2, holdout=False)
    singles = []
    for seed in (3, 4):
        train_procrop(folder, tmp_path / f"s{seed}.pt", settings=replace(base, seed=seed), config=TINY, index=index)
        singles.append(load_checkpoint(tmp_path / f"s{seed}.pt", KIND)["state_dict"])
    out = tmp_path / "ens.pt"
    meta = train_procrop(folder, out, settings=replace(base, seed=3),
                         config=ProCropConfig(**{**TINY.to_dict(), "members": 2}), index=index)  # fmt: skip
    data = load_checkpoint(out, KIND)
    assert data["config"]["members"] == 2 and meta["member_seeds"] == [3, 4] and meta["weights_dtype"] == "float16"
    assert [c["member_seed"] for c in meta["curve"]] == [3, 4]
    for i, single in enumerate(singles):
        for name, value in single.items():
            stored = data["state_dict"][f"members.{i}.{name}"]
            assert stored.dtype == (torch.float16 if value.is_floating_point() else value.dtype)
            assert torch.equal(stored, value.half() if value.is_floating_point() else value), name
    predictor = load_predictor(out, index, rerank=None)  # loads into float32 parameters and suggests
    rgb = np.asarray(Image.open(next((folder / "images").iterdir())).convert("RGB"))
    predictor.set_image(rgb)
    assert predictor.queries.boxes.shape == (12, 4) and len(predictor.suggest(3).items) >= 1
    assert main(["train", "procrop", str(folder), "--out", str(tmp_path / "x.pt"), "--members", "0", "--index", str(index)]) == 2
    assert "--members must be at least 1" in capsys.readouterr().err
