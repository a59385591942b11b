"""The one-line status a panel shows under its controls (never a dialog).

``level`` is info, busy, ok, warn or error; it styles the line. Panels own one
:class:`StatusLine` and forward their ``show_status`` / ``status`` to it.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

__all__ = ["STATUS_STYLES", "StatusLine"]

STATUS_STYLES = {
    "info": "",
    "busy": "color: palette(mid);",
    "ok": "color: #2e9e5b;",
    "warn": "color: #c98a00;",
    "error": "color: white; background: #7a2e2e; padding: 4px;",
}


class StatusLine(QLabel):
    """A word-wrapped, selectable label that remembers the level it was given."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._level = "info"

    def show_status(self, level: str, text: str) -> None:
        self._level = level
        self.setStyleSheet(STATUS_STYLES.get(level, ""))
        self.setText(text)

    def status(self) -> tuple[str, str]:
        """``(level, text)``."""
        return self._level, self.text()
