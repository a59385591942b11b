"""The export flow of the window: dialog, crops of unopened images, questions, the worker, summary.

:class:`Exporter` exports the current crop, or (Export All) every image of the Library:

1. the images never opened get their crop in a worker (an :class:`UnopenedTask`,
   :func:`app.export.unopened.crop_all_unopened`: their saved crop, else the automatic one);
2. crops smaller than their output size are not upscaled without asking (the crop sets'
   rule: :func:`app.export.conflicts.ask_upscale`, or "Allow upscaling" in the dialog);
3. each existing file is asked about: Replace, Skip, Replace all, Skip all
   (:func:`app.export.conflicts.ask_replace`); ``export_crop`` refuses otherwise;
4. the files are written in a worker (an :class:`ExportTask`) with progress and Cancel in the status
   bar; a batch ends with a summary (written, skipped, failed, with reasons).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QDialog, QMainWindow, QMessageBox, QProgressBar, QToolButton

from app.export.planning import ExportReport, ExportSettings, check_template, plan_exports, run_exports, upscales_needed
from app.export.conflicts import ask_replace, ask_upscale
from app.export.unopened import CropRecipe, UnopenedCrops, crop_all_unopened
from app.export.dialog import ExportDialog, load_export_settings
from app.editor.session import CropSession as Session
from app.editor.state import CropState
from app.editor.workbench import Workbench
from app.library.images import Library
from app.common.workers import Task, TaskRunner

__all__ = ["CROPS", "EXPORT", "ExportTask", "Exporter", "UnopenedTask", "crop_recipe", "export_items"]

EXPORT = "export"  # task names: writing the files,
CROPS = "export-crops"  # ... and the crops of images never opened

Items = Callable[[bool], list[tuple[Path, CropState | None]]]  # all_images -> (source, state or None: not opened)
Plan = list[tuple[Path, CropState]]


def export_items(session: Session, library: Library, all_images: bool) -> list[tuple[Path, CropState | None]]:
    """The current image's crop, or every Library image's in order (``None``: not opened yet,
    or no crop yet: the exporter computes it in a worker)."""
    states, current = session.states(), session.current_path()
    if not all_images:
        return [(current, states[current])] if current is not None and states[current].box is not None else []
    paths = library.paths()
    paths += [p for p in states if p not in paths]
    return [(p, s if (s := states.get(p)) is not None and s.box is not None else None) for p in paths]


def crop_recipe(workbench: Workbench, store: Path) -> CropRecipe:
    """How an image opened now would be cropped (Export All crops unopened images so)."""
    return CropRecipe(workbench.default_aspect(), workbench.attention_request().tau, workbench.cropper, store)


class UnopenedTask(Task):
    """The crops of images never opened: its result is an :class:`UnopenedCrops`."""

    returned = Signal(UnopenedCrops)


class ExportTask(Task):
    """Writing the files: its result is an :class:`ExportReport`."""

    returned = Signal(ExportReport)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class Exporter(QObject):
    started = Signal(int)  # files to write
    finished = Signal(object)  # app.export.planning.ExportReport

    def __init__(self, window: QMainWindow, tasks: TaskRunner, items: Items, report: Callable[[str], None],
                 recipe: Callable[[], CropRecipe]) -> None:  # fmt: skip
        super().__init__(window)
        self._window = window
        self.cropping, self.writing = UnopenedTask(tasks, CROPS, self), ExportTask(tasks, EXPORT, self)
        self._items = items
        self._recipe = recipe  # how the window would crop an image it opens now
        self._report = report  # shows an error where the user sees it (banner and status bar)
        self._settings: ExportSettings | None = None
        self._plan: list[tuple[Path, CropState | None]] = []
        self._all = False
        self._skipped: list[tuple[Path, str]] = []
        self._failed: list[tuple[Path, str]] = []
        self.summary_box: QMessageBox | None = None
        self._progress = QProgressBar(window)
        self._progress.setMaximumWidth(220)
        self._cancel = QToolButton(window)
        self._cancel.setText("Cancel")
        self._cancel.clicked.connect(self.cancel)
        for widget in (self._progress, self._cancel):
            widget.hide()
            window.statusBar().addPermanentWidget(widget)
        self.cropping.returned.connect(self._on_cropped)
        self.writing.returned.connect(self._on_written)
        for task in (self.cropping, self.writing):
            task.errored.connect(self._on_errored)
            task.progress.connect(self._on_progress)

    def _say(self, message: str) -> None:
        self._window.statusBar().showMessage(message)

    # -- public API -------------------------------------------------------------------------
    def dialog(self, *, all_images: bool, default_folder: Path) -> None:
        """Ask for export settings (modal dialog: the count and the folder), then export."""
        items = self._items(all_images)
        if not items:
            self._say("Nothing to export: open an image and crop it first")
            return
        unopened = sum(1 for _, s in items if s is None)
        state = items[0][1] if len(items) == 1 else None
        note = ""
        if all_images:
            note = f"Every image of the Library: {_plural(len(items), 'image')}"
            note += f" ({unopened} not opened yet: their crops are computed first)" if unopened else ""
        dialog = ExportDialog(load_export_settings(default_folder), len(items), self._window, state=state, note=note)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.export(dialog.settings(), all_images=all_images)

    def export(self, settings: ExportSettings, *, all_images: bool = False) -> bool:
        """Export the current crop (or every Library image's) in workers; asks before upscaling
        and before replacing files. Returns whether an export started; ``finished`` tells the outcome."""
        if self.is_running():
            self._say("An export is already running")
            return False
        try:
            check_template(settings.template)
            plan_exports([], settings)  # the format
        except ValueError as exc:
            self._say(f"Cannot export: {exc}")
            return False
        items = self._items(all_images)
        if not items:
            self._say("Nothing to export: open an image and crop it first")
            return False
        self._settings, self._plan, self._all = settings, items, all_images
        self._skipped, self._failed = [], []
        missing = [p for p, s in items if s is None]
        if not missing:
            return self._write([(p, s) for p, s in items if s is not None])
        self._busy(len(missing))
        self._say(f"Computing the crops of {_plural(len(missing), 'image')} not opened yet…")
        self.cropping.submit(crop_all_unopened, missing, self._recipe())
        return True

    @Slot()
    def cancel(self) -> None:
        self.cropping.cancel()
        self.writing.cancel()
        self._done()
        self._say("Export cancelled (files already written are kept)")

    def is_running(self) -> bool:
        return self.writing.is_busy() or self.cropping.is_busy()

    # -- the questions, then the writing ---------------------------------------------------
    def _write(self, items: Plan) -> bool:
        settings = self._settings
        assert settings is not None
        if not settings.allow_upscale and (upscales := upscales_needed(items, settings)):
            answer = ask_upscale(self._window, upscales)
            if answer == "cancel":
                return self._stop("Export cancelled: nothing was upscaled or written")
            if answer == "allow":
                settings = replace(settings, allow_upscale=True)
        jobs, problems = plan_exports(items, settings)
        self._skipped += problems
        kept, policy = [], None
        existing = [job for job in jobs if job.exists]
        for job in jobs:
            if job not in existing:
                kept.append(job)
                continue
            answer = policy or ask_replace(self._window, job.dst, len(existing))
            existing.remove(job)
            if answer == "cancel":
                return self._stop("Export cancelled: nothing was overwritten")
            policy = {"replace_all": "replace", "skip_all": "skip"}.get(answer, policy)
            if (policy or answer) == "replace":
                kept.append(replace(job, overwrite=True))
            else:
                self._skipped.append((job.src, f"{job.dst.name} exists and was kept"))
        if not kept:
            if jobs:  # every file exists and the user kept them all
                return self._stop("Export cancelled: nothing was overwritten")
            first = self._skipped[0] if self._skipped else (self._failed[0] if self._failed else None)
            return self._stop("Nothing exported" + (f": {first[0].name}: {first[1]}" if first else ""))
        self._busy(len(kept))
        self._say(f"Exporting {_plural(len(kept), 'crop')} to {settings.folder}…")
        self.started.emit(len(kept))
        self.writing.submit(run_exports, kept, quality=settings.quality)
        return True

    def _stop(self, message: str) -> bool:
        self._done()
        self._say(message)
        if self._all:  # a batch always ends with what happened to each image
            self._summarise(ExportReport((), tuple(self._failed), skipped=tuple(self._skipped)))
        return False

    # -- worker outcomes ----------------------------------------------------------------------
    @Slot(object)
    def _on_cropped(self, value: UnopenedCrops) -> None:
        self._failed += list(value.failed)
        if value.cancelled:
            self._stop("Export cancelled (files already written are kept)")
            return
        items = [(p, s if s is not None else value.states.get(p)) for p, s in self._plan]
        self._write([(p, s) for p, s in items if s is not None])

    @Slot(object)
    def _on_written(self, value: ExportReport) -> None:
        self._done()
        report = replace(value, failed=(*self._failed, *value.failed), skipped=(*self._skipped, *value.skipped))
        text = report.summary()
        if report.failed:
            self._report(text)
        else:
            self._say(text + (f" to {report.written[0].parent}" if report.written else ""))
        if self._all:
            self._summarise(report)
        self.finished.emit(report)

    def _summarise(self, report: ExportReport) -> None:
        """The end of a batch: written, skipped and failed, each with its reason (a non-modal box)."""
        lines = [f"Written: {p}" for p in report.written]
        lines += [f"Skipped {p.name}: {why}" for p, why in report.skipped]
        lines += [f"Failed {p.name}: {why}" for p, why in report.failed]
        if self.summary_box is not None:
            self.summary_box.close()
        box = QMessageBox(QMessageBox.Icon.Information, "Export finished", report.summary(), parent=self._window)
        box.setInformativeText(f"{len(report.written)} written, {len(report.skipped)} skipped, "
                               f"{len(report.failed)} failed" + (" (cancelled)" if report.cancelled else ""))  # fmt: skip
        if lines:
            box.setDetailedText("\n".join(lines))
        box.setModal(False)
        box.show()
        self.summary_box = box

    @Slot(object)
    def _on_errored(self, exc: object) -> None:
        self._done()
        self._report(f"Export failed: {exc}")

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        self._progress.setMaximum(max(total, 1))
        self._progress.setValue(done)

    def _busy(self, total: int) -> None:
        self._progress.setRange(0, max(total, 1))
        self._progress.setValue(0)
        self._progress.show()
        self._cancel.show()

    def _done(self) -> None:
        self._progress.hide()
        self._cancel.hide()
