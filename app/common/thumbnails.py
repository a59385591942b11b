"""The one thumbnail cutter: a box of an already-loaded RGB copy, shrunk to fit a size.

Qt-free (workers call it); the suggestions' cards and the crop-set's target cards both use it.
"""

from __future__ import annotations

import cv2
import numpy as np

from models.geometry import Box

__all__ = ["cut_thumbnail"]


def cut_thumbnail(rgb: np.ndarray, box: Box, fit: tuple[int, int], scale: float = 1.0) -> np.ndarray:
    """The part of ``rgb`` under ``box`` (pixels of ``rgb``, clipped to it, at least one pixel),
    shrunk by area averaging to fit ``fit`` ``(width, height)`` times ``scale`` (the display's
    device pixel ratio, at least 1); never enlarged. ``(h, w, 3)`` uint8, contiguous."""
    h, w = rgb.shape[:2]
    x0, y0 = min(max(int(box.x0), 0), w - 1), min(max(int(box.y0), 0), h - 1)
    x1, y1 = max(min(round(box.x1), w), x0 + 1), max(min(round(box.y1), h), y0 + 1)
    part = rgb[y0:y1, x0:x1]
    scale = max(1.0, scale)
    fw, fh = max(1, round(fit[0] * scale)), max(1, round(fit[1] * scale))
    ph, pw = part.shape[:2]
    if pw <= fw and ph <= fh:
        return np.ascontiguousarray(part)
    f = min(fw / pw, fh / ph)
    size = (max(1, min(fw, round(pw * f))), max(1, min(fh, round(ph * f))))
    return cv2.resize(part, size, interpolation=cv2.INTER_AREA)
