"""A draggable, resizable box on the canvas: the base of the crop and of layout regions.

Scene coordinates are full-resolution image pixels, so :meth:`BoxItem.box` is a
:class:`models.geometry.Box` as the engine uses it. Dragging the inside moves the box; its
eight :class:`~app.editor.canvas.handles.HandleItem` resize it (with the ratio lock when one is set,
or the box's own ratio while Shift is held). ``changing`` is emitted live; ``edited`` once
per drag, with the box before and after (whole pixels), for the undo stack.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QGraphicsSceneMouseEvent

from app.editor.canvas.boxes import Handle, resize_box, snap_box
from app.editor.canvas.handles import HandleItem, cursor_for
from models.geometry import Box

__all__ = ["BoxItem", "box_rect", "cosmetic_pen"]

MIN_SIZE = 4.0  # image pixels


def box_rect(box: Box) -> QRectF:
    return QRectF(box.x0, box.y0, box.width, box.height)


def cosmetic_pen(painter: QPainter, color: QColor, width: float, style: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
    """A pen ``width`` screen pixels wide whatever the zoom, at any display scaling: Qt strokes
    cosmetic pens in device pixels, so the width is multiplied by the painted device's pixel ratio
    (a 2 px frame stays 2 logical pixels, 4 device pixels, at 200%)."""
    device = painter.device()
    pen = QPen(color, width * (device.devicePixelRatioF() if device is not None else 1.0), style)
    pen.setCosmetic(True)
    return pen


class BoxItem(QGraphicsObject):
    """A box inside a ``bounds = (W, H)`` image; subclasses paint it."""

    changing = Signal(object)  # Box, live while a drag goes on
    edited = Signal(object, object, str)  # Box before, Box after, "move" | "resize"
    released = Signal()  # a drag ended (after ``edited``, if the box changed)

    def __init__(self, box: Box, bounds: tuple[float, float], *, handle_color: QColor) -> None:
        super().__init__()
        self._box = box
        self._bounds = bounds
        self._ratio: float | None = None
        self._drag: tuple[Handle, QPointF, Box] | None = None
        self._handles = [HandleItem(self, h, handle_color) for h in Handle if h is not Handle.MOVE]
        self._handles_wanted = True
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(cursor_for(Handle.MOVE))
        self._place_handles()

    # -- state --------------------------------------------------------------------------
    def box(self) -> Box:
        return self._box

    def set_box(self, box: Box) -> None:
        if box == self._box:
            return
        self.prepareGeometryChange()
        self._box = box
        self._place_handles()
        self.update()

    def bounds(self) -> tuple[float, float]:
        return self._bounds

    def set_bounds(self, bounds: tuple[float, float]) -> None:
        self._bounds = bounds

    def ratio(self) -> float | None:
        """The locked ratio (width / height), or None."""
        return self._ratio

    def set_ratio(self, ratio: float | None) -> None:
        self._ratio = ratio

    def is_dragging(self) -> bool:
        return self._drag is not None

    def handles(self) -> list[HandleItem]:
        return list(self._handles)

    def handle_item(self, handle: Handle) -> HandleItem:
        return next(h for h in self._handles if h.handle is handle)

    def set_handles_visible(self, visible: bool) -> None:
        self._handles_wanted = visible
        self._sync_handle_visibility()

    # -- dragging (also driven by the handles) --------------------------------------------
    def begin_drag(self, handle: Handle, scene_pos: QPointF) -> None:
        self._drag = (handle, QPointF(scene_pos), self._box)

    def drag_to(self, scene_pos: QPointF, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
        if self._drag is None:
            return
        handle, start, box0 = self._drag
        ratio = self._ratio
        if ratio is None and modifiers & Qt.KeyboardModifier.ShiftModifier and handle is not Handle.MOVE:
            ratio = box0.aspect  # Shift keeps the box's own shape in free mode
        d = scene_pos - start
        box = resize_box(box0, handle, d.x(), d.y(), bounds=self._bounds, ratio=ratio, min_size=MIN_SIZE)
        self.set_box(box)
        self.changing.emit(box)

    def end_drag(self) -> None:
        if self._drag is None:
            return
        handle, _, box0 = self._drag
        self._drag = None
        final = snap_box(self._box, self._bounds, translate=handle is Handle.MOVE)
        self.set_box(final)
        if final != box0:
            self.edited.emit(box0, final, "move" if handle is Handle.MOVE else "resize")
        self.released.emit()

    # -- QGraphicsItem ------------------------------------------------------------------------
    def boundingRect(self) -> QRectF:
        return box_rect(self._box)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        self.pressed()
        self.begin_drag(Handle.MOVE, event.scenePos())
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.drag_to(event.scenePos(), event.modifiers())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.end_drag()

    def pressed(self) -> None:
        """Hook: the inside was clicked (regions select themselves)."""

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: object) -> object:
        if change == QGraphicsItem.GraphicsItemChange.ItemSceneChange:
            old = self.scene()
            if old is not None:
                for h in self._handles:
                    old.removeItem(h)
        elif change == QGraphicsItem.GraphicsItemChange.ItemSceneHasChanged:
            scene = self.scene()
            if scene is not None:
                for h in self._handles:
                    scene.addItem(h)
        elif change in (
            QGraphicsItem.GraphicsItemChange.ItemVisibleHasChanged,
            QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged,
        ):
            self._sync_handle_visibility()
        return super().itemChange(change, value)

    # -- helpers ----------------------------------------------------------------------------
    def _handles_shown(self) -> bool:
        return self._handles_wanted and self.isVisible()

    def _sync_handle_visibility(self) -> None:
        shown = self._handles_shown()
        for h in self._handles:
            h.setVisible(shown)

    def _place_handles(self) -> None:
        for h in self._handles:
            h.place(QPointF(*h.handle.anchor(self._box)))
