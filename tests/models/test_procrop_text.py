"""ProCrop's optional text fusion (seed Eq. 2) with a tiny random BLIP written offline
(tests/tiny_diffusers.py), and the guarantee that models without it, the shipped weights
included, load strictly and compute exactly what they did before the text branch existed."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.errors import InvalidInputError
from models.nn.checkpoint import load_checkpoint, save_checkpoint
from models.procrop.criterion import SetCriterion
from models.procrop.encoder import build_encoder
from models.procrop.model import KIND, ProCropConfig, ProCropEnsemble, build_model, nearest_vote
from models.procrop.predictor import ProCropPredictor, load_predictor
from models.procrop.text import BLIP_MODEL_ENV, TextFeatures, blip_text_dim, caption_and_embed
from models.resources import resource_path

pytest.importorskip("transformers")

TOKENS = 8
TINY_TEXT = ProCropConfig(width=32, heads=2, decoder_layers=2, queries=12, ffn=64, top_k=2, text=True, text_dim=16, text_tokens=TOKENS)


@pytest.fixture(scope="module")
def blip(tmp_path_factory):
    """A tiny BLIP captioning folder (16-dim text features), with the hub offline."""
    from tests.tiny_diffusers import save_tiny_blip

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        yield save_tiny_blip(tmp_path_factory.mktemp("text") / "blip")


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv(BLIP_MODEL_ENV, raising=False)


def _image(seed: int, h: int = 40, w: int = 56) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _inputs(b: int = 2, t: int = TOKENS):
    torch.manual_seed(0)
    padding = torch.zeros(b, t, dtype=torch.bool)
    padding[0, 5:] = True  # a short caption
    return torch.randn(b, 320, 10, 10), torch.tensor([1.5, 0.75])[:b], torch.randn(b, 2, 64, 4, 4), torch.randn(b, t, 16), padding


def test_caption_and_embed(blip):
    assert blip_text_dim(blip) == 16
    feats = caption_and_embed([_image(0), _image(1, 30, 30)], blip, max_tokens=TOKENS)
    assert isinstance(feats, TextFeatures) and len(feats.captions) == 2
    assert feats.tokens.shape == (2, TOKENS, 16) and feats.tokens.dtype == np.float32
    assert feats.padding.shape == (2, TOKENS) and not feats.padding[:, :2].any()  # BOS + SEP at least
    assert (feats.tokens[feats.padding] == 0).all() and np.isfinite(feats.tokens).all()
    again = caption_and_embed([_image(0)], blip, max_tokens=TOKENS)  # deterministic, image by image
    assert again.captions[0] == feats.captions[0] and np.allclose(again.tokens[0], feats.tokens[0], atol=1e-6)
    tokens, padding = feats.tensors()
    assert tokens.shape == (2, TOKENS, 16) and padding.dtype == torch.bool


def test_text_needs_a_blip_folder():
    with pytest.raises(InvalidInputError, match=BLIP_MODEL_ENV):
        caption_and_embed([_image(0)])


def test_text_model_shapes_and_padding():
    model = build_model(TINY_TEXT).eval()
    query, ratios, refs, text, padding = _inputs()
    out = model(query, ratios, refs, text, padding)
    assert out.boxes.shape == (2, 12, 4) and out.logits.shape == (2, 12) and len(out.layers) == 2
    assert model(query, ratios, None, text, padding).boxes.shape == (2, 12, 4)  # no retrieval
    assert model(query, ratios, refs).boxes.shape == (2, 12, 4)  # no text: passes through
    noisy = text.clone()
    noisy[0, 5:] = 100.0  # padded tokens do not matter
    assert torch.allclose(model(query, ratios, refs, noisy, padding).logits, out.logits, atol=1e-6)
    assert not torch.allclose(model(query, ratios, refs, -text, padding).logits, out.logits)
    empty = torch.ones_like(padding)  # an empty caption gives finite outputs
    assert torch.isfinite(model(query, ratios, refs, text, empty).boxes).all()
    with pytest.raises(ValueError, match="no text branch"):
        build_model(ProCropConfig(width=32, heads=2, queries=12, ffn=64))(query, ratios, refs, text, padding)


def test_one_training_step_with_text_lowers_the_loss():
    model = build_model(TINY_TEXT)
    query, ratios, refs, text, padding = _inputs()
    targets = [torch.tensor([[0.1, 0.1, 0.9, 0.9]]), torch.tensor([[0.0, 0.2, 0.7, 1.0]])]
    criterion = SetCriterion()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    model.eval()  # no dropout, so the two losses are comparable
    before = criterion(model(query, ratios, refs, text, padding).layers, targets).total
    opt.zero_grad()
    before.backward()
    assert model.text_fusion.project[0].weight.grad.abs().sum() > 0  # the text branch learns
    opt.step()
    after = criterion(model(query, ratios, refs, text, padding).layers, targets).total
    assert after.item() < before.item()


@pytest.mark.parametrize("name", ["procrop-lite0.pt", "procrop-lite0-noret.pt"])
def test_shipped_weights_are_unchanged_by_the_text_branch(name):
    """The shipped checkpoints, one saved before ``text`` existed (no key) and one after
    (``text: false``): strict load, no text parameters, and the forward pass of each network
    (each member of an ensemble) is exactly the pre-text composition memory -> retrieval
    fusion -> decoder; an ensemble's output is its members' vote."""
    path = resource_path(f"weights/{name}")
    if not path.is_file():
        pytest.skip(f"{path} not built")
    data = load_checkpoint(path, KIND)
    assert not data["config"].get("text", False)
    config = ProCropConfig.from_dict(data["config"])
    model = build_model(config).eval()
    model.load_state_dict(data["state_dict"], strict=True)
    assert not config.text and not any("text_fusion" in k for k in model.state_dict())
    torch.manual_seed(0)
    query, ratios = torch.randn(2, config.query_channels, 10, 10), torch.tensor([1.5, 0.7])
    refs = torch.randn(2, config.top_k, config.ref_channels, config.ref_grid, config.ref_grid) if config.retrieval else None
    networks = list(model.members) if isinstance(model, ProCropEnsemble) else [model]
    with torch.no_grad():
        out = model(query, ratios, refs)
        parts = []
        for net in networks:
            assert net.text_fusion is None
            memory, pos = net.memory(query, ratios)
            parts.append(net.decoder(net.fusion(memory, pos, refs), pos)[-1])
    for b in range(2):
        boxes, logits = nearest_vote([p[0][b] for p in parts], [p[1][b] for p in parts])
        assert torch.equal(out.boxes[b], boxes) and torch.equal(out.logits[b], logits)


def test_predictor_with_text_end_to_end(blip, tmp_path, monkeypatch):
    torch.manual_seed(0)
    config = ProCropConfig(**{**TINY_TEXT.to_dict(), "retrieval": False})  # no index needed
    weights = save_checkpoint(tmp_path / "text.pt", KIND, config.to_dict(), build_model(config).state_dict(), {"seed": 0})
    with pytest.raises(InvalidInputError, match=f"text fusion.*{BLIP_MODEL_ENV}"):
        load_predictor(weights, tmp_path / "no-index")
    with pytest.raises(InvalidInputError, match="16-dim text features.*trained on 768"):
        ProCropPredictor(build_model(ProCropConfig(**{**TINY_TEXT.to_dict(), "text_dim": 768})), build_encoder(), None, blip_model=blip)
    monkeypatch.setenv(BLIP_MODEL_ENV, str(blip))
    predictor = load_predictor(weights, tmp_path / "no-index")
    assert predictor.blip_model == blip
    rgb = _image(3, 96, 128)
    predictor.set_image(rgb, rerank=False)  # the decoder's own scores, compared below
    out = predictor.suggest(3)
    assert 1 <= len(out.items) <= 3 and all(0 <= s.score <= 1 for s in out.items)
    # the same numbers as the model fed with caption_and_embed's features by hand
    comp = predictor.encoder.encode(rgb)
    text, padding = caption_and_embed([rgb], blip, max_tokens=TOKENS).tensors()
    with torch.no_grad():
        ref = predictor.model(comp.maps["s32"], torch.tensor([128 / 96]), None, text, padding)
    best = int(ref.logits[0].argmax())
    assert out.items[0].score == pytest.approx(float(ref.logits[0, best].sigmoid()), abs=1e-5)


def test_cli_trains_the_text_fusion_with_a_blip_folder(blip, tmp_path, monkeypatch, capsys):
    """`train procrop --blip-model DIR` captions every image once, trains the text branch and
    records it; the weights then load (with BLIP configured) and suggest."""
    from PIL import Image

    from models.cli.main import main

    folder = tmp_path / "data"
    (folder / "images").mkdir(parents=True)
    entries = []
    for i in range(4):
        Image.fromarray(_image(i, 48, 64)).save(folder / "images" / f"p{i}.png")
        entries.append({"file": f"images/p{i}.png", "width": 64, "height": 48, "crops": [[0.1, 0.1, 0.8, 0.9]]})
    import json

    (folder / "annotations.json").write_text(json.dumps({"name": "tiny", "images": entries}))
    out = tmp_path / "text.pt"
    args = ["train", "procrop", str(folder), "--out", str(out), "--epochs", "1", "--batch", "2", "--all-images",
            "--no-retrieval", "--blip-model", str(blip), "--json"]  # fmt: skip
    assert main(args) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["text"] == {"blip_model": blip.name}
    data = load_checkpoint(out, KIND)
    assert data["config"]["text"] and data["config"]["text_dim"] == blip_text_dim(blip)
    assert any(k.startswith("text_fusion.") for k in data["state_dict"])
    monkeypatch.setenv(BLIP_MODEL_ENV, str(blip))
    predictor = load_predictor(out, tmp_path / "no-index")
    predictor.set_image(_image(9, 48, 64))
    assert predictor.suggest(2).items
