"""The layout panel: keep and avoid regions, and what the constrained crop made of them.

Buttons switch the canvas to drawing a keep (K) or avoid (A) region; the list shows the
regions (select one to edit it on the canvas, Delete removes it). The status line says what
the constraints engine answered: a crop, "computing", or why no crop can satisfy the layout.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.common.status_line import STATUS_STYLES, StatusLine
from app.editor.state import RegionKind
from models.geometry import Box

__all__ = ["LayoutPanel", "STATUS_STYLES"]  # STATUS_STYLES: re-exported from status_line



def _describe(kind: str, index: int, box: Box) -> str:
    x0, y0, x1, y1 = (int(round(v)) for v in box.as_tuple())
    return f"{kind.capitalize()} {index + 1}:  {x0},{y0} – {x1},{y1}  ({x1 - x0}x{y1 - y0} px)"


class LayoutPanel(QWidget):
    draw_requested = Signal(object)  # "keep" | "avoid" | None
    delete_requested = Signal(str, int)  # kind, index
    clear_requested = Signal()
    fit_requested = Signal()
    selection_changed = Signal(object)  # (kind, index) or None

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.keep_button = QPushButton("Draw keep (K)", self)
        self.keep_button.setToolTip("Drag on the photo: this region must stay in the crop")
        self.avoid_button = QPushButton("Draw avoid (A)", self)
        self.avoid_button.setToolTip("Drag on the photo: this region must stay out of the crop")
        for b in (self.keep_button, self.avoid_button):
            b.setCheckable(True)
        self.list = QListWidget(self)
        self.list.setMaximumHeight(110)  # compact: a few regions; it scrolls
        self.list.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.setToolTip("Delete the selected region (Del)")
        self.clear_button = QPushButton("Clear all", self)
        self.fit_button = QPushButton("Crop to layout", self)
        self.fit_button.setToolTip("Compute the best crop that keeps and avoids these regions")
        self._status = StatusLine(self)

        draw_row = QHBoxLayout()
        draw_row.addWidget(self.keep_button)
        draw_row.addWidget(self.avoid_button)
        edit_row = QHBoxLayout()
        edit_row.addWidget(self.delete_button)
        edit_row.addWidget(self.clear_button)
        edit_row.addStretch(1)
        edit_row.addWidget(self.fit_button)
        layout = QVBoxLayout(self)
        layout.addLayout(draw_row)
        layout.addWidget(self.list, 1)
        layout.addLayout(edit_row)
        layout.addWidget(self._status)

        self.keep_button.toggled.connect(lambda on: self._on_draw_toggled("keep", on))
        self.avoid_button.toggled.connect(lambda on: self._on_draw_toggled("avoid", on))
        self.delete_button.clicked.connect(self._on_delete)
        self.clear_button.clicked.connect(self.clear_requested)
        self.fit_button.clicked.connect(self.fit_requested)
        self.list.currentRowChanged.connect(self._on_row)
        self.set_regions((), ())
        self.show_status("info", "Draw keep or avoid regions; the crop follows them.")

    # -- rendering state ------------------------------------------------------------------
    def set_regions(self, keep: Sequence[Box], avoid: Sequence[Box]) -> None:
        selected = self.selected()
        self.list.blockSignals(True)
        self.list.clear()
        for kind, boxes in (("keep", keep), ("avoid", avoid)):
            for i, box in enumerate(boxes):
                item = QListWidgetItem(_describe(kind, i, box))
                item.setData(Qt.ItemDataRole.UserRole, (kind, i))
                self.list.addItem(item)
        self.list.blockSignals(False)
        self.set_selected(selected)
        has_any = bool(keep or avoid)
        self.clear_button.setEnabled(has_any)
        self.fit_button.setEnabled(has_any)

    def set_selected(self, selected: tuple[RegionKind, int] | None) -> None:
        self.list.blockSignals(True)
        row = -1
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == selected:
                row = i
        self.list.setCurrentRow(row)
        self.list.blockSignals(False)
        self.delete_button.setEnabled(row >= 0)

    def selected(self) -> tuple[RegionKind, int] | None:
        item = self.list.currentItem()
        return None if item is None else tuple(item.data(Qt.ItemDataRole.UserRole))  # type: ignore[return-value]

    def set_draw_mode(self, kind: RegionKind | None) -> None:
        for button, k in ((self.keep_button, "keep"), (self.avoid_button, "avoid")):
            button.blockSignals(True)
            button.setChecked(kind == k)
            button.blockSignals(False)

    def show_status(self, level: str, text: str) -> None:
        """``level``: info, busy, ok, warn or error (styles the line)."""
        self._status.show_status(level, text)

    def status(self) -> tuple[str, str]:
        """``(level, text)`` of the status line."""
        return self._status.status()

    def rows(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    # -- intents ---------------------------------------------------------------------------
    def _on_draw_toggled(self, kind: str, on: bool) -> None:
        other = self.avoid_button if kind == "keep" else self.keep_button
        if on and other.isChecked():
            other.blockSignals(True)
            other.setChecked(False)
            other.blockSignals(False)
        self.draw_requested.emit(kind if on else None)

    @Slot()
    def _on_delete(self) -> None:
        selected = self.selected()
        if selected is not None:
            self.delete_requested.emit(*selected)

    @Slot(int)
    def _on_row(self, row: int) -> None:
        self.delete_button.setEnabled(row >= 0)
        self.selection_changed.emit(self.selected())
