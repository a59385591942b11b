"""The export dialog: folder, file-name template, format, quality and output size.

It only collects :class:`app.export.planning.ExportSettings` (remembered in ``QSettings``); the
window plans the files, asks before overwriting and writes them in a worker.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.export.planning import FORMATS, SIZE_MODES, ExportSettings, check_template, output_size, upscale_question
from models.export import upscale_factor
from app.editor.state import CropState

__all__ = ["ExportDialog", "load_export_settings", "save_export_settings"]

_PREFIX = "export/"


def load_export_settings(default_folder: Path) -> ExportSettings:
    """The settings of the last export (``default_folder`` when none was remembered)."""
    s = QSettings()
    base = ExportSettings(folder=default_folder)
    folder = Path(str(s.value(_PREFIX + "folder", str(default_folder))))

    def number(key: str, default: int) -> int:
        try:
            return int(s.value(_PREFIX + key, default))
        except (TypeError, ValueError):
            return default

    fmt = str(s.value(_PREFIX + "format", base.format))
    mode = str(s.value(_PREFIX + "size_mode", base.size_mode))
    return ExportSettings(
        folder=folder,
        format=fmt if fmt in FORMATS else base.format,
        quality=min(max(number("quality", base.quality), 1), 100),
        size_mode=mode if mode in SIZE_MODES else base.size_mode,  # type: ignore[arg-type]
        long_edge=max(number("long_edge", base.long_edge), 1),
        exact=(max(number("exact_w", base.exact[0]), 1), max(number("exact_h", base.exact[1]), 1)),
        template=str(s.value(_PREFIX + "template", base.template)) or base.template,
    )


def save_export_settings(settings: ExportSettings) -> None:
    s = QSettings()
    for key, value in (
        ("folder", str(settings.folder)), ("format", settings.format), ("quality", settings.quality),
        ("size_mode", settings.size_mode), ("long_edge", settings.long_edge), ("exact_w", settings.exact[0]),
        ("exact_h", settings.exact[1]), ("template", settings.template),
    ):  # fmt: skip
        s.setValue(_PREFIX + key, value)


def _spin(lo: int, hi: int, value: int, suffix: str = "") -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(lo, hi)
    spin.setValue(value)
    spin.setSuffix(suffix)
    return spin


class ExportDialog(QDialog):
    """Ask how to export ``count`` crops (1: the current image, whose ``state`` gives the real
    output size); ``note`` says which images (Export All: the Library's, and how many are new)."""

    def __init__(self, settings: ExportSettings, count: int, parent: QWidget | None = None, *,
                 state: CropState | None = None, note: str = "") -> None:  # fmt: skip
        """Long: builds the dialog's widgets and connects them, one after the other (a form, read top to bottom)."""
        super().__init__(parent)
        self._state = state
        self.setWindowTitle("Export crop" if count == 1 else f"Export {count} crops")
        self.note = QLabel(note, self)
        self.note.setWordWrap(True)
        self.note.setVisible(bool(note))
        self.output = QLabel(self)  # the size the files get, as the planner decides it
        self.output.setWordWrap(True)
        self.upscale = QCheckBox("Allow upscaling", self)
        self.upscale.setToolTip("Write crops smaller than their output size upscaled, without asking")
        self.upscale.setChecked(settings.allow_upscale)
        self.folder = QLineEdit(str(settings.folder), self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._browse)
        self.template = QLineEdit(settings.template, self)
        self.template.setToolTip("Fields: {stem} {n} {w} {h} {ratio} {format}")
        self.format = QComboBox(self)
        self.format.addItems(list(FORMATS))
        self.format.setCurrentText(settings.format)
        self.quality = _spin(1, 100, settings.quality)
        self.size_mode = QComboBox(self)
        for key, text in SIZE_MODES.items():
            self.size_mode.addItem(text, key)
        self.size_mode.setCurrentIndex(list(SIZE_MODES).index(settings.size_mode))
        self.long_edge = _spin(16, 30000, settings.long_edge, " px")
        self.exact_w = _spin(1, 30000, settings.exact[0])
        self.exact_h = _spin(1, 30000, settings.exact[1], " px")
        self._error = QLabel(self)
        self._error.setWordWrap(True)
        self._error.setStyleSheet("color: #c0392b;")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Export")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)

        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        exact_row = QHBoxLayout()
        self._exact_row = exact_row
        exact_row.addWidget(self.exact_w)
        exact_row.addWidget(QLabel("x"))
        exact_row.addWidget(self.exact_h)
        form = QFormLayout(self)
        form.addRow(self.note)
        form.addRow("Folder", folder_row)
        form.addRow("File name", self.template)
        form.addRow("Format", self.format)
        form.addRow("Quality", self.quality)
        form.addRow("Size", self.size_mode)
        form.addRow("Long edge", self.long_edge)
        form.addRow("Exact size", exact_row)
        form.addRow("Output", self.output)
        form.addRow("", self.upscale)
        form.addRow(self._error)
        form.addRow(self.buttons)
        self._form = form
        self.format.currentIndexChanged.connect(self._sync)
        self.size_mode.currentIndexChanged.connect(self._sync)
        for spin in (self.long_edge, self.exact_w, self.exact_h):
            spin.valueChanged.connect(self._sync)
        self.upscale.toggled.connect(self._sync)
        self._sync()

    def settings(self) -> ExportSettings:
        return ExportSettings(
            folder=Path(self.folder.text().strip()).expanduser(),
            format=self.format.currentText(),
            quality=self.quality.value(),
            size_mode=self.size_mode.currentData(),
            long_edge=self.long_edge.value(),
            exact=(self.exact_w.value(), self.exact_h.value()),
            template=self.template.text().strip(),
            allow_upscale=self.upscale.isChecked(),
        )

    def error(self) -> str:
        return self._error.text()

    @Slot()
    def _sync(self) -> None:
        self.quality.setEnabled(self.format.currentText() in ("JPEG", "WebP"))
        mode = self.size_mode.currentData()
        self.long_edge.setEnabled(mode == "long_edge")
        self.exact_w.setEnabled(mode == "exact")
        self.exact_h.setEnabled(mode == "exact")
        self._form.setRowVisible(self.long_edge, mode == "long_edge")  # a greyed size would not be the one written
        self._form.setRowVisible(self._exact_row, mode == "exact")
        self.output.setText(self.output_text())

    def output_text(self) -> str:
        """What the files will be: the preset's real size, the crop's, or why it cannot be written."""
        settings = self.settings()
        if self._state is None or self._state.box is None:
            preset = {"preset": "each image's aspect preset size (else as cropped)", "crop": "each crop's own size",
                      "long_edge": f"long edge {settings.long_edge} px",
                      "exact": f"{settings.exact[0]} x {settings.exact[1]} px"}  # fmt: skip
            return preset[settings.size_mode]
        box = self._state.box.rounded()
        crop = (int(box.width), int(box.height))
        try:
            size = output_size(box, self._state, settings) or crop
        except ValueError as exc:
            return str(exc)
        factor = upscale_factor(crop, size)  # the planner's rule
        if factor is not None and not settings.allow_upscale:
            return upscale_question(crop, size, factor) + " (tick Allow upscaling, or be asked)"
        return f"{size[0]} x {size[1]} px"

    @Slot()
    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export to folder", self.folder.text())
        if folder:
            self.folder.setText(folder)

    @Slot()
    def _accept(self) -> None:
        settings = self.settings()
        try:
            check_template(settings.template)
        except ValueError as exc:
            self._error.setText(str(exc))
            return
        if not settings.folder.is_dir():
            self._error.setText(f"folder '{settings.folder}' does not exist")
            return
        save_export_settings(settings)
        self.accept()
