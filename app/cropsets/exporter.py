"""Exporting a crop set: the batch in a worker, with progress, cancel and the overwrite question.

:class:`SetExporter` runs :func:`app.cropsets.engine.export_crop_set` (``run_batch``) on the
window's TaskRunner (a :class:`SetExportTask`, its result the batch's report) once the
project-file writes queued before it have landed (``ProjectFiles`` is idle: the batch reads
them). The batch never replaces a file it did not write with the same inputs: those come back
as ``exists`` records; the user is asked once, and only a "yes" runs the batch again with
``overwrite`` (what the first run wrote is then already done).
Cancel stops between images; what was written stays written and recorded in the manifest.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QWidget

from app.cropsets.engine import export_crop_set
from app.common.workers import Task, TaskRunner
from app.cropsets.project_files import ProjectFiles
from models.cropsets import BatchOptions, BatchReport
from models.errors import CropStudioError

__all__ = ["EXPORT_SET", "SetExportTask", "SetExporter", "summary"]

log = logging.getLogger(__name__)

EXPORT_SET = "cropset-export"  # task name


class SetExportTask(Task):
    """The batch export of a set: its result is the :class:`~models.cropsets.BatchReport`."""

    returned = Signal(BatchReport)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def summary(report: BatchReport, kept: int = 0) -> str:
    """``3 written, 1 already done, 1 failed (a.jpg story: ...)`` for the status line."""
    text = f"{report.written} written, {report.skipped} already done"
    failed = [r for r in report.records if r.status == "error" and r.error_kind != "exists"]
    if failed:
        text += f", {len(failed)} failed ({Path(failed[0].source).name} {failed[0].target}: {failed[0].error})"
    if kept:
        text += f"; {_plural(kept, 'existing file')} kept"
    where = f" in {report.manifest.parent}" if report.manifest else ""
    return ("Cancelled: " if report.cancelled else "") + text + where


class SetExporter(QObject):
    started = Signal(int)  # images to do
    progress = Signal(int, int)  # images done, total
    finished = Signal(object)  # BatchReport, or None when cancelled before it started
    status = Signal(str, str)  # level, text

    def __init__(self, parent: QWidget, tasks: TaskRunner, io: ProjectFiles) -> None:
        """``io``: the app's one writer of the project files, whose queued writes the batch must see."""
        super().__init__(parent)
        self._parent = parent
        self._task = SetExportTask(tasks, EXPORT_SET, self)
        self._io = io  # the project-file writes the batch must see
        self._job: tuple[list[Path], BatchOptions] | None = None
        self._waits = False
        self._stop = threading.Event()
        self._task.returned.connect(self._on_returned)
        self._task.errored.connect(self._on_errored)
        self._task.progress.connect(self.progress)
        io.idle.connect(self._on_io_idle)

    def is_running(self) -> bool:
        return self._job is not None

    def export(self, sources: list[Path], options: BatchOptions) -> bool:
        """Run the batch on ``sources``; ``finished`` tells the outcome."""
        if self.is_running():
            self.status.emit("warn", "An export of the set is already running")
            return False
        self._job = (sources, options)
        self.started.emit(len(sources))
        if self._io.is_busy():
            self._waits = True
            self.status.emit("busy", "Saving the project file first…")
        else:
            self._start()
        return True

    def cancel(self) -> None:
        """Stop after the image being cropped."""
        if self._job is None:
            return
        self._stop.set()
        if self._waits:
            self._waits = False
            self._finish(None)
        else:
            self.status.emit("busy", "Cancelling after the current image…")

    def confirm_overwrite(self, names: list[str]) -> bool:
        """Ask whether to replace existing files (tests replace ``QMessageBox.question``)."""
        shown = "\n".join(names[:8]) + ("\n…" if len(names) > 8 else "")
        one = len(names) == 1
        answer = QMessageBox.question(
            self._parent, "Replace files?",
            f"{_plural(len(names), 'file')} of the set already exist{'s' if one else ''}, written with other "
            f"settings or by something else:\n{shown}\n\nReplace {'it' if one else 'them'}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )  # fmt: skip
        return answer == QMessageBox.StandardButton.Yes

    # -- internals ---------------------------------------------------------------------------
    def _start(self) -> None:
        assert self._job is not None
        sources, options = self._job
        self._stop.clear()
        self.status.emit("busy", f"Exporting the set for {_plural(len(sources), 'image')} to {options.out_dir}…")
        self._task.submit(export_crop_set, sources, options, self._stop.is_set)

    def _finish(self, report: BatchReport | None, kept: int = 0) -> None:
        self._job = None
        if report is None:
            self.status.emit("warn", "Export cancelled: nothing was written")
        else:
            failed = report.failed > 0 or report.cancelled or kept
            self.status.emit("warn" if failed else "ok", summary(report, kept))
        self.finished.emit(report)

    @Slot()
    def _on_io_idle(self) -> None:
        if self._waits and not self._io.is_busy():
            self._waits = False
            self._start()

    @Slot(object)
    def _on_returned(self, report: BatchReport) -> None:
        if self._job is None:
            return
        sources, options = self._job
        existing = [r.output for r in report.records if r.error_kind == "exists" and r.output]
        if existing and not report.cancelled and not options.overwrite:
            if self.confirm_overwrite(existing):
                self._job = (sources, replace(options, overwrite=True))
                self._start()
                return
            self._finish(report, kept=len(existing))
            return
        self._finish(report)

    @Slot(object)
    def _on_errored(self, exc: object) -> None:
        message = str(exc) if isinstance(exc, CropStudioError) else f"unexpected error: {type(exc).__name__}: {exc}"
        self._job = None
        self.status.emit("error", f"Export of the set failed: {message}")
        self.finished.emit(None)
