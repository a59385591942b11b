"""Train the crop scorer by pairwise ranking (RankNet loss) on a training folder.

Pairs come from two places, both of the training images only (the hold-out part of
:func:`models.eval.split.is_holdout` is left for tuning unless ``holdout=False``):

* ``ranking.json`` (FCDB's view comparisons, 5 votes each): the view with more votes wins,
  weighted by the vote margin; ties are skipped;
* the expert crop of ``annotations.json`` against ``negatives`` random views of the same
  ratio that overlap it by less than IoU 0.8.

Features of the frozen backbone are computed once (with mirror images for augmentation).
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from models.eval.pairs import ranking_pairs
from models.geometry import Box
from models.nn.checkpoint import save_checkpoint
from models.nn.features import training_features
from models.scorer.model import KIND, CropScorer, ScorerConfig

__all__ = ["ScorerTraining", "ranking_pairs", "train_scorer"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ScorerTraining:
    epochs: int = 6
    lr: float = 1e-3
    weight_decay: float = 1e-4
    negatives: int = 8
    seed: int = 0
    holdout: bool = True


def _random_views(crop: Box, image_ratio: float, n: int, rng: random.Random) -> list[Box]:
    """Up to ``n`` random views with the crop's ratio, overlapping it by IoU < 0.8."""
    r = crop.width / crop.height  # in normalised units
    views = []
    for _ in range(n * 4):
        w_max = min(1.0, r)  # largest normalised width with that ratio: h = w / r <= 1
        w = w_max * rng.uniform(0.45, 1.0)
        h = w / r
        x0, y0 = rng.uniform(0, 1 - w), rng.uniform(0, 1 - h)
        view = Box(x0, y0, x0 + w, y0 + h)
        if view.iou(crop) < 0.8:
            views.append(view)
            if len(views) == n:
                break
    return views


def _mirror(b: Box) -> Box:
    return Box(1 - b.x1, b.y0, 1 - b.x0, b.y1)


def train_scorer(
    folder: str | os.PathLike,
    out: str | os.PathLike,
    *,
    settings: ScorerTraining = ScorerTraining(),
    config: ScorerConfig = ScorerConfig(),
    limit: int | None = None,
    cache: str | os.PathLike | None = None,
    command: str = "",
    progress: Callable[[str, int, int], None] | None = None,
) -> dict:
    """Train, write the weights to ``out`` and return the checkpoint's ``meta``."""
    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)
    folder = Path(folder)
    ranking = ranking_pairs(folder)
    images, feats = training_features(folder, backbone_name=config.backbone, size=config.input_size,
                                      holdout=settings.holdout, limit=limit, cache=cache, progress=progress)  # fmt: skip
    model = CropScorer(config)
    opt = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay)
    order = list(range(len(images)))
    n_pairs = 0
    loss_value = float("nan")
    for epoch in range(settings.epochs):
        rng.shuffle(order)
        total, count = 0.0, 0
        for i in order:
            im = images[i]
            pairs = list(ranking.get(im.file.name, []))
            for crop in im.crops:
                pairs += [(crop, v, 1.0) for v in _random_views(crop, im.width / im.height, settings.negatives, rng)]
            if not pairs:
                continue
            mirror = rng.random() < 0.5
            if mirror:
                pairs = [(_mirror(a), _mirror(b), w) for a, b, w in pairs]
            boxes = torch.tensor([[*a.as_tuple()] for a, _, _ in pairs] + [[*b.as_tuple()] for _, b, _ in pairs])
            weight = torch.tensor([w for _, _, w in pairs])
            s = model(feats.get(i, mirror), boxes.float(), im.width / im.height)
            win, lose = s[: len(pairs)], s[len(pairs) :]
            loss = (F.softplus(lose - win) * weight).sum() / weight.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
            count += 1
            n_pairs += len(pairs) if epoch == 0 else 0
        loss_value = total / max(count, 1)
        log.info("scorer epoch %d/%d: loss %.4f", epoch + 1, settings.epochs, loss_value)
        if progress:
            progress("epochs", epoch + 1, settings.epochs)
    meta = {
        "command": command,
        "seed": settings.seed,
        "data": folder.name,
        "images": len(images),
        "pairs_per_epoch": n_pairs,
        "holdout_excluded": settings.holdout,
        "epochs": settings.epochs,
        "train_loss": round(loss_value, 5),
    }
    save_checkpoint(out, KIND, config.to_dict(), model.state_dict(), meta)
    return meta
