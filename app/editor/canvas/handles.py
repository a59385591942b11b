"""Resize handles: small squares of constant screen size on a box's corners and edges.

A handle only forwards its drag to its owner (a :class:`app.editor.canvas.box_item.BoxItem`), which
does the arithmetic. Handles are top-level scene items above everything else, so they stay
grabbable where a keep or avoid region lies on the crop's edge.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneMouseEvent, QStyleOptionGraphicsItem, QWidget

from app.editor.canvas.boxes import Handle

__all__ = ["HANDLE_SIZE", "HANDLE_Z", "DragOwner", "HandleItem", "cursor_for"]


class DragOwner(Protocol):
    """What a handle needs of its owner (a BoxItem): the three steps of a drag."""

    def begin_drag(self, handle: Handle, pos: QPointF) -> None: ...
    def drag_to(self, pos: QPointF, modifiers: Qt.KeyboardModifier) -> None: ...
    def end_drag(self) -> None: ...

HANDLE_SIZE = 10.0  # screen pixels
HANDLE_Z = 100.0

_CURSORS = {
    Handle.TOP_LEFT: Qt.CursorShape.SizeFDiagCursor,
    Handle.BOTTOM_RIGHT: Qt.CursorShape.SizeFDiagCursor,
    Handle.TOP_RIGHT: Qt.CursorShape.SizeBDiagCursor,
    Handle.BOTTOM_LEFT: Qt.CursorShape.SizeBDiagCursor,
    Handle.TOP: Qt.CursorShape.SizeVerCursor,
    Handle.BOTTOM: Qt.CursorShape.SizeVerCursor,
    Handle.LEFT: Qt.CursorShape.SizeHorCursor,
    Handle.RIGHT: Qt.CursorShape.SizeHorCursor,
    Handle.MOVE: Qt.CursorShape.SizeAllCursor,
}


def cursor_for(handle: Handle) -> Qt.CursorShape:
    return _CURSORS[handle]


class HandleItem(QGraphicsItem):
    """One handle of ``owner``; positioned by the owner in scene (image) coordinates."""

    def __init__(self, owner: DragOwner, handle: Handle, color: QColor) -> None:
        super().__init__()
        self.owner = owner
        self.handle = handle
        self._color = color
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setZValue(HANDLE_Z)
        self.setCursor(cursor_for(handle))
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)

    def boundingRect(self) -> QRectF:
        half = HANDLE_SIZE / 2 + 1
        return QRectF(-half, -half, 2 * half, 2 * half)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        half = HANDLE_SIZE / 2
        painter.setPen(QPen(QColor(20, 20, 20), 1))
        painter.setBrush(QBrush(self._color))
        painter.drawRect(QRectF(-half, -half, 2 * half, 2 * half))

    def place(self, point: QPointF) -> None:
        self.setPos(point)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            event.ignore()
            return
        self.owner.begin_drag(self.handle, event.scenePos())
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.owner.drag_to(event.scenePos(), event.modifiers())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.owner.end_drag()
