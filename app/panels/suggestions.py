"""The suggestions panel: ProCrop's ranked crops of the current image as thumbnail cards.

It holds no algorithm: it shows what :class:`app.suggestions_controller.SuggestionsController`
computes and emits the user's intent: suggest now (``suggest_requested``), stop
(``cancel_requested``), apply a card's crop (``suggestion_clicked`` with its rank), and the
index to retrieve from (``index_chosen``: ``None`` for the bundled one, or a folder).
The retrieved references are listed as text: the index stores no pixels to show.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.panels.status_line import StatusLine
from app.image_view import fitted_pixmap
from app.suggest_engine import THUMB_SIDE, SuggestedCrop, SuggestResult

__all__ = ["CHOOSE_INDEX", "DEFAULT_INDEX", "SuggestionCard", "SuggestionsPanel"]

DEFAULT_INDEX = "Default index"
CHOOSE_INDEX = "Choose index folder…"
_DEFAULT, _CHOOSE = "", "\0choose"  # combo data; other items hold a folder path


class SuggestionCard(QFrame):
    """One suggestion: its crop's thumbnail, rank, score and size; a click applies it."""

    clicked = Signal(int)  # the rank

    def __init__(self, crop: SuggestedCrop, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.crop = crop
        self.setObjectName("suggestion-card")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.thumb = QLabel(self)
        self.thumb.setFixedSize(QSize(THUMB_SIDE, THUMB_SIDE))
        self.thumb.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumb.setPixmap(fitted_pixmap(crop.thumbnail, self.thumb.size(), self.devicePixelRatioF()))
        box = crop.box
        self.title = QLabel(f"<b>#{crop.rank + 1}</b> · score {crop.score:.2f}", self)
        size = QLabel(f"{round(box.width)}x{round(box.height)} px", self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.thumb)
        text = QVBoxLayout()
        text.addWidget(self.title)
        text.addWidget(size)
        text.addStretch(1)
        layout.addLayout(text, 1)
        self.setToolTip(f"Apply suggestion #{crop.rank + 1} as the crop")

    def text(self) -> str:
        return self.title.text()

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
        self._cards_box = QWidget(self)
        self._cards_layout = QVBoxLayout(self._cards_box)
        self._cards_layout.setContentsMargins(0, 0, 0, 0)
        self._cards_layout.setAlignment(Qt.AlignmentFlag.AlignTop)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._cards_box)
        self.references = QListWidget(self)
        self.references.setMaximumHeight(120)
        self.references.setToolTip("Compositions retrieved from the index (text only: it stores no pixels)")
        self.cards: list[SuggestionCard] = []

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
        for ref in result.references:
            self.references.addItem(f"{ref.id} · similarity {ref.similarity:.2f}\n    {ref.provenance}")
        n = len(cards)
        self.show_status("ok", f"{n} suggestion{'s' if n != 1 else ''}; click one to apply it.")

    def clear(self, text: str = "") -> None:
        """Drop the cards and references (they belong to another image or ratio)."""
        self._set_cards([])
        self.references.clear()
        if text:
            self.show_status("info", text)

    def _set_cards(self, cards: list[SuggestionCard]) -> None:
        for card in self.cards:
            self._cards_layout.removeWidget(card)
            card.setParent(None)
            card.deleteLater()
        self.cards = cards
        for card in cards:
            self._cards_layout.addWidget(card)
            card.clicked.connect(self.suggestion_clicked)

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
