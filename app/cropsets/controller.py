"""The crop-set view's logic: one image's crops for every target of a set, kept in step with
the canvas, the project file and the batch export.

* **Set**: :meth:`CropSetController.choose_set` takes a bundled set's name or a TOML file.
  While a set is chosen the view is active; with none, it does nothing and writes nothing.
* **Project file**: for every image it sees, the controller first reads the image's entry in
  its folder's ``.cropstudio.json`` (an image with no regions yet takes the file's), then
  writes the canvas's keep / avoid regions and the targets' manual crops there after each
  change, undo and redo included (:mod:`app.cropsets.project`), through the app's one writer
  of the project files (:class:`app.cropsets.project_files.ProjectFiles`).
* **Crops**: the batch's analysis runs once per image (the window's own is reused when it is
  the same computation, see :func:`app.cropsets.engine.reuses_analysis`), then every target
  is planned in memory from it and the canvas's regions and manual crops, with the batch's own
  :func:`models.cropsets.worker.plan_image` (:func:`app.cropsets.engine.compute_crop_set`):
  nothing is read back from the file. Answers for another image, set or layout are dropped.
* **Targets on the canvas**: :meth:`show_target` puts a target's crop on the canvas with its
  ratio locked (:meth:`app.editor.workbench.Workbench.show_target`); editing it makes it the
  target's manual crop (one undo step). A target with no manual crop follows the computed one.
* **Export**: :class:`app.cropsets.exporter.SetExporter` runs the batch for the current image
  or the whole library, after the queued project writes; afterwards the controller writes
  the canvas's settings again (the batch stores its content hashes over the file it read).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.editor.analysis import ImageAnalysis
from app.cropsets.engine import (
    CropSetRequest,
    CropSetResult,
    ExportChoices,
    SetAnalysis,
    analyse_for_set,
    compute_crop_set,
    reuses_analysis,
    target_choice,
)
from app.cropsets.exporter import SetExporter
from app.cropsets.project import ImageSettings
from app.cropsets.project_files import ProjectFiles
from app.common.display import display_scale
from app.library.images import ImageCache
from app.editor.session import image_key
from app.editor.state import CropState
from app.common.workers import Task, TaskRunner
from models.cropsets import BatchOptions, BatchReport, ImageEntry, RelativePoint, TargetSet, load_target_set
from models.errors import CropStudioError
from models.imaging import LoadedImage

__all__ = ["ANALYSE", "COMPUTE", "ComputeTask", "CropSetController", "SetAnalysisTask"]

log = logging.getLogger(__name__)

ANALYSE = "cropset-analysis"  # task name on the window's TaskRunner
COMPUTE = "cropset-compute"  # ... and of planning the set


class SetAnalysisTask(Task):
    """The batch's analysis of one image: its result is a :class:`SetAnalysis`."""

    returned = Signal(SetAnalysis)


class ComputeTask(Task):
    """Every target's crop of the current image: its result is a :class:`CropSetResult`."""

    returned = Signal(CropSetResult)

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance
    from PySide6.QtWidgets import QWidget

    from app.editor.workbench import Workbench
    from app.library.images import Library


def _message(exc: object) -> str:
    return str(exc) if isinstance(exc, CropStudioError) else f"unexpected error: {type(exc).__name__}: {exc}"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class CropSetController(QObject):
    set_changed = Signal(object)  # TargetSet or None
    pending = Signal(str)  # the set is being computed; why it waits
    result_ready = Signal(object)  # CropSetResult of the current image
    active_changed = Signal(object, bool)  # the target on the canvas (or None), whether it has a manual crop
    status = Signal(str, str)  # level (info, busy, ok, warn, error), text

    def __init__(self, workbench: Workbench, tasks: TaskRunner, files: ProjectFiles, library: Library,
                 current_image: Callable[[], LoadedImage | None], loaded: tuple[SignalInstance, SignalInstance],
                 parent: QWidget, method: str = "attention") -> None:  # fmt: skip
        """``files``: the one writer of the project files; ``loaded``: the window's ``image_loaded``
        and ``analysis_ready`` signals; ``parent`` the widget the export's questions are asked over."""
        super().__init__(parent)
        self._workbench, self._library, self._current = workbench, library, current_image
        self._session = workbench.session
        self._tasks = tasks
        self._files = files
        self.method = method
        self._set: TargetSet | None = None
        self._choices = ExportChoices()
        self._analyses: ImageCache[SetAnalysis] = ImageCache(6)
        self._result: CropSetResult | None = None
        self._asked: CropSetRequest | None = None  # the newest computation submitted
        self._seen: set[Path] = set()  # images whose project entry was read
        self._saved: dict[Path, ImageSettings] = {}  # what the project file holds, as far as we know
        self._focal: dict[Path, RelativePoint | None] = {}  # the project file's focal point of each image
        self._analysing: Path | None = None  # the image ANALYSE runs for
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(30)
        self._timer.timeout.connect(self._refresh)
        self._analyse, self._compute = SetAnalysisTask(tasks, ANALYSE, self), ComputeTask(tasks, COMPUTE, self)
        self._connect_tasks()
        self.exporter = SetExporter(parent, self._tasks, files)
        self.exporter.status.connect(self.status)
        self.exporter.finished.connect(self._after_export)
        workbench.state_changed.connect(self._on_state_changed)
        loaded[0].connect(self._on_image)
        loaded[1].connect(self._on_window_analysis)

    # -- public API -------------------------------------------------------------------------
    def target_set(self) -> TargetSet | None:
        return self._set

    def result(self) -> CropSetResult | None:
        """The current image's set, once computed for its current layout."""
        return self._result

    def is_ready(self) -> bool:
        """Whether the set shown is the current image's, for its current layout and settings."""
        request = self._request()
        return request is not None and self._result is not None and self._result.request == request

    def is_busy(self) -> bool:
        """Whether the set of the current image is still being computed or saved."""
        return self._timer.isActive() or self._files.is_busy() or self._analyse.is_busy() or self._compute.is_busy()

    def is_exporting(self) -> bool:
        return self.exporter.is_running()

    def choose_set(self, name_or_path: str | Path | None) -> bool:
        """Show the set ``name_or_path`` (a bundled name or a TOML file; ``None``: none)."""
        try:
            chosen = None if name_or_path is None else load_target_set(name_or_path)
        except CropStudioError as exc:
            self._result = self._asked = None
            self.set_changed.emit(self._set)  # the panel shows the set still in use again
            text = str(exc) if str(name_or_path) in str(exc) else f"{Path(str(name_or_path)).name}: {exc}"
            self.status.emit("error", f"Set not used: {text}")
            self._schedule()
            return False
        self._set, self._result, self._asked = chosen, None, None
        self.set_changed.emit(chosen)
        state = self._session.state()
        if state is not None and state.target is not None and (chosen is None or state.target not in self._names()):
            self._session.set_state(state.with_(target=None))
        if chosen is not None:
            for path in self._session.states():
                self._read(path)
            self.status.emit("info", f"{chosen.name}: {_plural(len(chosen.targets), 'target')}. Click one to edit "
                                     "its crop on the canvas.")  # fmt: skip
        self._emit_active()
        self._schedule()
        return True

    def set_choices(self, choices: ExportChoices) -> None:
        """The export settings (they also name the outputs and decide upscaling in the view)."""
        self._choices = choices
        self._schedule()

    def show_target(self, name: str) -> None:
        """Put target ``name``'s crop on the canvas, its ratio locked, ready to edit."""
        state, crop = self._session.state(), self._result.crop(name) if self._result else None
        if state is None or crop is None:
            return
        box = state.override(name) or crop.box
        if box is None:
            self.status.emit("warn", f"{name}: {crop.message()}")
            return
        self._workbench.show_target(name, target_choice(crop.target), box)

    def reset_target(self) -> None:
        """Drop the manual crop of the target on the canvas (undoable)."""
        self._workbench.reset_target()

    def export(self, *, all_images: bool = False) -> bool:
        """Export the set of the current image (or of every image in the library) in a worker."""
        current = self._session.current_path()
        if self._set is None or current is None:
            self.status.emit("warn", "Open an image and choose a target set first")
            return False
        sources = (self._library.paths() if all_images else []) or [current]
        options = BatchOptions(out_dir=self._choices.out_dir(current), targets=self._set.targets, method=self.method,
                               naming=self._choices.naming, quality=self._choices.quality,
                               allow_upscale=self._choices.allow_upscale)  # fmt: skip
        return self.exporter.export(sources, options)

    def cancel_export(self) -> None:
        """Stop after the image being cropped (what is written stays, a rerun resumes)."""
        self.exporter.cancel()

    def shutdown(self, msecs: int = 3000) -> None:
        """Stop computing; let the queued project writes finish (for a while)."""
        self.exporter.cancel()
        self._timer.stop()
        self._compute.cancel()
        self._files.wait(msecs)

    # -- the set of the current image ---------------------------------------------------------------
    def _names(self) -> set[str]:
        return {t.name for t in self._set.targets} if self._set else set()

    def _schedule(self) -> None:
        self._timer.start()

    def _analysis(self, path: Path) -> SetAnalysis | None:
        """The batch's analysis of the current image, from the cache or the window; else ask for it."""
        cached = self._analyses.get(path)
        if cached is not None:
            return cached
        window_analysis: ImageAnalysis | None = self._workbench.analysis()
        image: LoadedImage | None = self._current()
        if image is not None and image_key(image.info.path) == path:
            if reuses_analysis(image, self.method, self._workbench.cropper):
                if window_analysis is not None and window_analysis.image is image:
                    found = SetAnalysis(path, image, window_analysis.cropping, self.method)
                    self._analyses.put(path, found)
                    return found
                return None  # the window's arrives soon
        if not self._analyse.is_busy() or self._analysing != path:
            self._analysing = path
            self._analyse.submit(analyse_for_set, path, self.method)
        return None

    def _request(self) -> CropSetRequest | None:
        path, state = self._session.current_path(), self._session.state()
        if self._set is None or path is None or state is None or path not in self._seen:
            return None
        return CropSetRequest(path, self._set.targets, self._choices.out_dir(path), self._choices.naming, self.method,
                              self._choices.allow_upscale, ImageSettings.from_state(state),
                              thumb_scale=display_scale(), focal_point=self._focal.get(path))  # fmt: skip

    @Slot()
    def _refresh(self) -> None:
        path, request = self._session.current_path(), self._request()
        if request is None or path is None:
            if self._set is not None and path is not None:
                self.pending.emit("Reading the project file…")
            return
        if self._result is not None and self._result.request == request:
            return
        analysed = self._analysis(path)
        if analysed is None:
            self.pending.emit("Analysing the image…")
            return
        if request != self._asked:
            self._asked = request
            self.pending.emit("Computing the crops…")
            self._compute.submit(compute_crop_set, request, analysed)

    def _emit_active(self) -> None:
        state = self._session.state()
        target = state.target if state is not None and self._set is not None else None
        self.active_changed.emit(target, target is not None and state.override(target) is not None)

    def _follow(self, result: CropSetResult) -> None:
        """The target on the canvas without a manual crop takes its computed crop."""
        state = self._session.state()
        if state is None or state.target is None:
            return
        crop = result.crop(state.target)
        if crop is None:
            self._session.set_state(state.with_(target=None))
        elif state.override(state.target) is None and crop.box is not None and crop.box != state.box:
            self._session.set_state(state.with_(box=crop.box))

    # -- project file -----------------------------------------------------------------------------
    def _read(self, path: Path) -> None:
        if path not in self._seen:
            self._files.read_entry(path)

    def _write(self, path: Path, state: CropState) -> None:
        settings = ImageSettings.from_state(state)
        if path in self._seen and self._saved.get(path) != settings:
            self._saved[path] = settings
            self._files.save_settings(path, settings)

    def _on_read(self, path: Path, found: ImageSettings | None, error: str | None = None) -> None:
        self._seen.add(path)
        state = self._session.state_of(path)
        if error is not None:
            self.status.emit("error", f"{path.name}: the project file cannot be used: {error}")
        if state is None or found is None:
            self._schedule()
            return
        self._saved[path] = found
        if ImageSettings.from_state(state).is_empty() and not found.is_empty():
            self._session.set_state_of(path, found.apply_to(state))  # the file's regions and manual crops
        else:
            self._write(path, state)
        self._schedule()

    # -- signals --------------------------------------------------------------------------------
    @Slot(object, str)
    def _on_state_changed(self, state: CropState, why: str) -> None:
        path = self._session.current_path()
        if self._set is None or path is None:
            return
        self._write(path, state)
        self._emit_active()
        self._schedule()

    @Slot(object)
    def _on_image(self, image: LoadedImage) -> None:
        if self._set is not None:
            self._result = None
            self.pending.emit("Computing the crops…")  # the previous image's cards go now, not later
            self._read(image_key(image.info.path))
            self._schedule()

    @Slot(object)
    def _on_window_analysis(self, analysis: ImageAnalysis) -> None:
        if self._set is not None:
            self._schedule()

    def _connect_tasks(self) -> None:
        self._analyse.returned.connect(self._on_set_analysis)
        self._analyse.errored.connect(lambda exc: self.status.emit("error", "No analysis for the crop set: "
                                                                             + _message(exc)))  # fmt: skip
        self._compute.returned.connect(self._on_computed)
        self._compute.errored.connect(self._on_compute_errored)
        self._files.entry_read.returned.connect(self._on_entry)
        self._files.entry_read.errored.connect(lambda path, exc: self._on_read(path, None, _message(exc)))
        self._files.settings_written.errored.connect(self._on_write_errored)

    @Slot(object, object)
    def _on_entry(self, path: Path, entry: ImageEntry) -> None:
        self._focal[path] = entry.focal_point
        self._on_read(path, ImageSettings.from_entry(entry))

    @Slot(object)
    def _on_set_analysis(self, value: SetAnalysis) -> None:
        self._analyses.put(value.source, value)
        self._schedule()

    @Slot(object)
    def _on_computed(self, value: CropSetResult) -> None:
        if value.request != self._request():
            log.debug("crop set for an outdated image, set or layout dropped")
            return
        self._result = value
        self.result_ready.emit(value)
        self._follow(value)
        self._emit_active()

    @Slot(object)
    def _on_compute_errored(self, exc: object) -> None:
        self._asked = None
        self.status.emit("error", f"The set cannot be computed: {_message(exc)}")

    @Slot(object, object)
    def _on_write_errored(self, path: Path, exc: object) -> None:
        self._saved.pop(path, None)
        self.status.emit("error", f"{path.name}: regions and manual crops not saved: {_message(exc)}")

    @Slot(object)
    def _after_export(self, report: BatchReport | None) -> None:
        """The batch saved its content hashes over the project file it read: write ours again."""
        for path in self._seen:
            state = self._session.state_of(path)
            if state is not None:
                self._saved.pop(path, None)
                self._write(path, state)
