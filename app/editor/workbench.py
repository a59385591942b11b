"""From the user's intent to crop states: the attention crop, the constrained crop, hand edits.

The :class:`Workbench` owns the :class:`~app.editor.session.CropSession` (per-image states and undo)
and decides which engine answers an intent:

* the tau slider and automatic tau run the attention-rectangle search of the image's
  prepared map; it takes well under a millisecond, so it runs on the GUI thread;
* keep and avoid regions run the design-constraints engine in a worker
  (:mod:`app.editor.constrained`); an impossible layout is reported, never raised;
* a new ratio re-runs whichever engine drives the crop (the regions' when there are any);
* hand edits (drag, resize, nudge) are taken as they are.

A crop set's target can be shown on the canvas (:meth:`Workbench.show_target`): the crop
is then that target's, its ratio locked; hand edits become the target's manual crop
(``CropState.overrides``, one undo step each), and the crop-set view, not the constrained
crop, answers region edits. A new ratio, the tau slider or "Crop to layout" leave the target.

Nothing here touches a widget: the window renders ``state_changed``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.editor.analysis import ImageAnalysis
from app.editor.constrained import CONSTRAINTS, PREVIEW, ConstrainedRuns, _honours, _size_text
from app.editor.panels.attention import AttentionRequest
from app.editor.session import CropSession, StateCommand
from app.editor.state import FREE, AspectChoice, CropState, RegionKind, reshape_box
from app.common.workers import TaskRunner
from models import cropping
from models.attention import AttentionCrop
from models.attention.crop import EXPERT_FREE_RATIOS
from models.constraints import CropProblem
from models.constraints.cropper import AttentionCropper
from models.errors import CropStudioError
from models.geometry import AspectRatio, Box
from models.imaging import LoadedImage

__all__ = ["CONSTRAINTS", "DEBOUNCE_MS", "PREVIEW", "PREVIEW_MS", "Workbench"]

DEBOUNCE_MS = 120  # after an edit: wait for the next one
PREVIEW_MS = 60  # while dragging: at most one computation per interval


class Workbench(ConstrainedRuns, QObject):
    state_changed = Signal(object, str)  # the current image's CropState, and why (see CropSession)
    attention_crop = Signal(object)  # models.attention.AttentionCrop, or None when none fits
    attention_message = Signal(str)
    layout_status = Signal(str, str)  # level (info, busy, ok, warn, error), text
    constrained_ready = Signal(object)  # app.editor.analysis.ConstrainedCrop, once applied
    constrained_failed = Signal(str)
    preview_ready = Signal(object)  # Box: the constrained crop for a region being dragged

    def __init__(self, tasks: TaskRunner, parent: QObject | None = None, *, cropper: AttentionCropper | None = None):
        super().__init__(parent)
        self.session = CropSession(self)
        self.session.state_changed.connect(self._on_state_changed)
        self.cropper = cropper or AttentionCropper()
        self._connect_tasks(tasks)
        self._analysis: ImageAnalysis | None = None
        self._request = AttentionRequest(tau=0.7)
        self._default_aspect: AspectChoice = FREE
        self._command: StateCommand | None = None  # the edit the next constrained answer completes
        self._inflight: tuple[Path, CropProblem] | None = None
        self._waiting = False  # a constrained crop waits for the analysis
        self._error: tuple[tuple[object, ...], str] | None = None  # (layout key, message) of the last failure
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._run_constrained)
        self._preview: CropState | None = None  # the layout as a drag shows it, not yet an edit
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_MS)
        self._preview_timer.timeout.connect(self._run_preview)

    # -- images ------------------------------------------------------------------------------
    def open_image(self, image: LoadedImage) -> CropState:
        """Make ``image`` current: its kept state, or a new one with the current aspect choice."""
        self._stop_constrained()
        self._analysis = None
        initial = CropState((image.info.width, image.info.height), aspect=self._default_aspect)
        return self.session.activate(image.info.path, initial)

    def analysis(self) -> ImageAnalysis | None:
        return self._analysis

    def set_analysis(self, result: ImageAnalysis) -> None:
        """The current image's analysis arrived: make its first crop, or run waiting requests."""
        self._analysis = result
        state = self.session.state()
        if state is None:
            return
        if state.keep or state.avoid:
            self.attention_message.emit("Attention map ready; the crop follows the layout regions.")
            if state.box is None or self._waiting or self._timer.isActive():
                self._schedule(self._command)
            return
        if state.box is None:
            crop = self._attention(state)
            box = crop.boxes[0] if crop else reshape_box(None, self._ratio_value(state), *state.image_size)
            self.session.set_state(state.with_(box=box, extra=crop.boxes[1:] if crop else ()))
            self.attention_crop.emit(crop)
        else:
            self._describe_kept(state)

    def _describe_kept(self, state: CropState) -> None:
        """Say where a crop the image already has comes from (only what is true of it)."""
        stack = self.session.undo_stack()
        if stack is not None and stack.count() > 0:
            self.attention_message.emit("Crop kept from your edits; move the slider to recompute it.")
            return
        crop = self._attention(state)  # says what the attention crop is
        if crop is not None and crop.boxes[0] != state.box:
            self.attention_message.emit("Crop saved in an earlier session; move the slider to recompute it.")
        elif crop is not None:
            self.attention_crop.emit(crop)

    def analysis_failed(self, message: str) -> None:
        self.attention_message.emit(f"No attention map: {message}")
        state = self.session.state()
        if state is not None and state.box is None:
            self.session.set_state(state.with_(box=reshape_box(None, self._ratio_value(state), *state.image_size)))

    # -- intents -------------------------------------------------------------------------------
    @Slot(object)
    def set_attention_request(self, request: AttentionRequest) -> None:
        """The tau slider, automatic tau or two regions changed: recompute the crop."""
        self._request = request
        state = self.session.state()
        if state is None or self._analysis is None:
            return
        self._stop_constrained()
        crop = self._attention(state)
        if crop is not None:
            label = "automatic tau" if request.tau is None else f"tau {request.tau:.0%}"
            new = state.with_(box=crop.boxes[0], extra=crop.boxes[1:], target=None)
            self.session.edit(new, f"Attention crop ({label})", merge="attention")
        self.attention_crop.emit(crop)

    def attention_request(self) -> AttentionRequest:
        return self._request

    @Slot(object)
    def set_aspect(self, choice: AspectChoice) -> None:
        """A new ratio (or target size): the crop takes it, and its engine runs again."""
        self._default_aspect = choice
        state = self.session.state()
        if state is None:
            return
        new = state.with_(aspect=choice, target=None)
        text = f"Aspect {choice.label}"
        if new.keep or new.avoid:
            box = reshape_box(state.box, self._ratio_value(new), *state.image_size)
            self._schedule(self.session.edit(new.with_(box=box, extra=()), text))
            return
        self._stop_constrained()
        crop = self._attention(new) if self._analysis is not None else None
        if crop is not None:
            self.session.edit(new.with_(box=crop.boxes[0], extra=crop.boxes[1:]), text)
        else:
            box = reshape_box(state.box, self._ratio_value(new), *state.image_size) if state.box else None
            self.session.edit(new.with_(box=box, extra=()), text)
        if self._analysis is not None:
            self.attention_crop.emit(crop)

    @Slot()
    def toggle_ratio_lock(self) -> None:
        """Lock the ratio at the crop's own shape (A), or free a locked one; the crop stays."""
        state = self.session.state()
        if state is None or state.box is None:
            return
        if state.aspect.kind == "free":
            b = state.box.rounded()
            w, h = max(int(b.width), 1), max(int(b.height), 1)
            ratio = AspectRatio(w // math.gcd(w, h), h // math.gcd(w, h))
            choice, text = AspectChoice("ratio", ratio, label=str(ratio)), "Lock ratio"
        else:
            choice, text = FREE, "Unlock ratio"
        self._default_aspect = choice
        self._stop_constrained()
        self.session.edit(state.with_(aspect=choice, target=None), text)

    @Slot()
    def reset_crop(self) -> None:
        """Back to the automatic crop (Ctrl+Alt+R): the layout's, a target's, or the attention crop."""
        state = self.session.state()
        if state is None:
            return
        if state.target is not None:
            self.reset_target()
        elif state.keep or state.avoid:
            self.fit_to_layout()
        elif self._analysis is not None:
            self._stop_constrained()
            crop = self._attention(state)
            if crop is not None:
                self.session.edit(state.with_(box=crop.boxes[0], extra=crop.boxes[1:]), "Reset to the automatic crop")
            self.attention_crop.emit(crop)

    def restore(self, state: CropState, text: str) -> None:
        """Make ``state`` the current image's again (Esc reverts to the last commit): one undo step."""
        current = self.session.state()
        if current is None or current == state:
            return
        self._stop_constrained()
        self.session.edit(state, text)

    def default_aspect(self) -> AspectChoice:
        """The choice new images start with (the last one picked)."""
        return self._default_aspect

    @Slot()
    def swap_orientation(self) -> None:
        """Portrait <-> landscape: the ratio swaps (a free crop turns about its centre)."""
        state = self.session.state()
        if state is None:
            return
        if state.aspect.kind != "free":
            self.set_aspect(state.aspect.swapped(state.image_size))
            return
        if state.box is None:
            return
        b = state.box
        turned = reshape_box(b, b.height / b.width, *state.image_size) if b.width and b.height else b
        self.edit_crop(b, turned.rounded(), "swap")

    @Slot(object, object, str)
    def edit_crop(self, before: Box, after: Box, how: str) -> None:
        """The user moved, resized or nudged the crop."""
        state = self.session.state()
        if state is None:
            return
        self._stop_constrained()
        text = {"move": "Move crop", "resize": "Resize crop", "nudge": "Nudge crop", "swap": "Swap orientation"}
        label, new = text.get(how, "Edit crop"), state.with_(box=after, extra=())
        if state.target is not None and how != "swap":  # a target's crop moved by hand: its manual crop
            label, new = f"{label} ({state.target})", new.with_override(state.target, after)
        elif how == "swap":
            new = new.with_(target=None)
        self.session.edit(new, label, merge="nudge-crop" if how == "nudge" else None)

    def apply_crop(self, box: Box, text: str) -> None:
        """Make ``box`` the crop (a suggestion picked, say): one undo step named ``text``."""
        state = self.session.state()
        if state is None:
            return
        self._stop_constrained()
        self.session.edit(state.with_(box=box.clipped(*state.image_size), extra=(), target=None), text)

    def show_target(self, name: str, choice: AspectChoice, box: Box) -> None:
        """Show crop-set target ``name`` on the canvas: its ratio (``choice``) and crop ``box``."""
        state = self.session.state()
        if state is None:
            return
        self._stop_constrained()
        self.session.edit(state.with_(aspect=choice, box=box, extra=(), target=name), f"Show target {name}")

    def reset_target(self) -> None:
        """Drop the manual crop of the target on the canvas (the crop-set view recomputes it)."""
        state = self.session.state()
        if state is None or state.target is None or state.override(state.target) is None:
            return
        self.session.edit(state.with_override(state.target, None), f"Automatic crop ({state.target})")

    @Slot(str, object)
    def add_region(self, kind: RegionKind, box: Box) -> None:
        state = self.session.state()
        if state is None:
            return
        box = box.clipped(*state.image_size)
        if box.area <= 0:
            return
        regions = (*state.regions(kind), box)
        self._schedule(self.session.edit(state.with_regions(kind, regions), f"Add {kind} region"))

    @Slot(str, int, object)
    def preview_region(self, kind: RegionKind, index: int, box: Box) -> None:
        """A region is being dragged: compute its constrained crop live (throttled), for display."""
        state = self.session.state()
        if state is None or state.target is not None or not 0 <= index < len(state.regions(kind)):
            return
        regions = list(state.regions(kind))
        regions[index] = box
        self._preview = state.with_regions(kind, tuple(regions))
        if not self._preview_timer.isActive():
            self._preview_timer.start()

    @Slot(str, int, object, object, str)
    def edit_region(self, kind: RegionKind, index: int, before: Box, after: Box, how: str) -> None:
        self._stop_preview()
        state = self.session.state()
        if state is None or not 0 <= index < len(state.regions(kind)):
            return
        regions = list(state.regions(kind))
        regions[index] = after
        verb = {"move": "Move", "resize": "Resize", "nudge": "Nudge"}.get(how, "Edit")
        command = self.session.edit(state.with_regions(kind, tuple(regions)), f"{verb} {kind} region {index + 1}",
                                    merge=f"nudge-{kind}-{index}" if how == "nudge" else None)  # fmt: skip
        self._schedule(command)

    @Slot(str, int)
    def delete_region(self, kind: RegionKind, index: int) -> None:
        state = self.session.state()
        if state is None or not 0 <= index < len(state.regions(kind)):
            return
        regions = state.regions(kind)[:index] + state.regions(kind)[index + 1 :]
        if not regions and not state.regions("avoid" if kind == "keep" else "keep"):
            self._no_regions(state.with_regions(kind, ()), f"Delete {kind} region {index + 1}")
            return
        self._schedule(self.session.edit(state.with_regions(kind, regions), f"Delete {kind} region {index + 1}"))

    @Slot()
    def clear_regions(self) -> None:
        state = self.session.state()
        if state is None or not (state.keep or state.avoid):
            return
        self._no_regions(state.with_(keep=(), avoid=()), "Clear regions")

    def _no_regions(self, cleared: CropState, text: str) -> None:
        """The last region is gone: the crop follows the attention again, and the panel says so."""
        self._stop_constrained()
        self._error = None
        crop = self._attention(cleared) if self._analysis is not None and cleared.target is None else None
        if crop is not None:
            cleared = cleared.with_(box=crop.boxes[0], extra=crop.boxes[1:])
        self.session.edit(cleared, text)
        if crop is not None:
            self.attention_crop.emit(crop)

    @Slot()
    def fit_to_layout(self) -> None:
        """Recompute the constrained crop now (after hand edits, say)."""
        self._command = None
        self._timer.start(0)

    def is_computing(self) -> bool:
        """Whether a constrained crop is scheduled or running."""
        return self._timer.isActive() or self._inflight is not None or self._waiting

    # -- the attention crop (GUI thread: a search on the prepared map is ~0.1 ms) ---------
    def _attention(self, state: CropState) -> AttentionCrop | None:
        assert self._analysis is not None
        request, ratio = self._request, state.ratio
        asked = cropping.Request(ratio, method="tau", tau=request.tau, regions=request.regions if ratio else 1,
                                 free_ratio_bounds=EXPERT_FREE_RATIOS)  # no slivers (issue 19)
        fallback = None
        try:
            result = cropping.crop(self._analysis.cropping, asked)
        except CropStudioError as exc:
            self.attention_message.emit(str(exc))
            result = fallback = getattr(exc, "fallback", None)  # tau cannot be kept: the whole-head crop keeping most
            if result is None:
                return None
        found = result.details
        crop = AttentionCrop(result.boxes, found.map_boxes, found.tau, found.kept, found.area_fraction, found.aspect,
                             found.auto, found.note, result.left_out_heads)  # fmt: skip
        if fallback is not None:
            return crop
        if len(crop.boxes) > 1:  # two regions: the larger one is the crop to edit and export
            crop = replace(crop, boxes=tuple(sorted(crop.boxes, key=lambda b: -b.area)))
        sizes = ", ".join(_size_text(b) for b in crop.boxes)
        text = crop.note or f"Keeps {crop.kept:.0%} of the attention in {crop.area_fraction:.0%} of the frame ({sizes})"
        if crop.auto is not None:
            text = f"Automatic tau {crop.tau:.0%} (gamma {crop.auto.gamma:.2f}). " + text
        text += "".join(f" It leaves out head #{h.index + 1}: {h.reason}." for h in result.left_out_heads)
        self.attention_message.emit(text)
        return crop

    @staticmethod
    def _ratio_value(state: CropState) -> float | None:
        ratio = state.ratio
        return ratio.value if ratio is not None else None

    # -- state relay -----------------------------------------------------------------------
    @Slot(object, str)
    def _on_state_changed(self, state: CropState, why: str) -> None:
        if why in ("undo", "redo", "switch"):
            self._stop_constrained()  # what was asked for is not what is shown any more
            self._stop_preview()
        self.state_changed.emit(state, why)
        if not self.is_computing():
            self._report_layout(state)

    def _report_layout(self, state: CropState) -> None:
        if not (state.keep or state.avoid):
            self.layout_status.emit("info", "Draw keep or avoid regions; the crop follows them.")
        elif self._error is not None and self._error[0] == state.layout_key():
            self.layout_status.emit("error", f"No crop fits this layout: {self._error[1]}")
        elif broken := state.violations():
            self.layout_status.emit("warn", f"The crop {', '.join(broken)}. “Crop to layout” fixes it.")
        elif state.box is not None:
            self.layout_status.emit("ok", f"The crop {_honours(state)}.")
