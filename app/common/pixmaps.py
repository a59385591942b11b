"""RGB arrays as Qt images and pixmaps (thumbnails sharp at any display scaling)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImage, QPixmap

__all__ = ["fitted_pixmap", "rgb_to_qimage"]


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """A deep-copied ``QImage`` of a ``(h, w, 3)`` uint8 array (safe after ``rgb`` is gone)."""
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected a (h, w, 3) uint8 array, got {getattr(rgb, 'shape', type(rgb))}")
    h, w, _ = rgb.shape
    if h == 0 or w == 0:
        raise ValueError("cannot show an empty image")
    buf = np.ascontiguousarray(rgb)
    # QImage wraps `buf` without copying; .copy() detaches it before `buf` can be freed.
    return QImage(buf.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def fitted_pixmap(image: np.ndarray | QImage, size: QSize, dpr: float) -> QPixmap:
    """``image`` (an RGB array or a ``QImage``) scaled to fit ``size`` logical pixels, keeping its
    ratio, on a display of device pixel ratio ``dpr``: rendered at ``size * dpr`` device pixels
    and marked with ``dpr``, so thumbnails stay sharp at 200% (and are not drawn twice as big)."""
    qimage = rgb_to_qimage(image) if isinstance(image, np.ndarray) else image
    dpr = dpr if dpr > 0 else 1.0
    target = QSize(max(1, round(size.width() * dpr)), max(1, round(size.height() * dpr)))
    pixmap = QPixmap.fromImage(qimage.scaled(target, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation))  # fmt: skip
    pixmap.setDevicePixelRatio(dpr)
    return pixmap
