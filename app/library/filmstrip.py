"""The filmstrip: one thin row of thumbnails of the library's images; click one to open it.

It renders what :class:`app.library.images.Library` reports (paths, then thumbnails as they
arrive) and marks the images whose crop was edited.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QModelIndex, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPixmap, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QListView, QSizePolicy, QWidget

from app.common.pixmaps import fitted_pixmap
from app.editor.session import image_key

__all__ = ["Filmstrip"]

ICON = QSize(80, 54)  # small: the strip is thin, the canvas gets the room (names in a small font)
_PATH_ROLE = Qt.ItemDataRole.UserRole + 1


class Filmstrip(QListView):
    image_chosen = Signal(object)  # Path

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = QStandardItemModel(self)
        self.setModel(self._model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.setIconSize(ICON)
        self.setSpacing(2)
        font = self.font()
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 7.0))
        self.setFont(font)
        text_h = self.fontMetrics().height()
        self.setGridSize(QSize(ICON.width() + 12, ICON.height() + text_h + 8))
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.setFixedHeight(ICON.height() + text_h + 8 + self.horizontalScrollBar().sizeHint().height() + 4)  # one row
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._placeholder = self._blank_icon()
        self.clicked.connect(self._on_clicked)
        self.activated.connect(self._on_clicked)

    def _blank_icon(self) -> QIcon:
        dpr = self.devicePixelRatioF()
        pixmap = QPixmap(round(ICON.width() * dpr), round(ICON.height() * dpr))
        pixmap.setDevicePixelRatio(dpr)
        pixmap.fill(QColor(70, 70, 70))
        return QIcon(pixmap)

    # -- rendering ------------------------------------------------------------------------
    def set_paths(self, paths: Sequence[Path]) -> None:
        """Show these images (thumbnails already shown are kept)."""
        icons = {self._path(i): self._model.item(i).icon() for i in range(self._model.rowCount())}
        current = self.current_path()
        self._model.clear()
        for path in paths:
            item = QStandardItem(icons.get(path, self._placeholder), path.name)
            item.setData(path, _PATH_ROLE)
            item.setToolTip(str(path))
            self._model.appendRow(item)
        if current is not None:
            self.set_current(current)

    def paths(self) -> list[Path]:
        return [self._path(i) for i in range(self._model.rowCount())]

    def set_thumbnail(self, path: Path, rgb: np.ndarray) -> None:
        row = self._row(path)
        if row >= 0:
            # At the display's pixel ratio: sharp at 200% (the library loads thumbnails big enough).
            self._model.item(row).setIcon(QIcon(fitted_pixmap(rgb, ICON, self.devicePixelRatioF())))

    def has_thumbnail(self, path: Path) -> bool:
        row = self._row(path)
        return row >= 0 and self._model.item(row).icon().cacheKey() != self._placeholder.cacheKey()

    def set_current(self, path: Path | None) -> None:
        row = self._row(path) if path is not None else -1
        self.blockSignals(True)
        self.setCurrentIndex(self._model.index(row, 0) if row >= 0 else QModelIndex())
        self.blockSignals(False)
        if row >= 0:
            self.scrollTo(self._model.index(row, 0))

    def current_path(self) -> Path | None:
        index = self.currentIndex()
        return self._path(index.row()) if index.isValid() else None

    def set_edited(self, path: Path, edited: bool) -> None:
        """Mark an image whose crop was edited (a bullet before its name)."""
        row = self._row(path)
        if row >= 0:
            self._model.item(row).setText(("• " if edited else "") + path.name)

    # -- internals -------------------------------------------------------------------------
    def _path(self, row: int) -> Path:
        return self._model.item(row).data(_PATH_ROLE)

    def _row(self, path: Path) -> int:
        key = image_key(path)
        return next((i for i in range(self._model.rowCount()) if self._path(i) == key), -1)

    @Slot(QModelIndex)
    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.image_chosen.emit(self._path(index.row()))
