"""The detected heads as outlines over the photo (shown and hidden with the heat map).

Each head is an ellipse inscribed in its head box (hair to chin, see
:mod:`models.subjects.heads`); a head the current crop leaves out is drawn dashed, in the
warning colour. Scene coordinates are full-resolution image pixels.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.editor.canvas.box_item import box_rect
from models.geometry import Box

__all__ = ["HeadsItem", "left_out_message"]

_KEPT = QColor(80, 220, 255)
_LEFT_OUT = QColor(255, 170, 0)


def left_out_message(n_left_out: int, n_heads: int) -> str:
    """The status line for a crop that leaves ``n_left_out`` of ``n_heads`` heads out ('' if none)."""
    if n_left_out <= 0:
        return ""
    if n_heads == 1:
        return "The crop leaves the head out (no crop of this ratio and layout keeps it whole)"
    return f"The crop leaves {n_left_out} of {n_heads} heads out (no crop of this ratio and layout keeps them all whole)"


class HeadsItem(QGraphicsItem):
    """Outlines of head boxes; no mouse handling."""

    def __init__(self, parent: QGraphicsItem | None = None) -> None:
        super().__init__(parent)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(1.5)  # above the heat map, below the dimming and the crop
        self._heads: tuple[Box, ...] = ()
        self._left_out: frozenset[int] = frozenset()

    def set_heads(self, heads: Sequence[Box], left_out: Sequence[int] = ()) -> None:
        """Show ``heads``; the indices in ``left_out`` are drawn as left out."""
        self.prepareGeometryChange()
        self._heads = tuple(heads)
        self._left_out = frozenset(i for i in left_out if 0 <= i < len(self._heads))
        self.update()

    def heads(self) -> tuple[Box, ...]:
        return self._heads

    def left_out(self) -> frozenset[int]:
        return self._left_out

    def boundingRect(self) -> QRectF:
        rect = QRectF()
        for box in self._heads:
            rect = rect.united(box_rect(box))
        return rect.adjusted(-4, -4, 4, 4)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        for i, box in enumerate(self._heads):
            out = i in self._left_out
            pen = QPen(_LEFT_OUT if out else _KEPT, 2)
            pen.setCosmetic(True)  # 2 screen pixels at any zoom
            pen.setStyle(Qt.PenStyle.DashLine if out else Qt.PenStyle.SolidLine)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawEllipse(box_rect(box))
