"""The crop scorer as a judge: RoD features against a brute-force crop of the map, border
trimming, view-finding pairs, training from weighted signals, hold-out figures."""

from __future__ import annotations

import json
import random
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image

from models.cli.main import main
from models.geometry import Box
from models.nn.checkpoint import load_checkpoint
from models.nn.roi import rod_pool
from models.scorer.dev import CONSTANT_CROP, candidate_grid, dev_figures, trivial_figures
from models.scorer.model import CropScorer, ScorerConfig, load_scorer
from models.scorer.train import ScorerTraining, _pairs, fit_scorer, load_scorer_data
from hypothesis import given, settings
from hypothesis import strategies as st

from models.scorer.views import frame_views, near_views, trim_plain_border
from tests.tiny_data import tiny_folder


def _rod_brute(fmap: np.ndarray, box, k: int) -> np.ndarray:
    """Zero every cell whose centre is in the box, then average each of k x k equal blocks."""
    c, h, w = fmap.shape
    out = fmap.copy()
    for y in range(h):
        for x in range(w):
            cx, cy = (x + 0.5) / w, (y + 0.5) / h
            if box[0] <= cx < box[2] and box[1] <= cy < box[3]:
                out[:, y, x] = 0
    return out.reshape(c, k, h // k, k, w // k).mean(axis=(2, 4))


def test_rod_pool_matches_a_brute_force_crop_of_the_map():
    rng = np.random.default_rng(0)
    fmap = rng.normal(size=(5, 6, 9)).astype(np.float32)
    boxes = np.array([[0.1, 0.2, 0.7, 0.9], [0.0, 0.0, 1.0, 1.0], [0.5, 0.5, 0.55, 0.6]], np.float32)
    got = rod_pool(torch.from_numpy(fmap), torch.from_numpy(boxes), 3).numpy()
    for i, box in enumerate(boxes):
        np.testing.assert_allclose(got[i], _rod_brute(fmap, box, 3), atol=1e-5)
    assert np.abs(got[1]).max() == 0  # the full frame discards nothing


def test_rod_pool_gradient_flows_and_bad_shapes_fail():
    fmap = torch.randn(1, 4, 6, 6, requires_grad=True)
    rod_pool(fmap, torch.tensor([[0.2, 0.2, 0.6, 0.6]]), 2).sum().backward()
    assert fmap.grad is not None and fmap.grad.abs().sum() > 0
    with pytest.raises(ValueError):
        rod_pool(torch.randn(2, 4, 6, 6), torch.zeros(1, 4), 2)


def test_trim_plain_border_finds_the_picture_and_keeps_one_sided_backgrounds():
    rng = np.random.default_rng(1)
    img = np.full((100, 150, 3), 250, np.uint8)
    img[10:90, 15:135] = rng.integers(0, 255, (80, 120, 3))
    assert trim_plain_border(img).as_tuple() == pytest.approx((0.1, 0.1, 0.9, 0.9))
    side = rng.integers(0, 255, (100, 150, 3)).astype(np.uint8)
    side[:, :40] = 0  # a black background on the left only: not a border
    assert trim_plain_border(side) == Box(0, 0, 1, 1)
    assert trim_plain_border(rng.integers(0, 255, (50, 50, 3)).astype(np.uint8)) == Box(0, 0, 1, 1)


def test_frame_views_are_worse_views_inside_the_frame():
    frame = Box(0.1, 0.05, 0.9, 0.95)
    views = frame_views(frame, 40, random.Random(0))
    assert len(views) == 40
    for v in views:
        assert frame.x0 - 1e-9 <= v.x0 < v.x1 <= frame.x1 + 1e-9 and frame.y0 - 1e-9 <= v.y0 < v.y1 <= frame.y1 + 1e-9
        assert v.iou(frame) < 0.91


@settings(max_examples=60, deadline=None)
@given(st.floats(0.05, 0.6), st.floats(0.05, 0.6), st.floats(0.3, 1.0), st.floats(0.3, 1.0), st.integers(0, 2**16))
def test_near_views_keep_the_ratio_stay_inside_and_are_a_few_percent_off(x, y, w, h, seed):
    crop = Box(x * (1 - w), y * (1 - h), x * (1 - w) + w, y * (1 - h) + h)
    views = near_views(crop, 6, random.Random(seed))
    assert len(views) <= 6
    for v in views:
        assert -1e-9 <= v.x0 < v.x1 <= 1 + 1e-9 and -1e-9 <= v.y0 < v.y1 <= 1 + 1e-9
        assert v.width / v.height == pytest.approx(crop.width / crop.height, rel=1e-6)
        assert 0.6 - 1e-9 <= v.iou(crop) <= 0.95 + 1e-9


def test_near_views_of_a_whole_frame_only_shrink():
    views = near_views(Box(0, 0, 1, 1), 8, random.Random(0))
    assert len(views) == 8 and all(v.width < 1 and v.height < 1 for v in views)


def test_candidate_grid_holds_the_full_image_and_keeps_ratios():
    grid = candidate_grid(1.5)
    assert (grid == [0, 0, 1, 1]).all(axis=1).any()
    r = (grid[:, 2] - grid[:, 0]) / (grid[:, 3] - grid[:, 1]) * 1.5
    assert r.min() >= 0.5 - 1e-9 and r.max() <= 2 + 1e-9 and (grid >= 0).all() and (grid <= 1 + 1e-9).all()
    assert CONSTANT_CROP.width == pytest.approx(0.88) and CONSTANT_CROP.center[1] == pytest.approx(0.48)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("judge")
    fcdb = tiny_folder(root / "fcdb")
    ranking = [{"file": f"images/{e['file'].split('/')[-1]}", "pairs": [
        {"crop_0": [0.0, 0.0, 0.5, 0.5], "crop_1": [0.2, 0.2, 0.8, 0.8], "votes_0": 1, "votes_1": 4}]}
        for e in json.loads((fcdb / "annotations.json").read_text())["images"]]  # fmt: skip
    (fcdb / "ranking.json").write_text(json.dumps({"items": ranking}))
    pro = tiny_folder(root / "pro")
    img = Image.open(pro / "images" / "coffee.jpg")
    framed = Image.new("RGB", (img.width + 20, img.height + 20), (255, 255, 255))
    framed.paste(img, (10, 10))
    framed.save(pro / "images" / "coffee.jpg")  # a photographer's white border
    entries = json.loads((pro / "annotations.json").read_text())["images"]
    for e in entries:
        e["crops"] = [[0, 0, 1, 1]]
        if e["file"].endswith("coffee.jpg"):
            e["width"], e["height"] = framed.size
    (pro / "annotations.json").write_text(json.dumps({"name": "pro", "images": entries}))
    return fcdb, pro, load_scorer_data(fcdb, pro=pro, cache=root / "cache")


def test_scorer_data_trims_frames_and_weights_each_signal(data):
    _, _, d = data
    coffee = [i for i, im in enumerate(d.pro_items) if im.file.name == "coffee.jpg"][0]
    assert d.frames[coffee].x0 > 0.03 and d.frames[coffee].x1 < 0.97
    samples = d.samples(ScorerTraining(holdout=False))
    assert len(samples) == 8 and sum(s.frame is not None for s in samples) == 4
    rng = random.Random(0)
    fcdb, pro = samples[0], next(s for s in samples if s.frame is not None and s.frame != Box(0, 0, 1, 1))
    only_pairs = _pairs(fcdb, ScorerTraining(w_expert=0, w_pairs=2.0), rng)
    assert [w for *_, w in only_pairs] == pytest.approx([2.0 * 0.6])
    pro_pairs = _pairs(pro, ScorerTraining(w_pro=0.5, pro_views=4), rng)
    assert len(pro_pairs) == 5 and all(a == pro.frame and w == 0.5 for a, _, w in pro_pairs)
    assert pro_pairs[-1][1] == Box(0, 0, 1, 1)  # the picture beats picture + border
    assert _pairs(pro, ScorerTraining(w_pro=0.0), rng) == []
    near = _pairs(pro, ScorerTraining(w_pro=0.0, w_near=0.25, near=3), rng)
    assert len(near) == 3 and all(a == pro.frame and w == 0.25 for a, _, w in near)
    fcdb_near = _pairs(fcdb, ScorerTraining(w_pairs=0, w_expert=0, w_near=1.0, near=2), rng)
    assert len(fcdb_near) == 2 * len(fcdb.expert) and all(a in fcdb.expert for a, _, _ in fcdb_near)


def test_the_whole_image_signal_pits_only_expert_crops_that_differ_from_it(data):
    _, _, d = data
    fcdb = next(s for s in d.samples(ScorerTraining(holdout=False)) if s.frame is None)
    rng, full = random.Random(0), Box(0, 0, 1, 1)
    cropped, whole = replace(fcdb, expert=(Box(0.1, 0.1, 0.8, 0.9),)), replace(fcdb, expert=(Box(0, 0, 0.99, 0.98),))
    off = ScorerTraining(w_pairs=0, w_expert=0)
    assert _pairs(cropped, off, rng) == []  # off by default
    assert _pairs(cropped, replace(off, w_full=2.5), rng) == [(cropped.expert[0], full, 2.5)]
    assert _pairs(whole, replace(off, w_full=2.5), rng) == []  # IoU 0.97 with the whole image: no pair
    pro = next(s for s in d.samples(ScorerTraining(holdout=False)) if s.frame is not None)
    assert _pairs(pro, replace(off, w_full=2.5), rng) == []  # a professional frame is never the crop that wins


def test_a_training_run_lowers_the_loss_on_fixed_pairs(data):
    _, _, d = data
    settings = ScorerTraining(holdout=False, w_pro=1.0, w_near=1.0, near=2, epochs=8, negatives=2, pro_views=4)
    samples = d.samples(settings)
    pairs = [(s, _pairs(s, settings, random.Random(3))) for s in samples]

    def loss(model):
        total = 0.0
        with torch.no_grad():
            for s, p in pairs:
                b = torch.tensor([[*a.as_tuple()] for a, _, _ in p] + [[*c.as_tuple()] for _, c, _ in p]).float()
                sc = model(s.feats.get(s.index), b, s.ratio)
                total += torch.nn.functional.softplus(sc[len(p):] - sc[: len(p)]).mean().item()
        return total / len(pairs)

    torch.manual_seed(settings.seed)
    before = loss(CropScorer(ScorerConfig(rod=2)).eval())
    model, _, n = fit_scorer(samples, settings, ScorerConfig(rod=2))
    assert n > 0 and loss(model) < before - 0.05
    figures = dev_figures(model, d.samples(settings, train=True))
    assert 0 <= figures.pair_accuracy <= 1 and figures.n_fcdb == 4 and figures.n_pro == 4
    trivial = trivial_figures(d.samples(settings, train=True))
    assert trivial["full image"][1] < 1.0  # the bordered photo's frame is not the full image


def test_a_fine_tuned_last_block_replays_the_backbone_and_trains_only_that_block(data):
    from models.nn.backbone import build_backbone
    from tests.bench.scorer_finetune import TunedTail

    _, _, d = data
    settings = ScorerTraining(holdout=False, w_pro=1.0, epochs=1, negatives=2, pro_views=4)
    samples = d.samples(settings)
    torch.manual_seed(0)
    model = TunedTail(ScorerConfig(rod=2), build_backbone("efficientnet-lite0"))
    f = samples[0].feats.get(samples[0].index)
    with torch.no_grad():
        replayed = model.tail(model.frozen(f["s16"]))
    assert replayed.shape == f["s32"].shape  # the cached maps are float16: equal to rounding
    assert (replayed - f["s32"]).abs().max() <= 0.02 * f["s32"].abs().max()
    frozen = {k: v.clone() for k, v in model.frozen.state_dict().items()}
    tail = {k: v.clone() for k, v in model.tail.state_dict().items()}
    trained, _, n = fit_scorer(samples, settings, ScorerConfig(rod=2), model=model, param_groups=model.param_groups(1e-3))
    assert trained is model and n > 0
    after = model.tail.state_dict()
    assert all(torch.equal(v, model.frozen.state_dict()[k]) for k, v in frozen.items())
    assert all(torch.equal(after[k], v) for k, v in tail.items() if "running" in k or "num_batches" in k)  # statistics kept
    assert any(not torch.equal(after[k], v) for k, v in tail.items() if k.endswith("weight"))  # the block learned


def test_cli_trains_a_scorer_with_pro_pairs_and_rod(data, tmp_path, capsys):
    fcdb, pro, _ = data
    out = tmp_path / "s.pt"
    assert main(["train", "scorer", str(fcdb), "--out", str(out), "--pro", str(pro), "--rod", "2", "--epochs", "1",
                 "--w-near", "0.5", "--all-images", "--json"]) == 0  # fmt: skip
    meta = json.loads(capsys.readouterr().out)
    assert meta["data"] == "fcdb + pro" and meta["settings"]["w_pro"] == 1.0 and meta["images"] == 8
    assert meta["settings"]["w_near"] == 0.5 and "--w-near 0.5" in meta["command"]
    model = load_scorer(out)
    assert model.config.rod == 2 and load_checkpoint(out, "scorer")["config"]["rod"] == 2
    assert main(["train", "scorer", str(fcdb), "--out", str(out), "--w-pairs", "0", "--w-expert", "0"]) == 2
    assert "weights" in capsys.readouterr().err
    assert main(["train", "scorer", str(fcdb), "--out", str(out), "--w-near", "-1"]) == 2
    assert "weights" in capsys.readouterr().err


def test_cli_trains_an_ensemble_whose_score_is_the_mean_of_its_seeded_members(data, tmp_path, capsys):
    fcdb, pro, _ = data
    one, two, ens = tmp_path / "s0.pt", tmp_path / "s1.pt", tmp_path / "ens.pt"
    common = ["--pro", str(pro), "--rod", "2", "--epochs", "1", "--all-images", "--json"]
    for out, extra in ((one, ["--seed", "3"]), (two, ["--seed", "4"]), (ens, ["--seed", "3", "--members", "2"])):
        assert main(["train", "scorer", str(fcdb), "--out", str(out), *common, *extra]) == 0
        meta = json.loads(capsys.readouterr().out)
    assert meta["member_seeds"] == [3, 4] and "--members 2" in meta["command"]
    a, b, e = (load_scorer(p) for p in (one, two, ens))
    assert e.config.members == 2 and len(e.scorer.members) == 2
    rgb = np.random.default_rng(0).integers(0, 255, (96, 128, 3), dtype=np.uint8)
    boxes = np.array([[0, 0, 1, 1], [0.1, 0.1, 0.7, 0.9], [0.3, 0.2, 0.9, 0.6]])
    sa, sb, se = (m.score(m.prepare(rgb), boxes, 4 / 3) for m in (a, b, e))
    np.testing.assert_allclose(se, (sa + sb) / 2, rtol=1e-5, atol=1e-5)
    assert not np.allclose(sa, sb)  # the members differ: the seeds were used
    assert main(["train", "scorer", str(fcdb), "--out", str(ens), "--members", "0"]) == 2
    assert "--members" in capsys.readouterr().err


def test_crop_or_not_bench_figures_match_hand_computed_values():
    from tests.bench.judge_crop_or_not import auc, best_temperature, ece, sigmoid

    assert auc(np.array([3.0, 2.0]), np.array([1.0, 2.0])) == pytest.approx(3.5 / 4)  # 3>1, 3>2, 2>1, 2=2 half
    p, y = np.array([0.1, 0.1, 0.9]), np.array([0.0, 0.2, 1.0])
    assert ece(p, y) == pytest.approx(0.1 / 3)  # the 0.1 bin is exact; the 0.9 bin is 0.1 off, a third of the pairs
    d = np.linspace(-4, 4, 41)
    assert best_temperature(d, sigmoid(d / 2.0)) == pytest.approx(2.0)  # vote shares made at temperature 2
