"""A finished sample of the dataset builder as its panel's preview grid shows it (any thread)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen

__all__ = ["PREVIEW_SIDE", "SamplePreview", "preview_of"]

PREVIEW_SIDE = 104  # longest side of a preview thumbnail, pixels


@dataclass(frozen=True)
class SamplePreview:
    """A finished sample as the preview grid shows it: its thumbnail with the label drawn."""

    index: int
    image: Path
    label: tuple[float, float, float, float]  # normalised [x0, y0, x1, y1] of the photo's frame
    thumbnail: QImage


def preview_of(index: int, image: Path, label: tuple[float, float, float, float]) -> SamplePreview | None:
    """Read ``image``, scale it to :data:`PREVIEW_SIDE` and draw ``label`` on it (any thread)."""
    source = QImage(str(image))
    if source.isNull():
        return None
    thumb = source.scaled(PREVIEW_SIDE, PREVIEW_SIDE, Qt.AspectRatioMode.KeepAspectRatio,
                          Qt.TransformationMode.SmoothTransformation).convertToFormat(QImage.Format.Format_RGB32)
    w, h = thumb.width(), thumb.height()
    x0, y0, x1, y1 = label
    painter = QPainter(thumb)
    painter.setPen(QPen(QColor(255, 214, 0), 2))
    painter.drawRect(QRectF(x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h).adjusted(1, 1, -1, -1))
    painter.end()
    return SamplePreview(index, image, label, thumb)
