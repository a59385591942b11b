"""Crop state kept across restarts: each image's crop, aspect and layout, saved and restored.

:class:`CropStore` follows the window: when an image is opened for the first time in a run
it reads what was saved for it (:func:`app.cropsets.project.read_saved`: the folder's
``.cropstudio.json``, else the per-user store) and, if the user has not edited the image yet,
puts it back (no undo step). After the user's edits it writes the image's decision back
(:func:`app.cropsets.project.write_saved`), debounced, through the app's one writer of these
files (:class:`app.cropsets.project_files.ProjectFiles`, one thread, requests in order);
:meth:`CropStore.flush` (on closing) writes what is pending and waits for it. An image the
user never touched is not written, so browsing a folder leaves no file behind.

Where it goes, and why the project file: see :mod:`app.cropsets.project`. A read-only folder
falls back to the per-user store under ``QStandardPaths.AppDataLocation`` (``crops/``), said
once in the status bar; nothing is raised to the user.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from app.cropsets.project import SavedCrop, is_bundled
from app.cropsets.project_files import ProjectFiles
from app.editor.session import image_key
from app.editor.state import CropState
from models.errors import CropStudioError
from models.imaging import LoadedImage

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from app.editor.workbench import Workbench

__all__ = ["SAVE_DELAY_MS", "CropStore"]

log = logging.getLogger(__name__)

SAVE_DELAY_MS = 300  # after the last edit; slider drags write once


class CropStore(QObject):
    restored = Signal(object, object)  # Path, the CropState put back
    saved = Signal(object, str)  # Path, where ("project" or "store")
    status = Signal(str, str)  # level (info, warn, error), text

    def __init__(self, workbench: Workbench, image_loaded: SignalInstance, files: ProjectFiles,
                 parent: QObject | None = None) -> None:  # fmt: skip
        """Follows ``workbench``'s states and ``image_loaded`` (a LoadedImage) of the window;
        ``files`` reads and writes (the one writer of the project files and the store)."""
        super().__init__(parent)
        self._workbench = workbench
        self._session = workbench.session
        self._files = files
        files.saved_read.returned.connect(lambda path, found: self._on_read(path, *found))  # (SavedCrop, warning)
        files.saved_read.errored.connect(self._on_read_errored)
        files.crop_written.returned.connect(self._on_written)
        files.crop_written.errored.connect(self._on_write_errored)
        self._known: dict[Path, SavedCrop] = {}  # images read: what their saved decision is
        self._dirty: dict[Path, SavedCrop] = {}  # to write
        self._warned: set[str] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SAVE_DELAY_MS)
        self._timer.timeout.connect(self._write_pending)
        image_loaded.connect(self._on_image)
        workbench.state_changed.connect(self._on_state)

    @property
    def store(self) -> Path:
        """The per-user fallback store."""
        return self._files.store

    def is_busy(self) -> bool:
        """Whether a read or write is pending or running."""
        return self._timer.isActive() or self._files.is_busy()

    @Slot()
    def resave(self) -> None:
        """Write every saved image's decision again (a batch export rewrote the project file
        from what it read when it started)."""
        for path, known in self._known.items():
            state = self._session.state_of(path)
            if state is not None and not known.is_empty():
                self._dirty[path] = SavedCrop.from_state(state)
        if self._dirty:
            self._timer.start()

    def flush(self, msecs: int = 3000) -> bool:
        """Write what is pending now and wait for it (closing); ``False`` on time-out."""
        self._timer.stop()
        self._write_pending()
        return self._files.wait(msecs)

    # -- signals ----------------------------------------------------------------------------------
    @Slot(object)
    def _on_image(self, image: LoadedImage) -> None:
        path = image_key(image.info.path)
        if path not in self._known:
            self._files.read_saved(path)

    @Slot(object, str)
    def _on_state(self, state: CropState, why: str) -> None:
        path = self._session.current_path()
        if path is None or path not in self._known:
            return  # not read yet: writing now would overwrite what is saved (the read catches up)
        stack = self._session.undo_stack(path)
        edited = why in ("edit", "undo", "redo") or (stack is not None and stack.count() > 0)  # push() redoes first
        self._consider(path, state, edited)

    def _consider(self, path: Path, state: CropState, edited: bool) -> None:
        if not edited and self._known[path].is_empty():
            return  # never touched and nothing saved: leave no file behind
        saved = SavedCrop.from_state(state)
        if saved != self._known[path]:
            self._dirty[path] = saved
            self._timer.start()
        else:
            self._dirty.pop(path, None)

    @Slot()
    def _write_pending(self) -> None:
        for path, saved in self._dirty.items():
            self._known[path] = saved
            self._files.save_crop(path, saved)
        self._dirty.clear()

    @Slot(object, object)
    def _on_written(self, path: Path, where: str) -> None:
        if where == "store" and str(path.parent) not in self._warned:
            self._warned.add(str(path.parent))
            if is_bundled(path):  # the app's own samples: never written next to, and not a problem
                self.status.emit("info", f"Crops of the bundled samples are kept in your app data ({self.store})")
            else:
                self.status.emit("warn", f"Cannot write in '{path.parent}': crops of its images are kept in "
                                         f"your app data ({self.store}) instead")  # fmt: skip
        self.saved.emit(path, where)

    def _on_read(self, path: Path, saved: SavedCrop, warning: str | None) -> None:
        self._known[path] = saved
        if warning:
            self.status.emit("warn", warning)
        state, stack = self._session.state_of(path), self._session.undo_stack(path)
        if state is None:
            return
        if stack is not None and stack.count() > 0:  # edited while the file was read: theirs wins
            self._consider(path, state, edited=True)
            return
        if saved.is_empty():
            return
        restored = saved.apply_to(state)
        by_layout = saved.crop is None and bool(restored.keep or restored.avoid)
        if by_layout:
            restored = restored.with_(box=None, extra=())  # no crop saved: the regions decide it
        self._session.set_state_of(path, restored)
        if path == self._session.current_path():
            if by_layout and self._workbench.analysis() is not None:
                self._workbench.fit_to_layout()  # else the analysis, when it comes, runs it
            self.status.emit("info", f"{path.name}: crop and layout restored from your last session")
        self.restored.emit(path, restored)

    @Slot(object, object)
    def _on_read_errored(self, path: Path, exc: object) -> None:
        self._known[path] = SavedCrop()
        self.status.emit("warn", f"Saved crop not read: {_message(exc)}")

    @Slot(object, object)
    def _on_write_errored(self, path: Path, exc: object) -> None:
        if path in self._known:
            self._known[path] = SavedCrop()  # unknown now: the next change tries again
        self.status.emit("error", f"Crop not saved: {_message(exc)}")


def _message(exc: object) -> str:
    return str(exc) if isinstance(exc, CropStudioError) else f"{type(exc).__name__}: {exc}"
