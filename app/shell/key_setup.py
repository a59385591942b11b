"""The window's keys: Help > Keyboard Shortcuts, Preferences, and the panels' tooltips naming them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QKeySequence

from app.shell.keys import apply_keys, current_keys, save_keys, with_key
from app.shell.keys_dialog import ShortcutsDialog

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow as MainWindow  # app.shell.window's, which imports this module

__all__ = ["KeySetup"]


class KeySetup(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._w = window

    @Slot()
    def shortcuts_dialog(self) -> None:
        ShortcutsDialog(current_keys(), editable=False, parent=self._w).exec()

    @Slot()
    def preferences_dialog(self) -> None:
        dialog = ShortcutsDialog(current_keys(), editable=True, parent=self._w)
        if dialog.exec() == ShortcutsDialog.DialogCode.Accepted:
            self.set_keys(dialog.keys())

    def set_keys(self, keys: dict[str, str]) -> None:
        """Use (and remember) these keys, by action id (see :mod:`app.shell.keys`)."""
        save_keys(keys)
        apply_keys(self._w.actions_.keyed())
        self.show_keys()

    def show_keys(self) -> None:
        """The panels' buttons and the empty canvas name the key of the action they share."""
        w = self._w
        a, lp = w.actions_, w.layout_panel
        for widget, tip, action in (
            (w.aspect_panel.swap, "Swap orientation", a.swap),
            (lp.keep_button, "Drag on the photo: this region must stay in the crop", a.draw_keep),
            (lp.avoid_button, "Drag on the photo: this region must stay out of the crop", a.draw_avoid),
            (lp.fit_button, "Compute the best crop that keeps and avoids these regions", a.crop_to_layout),
            (lp.delete_button, "Delete the selected region", a.delete_region),
        ):  # fmt: skip
            widget.setToolTip(with_key(tip, action.shortcut()))
        lp.keep_button.setText(with_key("Draw keep", a.draw_keep.shortcut()))
        lp.avoid_button.setText(with_key("Draw avoid", a.draw_avoid.shortcut()))
        w.empty.set_keys(a.open.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
