"""Help > Keyboard Shortcuts (the list) and Preferences (the same list, keys editable).

The dialog reads and writes nothing itself: it shows ``keys`` (see :mod:`app.shell.keys`)
and, when editable, hands back :meth:`ShortcutsDialog.keys` once no key is given twice.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.shell.keys import SHORTCUTS, clashes, key_text

__all__ = ["ShortcutsDialog"]

_FIXED = (("Undo", QKeySequence.StandardKey.Undo), ("Redo", QKeySequence.StandardKey.Redo))
_OTHER = (("Nudge the crop or the selected region", "Arrows (Shift: 10 px)"),
          ("Zoom around the cursor", "Wheel"), ("Pan", "Drag outside the crop, or the middle button"))  # fmt: skip


class ShortcutsDialog(QDialog):
    """The shortcuts in a table; ``editable``: each key can be changed (Preferences)."""

    def __init__(self, keys: Mapping[str, str], *, editable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences — Keyboard Shortcuts" if editable else "Keyboard Shortcuts")
        self._editable = editable
        self._edits: dict[str, QKeySequenceEdit] = {}
        rows = len(SHORTCUTS) + (0 if editable else len(_FIXED) + len(_OTHER))
        self.table = QTableWidget(rows, 3, self)
        self.table.setHorizontalHeaderLabels(["Action", "Key", "Menu"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for row, sc in enumerate(SHORTCUTS):
            self.table.setItem(row, 0, QTableWidgetItem(sc.text))
            self.table.setItem(row, 2, QTableWidgetItem(sc.group))
            if editable:
                edit = QKeySequenceEdit(QKeySequence(keys.get(sc.id, sc.default)), self.table)
                edit.setMaximumSequenceLength(1)
                edit.setClearButtonEnabled(True)
                edit.keySequenceChanged.connect(self._check)
                self._edits[sc.id] = edit
                self.table.setCellWidget(row, 1, edit)
            else:
                self.table.setItem(row, 1, QTableWidgetItem(key_text(keys.get(sc.id, sc.default))))
        if not editable:
            extra = [(t, key_text(QKeySequence(k))) for t, k in _FIXED] + list(_OTHER)
            for row, (text, key) in enumerate(extra, len(SHORTCUTS)):
                self.table.setItem(row, 0, QTableWidgetItem(text))
                self.table.setItem(row, 1, QTableWidgetItem(key))
                self.table.setItem(row, 2, QTableWidgetItem("Canvas" if row >= len(SHORTCUTS) + len(_FIXED) else "Edit"))
        self.table.resizeColumnsToContents()
        self._error = QLabel(self)
        self._error.setWordWrap(True)
        self._error.setStyleSheet("color: #c0392b;")
        buttons = QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel if editable \
            else QDialogButtonBox.StandardButton.Close  # fmt: skip
        self.buttons = QDialogButtonBox(buttons, self)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        if editable:
            defaults = QPushButton("Restore Defaults", self)
            defaults.clicked.connect(self.restore_defaults)
            self.buttons.addButton(defaults, QDialogButtonBox.ButtonRole.ResetRole)
        layout = QVBoxLayout(self)
        hint = "Click a key, then press the new one." if editable else \
            "Keys can be changed in File > Preferences. Single letters do not fire while a text field has the focus."
        layout.addWidget(QLabel(hint, self))
        layout.addWidget(self.table, 1)
        layout.addWidget(self._error)
        layout.addWidget(self.buttons)
        self.resize(520, 560)

    def keys(self) -> dict[str, str]:
        """The keys shown (portable text, ``""`` for none)."""
        if not self._editable:
            return {}
        return {id_: edit.keySequence().toString() for id_, edit in self._edits.items()}

    def set_key(self, id_: str, key: str) -> None:
        self._edits[id_].setKeySequence(QKeySequence(key))

    def key_shown(self, id_: str) -> str:
        row = next(i for i, sc in enumerate(SHORTCUTS) if sc.id == id_)
        item = self.table.item(row, 1)
        return item.text() if item is not None else self._edits[id_].keySequence().toString()

    def error(self) -> str:
        return self._error.text()

    @Slot()
    def restore_defaults(self) -> None:
        for sc in SHORTCUTS:
            self._edits[sc.id].setKeySequence(QKeySequence(sc.default))

    @Slot()
    def _check(self) -> bool:
        found = clashes(self.keys())
        self._error.setText("; ".join(f"{key_text(k)} is given to both “{a}” and “{b}”" for k, a, b in found))
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setEnabled(not found)
        return not found

    @Slot()
    def _accept(self) -> None:
        if self._check():
            self.accept()


