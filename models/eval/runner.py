"""Run a :class:`~models.eval.protocol.CropMethod` over a data set and score it.

Items are grouped by image file, so each image is loaded once (reduced to
:data:`~models.imaging.ANALYSIS_MAX_SIDE`) and analysed once; ``analyse`` is timed per image and ``crop`` per
item. The pixel frame of a request is the loaded file's upright size
(``image.info.width x height``): it is the frame the method's analysis lives in, and since
the data sets' boxes are normalised and their images resized without changing the ratio,
scores do not depend on it. A missing or unreadable image is skipped with a warning, and
its items are counted in the report's ``skipped``.

Metrics follow ``../shared/data/README.md`` (see :mod:`models.eval.metrics`): for
annotations, the best IoU / Disp over an image's ground-truth crops, averaged over
images; for constraints, IoU / Disp against the item's crop, averaged over items.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from models.errors import CropStudioError, ImageReadError
from models.eval.datasets import AnnotatedImage, AnnotationSet, ConstraintItem
from models.eval.metrics import acc_k_n, best_disp, best_iou, disp, iou
from models.eval.protocol import CropMethod, CropRequest, RankedCropMethod
from models.geometry import Box
from models.imaging import ANALYSIS_MAX_SIDE, LoadedImage, load_image

__all__ = [
    "CONTAINMENT_TOLERANCE",
    "AnnotationReport",
    "ConstraintReport",
    "EvaluationError",
    "Progress",
    "evaluate_annotations",
    "evaluate_constraints",
    "load_for_eval",
]

log = logging.getLogger(__name__)

CONTAINMENT_TOLERANCE = 1e-6
"""A prediction violates its layout when it misses the layout box by more than this (normalised)."""

Progress = Callable[[int, int], None]
"""``progress(done, total)``: items done (scored or skipped) out of the items to evaluate."""

_Item = TypeVar("_Item", AnnotatedImage, ConstraintItem)


class EvaluationError(CropStudioError):
    """A method failed on an item with a user-facing error (the message names the item)."""


@dataclass(frozen=True, slots=True)
class ConstraintReport:
    """Scores of one method on design-constraint items.

    ``n_items`` / ``n_images`` were scored; ``skipped`` items had a missing or unreadable
    image. ``mean_iou`` / ``mean_disp`` are averaged over items (``nan`` when none was
    scored). Timings are milliseconds: ``ms_per_item_crop`` is the mean ``crop`` call,
    ``ms_per_image_analyse`` the mean ``analyse`` call, ``ms_per_item_total`` = (all analyse
    + all crop time) / ``n_items`` (image decoding excluded). ``per_template_iou`` is the
    mean IoU per layout template; ``violations`` counts predictions that do not contain
    their layout box.
    """

    method: str
    n_items: int
    n_images: int
    skipped: int
    mean_iou: float
    mean_disp: float
    ms_per_item_crop: float
    ms_per_image_analyse: float
    ms_per_item_total: float
    per_template_iou: dict[int, float] = field(default_factory=dict)
    violations: int = 0


@dataclass(frozen=True, slots=True)
class AnnotationReport:
    """Scores of one method on annotated images (free ratio, no layout).

    Fields as in :class:`ConstraintReport`, averaged over images (one item per image);
    ``mean_iou`` / ``mean_disp`` use the best ground-truth crop of each image.
    ``acc_1_5`` / ``acc_1_10`` are ACC_1/5 and ACC_1/10 for graded sets (``None`` when the
    set has no scores). ``best_of_3_iou``: for methods that rank crops
    (:class:`~models.eval.protocol.RankedCropMethod`), the best IoU among the top three,
    averaged over images (``None`` for single-crop methods).
    """

    method: str
    n_items: int
    n_images: int
    skipped: int
    mean_iou: float
    mean_disp: float
    ms_per_item_crop: float
    ms_per_image_analyse: float
    ms_per_item_total: float
    acc_1_5: float | None = None
    acc_1_10: float | None = None
    best_of_3_iou: float | None = None


@dataclass(frozen=True, slots=True)
class _Run:
    """Per-item predictions (normalised, item order) and the timings of one pass."""

    items: tuple  # the scored items
    preds: tuple[Box, ...]
    top3: tuple[tuple[Box, ...], ...] | None  # ranked methods: their top three per item (normalised)
    n_images: int
    skipped: int
    analyse_s: float
    crop_s: float


# -- public API --------------------------------------------------------------------------
def evaluate_constraints(
    items: Sequence[ConstraintItem],
    method: CropMethod,
    *,
    limit: int | None = None,
    progress: Progress | None = None,
) -> ConstraintReport:
    """Score ``method`` on design-constraint items.

    Each item becomes ``CropRequest(image_size, aspect=item.aspect_ratio,
    keep=(layout box in pixels,))``; the returned box is scored against ``item.crop``.

    Parameters
    ----------
    items : sequence of ConstraintItem
        From :func:`~models.eval.datasets.load_constraints`.
    method : CropMethod
    limit : int, optional
        Evaluate only the first ``limit`` items.
    progress : callable, optional
        ``progress(done, total)`` after each image.

    Returns
    -------
    ConstraintReport
    """

    def request(item: ConstraintItem, size: tuple[int, int]) -> CropRequest:
        keep = Box.from_normalized(item.layout_box.as_tuple(), *size)
        return CropRequest(image_size=size, aspect=item.aspect_ratio, keep=(keep,))

    run = _run(_limited(items, limit), method, request, progress)
    ious = [iou(p, it.crop) for p, it in zip(run.preds, run.items, strict=True)]
    disps = [disp(p, it.crop) for p, it in zip(run.preds, run.items, strict=True)]
    by_template: dict[int, list[float]] = {}
    for value, it in zip(ious, run.items, strict=True):
        by_template.setdefault(it.layout_index, []).append(value)
    violations = sum(
        not p.contains(it.layout_box, tol=CONTAINMENT_TOLERANCE) for p, it in zip(run.preds, run.items, strict=True)
    )
    return ConstraintReport(
        method=method.name,
        **_common(run, ious, disps),
        per_template_iou={k: _mean(v) for k, v in sorted(by_template.items())},
        violations=violations,
    )


def evaluate_annotations(
    aset: AnnotationSet,
    method: CropMethod,
    *,
    limit: int | None = None,
    progress: Progress | None = None,
) -> AnnotationReport:
    """Score ``method`` on annotated images (free ratio, no layout).

    Each image becomes ``CropRequest(image_size, aspect=None)``; the returned box is scored
    by its best IoU and Disp over the image's ground-truth crops.

    Parameters
    ----------
    aset : AnnotationSet
        From :func:`~models.eval.datasets.load_annotations`.
    method : CropMethod
    limit : int, optional
        Evaluate only the first ``limit`` images.
    progress : callable, optional
        ``progress(done, total)`` after each image.

    Returns
    -------
    AnnotationReport
    """

    def request(item: AnnotatedImage, size: tuple[int, int]) -> CropRequest:
        return CropRequest(image_size=size, aspect=None)

    run = _run(_limited(aset.items, limit), method, request, progress)
    ious = [best_iou(p, it.crops) for p, it in zip(run.preds, run.items, strict=True)]
    disps = [best_disp(p, it.crops) for p, it in zip(run.preds, run.items, strict=True)]
    graded = [(p, it) for p, it in zip(run.preds, run.items, strict=True) if it.scores is not None]
    acc = {n: _mean([acc_k_n([p], it.crops, it.scores, 1, n) for p, it in graded]) if graded else None for n in (5, 10)}
    top3 = None
    if run.top3 is not None:
        top3 = _mean([max(best_iou(p, it.crops) for p in alts) for alts, it in zip(run.top3, run.items, strict=True)])
    return AnnotationReport(method=method.name, **_common(run, ious, disps), acc_1_5=acc[5], acc_1_10=acc[10],
                            best_of_3_iou=top3)  # fmt: skip


# -- the shared pass ---------------------------------------------------------------------
def _limited(items: Sequence[_Item], limit: int | None) -> Sequence[_Item]:
    if limit is None:
        return items
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
        raise EvaluationError(f"limit must be a non-negative integer, got {limit!r}")
    return items[:limit]


def _group_by_file(items: Iterable[_Item]) -> dict[Path, list[_Item]]:
    groups: dict[Path, list[_Item]] = {}
    for item in items:
        groups.setdefault(item.file, []).append(item)
    return groups


def load_for_eval(path: Path) -> LoadedImage | None:
    """The image reduced to the analysis size, or ``None`` (logged) when missing or unreadable."""
    if not path.is_file():
        log.warning("skipping %s: the image is missing", path)
        return None
    try:
        return load_image(path, max_side=ANALYSIS_MAX_SIDE)
    except ImageReadError as exc:
        log.warning("skipping %s: %s", path, exc)
        return None


def _run(
    items: Sequence[_Item],
    method: CropMethod,
    request: Callable[[_Item, tuple[int, int]], CropRequest],
    progress: Progress | None,
) -> _Run:
    total, done = len(items), 0
    scored: list[_Item] = []
    preds: list[Box] = []
    ranked = isinstance(method, RankedCropMethod)
    top3: list[tuple[Box, ...]] = []
    n_images = skipped = 0
    analyse_s = crop_s = 0.0
    for path, group in _group_by_file(items).items():
        image = load_for_eval(path)
        if image is None:
            skipped += len(group)
        else:
            size = (image.info.width, image.info.height)
            try:
                start = time.perf_counter()
                analysis = method.analyse(image)
                analyse_s += time.perf_counter() - start
                n_images += 1
                for item in group:
                    req = request(item, size)
                    start = time.perf_counter()
                    box = method.crop(analysis, req)
                    crop_s += time.perf_counter() - start
                    preds.append(_normalised(box, size, method.name))
                    scored.append(item)
                    if ranked:  # not timed: an extra for the report, not part of cropping
                        alts = method.ranked(analysis, req, 3) or (box,)
                        top3.append(tuple(_normalised(b, size, method.name) for b in alts))
            except CropStudioError as exc:
                raise EvaluationError(f"method {method.name} failed on {path.name}: {exc}") from exc
        done += len(group)
        if progress is not None:
            progress(done, total)
    if skipped:
        log.warning("%s: %d item(s) skipped (missing or unreadable images)", method.name, skipped)
    return _Run(tuple(scored), tuple(preds), tuple(top3) if ranked else None, n_images, skipped, analyse_s, crop_s)


def _normalised(box: object, size: tuple[int, int], name: str) -> Box:
    if not isinstance(box, Box):
        raise TypeError(f"method {name} returned {type(box).__name__}, expected a Box")
    return Box(*box.to_normalized(*size))


def _mean(values: Sequence[float]) -> float:
    return math.fsum(values) / len(values) if values else math.nan


def _common(run: _Run, ious: Sequence[float], disps: Sequence[float]) -> dict:
    """The report fields every task shares (keyword arguments of the report dataclasses)."""
    n = len(run.items)
    return {
        "n_items": n,
        "n_images": run.n_images,
        "skipped": run.skipped,
        "mean_iou": _mean(ious),
        "mean_disp": _mean(disps),
        "ms_per_item_crop": 1000 * run.crop_s / n if n else math.nan,
        "ms_per_image_analyse": 1000 * run.analyse_s / run.n_images if run.n_images else math.nan,
        "ms_per_item_total": 1000 * (run.analyse_s + run.crop_s) / n if n else math.nan,
    }
