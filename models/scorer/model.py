"""The crop scorer: ``score(image features, boxes) -> (N,)``, higher is a better crop.

Each box is described by RoI-pooled features (3 x 3 cells on 1x1-reduced stride-16 and
stride-32 maps), optionally RoD-pooled ones (what the crop discards, GAIC; ``rod`` cells),
the image's pooled context and its geometry (size, offset from the centre, ratio); an MLP
maps that to a score. Scores only rank boxes of one image.

A config with ``members > 1`` is an ensemble (:class:`ScorerEnsemble`): that many scorers
trained alike from different seeds, on the same frozen backbone maps, their scores averaged.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
from torch import nn

from models.errors import InvalidInputError
from models.nn.backbone import Backbone, build_backbone, image_tensor
from models.nn.checkpoint import load_checkpoint
from models.nn.roi import rod_pool, roi_pool
from models.once import LoadedOnce
from models.resources import resource_path

__all__ = [
    "DEFAULT_WEIGHTS", "JUDGE_WEIGHTS", "KIND", "CropScorer", "ScorerConfig", "ScorerEnsemble", "ScorerModel",
    "build_scorer", "load_scorer",
]  # fmt: skip

log = logging.getLogger(__name__)

DEFAULT_WEIGHTS = "weights/scorer-lite0.pt"
JUDGE_WEIGHTS = "weights/scorer-judge-lite0.pt"
"""The judge (issue 18): RoD features, FCDB pairs + expert crops + pro_portraits view finding
+ fine placement (each expert crop / frame against same-ratio views a few percent off);
three members (seeds 0, 1, 2), scores averaged.
Used by the ``judge`` ranker, ProCrop's re-ranking and the ``proposal`` constraint method
(each weight re-chosen for it on the hold-outs); ``DEFAULT_WEIGHTS`` is the previous scorer,
kept as the ``scorer`` ranker and as the baseline of the ablations."""
KIND = "scorer"
GEOMETRY = 8


@dataclass(frozen=True, slots=True)
class ScorerConfig:
    backbone: str = "efficientnet-lite0"
    input_size: int = 320
    reduce: int = 32
    cells: int = 3
    hidden: int = 256
    in_channels: tuple[int, int] = (112, 320)  # s16, s32
    rod: int = 0  # RoDAlign grid (GAIC): features of what the crop discards; 0 = none
    members: int = 1  # > 1: an ensemble of that many scorers (seeds seed, seed + 1, ...), scores averaged

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ScorerConfig:
        return cls(**{**data, "in_channels": tuple(data["in_channels"])})


def geometry(boxes: torch.Tensor, image_ratio: float) -> torch.Tensor:
    """``(N, 8)`` box descriptors from normalised boxes and the image's W/H."""
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    dx = (boxes[:, 0] + boxes[:, 2]) / 2 - 0.5
    dy = (boxes[:, 1] + boxes[:, 3]) / 2 - 0.5
    ratio = torch.log(w.clamp_min(1e-6) / h.clamp_min(1e-6) * image_ratio)
    return torch.stack([w, h, w * h, dx, dy, dx.abs() + dy.abs(), ratio, torch.full_like(w, math.log(image_ratio))], 1)


class CropScorer(nn.Module):
    def __init__(self, config: ScorerConfig = ScorerConfig()) -> None:
        super().__init__()
        self.config = config
        c16, c32 = config.in_channels
        r, k = config.reduce, config.cells
        self.reduce16 = nn.Sequential(nn.Conv2d(c16, r, 1), nn.ReLU())
        self.reduce32 = nn.Sequential(nn.Conv2d(c32, r, 1), nn.ReLU())
        width = 2 * r * k * k + 2 * r + GEOMETRY + 2 * r * config.rod * config.rod
        self.mlp = nn.Sequential(
            nn.Linear(width, config.hidden), nn.ReLU(), nn.Dropout(0.2),
            nn.Linear(config.hidden, 64), nn.ReLU(), nn.Linear(64, 1),
        )  # fmt: skip

    def reduced(self, features: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        return self.reduce16(features["s16"]), self.reduce32(features["s32"])

    def score(self, reduced: tuple[torch.Tensor, torch.Tensor], boxes: torch.Tensor, image_ratio: float) -> torch.Tensor:
        """``(N,)`` scores of normalised ``boxes`` on one image's reduced maps."""
        a, b = reduced
        n, k = boxes.shape[0], self.config.cells
        context = torch.cat([a.mean((2, 3)), b.mean((2, 3))], 1).expand(n, -1)
        parts = [roi_pool(a, boxes, k).reshape(n, -1), roi_pool(b, boxes, k).reshape(n, -1), context, geometry(boxes, image_ratio)]
        if self.config.rod:
            parts += [rod_pool(a, boxes, self.config.rod).reshape(n, -1), rod_pool(b, boxes, self.config.rod).reshape(n, -1)]
        x = torch.cat(parts, 1)
        return self.mlp(x).squeeze(1)

    def forward(self, features: dict[str, torch.Tensor], boxes: torch.Tensor, image_ratio: float) -> torch.Tensor:
        return self.score(self.reduced(features), boxes, image_ratio)


class ScorerEnsemble(nn.Module):
    """``config.members`` scorers of one config on the same maps; the score is their mean."""

    def __init__(self, config: ScorerConfig) -> None:
        super().__init__()
        self.config = config
        self.members = nn.ModuleList(CropScorer(replace(config, members=1)) for _ in range(config.members))

    def reduced(self, features: dict[str, torch.Tensor]) -> tuple[tuple[torch.Tensor, torch.Tensor], ...]:
        return tuple(m.reduced(features) for m in self.members)

    def score(self, reduced: tuple[tuple[torch.Tensor, torch.Tensor], ...], boxes: torch.Tensor, image_ratio: float) -> torch.Tensor:
        return torch.stack([m.score(r, boxes, image_ratio) for m, r in zip(self.members, reduced, strict=True)]).mean(0)

    def forward(self, features: dict[str, torch.Tensor], boxes: torch.Tensor, image_ratio: float) -> torch.Tensor:
        return self.score(self.reduced(features), boxes, image_ratio)


def build_scorer(config: ScorerConfig) -> CropScorer | ScorerEnsemble:
    """An untrained scorer of ``config``: one :class:`CropScorer`, or an ensemble of them."""
    if config.members < 1:
        raise InvalidInputError(f"a scorer needs at least one member, got {config.members}")
    return CropScorer(config) if config.members == 1 else ScorerEnsemble(config)


@dataclass(eq=False)
class ScorerModel:
    """Backbone + scorer; ``prepare(rgb)`` once per image, then ``score`` any boxes."""

    config: ScorerConfig
    backbone: Backbone
    scorer: CropScorer | ScorerEnsemble
    meta: dict

    def prepare(self, rgb: np.ndarray) -> tuple:
        return self.prepare_maps(self.backbone(image_tensor(rgb, self.config.input_size, self.backbone)))

    def prepare_maps(self, maps: dict[str, torch.Tensor]) -> tuple:
        """:meth:`prepare` from backbone maps already computed for the image (the same backbone
        at ``config.input_size``: ProCrop's default encoder computes exactly these)."""
        with torch.inference_mode():
            return self.scorer.reduced(maps)

    def score(self, prepared: tuple, boxes: np.ndarray, image_ratio: float) -> np.ndarray:
        """Scores of ``(N, 4)`` normalised boxes, in batches (memory stays small)."""
        out = np.empty(len(boxes))
        with torch.inference_mode():
            self.scorer.eval()
            for s in range(0, len(boxes), 4096):
                t = torch.from_numpy(np.ascontiguousarray(boxes[s : s + 4096], np.float32))
                out[s : s + len(t)] = self.scorer.score(prepared, t, image_ratio).double().numpy()
        return out


def default_weights() -> Path:
    env = os.environ.get("CROPSTUDIO_SCORER_WEIGHTS")
    return Path(env) if env else resource_path(DEFAULT_WEIGHTS)


def judge_weights() -> Path:
    env = os.environ.get("CROPSTUDIO_JUDGE_WEIGHTS")
    return Path(env) if env else resource_path(JUDGE_WEIGHTS)


_loaded: LoadedOnce[ScorerModel] = LoadedOnce()


def load_scorer(weights: str | os.PathLike | None = None) -> ScorerModel:
    """The scorer from ``weights`` (default: bundled), loaded once per process; strict."""
    path = str(Path(weights) if weights is not None else default_weights())

    def load() -> ScorerModel:
        data = load_checkpoint(path, KIND)
        config = ScorerConfig.from_dict(data["config"])
        scorer = build_scorer(config)
        scorer.load_state_dict(data["state_dict"], strict=True)
        scorer.eval()
        return ScorerModel(config, build_backbone(config.backbone), scorer, data["meta"])

    return _loaded.get(path, load)
