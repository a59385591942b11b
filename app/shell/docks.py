"""Compact, collapsible docks: a thin title bar with a ▾/▸ button that folds the panel away.

A folded dock keeps only its title bar, so the canvas gets the room; clicking the arrow (or
double-clicking the title) unfolds it. Floating and closing stay where they were (the
title bar's buttons; View > Panels).
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QToolButton,
    QWidget,
)

__all__ = ["DockTitle", "add_dock", "make_collapsible"]


class DockTitle(QWidget):
    """The title bar of ``dock``: fold arrow, title, float and close buttons."""

    folded_changed = Signal(bool)

    def __init__(self, dock: QDockWidget) -> None:
        super().__init__(dock)
        self._dock = dock
        self._folded = False
        self.arrow = QToolButton(self)
        self.arrow.setAutoRaise(True)
        self.arrow.setArrowType(Qt.ArrowType.DownArrow)
        self.arrow.setToolTip(f"Fold the {dock.windowTitle()} panel")
        self.arrow.setIconSize(QSize(10, 10))
        self.arrow.clicked.connect(lambda: self.set_folded(not self._folded))
        self.label = QLabel(dock.windowTitle(), self)
        font = self.label.font()
        font.setBold(True)
        self.label.setFont(font)
        float_button = QToolButton(self)
        float_button.setAutoRaise(True)
        float_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarNormalButton))
        float_button.setToolTip("Float")
        float_button.clicked.connect(lambda: dock.setFloating(not dock.isFloating()))
        close = QToolButton(self)
        close.setAutoRaise(True)
        close.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton))
        close.setToolTip("Close (View > Panels shows it again)")
        close.clicked.connect(dock.close)
        for button in (float_button, close):
            button.setIconSize(QSize(10, 10))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.setSpacing(2)
        layout.addWidget(self.arrow)
        layout.addWidget(self.label, 1)
        layout.addWidget(float_button)
        layout.addWidget(close)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        dock.windowTitleChanged.connect(self.label.setText)

    def is_folded(self) -> bool:
        return self._folded

    def set_folded(self, folded: bool) -> None:
        """Fold the panel to its title bar (``True``) or show it again."""
        self._folded = bool(folded)
        widget = self._dock.widget()
        if widget is not None:
            widget.setVisible(not self._folded)
        self.arrow.setArrowType(Qt.ArrowType.RightArrow if self._folded else Qt.ArrowType.DownArrow)
        self.arrow.setToolTip(f"{'Unfold' if self._folded else 'Fold'} the {self._dock.windowTitle()} panel")
        self.folded_changed.emit(self._folded)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.set_folded(not self._folded)
        event.accept()


def make_collapsible(dock: QDockWidget) -> DockTitle:
    """Give ``dock`` a :class:`DockTitle`; returns it."""
    title = DockTitle(dock)
    dock.setTitleBarWidget(title)
    return title


def add_dock(window: QMainWindow, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea, *,
             compact: bool = False) -> QDockWidget:  # fmt: skip
    """Dock ``widget`` in ``area`` with a foldable title. ``compact``: as tall as the panel; other
    side panels scroll, so no panel ever sets the window's height (1024x700 stays 1024x700)."""
    if compact:
        widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
    elif area != Qt.DockWidgetArea.BottomDockWidgetArea:
        scroll = QScrollArea(window)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(widget)
        widget = scroll
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    make_collapsible(dock)
    return dock
