"""The library: the images being worked on, their thumbnails, recent files, and a small cache.

:class:`Library` holds the ordered list of images (a folder's, or files opened one by one)
and loads thumbnails in the background on its own small thread pool, so they never delay
the image on the canvas. Recent files and folders live in ``QSettings``.
:class:`ImageCache` keeps the last few loaded images and their analyses, so going back to an
image does not decode or analyse it again (entries are dropped when the file changes).
"""

from __future__ import annotations

import logging
import os
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np
from PySide6.QtCore import QObject, QSettings, Signal, Slot

from app.common.display import display_scale
from app.editor.session import image_key
from app.common.workers import ItemTask, TaskRunner
from models.imaging import SUPPORTED_SUFFIXES, load_image

__all__ = [
    "RECENT_MAX",
    "THUMB_SIDE",
    "ImageCache",
    "Library",
    "clear_recent",
    "folder_images",
    "folder_scan",
    "forget_recent",
    "load_thumbnail",
    "recent_paths",
    "remember_recent",
    "thumbnail_side",
]

log = logging.getLogger(__name__)

THUMB_SIDE = 160  # long side of a thumbnail, pixels
RECENT_MAX = 10
_RECENT_KEY = "recent/paths"
_THUMB = "thumb"  # task name: one latest thumbnail per path


def _supported(path: Path) -> bool:
    return path.suffix.lower() in {s if s.startswith(".") else f".{s}" for s in SUPPORTED_SUFFIXES}


def folder_images(folder: str | os.PathLike) -> list[Path]:
    """The supported images directly in ``folder`` (not hidden), sorted by name."""
    folder = Path(folder)
    found = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and _supported(p)]
    return sorted(found, key=lambda p: (p.name.lower(), p.name))


def folder_scan(folder: str | os.PathLike) -> tuple[list[Path], list[tuple[Path, str]]]:
    """:func:`folder_images`, and the other files it leaves out with why (``(path, reason)``)."""
    folder = Path(folder)
    images = folder_images(folder)
    others = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".") and p not in images]
    return images, [(p, "not an image type") for p in sorted(others, key=lambda p: p.name.lower())]


def load_thumbnail(path: Path, max_side: int = THUMB_SIDE) -> np.ndarray:
    """A small upright RGB copy of ``path`` (JPEGs decode at reduced size: fast)."""
    return load_image(path, max_side=max_side).rgb


def thumbnail_side() -> int:
    """:data:`THUMB_SIDE` logical pixels in device pixels of the most scaled screen (320 at 200%),
    so the filmstrip's thumbnails are sharp at any display scaling."""
    return round(THUMB_SIDE * display_scale())


# -- recent files -------------------------------------------------------------------------
def recent_paths() -> list[Path]:
    """Recently opened files and folders, newest first."""
    value = QSettings().value(_RECENT_KEY, [])
    if isinstance(value, str):  # INI files hand back a single value as a plain string
        value = [value]
    return [Path(v) for v in (value or []) if v]


def remember_recent(path: str | os.PathLike) -> None:
    path = image_key(path)
    paths = [path, *(p for p in recent_paths() if p != path)][:RECENT_MAX]
    QSettings().setValue(_RECENT_KEY, [str(p) for p in paths])


def forget_recent(path: str | os.PathLike) -> None:
    """Drop ``path`` from the recent list (a file that turned out unreadable)."""
    key = image_key(path)
    paths = recent_paths()
    if key in paths:
        QSettings().setValue(_RECENT_KEY, [str(p) for p in paths if p != key])


def clear_recent() -> None:
    QSettings().remove(_RECENT_KEY)


# -- the list of images -------------------------------------------------------------------
class Library(QObject):
    """The images of the filmstrip, in order; thumbnails arrive by ``thumbnail_ready``."""

    paths_changed = Signal(list)  # list[Path]
    thumbnail_ready = Signal(object, object)  # Path, (h, w, 3) uint8 array
    rejected = Signal(object, str)  # Path, why: a file that is no readable image, taken out again

    def __init__(self, parent: QObject | None = None, *, threads: int = 2) -> None:
        super().__init__(parent)
        self._paths: list[Path] = []
        self._runner = TaskRunner(self, max_threads=threads)
        self._thumbs = ItemTask(self._runner, _THUMB, self)  # item: the path; result: (h, w, 3) uint8
        self._thumbs.returned.connect(self.thumbnail_ready)
        self._thumbs.errored.connect(self._on_thumbnail_error)

    def paths(self) -> list[Path]:
        return list(self._paths)

    def index_of(self, path: str | os.PathLike) -> int:
        key = image_key(path)
        return next((i for i, p in enumerate(self._paths) if p == key), -1)

    def set_paths(self, paths: Iterable[str | os.PathLike]) -> None:
        """Replace the library (opening a folder)."""
        self._runner.cancel_all()
        self._paths = []
        self._add(paths)

    def add(self, paths: Iterable[str | os.PathLike]) -> None:
        """Append images not yet in the library (opening files)."""
        self._add(paths)

    def remove(self, path: str | os.PathLike) -> None:
        """Take ``path`` out of the library (a file that cannot be read)."""
        key = image_key(path)
        if key in self._paths:
            self._paths.remove(key)
            self._thumbs.cancel(key)
            self.paths_changed.emit(list(self._paths))

    def neighbour(self, path: str | os.PathLike | None, step: int) -> Path | None:
        """The image ``step`` places after ``path`` (wrapping), or None for an empty library."""
        if not self._paths:
            return None
        i = self.index_of(path) if path is not None else -1
        return self._paths[(i + step) % len(self._paths)] if i >= 0 else self._paths[0]

    def is_loading_thumbnails(self) -> bool:
        return self._thumbs.is_busy()

    def shutdown(self) -> None:
        self._runner.shutdown()

    def _add(self, paths: Iterable[str | os.PathLike]) -> None:
        new = [k for k in dict.fromkeys(image_key(p) for p in paths) if k not in self._paths]
        self._paths.extend(new)
        self.paths_changed.emit(list(self._paths))
        side = thumbnail_side()
        for path in new:
            self._thumbs.submit(path, load_thumbnail, path, side)

    @Slot(object, object)
    def _on_thumbnail_error(self, path: Path, exc: object) -> None:
        log.info("no thumbnail for %s: %s", path, exc)
        if path in self._paths:  # not an image the app can show: it has no place in the library
            self.remove(path)
            self.rejected.emit(path, str(exc))


# -- cache ------------------------------------------------------------------------------------
T = TypeVar("T")


class ImageCache(Generic[T]):
    """The last ``size`` values per image file, dropped when the file's size or mtime changes."""

    def __init__(self, size: int = 6) -> None:
        self._size = size
        self._items: OrderedDict[Path, tuple[tuple[int, int], T]] = OrderedDict()

    @staticmethod
    def _stamp(path: Path) -> tuple[int, int] | None:
        try:
            st = path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def get(self, path: str | os.PathLike) -> T | None:
        key = image_key(path)
        entry = self._items.get(key)
        if entry is None:
            return None
        if entry[0] != self._stamp(key):
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return entry[1]

    def put(self, path: str | os.PathLike, value: T) -> None:
        key = image_key(path)
        stamp = self._stamp(key)
        if stamp is None:
            return
        self._items[key] = (stamp, value)
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)

    def clear(self) -> None:
        self._items.clear()
