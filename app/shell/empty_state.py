"""The canvas before any photo: what to do ("Open a photo or a folder (Ctrl+O), or drop one
here"), two buttons, and the recent files and folders as links. It only emits intents."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

__all__ = ["EmptyCanvas"]

RECENT_SHOWN = 6


class EmptyCanvas(QWidget):
    open_requested = Signal()
    open_folder_requested = Signal()
    recent_chosen = Signal(object)  # Path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("empty-canvas")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet("#empty-canvas { background: #303030; } #empty-canvas QLabel { color: #e0e0e0; }"
                           "#empty-canvas QPushButton[recent=\"true\"] { text-align: left; border: none; "
                           "color: #8cc4ff; padding: 2px; }")  # fmt: skip
        self.title = QLabel(self)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        self.title.setFont(font)
        self.open_button = QPushButton("Open Photo…", self)
        self.folder_button = QPushButton("Open Folder…", self)
        self.open_button.clicked.connect(self.open_requested)
        self.folder_button.clicked.connect(self.open_folder_requested)
        self._recent_label = QLabel("Recent", self)
        self._recent_box = QVBoxLayout()
        self._recent_box.setSpacing(0)
        self.recent_buttons: list[QPushButton] = []
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.folder_button)
        buttons.addStretch(1)
        recent = QHBoxLayout()
        recent.addStretch(1)
        column = QVBoxLayout()
        column.addWidget(self._recent_label)
        column.addLayout(self._recent_box)
        recent.addLayout(column)
        recent.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(self.title)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addSpacing(18)
        layout.addLayout(recent)
        layout.addStretch(3)
        self.set_keys("Ctrl+O")
        self.set_recent([])

    def set_keys(self, open_key: str) -> None:
        """The Open key the hint names (it follows Preferences)."""
        key = f" ({open_key})" if open_key else ""
        self.title.setText(f"Open a photo or a folder{key}, or drop one here")

    def text(self) -> str:
        return self.title.text()

    def set_recent(self, paths: Sequence[Path]) -> None:
        """The recent files and folders, newest first (the first few)."""
        for button in self.recent_buttons:
            self._recent_box.removeWidget(button)
            button.deleteLater()
        self.recent_buttons = []
        for path in list(paths)[:RECENT_SHOWN]:
            button = QPushButton(f"{path.name or path}  —  {path.parent}", self)
            button.setProperty("recent", True)
            button.setFlat(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.setToolTip(str(path))
            button.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
            button.clicked.connect(lambda _=False, p=path: self.recent_chosen.emit(p))
            self._recent_box.addWidget(button)
            self.recent_buttons.append(button)
        self._recent_label.setVisible(bool(self.recent_buttons))
