"""The one owner of the project files' reads and writes in the app.

Two features keep things in an image folder's ``.cropstudio.json`` (and, for a folder that
cannot be written, the per-user store): the crop store (each image's crop, aspect and layout,
:mod:`app.cropsets.crop_store`) and the crop-set view (regions and manual crops per target,
:mod:`app.cropsets.controller`). Both ask :class:`ProjectFiles`, which runs every read and
write, in the order asked, on one thread of its own: two read-modify-writes of a file never
interleave, with no lock shared between threads. Each kind of request has its own typed
:class:`~app.common.workers.ItemTask` (the item: the image's path); ``idle`` says that the
last request has landed (the set's batch export waits for it: the batch reads the file).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths

from app.common.workers import ItemTask, TaskRunner
from app.cropsets.project import ImageSettings, SavedCrop, read_entry, read_saved, write_saved, write_settings

__all__ = ["ProjectFiles", "default_store_dir"]

log = logging.getLogger(__name__)


def default_store_dir() -> Path:
    """The per-user fallback store: ``<AppDataLocation>/crops``."""
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".cropstudio") / "crops"


class ProjectFiles(QObject):
    """Every read and write of the project files and the per-user ``store``, in order, on one thread.

    Results come on the tasks' signals: ``saved_read`` (``(SavedCrop, warning or None)``),
    ``entry_read`` (the :class:`~models.cropsets.project.ImageEntry`), ``crop_written``
    (``"project"`` or ``"store"``) and ``settings_written`` (whether the file changed).
    """

    def __init__(self, store: Path | None = None, parent: QObject | None = None) -> None:
        """``store``: the per-user fallback store (``None``: :func:`default_store_dir`)."""
        super().__init__(parent)
        self.store = store if store is not None else default_store_dir()
        self._io = TaskRunner(self, max_threads=1)  # FIFO: one thread, requests in order
        self.idle = self._io.idle
        self.saved_read = ItemTask(self._io, "read-saved", self)
        self.entry_read = ItemTask(self._io, "read-entry", self)
        self.crop_written = ItemTask(self._io, "write-crop", self)
        self.settings_written = ItemTask(self._io, "write-settings", self)

    def read_saved(self, source: Path) -> None:
        """``source``'s saved decision (its folder's project file, else the store)."""
        if not self.saved_read.is_busy(source):
            self.saved_read.submit(source, read_saved, source, self.store)

    def read_entry(self, source: Path) -> None:
        """``source``'s entry in its folder's project file."""
        if not self.entry_read.is_busy(source):
            self.entry_read.submit(source, read_entry, source)

    def save_crop(self, source: Path, saved: SavedCrop) -> None:
        """Write ``source``'s whole decision (after any request made before)."""
        self.crop_written.queue(source, write_saved, source, saved, self.store)

    def save_settings(self, source: Path, settings: ImageSettings) -> None:
        """Write ``source``'s regions and manual crops (other fields of its entry kept)."""
        self.settings_written.queue(source, write_settings, source, settings)

    def is_busy(self) -> bool:
        return self._io.is_busy()

    def wait(self, msecs: int = 3000) -> bool:
        """Block until every request has landed; ``False`` on time-out."""
        return self._io.wait(msecs)
