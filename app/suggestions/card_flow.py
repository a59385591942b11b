"""Cards in as many columns as the width allows (they wrap to the dock's width)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QWidget

__all__ = ["CardFlow"]


class CardFlow(QWidget):
    """Holds ``cards`` (widgets ``card_width`` wide) in a grid reflowed on resize."""

    def __init__(self, card_width: int, parent: QWidget | None = None, *, spacing: int = 6) -> None:
        super().__init__(parent)
        self._card_width = card_width
        self._spacing = spacing
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setSpacing(spacing)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.cards: list[QWidget] = []
        self._columns = 0

    def set_cards(self, cards: Sequence[QWidget]) -> None:
        for card in self.cards:
            self._grid.removeWidget(card)
            card.setParent(None)  # gone now, not at the next turn of the event loop
            card.deleteLater()
        self.cards = list(cards)
        self._columns = 0
        self._reflow()

    def columns(self) -> int:
        return self._columns

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._reflow()

    def _reflow(self) -> None:
        columns = max(1, (self.width() + self._spacing) // (self._card_width + self._spacing))
        if columns == self._columns and all(self._grid.indexOf(c) >= 0 for c in self.cards):
            return
        self._columns = columns
        for i, card in enumerate(self.cards):
            self._grid.removeWidget(card)
            self._grid.addWidget(card, i // columns, i % columns)
