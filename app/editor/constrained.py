"""The workbench's constrained crop: keep and avoid regions answered by the design-constraints
engine in a worker (:class:`ConstrainedTask` ``"constraints"``, debounced; ``"constraints-preview"``
while a region is dragged), its answer folded into the edit that asked for it, an impossible layout reported
on ``layout_status``. A mixin of :class:`app.editor.workbench.Workbench`, whose state it uses.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal, Slot

from app.common.workers import Task, TaskRunner
from app.editor.analysis import ConstrainedCrop, propose_crop
from app.editor.session import StateCommand
from app.editor.state import CropState
from models.constraints import CropProblem
from models.errors import CropStudioError
from models.geometry import AspectRatio, Box

__all__ = ["CONSTRAINTS", "PREVIEW", "ConstrainedRuns", "ConstrainedTask"]

log = logging.getLogger("app.editor.workbench")

CONSTRAINTS = "constraints"  # task name of the constrained crop
PREVIEW = "constraints-preview"  # ... and of the live one while a region is dragged


class ConstrainedTask(Task):
    """The constrained crop's worker: its result is a :class:`ConstrainedCrop`."""

    returned = Signal(ConstrainedCrop)


def _size_text(box: Box) -> str:
    return f"{round(box.width)}x{round(box.height)} px"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}"


def _honours(state: CropState) -> str:
    """``"keeps 2 regions and avoids 1 region"``, naming only the kinds there are."""
    parts = [f"keeps {_count(len(state.keep), 'region')}"] if state.keep else []
    parts += [f"avoids {_count(len(state.avoid), 'region')}"] if state.avoid else []
    return " and ".join(parts)


class ConstrainedRuns:
    """The constrained-crop half of the workbench (its timers, task keys and answers)."""

    # -- the constrained crop (worker) ---------------------------------------------------------
    def _connect_tasks(self, tasks: TaskRunner) -> None:
        """The two workers of the constrained crop, each with its own typed signals."""
        self._constrained = ConstrainedTask(tasks, CONSTRAINTS, self)  # type: ignore[arg-type]
        self._previewing = ConstrainedTask(tasks, PREVIEW, self)  # type: ignore[arg-type]
        self._constrained.returned.connect(self._on_constrained_returned)
        self._constrained.errored.connect(self._on_constrained_errored)
        self._previewing.returned.connect(self._on_preview_returned)
        self._previewing.errored.connect(self._on_preview_errored)

    def _schedule(self, command: StateCommand | None) -> None:
        state = self.session.state()
        if state is None or not (state.keep or state.avoid):
            self._stop_constrained()
            return
        if state.target is not None:  # the crop-set view computes this target's crop
            self._stop_constrained()
            self.layout_status.emit("info", f"The crop is target {state.target}'s; the crop-set view follows the "
                                            "regions. “Crop to layout” leaves the target.")  # fmt: skip
            return
        self._command = command
        self._timer.start()
        self.layout_status.emit("busy", "Computing the constrained crop…")

    def _stop_constrained(self) -> None:
        self._timer.stop()
        self._waiting = False
        self._constrained.cancel()
        self._inflight = None
        self._command = None

    def _stop_preview(self) -> None:
        self._preview = None
        self._preview_timer.stop()
        self._previewing.cancel()

    @Slot()
    def _run_preview(self) -> None:
        preview = self._preview
        if preview is None or self._analysis is None:
            return
        try:
            problem = self._problem(preview)
        except CropStudioError as exc:
            self.layout_status.emit("warn", f"No crop fits the region here: {exc}")
            return
        self._previewing.submit(propose_crop, self.cropper, self._analysis, problem)

    @Slot()
    def end_preview(self) -> None:
        """A region drag ended without an edit: show the state again, not the preview."""
        if self._preview is None:
            return
        self._stop_preview()
        state = self.session.state()
        if state is not None:
            self.state_changed.emit(state, "set")

    @staticmethod
    def _problem(state: CropState) -> CropProblem:
        """The constrained-crop request for ``state`` (free ratio: the crop's current shape);
        raises InvalidInputError for regions the engine refuses."""
        ratio = state.ratio
        if ratio is None:
            w, h = (state.box.width, state.box.height) if state.box else state.image_size
            ratio = AspectRatio(max(w, 1), max(h, 1))
        return CropProblem(state.image_size, ratio, state.keep, state.avoid)

    @Slot()
    def _run_constrained(self) -> None:
        state, path = self.session.state(), self.session.current_path()
        if state is None or path is None or not (state.keep or state.avoid):
            return
        if self._analysis is None:
            self._waiting = True  # set_analysis() runs it
            self.layout_status.emit("busy", "Waiting for the attention map…")
            return
        self._waiting = False
        try:
            problem = self._problem(state)
        except CropStudioError as exc:
            self._fail(state, str(exc))
            return
        self._inflight = (path, problem)
        self._constrained.submit(propose_crop, self.cropper, self._analysis, problem)

    def _matches(self, state: CropState, problem: CropProblem) -> bool:
        same_ratio = state.ratio is None or state.ratio == problem.aspect
        return same_ratio and (state.image_size, state.keep, state.avoid) == (problem.image_size, problem.keep, problem.avoid)

    @Slot(object)
    def _on_preview_returned(self, result: ConstrainedCrop) -> None:
        if self._preview is not None and self._matches(self._preview, result.problem):
            self.preview_ready.emit(result.proposal.box)

    @Slot(object)
    def _on_preview_errored(self, exc: object) -> None:
        if self._preview is not None:
            self.layout_status.emit("warn", f"No crop fits the region here: {exc}")

    @Slot(object)
    def _on_constrained_returned(self, result: ConstrainedCrop) -> None:
        inflight, self._inflight = self._inflight, None
        state, path = self.session.state(), self.session.current_path()
        if state is None or inflight is None or inflight[0] != path or not self._matches(state, result.problem):
            log.debug("constrained crop for an outdated layout dropped")
            return
        self._error = None
        command, self._command = self._command, None
        new = state.with_(box=result.proposal.box, extra=(), target=None)
        if command is None or not self.session.amend(command, new):
            self.session.edit(new, "Crop to layout")
        left = result.result.left_out_heads if result.result is not None else ()
        heads = "".join(f" It leaves out head #{h.index + 1}: {h.reason}." for h in left)
        self.layout_status.emit("ok", f"Crop {_size_text(result.proposal.box)} {_honours(state)}.{heads}")
        self.attention_message.emit("The crop follows the layout regions; move the slider to crop by attention.")
        self.constrained_ready.emit(result)

    @Slot(object)
    def _on_constrained_errored(self, exc: object) -> None:
        self._inflight = None
        self._command = None
        state = self.session.state()
        if isinstance(exc, CropStudioError):
            message = str(exc)
        else:
            message = f"Unexpected error in the constrained crop: {type(exc).__name__}: {exc}"
        if state is not None:
            self._fail(state, message)

    def _fail(self, state: CropState, message: str) -> None:
        self._error = (state.layout_key(), message)
        self.layout_status.emit("error", f"No crop fits this layout: {message}")
        self.constrained_failed.emit(message)
