"""The attention map as a translucent heat overlay over the photo."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem

__all__ = ["HeatItem", "heat_rgba"]

# Anchor colours of the ramp (black-red-orange-yellow-white, like "inferno"), at 0, .25, ... 1.
_RAMP = np.array(
    [[0, 0, 4], [120, 28, 109], [237, 105, 37], [252, 206, 37], [252, 255, 164]], dtype=np.float32
)
_MAX_ALPHA = 150


def heat_rgba(values: np.ndarray) -> np.ndarray:
    """``(m, n)`` values in ``[0, 1]`` -> ``(m, n, 4)`` uint8 RGBA; low attention is transparent."""
    v = np.clip(np.nan_to_num(np.asarray(values, dtype=np.float32)), 0.0, 1.0)
    stops = np.linspace(0.0, 1.0, len(_RAMP))
    rgb = np.stack([np.interp(v, stops, _RAMP[:, c]) for c in range(3)], axis=-1)
    alpha = _MAX_ALPHA * np.sqrt(v)
    return np.ascontiguousarray(np.dstack([rgb, alpha]).round().astype(np.uint8))


class HeatItem(QGraphicsPixmapItem):
    """Shows an attention map stretched over a ``W x H`` image (scene = image pixels)."""

    def __init__(self, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(1)

    def set_map(self, values: np.ndarray | None, image_size: tuple[int, int]) -> None:
        """Show ``values`` (``(m, n)``, cells of the full image), or nothing for ``None``."""
        if values is None or values.size == 0:
            self.setPixmap(QPixmap())
            return
        rgba = heat_rgba(values)
        m, n = rgba.shape[:2]
        image = QImage(rgba.data, n, m, 4 * n, QImage.Format.Format_RGBA8888).copy()
        self.setPixmap(QPixmap.fromImage(image))
        self.setTransform(QTransform.fromScale(image_size[0] / n, image_size[1] / m))
