"""The dataset-builder panel's logic: run :func:`models.dataset_builder.runner.build_dataset`
in a worker, with progress, a live preview of the samples, pause, resume and cancel.

* **Runs**: one build at a time, in a :class:`~app.common.workers.Worker` on the controller's own
  one-thread pool (not the window's task runner: a build outlives image changes and must not
  be superseded by them). The engine is given a plain ``progress`` callback and a ``cancel``
  poll; it never sees Qt.
* **Pause, resume, cancel**: the engine's runs are resumable (a rerun with the same settings
  makes only the missing samples), so *Pause* asks the run to stop after the sample under
  way and keeps its settings, *Resume* runs the same settings again, and *Cancel* stops the
  same way but forgets them. Stopping is cooperative: what is written stays a valid data set.
* **Preview**: each finished sample's image is read and scaled, its label box drawn on it, in
  the worker's thread (a ``QImage``, which may be painted off the GUI thread); the panel only
  shows the thumbnails.
* **Closing the window**: :meth:`DatasetBuilderController.shutdown` asks the run to stop after
  the current sample and waits for it (bounded); the data set stays valid and resumable.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QRectF, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from app.common.workers import Worker
from app.dataset_builder.preview import PREVIEW_SIDE, SamplePreview, preview_of
from models.errors import CropStudioError

if TYPE_CHECKING:
    from app.dataset_builder.panel import DatasetBuilderPanel, PanelValues
    from models.dataset_builder.runner import BuildProgress, BuildReport, BuildSettings

__all__ = ["PREVIEW_SIDE", "DatasetBuilderController", "SamplePreview", "preview_of"]

log = logging.getLogger(__name__)

SHUTDOWN_WAIT_MS = 15_000  # on closing: how long to let the sample under way finish

Engine = Callable[..., "BuildReport"]


def _default_engine(settings: BuildSettings, **hooks: Any) -> BuildReport:
    from models.dataset_builder.runner import build_dataset

    return build_dataset(settings, **hooks)


class _Relay(QObject):
    """Carries the engine's progress from the worker's thread to the GUI thread (queued)."""

    progress = Signal(str, int, int)  # stage, done, total
    sample = Signal(object)  # SamplePreview


def run_build(engine: Engine, settings: BuildSettings, stop: threading.Event, relay: _Relay) -> BuildReport:
    """The worker's body: ``engine(settings)`` with a progress callback and a cancel poll."""

    def report(p: BuildProgress) -> None:
        relay.progress.emit(p.stage, int(p.done), int(p.total))
        sample, image = p.sample, getattr(p, "image", None)
        if sample is not None and getattr(sample, "label", None) is not None:
            image = image or (Path(settings.out) / sample.file if getattr(sample, "file", None) else None)
            if image is not None and getattr(sample, "status", "ok") == "ok":
                preview = preview_of(sample.index, Path(image), tuple(sample.label))
                if preview is not None:
                    relay.sample.emit(preview)

    return engine(settings, progress=report, cancel=stop.is_set)


class DatasetBuilderController(QObject):
    """Start, pause, resume and cancel builds; feed the panel. ``engine`` is replaceable (tests)."""

    started = Signal(object)  # BuildSettings
    finished = Signal(object)  # BuildReport (``cancelled`` for a pause or a cancel)
    failed = Signal(str)
    state_changed = Signal(str)  # idle, running, pausing, cancelling, paused, done, cancelled, failed

    def __init__(self, panel: DatasetBuilderPanel, parent: QObject | None = None, *,
                 engine: Engine | None = None, status: Callable[[str], None] | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.panel = panel
        self.engine: Engine = engine or _default_engine
        self._status = status or (lambda text: None)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._relay = _Relay(self)
        self._relay.progress.connect(self._on_progress)
        self._relay.sample.connect(panel.add_preview)
        self._worker: Worker | None = None
        self._stop: threading.Event | None = None
        self._settings: BuildSettings | None = None  # of the run under way, or paused
        self._intent: str | None = None  # "pause" or "cancel" once asked
        self.state = "idle"
        panel.start_requested.connect(self.start)
        panel.pause_requested.connect(self.pause)
        panel.resume_requested.connect(self.resume)
        panel.cancel_requested.connect(self.cancel)
        self._set_state("idle")

    # -- intents --------------------------------------------------------------------------------
    def is_running(self) -> bool:
        return self._worker is not None

    @Slot(object)
    def start(self, values: PanelValues | None = None) -> bool:
        """Build with the panel's settings (or ``values``); False when one runs or they are bad."""
        if self.is_running():
            return False
        values = values if values is not None else self.panel.values()
        try:
            settings = values.to_settings()
        except CropStudioError as exc:
            self._fail(str(exc))
            return False
        self.panel.save_settings()
        self.panel.clear_previews()
        return self._run(settings)

    @Slot()
    def pause(self) -> None:
        """Stop after the sample under way; Resume goes on from there."""
        self._ask("pause", "Pausing after the sample under way…")

    @Slot()
    def resume(self) -> bool:
        """Run the paused build's settings again (the engine makes only the missing samples)."""
        if self.is_running() or self._settings is None:
            return False
        return self._run(self._settings)

    @Slot()
    def cancel(self) -> None:
        """Stop after the sample under way and forget the run (what is written stays valid)."""
        if not self.is_running():
            if self.state == "paused":
                self._settings = None
                self.panel.show_status("info", "Cancelled. The samples made so far are kept; Start builds again.")
                self._set_state("cancelled")
            return
        self._ask("cancel", "Cancelling after the sample under way…")

    def shutdown(self, msecs: int = SHUTDOWN_WAIT_MS) -> bool:
        """Closing: ask the run to stop after the current sample and wait for it (bounded);
        the panel's fields are kept for the next start."""
        self.panel.save_settings()
        if self._stop is not None:
            self._intent = self._intent or "pause"
            self._stop.set()
        return self._pool.waitForDone(msecs)

    # -- the run -------------------------------------------------------------------------------
    def _run(self, settings: BuildSettings) -> bool:
        self._settings, self._intent = settings, None
        self._stop = threading.Event()
        worker = Worker(run_build, self.engine, settings, self._stop, self._relay)
        worker.signals.returned.connect(lambda report, w=worker: self._on_returned(w, report))
        worker.signals.errored.connect(lambda exc, w=worker: self._on_errored(w, exc))
        worker.signals.finished.connect(lambda w=worker: self._done(w))
        self._worker = worker
        self.panel.show_progress("samples", 0, settings.samples)
        self.panel.show_status("busy", f"Building {settings.samples} samples into {settings.out}…")
        self._set_state("running")
        self.started.emit(settings)
        self._pool.start(worker)
        return True

    def _ask(self, intent: str, text: str) -> None:
        if not self.is_running() or self._stop is None:
            return
        self._intent = intent
        self._stop.set()
        self.panel.show_status("busy", text)
        self._set_state("pausing" if intent == "pause" else "cancelling")

    def _set_state(self, state: str) -> None:
        self.state = state
        self.panel.set_state(state)
        self.state_changed.emit(state)

    def _fail(self, message: str) -> None:
        self.panel.show_status("error", message)
        self._status(message)
        self._set_state("failed")
        self.failed.emit(message)

    # -- worker outcomes (GUI thread) ------------------------------------------------------------
    @Slot(str, int, int)
    def _on_progress(self, stage: str, done: int, total: int) -> None:
        if self.is_running():
            self.panel.show_progress(stage, done, total)

    def _done(self, worker: Worker) -> bool:
        """Forget ``worker`` if it is the current run's; whether it was."""
        if worker is not self._worker:
            return False
        self._worker = self._stop = None
        return True

    def _on_returned(self, worker: Worker, report: BuildReport) -> None:
        if not self._done(worker):
            return
        made = f"{report.written} new, {report.skipped} earlier" if report.skipped else f"{report.written} new"
        if not report.cancelled:
            self._settings = None
            text = f"Done: {report.images} images ({made}) in {report.out}, {report.seconds:.0f} s."
            if report.rejected or report.failed:
                text += f" {report.rejected} rejected by the quality filter, {report.failed} sources unreadable."
            self.panel.show_status("ok", text)
            self._set_state("done")
        elif self._intent == "cancel":
            self._settings = None
            self.panel.show_status("info", f"Cancelled after {made} samples; they are kept and valid.")
            self._set_state("cancelled")
        else:
            self.panel.show_status("info", f"Paused after {made} samples. Resume goes on where it stopped.")
            self._set_state("paused")
        self._status(self.panel.status()[1])
        self.finished.emit(report)

    def _on_errored(self, worker: Worker, exc: object) -> None:
        if not self._done(worker):
            return
        if isinstance(exc, CropStudioError):
            message = str(exc)
        else:  # a bug, not the user's fault: say so but keep running
            message = f"The dataset build failed: {type(exc).__name__}: {exc}"
        self._settings = None
        self._fail(message)
