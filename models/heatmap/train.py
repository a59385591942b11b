"""Train the heatmap head on a folder of expert crops (``annotations.json`` format).

``cropstudio train heatmap ../shared/data/fcdb_train --out resources/weights/heatmap-lite0.pt``

The backbone is frozen and its features are computed once (with mirrored copies for
augmentation); each epoch then trains only the head, a few seconds on two CPU cores. Images
of the hold-out part (:func:`models.eval.split.is_holdout`) are left out unless
``holdout=False``, so weights can be tuned on images the head never saw. ``extra`` folders
add training images, e.g. the dataset builder's outpainted photos, whose label is the
photographer's own frame (hold-out photos stay out through their copies too).
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models.heatmap.head import HeatmapConfig, HeatmapHead
from models.heatmap.model import KIND
from models.heatmap.target import pseudo_heatmap
from models.nn.checkpoint import save_checkpoint, training_threads
from models.nn.features import training_features

__all__ = ["HeatmapTraining", "train_heatmap"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class HeatmapTraining:
    epochs: int = 5
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-4
    seed: int = 0
    holdout: bool = True  # leave the hold-out images out of training


def _epoch(head: HeatmapHead, opt: torch.optim.Optimizer, feats, targets: tuple[torch.Tensor, torch.Tensor],
           order: list[int], batch_size: int) -> float:  # fmt: skip
    """One pass over the images in ``order``, each mirrored at random with its mirrored
    target (``targets`` = (plain, mirrored) ``(N, m, m)``): the mean training loss."""
    total = 0.0
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        flip = [random.random() < 0.5 for _ in idx]
        x = feats.batch(idx, flip)
        y = torch.where(torch.tensor(flip)[:, None, None], targets[1][idx], targets[0][idx])
        loss = F.binary_cross_entropy_with_logits(head(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += loss.item() * len(idx)
    return total / len(order)


def train_heatmap(
    folder: str | os.PathLike,
    out: str | os.PathLike,
    *,
    settings: HeatmapTraining = HeatmapTraining(),
    config: HeatmapConfig = HeatmapConfig(),
    limit: int | None = None,
    cache: str | os.PathLike | None = None,
    command: str = "",
    progress: Callable[[str, int, int], None] | None = None,
    extra: tuple[str | os.PathLike, ...] = (),
) -> dict:
    """Train, write the weights to ``out`` and return the checkpoint's ``meta``."""
    random.seed(settings.seed)
    np.random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    images, feats = training_features(folder, backbone_name=config.backbone, size=config.input_size,
                                      holdout=settings.holdout, limit=limit, cache=cache, progress=progress,
                                      extra=extra)  # fmt: skip
    m = feats.maps["s8"].shape[-1]
    targets = torch.from_numpy(np.stack([pseudo_heatmap(im.crops, m) for im in images]))
    mirrored = torch.from_numpy(np.stack([pseudo_heatmap(im.crops, m, mirror=True) for im in images]))
    head = HeatmapHead(config)
    opt = torch.optim.AdamW(head.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    order = list(range(len(images)))
    loss_value = float("nan")
    for epoch in range(settings.epochs):
        random.shuffle(order)
        loss_value = _epoch(head, opt, feats, (targets, mirrored), order, settings.batch_size)
        log.info("heatmap epoch %d/%d: loss %.4f", epoch + 1, settings.epochs, loss_value)
        if progress:
            progress("epochs", epoch + 1, settings.epochs)
    meta = {
        "command": command,
        "seed": settings.seed,
        "data": Path(folder).name,
        "images": len(images),
        "extra": [Path(e).name for e in extra],
        "holdout_excluded": settings.holdout,
        "epochs": settings.epochs,
        "train_loss": round(loss_value, 5),
        **training_threads(),
    }
    save_checkpoint(out, KIND, config.to_dict(), head.state_dict(), meta)
    return meta
