"""Box relations over many boxes at once: ``(N, 4)`` arrays of ``x0, y0, x1, y1``.

The vectorised counterpart of :meth:`models.geometry.Box.iou` and of
:func:`models.eval.metrics.disp`, for code that scores hundreds of candidates per image
(search, ranking, evaluation benches). The coordinates are whatever frame the caller's boxes
share (pixels of the upright image, or the ``[0, 1]`` normalised frame of the data sets); a
box with no area has IoU 0 with everything, as in :meth:`Box.iou`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from models.errors import InvalidInputError
from models.geometry import Box

__all__ = ["as_boxes", "best_disps", "best_ious", "disp_matrix", "iou_matrix"]


def as_boxes(boxes: np.ndarray | Sequence[Box] | Sequence[Sequence[float]] | Box) -> np.ndarray:
    """``boxes`` as a float64 ``(N, 4)`` array: one :class:`Box`, a sequence of them, or rows."""
    if isinstance(boxes, Box):
        boxes = [boxes]
    if not isinstance(boxes, np.ndarray) and isinstance(boxes, Iterable):
        boxes = [b.as_tuple() if isinstance(b, Box) else b for b in boxes]
    out = np.asarray(boxes, dtype=np.float64)
    if out.ndim == 1 and out.shape[0] == 4:
        out = out[None]
    if out.ndim != 2 or out.shape[1] != 4:
        raise InvalidInputError(f"boxes must be (N, 4) x0, y0, x1, y1; got shape {out.shape}")
    return out


def iou_matrix(a, b) -> np.ndarray:
    """``(N, M)`` IoU of every box of ``a`` with every box of ``b``."""
    a, b = as_boxes(a), as_boxes(b)
    iw = np.clip(np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    ih = np.clip(np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = iw * ih
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    return np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)


def disp_matrix(a, b) -> np.ndarray:
    """``(N, M)`` boundary displacement, ``(|dx0| + |dy0| + |dx1| + |dy1|) / 4``, of every pair
    (of normalised boxes, for the data sets' Disp)."""
    a, b = as_boxes(a), as_boxes(b)
    return np.abs(a[:, None, :] - b[None, :, :]).mean(axis=2)


def _ground_truth(gts) -> np.ndarray:
    if len(gts) == 0:
        raise InvalidInputError("need at least one ground-truth crop")
    return as_boxes(gts)


def best_ious(boxes, gts) -> np.ndarray:
    """``(N,)`` the largest IoU of each box with any of the ground-truth crops ``gts``."""
    return iou_matrix(boxes, _ground_truth(gts)).max(axis=1)


def best_disps(boxes, gts) -> np.ndarray:
    """``(N,)`` the smallest boundary displacement of each box to any of ``gts``."""
    return disp_matrix(boxes, _ground_truth(gts)).min(axis=1)
