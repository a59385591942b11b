"""The crop-set panel: a target set's crops of the current image side by side, and its export.

It holds no algorithm: it shows what :class:`app.cropsets.controller.CropSetController`
computes (one :class:`~app.cropsets.target_card.TargetCard` per target) and emits the user's
intent: a set chosen (``set_requested``: a bundled name, a TOML file, or ``None``), a card
clicked, the manual crop reset, the export settings changed, an export asked for or cancelled.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.common.status_line import StatusLine
from app.cropsets.engine import CropSetResult, ExportChoices
from app.cropsets.target_card import CARD_WIDTH, TargetCard
from models.cropsets import DEFAULT_TEMPLATE, FORMATS, OutputNaming, TargetSet, bundled_target_sets
from models.errors import CropStudioError

__all__ = ["NO_SET", "OPEN_SET", "CropSetPanel"]

NO_SET = "No set"
OPEN_SET = "Open set file…"
_NONE, _OPEN = "", "\0open"  # combo data of NO_SET and OPEN_SET; the others hold a set's name or file path
_PREFIX = "cropset/"
_SPACING = 6


class _CardGrid(QWidget):
    """Cards in as many columns as the width allows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setSpacing(_SPACING)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.cards: list[TargetCard] = []
        self._columns = 0

    def set_cards(self, cards: list[TargetCard]) -> None:
        for card in self.cards:
            self._grid.removeWidget(card)
            card.setParent(None)  # gone now, not at the next turn of the event loop
            card.deleteLater()
        self.cards = cards
        self._columns = 0
        self._reflow()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._reflow()

    def _reflow(self) -> None:
        columns = max(1, (self.width() - 2 * _SPACING) // (CARD_WIDTH + _SPACING))
        if columns == self._columns:
            return
        self._columns = columns
        for i, card in enumerate(self.cards):
            self._grid.removeWidget(card)
            self._grid.addWidget(card, i // columns, i % columns)


class CropSetPanel(QWidget):
    PREFERRED_WIDTH = 2 * CARD_WIDTH + 3 * _SPACING + 48  # two columns of cards, a scroll bar, margins

    set_requested = Signal(object)  # a bundled set's name, a Path to a TOML file, or None
    target_clicked = Signal(str)
    reset_requested = Signal()
    choices_changed = Signal(object)  # app.cropsets.engine.ExportChoices
    export_requested = Signal(bool)  # all images
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Long: builds the panel's widgets and connects them, one after the other (a form, read top to bottom)."""
        super().__init__(parent)
        self.combo = QComboBox(self)
        self.combo.addItem(NO_SET, _NONE)
        for name in bundled_target_sets():
            self.combo.addItem(name, name)
        self.combo.insertSeparator(self.combo.count())
        self.combo.addItem(OPEN_SET, _OPEN)
        self._description = QLabel(self)
        self._description.setWordWrap(True)
        self.grid = _CardGrid(self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.grid)
        self._active = QLabel(self)
        self._active.setWordWrap(True)
        self.reset_button = QPushButton("Automatic crop", self)
        self.reset_button.setToolTip("Forget the crop moved by hand for this target")
        self.folder = QLineEdit(self)
        self.folder.setPlaceholderText("crops/ next to the image")
        browse = QToolButton(self)
        browse.setText("…")
        browse.clicked.connect(self._browse)
        self.format = QComboBox(self)
        self.format.addItems(list(FORMATS))
        self.quality = QSpinBox(self)
        self.quality.setRange(1, 100)
        self.quality.setValue(90)
        self.template = QLineEdit(DEFAULT_TEMPLATE, self)
        self.template.setToolTip("Fields: {stem} {target} {w} {h} {ratio} {parent}; / makes folders")
        self.upscale = QCheckBox("Allow upscaling", self)
        self.upscale.setToolTip("Upscale a crop smaller than its target size instead of refusing the target")
        self.export_button = QPushButton("Export set", self)
        self.export_all_button = QPushButton("Export set for all images", self)
        self.progress = QProgressBar(self)
        self.cancel_button = QPushButton("Cancel", self)
        self._status = StatusLine(self)
        self._shown = 0  # the combo's index of the set asked for last
        self._layout(scroll, browse)
        self.combo.activated.connect(self._on_combo)
        self.reset_button.clicked.connect(self.reset_requested)
        self.export_button.clicked.connect(lambda: self.export_requested.emit(False))
        self.export_all_button.clicked.connect(lambda: self.export_requested.emit(True))
        self.cancel_button.clicked.connect(self.cancel_requested)
        for edit in (self.folder, self.template):
            edit.editingFinished.connect(self._emit_choices)
        self.format.currentIndexChanged.connect(self._emit_choices)
        self.quality.valueChanged.connect(self._emit_choices)
        self.upscale.toggled.connect(self._emit_choices)
        self._restore()
        self.show_set(None)
        self.set_exporting(False)
        self.set_active(None, False)

    def _layout(self, scroll: QScrollArea, browse: QToolButton) -> None:
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        format_row = QHBoxLayout()
        format_row.addWidget(self.format, 1)
        format_row.addWidget(QLabel("quality"))
        format_row.addWidget(self.quality)
        form = QFormLayout()
        form.addRow("Folder", folder_row)
        form.addRow("Format", format_row)
        form.addRow("Name", self.template)
        form.addRow("", self.upscale)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.export_all_button)
        progress = QHBoxLayout()
        progress.addWidget(self.progress, 1)
        progress.addWidget(self.cancel_button)
        active = QHBoxLayout()
        active.addWidget(self._active, 1)
        active.addWidget(self.reset_button)
        top = QHBoxLayout()
        top.addWidget(QLabel("Set"))
        top.addWidget(self.combo, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self._description)
        layout.addWidget(scroll, 1)
        layout.addLayout(active)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addLayout(progress)
        layout.addWidget(self._status)

    # -- rendering -------------------------------------------------------------------------
    def show_set(self, target_set: TargetSet | None) -> None:
        """One card per target of ``target_set`` (waiting for their crops)."""
        cards = [TargetCard(t, self.grid) for t in target_set.targets] if target_set else []
        for card in cards:
            card.clicked.connect(self.target_clicked)
            card.upscale_requested.connect(lambda: self.upscale.setChecked(True))  # the one rule, the set's
        self.grid.set_cards(cards)
        self._description.setText(target_set.description if target_set else "Choose a target set to see every size "
                                  "of this photo at once.")  # fmt: skip
        self._select(target_set)
        if target_set is None:
            self.show_status("info", "")  # the previous set's status no longer applies
        for button in (self.export_button, self.export_all_button):
            button.setEnabled(target_set is not None)

    def show_pending(self, text: str) -> None:
        for card in self.grid.cards:
            card.show_pending(text)

    def show_result(self, result: CropSetResult) -> None:
        for card in self.grid.cards:
            crop = result.crop(card.target.name)
            if crop is not None:
                card.show_crop(crop)

    def set_active(self, name: str | None, manual: bool) -> None:
        """The target on the canvas (highlighted), and whether its crop was moved by hand."""
        for card in self.grid.cards:
            card.set_active(card.target.name == name)
        if name is None:
            self._active.setText("Click a card to edit that target's crop on the canvas.")
        else:
            self._active.setText(f"On the canvas: <b>{name}</b>" + (" (moved by hand)" if manual else ""))
        self.reset_button.setEnabled(name is not None and manual)

    def cards(self) -> list[TargetCard]:
        return list(self.grid.cards)

    def card(self, name: str) -> TargetCard:
        return next(c for c in self.grid.cards if c.target.name == name)

    def show_status(self, level: str, text: str) -> None:
        self._status.show_status(level, text)

    def status(self) -> tuple[str, str]:
        return self._status.status()

    def set_exporting(self, running: bool, total: int = 0) -> None:
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(0)

    def show_progress(self, done: int, total: int) -> None:
        self.progress.setMaximum(max(total, 1))
        self.progress.setValue(done)

    def choices(self) -> ExportChoices:
        """The export settings shown; InvalidInputError for an unusable name template."""
        text = self.folder.text().strip()
        naming = OutputNaming(self.template.text().strip() or DEFAULT_TEMPLATE, self.format.currentText())
        return ExportChoices(Path(text).expanduser() if text else None, naming, self.quality.value(),
                             self.upscale.isChecked())  # fmt: skip

    # -- intents ---------------------------------------------------------------------------
    def _select(self, target_set: TargetSet | None) -> None:
        """Show ``target_set`` in the list (the current item when it names it)."""
        current = self.combo.currentIndex()
        for i in (current, *range(self.combo.count())):
            data = self.combo.itemData(i)
            is_set = isinstance(data, str) and data not in (_NONE, _OPEN)
            if (target_set is None and data == _NONE) or (
                target_set is not None and is_set and Path(data).stem == target_set.name
            ):
                self.combo.setCurrentIndex(i)
                self._shown = i
                return

    @Slot(int)
    def _on_combo(self, index: int) -> None:
        data = self.combo.itemData(index)
        if data == _OPEN:
            start = str(QSettings().value(_PREFIX + "set_dir", str(Path.home())))
            name, _ = QFileDialog.getOpenFileName(self, "Open target set", start, "Target sets (*.toml);;All files (*)")
            if not name:  # show the set shown before again
                self.combo.setCurrentIndex(self._shown)
                return
            self.choose(name)
            return
        self._shown = index
        QSettings().setValue(_PREFIX + "set", data)
        self.set_requested.emit(data or None)

    def choose(self, name_or_path: str | Path | None) -> None:
        """Pick a bundled set by name, a set file by path, or none, as the user would."""
        if name_or_path is None:
            self.combo.setCurrentIndex(0)
            self._on_combo(0)
            return
        text = str(name_or_path)
        index = self.combo.findData(text)
        if index < 0:  # a file: list it before the separator and "Open set file…"
            path = Path(text).expanduser().absolute()
            QSettings().setValue(_PREFIX + "set_dir", str(path.parent))
            text = str(path)
            index = self.combo.findData(text)
            if index < 0:
                index = self.combo.count() - 2
                self.combo.insertItem(index, path.stem, text)
                self.combo.setItemData(index, text, Qt.ItemDataRole.ToolTipRole)
        self.combo.setCurrentIndex(index)
        self._on_combo(index)

    def restore_set(self) -> None:
        """Ask for the set chosen last time, if any (a file that is gone is forgotten)."""
        value = str(QSettings().value(_PREFIX + "set", "") or "")
        if value and (value in bundled_target_sets() or Path(value).is_file()):
            self.choose(value)

    @Slot()
    def _emit_choices(self) -> None:
        try:
            choices = self.choices()
        except CropStudioError as exc:  # the settings in use stay as they were
            self.show_status("error", str(exc))
            return
        s = QSettings()
        for key, value in (("folder", self.folder.text().strip()), ("format", self.format.currentText()),
                           ("quality", self.quality.value()), ("template", self.template.text().strip()),
                           ("allow_upscale", "true" if self.upscale.isChecked() else "false")):  # fmt: skip
            s.setValue(_PREFIX + key, value)
        self.choices_changed.emit(choices)

    def _restore(self) -> None:
        s = QSettings()
        self.folder.setText(str(s.value(_PREFIX + "folder", "") or ""))
        fmt = str(s.value(_PREFIX + "format", "jpeg"))
        self.format.setCurrentText(fmt if fmt in FORMATS else "jpeg")
        try:
            self.quality.setValue(min(max(int(s.value(_PREFIX + "quality", 90)), 1), 100))
        except (TypeError, ValueError):
            self.quality.setValue(90)
        self.template.setText(str(s.value(_PREFIX + "template", DEFAULT_TEMPLATE) or DEFAULT_TEMPLATE))
        self.upscale.setChecked(str(s.value(_PREFIX + "allow_upscale", "false")).lower() == "true")
        try:
            self.choices()
        except CropStudioError:
            self.template.setText(DEFAULT_TEMPLATE)

    @Slot()
    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the set to", self.folder.text())
        if folder:
            self.folder.setText(folder)
            self._emit_choices()
