"""The aspect panel: ratio presets, target-size presets, a custom W:H, and the swap button.

Choosing emits :attr:`AspectPanel.aspect_chosen` with an :class:`~app.editor.state.AspectChoice`;
the window applies it (and shows it back with :meth:`AspectPanel.set_choice`, which emits
nothing, when the image or the undo history changes the choice).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from app.editor.state import FREE, ORIGINAL, RATIO_PRESETS, SIZE_PRESETS, AspectChoice, ratio_choice, size_choice
from models.errors import CropStudioError

__all__ = ["CUSTOM", "AspectPanel", "preset_choices"]

CUSTOM = "Custom W:H…"


def preset_choices() -> list[AspectChoice]:
    """Every preset, in menu order: free, original, ratios, target sizes."""
    return [FREE, ORIGINAL, *(ratio_choice(r) for r in RATIO_PRESETS), *(size_choice(w, h) for w, h, _ in SIZE_PRESETS)]


def _item_text(choice: AspectChoice) -> str:
    if choice.size is None:
        return choice.label
    use = next((u for w, h, u in SIZE_PRESETS if (w, h) == choice.size), "")
    return f"{choice.label} px  ({use})" if use else f"{choice.label} px"


class AspectPanel(QWidget):
    aspect_chosen = Signal(object)  # AspectChoice
    swap_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.setToolTip("Crop ratio; the sizes also set the export size")
        for choice in preset_choices():
            if choice.size is not None and self.combo.itemData(self.combo.count() - 1).size is None:
                self.combo.insertSeparator(self.combo.count())
            self.combo.addItem(_item_text(choice), choice)
        self.combo.insertSeparator(self.combo.count())
        self.combo.addItem(CUSTOM, None)
        self.custom = QLineEdit(self)
        self.custom.setPlaceholderText("W:H, e.g. 5:4 or 2.35")
        self.custom.setClearButtonEnabled(True)
        self.swap = QToolButton(self)
        self.swap.setText("⇄")
        self.swap.setToolTip("Swap orientation (X)")
        self._message = QLabel(self)
        self._message.setWordWrap(True)
        self._choice: AspectChoice = FREE

        row = QHBoxLayout()
        row.addWidget(self.combo, 1)
        row.addWidget(self.swap)
        form = QFormLayout(self)
        form.addRow("Aspect", row)
        form.addRow("Custom", self.custom)
        form.addRow(self._message)
        self._custom_row_label = form.labelForField(self.custom)

        self.combo.currentIndexChanged.connect(self._on_combo)
        self.custom.returnPressed.connect(self._on_custom)
        self.custom.editingFinished.connect(self._on_custom)
        self.swap.clicked.connect(self.swap_requested)
        self._show_custom(False)
        self._describe()

    # -- public API -------------------------------------------------------------------------
    def choice(self) -> AspectChoice:
        return self._choice

    def set_choice(self, choice: AspectChoice) -> None:
        """Show ``choice`` (without emitting ``aspect_chosen``)."""
        self._choice = choice
        index = self._index_of(choice)
        self.combo.blockSignals(True)
        if index >= 0:
            self.combo.setCurrentIndex(index)
            self._show_custom(False)
        else:
            self.combo.setCurrentIndex(self.combo.findText(CUSTOM))
            self.custom.setText(choice.label)
            self._show_custom(True)
        self.combo.blockSignals(False)
        self._message.setText("")
        self._describe()

    def choose(self, choice: AspectChoice) -> None:
        """Show ``choice`` and emit it, as if the user had picked it."""
        self.set_choice(choice)
        self.aspect_chosen.emit(choice)

    def choose_text(self, text: str) -> None:
        """Pick a preset by its label (``"16:9"``, ``"1200x628"``, ``"Free"``) or a custom ratio."""
        for choice in preset_choices():
            if choice.label == text:
                self.choose(choice)
                return
        self.choose(ratio_choice(text))

    def message(self) -> str:
        return self._message.text()

    # -- internals -----------------------------------------------------------------------
    def _index_of(self, choice: AspectChoice) -> int:
        for i in range(self.combo.count()):
            if self.combo.itemData(i) == choice:
                return i
        return -1

    def _show_custom(self, shown: bool) -> None:
        self.custom.setVisible(shown)
        if self._custom_row_label is not None:
            self._custom_row_label.setVisible(shown)

    def _describe(self) -> None:
        size = self._choice.size
        self.setToolTip(f"Exports at {size[0]}x{size[1]} px" if size else "")

    @Slot(int)
    def _on_combo(self, index: int) -> None:
        choice = self.combo.itemData(index)
        if choice is None:  # custom: wait for a valid ratio
            self._show_custom(True)
            self.custom.setFocus(Qt.FocusReason.OtherFocusReason)
            if self.custom.text().strip():
                self._on_custom()
            return
        self._show_custom(False)
        self._message.setText("")
        self._choice = choice
        self._describe()
        self.aspect_chosen.emit(choice)

    @Slot()
    def _on_custom(self) -> None:
        text = self.custom.text().strip()
        if not text:
            return
        try:
            choice = ratio_choice(text)
        except CropStudioError as exc:
            self._message.setText(str(exc))
            return
        self._message.setText("")
        if choice == self._choice:
            return
        self._choice = choice
        self._describe()
        self.aspect_chosen.emit(choice)
