"""Opening images: files, folders, drops and the library's neighbours, loaded in a worker, then
the image's analysis in another (once per image; recent images and analyses are cached).

Loading runs on the window's :class:`~app.common.workers.TaskRunner` as a :class:`LoadTask`
(its result a ``LoadedImage``), the analysis as an :class:`AnalysisTask` (an ``ImageAnalysis``).
Opening a file while one is loading supersedes the older request. :class:`ImageOpener` says
what happened by its signals; the window shows it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, QSettings, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QWidget

from app.common.workers import Task, TaskRunner
from app.editor.analysis import ImageAnalysis, analyse_image
from app.editor.session import image_key
from app.library.images import ImageCache, Library, folder_scan, remember_recent
from app.shell.skipped import SkippedFiles
from models.errors import CropStudioError
from models.imaging import SUPPORTED_SUFFIXES, LoadedImage, load_image

__all__ = ["LOAD_MAX_SIDE", "AnalysisTask", "ImageOpener", "LoadTask", "dropped_path", "file_dialog_filter",
           "is_supported"]  # fmt: skip

log = logging.getLogger(__name__)

LOAD_MAX_SIDE = 2048  # longest side of the displayed preview; the engine keeps full-size info
_LOAD = "load"  # TaskRunner keys
_ATTENTION = "attention"
_SETTINGS_LAST_DIR = "paths/last_open_dir"


def _suffixes() -> list[str]:
    return sorted({(s if s.startswith(".") else f".{s}").lower() for s in SUPPORTED_SUFFIXES})


def is_supported(path: str | Path) -> bool:
    """Whether ``path`` has an image suffix the engine reads (case-insensitive)."""
    return Path(path).suffix.lower() in _suffixes()


def file_dialog_filter() -> str:
    """The name filter of the Open dialog, e.g. ``"Images (*.jpg *.png);;All files (*)"``."""
    return f"Images ({' '.join('*' + s for s in _suffixes())});;All files (*)"


def dropped_path(mime: QMimeData) -> Path | None:
    """The one local, supported image file (or folder) in ``mime``, else ``None``."""
    urls = mime.urls() if mime.hasUrls() else []
    if len(urls) != 1 or not urls[0].isLocalFile():
        return None
    path = Path(urls[0].toLocalFile())
    return path if is_supported(path) or path.is_dir() else None


class LoadTask(Task):
    """Loading the image to show: its result is a :class:`~models.imaging.LoadedImage`."""

    returned = Signal(LoadedImage)


class AnalysisTask(Task):
    """The shown image's analysis: its result is an :class:`~app.editor.analysis.ImageAnalysis`."""

    returned = Signal(ImageAnalysis)


class ImageOpener(QObject):
    """Loads what the user opens; ``showing`` (the image, before its analysis is asked for),
    ``opened`` (after), ``analysed``, ``analysis_failed`` and ``load_failed`` say what happened."""

    showing = Signal(object)  # LoadedImage: put it on the canvas and in the workbench now
    opened = Signal(object)  # LoadedImage: shown, its analysis asked for (or given, when cached)
    analysed = Signal(object)  # ImageAnalysis of the current image
    analysis_failed = Signal(str)
    load_failed = Signal(str)  # a user-readable message
    status = Signal(str)  # a status-bar message
    problem = Signal(str)  # a message for the banner (a folder without images, say)

    def __init__(self, tasks: TaskRunner, library: Library, skipped: SkippedFiles, cropper: object,
                 parent: QWidget) -> None:  # fmt: skip
        """``cropper``: the workbench's (its analysis is computed once per image); ``parent``
        the widget file dialogs open over."""
        super().__init__(parent)
        self._tasks, self._library, self._skipped, self._cropper = tasks, library, skipped, cropper
        self._image: LoadedImage | None = None
        self._pending: Path | None = None
        self._images: ImageCache[LoadedImage] = ImageCache(6)
        self._analyses: ImageCache[ImageAnalysis] = ImageCache(6)
        self._load, self._analyse = LoadTask(tasks, _LOAD, self), AnalysisTask(tasks, _ATTENTION, self)
        self._load.returned.connect(self._on_loaded)
        self._load.errored.connect(self._on_load_errored)
        self._analyse.returned.connect(self._on_analysis)
        self._analyse.errored.connect(lambda exc: self.analysis_failed.emit(str(exc)))

    def image(self) -> LoadedImage | None:
        return self._image

    def is_loading(self) -> bool:
        return self._load.is_busy()

    def open_path(self, path: str | Path) -> None:
        """Load ``path`` in a worker; ``opened`` or ``load_failed`` when done."""
        path = Path(path)
        self._pending = path
        log.info("opening %s", path)
        self.status.emit(f"Loading {path.name}…")
        cached = self._images.get(path)
        if cached is not None:
            self._load.submit(lambda: cached)  # still through the runner: one path for all loads
        else:
            self._load.submit(load_image, path, max_side=LOAD_MAX_SIDE)

    def open_folder(self, folder: str | Path) -> bool:
        """Put the folder's images in the library and open the first; False when it has none.
        Files that are not images, or turn out unreadable, are left out and listed once."""
        folder = Path(folder)
        try:
            images, skipped = folder_scan(folder)
        except OSError as exc:
            self.problem.emit(f"Cannot read folder '{folder}': {exc.strerror or exc}")
            return False
        if not images:
            self.problem.emit(f"No images in '{folder}' (supported: {', '.join(_suffixes())})")
            return False
        self._skipped.folder_skipped(skipped)
        self._library.set_paths(images)
        remember_recent(folder)
        self.open_path(images[0])
        return True

    def open_any(self, path: str | Path) -> None:
        """Open a file, or a folder as the library (a path that is gone is forgotten)."""
        path = Path(path)
        if path.is_dir():
            self.open_folder(path)
        else:
            self._skipped.remember_when_readable([path])
            self.open_path(path)

    def show_neighbour(self, step: int) -> None:
        """Open the next (``step`` 1) or previous (-1) image of the library."""
        current = self._image.info.path if self._image is not None else None
        target = self._library.neighbour(current, step)
        if target is not None and (current is None or target != image_key(current)):
            self.open_path(target)

    # -- dialogs ---------------------------------------------------------------------------
    def _dialog_folder(self) -> str:
        """Where file dialogs open: the current image's folder, else the last one used."""
        if self._image is not None:
            return str(self._image.info.path.parent)
        return str(QSettings().value(_SETTINGS_LAST_DIR, str(Path.home())))

    @Slot()
    def open_dialog(self) -> None:
        """Ask for files (modal file dialog) and open them."""
        parent = self.parent()
        names, _ = QFileDialog.getOpenFileNames(parent, "Open images", self._dialog_folder(), file_dialog_filter())
        if names:
            QSettings().setValue(_SETTINGS_LAST_DIR, str(Path(names[0]).parent))
            self._skipped.remember_when_readable(names)  # recent once they prove readable
            self._library.add(names)
            self.open_path(names[0])

    @Slot()
    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self.parent(), "Open folder", self._dialog_folder())
        if folder:
            QSettings().setValue(_SETTINGS_LAST_DIR, folder)
            self.open_folder(folder)

    # -- task outcomes (GUI thread) ---------------------------------------------------------
    @Slot(object)
    def _on_loaded(self, image: LoadedImage) -> None:
        self._image = image
        info = image.info
        self._images.put(info.path, image)
        self.showing.emit(image)
        cached = self._analyses.get(info.path)
        if cached is not None and cached.image is image:
            self._on_analysis(cached)
        else:
            self._analyse.submit(analyse_image, image, self._cropper)
        if self._library.index_of(info.path) < 0:  # opened as a file, not browsed to in the library
            self._skipped.remember_when_readable([info.path])
            self._library.add([info.path])
        self._skipped.readable(info.path)  # now it is a recent file, if the user opened it
        self.opened.emit(image)

    @Slot(object)
    def _on_analysis(self, result: ImageAnalysis) -> None:
        if result.image is not self._image:
            return  # it belongs to an image no longer shown
        self._analyses.put(result.image.info.path, result)
        self.analysed.emit(result)

    @Slot(object)
    def _on_load_errored(self, exc: object) -> None:
        name = self._pending.name if self._pending else "the image"
        if self._pending is not None:  # not an image: out of the library and the recent list
            self._skipped.unreadable(self._pending)
        if isinstance(exc, CropStudioError):
            message = str(exc)
        else:  # a bug, not the user's fault: say so but keep running
            message = f"Unexpected error while opening {name}: {type(exc).__name__}: {exc}"
        self.load_failed.emit(message)
