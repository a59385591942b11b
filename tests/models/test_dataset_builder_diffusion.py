"""The diffusion outpainting backend and the optional SAM composition masks (captions:
tests/models/test_nn_blip.py), run on tiny randomly initialised models written here: no weights are
downloaded (``HF_HUB_OFFLINE=1``, ``local_files_only``), and everything runs on the CPU."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import torch

from models.dataset_builder import conditioning as cond
from models.dataset_builder.outpaint import OutpaintRequest, available_outpainters, build_outpainter
from models.dataset_builder.outpaint_diffusion import CONTROLNET_MODEL_ENV, DIFFUSION_MODEL_ENV, blend_known, fit_to_multiple
from models.errors import InvalidInputError

ROOT = Path(__file__).parents[2]
HAS_DIFFUSERS = all(importlib.util.find_spec(p) is not None for p in ("diffusers", "transformers"))
needs_diffusers = pytest.mark.skipif(not HAS_DIFFUSERS, reason="diffusers / transformers not installed")
FAST = {"allow_cpu": True, "steps": 2, "resolution": 64}


@pytest.fixture(scope="module")
def offline():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HF_HUB_OFFLINE", "1")
        mp.setenv("TRANSFORMERS_OFFLINE", "1")
        yield


@pytest.fixture(scope="module")
def tiny(offline, tmp_path_factory) -> dict[str, Path]:
    """Folders of a tiny inpainting pipeline and a tiny ControlNet."""
    from tests.tiny_diffusers import save_tiny_controlnet, save_tiny_inpaint_pipeline

    root = tmp_path_factory.mktemp("diffusers")
    return {"pipeline": save_tiny_inpaint_pipeline(root / "sd"), "controlnet": save_tiny_controlnet(root / "cn")}


@pytest.fixture(scope="module")
def painter(tiny):
    return build_outpainter("diffusion", model_dir=tiny["pipeline"], **FAST)


def _request(h: int = 64, w: int = 64, seed: int = 0, **kw) -> OutpaintRequest:
    rng = np.random.default_rng(5)
    canvas = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    known = np.zeros((h, w), bool)
    known[h // 6 : h - h // 5, w // 4 : w - w // 8] = True
    return OutpaintRequest(canvas, known, seed=seed, **kw)


# -- without weights ---------------------------------------------------------------------------
def test_module_imports_without_loading_diffusers():
    code = "import sys, models.dataset_builder.outpaint_diffusion, models.dataset_builder.conditioning; " \
        "assert not {'diffusers', 'transformers'} & set(sys.modules)"
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_registered():
    assert "diffusion" in available_outpainters()


def test_missing_package_is_a_clear_error(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "diffusers" else real(name, *a))
    with pytest.raises(InvalidInputError, match="pip install diffusers"):
        build_outpainter("diffusion", model_dir="anywhere")


@needs_diffusers
def test_missing_weights_say_what_to_configure(monkeypatch, tmp_path):
    monkeypatch.delenv(DIFFUSION_MODEL_ENV, raising=False)
    with pytest.raises(InvalidInputError, match=DIFFUSION_MODEL_ENV):
        build_outpainter("diffusion", allow_cpu=True)
    with pytest.raises(InvalidInputError, match="model_index.json"):
        build_outpainter("diffusion", model_dir=tmp_path, allow_cpu=True)
    (tmp_path / "model_index.json").write_text('{"_class_name": "StableDiffusionInpaintPipeline", "unet": ["diffusers", "UNet2DConditionModel"]}')
    with pytest.raises(InvalidInputError, match="cannot load"):
        build_outpainter("diffusion", model_dir=tmp_path, allow_cpu=True)
    with pytest.raises(InvalidInputError, match="ControlNet folder"):
        build_outpainter("diffusion", model_dir=tmp_path, controlnet_dir=tmp_path / "none", allow_cpu=True)


@needs_diffusers
@pytest.mark.skipif(torch.cuda.is_available(), reason="a GPU is present")
def test_cpu_must_be_allowed(tiny):
    with pytest.raises(InvalidInputError, match="allow_cpu"):
        build_outpainter("diffusion", model_dir=tiny["pipeline"])


@needs_diffusers
def test_bad_options(tiny, monkeypatch):
    monkeypatch.delenv(CONTROLNET_MODEL_ENV, raising=False)
    with pytest.raises(InvalidInputError, match="unknown diffusion options"):
        build_outpainter("diffusion", model_dir=tiny["pipeline"], allow_cpu=True, stepz=3)
    with pytest.raises(InvalidInputError, match="conditioning"):
        build_outpainter("diffusion", model_dir=tiny["pipeline"], allow_cpu=True, control="depth")
    with pytest.raises(InvalidInputError, match=CONTROLNET_MODEL_ENV):
        build_outpainter("diffusion", model_dir=tiny["pipeline"], allow_cpu=True, control="canny")


def test_fit_to_multiple():
    assert fit_to_multiple((1024, 768), 512) == (592, 440)
    assert fit_to_multiple((64, 64), 64) == (64, 64)
    assert all(s % 8 == 0 and s >= 8 for s in fit_to_multiple((5000, 30), 512))


def test_blend_keeps_known_and_fades_the_offset():
    canvas = np.full((40, 40, 3), 200, np.uint8)
    known = np.zeros((40, 40), bool)
    known[:, :20] = True
    generated = np.full((40, 40, 3), 100, np.uint8)  # a colour shift of -100 everywhere
    out = blend_known(canvas, known, generated, feather=10)
    assert (out[known] == 200).all()
    assert out[20, 20, 0] > 170  # next to the photo: nearly its colour (no seam)
    assert (out[:, 31:] == 100).all()  # beyond the feather: the generated pixels
    assert (np.diff(out[20, 20:32, 0].astype(int)) <= 0).all()  # a monotone fade
    assert (blend_known(canvas, known, generated, feather=0)[:, 20:] == 100).all()


# -- the tiny pipeline -------------------------------------------------------------------------
@needs_diffusers
@pytest.mark.parametrize("size", [(64, 64), (50, 70)])
def test_fill_keeps_known_pixels(painter, size):
    request = _request(*size, seed=3, caption="a photo")
    out = painter.fill(request)
    assert out.shape == request.canvas.shape and out.dtype == np.uint8
    assert (out[request.known] == request.canvas[request.known]).all()
    assert (out[~request.known] != request.canvas[~request.known]).any()  # something was generated
    assert (request.canvas == _request(*size, seed=3).canvas).all()  # the input is not mutated


@needs_diffusers
def test_fill_is_seeded(painter):
    a = painter.fill(_request(seed=1))
    assert (painter.fill(_request(seed=1)) == a).all()
    assert (painter.fill(_request(seed=2)) != a).any()


@needs_diffusers
def test_weights_from_the_environment(tiny, monkeypatch):
    monkeypatch.setenv(DIFFUSION_MODEL_ENV, str(tiny["pipeline"]))
    monkeypatch.delenv(CONTROLNET_MODEL_ENV, raising=False)
    painter = build_outpainter("diffusion", **FAST)
    assert painter.name == "diffusion" and not painter.controlled
    request = _request()
    assert (painter.fill(request)[request.known] == request.canvas[request.known]).all()


@needs_diffusers
@pytest.mark.parametrize("control", ["inpaint", "canny", "composition"])
def test_controlnet(tiny, control):
    painter = build_outpainter("diffusion", model_dir=tiny["pipeline"], controlnet_dir=tiny["controlnet"], control=control, **FAST)
    assert painter.controlled
    plain = _request(48, 56, seed=4)
    composition = np.zeros(plain.known.shape, np.int32)
    composition[10:30, 20:40] = 1
    request = _request(48, 56, seed=4, composition=composition)
    out = painter.fill(request)
    assert out.shape == request.canvas.shape and (out[request.known] == request.canvas[request.known]).all()
    if control == "composition":
        with pytest.raises(InvalidInputError, match="composition masks"):
            painter.fill(plain)


# -- composition masks -------------------------------------------------------------------------
@pytest.fixture
def tiny_sam(monkeypatch):
    """``vit_b`` of segment-anything's registry replaced by a tiny ViT (same builder code,
    full prompt encoder and mask decoder), as in tests/models/test_procrop_encoder.py."""
    from models.procrop import encoder as enc

    registry = enc._sam_registry("segment_anything")
    build = sys.modules["segment_anything.build_sam"]._build_sam
    tiny = partial(build, encoder_embed_dim=16, encoder_depth=1, encoder_num_heads=1, encoder_global_attn_indexes=[])
    monkeypatch.setitem(registry, "vit_b", tiny)
    cond._sam.cache_clear()
    yield tiny
    cond._sam.cache_clear()


def test_composition_needs_a_checkpoint(monkeypatch):
    monkeypatch.delenv("CROPSTUDIO_SAM_CHECKPOINT", raising=False)
    with pytest.raises(InvalidInputError, match="CROPSTUDIO_SAM_CHECKPOINT"):
        cond.composition_masks(np.zeros((8, 8, 3), np.uint8))


def test_tiny_sam_label_map(tiny_sam, tmp_path, monkeypatch):
    torch.manual_seed(0)
    model = tiny_sam()
    torch.save(model.state_dict(), tmp_path / "sam.pth")
    torch.save(model.image_encoder.state_dict(), tmp_path / "encoder.pth")
    image = np.random.default_rng(0).integers(0, 256, (48, 64, 3), dtype=np.uint8)
    monkeypatch.setenv("CROPSTUDIO_SAM_CHECKPOINT", str(tmp_path / "sam.pth"))
    labels = cond.composition_masks(image, points_per_side=2, pred_iou_thresh=0, stability_score_thresh=0, min_area=0.01)
    assert labels.shape == (48, 64) and labels.dtype == np.int32
    found = np.unique(labels)
    assert found.max() >= 1 and (found == np.arange(found[0], found.max() + 1)).all()  # consecutive labels
    areas = [np.count_nonzero(labels == k) for k in found[found > 0]]
    assert areas[0] > 0
    with pytest.raises(InvalidInputError, match="full SAM checkpoint"):
        cond.composition_masks(image, tmp_path / "encoder.pth")


def test_nms_keeps_the_best_of_overlapping_boxes():
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], float)
    assert cond._nms(boxes, np.array([0.5, 0.9, 0.1]), 0.7).tolist() == [1, 2]


def test_labels_on_canvas():
    labels = np.array([[1, 2], [3, 0]], np.int32)
    known = np.zeros((6, 8), bool)
    known[1:5, 2:6] = True
    out = cond.labels_on_canvas(labels, known)
    assert out.dtype == np.int32 and out.shape == (6, 8)
    assert (out[~known] == 0).all()
    assert (out[1:3, 2:4] == 1).all() and (out[1:3, 4:6] == 2).all() and (out[3:5, 2:4] == 3).all()
    with pytest.raises(InvalidInputError):
        cond.labels_on_canvas(labels.astype(float), known)
