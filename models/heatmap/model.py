"""The heatmap predictor: frozen backbone + trained head, loaded from a weights file.

:data:`DEFAULT_WEIGHTS` is the file shipped in ``resources/weights/`` (how it was made is
stored in it, ``meta["command"]``, and written in ``docs/benchmarks.md``). Users can point
``CROPSTUDIO_HEATMAP_WEIGHTS`` or ``--weights`` at their own. :func:`shared_heatmap_model`
loads each file once per process, for every path that needs the heatmap (the constraint
methods, ProCrop's re-ranking).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.heatmap.head import HeatmapConfig, HeatmapHead
from models.nn.backbone import Backbone, build_backbone, image_tensor
from models.nn.checkpoint import load_checkpoint
from models.once import LoadedOnce
from models.resources import resource_path

__all__ = ["DEFAULT_WEIGHTS", "HeatmapModel", "load_heatmap_model", "shared_heatmap_model"]

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = "weights/heatmap-lite0.pt"
KIND = "heatmap"


@dataclass(eq=False)
class HeatmapModel:
    config: HeatmapConfig
    backbone: Backbone
    head: HeatmapHead
    meta: dict

    def features(self, rgb: np.ndarray) -> dict[str, torch.Tensor]:
        with torch.inference_mode():
            return self.backbone(image_tensor(rgb, self.config.input_size, self.backbone))

    @property
    def maps_from(self) -> tuple[str, int, str]:
        """``(backbone name, input size, weights file)``: maps computed by another module with
        the same key are this model's own features (:meth:`predict_maps` takes them)."""
        return (self.config.backbone, self.config.input_size, self.backbone.weights_file)

    def predict(self, rgb: np.ndarray) -> np.ndarray:
        """``(m, m)`` float64 heatmap in [0, 1] over the whole image (square grid)."""
        return self.predict_maps(self.features(rgb))

    def predict_maps(self, maps: dict[str, torch.Tensor]) -> np.ndarray:
        """:meth:`predict` from the backbone's maps of the image, already computed (the same
        backbone at ``config.input_size``: see :attr:`maps_from`)."""
        with torch.inference_mode():
            self.head.eval()
            return torch.sigmoid(self.head({k: maps[k].float() for k in ("s8", "s16", "s32")}))[0].double().numpy()


def default_weights() -> Path:
    env = os.environ.get("CROPSTUDIO_HEATMAP_WEIGHTS")
    return Path(env) if env else resource_path(DEFAULT_WEIGHTS)


def load_heatmap_model(weights: str | os.PathLike | None = None, *, backbone: Backbone | None = None) -> HeatmapModel:
    """Backbone + head from ``weights`` (default: the bundled file); strict state-dict check."""
    path = Path(weights) if weights is not None else default_weights()
    data = load_checkpoint(path, KIND)
    config = HeatmapConfig.from_dict(data["config"])
    head = HeatmapHead(config)
    head.load_state_dict(data["state_dict"], strict=True)
    head.eval()
    log.debug("heatmap weights %s (%s)", path, data["meta"].get("command", "?"))
    return HeatmapModel(config, backbone or build_backbone(config.backbone), head, data["meta"])


_shared: LoadedOnce[HeatmapModel] = LoadedOnce()


def shared_heatmap_model(weights: str | os.PathLike | None = None) -> HeatmapModel:
    """:func:`load_heatmap_model`, once per process and weights file, whichever thread asks first."""
    path = str(Path(weights) if weights is not None else default_weights())
    return _shared.get(path, lambda: load_heatmap_model(path))
