"""Layout regions on the canvas: keep (green, solid) and avoid (red, dashed and hatched).

A region is selectable; its handles show while it is selected. Edits are reported by
:attr:`BoxItem.edited` like the crop's; the view adds the region's kind and index.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QTransform
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSimpleTextItem, QStyleOptionGraphicsItem, QWidget

from app.editor.canvas.box_item import BoxItem, box_rect, cosmetic_pen
from app.editor.state import RegionKind
from models.geometry import Box

__all__ = ["REGION_COLORS", "REGION_Z", "RegionItem", "paint_region"]

REGION_Z = 4.0
REGION_COLORS: dict[str, QColor] = {"keep": QColor(46, 204, 113), "avoid": QColor(231, 76, 60)}


def paint_region(painter: QPainter, kind: str, box: Box, *, selected: bool = False) -> None:
    """Keep: a solid green frame over a light green wash. Avoid: a dashed red frame over red
    hatching (drawn at screen scale, whatever the zoom and the display scaling)."""
    color = REGION_COLORS[kind]
    scale = painter.worldTransform().m11() or 1.0  # logical pixels per image pixel
    painter.save()
    if kind == "keep":
        brush = QBrush(QColor(color.red(), color.green(), color.blue(), 45))
        style = Qt.PenStyle.SolidLine
    else:
        brush = QBrush(QColor(color.red(), color.green(), color.blue(), 150), Qt.BrushStyle.BDiagPattern)
        # Pattern brushes are drawn in device pixels unless told otherwise (half as wide and dense
        # at 200%); with the hint the pattern follows the transform, which this undoes to logical pixels.
        painter.setRenderHint(QPainter.RenderHint.NonCosmeticBrushPatterns, True)
        brush.setTransform(QTransform.fromScale(1 / scale, 1 / scale))
        style = Qt.PenStyle.DashLine
    painter.setPen(cosmetic_pen(painter, color, 3 if selected else 2, style))
    painter.setBrush(brush)
    painter.drawRect(box_rect(box))
    painter.restore()


class RegionItem(BoxItem):
    """A keep or avoid region (numbered like the layout panel's list)."""

    def __init__(self, kind: RegionKind, index: int, box: Box, bounds: tuple[float, float]) -> None:
        super().__init__(box, bounds, handle_color=REGION_COLORS[kind])
        self.kind: RegionKind = kind
        self.index = index
        self.setZValue(REGION_Z)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self._label = QGraphicsSimpleTextItem(self)
        self._label.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self._label.setBrush(REGION_COLORS[kind].lighter(130))
        font = QFont()
        font.setBold(True)
        self._label.setFont(font)
        self._label.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.set_index(index)
        self._place_label()

    def set_index(self, index: int) -> None:
        self.index = index
        self._label.setText(f"{self.kind} {index + 1}")

    def set_box(self, box: Box) -> None:
        super().set_box(box)
        self._place_label()

    def pressed(self) -> None:
        scene = self.scene()
        if scene is not None and not self.isSelected():
            scene.clearSelection()
        self.setSelected(True)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        paint_region(painter, self.kind, self.box(), selected=self.isSelected())

    def _handles_shown(self) -> bool:
        return super()._handles_shown() and self.isSelected()

    def _place_label(self) -> None:
        box = self.box()
        self._label.setPos(QPointF(box.x0, box.y0))
