"""The learned heads of the design-constraints method: shapes, one training step, weights
files, and the heatmap / proposal methods end to end on tiny weights trained here."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from models.cli.main import main
from models.constraints.learned import HeatmapSource, ProposalCropper, heatmap_cropper
from models.constraints.problem import CropProblem
from models.errors import InvalidInputError
from models.geometry import AspectRatio, Box
from models.heatmap.head import HeatmapConfig, HeatmapHead
from models.heatmap.model import load_heatmap_model
from models.heatmap.target import box_coverage, pseudo_heatmap
from models.heatmap.train import HeatmapTraining, train_heatmap
from models.imaging import load_image
from models.nn.backbone import build_backbone, image_tensor
from models.nn.checkpoint import load_checkpoint, save_checkpoint
from models.nn.roi import roi_pool
from models.scorer.model import CropScorer, ScorerConfig, load_scorer
from models.scorer.train import ScorerTraining, ranking_pairs, train_scorer

SAMPLES = ("astronaut.jpg", "chelsea.jpg", "coffee.jpg", "rocket.jpg")


@pytest.fixture(scope="module")
def backbone():
    return build_backbone()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Four sample photos with one expert crop each and a ranking file (holdout kept in)."""
    from tests.conftest import SAMPLES as SAMPLE_DIR

    root = tmp_path_factory.mktemp("train")
    (root / "images").mkdir()
    entries, ranking = [], []
    for i, name in enumerate(SAMPLES):
        img = Image.open(SAMPLE_DIR / name)
        img.thumbnail((160, 160))
        img.save(root / "images" / name)
        crop = [0.1, 0.05, 0.9, 0.95] if i % 2 else [0.0, 0.0, 0.8, 0.9]
        entries.append({"file": f"images/{name}", "width": img.width, "height": img.height, "crops": [crop]})
        ranking.append({"file": f"images/{name}", "pairs": [
            {"crop_0": [0.0, 0.0, 0.5, 0.5], "crop_1": [0.2, 0.2, 0.8, 0.8], "votes_0": 1, "votes_1": 4},
            {"crop_0": [0.1, 0.1, 0.6, 0.6], "crop_1": [0.2, 0.2, 0.7, 0.7], "votes_0": 2, "votes_1": 2},
        ]})  # fmt: skip
    (root / "annotations.json").write_text(json.dumps({"name": "tiny", "images": entries}))
    (root / "ranking.json").write_text(json.dumps({"name": "tiny", "items": ranking}))
    return root


@pytest.fixture(scope="module")
def weights(folder, tmp_path_factory):
    out = tmp_path_factory.mktemp("weights")
    heat = out / "heat.pt"
    scorer = out / "scorer.pt"
    train_heatmap(folder, heat, settings=HeatmapTraining(epochs=1, batch_size=2, holdout=False), command="test")
    train_scorer(folder, scorer, settings=ScorerTraining(epochs=1, negatives=2, holdout=False), command="test")
    return heat, scorer


# --- building blocks ---------------------------------------------------------------------


def test_backbone_gives_a_frozen_pyramid(backbone):
    x = image_tensor(np.zeros((90, 120, 3), np.uint8), 160, backbone)
    out = backbone(x)
    assert {k: tuple(v.shape[1:]) for k, v in out.items()} == {"s8": (40, 20, 20), "s16": (112, 10, 10), "s32": (320, 5, 5)}
    assert not any(p.requires_grad for p in backbone.parameters())
    backbone.train()
    assert not backbone.training  # batch norm statistics never move


def test_unknown_backbone_and_missing_weights_are_clear_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="unknown backbone"):
        build_backbone("resnet-9000")
    with pytest.raises(InvalidInputError, match="not found"):
        build_backbone(weights=tmp_path / "none.pth")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=4, max_size=4), st.integers(1, 4))
def test_roi_pool_matches_pointwise_bilinear_sampling(coords, k):
    x0, x1 = sorted(coords[:2])
    y0, y1 = sorted(coords[2:])
    feats = torch.arange(2 * 6 * 8, dtype=torch.float64).reshape(1, 2, 6, 8).sin()
    got = roi_pool(feats, torch.tensor([[x0, y0, x1, y1]], dtype=torch.float64), k)[0]
    # oracle: bilinear interpolation at each cell centre, pixel centres at (i + 0.5) / n, edges clamped
    for a in range(k):
        for b in range(k):
            u = (x0 + (x1 - x0) * (b + 0.5) / k) * 8 - 0.5
            v = (y0 + (y1 - y0) * (a + 0.5) / k) * 6 - 0.5
            val = torch.zeros(2, dtype=torch.float64)
            j0, i0 = math.floor(u), math.floor(v)
            for i, wi in ((i0, 1 - (v - i0)), (i0 + 1, v - i0)):
                for j, wj in ((j0, 1 - (u - j0)), (j0 + 1, u - j0)):
                    if 0 <= i < 6 and 0 <= j < 8:  # grid_sample pads with zeros outside
                        val += wi * wj * feats[0, :, i, j]
            assert torch.allclose(got[:, a, b], val, atol=1e-9)


def test_pseudo_heatmap_is_exact_coverage_and_mirrors():
    box = Box(0.25, 0.0, 0.75, 0.5)
    cov = box_coverage(box, 4)
    assert cov.sum() == pytest.approx(0.25 * 16) and cov[0, 1] == 1 and cov[3, 3] == 0
    heat = pseudo_heatmap([box, Box(0, 0, 1, 1)], 4)
    assert heat.max() == 1 and heat.min() == 0.5
    left = pseudo_heatmap([Box(0, 0, 0.25, 1)], 4, mirror=True)
    assert left[:, 3].tolist() == [1, 1, 1, 1] and left[:, :3].sum() == 0
    with pytest.raises(InvalidInputError):
        pseudo_heatmap([], 4)


def test_heads_give_one_value_per_cell_and_per_box(backbone):
    feats = backbone(image_tensor(np.full((64, 96, 3), 128, np.uint8), 160, backbone))
    assert HeatmapHead(HeatmapConfig())(feats).shape == (1, 20, 20)
    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.1, 0.2, 0.5, 0.9], [0.3, 0.3, 0.4, 0.4]])
    assert CropScorer(ScorerConfig())(feats, boxes, 1.5).shape == (3,)


def test_one_training_step_reduces_the_heatmap_loss(backbone):
    torch.manual_seed(0)
    feats = backbone(image_tensor(np.random.default_rng(0).integers(0, 255, (80, 80, 3), np.uint8), 160, backbone))
    head = HeatmapHead()
    target = torch.from_numpy(pseudo_heatmap([Box(0.1, 0.1, 0.6, 0.9)], 20))[None]
    opt = torch.optim.SGD(head.parameters(), lr=1e-3)

    def loss():
        return torch.nn.functional.binary_cross_entropy_with_logits(head(feats), target)

    before = loss()
    opt.zero_grad()
    before.backward()
    assert all(p.grad is not None for p in head.parameters())
    opt.step()
    assert loss().item() < before.item()  # a small step along the gradient lowers the loss


# --- weights files -----------------------------------------------------------------------


def test_checkpoints_round_trip_and_refuse_the_wrong_file(tmp_path):
    path = save_checkpoint(tmp_path / "w.pt", "heatmap", {"a": 1}, {"t": torch.ones(2)}, {"seed": 3})
    data = load_checkpoint(path, "heatmap")
    assert data["config"] == {"a": 1} and data["meta"]["seed"] == 3 and torch.equal(data["state_dict"]["t"], torch.ones(2))
    assert not list(tmp_path.glob("*.tmp"))
    with pytest.raises(InvalidInputError, match="expected 'scorer'"):
        load_checkpoint(path, "scorer")
    (tmp_path / "junk.pt").write_bytes(b"not torch")
    with pytest.raises(InvalidInputError, match="not a Crop Studio weights file"):
        load_checkpoint(tmp_path / "junk.pt", "heatmap")
    with pytest.raises(InvalidInputError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt", "heatmap")


def test_state_dict_is_checked_strictly(weights, tmp_path):
    heat, _ = weights
    data = load_checkpoint(heat, "heatmap")
    state = dict(data["state_dict"])
    state.pop(next(iter(state)))
    bad = save_checkpoint(tmp_path / "bad.pt", "heatmap", data["config"], state, data["meta"])
    with pytest.raises(RuntimeError, match="Missing key"):
        load_heatmap_model(bad)


def test_ranking_pairs_skip_ties_and_weigh_by_margin(folder):
    pairs = ranking_pairs(folder)
    (win, lose, weight), = pairs["astronaut.jpg"]
    assert win == Box(0.2, 0.2, 0.8, 0.8) and lose == Box(0.0, 0.0, 0.5, 0.5) and weight == pytest.approx(0.6)


def test_training_writes_weights_with_provenance(weights):
    heat, scorer = weights
    meta = load_checkpoint(heat, "heatmap")["meta"]
    assert meta["images"] == 4 and meta["epochs"] == 1 and meta["command"] == "test" and meta["seed"] == 0
    assert load_checkpoint(scorer, "scorer")["meta"]["pairs_per_epoch"] == 4 * (1 + 2)


# --- the methods -------------------------------------------------------------------------


def test_heatmap_map_covers_the_image_and_crops_meet_constraints(weights, sample_image):
    heat, _ = weights
    image = load_image(sample_image)
    att = HeatmapSource(str(heat))(image)
    assert att.values.shape == (40, 40) and att.method == "heatmap" and 0 <= att.values.min() <= att.values.max() <= 1
    cropper = heatmap_cropper(str(heat))
    analysis = cropper.analyse(image)
    w, h = image.info.width, image.info.height
    keep, avoid = Box(w * 0.6, 0, w, h * 0.3), Box(0, h * 0.8, w * 0.2, h)
    (best,) = cropper.propose(analysis, CropProblem((w, h), AspectRatio(16, 9), keep=(keep,), avoid=(avoid,)))
    assert best.box.contains(keep) and best.box.intersection(avoid) is None
    assert abs(best.box.width / best.box.height - 16 / 9) < 0.02


def test_proposal_cropper_ranks_with_the_scorer(weights, sample_image):
    heat, scorer = weights
    image = load_image(sample_image)
    cropper = ProposalCropper(scorer_weights=str(scorer), heatmap_weights=str(heat))
    analysis = cropper.analyse(image)
    assert analysis.heatmap is not None  # PROPOSAL_WEIGHTS weigh the heatmap's border term
    w, h = image.info.width, image.info.height
    props = cropper.propose(analysis, CropProblem((w, h), AspectRatio(1, 1), keep=(Box(0, 0, w / 3, h / 3),)), top_k=3)
    assert len(props) == 3 and props[0].score >= props[1].score >= props[2].score
    assert all(p.box.contains(Box(0, 0, w / 3, h / 3)) for p in props)
    assert [n for n, _ in props[0].terms] == ["judge", "area", "centre", "heatmap", "border", "face-cut"]
    model = load_scorer(str(scorer))
    s = model.score(model.prepare(image.rgb), np.array([[0, 0, 1, 1], [0.2, 0.2, 0.6, 0.6]], np.float32), w / h)
    assert s.shape == (2,) and np.isfinite(s).all()


@pytest.fixture(scope="module")
def tiny_judge(tmp_path_factory):
    """An untrained scorer with RoD features (the judge's architecture), seeded."""
    torch.manual_seed(3)
    config = ScorerConfig(rod=3, hidden=16)
    path = tmp_path_factory.mktemp("judge") / "judge.pt"
    return save_checkpoint(path, "scorer", config.to_dict(), CropScorer(config).state_dict(), {"command": "test"})


def test_the_judge_term_changes_the_ranking(tiny_judge, sample_image):
    """Priors alone pick the largest centred box; the judge alone picks the candidate the
    scorer rates best (brute force over every candidate), z-scored or not; and they differ."""
    from models.constraints.candidates import GridSpec, enumerate_candidates
    from models.constraints.learned import ProposalWeights

    image = load_image(sample_image)
    w, h = image.info.width, image.info.height
    problem = CropProblem((w, h), AspectRatio(16, 9), keep=(Box(0, 0, w / 4, h / 8),))
    cands = enumerate_candidates(problem, GridSpec())
    model = load_scorer(str(tiny_judge))
    scores = model.score(model.prepare(image.rgb), np.stack([cands.x0 / w, cands.y0 / h, cands.x1 / w, cands.y1 / h], 1), w / h)
    oracle = int(np.argmax(scores))
    picked = {}
    for name, weights, z in (("priors", ProposalWeights(judge=0.0), True), ("judge", ProposalWeights(area=0, centre=0), False),
                             ("judge-z", ProposalWeights(area=0, centre=0), True)):  # fmt: skip
        cropper = ProposalCropper(weights, scorer_weights=str(tiny_judge), standardise=z)
        analysis = cropper.analyse(image)
        assert analysis.heatmap is None  # no heatmap term weighted: the heatmap is not run
        (best,) = cropper.propose(analysis, problem)
        picked[name] = best.box
    brute = Box(float(cands.x0[oracle]), float(cands.y0[oracle]), float(cands.x1[oracle]), float(cands.y1[oracle]))
    assert picked["judge"].iou(brute) > 0.98 and picked["judge-z"] == picked["judge"]  # snapped to whole pixels
    assert picked["priors"].width == pytest.approx(w, abs=1) and picked["judge"].iou(picked["priors"]) < 0.9


def test_the_z_scored_judge_has_zero_mean_and_unit_spread(tiny_judge, sample_image):
    from models.constraints.candidates import GridSpec, enumerate_candidates
    from models.constraints.learned import ProposalWeights, ScorerTerm

    image = load_image(sample_image)
    w, h = image.info.width, image.info.height
    analysis = ProposalCropper(ProposalWeights(), scorer_weights=str(tiny_judge)).analyse(image)
    cands = enumerate_candidates(CropProblem((w, h), AspectRatio(1, 1)), GridSpec(sizes=6, steps=4))
    z = ScorerTerm(analysis, 2.0, standardise=True)(cands)
    raw = ScorerTerm(analysis, 1.0)(cands)
    assert z.mean() == pytest.approx(0, abs=1e-9) and z.std() == pytest.approx(2.0)
    np.testing.assert_allclose(z, 2.0 * (raw - raw.mean()) / raw.std())


def test_cli_trains_and_crops_with_the_new_weights(folder, tmp_path, monkeypatch, capsys, sample_image):
    out = tmp_path / "h.pt"
    assert main(["train", "heatmap", str(folder), "--out", str(out), "--epochs", "1", "--all-images", "--json"]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert out.is_file() and meta["images"] == 4 and meta["command"].startswith("cropstudio train heatmap")
    monkeypatch.setenv("CROPSTUDIO_HEATMAP_WEIGHTS", str(out))
    assert main(["crop", str(sample_image), "--aspect", "16:9", "--keep", "0.5,0,1,0.5", "--method", "heatmap", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    x0, y0, x1, y1 = result["box"]
    assert result["method"] == "heatmap" and x0 <= 256 and y0 == 0 and x1 == 512 and y1 >= 256
    assert abs((x1 - x0) / (y1 - y0) - 16 / 9) < 0.02
    assert main(["train", "heatmap", str(folder), "--out", str(out), "--epochs", "0"]) == 2
    assert main(["train", "scorer", str(tmp_path / "nowhere"), "--out", str(out)]) == 2


def test_heatmap_trains_on_extra_folders_without_hold_out_sources(folder, tmp_path, capsys):
    """Built data (``source`` recorded) adds training images; copies of hold-out photos stay out."""
    from models.eval.split import is_holdout

    extra = tmp_path / "built"
    (extra / "images").mkdir(parents=True)
    sources = ["images/astronaut.jpg", "images/rocket.jpg", None]  # rocket.jpg is a hold-out photo
    assert is_holdout("rocket.jpg") and not is_holdout("astronaut.jpg")
    entries = []
    for i, source in enumerate(sources):
        Image.new("RGB", (96, 64), (40 * i, 90, 160)).save(extra / "images" / f"{i:06d}.jpg")
        entry = {"file": f"images/{i:06d}.jpg", "width": 96, "height": 64, "crops": [[0.2, 0.1, 0.8, 0.9]]}
        entries.append(entry | ({"source": source} if source else {}))
    (extra / "annotations.json").write_text(json.dumps({"name": "built", "images": entries}))
    own = sum(not is_holdout(name) for name in SAMPLES)
    out = tmp_path / "h.pt"
    assert main(["train", "heatmap", str(folder), "--out", str(out), "--epochs", "1", "--extra", str(extra), "--json"]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["images"] == own + 2 and meta["extra"] == ["built"]  # 000000 and 000002; not rocket's copy
    assert main(["train", "heatmap", str(folder), "--out", str(out), "--epochs", "1", "--extra", str(extra),
                 "--all-images", "--json"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["images"] == len(SAMPLES) + 3
    with pytest.raises(SystemExit):  # the scorer learns from ranking pairs: no --extra
        main(["train", "scorer", str(folder), "--out", str(out), "--extra", str(extra)])


def test_bundled_weights_load_and_say_how_they_were_made():
    heat = load_heatmap_model()
    assert "train heatmap" in heat.meta["command"] and heat.meta["data"] == "fcdb_train"
    scorer = load_scorer()
    assert "train scorer" in scorer.meta["command"] and scorer.meta["holdout_excluded"]


def test_split_is_a_fixed_partition_by_file_name():
    from types import SimpleNamespace
    from pathlib import Path

    from models.eval.split import is_holdout, split_images

    images = [SimpleNamespace(file=Path(f"images/{i}.jpg")) for i in range(200)]
    train, held = split_images(images)
    assert len(train) + len(held) == 200 and not {id(x) for x in train} & {id(x) for x in held}
    assert all(is_holdout(im.file.name) for im in held) and 20 < len(held) < 60  # about a fifth
    assert split_images(images, holdout=False) == (images, [])
    train10, held10 = split_images(images, limit=10)
    assert train10 == train[:10] and held10 == held[:2]


def test_feature_cache_is_reused_and_invalidated_by_a_changed_image(backbone, folder, tmp_path):
    import os

    from models.nn.features import folder_features

    paths = sorted((folder / "images").glob("*.jpg"))[:2]
    first = folder_features(paths, backbone, backbone_name="efficientnet-lite0", size=96, mirror=False, cache=tmp_path)
    (cached,) = tmp_path.glob("features-*.pt")
    again = folder_features(paths, backbone, backbone_name="efficientnet-lite0", size=96, mirror=False, cache=tmp_path)
    assert torch.equal(first.maps["s8"], again.maps["s8"]) and len(list(tmp_path.glob("features-*.pt"))) == 1
    os.utime(paths[0], ns=(0, 0))  # a new time, the same bytes (a data set provisioned anew): reused
    folder_features(paths, backbone, backbone_name="efficientnet-lite0", size=96, mirror=False, cache=tmp_path)
    assert len(list(tmp_path.glob("features-*.pt"))) == 1
    changed = tmp_path / "changed"
    changed.mkdir()
    copies = [changed / p.name for p in paths]
    for src, dst in zip(paths, copies, strict=True):
        dst.write_bytes(src.read_bytes())
    copies[0].write_bytes(copies[0].read_bytes() + b"\0")  # the image changed: a new key, a new file
    folder_features(copies, backbone, backbone_name="efficientnet-lite0", size=96, mirror=False, cache=tmp_path)
    assert len(list(tmp_path.glob("features-*.pt"))) == 2 and cached.exists()
