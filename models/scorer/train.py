"""Train the crop scorer by pairwise ranking (RankNet loss), from three weighted signals.

All pairs come from training images only (the hold-out fifth of
:func:`models.eval.split.is_holdout` is left for choosing, unless ``holdout=False``):

* ``w_pairs`` - ``ranking.json`` (FCDB's view comparisons, 5 votes each): the view with
  more votes wins, weighted by the vote margin; ties are skipped;
* ``w_expert`` - each expert crop of ``annotations.json`` against ``negatives`` random
  views of the same ratio that overlap it by less than IoU 0.8;
* ``w_pro`` - view finding on a folder of professional photographs (``pro``, e.g.
  ``pro_portraits``): the photographer's frame, plain border trimmed
  (:func:`~models.scorer.views.trim_plain_border`), against ``pro_views`` shifted, zoomed,
  squeezed and badly placed views of it (:func:`~models.scorer.views.frame_views`), and
  against the untrimmed image where a border was found;
* ``w_near`` - fine placement: each expert crop and each trimmed frame against ``near``
  views of the same ratio a few percent off (:func:`~models.scorer.views.near_views`:
  shifted 3-15 %, shrunk to 85-97 %, grown to 103-118 %), the choices a ratio-and-layout
  search makes (issue 18 item 4);
* ``w_full`` - each expert crop against the whole image, where the two differ (IoU below
  :data:`FULL_GAP`): the amateur photo needed cropping, as the professional frame did not;
* ``w_grid`` - a graded grid: ``grid`` pairs of GAIC's candidates
  (:func:`~models.scorer.grid.gaic_anchors`) per FCDB image, the one nearer the expert crop
  winning (:func:`~models.scorer.views.anchor_pairs`), so the judge learns to rank a whole
  candidate grid as the graded sets do.

Features of the frozen backbone are computed once per folder (FCDB with mirror images for
augmentation) and cached with ``cache``; so are the trimmed frames.
"""

from __future__ import annotations

import logging
import os
import random
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from models.errors import InvalidInputError
from models.eval.datasets import AnnotatedImage, load_annotations
from models.eval.pairs import ranking_pairs
from models.eval.split import is_holdout
from models.geometry import Box
from models.nn.checkpoint import save_checkpoint, training_threads
from models.nn.features import FolderFeatures, folder_features
from models.scorer.model import KIND, CropScorer, ScorerConfig, ScorerEnsemble, build_scorer
from models.scorer.grid import gaic_anchors
from models.scorer.views import anchor_pairs, frame_views, near_views, trimmed_frames

__all__ = ["Sample", "ScorerData", "ScorerTraining", "fit_scorer", "load_scorer_data", "ranking_pairs", "train_scorer"]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
Pair = tuple[Box, Box, float]


@dataclass(frozen=True, slots=True)
class ScorerTraining:
    epochs: int = 6
    lr: float = 1e-3
    weight_decay: float = 1e-4
    negatives: int = 8
    seed: int = 0
    holdout: bool = True
    w_pairs: float = 1.0
    w_expert: float = 1.0
    w_pro: float = 0.0
    pro_views: int = 8
    w_near: float = 0.0
    near: int = 4
    w_full: float = 0.0
    w_grid: float = 0.0
    grid: int = 8


@dataclass(frozen=True, eq=False)
class Sample:
    """One training image: its features (``feats``, row ``index``), W / H, the fixed pairs
    (``ranking.json``), the crops to pit against random views (``expert``) and the trimmed
    frame to pit against its views (``frame``; ``None`` for non-professional images)."""

    feats: FolderFeatures
    index: int
    ratio: float
    pairs: tuple[Pair, ...] = ()
    expert: tuple[Box, ...] = ()
    frame: Box | None = None


@dataclass(frozen=True, eq=False)
class ScorerData:
    """Both folders' images and features, all images (train and hold-out) in file order."""

    items: tuple[AnnotatedImage, ...]
    feats: FolderFeatures
    ranking: dict[str, list[Pair]]
    pro_items: tuple[AnnotatedImage, ...] = ()
    pro_feats: FolderFeatures | None = None
    frames: tuple[Box, ...] = ()

    def samples(self, settings: ScorerTraining, *, train: bool = True) -> list[Sample]:
        """The training images (``train``) or the hold-out ones (``train=False``)."""

        def keep(im: AnnotatedImage) -> bool:
            held = settings.holdout and is_holdout(im.file.name)
            return not held if train else held

        out = [
            Sample(self.feats, i, im.width / im.height, tuple(self.ranking.get(im.file.name, ())), im.crops)
            for i, im in enumerate(self.items) if keep(im)
        ]  # fmt: skip
        if self.pro_feats is not None:
            out += [
                Sample(self.pro_feats, i, im.width / im.height, frame=self.frames[i])
                for i, im in enumerate(self.pro_items) if keep(im)
            ]  # fmt: skip
        return out


def _frames(items: Sequence[AnnotatedImage], cache: str | os.PathLike | None, progress: Progress | None) -> tuple[Box, ...]:
    step = (lambda i, n: progress("frames", i, n)) if progress else None
    return trimmed_frames([im.file for im in items], cache, step)


def load_scorer_data(folder: str | os.PathLike, *, pro: str | os.PathLike | None = None, config: ScorerConfig = ScorerConfig(),
                     limit: int | None = None, pro_limit: int | None = None, cache: str | os.PathLike | None = None,
                     progress: Progress | None = None) -> ScorerData:  # fmt: skip
    """Images and frozen-backbone features of ``folder`` (and of ``pro``); ``limit`` keeps the
    first ``limit`` images of each (a quick run), ``pro_limit`` the first of ``pro`` only."""
    from models.nn.backbone import build_backbone

    folder = Path(folder)
    items = load_annotations(folder).items[:limit] if limit else load_annotations(folder).items
    if not items:
        raise InvalidInputError(f"no training images in {folder}")
    backbone = build_backbone(config.backbone)

    def feats(paths, mirror, stage):
        cb = (lambda i, n: progress(stage, i, n)) if progress else None
        return folder_features([im.file for im in paths], backbone, backbone_name=config.backbone, size=config.input_size,
                               mirror=mirror, cache=cache, progress=cb)  # fmt: skip

    data = ScorerData(tuple(items), feats(items, True, "features"), ranking_pairs(folder))
    if pro is None:
        return data
    pro_items = load_annotations(pro).items
    pro_limit = min(x for x in (limit, pro_limit, len(pro_items)) if x)
    pro_items = pro_items[:pro_limit]
    return ScorerData(data.items, data.feats, data.ranking, tuple(pro_items), feats(pro_items, False, "pro features"),
                      _frames(pro_items, cache, progress))  # fmt: skip


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


FULL = Box(0.0, 0.0, 1.0, 1.0)
FULL_GAP = 0.9
"""``w_full`` pits an expert crop against the whole image only below this IoU with it."""


def _pairs(s: Sample, settings: ScorerTraining, rng: random.Random) -> list[Pair]:
    pairs: list[Pair] = []
    if settings.w_pairs > 0:
        pairs += [(a, b, w * settings.w_pairs) for a, b, w in s.pairs]
    if settings.w_expert > 0:
        for crop in s.expert:
            pairs += [(crop, v, settings.w_expert) for v in _random_views(crop, s.ratio, settings.negatives, rng)]
    if settings.w_pro > 0 and s.frame is not None:
        pairs += [(s.frame, v, settings.w_pro) for v in frame_views(s.frame, settings.pro_views, rng)]
        if s.frame.iou(FULL) < 0.97:  # a trimmed border: the picture beats picture + border
            pairs.append((s.frame, FULL, settings.w_pro))
    if settings.w_full > 0:
        pairs += [(crop, FULL, settings.w_full) for crop in s.expert if crop.iou(FULL) < FULL_GAP]
    if settings.w_grid > 0 and s.expert:
        anchors = [Box(*a) for a in gaic_anchors(s.ratio)]
        pairs += [(a, b, settings.w_grid) for a, b in anchor_pairs(s.expert, anchors, settings.grid, rng)]
    if settings.w_near > 0:
        labels = (*s.expert, s.frame) if s.frame is not None else s.expert
        for crop in labels:
            pairs += [(crop, v, settings.w_near) for v in near_views(crop, settings.near, rng)]
    return pairs


def fit_scorer(samples: Sequence[Sample], settings: ScorerTraining = ScorerTraining(), config: ScorerConfig = ScorerConfig(),
               progress: Progress | None = None, *, model: CropScorer | None = None,
               param_groups: list[dict] | None = None) -> tuple[CropScorer, float, int]:  # fmt: skip
    """A scorer trained on ``samples``: ``(model, last epoch's mean loss, pairs in epoch 1)``.

    ``model``: train this scorer (a subclass, e.g. one that fine-tunes backbone blocks: the
    ablation of ``tests.bench.scorer_finetune``) instead of a new ``CropScorer(config)``;
    ``param_groups``: the optimiser's parameter groups (default: every parameter that needs a
    gradient, at ``settings.lr``)."""
    rng = random.Random(settings.seed)
    torch.manual_seed(settings.seed)
    if model is None:
        model = CropScorer(replace(config, members=1))
    groups = param_groups if param_groups is not None else [{"params": [p for p in model.parameters() if p.requires_grad]}]
    opt = torch.optim.AdamW(groups, lr=settings.lr, weight_decay=settings.weight_decay)
    order = list(range(len(samples)))
    n_pairs, loss_value = 0, float("nan")
    for epoch in range(settings.epochs):
        model.train()
        rng.shuffle(order)
        total, count = 0.0, 0
        for i in order:
            s = samples[i]
            pairs = _pairs(s, settings, rng)
            if not pairs:
                continue
            mirror = s.feats.mirrored is not None and rng.random() < 0.5
            if mirror:
                pairs = [(_mirror(a), _mirror(b), w) for a, b, w in pairs]
            boxes = torch.tensor([[*a.as_tuple()] for a, _, _ in pairs] + [[*b.as_tuple()] for _, b, _ in pairs])
            weight = torch.tensor([w for _, _, w in pairs])
            scores = model(s.feats.get(s.index, mirror), boxes.float(), s.ratio)
            win, lose = scores[: len(pairs)], scores[len(pairs) :]
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
    model.eval()
    return model, loss_value, n_pairs


def _fit_members(samples: Sequence[Sample], settings: ScorerTraining, config: ScorerConfig,
                 progress: Progress | None) -> tuple[CropScorer | ScorerEnsemble, float, int]:  # fmt: skip
    """:func:`fit_scorer` once, or once per member of an ensemble (seeds ``seed``, ``seed + 1``,
    ...); the loss is the members' mean."""
    if config.members == 1:
        return fit_scorer(samples, settings, config, progress)
    ensemble = build_scorer(config)
    losses = []
    for i, member in enumerate(ensemble.members):
        log.info("ensemble member %d/%d (seed %d)", i + 1, config.members, settings.seed + i)
        model, loss_value, n_pairs = fit_scorer(samples, replace(settings, seed=settings.seed + i), config, progress)
        member.load_state_dict(model.state_dict(), strict=True)
        losses.append(loss_value)
    ensemble.eval()
    return ensemble, float(np.mean(losses)), n_pairs


def train_scorer(
    folder: str | os.PathLike,
    out: str | os.PathLike,
    *,
    settings: ScorerTraining = ScorerTraining(),
    config: ScorerConfig = ScorerConfig(),
    pro: str | os.PathLike | None = None,
    pro_limit: int | None = None,
    limit: int | None = None,
    cache: str | os.PathLike | None = None,
    command: str = "",
    progress: Progress | None = None,
) -> dict:
    """Train, write the weights to ``out`` and return the checkpoint's ``meta``."""
    if settings.w_pro > 0 and pro is None:
        raise InvalidInputError("w_pro > 0 needs a folder of professional photographs (pro)")
    data = load_scorer_data(folder, pro=pro if settings.w_pro > 0 else None, config=config, limit=limit,
                            pro_limit=pro_limit, cache=cache, progress=progress)  # fmt: skip
    samples = data.samples(settings)
    if not samples:
        raise InvalidInputError(f"no training images in {folder}")
    model, loss_value, n_pairs = _fit_members(samples, settings, config, progress)
    meta = {
        "command": command,
        "seed": settings.seed,
        **({"member_seeds": [settings.seed + i for i in range(config.members)]} if config.members > 1 else {}),
        "data": Path(folder).name + (f" + {Path(pro).name}" if pro is not None and settings.w_pro > 0 else "")
        + (f" (first {pro_limit})" if pro_limit and pro is not None and settings.w_pro > 0 else ""),
        "images": len(samples),
        "pairs_per_epoch": n_pairs,
        "holdout_excluded": settings.holdout,
        "epochs": settings.epochs,
        "settings": asdict(settings),
        "train_loss": round(loss_value, 5),
        **training_threads(),
    }
    save_checkpoint(out, KIND, config.to_dict(), model.state_dict(), meta)
    return meta
