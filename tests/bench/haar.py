"""The previous face detector, kept only as the benchmarks' baseline (tests/bench/faces.py,
pipeline.py, cropsets.py): the Haar cascades that ship inside the opencv wheel. The engine
uses BlazeFace (:mod:`models.subjects`); Haar found fewer real faces and took 0.45 s per
640-px photo (docs/benchmarks.md), so it is no fallback.

Frontal and profile cascades (the profile one run on the mirrored image too), merged with
non-maximum suppression. Detection runs on a copy whose long side is at most
:data:`DETECT_LONG_SIDE` pixels: Haar cascades are scale-searched anyway, and a 24 MP
photo would take seconds.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import cv2
import numpy as np

from models.geometry import Box
from models.subjects import Head, Subjects

__all__ = ["DETECT_LONG_SIDE", "detect_faces", "haar_subjects"]

log = logging.getLogger(__name__)

DETECT_LONG_SIDE = 640
_CASCADES = ("haarcascade_frontalface_default.xml", "haarcascade_profileface.xml")


@functools.cache
def _cascade(name: str) -> cv2.CascadeClassifier | None:
    path = Path(cv2.data.haarcascades) / name
    classifier = cv2.CascadeClassifier(str(path))
    if classifier.empty():
        log.warning("face cascade %s could not be loaded; face prior disabled", path)
        return None
    return classifier


def _nms(boxes: list[Box], iou: float = 0.3) -> list[Box]:
    kept: list[Box] = []
    for box in sorted(boxes, key=lambda b: b.area, reverse=True):
        if all(box.iou(k) < iou and not k.contains(box) for k in kept):
            kept.append(box)
    return kept


def detect_faces(rgb: np.ndarray, *, min_size_fraction: float = 0.04) -> list[Box]:
    """Faces in an ``(H, W, 3)`` uint8 image, as boxes in that image's pixels.

    ``min_size_fraction``: the smallest face searched for, as a fraction of the short side
    (at least 20 px on the detection copy).
    """
    h, w = rgb.shape[:2]
    scale = min(1.0, DETECT_LONG_SIDE / max(h, w))
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if scale < 1.0:
        gray = cv2.resize(gray, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    gray = cv2.equalizeHist(gray)
    side = max(20, int(min(gray.shape) * min_size_fraction))
    found: list[Box] = []
    for name in _CASCADES:
        classifier = _cascade(name)
        if classifier is None:
            continue
        views = [(gray, False)] + ([(gray[:, ::-1].copy(), True)] if "profile" in name else [])
        for view, mirrored in views:
            hits = classifier.detectMultiScale(view, scaleFactor=1.15, minNeighbors=6, minSize=(side, side))
            for x, y, bw, bh in np.asarray(hits).reshape(-1, 4):
                x0 = view.shape[1] - (x + bw) if mirrored else x
                found.append(Box.from_xywh(float(x0), float(y), float(bw), float(bh)).scaled(1 / scale))
    return _nms(found)


def haar_subjects(image) -> Subjects:
    """A LoadedImage's subjects as the engine found them before BlazeFace: Haar faces grown
    by the fixed margin the placeholder used, no person mask (full-resolution pixels)."""
    h, w = image.info.height, image.info.width
    heads = []
    for face in (image.to_full(b) for b in detect_faces(image.rgb)):
        fw, fh = face.width, face.height
        head = Box(face.x0 - 0.25 * fw, face.y0 - 0.45 * fh, face.x1 + 0.25 * fw, face.y1 + 0.15 * fh).clipped(w, h)
        heads.append(Head(head, face, 1.0))
    return Subjects((w, h), tuple(heads), None)
