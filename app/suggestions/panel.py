"""The suggestions panel: ProCrop's ranked crops of the current image as thumbnail cards.

It holds no algorithm: it shows what :class:`app.suggestions.controller.SuggestionsController`
computes and emits the user's intent: suggest now (``suggest_requested``), stop
(``cancel_requested``), apply a card's crop (``suggestion_clicked`` with its rank), and the
index to retrieve from (``index_chosen``: ``None`` for the bundled one, or a folder).
Cards are thumbnail-first (the text under the picture) and wrap to the dock's width; the card
of the crop on the canvas is highlighted. The retrieved references show as small composition
thumbnails with their similarity: the index stores maps, not pixels, so the map is drawn.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QIcon, QMouseEvent, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.common.status_line import StatusLine
from app.common.pixmaps import fitted_pixmap
from app.suggestions.card_flow import CardFlow
from app.suggestions.engine import THUMB_SIDE, SuggestedCrop, SuggestResult
from models.geometry import Box

__all__ = ["CHOOSE_INDEX", "DEFAULT_INDEX", "SuggestionCard", "SuggestionsPanel", "composition_pixmap"]

DEFAULT_INDEX = "Default index"
CHOOSE_INDEX = "Choose index folder…"
_DEFAULT, _CHOOSE = "", "\0choose"  # combo data; other items hold a folder path


CARD_WIDTH = THUMB_SIDE + 14
REF_ICON = QSize(44, 44)


def composition_pixmap(energy: np.ndarray | None, size: QSize, dpr: float) -> QPixmap:
    """A reference's composition map (``(g, g)`` in [0, 1]) as a small square of cells, brighter
    where the composition has more content (grey with a dashed frame when the index has no map)."""
    side = max(1, round(size.width() * dpr))
    if energy is None or energy.size == 0:
        rgb = np.full((side, side, 3), 90, np.uint8)
    else:
        g = energy.shape[0]
        cells = np.clip(np.asarray(energy, np.float32), 0, 1)
        cell = max(1, side // g)
        up = np.kron(cells, np.ones((cell, cell), np.float32))  # [side, side], nearest: the cells show
        rgb = np.stack([40 + 120 * up, 60 + 150 * up, 80 + 175 * up], axis=-1).astype(np.uint8)
    return fitted_pixmap(np.ascontiguousarray(rgb), size, dpr)


class SuggestionCard(QFrame):
    """One suggestion: its crop's thumbnail, then rank and size under it; a click applies it.

    The ranking score is in the tooltip, not on the card: ProCrop's fused score is a ranking
    logistic (0.999 for the first, 0.004 for a good second framing), which orders one photo's
    suggestions but reads as a verdict on the others."""

    clicked = Signal(int)  # the rank

    def __init__(self, crop: SuggestedCrop, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.crop = crop
        self._applied = False
        self.setObjectName("suggestion-card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFixedWidth(CARD_WIDTH)
        self.thumb = QLabel(self)
        self.thumb.setFixedSize(QSize(THUMB_SIDE, THUMB_SIDE * 3 // 4))
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setPixmap(fitted_pixmap(crop.thumbnail, self.thumb.size(), self.devicePixelRatioF()))
        box = crop.box
        self.title = QLabel(f"<b>#{crop.rank + 1}</b>", self)
        size = QLabel(f"{round(box.width)}x{round(box.height)} px", self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(2)
        layout.addWidget(self.thumb)
        layout.addWidget(self.title)
        layout.addWidget(size)
        self.setToolTip(f"Apply suggestion #{crop.rank + 1} as the crop\n"
                        f"ranking score {crop.score:.4f}: it orders this photo's suggestions; it is not a rating")  # fmt: skip

    def text(self) -> str:
        return self.title.text()

    def set_applied(self, applied: bool) -> None:
        """Highlight the card whose crop is the one on the canvas."""
        self._applied = applied
        self.setStyleSheet("#suggestion-card { border: 2px solid #2f7fc1; border-radius: 4px; "
                           "background: rgba(47, 127, 193, 40); }" if applied else "")  # fmt: skip

    def is_applied(self) -> bool:
        return self._applied

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.clicked.emit(self.crop.rank)
        super().mouseReleaseEvent(event)


class SuggestionsPanel(QWidget):
    suggest_requested = Signal()
    cancel_requested = Signal()
    suggestion_clicked = Signal(int)  # rank
    index_chosen = Signal(object)  # None (bundled index) or a Path

    def __init__(self, parent: QWidget | None = None) -> None:
        """Long: builds the panel's widgets and connects them, one after the other (a form, read top to bottom)."""
        super().__init__(parent)
        self.index_combo = QComboBox(self)
        self.index_combo.addItem(DEFAULT_INDEX, _DEFAULT)
        self.index_combo.insertSeparator(1)
        self.index_combo.addItem(CHOOSE_INDEX, _CHOOSE)
        self.index_combo.setToolTip("The professional compositions ProCrop retrieves from")
        self.suggest_button = QPushButton("Suggest", self)
        self.suggest_button.setToolTip("Rank crops of this image with ProCrop")
        self.cancel_button = QPushButton("Cancel", self)
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self._status = StatusLine(self)
        self._cards_box = CardFlow(CARD_WIDTH, self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self._cards_box)
        self.references = QListWidget(self)
        self.references.setViewMode(QListWidget.ViewMode.IconMode)  # wraps: no horizontal scrolling
        self.references.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.references.setMovement(QListWidget.Movement.Static)
        self.references.setWrapping(True)
        self.references.setIconSize(REF_ICON)
        self.references.setGridSize(QSize(REF_ICON.width() + 18, REF_ICON.height() + self.fontMetrics().height() + 8))
        self.references.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.references.setMaximumHeight(REF_ICON.height() + self.fontMetrics().height() + 20)  # one row; it scrolls
        self.references.setToolTip("Compositions retrieved from the index: where their content lies (the index "
                                   "keeps composition maps, not pixels), and how similar each is")  # fmt: skip
        self.cards: list[SuggestionCard] = []
        self._crop_shown: Box | None = None

        buttons = QHBoxLayout()
        buttons.addWidget(self.suggest_button)
        buttons.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.index_combo)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self._status)
        layout.addWidget(scroll, 1)
        layout.addWidget(QLabel("Retrieved references", self))
        layout.addWidget(self.references)

        self.suggest_button.clicked.connect(self.suggest_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.index_combo.activated.connect(self._on_index_activated)
        self._previous_index = 0
        self.set_busy(False)
        self.show_status("info", "Open an image, then Suggest.")

    # -- rendering ---------------------------------------------------------------------------
    def set_busy(self, busy: bool, done: int = 0, total: int = 0) -> None:
        """Show the busy indicator (a bar of ``done / total``; indeterminate with no total)."""
        self.progress.setVisible(busy)
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
        self.cancel_button.setEnabled(busy)

    def is_busy(self) -> bool:
        return self.cancel_button.isEnabled()

    @Slot(str, str)
    def show_status(self, level: str, text: str) -> None:
        """``level``: info, busy, ok, warn or error (shown inline, never as a dialog)."""
        self._status.show_status(level, text)

    def status(self) -> tuple[str, str]:
        return self._status.status()

    def show_result(self, result: SuggestResult) -> None:
        cards = [SuggestionCard(crop, self._cards_box) for crop in result.crops]
        self._set_cards(cards)
        self.references.clear()
        dpr = self.devicePixelRatioF()
        for ref in result.references:
            item = QListWidgetItem(QIcon(composition_pixmap(ref.composition, REF_ICON, dpr)), f"{ref.similarity:.2f}")
            item.setToolTip(f"similarity {ref.similarity:.2f}\n{ref.id}\n{ref.provenance}")
            self.references.addItem(item)
        n = len(cards)
        self.show_status("ok", f"{n} suggestion{'s' if n != 1 else ''}; click one to apply it.")

    def clear(self, text: str = "") -> None:
        """Drop the cards and references (they belong to another image or ratio)."""
        self._set_cards([])
        self.references.clear()
        if text:
            self.show_status("info", text)

    def _set_cards(self, cards: list[SuggestionCard]) -> None:
        self._cards_box.set_cards(cards)
        self.cards = cards
        for card in cards:
            card.clicked.connect(self.suggestion_clicked)
        self.mark_applied(self._crop_shown)

    def mark_applied(self, box: Box | None) -> None:
        """Highlight the card whose crop is ``box`` (the crop on the canvas), if any."""
        self._crop_shown = box
        for card in self.cards:
            card.set_applied(box is not None and card.crop.box.rounded() == box.rounded())

    # -- the index -------------------------------------------------------------------------
    def index_folder(self) -> Path | None:
        data = self.index_combo.currentData()
        return Path(data) if data not in (_DEFAULT, _CHOOSE, None) else None

    def set_index_folder(self, folder: str | Path | None) -> None:
        """Choose the index (``None``: the bundled one) as if picked in the menu."""
        if folder is None:
            self.index_combo.setCurrentIndex(0)
        else:
            folder = Path(folder)
            at = self.index_combo.findData(str(folder))
            if at < 0:
                at = self.index_combo.count() - 2  # before the separator and "Choose…"
                self.index_combo.insertItem(at, folder.name or str(folder), str(folder))
                self.index_combo.setItemData(at, str(folder), Qt.ItemDataRole.ToolTipRole)
            self.index_combo.setCurrentIndex(at)
        self._previous_index = self.index_combo.currentIndex()
        self.index_chosen.emit(self.index_folder())

    @Slot(int)
    def _on_index_activated(self, at: int) -> None:
        if self.index_combo.itemData(at) != _CHOOSE:
            self._previous_index = at
            self.index_chosen.emit(self.index_folder())
            return
        self.index_combo.setCurrentIndex(self._previous_index)
        folder = QFileDialog.getExistingDirectory(self, "Choose a ProCrop index folder")
        if folder:
            self.set_index_folder(folder)
