"""The main window: open an image (menu, drag-and-drop or command line) and show it.

Loading runs in a worker (:class:`app.workers.TaskRunner`, key ``"load"``), then the
attention map of the image in another (key ``"attention"``, once per image); the window only
renders outcomes. The attention panel's slider runs the rectangle search directly: it takes
well under a millisecond on the prepared map (docs/benchmarks.md). Opening a new file while one is loading supersedes the older request.
Errors are reported without modal dialogs: in the status bar and in a banner above the view.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QMimeData, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QDockWidget, QFileDialog, QLabel, QMainWindow, QVBoxLayout, QWidget

from app.image_view import ImageView
from app.panels.attention import AttentionPanel
from app.workers import TaskRunner
from models.attention import PreparedAttention, prepare_attention
from models.errors import CropStudioError
from models.geometry import AspectRatio
from models.imaging import SUPPORTED_SUFFIXES, LoadedImage, load_image

__all__ = ["APP_TITLE", "LOAD_MAX_SIDE", "MainWindow", "file_dialog_filter", "is_supported"]

log = logging.getLogger(__name__)

APP_TITLE = "Crop Studio"
LOAD_MAX_SIDE = 2048  # longest side of the displayed preview; the engine keeps full-size info
_LOAD = "load"  # TaskRunner key of image loading
_ATTENTION = "attention"  # TaskRunner key of the attention map
_SETTINGS_LAST_DIR = "paths/last_open_dir"
_SETTINGS_GEOMETRY = "window/geometry"


def _suffixes() -> list[str]:
    return sorted({(s if s.startswith(".") else f".{s}").lower() for s in SUPPORTED_SUFFIXES})


def is_supported(path: str | Path) -> bool:
    """Whether ``path`` has an image suffix the engine reads (case-insensitive)."""
    return Path(path).suffix.lower() in _suffixes()


def file_dialog_filter() -> str:
    """The name filter of the Open dialog, e.g. ``"Images (*.jpg *.png);;All files (*)"``."""
    return f"Images ({' '.join('*' + s for s in _suffixes())});;All files (*)"


class MainWindow(QMainWindow):
    """The Crop Studio window. Public signals are for tests and for later panels."""

    image_loaded = Signal(object)  # models.imaging.LoadedImage
    load_failed = Signal(str)  # a user-readable message
    attention_ready = Signal(object)  # models.attention.PreparedAttention of the current image
    crop_changed = Signal(object)  # models.attention.AttentionCrop, or None when none fits

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: LoadedImage | None = None
        self._prepared: PreparedAttention | None = None
        self._pending: Path | None = None

        self._tasks = TaskRunner(self)
        self._tasks.returned.connect(self._on_task_returned)
        self._tasks.errored.connect(self._on_task_errored)

        self._view = ImageView(self)
        self._banner = QLabel(self)
        self._banner.setWordWrap(True)
        self._banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._banner.setStyleSheet("QLabel { background: #7a2e2e; color: white; padding: 6px; }")
        self._banner.hide()
        central = QWidget(self)
        layout = QVBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._banner)
        layout.addWidget(self._view, 1)
        self.setCentralWidget(central)

        self.attention_panel = AttentionPanel(self)
        self.attention_panel.request_changed.connect(self._update_crop)
        dock = QDockWidget("Attention crop", self)
        dock.setObjectName("attention-dock")
        dock.setWidget(self.attention_panel)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)

        self._build_menus()
        self.setAcceptDrops(True)
        self.setWindowTitle(APP_TITLE)
        self.statusBar().showMessage("Open an image (Ctrl+O) or drop one here")
        if not self.restoreGeometry(QSettings().value(_SETTINGS_GEOMETRY, b"")):
            self.resize(1100, 760)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = QAction("&Open…", self)
        self.open_action.setShortcut(QKeySequence("Ctrl+O"))
        self.open_action.triggered.connect(self.open_dialog)
        file_menu.addAction(self.open_action)
        file_menu.addSeparator()
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        self.quit_action.triggered.connect(self.close)
        file_menu.addAction(self.quit_action)

    # -- public API -------------------------------------------------------------------
    @property
    def view(self) -> ImageView:
        return self._view

    @property
    def tasks(self) -> TaskRunner:
        """The window's task runner (later panels submit their engine calls here)."""
        return self._tasks

    def current_image(self) -> LoadedImage | None:
        """The image on display, or ``None``."""
        return self._image

    def is_loading(self) -> bool:
        return self._tasks.is_busy(_LOAD)

    def open_path(self, path: str | Path) -> None:
        """Load ``path`` in a worker; emits ``image_loaded`` or ``load_failed`` when done."""
        path = Path(path)
        self._pending = path
        log.info("opening %s", path)
        self.statusBar().showMessage(f"Loading {path.name}…")
        self._tasks.submit(_LOAD, load_image, path, max_side=LOAD_MAX_SIDE)

    @Slot()
    def open_dialog(self) -> None:
        """Ask for a file (modal file dialog) and open it."""
        settings = QSettings()
        start = str(settings.value(_SETTINGS_LAST_DIR, str(Path.home())))
        name, _ = QFileDialog.getOpenFileName(self, "Open image", start, file_dialog_filter())
        if name:
            settings.setValue(_SETTINGS_LAST_DIR, str(Path(name).parent))
            self.open_path(name)

    # -- task outcomes (GUI thread) ---------------------------------------------------------
    @Slot(str, object)
    def _on_task_returned(self, key: str, result: object) -> None:
        if key == _ATTENTION:
            if result.image is self._image:  # else it belongs to an image no longer shown
                self._prepared = result
                self.attention_ready.emit(result)
                self._update_crop()
            return
        if key != _LOAD:
            return
        self._image = result  # a LoadedImage
        self._prepared = None
        self.attention_panel.show_result("Computing the attention map…")
        self._tasks.submit(_ATTENTION, prepare_attention, result)
        info = result.info
        self._view.set_image(result.rgb)
        self._banner.hide()
        self.setWindowTitle(f"{APP_TITLE} — {info.path.name}")
        message = f"{info.path.name} — {info.width}x{info.height} {info.format}".rstrip()
        if result.scale < 1:
            h, w = result.rgb.shape[:2]
            message += f" (preview {w}x{h})"
        self.statusBar().showMessage(message)
        self.image_loaded.emit(result)

    @Slot(str, object)
    def _on_task_errored(self, key: str, exc: object) -> None:
        if key == _ATTENTION:
            self.attention_panel.show_result(f"No attention map: {exc}")
            return
        if key != _LOAD:
            return
        name = self._pending.name if self._pending else "the image"
        if isinstance(exc, CropStudioError):
            message = str(exc)
        else:  # a bug, not the user's fault: say so but keep running
            message = f"Unexpected error while opening {name}: {type(exc).__name__}: {exc}"
        self.statusBar().showMessage(message)
        self._banner.setText(message)
        self._banner.show()
        self.load_failed.emit(message)

    # -- attention crop (GUI thread: a search on the prepared map takes ~0.1 ms) ----------
    @Slot()
    def _update_crop(self, *_: object) -> None:
        prepared, image = self._prepared, self._image
        if prepared is None or image is None:
            return
        request = self.attention_panel.request()
        aspect = AspectRatio(image.info.width, image.info.height) if request.original else request.aspect
        try:
            crop = prepared.crop(tau=request.tau, aspect=aspect, regions=request.regions)
        except CropStudioError as exc:
            self._view.set_crops(())
            self.attention_panel.show_result(str(exc))
            self.crop_changed.emit(None)
            return
        self._view.set_crops([image.from_full(b) for b in crop.boxes])
        sizes = ", ".join(f"{int(b.width)}x{int(b.height)}" for b in crop.boxes)
        text = crop.note or f"Keeps {crop.kept:.0%} of the attention in {crop.area_fraction:.0%} of the frame ({sizes} px)"
        if crop.auto is not None:
            text = f"Automatic tau {crop.tau:.0%} (gamma {crop.auto.gamma:.2f}). " + text
        self.attention_panel.show_result(text)
        self.crop_changed.emit(crop)

    # -- drag and drop ------------------------------------------------------------------
    @staticmethod
    def dropped_path(mime: QMimeData) -> Path | None:
        """The one local, supported image file in ``mime``, else ``None``."""
        urls = mime.urls() if mime.hasUrls() else []
        if len(urls) != 1 or not urls[0].isLocalFile():
            return None
        path = Path(urls[0].toLocalFile())
        return path if is_supported(path) else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.dropped_path(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        path = self.dropped_path(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.open_path(path)

    # -- lifetime -----------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        QSettings().setValue(_SETTINGS_GEOMETRY, self.saveGeometry())
        self._tasks.shutdown()
        super().closeEvent(event)
