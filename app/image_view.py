"""A zoomable, pannable image viewer built on ``QGraphicsView``.

The view shows one RGB image (a ``(h, w, 3)`` uint8 numpy array). Scene coordinates are the
displayed image's pixel-edge coordinates (``(0, 0)`` is the top-left corner of the top-left
pixel), so later overlays (crop boxes) can be drawn in the same frame as
:class:`models.geometry.Box`, scaled by the loaded image's ``scale``.

Interaction: the image is fitted to the window on load and on resize until the user zooms;
the mouse wheel zooms around the cursor; dragging pans. Handlers only adjust the view
transform: nothing is computed in paint or mouse handlers.
"""

from __future__ import annotations

import numpy as np
from collections.abc import Sequence

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPen, QPixmap, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsPixmapItem,
    QGraphicsRectItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

from models.geometry import Box

__all__ = ["ImageView", "rgb_to_qimage"]

MIN_ZOOM = 0.02
MAX_ZOOM = 40.0
WHEEL_STEP = 1.25  # zoom factor per wheel notch (120 eighths of a degree)


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


class ImageView(QGraphicsView):
    """Shows an RGB array; fit-to-window, wheel zoom around the cursor, drag to pan."""

    zoom_changed = Signal(float)  # the view's scale (screen pixels per image pixel)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._scene.addItem(self._item)
        self.setScene(self._scene)
        self._fit = True  # refit on resize until the user zooms

        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setBackgroundBrush(QBrush(QColor(48, 48, 48)))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self._crop_items: list[QGraphicsItem] = []
        self._crops: tuple[Box, ...] = ()
        # File drops are the main window's business, not the scene's.
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)

    # -- content ----------------------------------------------------------------------
    def set_image(self, rgb: np.ndarray) -> None:
        """Show ``rgb`` (``(h, w, 3)`` uint8) and fit it to the window."""
        self.set_crops(())
        self._item.setPixmap(QPixmap.fromImage(rgb_to_qimage(rgb)))
        self._scene.setSceneRect(QRectF(self._item.pixmap().rect()))
        self.fit_to_window()

    def clear(self) -> None:
        """Show nothing."""
        self.set_crops(())
        self._item.setPixmap(QPixmap())
        self._scene.setSceneRect(QRectF())
        self.resetTransform()
        self._fit = True
        self.zoom_changed.emit(1.0)

    def has_image(self) -> bool:
        return not self._item.pixmap().isNull()

    def pixmap(self) -> QPixmap:
        """The displayed pixmap (null when empty)."""
        return self._item.pixmap()

    def set_crops(self, boxes: Sequence[Box]) -> None:
        """Outline ``boxes`` (displayed-image pixels) and dim everything outside them."""
        for item in self._crop_items:
            self._scene.removeItem(item)
        self._crop_items.clear()
        self._crops = tuple(boxes)
        if not self._crops or not self.has_image():
            return
        outside = QPainterPath()
        outside.addRect(QRectF(self._item.pixmap().rect()))
        for box in self._crops:
            hole = QPainterPath()
            hole.addRect(QRectF(box.x0, box.y0, box.width, box.height))
            outside = outside.subtracted(hole)
        dim = QGraphicsPathItem(outside)
        dim.setBrush(QColor(0, 0, 0, 140))
        dim.setPen(Qt.PenStyle.NoPen)
        self._crop_items.append(dim)
        for box in self._crops:
            frame = QGraphicsRectItem(QRectF(box.x0, box.y0, box.width, box.height))
            pen = QPen(QColor(255, 214, 10))
            pen.setCosmetic(True)  # 2 screen pixels whatever the zoom
            pen.setWidth(2)
            frame.setPen(pen)
            self._crop_items.append(frame)
        for item in self._crop_items:
            self._scene.addItem(item)

    def crops(self) -> tuple[Box, ...]:
        """The boxes on display (displayed-image pixels)."""
        return self._crops

    # -- zoom -------------------------------------------------------------------------
    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        return self.transform().m11()

    def is_fitted(self) -> bool:
        """Whether the view follows the window size (no user zoom since the last fit)."""
        return self._fit

    def fit_to_window(self) -> None:
        """Show the whole image, as large as the window allows; refit on later resizes."""
        self._fit = True
        if self.has_image():
            self.fitInView(self._item, Qt.AspectRatioMode.KeepAspectRatio)
            self.zoom_changed.emit(self.zoom())

    def zoom_by(self, factor: float) -> None:
        """Multiply the zoom by ``factor`` (clamped) around the transformation anchor."""
        if not self.has_image() or factor <= 0:
            return
        current = self.zoom()
        target = min(max(current * factor, MIN_ZOOM), MAX_ZOOM)
        if target == current:
            return
        self._fit = False
        self.scale(target / current, target / current)
        self.zoom_changed.emit(self.zoom())

    def set_actual_size(self) -> None:
        """One image pixel per screen pixel."""
        if self.has_image():
            self.zoom_by(1.0 / self.zoom())

    # -- events -----------------------------------------------------------------------
    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps and self.has_image():
            self.zoom_by(WHEEL_STEP**steps)  # AnchorUnderMouse keeps the cursor's pixel fixed
            event.accept()
        else:
            super().wheelEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fit:
            self.fit_to_window()
