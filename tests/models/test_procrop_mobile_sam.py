"""The ``mobile-sam`` composition encoder: our TinyViT (models/procrop/tiny_vit.py) in a tiny
configuration, its default configuration's state-dict layout against MobileSAM's
checkpoint (``mobile_sam.pt``, keys ``image_encoder.*``), and the registry's strict loading
of randomly initialised checkpoints written here (no MobileSAM weights on this machine)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from models.errors import InvalidInputError
from models.procrop import encoder as enc
from models.procrop.encoder import REF_CHANNELS, REF_GRID, build_encoder
from models.procrop.tiny_vit import MOBILE_SAM, TinyViT, TinyViTConfig

TINY = TinyViTConfig(img_size=64, embed_dims=(8, 16, 16, 24), depths=(1, 1, 2, 1), num_heads=(1, 2, 2, 3),
                     window_sizes=(2, 2, 4, 2), num_classes=10, neck_channels=32)  # fmt: skip

# A few keys of MobileSAM's checkpoint and their shapes, from its TinyViT-5M configuration:
# embed_dims 64/128/160/320, depths 2/2/6/2, heads 2/4/5/10, windows 7/7/14/7, MBConv x4,
# MLP x4, a 1000-class head (unused) and SAM's 256-channel neck.
MOBILE_SAM_KEYS = {
    "image_encoder.patch_embed.seq.0.c.weight": (32, 3, 3, 3),
    "image_encoder.patch_embed.seq.0.bn.running_var": (32,),
    "image_encoder.patch_embed.seq.2.c.weight": (64, 32, 3, 3),
    "image_encoder.layers.0.blocks.0.conv1.c.weight": (256, 64, 1, 1),
    "image_encoder.layers.0.blocks.1.conv2.c.weight": (256, 1, 3, 3),
    "image_encoder.layers.0.blocks.1.conv3.bn.num_batches_tracked": (),
    "image_encoder.layers.0.downsample.conv1.c.weight": (128, 64, 1, 1),
    "image_encoder.layers.0.downsample.conv2.c.weight": (128, 1, 3, 3),
    "image_encoder.layers.1.blocks.0.attn.attention_biases": (4, 49),
    "image_encoder.layers.1.blocks.0.attn.norm.weight": (128,),
    "image_encoder.layers.1.blocks.0.attn.qkv.weight": (384, 128),
    "image_encoder.layers.1.blocks.1.local_conv.bn.running_mean": (128,),
    "image_encoder.layers.1.downsample.conv3.c.weight": (160, 160, 1, 1),
    "image_encoder.layers.2.blocks.5.attn.attention_biases": (5, 196),
    "image_encoder.layers.2.blocks.5.attn.qkv.bias": (480,),
    "image_encoder.layers.2.blocks.5.attn.proj.weight": (160, 160),
    "image_encoder.layers.2.blocks.5.local_conv.c.weight": (160, 1, 3, 3),
    "image_encoder.layers.2.blocks.5.mlp.norm.bias": (160,),
    "image_encoder.layers.2.blocks.5.mlp.fc1.weight": (640, 160),
    "image_encoder.layers.2.downsample.conv1.c.weight": (320, 160, 1, 1),
    "image_encoder.layers.2.downsample.conv2.c.weight": (320, 1, 3, 3),
    "image_encoder.layers.3.blocks.1.attn.attention_biases": (10, 49),
    "image_encoder.layers.3.blocks.1.mlp.fc2.weight": (320, 1280),
    "image_encoder.norm_head.weight": (320,),
    "image_encoder.head.weight": (1000, 320),
    "image_encoder.neck.0.weight": (256, 320, 1, 1),
    "image_encoder.neck.1.weight": (256,),
    "image_encoder.neck.2.weight": (256, 256, 3, 3),
    "image_encoder.neck.3.bias": (256,),
}


def _image(seed: int, h: int = 48, w: int = 72) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _random_state(model: torch.nn.Module, seed: int) -> dict[str, torch.Tensor]:
    """Every float tensor randomised (BatchNorm statistics too, variances kept positive)."""
    gen = torch.Generator().manual_seed(seed)
    state = {}
    for k, v in model.state_dict().items():
        if v.is_floating_point():
            v = torch.randn(v.shape, generator=gen) * 0.1
            v = v.abs() + 0.5 if k.endswith("running_var") else v
        state[k] = v
    return state


def test_tiny_tinyvit_shapes():
    torch.manual_seed(0)
    model = TinyViT(TINY).eval()
    with torch.no_grad():
        assert model(torch.randn(2, 3, 64, 64)).shape == (2, 32, 4, 4)  # stride 16
        assert model(torch.randn(1, 3, 64, 96)).shape == (1, 32, 4, 6)  # windows pad any grid
    wide = TinyViT(TinyViTConfig(**{**_fields(TINY), "last_stride": 2})).eval()
    assert wide.stride == 32 and wide(torch.randn(1, 3, 64, 64)).shape == (1, 32, 2, 2)


def _fields(config: TinyViTConfig) -> dict:
    return {name: getattr(config, name) for name in config.__dataclass_fields__}


def test_default_config_has_mobile_sam_checkpoint_layout():
    state = {f"image_encoder.{k}": v for k, v in TinyViT(MOBILE_SAM).state_dict().items()}
    for key, shape in MOBILE_SAM_KEYS.items():
        assert tuple(state[key].shape) == shape, key
    blocks = {tuple(k.split(".")[2:5:2]) for k in state if ".blocks." in k}  # (layer, block)
    assert sorted(blocks) == [(str(i), str(j)) for i, d in enumerate(MOBILE_SAM.depths) for j in range(d)]
    assert not any(k.startswith("image_encoder.layers.3.downsample") for k in state)
    assert not any("bias_idx" in k or "bias_index" in k for k in state)  # a derived buffer, not stored
    # per block: MBConv 3 conv+BN (1 + 5 tensors each); attention block 7 + local conv 6 + MLP 6
    mbconv, attention = 3 * 6, 7 + 6 + 6
    merges = 3 * 3 * 6
    expected = 2 * 6 + 2 * mbconv + 10 * attention + merges + 2 + 2 + 6
    assert len(state) == expected == 302


def test_window_bias_order_is_levits():
    """Bias index of a cell pair = the order in which LeViT's construction first meets the
    pair's offset (|dy|, |dx|), scanning cell pairs row-major: what the checkpoint assumes."""
    w = 3
    seen: dict[tuple[int, int], int] = {}
    naive = []
    for p, q in itertools.product(itertools.product(range(w), range(w)), repeat=2):
        offset = (abs(p[0] - q[0]), abs(p[1] - q[1]))
        naive.append(seen.setdefault(offset, len(seen)))
    block = TinyViT(TinyViTConfig(**{**_fields(TINY), "window_sizes": (2, w, w, w)})).layers[1].blocks[0]
    assert block.attn.bias_index.tolist() == torch.tensor(naive).view(w * w, w * w).tolist()
    assert block.attn.attention_biases.shape == (2, len(seen))


def test_registry_loads_a_mobile_sam_checkpoint(tmp_path, monkeypatch):
    model = TinyViT(MOBILE_SAM)
    state = _random_state(model, 1)
    full = {f"image_encoder.{k}": v for k, v in state.items()}
    full["prompt_encoder.pe_layer.positional_encoding_gaussian_matrix"] = torch.randn(2, 128)  # full-model parts:
    full["mask_decoder.iou_token.weight"] = torch.randn(1, 256)  # ignored by the encoder
    torch.save(full, tmp_path / "mobile_sam.pt")
    monkeypatch.setenv(enc.SAM_CHECKPOINT_ENV, str(tmp_path / "mobile_sam.pt"))
    encoder = build_encoder("mobile-sam", input_size=64)  # small input: seconds, not minutes
    assert encoder.name == "mobile-sam" and encoder.input_size == 64
    loaded = encoder.image_encoder.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())
    comp = encoder.encode(_image(0))
    assert comp.maps["embed"].shape == (1, 256, 4, 4)
    assert comp.ref_map.shape == (REF_CHANNELS, REF_GRID, REF_GRID)
    assert np.linalg.norm(comp.vector) == pytest.approx(1.0, abs=1e-5)
    assert not any(p.requires_grad for p in encoder.parameters())
    # the image encoder alone, with or without the prefix, in {"model": ...} or bare
    torch.save({"model": {k: v for k, v in full.items() if k.startswith("image_encoder.")}}, tmp_path / "a.pt")
    torch.save(state, tmp_path / "b.pt")
    for name in ("a.pt", "b.pt"):
        other = build_encoder("mobile-sam", checkpoint=tmp_path / name, input_size=64)
        assert torch.equal(other.encode(_image(0)).maps["embed"], comp.maps["embed"])


def test_registry_tiny_config(tmp_path):
    state = _random_state(TinyViT(TINY), 2)
    torch.save({f"image_encoder.{k}": v for k, v in state.items()}, tmp_path / "tiny.pt")
    encoder = build_encoder("mobile-sam", checkpoint=tmp_path / "tiny.pt", config=TINY)
    assert encoder.input_size == 64 and encoder.channels == {"embed": 32}
    assert encoder.encode(_image(3)).maps["embed"].shape == (1, 32, 4, 4)


def test_strict_state_dict_check(tmp_path, monkeypatch):
    state = {f"image_encoder.{k}": v for k, v in TinyViT(TINY).state_dict().items()}
    cases = {
        "missing": {k: v for k, v in state.items() if k != "image_encoder.layers.2.blocks.1.attn.qkv.weight"},
        "unexpected": {**state, "image_encoder.layers.3.downsample.conv1.c.weight": torch.zeros(1)},
        "shape": {**state, "image_encoder.neck.1.weight": torch.zeros(33)},
    }
    for name, broken in cases.items():
        torch.save(broken, tmp_path / f"{name}.pt")
        with pytest.raises(InvalidInputError, match="does not fit MobileSAM's TinyViT") as info:
            build_encoder("mobile-sam", checkpoint=tmp_path / f"{name}.pt", config=TINY)
        assert {"missing": "Missing key", "unexpected": "Unexpected key", "shape": "size mismatch"}[name] in str(info.value)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(InvalidInputError, match="not a SAM checkpoint"):
        build_encoder("mobile-sam", checkpoint=tmp_path / "junk.pt")
    monkeypatch.delenv(enc.SAM_CHECKPOINT_ENV, raising=False)
    with pytest.raises(InvalidInputError, match="CROPSTUDIO_SAM_CHECKPOINT"):
        build_encoder("mobile-sam")


def test_options_are_checked(tmp_path):
    torch.save(TinyViT(TINY).state_dict(), tmp_path / "t.pt")
    with pytest.raises(InvalidInputError, match="multiple of 32"):
        build_encoder("mobile-sam", checkpoint=tmp_path / "t.pt", config=TINY, input_size=50)
    with pytest.raises(InvalidInputError, match="does not take input_size"):
        build_encoder("efficientnet-lite0", input_size=64)
