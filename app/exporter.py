"""The export flow of the window: dialog, the overwrite question, the worker, progress.

:class:`Exporter` plans the files (:func:`app.export.plan_exports`), asks once before
replacing existing files (``export_crop`` refuses otherwise), writes them in a worker
(``TaskRunner`` key ``"export"``) and shows progress, with a Cancel button, in the status bar.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QDialog, QMainWindow, QMessageBox, QProgressBar, QToolButton

from app.export import ExportReport, ExportSettings, plan_exports, run_exports
from app.panels.export_dialog import ExportDialog, load_export_settings
from app.state import CropState
from app.workers import TaskRunner

__all__ = ["EXPORT", "Exporter"]

EXPORT = "export"  # TaskRunner key

Items = Callable[[bool], list[tuple[Path, CropState]]]  # all_images -> (source, state) to export


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class Exporter(QObject):
    finished = Signal(object)  # app.export.ExportReport

    def __init__(self, window: QMainWindow, tasks: TaskRunner, items: Items, report: Callable[[str], None]) -> None:
        super().__init__(window)
        self._window = window
        self._tasks = tasks
        self._items = items
        self._report = report  # shows an error where the user sees it (banner and status bar)
        self._skipped: list[tuple[Path, str]] = []
        self._progress = QProgressBar(window)
        self._progress.setMaximumWidth(220)
        self._cancel = QToolButton(window)
        self._cancel.setText("Cancel")
        self._cancel.clicked.connect(self.cancel)
        for widget in (self._progress, self._cancel):
            widget.hide()
            window.statusBar().addPermanentWidget(widget)
        tasks.returned.connect(self._on_returned)
        tasks.errored.connect(self._on_errored)
        tasks.progress.connect(self._on_progress)

    def _say(self, message: str) -> None:
        self._window.statusBar().showMessage(message)

    # -- public API -------------------------------------------------------------------------
    def dialog(self, *, all_images: bool, default_folder: Path) -> None:
        """Ask for export settings (modal dialog), then export."""
        count = len(self._items(all_images))
        if count == 0:
            self._say("Nothing to export: open an image and crop it first")
            return
        dialog = ExportDialog(load_export_settings(default_folder), count, self._window)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.export(dialog.settings(), all_images=all_images)

    def export(self, settings: ExportSettings, *, all_images: bool = False) -> bool:
        """Write the current crop (or every image's) in a worker; asks before overwriting.

        Returns whether an export started; ``finished`` reports the outcome.
        """
        if self.is_running():
            self._say("An export is already running")
            return False
        try:
            jobs, problems = plan_exports(self._items(all_images), settings)
        except ValueError as exc:
            self._say(f"Cannot export: {exc}")
            return False
        if not jobs:
            self._say("Nothing to export" + (f": {problems[0][0].name}: {problems[0][1]}" if problems else ""))
            return False
        existing = [job.dst for job in jobs if job.dst.exists()]
        if existing and not self.confirm_overwrite(existing):
            self._say("Export cancelled: nothing was overwritten")
            return False
        self._progress.setRange(0, len(jobs))
        self._progress.setValue(0)
        self._progress.show()
        self._cancel.show()
        self._say(f"Exporting {_plural(len(jobs), 'crop')}…")
        self._skipped = problems
        self._tasks.submit(EXPORT, run_exports, jobs, quality=settings.quality, overwrite=bool(existing))
        return True

    def confirm_overwrite(self, paths: list[Path]) -> bool:
        """Ask whether to replace existing files (tests replace ``QMessageBox.question``)."""
        names = "\n".join(p.name for p in paths[:8]) + ("\n…" if len(paths) > 8 else "")
        one = len(paths) == 1
        answer = QMessageBox.question(
            self._window,
            "Replace files?",
            f"{_plural(len(paths), 'file')} already exist{'s' if one else ''}:\n{names}\n\n"
            f"Replace {'it' if one else 'them'}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    @Slot()
    def cancel(self) -> None:
        self._tasks.cancel(EXPORT)
        self._done()
        self._say("Export cancelled (files already written are kept)")

    def is_running(self) -> bool:
        return self._tasks.is_busy(EXPORT)

    # -- worker outcomes ----------------------------------------------------------------------
    @Slot(str, object)
    def _on_returned(self, key: str, report: object) -> None:
        if key != EXPORT or not isinstance(report, ExportReport):
            return
        self._done()
        text = report.summary()
        if self._skipped:
            text += f"; {_plural(len(self._skipped), 'image')} skipped ({self._skipped[0][1]})"
        if report.failed:
            self._report(text)
        else:
            self._say(text + (f" to {report.written[0].parent}" if report.written else ""))
        self.finished.emit(report)

    @Slot(str, object)
    def _on_errored(self, key: str, exc: object) -> None:
        if key == EXPORT:
            self._done()
            self._report(f"Export failed: {exc}")

    @Slot(str, int, int)
    def _on_progress(self, key: str, done: int, total: int) -> None:
        if key == EXPORT:
            self._progress.setMaximum(max(total, 1))
            self._progress.setValue(done)

    def _done(self) -> None:
        self._progress.hide()
        self._cancel.hide()
