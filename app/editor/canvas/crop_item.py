"""The crop rectangle (frame, composition guides, handles) and the dimmed outside."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPolygonF
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from app.editor.canvas.box_item import BoxItem, box_rect, cosmetic_pen
from app.editor.canvas.guides import GUIDES, guide_polylines
from models.geometry import Box

__all__ = ["CROP_Z", "CropItem", "DimItem", "SecondaryCropItem"]

CROP_Z = 3.0
DIM_Z = 2.0
_FRAME = QColor(255, 214, 10)
_GUIDE = QColor(255, 255, 255, 200)
_SHADOW = QColor(0, 0, 0, 110)


def draw_frame(painter: QPainter, box: Box) -> None:
    """A yellow frame with a dark outline, readable on light and dark photos."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.setPen(cosmetic_pen(painter, _SHADOW, 4))
    painter.drawRect(box_rect(box))
    painter.setPen(cosmetic_pen(painter, _FRAME, 2))
    painter.drawRect(box_rect(box))


class CropItem(BoxItem):
    """The editable crop: drag inside to move, handles to resize, guides drawn inside."""

    def __init__(self, box: Box, bounds: tuple[float, float]) -> None:
        super().__init__(box, bounds, handle_color=_FRAME)
        self.setZValue(CROP_Z)
        self._guides: frozenset[str] = frozenset()
        self._turn = 0

    def set_turn(self, turn: int) -> None:
        """The guides' orientation (see :func:`app.editor.canvas.guides.guide_polylines`)."""
        self._turn = turn
        self.update()

    def guides(self) -> frozenset[str]:
        return self._guides

    def set_guides(self, guides: Iterable[str]) -> None:
        guides = frozenset(guides)
        unknown = guides - set(GUIDES)
        if unknown:
            raise ValueError(f"unknown guides {sorted(unknown)}")
        self._guides = guides
        self.update()

    def pressed(self) -> None:
        scene = self.scene()
        if scene is not None:
            scene.clearSelection()  # arrow keys now nudge the crop

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        box = self.box()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for kind in GUIDES:  # a fixed order, so overlapping guides always stack the same way
            if kind not in self._guides:
                continue
            lines = [QPolygonF([QPointF(x, y) for x, y in line]) for line in guide_polylines(kind, box, self._turn)]
            for pen in (cosmetic_pen(painter, _SHADOW, 3), cosmetic_pen(painter, _GUIDE, 1)):
                painter.setPen(pen)
                for poly in lines:
                    painter.drawPolyline(poly)
        draw_frame(painter, box)


class SecondaryCropItem(QGraphicsItem):
    """A further crop of the two-region mode: a frame only, not editable."""

    def __init__(self, box: Box) -> None:
        super().__init__()
        self.box = box
        self.setZValue(CROP_Z)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def boundingRect(self) -> QRectF:
        return box_rect(self.box)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        draw_frame(painter, self.box)


class DimItem(QGraphicsItem):
    """Darkens the image outside the crop boxes."""

    def __init__(self) -> None:
        super().__init__()
        self._frame = QRectF()
        self._holes: tuple[Box, ...] = ()
        self._color = QColor(0, 0, 0, 140)
        self.setZValue(DIM_Z)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def set_frame(self, width: float, height: float) -> None:
        self.prepareGeometryChange()
        self._frame = QRectF(0, 0, width, height)
        self.update()

    def set_opaque(self, opaque: bool, color: QColor | None = None) -> None:
        """Hide the outside entirely in ``color`` (the crop preview), or dim it (the crop tool)."""
        self._color = QColor(color or QColor(0, 0, 0)) if opaque else QColor(0, 0, 0, 140)
        if opaque:
            self._color.setAlpha(255)
        self.update()

    def is_opaque(self) -> bool:
        return self._color.alpha() == 255

    def set_holes(self, boxes: Sequence[Box]) -> None:
        self._holes = tuple(boxes)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._frame

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None) -> None:
        if not self._holes:
            return
        path = QPainterPath()
        path.setFillRule(Qt.FillRule.OddEvenFill)
        path.addRect(self._frame)
        for box in self._holes:  # disjoint boxes: odd-even leaves each one clear
            path.addRect(box_rect(box))
        painter.fillPath(path, self._color)
