"""The crop tool's keys, as Lightroom Classic has them: R, Enter, Esc, the crop preview, overlays.

* R (:meth:`CropTool.enter`): back to the crop tool: preview off, drawing stopped, the
  canvas focused with the crop (not a region) under the arrow keys.
* Enter (:meth:`CropTool.commit`): the crop as it is becomes the point Esc reverts to, and
  the crop preview shows the result (everything outside the crop hidden).
* Esc (:meth:`CropTool.revert`): stop drawing a region if one is being drawn; else the crop
  and layout go back to the last commit (or to how the image opened), one undo step.
* P (:meth:`CropTool.set_preview`): the crop preview on or off.
* Shift+O (:meth:`CropTool.rotate_guide`): the overlay's next orientation.

It holds the commit points, one per image; the :class:`~app.editor.workbench.Workbench` makes the edits.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from app.editor.canvas.guides import TURNS
from app.editor.image_view import ImageView
from app.editor.state import CropState
from app.editor.workbench import Workbench

__all__ = ["CropTool"]


class CropTool(QObject):
    preview_changed = Signal(bool)
    message = Signal(str)  # a short note for the status bar

    def __init__(self, view: ImageView, workbench: Workbench, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._view = view
        self._workbench = workbench
        self._committed: dict[Path, CropState] = {}
        workbench.state_changed.connect(self._on_state)

    def committed(self) -> CropState | None:
        """The current image's commit point (what Esc reverts to)."""
        path = self._workbench.session.current_path()
        return self._committed.get(path) if path is not None else None

    @Slot()
    def enter(self) -> None:
        self.set_preview(False)
        self._view.set_draw_mode(None)
        self._view.select_region(None)
        self._view.setFocus()
        if self._view.crop_box() is not None:
            self.message.emit("Crop tool: drag the crop or its handles; arrows nudge it; Enter commits")

    @Slot()
    def commit(self) -> None:
        path, state = self._workbench.session.current_path(), self._workbench.session.state()
        if path is None or state is None or state.box is None:
            return
        self._view.set_draw_mode(None)
        self._committed[path] = state
        self.set_preview(True)
        b = state.box
        self.message.emit(f"Crop committed ({round(b.width)} x {round(b.height)} px); R edits it again, Esc reverts")

    @Slot()
    def revert(self) -> None:
        if self._view.draw_mode() is not None:
            self._view.set_draw_mode(None)
            return
        committed, state = self.committed(), self._workbench.session.state()
        if committed is None or state is None:
            return
        if committed == state:
            self.message.emit("Nothing to revert since the last commit")
            return
        self._workbench.restore(committed, "Revert crop")
        self.message.emit("Crop reverted to the last commit (Ctrl+Z brings the edit back)")

    @Slot(bool)
    def set_preview(self, on: bool) -> None:
        on = bool(on) and self._view.has_image() and self._view.crop_item is not None
        if on == self._view.crop_preview():
            self.preview_changed.emit(on)
            return
        self._view.set_crop_preview(on)
        self.preview_changed.emit(on)

    @Slot()
    def rotate_guide(self) -> None:
        self._view.set_guide_turn((self._view.guide_turn() + 1) % TURNS)

    @Slot(object, str)
    def _on_state(self, state: CropState, why: str) -> None:
        path = self._workbench.session.current_path()
        if path is None:
            return
        if why == "switch":
            self.set_preview(False)
        if why == "set" or path not in self._committed or self._committed[path].box is None:
            self._committed[path] = state  # how the image opened (its automatic or restored crop)
