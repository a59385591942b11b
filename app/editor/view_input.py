"""The image view's input: arrow-key nudges, zoom, pan, drawing a region, the wheel and resizes.

A mixin of :class:`app.editor.image_view.ImageView` (the view's state and items live there);
it only reports intent through the view's signals.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.editor.canvas.box_item import box_rect
from app.editor.canvas.boxes import move_box, snap_box
from app.editor.canvas.region_item import REGION_Z, RegionItem, paint_region
from app.editor.state import RegionKind
from models.geometry import Box

__all__ = ["BIG_NUDGE", "MAX_ZOOM", "MIN_ZOOM", "NUDGE", "WHEEL_STEP", "ViewInput"]

MIN_ZOOM = 0.02
MAX_ZOOM = 40.0
WHEEL_STEP = 1.25  # zoom factor per wheel notch (120 eighths of a degree)
NUDGE, BIG_NUDGE = 1, 10  # image pixels per arrow key (with Shift)
_MIN_DRAWN = 2  # image pixels: smaller drags draw nothing
_ARROWS = {
    Qt.Key.Key_Left: (-1, 0),
    Qt.Key.Key_Right: (1, 0),
    Qt.Key.Key_Up: (0, -1),
    Qt.Key.Key_Down: (0, 1),
}


class _DraftItem(QGraphicsItem):
    """The region being drawn, styled like the region it will become."""

    def __init__(self, kind: RegionKind, box: Box) -> None:
        super().__init__()
        self.kind, self.box = kind, box
        self.setZValue(REGION_Z + 1)

    def set_box(self, box: Box) -> None:
        self.prepareGeometryChange()
        self.box = box

    def boundingRect(self) -> QRectF:
        return box_rect(self.box)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        paint_region(painter, self.kind, self.box, selected=True)


class ViewInput:
    """Keyboard, zoom and mouse handling of the image view (mixed into a QGraphicsView)."""

    # -- keyboard --------------------------------------------------------------------------
    def nudge(self, dx: int, dy: int) -> bool:
        """Move the selected region, else the crop, by ``(dx, dy)`` image pixels."""
        selected = self.selected_region()
        item = self._regions[selected[0]][selected[1]] if selected else self._crop
        if item is None or not item.isVisible() or item.is_dragging():
            return False
        before = item.box()
        after = snap_box(move_box(before, dx, dy, self._size), self._size, translate=True)
        if after == before:
            return True
        item.set_box(after)
        if isinstance(item, RegionItem):
            self.region_edited.emit(item.kind, item.index, before, after, "nudge")
        else:
            self._dim.set_holes((after, *(s.box for s in self._secondary)))
            self.crop_edited.emit(before, after, "nudge")
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        direction = _ARROWS.get(Qt.Key(event.key()))
        if direction is not None and self.has_image():
            step = BIG_NUDGE if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else NUDGE
            if self.nudge(direction[0] * step, direction[1] * step):
                event.accept()
                return
        if event.key() == Qt.Key.Key_Escape:
            if self._draw_kind is not None:
                self.set_draw_mode(None)
            else:
                self._scene.clearSelection()
            event.accept()
            return
        super().keyPressEvent(event)

    # -- zoom -------------------------------------------------------------------------
    def zoom(self) -> float:
        """Device (physical) pixels per full-resolution image pixel: 1.0 is "actual pixels" at any
        display scaling. The view's transform is in logical pixels, ``zoom() / devicePixelRatioF()``."""
        return self.transform().m11() * self.devicePixelRatioF()

    def is_fitted(self) -> bool:
        """Whether the view follows the window size (no user zoom since the last fit)."""
        return self._fit

    def fit_to_window(self) -> None:
        """Show the whole image, as large as the window allows; refit on later resizes."""
        self._fit = True
        if self.has_image():
            self.fitInView(self._scene.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
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
        """One image pixel per device pixel (half a logical pixel at 200%)."""
        if self.has_image():
            self.zoom_by(1.0 / self.zoom())

    # -- mouse ------------------------------------------------------------------------
    def _scene_point(self, pos: QPointF) -> QPointF:
        """A viewport position as a scene point clamped to the image."""
        p = self.mapToScene(pos.toPoint())
        w, h = self._size
        return QPointF(min(max(p.x(), 0.0), w), min(max(p.y(), 0.0), h))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        if self._draw_kind is not None and event.button() == Qt.MouseButton.LeftButton and self.has_image():
            start = self._scene_point(event.position())
            draft = _DraftItem(self._draw_kind, Box(start.x(), start.y(), start.x(), start.y()))
            self._scene.addItem(draft)
            self._draft = (start, draft)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            delta = event.position().toPoint() - self._pan_from
            self._pan_from = event.position().toPoint()
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        if self._draft is not None:
            start, draft = self._draft
            p = self._scene_point(event.position())
            draft.set_box(Box(min(start.x(), p.x()), min(start.y(), p.y()), max(start.x(), p.x()), max(start.y(), p.y())))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() == Qt.MouseButton.MiddleButton:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.CrossCursor if self._draw_kind else Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        if self._draft is not None and event.button() == Qt.MouseButton.LeftButton:
            _, draft = self._draft
            self._draft = None
            self._scene.removeItem(draft)
            kind = draft.kind
            self.set_draw_mode(None)
            box = snap_box(draft.box, self._size)
            if box.width >= _MIN_DRAWN and box.height >= _MIN_DRAWN:
                self.region_drawn.emit(kind, box)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120.0
        if steps and self.has_image():
            self.zoom_by(WHEEL_STEP**steps)  # AnchorUnderMouse keeps the cursor's pixel fixed
            event.accept()
        else:
            super().wheelEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._preview and self._crop is not None:
            self.fitInView(box_rect(self._crop.box()), Qt.AspectRatioMode.KeepAspectRatio)
        elif self._fit:
            self.fit_to_window()
