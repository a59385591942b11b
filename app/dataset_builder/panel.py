"""The dataset-builder panel: settings of an outpainting run, its controls, progress and a
live preview of the latest samples with their label boxes.

It holds no algorithm: :class:`app.dataset_builder.controller.DatasetBuilderController` runs
the build; the panel emits intents (``start_requested`` with the :class:`PanelValues`,
``pause_requested``, ``resume_requested``, ``cancel_requested``) and shows what it is told.
The last folders and counts are kept in ``QSettings`` (``dataset_builder/...``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
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
from app.common.pixmaps import fitted_pixmap
from models.errors import InvalidInputError

if TYPE_CHECKING:
    from app.dataset_builder.preview import SamplePreview
    from models.dataset_builder.runner import BuildSettings

__all__ = ["MAX_PREVIEWS", "DatasetBuilderPanel", "PanelValues"]

MAX_PREVIEWS = 12  # thumbnails kept in the grid, newest first
_COLUMNS = 3
_KEY = "dataset_builder/"
_DEFAULT_BACKEND = "opencv"


@dataclass(frozen=True)
class PanelValues:
    """What the panel's fields say, before the engine checks them."""

    source: str
    out: str
    samples: int
    backend: str
    rounds: int
    workers: int

    def to_settings(self) -> BuildSettings:
        """The engine's settings (InvalidInputError with a readable message when incomplete)."""
        if not self.source.strip():
            raise InvalidInputError("Choose the folder of source photos first.")
        if not self.out.strip():
            raise InvalidInputError("Choose an output folder for the data set first.")
        source, out = Path(self.source).expanduser(), Path(self.out).expanduser()
        if not source.is_dir():
            raise InvalidInputError(f"The source folder '{source}' does not exist.")
        if not self.backend:
            raise InvalidInputError("No outpainting backend is available.")
        from models.dataset_builder.runner import BuildSettings

        return BuildSettings(source=source, out=out, samples=self.samples, backend=self.backend,
                             rounds=self.rounds, workers=self.workers)  # fmt: skip


def _backends() -> tuple[tuple[str, ...], str | None]:
    try:
        from models.dataset_builder.outpaint import available_outpainters

        return available_outpainters(), None
    except Exception as exc:  # noqa: BLE001 - an engine that cannot load is shown, not raised
        return (), f"No outpainting backend could be loaded: {type(exc).__name__}: {exc}"


class DatasetBuilderPanel(QWidget):
    start_requested = Signal(object)  # PanelValues
    pause_requested = Signal()
    resume_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        """Long: builds the panel's widgets and connects them, one after the other (a form, read top to bottom)."""
        super().__init__(parent)
        self.source = QLineEdit(self)
        self.source.setPlaceholderText("Folder of professional photos")
        self.out = QLineEdit(self)
        self.out.setPlaceholderText("Empty folder, or an earlier build to resume")
        self.samples = QSpinBox(self)
        self.samples.setRange(1, 1_000_000)
        self.samples.setValue(100)
        self.backend = QComboBox(self)
        self.rounds = QSpinBox(self)
        self.rounds.setRange(0, 20)
        self.rounds.setToolTip("Refinement rounds after the samples (0: none)")
        self.workers = QSpinBox(self)
        self.workers.setRange(1, max(1, os.cpu_count() or 1))
        self.workers.setToolTip("Processes making samples at once")
        backends, problem = _backends()
        self.backend.addItems(list(backends))

        form = QFormLayout()
        form.addRow("Source", self._with_browse(self.source, "Choose the folder of source photos"))
        form.addRow("Output", self._with_browse(self.out, "Choose the output folder"))
        form.addRow("Samples", self.samples)
        form.addRow("Backend", self.backend)
        form.addRow("Rounds", self.rounds)
        form.addRow("Workers", self.workers)

        self.start_button = QPushButton("Start", self)
        self.pause_button = QPushButton("Pause", self)
        self.resume_button = QPushButton("Resume", self)
        self.cancel_button = QPushButton("Cancel", self)
        self.start_button.setToolTip("Build the data set (an earlier build in the output folder is resumed)")
        self.pause_button.setToolTip("Stop after the sample under way; Resume goes on")
        self.cancel_button.setToolTip("Stop after the sample under way; the samples made stay valid")
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.resume_button, self.cancel_button):
            buttons.addWidget(button)
        self.progress = QProgressBar(self)
        self._stage = QLabel(self)
        self._status = StatusLine(self)
        self._grid_box = QWidget(self)
        self._grid = QGridLayout(self._grid_box)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._grid_box)
        self._previews: list[tuple[SamplePreview, QLabel]] = []

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self._stage)
        layout.addWidget(self._status)
        layout.addWidget(QLabel("Latest samples (yellow: the label, the photo's own frame)", self))
        layout.addWidget(scroll, 1)

        self.start_button.clicked.connect(lambda: self.start_requested.emit(self.values()))
        self.pause_button.clicked.connect(self.pause_requested)
        self.resume_button.clicked.connect(self.resume_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.restore_settings()
        self.set_state("idle")
        self.show_status("error" if problem else "info", problem or "Choose a source and an output folder, then Start.")

    def _with_browse(self, edit: QLineEdit, title: str) -> QWidget:
        box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(edit, 1)
        browse = QToolButton(box)
        browse.setText("…")
        browse.setToolTip(title)
        browse.clicked.connect(lambda: self._browse(edit, title))
        row.addWidget(browse)
        return box

    def _browse(self, edit: QLineEdit, title: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, title, edit.text() or str(Path.home()))
        if folder:
            edit.setText(folder)

    # -- values and their persistence ----------------------------------------------------------
    def values(self) -> PanelValues:
        return PanelValues(self.source.text().strip(), self.out.text().strip(), self.samples.value(),
                           self.backend.currentText(), self.rounds.value(), self.workers.value())  # fmt: skip

    def set_values(self, values: PanelValues) -> None:
        self.source.setText(values.source)
        self.out.setText(values.out)
        self.samples.setValue(values.samples)
        at = self.backend.findText(values.backend)
        if at >= 0:
            self.backend.setCurrentIndex(at)
        self.rounds.setValue(values.rounds)
        self.workers.setValue(values.workers)

    def save_settings(self) -> None:
        settings, v = QSettings(), self.values()
        for name in ("source", "out", "samples", "backend", "rounds", "workers"):
            settings.setValue(_KEY + name, getattr(v, name))

    def restore_settings(self) -> None:
        settings = QSettings()

        def number(name: str, default: int) -> int:
            try:
                return int(settings.value(_KEY + name, default))
            except (TypeError, ValueError):
                return default

        backend = str(settings.value(_KEY + "backend", _DEFAULT_BACKEND))
        self.set_values(PanelValues(str(settings.value(_KEY + "source", "") or ""),
                                    str(settings.value(_KEY + "out", "") or ""), number("samples", 100),
                                    backend if self.backend.findText(backend) >= 0 else _DEFAULT_BACKEND,
                                    number("rounds", 0), number("workers", 1)))  # fmt: skip

    # -- rendering ---------------------------------------------------------------------------------
    def set_state(self, state: str) -> None:
        """Enable what makes sense: idle, running, pausing, cancelling, paused, done, cancelled, failed."""
        running = state in ("running", "pausing", "cancelling")
        self.start_button.setEnabled(not running and self.backend.count() > 0)
        self.pause_button.setEnabled(state == "running")
        self.resume_button.setEnabled(state == "paused")
        self.cancel_button.setEnabled(state in ("running", "paused"))
        for field in (self.source, self.out, self.samples, self.backend, self.rounds, self.workers):
            field.setEnabled(not running)
        self.progress.setVisible(running or state == "paused")

    def show_progress(self, stage: str, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(min(done, total) if total > 0 else 0)
        self.progress.setFormat(f"{done} / {total}")
        self._stage.setText(f"{stage}: {done} of {total}")

    @Slot(str, str)
    def show_status(self, level: str, text: str) -> None:
        """``level``: info, busy, ok, warn or error (shown inline, never as a dialog)."""
        self._status.show_status(level, text)

    def status(self) -> tuple[str, str]:
        return self._status.status()

    @Slot(object)
    def add_preview(self, preview: SamplePreview) -> None:
        """Show a finished sample first in the grid (the oldest beyond :data:`MAX_PREVIEWS` go)."""
        label = QLabel(self._grid_box)
        thumb = preview.thumbnail  # at its own size (and pixel ratio), rendered for this display's ratio
        label.setPixmap(fitted_pixmap(thumb, thumb.deviceIndependentSize().toSize(), self.devicePixelRatioF()))
        x0, y0, x1, y1 = preview.label
        label.setToolTip(f"#{preview.index + 1} {preview.image.name}\nlabel {x0:.2f},{y0:.2f}–{x1:.2f},{y1:.2f}")
        self._previews.insert(0, (preview, label))
        for _, old in self._previews[MAX_PREVIEWS:]:
            old.setParent(None)
            old.deleteLater()
        del self._previews[MAX_PREVIEWS:]
        self._relayout()

    def previews(self) -> list[SamplePreview]:
        """The samples shown, newest first."""
        return [p for p, _ in self._previews]

    def preview_pixmap(self, i: int) -> QPixmap:
        return self._previews[i][1].pixmap()

    def clear_previews(self) -> None:
        for _, label in self._previews:
            label.setParent(None)
            label.deleteLater()
        self._previews.clear()

    def _relayout(self) -> None:
        for _, label in self._previews:
            self._grid.removeWidget(label)
        for i, (_, label) in enumerate(self._previews):
            self._grid.addWidget(label, i // _COLUMNS, i % _COLUMNS)
