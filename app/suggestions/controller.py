"""The suggestions panel's logic: when to ask ProCrop, and what to do with its answer.

* **When**: "Suggest" runs it; so does a new image, or a new locked ratio, while the panel
  is visible (and showing the panel runs it when its crops are out of date). Nothing runs on
  the GUI thread: :func:`app.suggestions.engine.compute_suggestions` runs in a worker of the
  window's :class:`~app.common.workers.TaskRunner` as a :class:`SuggestTask` (its result a
  :class:`~app.suggestions.engine.SuggestResult`) with progress and cancel.
* **Stale answers**: a new image, ratio or index supersedes the running request (the
  runner drops its result), and an answer whose request no longer matches the window's image
  and ratio is dropped here too.
* **Applying**: a clicked card becomes the crop through
  :meth:`app.editor.workbench.Workbench.apply_crop`, one undo step.
* **The index**: the one chosen is kept in ``QSettings`` (``suggestions/index``, empty for the
  default) and chosen again at startup once a worker has read it (an :class:`IndexCheckTask`);
  a saved folder that is gone or is not an index falls back to the default, with a message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, Signal, Slot

from app.common.display import display_scale
from app.common.workers import Task, TaskRunner
from app.editor.session import image_key
from app.editor.state import CropState
from app.suggestions.engine import STEPS, SuggestRequest, SuggestResult, compute_suggestions
from models.errors import CropStudioError
from models.imaging import LoadedImage
from models.procrop.index import load_index

if TYPE_CHECKING:
    from app.suggestions.panel import SuggestionsPanel
    from PySide6.QtCore import SignalInstance
    from app.editor.workbench import Workbench

__all__ = ["INDEX_CHECK", "SETTINGS_INDEX", "SUGGEST", "IndexCheckTask", "SuggestTask", "SuggestionsController"]

log = logging.getLogger(__name__)

SUGGEST = "suggest"  # task name on the window's TaskRunner
INDEX_CHECK = "suggest-index"  # ... and of reading the saved index at startup
SETTINGS_INDEX = "suggestions/index"


def _check_index(folder: Path) -> Path:
    """``folder`` if it holds a readable ProCrop index (InvalidInputError otherwise)."""
    load_index(folder)
    return folder


class SuggestTask(Task):
    """ProCrop's ranking of one image: its result is a :class:`SuggestResult`."""

    returned = Signal(SuggestResult)


class IndexCheckTask(Task):
    """Reading the saved index folder at startup: its result is the folder (a ``Path``)."""

    returned = Signal(Path)


class SuggestionsController(QObject):
    result_ready = Signal(object)  # app.suggestions.engine.SuggestResult, once shown
    failed = Signal(str)
    index_restored = Signal(object)  # the saved index once checked at startup: a Path, or None (the default)

    def __init__(self, panel: SuggestionsPanel, workbench: Workbench, tasks: TaskRunner, image_loaded: SignalInstance,
                 current_image: Callable[[], LoadedImage | None], say: Callable[[str], None],
                 parent: QObject | None = None) -> None:  # fmt: skip
        """``image_loaded`` is the window's signal (a LoadedImage); ``say`` shows a status message."""
        super().__init__(parent)
        self._workbench, self._current, self._say = workbench, current_image, say
        self.panel = panel
        self._index: Path | None = None
        self._shown: SuggestRequest | None = None  # the request whose cards are shown
        self._running: SuggestRequest | None = None
        self._settled: SuggestRequest | None = None  # the last request answered, failed or cancelled
        self._visible = False  # the dock's tab is shown (a tabbed dock stays isVisible() behind its tab)
        self._suggesting, self._checking = SuggestTask(tasks, SUGGEST, self), IndexCheckTask(tasks, INDEX_CHECK, self)
        self._suggesting.started.connect(lambda: self._on_progress(0, STEPS))
        self._suggesting.progress.connect(self._on_progress)
        self._suggesting.returned.connect(self._on_returned)
        self._suggesting.errored.connect(self._on_errored)
        self._checking.returned.connect(self._on_index_checked)
        self._checking.errored.connect(self._on_index_errored)
        panel.suggest_requested.connect(self.suggest)
        panel.cancel_requested.connect(self.cancel)
        panel.suggestion_clicked.connect(self.apply)
        panel.index_chosen.connect(self.set_index)
        image_loaded.connect(self._on_image)
        workbench.state_changed.connect(self._on_state)
        self._restoring: Path | None = None  # the saved index being checked
        self.restore_index()

    # -- intents ------------------------------------------------------------------------------
    def request(self) -> SuggestRequest | None:
        """What a suggestion would be computed for now (``None`` without an image)."""
        image, state = self._current(), self._workbench.session.state()
        if image is None or state is None:
            return None
        ratio = state.ratio
        return SuggestRequest(image_key(image.info.path), state.image_size,
                              ratio.value if ratio is not None else None, self._index,
                              keep=tuple(state.keep), avoid=tuple(state.avoid), thumb_scale=display_scale())  # fmt: skip

    @Slot()
    def suggest(self) -> None:
        """Compute suggestions for the current image and ratio in a worker."""
        request, image = self.request(), self._current()
        if request is None or image is None:
            self.panel.show_status("info", "Open an image first.")
            return
        self._running = request
        self.panel.set_busy(True, 0, 0)
        self.panel.show_status("busy", "Ranking crops with ProCrop…")
        self._suggesting.submit(compute_suggestions, image.rgb, request)

    @Slot()
    def cancel(self) -> None:
        if self._running is None:
            return
        self._suggesting.cancel()
        self._settled, self._running = self._running, None
        self.panel.set_busy(False)
        self.panel.show_status("info", "Cancelled. Suggest to try again.")

    @Slot(int)
    def apply(self, rank: int) -> None:
        """Make suggestion ``rank`` of the shown ones the crop (one undo step)."""
        card = next((c for c in self.panel.cards if c.crop.rank == rank), None)
        if card is None or self._shown != self.request():
            return
        self._workbench.apply_crop(card.crop.box, f"Apply suggestion #{rank + 1}")

    @Slot(object)
    def set_index(self, folder: Path | None) -> None:
        """Retrieve from ``folder`` (``None``: the bundled index); it loads in the worker.
        The choice is saved for the next start."""
        self._index = Path(folder) if folder is not None else None
        self._restoring = None  # the user's choice wins over a saved one still being checked
        self._checking.cancel()
        QSettings().setValue(SETTINGS_INDEX, str(self._index) if self._index is not None else "")
        self._settled = None
        self._stale("")
        if self._current() is not None:
            self.suggest()

    def index(self) -> Path | None:
        """The index folder in use (``None``: the bundled one)."""
        return self._index

    def restore_index(self) -> None:
        """Choose the index saved by the last session again, once a worker has read it."""
        saved = str(QSettings().value(SETTINGS_INDEX, "") or "")
        if not saved:
            return
        folder = Path(saved)
        if not folder.is_dir():
            self._index_lost(f"The saved ProCrop index '{folder}' no longer exists; using the default index.")
            return
        self._restoring = folder
        self.panel.show_status("busy", f"Reading the index {folder.name}…")
        self._checking.submit(_check_index, folder)

    def _index_lost(self, message: str) -> None:
        QSettings().setValue(SETTINGS_INDEX, "")
        self.panel.show_status("warn", message)
        self._say(message)
        self.index_restored.emit(None)

    def is_running(self) -> bool:
        return self._running is not None

    def shown(self) -> SuggestRequest | None:
        return self._shown

    # -- keeping up with the window --------------------------------------------------------------
    def _wanted(self) -> bool:
        return self._visible

    @Slot(bool)
    def panel_shown(self, visible: bool) -> None:
        """The dock was shown or hidden: catch up when its crops are out of date."""
        self._visible = visible
        if visible and self._running is None and self.request() not in (self._shown, self._settled):
            self.suggest()

    @Slot(object)
    def _on_image(self, _image: LoadedImage) -> None:
        self._follow()

    @Slot(object, str)
    def _on_state(self, _state: CropState, _why: str) -> None:
        self._follow()

    def _follow(self) -> None:
        """The image, ratio or layout regions may have changed: drop what no longer fits, and run again."""
        request = self.request()
        if request is None or request in (self._settled, self._running):
            return
        self._stale("Out of date: the image, ratio or layout regions changed." if self._shown else "")
        if self._wanted():
            self.suggest()

    def _stale(self, text: str) -> None:
        if self._running is not None:
            self._suggesting.cancel()
            self._running = None
            self.panel.set_busy(False)
        if self._shown is not None:
            self._shown = None
            self.panel.clear(text or "Suggest to rank crops of this image.")

    # -- task outcomes (GUI thread) -----------------------------------------------------------
    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if self._running is not None:
            self.panel.set_busy(True, done, total)

    @Slot(object)
    def _on_index_checked(self, folder: Path) -> None:
        if self._restoring is not None and folder == self._restoring:
            self._restoring = None
            self.panel.set_index_folder(folder)  # as if picked: emits index_chosen -> set_index
            self.panel.show_status("info", f"Index {folder.name} (from your last session). Suggest to rank crops.")
            self.index_restored.emit(folder)

    @Slot(object)
    def _on_index_errored(self, exc: object) -> None:
        if self._restoring is not None:
            folder, self._restoring = self._restoring, None
            detail = str(exc) if isinstance(exc, CropStudioError) else f"{type(exc).__name__}: {exc}"
            self._index_lost(f"The saved ProCrop index '{folder}' cannot be used ({detail}); using the default index.")

    @Slot(object)
    def _on_returned(self, result: SuggestResult) -> None:
        running, self._running = self._running, None
        self._settled = running
        self.panel.set_busy(False)
        if result.request != running or running != self.request():
            log.debug("dropped a stale suggestion result")
            return
        self._shown = result.request
        self.panel.show_result(result)
        self.result_ready.emit(result)

    @Slot(object)
    def _on_errored(self, exc: object) -> None:
        self._settled, self._running = self._running, None
        self.panel.set_busy(False)
        if isinstance(exc, CropStudioError):
            message = str(exc)
        else:
            message = f"ProCrop failed: {type(exc).__name__}: {exc}"
        self.panel.clear()
        self.panel.show_status("error", message)
        self.failed.emit(message)
