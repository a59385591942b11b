"""Finding an image's subjects (placeholder until the BlazeFace detector lands: issue 17).

Today: the Haar faces of :mod:`models.attention.faces`, each grown to a head box by a fixed
margin. The signature is the contract: ``detect_subjects(rgb) -> Subjects``.
"""

from __future__ import annotations

import numpy as np

from models.attention.faces import detect_faces
from models.geometry import Box
from models.subjects.types import Head, Subjects

__all__ = ["detect_subjects"]


def _grow_to_head(face: Box, width: int, height: int) -> Box:
    """Hair above, chin below, ears beside: a fixed margin around a frontal face box."""
    w, h = face.width, face.height
    return Box(face.x0 - 0.25 * w, face.y0 - 0.45 * h, face.x1 + 0.25 * w, face.y1 + 0.15 * h).clipped(width, height)


def detect_subjects(rgb: np.ndarray) -> Subjects:
    """The heads (and, when a person model is available, the person mask) of an
    ``(H, W, 3)`` uint8 RGB image, in its pixels."""
    height, width = rgb.shape[:2]
    faces = detect_faces(rgb)
    heads = tuple(Head(_grow_to_head(f, width, height), f, 1.0) for f in faces)
    return Subjects((width, height), heads, None)
