"""The ProCrop network, its training, the predictor and the ``procrop`` eval method, with
tiny models on a tiny folder (CPU, seconds)."""

from __future__ import annotations

import contextlib
import json

import numpy as np
import pytest
import torch
from PIL import Image

from models.cli.main import main
from models.errors import InvalidInputError
from models.eval.registry import available_methods, make_method
from models.geometry import Box
from models.nn.checkpoint import load_checkpoint
from models.procrop.criterion import SetCriterion
from models.procrop.decoder import anchor_init, to_box, to_logit
from models.procrop.model import ProCropConfig, build_model
from models.procrop.predictor import load_predictor
from models.procrop.ranking import nms
from models.procrop.train import ProCropTraining, train_procrop
from tests.conftest import SAMPLES as SAMPLE_DIR
from tests.tiny_data import NAMES
from tests.tiny_procrop import tiny_indexed_folder

TINY = ProCropConfig(width=32, heads=2, decoder_layers=2, queries=12, ffn=64, top_k=2)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A tiny folder, its index, and tiny weights trained on it (2 epochs)."""
    root = tmp_path_factory.mktemp("procrop")
    folder, index = tiny_indexed_folder(root)
    weights = root / "procrop.pt"
    settings = ProCropTraining(epochs=2, batch=2, holdout=False)
    meta = train_procrop(folder, weights, settings=settings, config=TINY, index=index, command="test")
    return folder, index, weights, meta


def _inputs(b: int = 2, k: int = 2):
    torch.manual_seed(0)
    return torch.randn(b, 320, 10, 10), torch.tensor([1.5, 0.75])[:b], torch.randn(b, k, 64, 4, 4)


def test_decoder_output_shapes():
    model = build_model(TINY)
    query, ratios, refs = _inputs()
    out = model(query, ratios, refs)
    assert out.boxes.shape == (2, 12, 4) and out.logits.shape == (2, 12) and len(out.layers) == 2
    plain = model(query, ratios, None)  # no retrieval: same shapes
    assert plain.boxes.shape == (2, 12, 4)
    assert build_model().decoder.anchors.shape == (90, 4)


def test_anchors_round_trip():
    a = anchor_init(90)
    assert a.shape == (90, 4) and (a[:, 2:] > a[:, :2]).all() and a.min() >= 0 and a.max() <= 1
    assert torch.allclose(to_box(to_logit(a)), a, atol=1e-3)


def test_one_training_step_lowers_the_loss():
    model = build_model(TINY)
    model.train()
    query, ratios, refs = _inputs()
    targets = [torch.tensor([[0.1, 0.1, 0.9, 0.9]]), torch.tensor([[0.0, 0.2, 0.7, 1.0]])]
    criterion = SetCriterion()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    torch.manual_seed(1)
    model.eval()  # no dropout, so the two losses are comparable
    before = criterion(model(query, ratios, refs).layers, targets).total
    opt.zero_grad()
    before.backward()
    opt.step()
    after = criterion(model(query, ratios, refs).layers, targets).total
    assert after.item() < before.item()


def test_nms_keeps_diverse_boxes():
    boxes = np.array([[0, 0, 1, 1], [0, 0, 0.99, 1], [0.5, 0.5, 1, 1]], float)
    assert nms(boxes, np.array([0.9, 0.8, 0.5]), 0.7, 5) == [0, 2]
    assert nms(boxes, np.array([0.9, 0.8, 0.5]), 1.0, 1) == [0]


def test_training_writes_weights_with_meta(trained):
    _, _, weights, meta = trained
    data = load_checkpoint(weights, "procrop")
    assert data["meta"]["seed"] == 0 and data["meta"]["command"] == "test" and data["meta"]["retrieval"]
    assert len(meta["curve"]) == 2 and data["config"]["queries"] == 12


def test_predictor_suggests_ranked_diverse_crops(trained):
    _, index, weights, _ = trained
    predictor = load_predictor(weights, index)
    with pytest.raises(InvalidInputError, match="set_image"):
        type(predictor)(predictor.model, predictor.encoder, predictor.index).suggest()
    rgb = np.asarray(Image.open(SAMPLE_DIR / "chelsea.jpg").convert("RGB"))
    h, w = rgb.shape[:2]
    predictor.set_image(rgb)
    out = predictor.suggest(5, iou_threshold=0.6)
    assert 1 <= len(out.items) <= 5 and len(out.references) == 2
    assert [s.rank for s in out.items] == list(range(len(out.items)))
    assert all(a.score >= b.score for a, b in zip(out.items, out.items[1:]))
    for a in out.items:  # whole pixels of the image, half-open
        assert a.box == a.box.rounded() and 0 <= a.box.x0 < a.box.x1 <= w and 0 <= a.box.y0 < a.box.y1 <= h
        assert all(a.box.iou(b.box) <= 0.6 + 0.02 for b in out.items if b is not a)  # chosen before snapping
    square = predictor.suggest(3, aspect=1.0)
    for s in square.items:
        assert s.box == s.box.rounded() and s.box.width == s.box.height
    predictor.set_image(rgb, size=(4 * w, 4 * h))  # a reduced copy of a 4x larger image
    large = predictor.suggest(5, iou_threshold=0.6)
    for a, b in zip(large.items, out.items):  # the same crops, in the large image's pixels
        assert a.box == a.box.rounded() and a.box.x1 <= 4 * w and a.box.y1 <= 4 * h
        assert all(abs(p - 4 * q) <= 4 for p, q in zip(a.box.as_tuple(), b.box.as_tuple()))
    with pytest.raises(InvalidInputError, match="whole numbers"):
        predictor.set_image(rgb, size=(451.5, 300))


def test_fused_scores_keep_or_follow_the_scorer_order():
    from models.procrop.rerank import ScorerRerank, fuse_scores

    p = np.array([0.9, 0.6, 0.3, 0.2])
    s = np.array([-1.0, 0.0, 3.0, 1.0])
    assert np.argsort(-fuse_scores(p, s, 0.0)).tolist() == [0, 1, 2, 3]
    assert np.argsort(-fuse_scores(p, np.full(4, 2.0), 5.0)).tolist() == [0, 1, 2, 3]  # no spread: no change
    assert np.argsort(-fuse_scores(p, s, 100.0)).tolist() == [2, 3, 1, 0]
    fused = fuse_scores(p, s, 0.5)
    assert ((0 < fused) & (fused < 1)).all()
    z = (s - s.mean()) / s.std()
    assert fused == pytest.approx(1 / (1 + np.exp(-(np.log(p / (1 - p)) + 0.5 * z))))
    with pytest.raises(InvalidInputError, match="one score per query"):
        fuse_scores(p, s[:3], 0.5)
    with pytest.raises(InvalidInputError, match="re-ranking weight must be a number >= 0"):
        ScorerRerank(weight=-1.0)
    with pytest.raises(InvalidInputError, match="heatmap weight must be a number >= 0"):
        ScorerRerank(heatmap=float("nan"))
    a = np.array([0.0, 1.0, 0.5, 4.0])  # an extra term: its z-score, weighted, joins the sum
    za = (a - a.mean()) / a.std()
    assert fuse_scores(p, s, 0.5, ((a, 2.0),)) == pytest.approx(
        1 / (1 + np.exp(-(np.log(p / (1 - p)) + 0.5 * z + 2.0 * za))))  # fmt: skip
    assert np.argsort(-fuse_scores(p, s, 0.0, ((a, 100.0),))).tolist() == [3, 1, 2, 0]
    assert fuse_scores(p, s, 0.5, ((a, 0.0),)) == pytest.approx(fused)
    with pytest.raises(InvalidInputError, match="one score per query"):
        fuse_scores(p, s, 0.5, ((a[:2], 1.0),))


def test_heatmap_attention_is_the_mass_inside_minus_the_area_against_brute_force():
    """The heatmap term of normalised boxes, against summing the map's cells by hand."""
    from models.procrop.rerank import heatmap_attention

    rng = np.random.default_rng(3)
    heat = rng.random((8, 8))
    size = (320, 200)
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [0.25, 0.5, 0.75, 1.0], [0.125, 0.0, 0.5, 0.375]])  # on cell edges
    got = heatmap_attention(heat, boxes, size)
    for b, g in zip(boxes, got):
        c0, r0, c1, r1 = (int(round(v * 8)) for v in b)
        mass = heat[r0:r1, c0:c1].sum() / heat.sum()
        assert g == pytest.approx(mass - (b[2] - b[0]) * (b[3] - b[1]))
    assert got[0] == pytest.approx(0.0)  # the whole image keeps all the mass and all the area


def test_predictor_reranks_its_queries_with_the_crop_scorer(trained):
    from models.procrop.rerank import ScorerRerank, fuse_scores
    from models.scorer.model import judge_weights, load_scorer

    _, index, weights, _ = trained
    rgb = np.asarray(Image.open(SAMPLE_DIR / "chelsea.jpg").convert("RGB"))
    plain = load_predictor(weights, index, rerank=None)
    plain.set_image(rgb)
    boxes, probs = plain.queries.boxes, plain.queries.scores
    reranked = load_predictor(weights, index, rerank=ScorerRerank(weight=0.5, grid=False, heatmap=0.0))
    assert reranked is not plain
    reranked.set_image(rgb)
    scorer = load_scorer(judge_weights())  # the judge by default
    expected = fuse_scores(probs, scorer.score(scorer.prepare(rgb), boxes, rgb.shape[1] / rgb.shape[0]), 0.5)
    assert reranked.queries.boxes == pytest.approx(boxes)
    assert reranked.queries.scores == pytest.approx(expected)
    assert not np.allclose(expected, probs)
    top = reranked.suggest(1, iou_threshold=1.0).items[0]
    assert top.score == pytest.approx(expected.max())
    reranked.set_image(rgb, rerank=False)  # per call: the decoder's scores alone
    assert reranked.queries.scores == pytest.approx(probs)


def test_reranking_reuses_the_encoders_backbone_pass_when_it_is_the_scorers(trained, monkeypatch):
    """The default encoder and the scorer run the same EfficientNet-Lite0 at 320 px: the
    scorer reads the encoder's maps instead of a second pass; any other backbone gets its own."""
    from models.procrop.rerank import ScorerRerank
    from models.scorer.model import ScorerModel, judge_weights, load_scorer

    _, index, weights, _ = trained
    rgb = np.asarray(Image.open(SAMPLE_DIR / "chelsea.jpg").convert("RGB"))
    predictor = load_predictor(weights, index, rerank=ScorerRerank(weight=0.5))
    predictor.set_image(rgb)
    expected = predictor.queries.scores
    scorer = load_scorer(judge_weights())
    assert (predictor.encoder.name, predictor.encoder.input_size) == (scorer.config.backbone, scorer.config.input_size)
    passes = []
    real = ScorerModel.prepare
    monkeypatch.setattr(ScorerModel, "prepare", lambda self, image: passes.append(1) or real(self, image))
    predictor.set_image(rgb)
    assert passes == [] and predictor.queries.scores == pytest.approx(expected)
    rerank = ScorerRerank(weight=0.5, grid=False, heatmap=0.0)
    boxes = predictor.queries.boxes[:90]
    probs = np.full(len(boxes), 0.5)
    other = ("efficientnet-lite0", 320, "/elsewhere/other-weights.pth")  # same name, other weights
    maps = predictor.encoder.encode(rgb).maps
    assert rerank(rgb, boxes, probs, 1.5, maps=maps, maps_from=other)[1] == pytest.approx(
        rerank(rgb, boxes, probs, 1.5)[1])  # fmt: skip
    assert passes == [1, 1]


def test_reranking_adds_the_heatmap_term_from_the_encoders_maps(trained, monkeypatch):
    """With a heatmap weight the learned heatmap's attention term joins the fused score; the
    heatmap is computed from the encoder's maps (no second backbone pass) and equals the
    heatmap model's own prediction from the image."""
    from models.heatmap.model import HeatmapModel, shared_heatmap_model
    from models.procrop.rerank import ScorerRerank, fuse_scores, heatmap_attention
    from models.scorer.model import judge_weights, load_scorer

    _, index, weights, _ = trained
    rgb = np.asarray(Image.open(SAMPLE_DIR / "chelsea.jpg").convert("RGB"))
    size, ratio = (rgb.shape[1], rgb.shape[0]), rgb.shape[1] / rgb.shape[0]
    plain = load_predictor(weights, index, rerank=None)
    plain.set_image(rgb)
    boxes, probs = plain.queries.boxes, plain.queries.scores
    heatmap = shared_heatmap_model()
    assert heatmap is shared_heatmap_model()  # one copy per process
    heat = heatmap.predict(rgb)
    maps = plain.encoder.encode(rgb).maps
    assert heatmap.predict_maps(maps) == pytest.approx(heat, abs=1e-6)
    judge = load_scorer(judge_weights())
    scores = judge.score(judge.prepare(rgb), boxes, ratio)
    term = heatmap_attention(heat, boxes, size)
    assert term.std() > 0
    passes = []
    real = HeatmapModel.predict
    monkeypatch.setattr(HeatmapModel, "predict", lambda self, image: passes.append(1) or real(self, image))
    both = load_predictor(weights, index, rerank=ScorerRerank(weight=0.5, grid=False, heatmap=2.0))
    both.set_image(rgb)
    assert passes == []  # the encoder's maps were reused
    assert both.queries.scores == pytest.approx(fuse_scores(probs, scores, 0.5, ((term, 2.0),)), abs=1e-6)
    heat_only = ScorerRerank(weight=0.0, grid=False, heatmap=1.0)(rgb, boxes, probs, ratio)[1]
    assert passes == [1]  # no maps given: the heatmap's own pass
    assert heat_only == pytest.approx(fuse_scores(probs, np.zeros(len(boxes)), 0.0, ((term, 1.0),)))


def test_the_grid_joins_the_queries_voted_for_by_the_nearest_query(trained):
    """With ``grid`` the judge's candidate grid (the full image among it) joins the decoder's
    queries; a grid box's decoder vote is its nearest query's logit plus log IoU."""
    from models.procrop.rerank import ScorerRerank, fuse_scores, grid_logits
    from models.scorer.grid import candidate_grid
    from models.scorer.model import judge_weights, load_scorer

    rgb = np.asarray(Image.open(SAMPLE_DIR / "chelsea.jpg").convert("RGB"))
    ratio = rgb.shape[1] / rgb.shape[0]
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [0.1, 0.1, 0.6, 0.6]])
    logits = np.array([0.0, 2.0])
    grid = candidate_grid(ratio)
    g = grid_logits(boxes, logits, grid)
    full = int(np.flatnonzero(np.all(grid == [0, 0, 1, 1], axis=1))[0])
    assert g[full] == pytest.approx(0.0)  # the full-image query itself, IoU 1
    for j, b in enumerate(grid):  # brute force: the nearest query's logit plus log IoU
        ious = [_iou_np(b, q) for q in boxes]
        k = int(np.argmax(ious))
        assert g[j] == pytest.approx(logits[k] + np.log(max(ious[k], 1e-3)))
    probs = 1 / (1 + np.exp(-logits))
    out_boxes, fused = ScorerRerank(weight=1.0, grid=True, heatmap=0.0)(rgb, boxes, probs, ratio)
    assert out_boxes.shape == (2 + len(grid), 4) and out_boxes[2:] == pytest.approx(grid)
    judge = load_scorer(judge_weights())
    scores = judge.score(judge.prepare(rgb), out_boxes, ratio)
    expected = fuse_scores(np.concatenate([probs, 1 / (1 + np.exp(-g))]), scores, 1.0)
    assert fused == pytest.approx(expected)
    plain_boxes, plain = ScorerRerank(weight=1.0, grid=False, heatmap=0.0)(rgb, boxes, probs, ratio)
    assert plain_boxes.shape == (2, 4) and plain == pytest.approx(fuse_scores(probs, scores[:2], 1.0))


def _iou_np(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize("aspect", [None, 1.0, 16 / 9])
def test_suggestions_follow_layout_regions(trained, aspect):
    from models.errors import InfeasibleError
    from models.geometry import Box

    _, index, weights, _ = trained
    predictor = load_predictor(weights, index)
    rgb = np.asarray(Image.open(SAMPLE_DIR / "chelsea.jpg").convert("RGB"))  # 451 x 300
    predictor.set_image(rgb)
    h, w = rgb.shape[:2]
    keep, avoid = Box(0.55 * w, 0.2 * h, 0.75 * w, 0.45 * h), Box(0.0, 0.0, 0.12 * w, h)  # pixels
    out = predictor.suggest(4, aspect=aspect, keep=(keep,), avoid=(avoid,), iou_threshold=0.8)
    assert 1 <= len(out.items) <= 4 and [s.rank for s in out.items] == list(range(len(out.items)))
    h, w = rgb.shape[:2]
    for s in out.items:
        assert s.box == s.box.rounded() and Box(0, 0, w, h).contains(s.box)  # whole pixels, inside
        assert s.box.contains(keep, tol=1e-9)
        assert s.box.x0 >= avoid.x1 - 1e-9  # clear of the left strip
        if aspect is not None:  # the ratio within a pixel
            assert abs(s.box.width - aspect * s.box.height) <= max(1.0, aspect)
        assert all(s.box.iou(o.box) <= 0.8 + 1e-9 for o in out.items if o is not s)
    with pytest.raises(InfeasibleError):
        predictor.suggest(3, aspect=aspect or 1.0, keep=(Box(0.05 * w, 0.1 * h, 0.3 * w, 0.3 * h),),
                          avoid=(Box(0.1 * w, 0.0, 0.2 * w, h),))  # fmt: skip


def test_eval_method_end_to_end(trained, monkeypatch, capsys):
    folder, index, weights, _ = trained
    monkeypatch.setenv("CROPSTUDIO_PROCROP_WEIGHTS", str(weights))
    monkeypatch.setenv("CROPSTUDIO_PROCROP_INDEX", str(index))
    assert "procrop" in available_methods("annotations")
    assert make_method("procrop").name == "procrop"
    assert main(["eval", str(folder), "--method", "procrop,procrop-no-retrieval", "--json"]) == 0
    results = {r["method"]: r for r in json.loads(capsys.readouterr().out)["results"]}
    assert {"procrop", "procrop-no-retrieval", "full-image"} <= set(results)
    assert 0 < results["procrop"]["mean_iou"] <= 1 and results["procrop"]["n_images"] == 4
    assert results["procrop"]["mean_iou"] <= results["procrop"]["best_of_3_iou"] <= 1
    assert results["full-image"]["best_of_3_iou"] is None


def test_eval_method_ranks_a_kept_snapshot_and_honours_layouts(trained, monkeypatch):
    """``analyse`` returns the image's queries (later images do not change them); a
    constraints request gets crops of its ratio that keep / avoid its regions."""
    from models.eval.protocol import CropRequest
    from models.geometry import Box
    from models.imaging import load_image
    from models.procrop.ranking import Queries, rank

    _, index, weights, _ = trained
    monkeypatch.setenv("CROPSTUDIO_PROCROP_WEIGHTS", str(weights))
    monkeypatch.setenv("CROPSTUDIO_PROCROP_INDEX", str(index))
    method = make_method("procrop")
    cat = load_image(SAMPLE_DIR / "chelsea.jpg")
    w, h = cat.info.width, cat.info.height
    analysis = method.analyse(cat)
    assert isinstance(analysis, Queries)
    free = method.ranked(analysis, CropRequest((w, h), None), 3)
    first = rank(analysis, 3).items
    assert analysis.image_size == (w, h) and free == tuple(s.box for s in first)  # the same pixel boxes
    assert all(b == b.rounded() for b in free)
    keep, avoid = Box(0.55 * w, 0.2 * h, 0.75 * w, 0.45 * h), Box(0, 0, 0.12 * w, h)
    request = CropRequest((w, h), 16 / 9, keep=(keep,), avoid=(avoid,))
    before = method.ranked(analysis, request, 3)
    method.analyse(load_image(SAMPLE_DIR / "coffee.jpg"))  # the predictor moves on to another image
    assert method.ranked(analysis, request, 3) == before  # the snapshot does not
    for box in before:
        assert box.contains(keep, tol=1e-6) and box.x0 >= avoid.x1 - 1e-6
        assert box == box.rounded() and abs(box.width - 16 / 9 * box.height) <= 16 / 9  # within a pixel
    assert method.crop(analysis, request) == before[0]
    with pytest.raises(InvalidInputError, match="its analysis for"):
        method.crop(analysis, CropRequest((2 * w, 2 * h), None))
    with pytest.raises(InvalidInputError, match="its own analysis"):
        method.crop(object(), request)


def test_cli_train_procrop(trained, tmp_path, capsys):
    folder, index, _, _ = trained
    out = tmp_path / "w.pt"
    args = ["train", "procrop", str(folder), "--out", str(out), "--epochs", "1", "--all-images",
            "--index", str(index), "--json"]  # fmt: skip
    assert main(args) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["epochs"] == 1 and meta["command"].startswith("cropstudio train procrop")
    assert main(["train", "procrop", str(folder), "--out", str(out), "--index", str(tmp_path / "none")]) == 2
    assert "not a ProCrop index" in capsys.readouterr().err


@contextlib.contextmanager
def _exclusions_seen():
    """The ``exclude`` lists every index search is called with, while the block runs."""
    import unittest.mock

    from models.procrop.index import CompositionIndex

    seen: list = []
    real_search = CompositionIndex.search

    def spy(self, queries, k, *, exclude=None):
        seen.append(exclude)
        return real_search(self, queries, k, exclude=exclude)

    with unittest.mock.patch.object(CompositionIndex, "search", spy):
        yield seen


def test_extra_folders_train_without_their_sources(trained, tmp_path):
    """Outpainted copies (dataset builder output) train too; each retrieves without its own
    source photo, and copies of hold-out photos (rocket.jpg is one) are left out."""
    folder, index, _, _ = trained
    extra = tmp_path / "built"
    (extra / "images").mkdir(parents=True)
    entries = []
    for i, source in enumerate(["images/astronaut.jpg", "images/rocket.jpg", None]):
        Image.open(SAMPLE_DIR / NAMES[i]).convert("RGB").resize((96, 64)).save(extra / "images" / f"{i:06d}.jpg")
        entry = {"file": f"images/{i:06d}.jpg", "width": 96, "height": 64, "crops": [[0.2, 0.1, 0.8, 0.9]]}
        entries.append(entry | ({"source": source} if source else {}))
    (extra / "annotations.json").write_text(json.dumps({"name": "built", "images": entries}))
    from models.eval.split import extra_images

    images, sources = extra_images(extra, holdout=True)
    assert [im.file.name for im in images] == ["000000.jpg", "000002.jpg"]
    assert sources == ["images/astronaut.jpg", None]
    images, sources = extra_images(extra, holdout=False)
    assert len(images) == 3 and sources[1] == "images/rocket.jpg"
    with _exclusions_seen() as seen:
        meta = train_procrop(folder, tmp_path / "w.pt", settings=ProCropTraining(epochs=1, batch=2), config=TINY,
                             index=index, extra=(extra,))  # fmt: skip
    assert meta["extra"] == {"built": 2} and meta["images"] == 3 + 2  # rocket.jpg is held out of both
    assert ["images/astronaut.jpg"] in seen[0] and [] in seen[0]


def test_professional_photos_train_on_their_trimmed_frames_and_validate_apart(trained, tmp_path):
    """``pro``: the training fifths train with the photographer's frame (a plain border
    trimmed) as the crop, each retrieving without its own frame; the hold-out fifth
    (rocket.jpg) is the second validation set, never trained on."""
    from models.procrop.train import pro_images
    from tests.models.test_procrop_index import _pro_folder

    folder, index, _, _ = trained
    pro = _pro_folder(tmp_path / "pro")
    train, held = pro_images(pro, cache=tmp_path / "cache")
    assert [im.file.name for im in train] == ["astronaut.jpg", "chelsea.jpg", "coffee.jpg"]
    assert [im.file.name for im in held] == ["rocket.jpg"]
    assert train[0].crops[0].x0 > 0.05 and train[1].crops == (Box(0.0, 0.0, 1.0, 1.0),)  # the border is trimmed
    assert [im.file.name for im in pro_images(pro, limit=1)[0]] == ["astronaut.jpg"]
    with _exclusions_seen() as seen:
        meta = train_procrop(folder, tmp_path / "w.pt", settings=ProCropTraining(epochs=1, batch=2), config=TINY,
                             index=index, pro=pro)  # fmt: skip
    assert meta["extra"] == {"pro": 3} and meta["images"] == 3 + 3
    assert meta["pro_validation_images"] == 1 and 0 <= meta["pro_val_iou"] <= 1
    assert seen[0][-3:] == [["images/astronaut.jpg"], ["images/chelsea.jpg"], ["images/coffee.jpg"]]
    assert ["images/rocket.jpg"] in seen[-1]  # the pro validation photo retrieves without its own frame
