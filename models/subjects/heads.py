"""From a face detection (box + six keypoints) to the whole head: hair to chin, ears included.

A BlazeFace box runs from the eyebrows to the chin; a crop that keeps it can still cut the
hair. The head is modelled as an ellipse in the face's own frame: ``u`` along the eye line
(the roll of the head), ``v`` perpendicular to it, downwards, in units of the face box's
size ``s`` (the mean of its width and height), centred on the box centre. It reaches
``top * s`` above the centre, ``bottom * s`` below it and ``side * s`` to each side, and it
is widened to take in both ear tragions plus ``ear_margin * s`` (turned heads: the back of
the head lies beyond the far ear). The head box is the axis-aligned box around that ellipse.

:data:`HEAD_SHAPE` was measured against MediaPipe's person mask on the tuning part of
``pro_portraits`` (``tests/bench/head_growth.py``, figures in ``docs/benchmarks.md``): the top
is the 90th percentile of where the hair ends (a cut through the hair top reads as a cut
head); the sides the 75th percentile (the 90th is long hair falling beside the face, which
a crop may trim without looking cut).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from models.geometry import Box

__all__ = ["HEAD_SHAPE", "HeadShape", "grow_to_head", "roll"]

RIGHT_EYE, LEFT_EYE, NOSE, MOUTH, RIGHT_EAR, LEFT_EAR = range(6)


@dataclass(frozen=True, slots=True)
class HeadShape:
    """Head extent from the face box centre, in face sizes (see the module docstring)."""

    top: float = 1.25  # p90 of the hair top measured on pro_portraits (p50 1.02)
    bottom: float = 0.6  # the box ends at the chin (0.5); the mouth keypoint sits at p90 0.32
    side: float = 0.8  # p75 of the head's half width at eye level (p50 0.62-0.70, p90 0.98-1.11: long hair)
    ear_margin: float = 0.1  # not measured: the ear's own width beyond the tragion


HEAD_SHAPE = HeadShape()


def roll(keypoints: np.ndarray) -> float:
    """The head's in-plane rotation in radians (0: eyes level; positive: clockwise in the
    image, y pointing down), from the eye keypoints ``(6, 2)``."""
    dx, dy = keypoints[LEFT_EYE] - keypoints[RIGHT_EYE]
    return math.atan2(float(dy), float(dx)) if dx or dy else 0.0


def grow_to_head(face: Box, keypoints: np.ndarray, width: int, height: int, shape: HeadShape = HEAD_SHAPE) -> Box:
    """The head box of one face (image pixels, clipped to ``width x height``).

    ``keypoints``: ``(6, 2)`` x, y in image pixels, BlazeFace's order.
    """
    s = (face.width + face.height) / 2
    cx, cy = face.center
    theta = roll(keypoints)
    cos, sin = math.cos(theta), math.sin(theta)
    u_axis, v_axis = np.array([cos, sin]), np.array([-sin, cos])
    rel = np.asarray(keypoints, np.float64) - (cx, cy)
    ears_u = rel[[RIGHT_EAR, LEFT_EAR]] @ u_axis / s
    left = max(shape.side, -float(ears_u.min()) + shape.ear_margin)
    right = max(shape.side, float(ears_u.max()) + shape.ear_margin)
    # the ellipse's centre and semi-axes in the face frame
    cu, cv = (right - left) / 2 * s, (shape.bottom - shape.top) / 2 * s
    a, b = (right + left) / 2 * s, (shape.bottom + shape.top) / 2 * s
    centre = np.array([cx, cy]) + cu * u_axis + cv * v_axis
    half_w = math.hypot(a * cos, b * sin)
    half_h = math.hypot(a * sin, b * cos)
    x, y = float(centre[0]), float(centre[1])
    box = Box(x - half_w, y - half_h, x + half_w, y + half_h)
    return box.clipped(width, height)
