"""Automatic quality filter: reject outpainted canvases whose fill is visibly broken.

Three numbers, each a ratio of the fill to the photo (so they hold for any photo):

* ``seam``: the mean absolute grey-level step across the photo's frame (between a photo
  pixel and its unknown 4-neighbour), per side, divided by the mean absolute step between
  neighbouring pixels inside the photo; the largest of the four sides. A hard seam (a fill
  that does not continue the photo's edge) makes it large.
* ``detail``: the mean absolute Laplacian (fine texture energy) in the fill divided by the
  same in the photo. A smear (a fill much flatter than the photo) makes it small; noise
  explosions make it large.
* ``colour``: the distance between the mean RGB colours of the fill and of the photo,
  divided by the photo's RGB standard deviation (its norm over channels). A fill in
  another colour than the photo's makes it large.

Thresholds (:class:`QualityThresholds`), measured on 60 expansions of FCDB training crops
(every 22nd photo of ``../shared/data/fcdb_train``, canvas 512 px, area 35-85 %; printed by
``python -m tests.bench.dataset_builder ../shared/data/fcdb_train --calibrate``):

==================================  ===========  ===========  ===========  ========
fill (60 samples each)              seam         detail       colour       passed
==================================  ===========  ===========  ===========  ========
``opencv`` backend                  0.04 - 1.12  0.61 - 1.08  0.06 - 0.98  60 / 60
``telea`` (full-resolution smear)   0.52 - 2.03  0.03 - 0.54  0.00 - 1.07   1 / 60
constant mean colour of the photo   1.24 - 39.6  0.00         0.00 - 0.02   0 / 60
``opencv`` fill brightened by 60    2.57 - 24.2  0.35 - 1.08  0.01 - 2.21   0 / 60
==================================  ===========  ===========  ===========  ========

so ``seam <= 2.5`` (a step 2.5x the photo's typical one, along a whole side),
``0.45 <= detail <= 3`` and ``colour <= 1.5`` pass the good fills and reject the broken ones
(the smallest seam of the brightened fills, 2.57, is close to the bound: a step of 60 grey
levels on a busy photo is about as strong as the photo's own edges).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from models.errors import InvalidInputError

__all__ = ["QualityReport", "QualityThresholds", "assess_fill"]

_EPS = 1e-3
_MIN_PAIRS = 8  # a side with fewer boundary pixel pairs is not measured


@dataclass(frozen=True, slots=True)
class QualityThresholds:
    """Pass bounds; see the module docstring for how they were measured."""

    max_seam: float = 2.5
    min_detail: float = 0.45
    max_detail: float = 3.0
    max_colour: float = 1.5


@dataclass(frozen=True, slots=True)
class QualityReport:
    """The measured ratios (module docstring), and whether the fill passes (else ``reason``)."""

    seam: float
    detail: float
    colour: float
    passed: bool
    reason: str | None = None

    def to_json(self) -> dict:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> QualityReport:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _seam(grey: np.ndarray, known: np.ndarray) -> float:
    inside = []
    sides = []
    for axis in (0, 1):
        a = np.swapaxes(grey, 0, axis)
        k = np.swapaxes(known, 0, axis)
        step = np.abs(a[1:] - a[:-1])
        both = k[1:] & k[:-1]
        inside.append(step[both])
        for into_fill in (k[:-1] & ~k[1:], ~k[:-1] & k[1:]):  # photo then fill; fill then photo
            if into_fill.sum() >= _MIN_PAIRS:
                sides.append(float(step[into_fill].mean()))
    typical = float(np.concatenate(inside).mean()) if sum(len(v) for v in inside) else 0.0
    return max(sides, default=0.0) / (typical + _EPS)


def assess_fill(filled: np.ndarray, known: np.ndarray, thresholds: QualityThresholds = QualityThresholds()) -> QualityReport:
    """Measure a filled canvas ``(H, W, 3)`` uint8 with its ``known`` mask ``(H, W)`` bool."""
    if not (isinstance(filled, np.ndarray) and filled.ndim == 3 and filled.shape[2] == 3 and filled.dtype == np.uint8):
        raise InvalidInputError(f"filled must be an (H, W, 3) uint8 array, got {getattr(filled, 'shape', type(filled))}")
    if getattr(known, "shape", None) != filled.shape[:2] or known.dtype != np.bool_:
        raise InvalidInputError("known must be an (H, W) bool array matching the canvas")
    if known.all() or not known.any():
        return QualityReport(0.0, 1.0, 0.0, True, None)
    grey = cv2.cvtColor(filled, cv2.COLOR_RGB2GRAY).astype(np.float32)
    seam = _seam(grey, known)
    lap = np.abs(cv2.Laplacian(grey, cv2.CV_32F, ksize=1))
    # the Laplacian next to the frame mixes both sides: measure away from it
    core = cv2.erode(known.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    fill = cv2.erode((~known).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    fill = fill if fill.any() else ~known
    core = core if core.any() else known
    detail = float(lap[fill].mean()) / (float(lap[core].mean()) + _EPS)
    photo_mean, photo_std = cv2.meanStdDev(filled, mask=known.astype(np.uint8))
    fill_mean, _ = cv2.meanStdDev(filled, mask=(~known).astype(np.uint8))
    colour = float(np.linalg.norm(fill_mean - photo_mean) / (np.linalg.norm(photo_std) + 1.0))
    t = thresholds
    reason = None
    if seam > t.max_seam:
        reason = f"seam: a step {seam:.2f}x the photo's typical one along the frame (max {t.max_seam})"
    elif detail < t.min_detail:
        reason = f"smear: the fill has {detail:.2f}x the photo's fine detail (min {t.min_detail})"
    elif detail > t.max_detail:
        reason = f"noise: the fill has {detail:.2f}x the photo's fine detail (max {t.max_detail})"
    elif colour > t.max_colour:
        reason = f"colour: the fill's mean colour is {colour:.2f} photo standard deviations off (max {t.max_colour})"
    return QualityReport(round(seam, 4), round(detail, 4), round(colour, 4), reason is None, reason)
