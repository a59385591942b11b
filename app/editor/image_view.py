"""The canvas view: the photo, the crop, layout regions, guides and the heat overlay.

Scene coordinates are **full-resolution image pixels** (the :class:`models.geometry.Box`
convention): the displayed pixmap, possibly a reduced preview, is scaled up to the image's
full size, so the crop and region boxes the view reports are the engine's boxes as they are.

Interaction: the image is fitted to the window on load and on resize until the user zooms;
the wheel zooms around the cursor; dragging outside the crop (or with the middle button)
pans. The crop moves by dragging its inside and resizes by its eight handles (ratio locked
when :meth:`ImageView.set_ratio_lock` says so); arrow keys nudge the crop, or the selected
region, by one image pixel (ten with Shift). In draw mode a drag draws a keep or avoid region.

The view only reports intent (``crop_edited``, ``region_drawn``, ...): the window turns it
into state and sets it back. Nothing is computed in paint or mouse handlers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPainter, QPixmap, QTransform
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView, QWidget

from app.common.pixmaps import rgb_to_qimage
from app.editor.canvas.box_item import box_rect
from app.editor.canvas.crop_item import CropItem, DimItem, SecondaryCropItem
from app.editor.canvas.heads import HeadsItem
from app.editor.canvas.heat import HeatItem
from app.editor.canvas.region_item import RegionItem
from app.editor.state import RegionKind
from app.editor.view_input import ViewInput, _DraftItem
from models.geometry import Box

__all__ = ["ImageView"]

_KINDS: tuple[RegionKind, ...] = ("keep", "avoid")


class ImageView(ViewInput, QGraphicsView):
    """Shows an RGB image with an editable crop and layout regions (see the module docstring)."""

    zoom_changed = Signal(float)  # device (physical) pixels per full-resolution pixel, see zoom()
    crop_changing = Signal(object)  # Box, live during a drag
    crop_edited = Signal(object, object, str)  # Box before, after, "move" | "resize" | "nudge"
    region_changing = Signal(str, int, object)  # kind, index, Box, live during a drag
    region_edited = Signal(str, int, object, object, str)  # kind, index, before, after, how
    region_released = Signal()  # a region drag ended (after region_edited, if it moved)
    region_drawn = Signal(str, object)  # kind, Box
    selection_changed = Signal(object)  # (kind, index) of the selected region, or None
    draw_mode_changed = Signal(object)  # "keep", "avoid" or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self._item = QGraphicsPixmapItem()
        self._item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self._item.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._scene.addItem(self._item)
        self._heat = HeatItem()
        self._heat.setVisible(False)
        self._scene.addItem(self._heat)
        self._heads = HeadsItem()
        self._heads.setVisible(False)
        self._scene.addItem(self._heads)
        self._dim = DimItem()
        self._scene.addItem(self._dim)
        self.setScene(self._scene)
        self._size: tuple[int, int] = (0, 0)
        self._fit = True  # refit on resize until the user zooms
        self._crop: CropItem | None = None
        self._secondary: list[SecondaryCropItem] = []
        self._regions: dict[str, list[RegionItem]] = {k: [] for k in _KINDS}
        self._guides: frozenset[str] = frozenset()
        self._turn = 0  # the guides' orientation (Shift+O)
        self._preview = False  # the crop preview: only what is inside the crop (P, Enter)
        self._ratio: float | None = None
        self._draw_kind: RegionKind | None = None
        self._draft: tuple[QPointF, _DraftItem] | None = None
        self._pan_from: QPoint | None = None
        self._scene.selectionChanged.connect(self._on_selection_changed)

        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setBackgroundBrush(QBrush(QColor(48, 48, 48)))
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        # File drops are the main window's business, not the scene's.
        self.setAcceptDrops(False)
        self.viewport().setAcceptDrops(False)

    # -- the image ------------------------------------------------------------------------
    def set_image(self, rgb: np.ndarray, full_size: tuple[int, int] | None = None) -> None:
        """Show ``rgb`` (``(h, w, 3)`` uint8, a preview of a ``full_size = (W, H)`` image;
        the array's own size by default) and fit it to the window. Clears crop and regions."""
        qimage = rgb_to_qimage(rgb)
        h, w = rgb.shape[:2]
        width, height = full_size if full_size is not None else (w, h)
        self._clear_overlays()
        self._size = (int(width), int(height))
        self._item.setPixmap(QPixmap.fromImage(qimage))
        self._item.setTransform(QTransform.fromScale(width / w, height / h))
        self._dim.set_frame(width, height)
        self._scene.setSceneRect(QRectF(0, 0, width, height))
        self.fit_to_window()

    def clear(self) -> None:
        """Show nothing."""
        self._clear_overlays()
        self._size = (0, 0)
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

    def image_size(self) -> tuple[int, int]:
        """``(W, H)`` of the full-resolution image (the scene's extent)."""
        return self._size

    # -- the crop -------------------------------------------------------------------------
    @property
    def crop_item(self) -> CropItem | None:
        """The editable crop item (``None`` before the first crop)."""
        return self._crop

    def set_crop(self, box: Box | None, extra: Sequence[Box] = ()) -> None:
        """Show the editable crop ``box`` (``None``: no crop) and the static ``extra`` crops."""
        for item in self._secondary:
            self._scene.removeItem(item)
        self._secondary = []
        if box is None or not self.has_image():
            if self._crop is not None:
                self._crop.setVisible(False)
            self._dim.set_holes(())
            return
        if self._crop is None:
            self._crop = CropItem(box, self._size)
            self._crop.set_guides(self._guides)
            self._crop.set_turn(self._turn)
            self._crop.set_ratio(self._ratio)
            self._crop.changing.connect(self._on_crop_changing)
            self._crop.edited.connect(self.crop_edited)
            self._scene.addItem(self._crop)
        elif not self._crop.is_dragging():
            self._crop.set_box(box)
        self._crop.setVisible(not self._preview)
        for b in extra:
            item = SecondaryCropItem(b)
            self._scene.addItem(item)
            self._secondary.append(item)
        self._dim.set_holes((self._crop.box(), *extra))

    def crop_box(self) -> Box | None:
        """The editable crop (full-resolution pixels), or ``None``."""
        shown = self._crop is not None and (self._crop.isVisible() or self._preview)
        return self._crop.box() if shown else None

    def set_crops(self, boxes: Sequence[Box]) -> None:
        """Show ``boxes``: the first is the editable crop, the others static frames."""
        self.set_crop(boxes[0] if boxes else None, boxes[1:])

    def crops(self) -> tuple[Box, ...]:
        """Every crop on display: the editable one first (full-resolution pixels)."""
        box = self.crop_box()
        return () if box is None else (box, *(item.box for item in self._secondary))

    def set_ratio_lock(self, ratio: float | None) -> None:
        """Keep the crop at ``ratio`` (width / height) while resizing; ``None`` for free."""
        self._ratio = ratio
        if self._crop is not None:
            self._crop.set_ratio(ratio)

    def ratio_lock(self) -> float | None:
        return self._ratio

    def set_guides(self, guides: Iterable[str]) -> None:
        """Draw these composition guides inside the crop (see :data:`app.editor.canvas.guides.GUIDES`)."""
        self._guides = frozenset(guides)
        if self._crop is not None:
            self._crop.set_guides(self._guides)

    def guides(self) -> frozenset[str]:
        return self._guides

    def set_guide_turn(self, turn: int) -> None:
        """Draw the guides in orientation ``turn`` (see :func:`app.editor.canvas.guides.guide_polylines`)."""
        self._turn = turn
        if self._crop is not None:
            self._crop.set_turn(turn)

    def guide_turn(self) -> int:
        return self._turn

    # -- the crop preview ------------------------------------------------------------------
    def set_crop_preview(self, on: bool) -> None:
        """Show only the inside of the crop, fitted to the window (``False``: the crop tool)."""
        self._preview = bool(on) and self.has_image()
        self._dim.set_opaque(self._preview, self.backgroundBrush().color())
        if self._crop is not None:
            self._crop.setVisible(not self._preview and self._crop.box().area > 0)
        for items in self._regions.values():
            for item in items:
                item.setVisible(not self._preview)
        box = self.crop_box() if not self._preview else (self._crop.box() if self._crop is not None else None)
        if self._preview and box is not None:
            self.fitInView(box_rect(box), Qt.AspectRatioMode.KeepAspectRatio)
            self.zoom_changed.emit(self.zoom())
        else:
            self.fit_to_window()

    def crop_preview(self) -> bool:
        return self._preview

    # -- heat overlay ----------------------------------------------------------------------
    def set_heat(self, values: np.ndarray | None) -> None:
        """The attention map to show as a heat overlay (``(m, n)`` in ``[0, 1]``), or None."""
        self._heat.set_map(values, self._size)

    def set_heat_visible(self, visible: bool) -> None:
        """Show or hide the heat map and the detected heads together."""
        self._heat.setVisible(visible)
        self._heads.setVisible(visible)

    def heat_visible(self) -> bool:
        return self._heat.isVisible()

    def has_heat(self) -> bool:
        return not self._heat.pixmap().isNull()

    def set_heads(self, heads: Sequence[Box], left_out: Sequence[int] = ()) -> None:
        """The detected head boxes (full-resolution pixels); ``left_out``: indices of the
        heads the current crop leaves out (drawn dashed)."""
        self._heads.set_heads(heads, left_out)

    def heads_item(self) -> HeadsItem:
        return self._heads

    # -- layout regions --------------------------------------------------------------------
    def set_regions(self, keep: Sequence[Box], avoid: Sequence[Box]) -> None:
        """Show these keep and avoid regions; items are updated in place (a drag goes on)."""
        for kind, boxes in (("keep", keep), ("avoid", avoid)):
            items = self._regions[kind]
            while len(items) > len(boxes):
                self._scene.removeItem(items.pop())
            for i, box in enumerate(boxes):
                if i < len(items):
                    if not items[i].is_dragging():
                        items[i].set_box(box)
                    continue
                item = RegionItem(kind, i, box, self._size)  # type: ignore[arg-type]
                item.setVisible(not self._preview)
                item.edited.connect(lambda before, after, how, it=item: self._on_region_edited(it, before, after, how))
                item.changing.connect(lambda box, it=item: self.region_changing.emit(it.kind, it.index, box))
                item.released.connect(self.region_released)
                self._scene.addItem(item)
                items.append(item)

    def regions(self, kind: RegionKind) -> tuple[Box, ...]:
        return tuple(item.box() for item in self._regions[kind])

    def region_item(self, kind: RegionKind, index: int) -> RegionItem:
        return self._regions[kind][index]

    def selected_region(self) -> tuple[RegionKind, int] | None:
        for kind in _KINDS:
            for item in self._regions[kind]:
                if item.isSelected():
                    return kind, item.index
        return None

    def select_region(self, kind: RegionKind | None, index: int = 0) -> None:
        """Select one region (``None``: none)."""
        self._scene.clearSelection()
        if kind is not None and 0 <= index < len(self._regions[kind]):
            self._regions[kind][index].setSelected(True)

    # -- drawing ---------------------------------------------------------------------------
    def set_draw_mode(self, kind: RegionKind | None) -> None:
        """The next left drag draws a ``kind`` region (``None``: drags move and pan)."""
        if kind == self._draw_kind:
            return
        self._draw_kind = kind
        self.setDragMode(QGraphicsView.DragMode.NoDrag if kind else QGraphicsView.DragMode.ScrollHandDrag)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if kind else Qt.CursorShape.OpenHandCursor)
        self.draw_mode_changed.emit(kind)

    def draw_mode(self) -> RegionKind | None:
        return self._draw_kind

    # -- internals ----------------------------------------------------------------------
    def _clear_overlays(self) -> None:
        self._preview = False
        self._dim.set_opaque(False)
        if self._draft is not None:
            self._scene.removeItem(self._draft[1])
            self._draft = None
        self.set_regions((), ())
        if self._crop is not None:
            self._scene.removeItem(self._crop)
            self._crop = None
        self.set_crop(None)
        self._heat.set_map(None, self._size)
        self._heads.set_heads(())

    def _on_crop_changing(self, box: Box) -> None:
        self._dim.set_holes((box, *(s.box for s in self._secondary)))
        self.crop_changing.emit(box)

    def _on_region_edited(self, item: RegionItem, before: Box, after: Box, how: str) -> None:
        self.region_edited.emit(item.kind, item.index, before, after, how)

    def _on_selection_changed(self) -> None:
        self.selection_changed.emit(self.selected_region())
