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
from dataclasses import dataclass, fields, replace
from pathlib import Path

import numpy as np

from models.box_arrays import iou_matrix
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

__all__ = ["GRID", "SCORER_GRID", "DevItems", "TuneResult", "dev_items", "grid_search", "tune_weights"]

log = logging.getLogger(__name__)

GRID: dict[str, tuple[float, ...]] = {
    "attention": (0.0, 0.25, 0.5, 1.0),
    "area": (0.25, 0.5, 1.0, 2.0, 4.0),
    "centre": (0.0, 0.25, 0.5, 1.0, 2.0),
    "border": (0.0, 0.1, 0.3, 1.0, 3.0, 10.0),
}
FACE_CUT = 10.0
SCORER_GRID: dict[str, tuple[float, ...]] = {
    "judge": (0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
    "area": GRID["area"],
    "centre": GRID["centre"],
}
"""For the proposal method (:class:`~models.constraints.learned.ProposalWeights`): the judge's
logit with the size and centre priors; no heatmap terms."""


@dataclass(frozen=True, slots=True)
class TuneResult:
    """Mean IoU of every weight setting (best first) and the bars to compare with."""

    items: int
    images: int
    centred_iou: float
    grid_oracle_iou: float
    ranking: tuple[tuple[float, ScoreWeights], ...]


@dataclass(frozen=True, slots=True, eq=False)
class DevItems:
    """Every term (unit weight) on every candidate of every item: ``matrices[i]`` is
    ``(N_i, terms)``, ``ious[i]`` the candidates' IoU with the item's expert crop."""

    matrices: tuple[np.ndarray, ...]
    ious: tuple[np.ndarray, ...]
    centred: np.ndarray  # (items,) IoU of the centred baseline
    images: int
    image_of: np.ndarray  # (items,) index of each item's image (for splits by image)

    def save(self, path: Path, key: str) -> None:
        arrays = {f"m{i}": m for i, m in enumerate(self.matrices)} | {f"u{i}": u for i, u in enumerate(self.ious)}
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, key=np.array(key), centred=self.centred, images=np.array(self.images),
                            image_of=self.image_of, **arrays)  # fmt: skip

    def subset(self, items: np.ndarray) -> DevItems:
        """The items at the indices ``items`` (e.g. those of some images)."""
        pick = [int(i) for i in items]
        return DevItems(tuple(self.matrices[i] for i in pick), tuple(self.ious[i] for i in pick), self.centred[pick],
                        len(set(self.image_of[pick].tolist())), self.image_of[pick])  # fmt: skip

    @classmethod
    def load(cls, path: Path, key: str) -> DevItems | None:
        """The cached items, or None when ``path`` is missing or was made for another ``key``."""
        if not path.is_file():
            return None
        with np.load(path) as data:
            if str(data["key"]) != key:
                return None
            n = len(data["centred"])
            return cls(tuple(data[f"m{i}"] for i in range(n)), tuple(data[f"u{i}"] for i in range(n)),
                       data["centred"], int(data["images"]), data["image_of"])  # fmt: skip


def dev_items(folder, cropper, *, images: int | None = None, holdout_only: bool = False, progress=None) -> DevItems:
    """Analyse each image of ``folder``'s constraint items once and evaluate every term of
    ``cropper`` (at unit weights, in the order of its ``terms``) on every candidate."""
    aset = load_annotations(folder)
    by_image = defaultdict(list)
    for item in constraint_items(aset):
        if not holdout_only or is_holdout(item.file.name):
            by_image[item.file].append(item)
    files = sorted(by_image)[:images]
    unit = type(cropper.weights)(**{f.name: 1.0 for f in fields(cropper.weights)})
    cropper = replace(cropper, weights=unit)
    matrices, ious, baseline, image_of = [], [], [], []
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
            matrices.append(np.stack([t(cands) for t in terms], axis=1))
            ious.append(iou_matrix(np.stack([cands.x0, cands.y0, cands.x1, cands.y1], axis=1), gt)[:, 0])
            baseline.append(centred_crop(CropRequest((w, h), item.aspect_ratio, keep=(keep,))).iou(gt))
            image_of.append(done - 1)
        if progress:
            progress(done, len(files))
    return DevItems(tuple(matrices), tuple(ious), np.array(baseline), len(files), np.array(image_of, np.int64))

def grid_search(dev: DevItems, weights_type: type, grid: dict[str, tuple[float, ...]]) -> list[tuple[float, object]]:
    """Mean IoU of the best-scoring candidate per item for every weight vector of ``grid``
    (a field of ``weights_type`` missing from it: :data:`FACE_CUT` for ``face_cut``, else 0),
    best first. Exact: the score is linear in the weights."""
    names = [f.name for f in fields(weights_type)]
    axes = [grid.get(n, (FACE_CUT,) if n == "face_cut" else (0.0,)) for n in names]
    vectors = np.array(list(itertools.product(*axes)), np.float64)  # [settings, terms]
    hits = np.zeros(len(vectors))
    for m, ious in zip(dev.matrices, dev.ious):
        hits += ious[np.argmax(m @ vectors.T, axis=0)]  # argmax: first of ties, as the search
    ranking = [(float(h / len(dev.ious)), weights_type(**dict(zip(names, map(float, v))))) for h, v in zip(hits, vectors)]
    ranking.sort(key=lambda r: -r[0])  # stable: ties keep the grid's order
    return ranking


def tune_weights(
    folder: str | os.PathLike,
    *,
    images: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    cropper=None,
    holdout_only: bool = False,
    grid: dict[str, tuple[float, ...]] = GRID,
    cache: str | os.PathLike | None = None,
) -> TuneResult:
    """Grid-search ``grid`` on the constraint items of ``folder`` (first ``images`` only).

    ``cropper`` gives the terms (default: the saliency cropper; any cropper whose weights are
    a dataclass in the order of its ``terms``); ``holdout_only`` restricts the items to the
    hold-out images (:func:`models.eval.split.is_holdout`), the ones a learned map was not
    trained on; ``cache`` is an ``.npz`` file keeping the per-candidate terms between runs.
    """
    cropper = cropper or AttentionCropper()
    key = f"v2|{Path(folder).resolve()}|{images}|{holdout_only}|{replace(cropper, weights=type(cropper.weights)())!r}"
    dev = DevItems.load(Path(cache), key) if cache is not None else None
    if dev is None:
        dev = dev_items(folder, cropper, images=images, holdout_only=holdout_only, progress=progress)
        if cache is not None:
            dev.save(Path(cache), key)
    else:
        log.info("term values of %d items from %s", len(dev.ious), cache)
    return TuneResult(
        items=len(dev.ious),
        images=dev.images,
        centred_iou=float(np.mean(dev.centred)),
        grid_oracle_iou=float(np.mean([ious.max() for ious in dev.ious])),
        ranking=tuple(grid_search(dev, type(cropper.weights), grid)),
    )
