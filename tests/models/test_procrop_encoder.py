"""Composition encoders: the default one's shapes, and the SAM loading path with tiny
randomly initialised checkpoints written here (no SAM weights exist on this machine)."""

from __future__ import annotations

import sys
from functools import partial

import numpy as np
import pytest
import torch

from models.errors import InvalidInputError
from models.procrop import encoder as enc
from models.procrop.encoder import REF_CHANNELS, REF_GRID, build_encoder, encoder_registry


@pytest.fixture(scope="module")
def lite0():
    return build_encoder("efficientnet-lite0")


def _image(seed: int, h: int = 120, w: int = 160) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_registry_names():
    assert {"efficientnet-lite0", "sam-vit-b", "sam-vit-l", "sam-vit-h", "mobile-sam"} <= set(encoder_registry)
    with pytest.raises(InvalidInputError, match="unknown encoder"):
        build_encoder("vgg")


def test_lite0_composition_shapes(lite0):
    comp = lite0.encode(_image(0))
    assert comp.ref_map.shape == (REF_CHANNELS, REF_GRID, REF_GRID)
    assert comp.vector.shape == (lite0.vector_dim,) and comp.vector.dtype == np.float32
    assert np.linalg.norm(comp.vector) == pytest.approx(1.0, abs=1e-5)
    assert comp.maps["s32"].shape == (1, 320, 10, 10)
    assert not any(p.requires_grad for p in lite0.parameters())


def test_vector_reflects_layout(lite0):
    """The same picture shifted is nearer to itself than to an unrelated one."""
    base = np.zeros((160, 160, 3), np.uint8)
    base[40:120, 20:60] = 255
    moved = np.roll(base, 8, axis=1)
    other = np.zeros_like(base)
    other[10:40, 60:150] = 255
    v = [lite0.encode(x).vector for x in (base, moved, other)]
    assert v[0] @ v[1] > v[0] @ v[2]


def test_describe_is_batched(lite0):
    maps = {k: torch.cat([v, v.flip(-1)]) for k, v in lite0.encode(_image(1)).maps.items()}
    ref, vec = lite0.describe(maps)
    assert ref.shape == (2, REF_CHANNELS, REF_GRID, REF_GRID) and vec.shape == (2, lite0.vector_dim)


# -- SAM ------------------------------------------------------------------------------------
@pytest.fixture
def tiny_sam(monkeypatch):
    """``vit_b`` of segment-anything's registry replaced by a tiny ViT (same builder code)."""
    registry = enc._sam_registry("segment_anything")
    build = sys.modules["segment_anything.build_sam"]._build_sam
    tiny = partial(build, encoder_embed_dim=16, encoder_depth=1, encoder_num_heads=1, encoder_global_attn_indexes=[])
    monkeypatch.setitem(registry, "vit_b", tiny)
    return tiny


def test_sam_needs_a_checkpoint(monkeypatch):
    monkeypatch.delenv(enc.SAM_CHECKPOINT_ENV, raising=False)
    with pytest.raises(InvalidInputError, match="CROPSTUDIO_SAM_CHECKPOINT"):
        build_encoder("sam-vit-b")


def test_sam_tiny_checkpoint_round_trip(tiny_sam, tmp_path, monkeypatch):
    torch.manual_seed(0)
    model = tiny_sam()
    path = tmp_path / "sam_tiny.pth"
    torch.save(model.state_dict(), path)
    monkeypatch.setenv(enc.SAM_CHECKPOINT_ENV, str(path))
    encoder = build_encoder("sam-vit-b")
    for k, v in model.image_encoder.state_dict().items():
        assert torch.equal(encoder.image_encoder.state_dict()[k], v)
    comp = encoder.encode(_image(2, 64, 96))
    assert comp.maps["embed"].shape == (1, 256, 64, 64)
    assert comp.ref_map.shape == (REF_CHANNELS, REF_GRID, REF_GRID)
    assert np.linalg.norm(comp.vector) == pytest.approx(1.0, abs=1e-5)
    # an image-encoder-only checkpoint loads too
    torch.save({f"image_encoder.{k}": v for k, v in model.image_encoder.state_dict().items()}, tmp_path / "enc.pth")
    assert build_encoder("sam-vit-b", checkpoint=tmp_path / "enc.pth").name == "sam-vit-b"


def test_sam_strict_check(tiny_sam, tmp_path):
    state = tiny_sam().state_dict()
    state.pop(next(k for k in state if k.startswith("image_encoder.blocks")))
    torch.save(state, tmp_path / "broken.pth")
    with pytest.raises(InvalidInputError, match="does not fit"):
        build_encoder("sam-vit-b", checkpoint=tmp_path / "broken.pth")
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(InvalidInputError, match="not a SAM checkpoint"):
        build_encoder("sam-vit-b", checkpoint=tmp_path / "junk.pth")
    with pytest.raises(InvalidInputError, match="not found"):
        build_encoder("sam-vit-b", checkpoint=tmp_path / "missing.pth")
