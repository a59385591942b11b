"""Finding an image's subjects: BlazeFace faces grown to heads, and the person mask.

``detect_subjects(rgb) -> Subjects`` is the one call (once per image, in the analysis):

* faces: MediaPipe's BlazeFace full-range model (192 px input) through OpenCV's DNN module
  (:mod:`models.subjects.tflite`, decoding in :mod:`models.subjects.blazeface`);
* heads: each face grown from its box and keypoints (:mod:`models.subjects.heads`);
* person: MediaPipe's selfie segmentation, a soft mask, run only when a face was found
  (a crop has no person to keep whole otherwise, and it saves 10-25 ms per image).

Faces whose head would be smaller than :data:`MIN_HEAD_FRACTION` of the image's short side
are dropped: BlazeFace full-range rarely finds them reliably, and the subject rule treats
heads that small (a crowd in the background) as leave-out-whole anyway.
"""

from __future__ import annotations

import logging

import numpy as np

from models.geometry import Box
from models.imaging import LoadedImage
from models.subjects.heads import grow_to_head
from models.subjects.tflite import detect_faces_blazeface, person_mask
from models.subjects.types import Head, Subjects

__all__ = ["FACE_MODEL", "MIN_HEAD_FRACTION", "detect_subjects", "image_subjects"]

log = logging.getLogger(__name__)

FACE_MODEL = "full-range"
MIN_HEAD_FRACTION = 0.0  # keep every face the model finds; the rule decides what is small


def detect_subjects(rgb: np.ndarray, *, person: bool = True) -> Subjects:
    """The heads (and, when ``person`` and a face was found, the person mask) of an
    ``(H, W, 3)`` uint8 RGB image, in its pixels, heads sorted by detector score."""
    height, width = rgb.shape[:2]
    found = detect_faces_blazeface(rgb, FACE_MODEL)
    heads: list[Head] = []
    for box, keypoints, score in zip(found.boxes, found.keypoints, found.scores):
        face = Box(*(float(v) for v in box)).clipped(width, height)
        if face.width <= 0 or face.height <= 0:
            continue
        head = grow_to_head(Box(*(float(v) for v in box)), keypoints, width, height)
        if min(head.width, head.height) < MIN_HEAD_FRACTION * min(width, height):
            continue
        heads.append(Head(head, face, float(score)))
    mask = person_mask(rgb) if person and heads else None
    log.debug("subjects: %d head(s), person mask %s", len(heads), "yes" if mask is not None else "no")
    return Subjects((width, height), tuple(heads), mask)


def image_subjects(image: LoadedImage, *, person: bool = True) -> Subjects:
    """:func:`detect_subjects` on a loaded image's analysis copy, in full-resolution pixels."""
    return detect_subjects(image.rgb, person=person).scaled_to(image.info.width, image.info.height)
