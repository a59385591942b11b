"""Choose the score weights of :class:`~models.constraints.cropper.AttentionCropper` on a
training folder (never the evaluation set). Run it as ``cropstudio tune FOLDER``.

Builds design-constraint items from the folder's expert crops (models.constraints.devset),
analyses each image once, evaluates every term on every candidate once per item, then
grid-searches the weights. The score is linear in the weights, so each weight vector costs
one matrix product per item.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from models.constraints.candidates import GridSpec, enumerate_candidates
from models.constraints.cropper import AttentionCropper, ScoreWeights
from models.constraints.devset import constraint_items
from models.constraints.problem import CropProblem
from models.eval.baselines import centred_crop
from models.eval.datasets import load_annotations
from models.eval.protocol import CropRequest
from models.eval.split import is_holdout
from models.geometry import AspectRatio, Box
from models.imaging import ANALYSIS_MAX_SIDE, load_image

__all__ = ["GRID", "SCORER_GRID", "TuneResult", "tune_weights"]

log = logging.getLogger(__name__)

GRID: dict[str, tuple[float, ...]] = {
    "attention": (0.0, 0.25, 0.5, 1.0),
    "area": (0.25, 0.5, 1.0, 2.0, 4.0),
    "centre": (0.0, 0.25, 0.5, 1.0, 2.0),
    "border": (0.0, 0.1, 0.3, 1.0, 3.0, 10.0),
}
FACE_CUT = 10.0
SCORER_GRID: dict[str, tuple[float, ...]] = {**GRID, "attention": (0.0, 0.05, 0.1, 0.2, 0.5, 1.0), "border": (0.0,)}
"""For the proposal method: ``attention`` weighs the scorer's logit; there is no border term."""


@dataclass(frozen=True, slots=True)
class TuneResult:
    """Mean IoU of every weight setting (best first) and the bars to compare with."""

    items: int
    images: int
    centred_iou: float
    grid_oracle_iou: float
    ranking: tuple[tuple[float, ScoreWeights], ...]


def _iou(x0, y0, x1, y1, gt: Box) -> np.ndarray:
    """IoU of many boxes with one (vectorised :meth:`Box.iou`)."""
    ix = np.clip(np.minimum(x1, gt.x1) - np.maximum(x0, gt.x0), 0, None)
    iy = np.clip(np.minimum(y1, gt.y1) - np.maximum(y0, gt.y0), 0, None)
    inter = ix * iy
    return inter / ((x1 - x0) * (y1 - y0) + gt.area - inter)


def tune_weights(
    folder: str | os.PathLike,
    *,
    images: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cropper: AttentionCropper | None = None,
    holdout_only: bool = False,
    grid: dict[str, tuple[float, ...]] = GRID,
) -> TuneResult:
    """Grid-search :data:`GRID` on the constraint items of ``folder`` (first ``images`` only).

    ``cropper`` gives the map (default: saliency); ``holdout_only`` restricts the items to
    the hold-out images (:func:`models.eval.split.is_holdout`), the ones a learned map was
    not trained on.
    """
    aset = load_annotations(folder)
    by_image = defaultdict(list)
    for item in constraint_items(aset):
        if not holdout_only or is_holdout(item.file.name):
            by_image[item.file].append(item)
    files = sorted(by_image)[:images]
    unit = ScoreWeights(attention=1.0, area=1.0, centre=1.0, border=1.0, face_cut=1.0)
    cropper = replace(cropper or AttentionCropper(), weights=unit)
    per_item, baseline = [], []
    for done, path in enumerate(files, 1):
        image = load_image(path, max_side=ANALYSIS_MAX_SIDE)
        w, h = image.info.width, image.info.height
        terms = cropper.terms(cropper.analyse(image))
        for item in by_image[path]:
            keep = Box.from_normalized(item.layout_box.as_tuple(), w, h)
            cands = enumerate_candidates(CropProblem((w, h), AspectRatio(item.aspect_ratio, 1.0), keep=(keep,)), GridSpec())
            if not len(cands):
                continue
            gt = Box.from_normalized(item.crop.as_tuple(), w, h)
            per_item.append((np.stack([t(cands) for t in terms], axis=1), _iou(cands.x0, cands.y0, cands.x1, cands.y1, gt)))
            baseline.append(centred_crop(CropRequest((w, h), item.aspect_ratio, keep=(keep,))).iou(gt))
        if progress:
            progress(done, len(files))
    ranking = []
    for a, s, c, b in itertools.product(*(grid[k] for k in ("attention", "area", "centre", "border"))):
        vector = np.array([a, s, c, b, FACE_CUT])  # the order of AttentionCropper.terms
        iou = float(np.mean([ious[int(np.argmax(m @ vector))] for m, ious in per_item]))
        ranking.append((iou, ScoreWeights(attention=a, area=s, centre=c, border=b, face_cut=FACE_CUT)))
    ranking.sort(key=lambda r: -r[0])
    return TuneResult(
        items=len(per_item),
        images=len(files),
        centred_iou=float(np.mean(baseline)),
        grid_oracle_iou=float(np.mean([ious.max() for _, ious in per_item])),
        ranking=tuple(ranking),
    )
