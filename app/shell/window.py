"""The main window: it assembles the feature packages and holds nothing else.

The centre is :class:`~app.shell.canvas_area.CanvasArea` (the view, its banner and readout);
opening and analysing images is :class:`~app.shell.opener.ImageOpener`'s (workers, keys
``"load"`` and ``"attention"``); the crop state is the :class:`~app.editor.workbench.Workbench`'s.
The docks hold the editor's panels, the crop set (:mod:`app.cropsets`), the suggestions
(:mod:`app.suggestions`) and the dataset builder (:mod:`app.dataset_builder`); exports run
through :mod:`app.export.flow`; each image's crop and layout are saved for the next session
(:mod:`app.cropsets.crop_store`). Which intent reaches which controller: :mod:`app.shell.wiring`.
Errors are reported without modal dialogs: in the status bar, a banner above the view, or
the panel concerned. The one question asked is before overwriting files.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

from app.common.workers import TaskRunner
from app.cropsets.controller import CropSetController
from app.cropsets.crop_store import CropStore
from app.cropsets.project_files import ProjectFiles
from app.cropsets.panel import CropSetPanel
from app.dataset_builder.controller import DatasetBuilderController
from app.dataset_builder.panel import DatasetBuilderPanel
from app.editor.image_view import ImageView
from app.editor.panels.aspect import AspectPanel
from app.editor.panels.attention import AttentionPanel
from app.editor.panels.layout import LayoutPanel
from app.editor.session import image_key
from app.editor.state import CropState
from app.editor.workbench import Workbench
from app.export.flow import Exporter, crop_recipe, export_items
from app.export.planning import ExportSettings
from app.library.filmstrip import Filmstrip
from app.library.images import Library, recent_paths
from app.shell.actions import build_actions
from app.shell.canvas_area import CanvasArea, EditorPanels
from app.shell.crop_tool import CropTool
from app.shell.docks import DockTitle, add_dock
from app.shell.key_setup import KeySetup
from app.shell.opener import ImageOpener, dropped_path, file_dialog_filter, is_supported
from app.shell.skipped import SkippedFiles
from app.shell.wiring import wire_cropsets, wire_editor, wire_library
from app.suggestions.controller import SuggestionsController
from app.suggestions.panel import SuggestionsPanel
from models.imaging import LoadedImage

__all__ = ["APP_TITLE", "MainWindow", "file_dialog_filter", "is_supported"]

APP_TITLE = "Crop Studio"
_SETTINGS_GEOMETRY = "window/geometry"
_SETTINGS_STATE = "window/state"
_COMPACT = ("aspect-dock", "attention-dock")  # docks as tall as their panel
_STATE_VERSION = 1  # of the saved dock layout: 1 is issue 19's one right-hand column (older layouts are not restored)
_RIGHT = Qt.DockWidgetArea.RightDockWidgetArea


class MainWindow(QMainWindow):
    """The Crop Studio window. Public signals and attributes are for tests and later panels."""

    image_loaded = Signal(object)  # models.imaging.LoadedImage
    load_failed = Signal(str)  # a user-readable message
    attention_ready = Signal(object)  # models.attention.PreparedAttention of the current image
    analysis_ready = Signal(object)  # app.editor.analysis.ImageAnalysis of the current image
    crop_changed = Signal(object)  # the attention crop (models.attention.AttentionCrop), or None
    export_finished = Signal(object)  # app.export.planning.ExportReport
    skipped_reported = Signal(list)  # the files left out of the library, once they are said

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._tasks = TaskRunner(self)
        self.workbench = wb = Workbench(self._tasks, self)
        self.library = Library(self)
        self.area = CanvasArea(wb, self.statusBar().showMessage, self)
        self.empty = self.area.empty
        self.setCentralWidget(self.area)
        self.skipped = SkippedFiles(self.library, self.area.report, self)  # no bad file in Library or Recent
        self.opener = ImageOpener(self._tasks, self.library, self.skipped, wb.cropper, self)
        # The canvas takes the room: one column of compact, foldable panels on the right (the
        # crop-set, suggestions and dataset tools tabbed with the layout), a thin filmstrip below.
        self.aspect_panel, self.attention_panel = AspectPanel(self), AttentionPanel(self)
        self.layout_panel, self.filmstrip = LayoutPanel(self), Filmstrip(self)
        self.area.panels = EditorPanels(self.aspect_panel, self.attention_panel, self.layout_panel, self.filmstrip)
        self.dock_titles: dict[str, DockTitle] = {}
        aspect = self._add_dock("Aspect", "aspect-dock", self.aspect_panel)
        self._add_dock("Attention crop", "attention-dock", self.attention_panel)
        layout_dock = self._add_dock("Layout", "layout-dock", self.layout_panel)
        self._add_dock("Library", "library-dock", self.filmstrip, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.cropset_panel, self.project_files = CropSetPanel(self), ProjectFiles(parent=self)  # the files' writer
        sets = self._add_dock("Crop set", "cropset-dock", self.cropset_panel)
        self.tabifyDockWidget(layout_dock, sets)
        self.resizeDocks([aspect], [CropSetPanel.PREFERRED_WIDTH], Qt.Orientation.Horizontal)
        self.cropsets = CropSetController(wb, self._tasks, self.project_files, self.library, self.current_image,
                                          (self.image_loaded, self.analysis_ready), self)  # fmt: skip
        self.suggestions_panel = SuggestionsPanel(self)
        self.suggestions_dock = self._add_dock("Suggestions", "suggestions-dock", self.suggestions_panel)
        self.tabifyDockWidget(sets, self.suggestions_dock)
        self.suggestions = SuggestionsController(self.suggestions_panel, wb, self._tasks, self.image_loaded,
                                                 self.current_image, lambda text: self._say(text, 10_000), self)  # fmt: skip
        self.suggestions_dock.visibilityChanged.connect(self.suggestions.panel_shown)
        self.dataset_panel = DatasetBuilderPanel(self)
        self.dataset_dock = self._add_dock("Dataset builder", "dataset-dock", self.dataset_panel)
        self.tabifyDockWidget(self.suggestions_dock, self.dataset_dock)
        self.dataset_dock.hide()  # a tool for training data: View > Panels shows it (in front)
        layout_dock.raise_()  # ProCrop runs when its tab is shown, not behind the user's back
        self.dataset_builder = DatasetBuilderController(self.dataset_panel, self, status=self.statusBar().showMessage)
        self.crop_store = CropStore(wb, self.image_loaded, self.project_files, parent=self)  # each image's crop and layout, kept
        self.crop_store.status.connect(lambda _level, text: self._say(text, 10_000))
        self.cropsets.exporter.finished.connect(lambda _report: self.crop_store.resave())  # the batch rewrote it
        self.exporter = Exporter(self, self._tasks, lambda all_images: export_items(wb.session, self.library, all_images),
                                 self.area.report, lambda: crop_recipe(wb, self.crop_store.store))  # fmt: skip
        self.exporter.finished.connect(self.export_finished)
        self.tool = CropTool(self.area.view, wb, self)
        self.tool.message.connect(lambda text: self._say(text, 6000))
        self.keys = KeySetup(self)
        self.actions_ = build_actions(self)
        self.area.guide_actions = self.actions_.guides
        self._assemble()

    def _assemble(self) -> None:
        """The menus' Panels list, the wiring, and what the last session left."""
        view_menu = next(a.menu() for a in self.menuBar().actions() if a.menu() and a.text() == "&View")
        panels = view_menu.addMenu("&Panels")
        self.dataset_dock.toggleViewAction().triggered.connect(lambda on: on and self.dataset_dock.raise_())
        for dock in self.findChildren(QDockWidget):
            panels.addAction(dock.toggleViewAction())
        wire_editor(self.area, self.workbench, self.area.panels, self.suggestions_panel)
        self.workbench.attention_crop.connect(self.crop_changed)
        wire_library(self.area, self.library, self.filmstrip, self.opener)
        wire_cropsets(self.cropsets, self.cropset_panel)
        self._wire_opener()
        self.setAcceptDrops(True)
        self.setWindowTitle(APP_TITLE)
        self.skipped.reported.connect(self.skipped_reported)
        self.skipped.recent_changed.connect(lambda: self.empty.set_recent(recent_paths()))
        self.empty.set_recent(recent_paths())
        self.keys.show_keys()
        settings = QSettings()
        if not self.restoreGeometry(settings.value(_SETTINGS_GEOMETRY, b"")):
            self.resize(1280, 860)
        self.restoreState(settings.value(_SETTINGS_STATE, b""), _STATE_VERSION)
        self.area.restore_view_settings(self.actions_.heat)
        self.cropset_panel.restore_set()

    def _wire_opener(self) -> None:
        op = self.opener
        op.status.connect(lambda text: self._say(text, 0))
        op.problem.connect(self.area.report)
        op.showing.connect(self.area.show_loaded)
        op.opened.connect(self._on_opened)
        op.analysed.connect(self.area.show_analysis)
        op.analysed.connect(lambda result: self.attention_ready.emit(result.prepared))
        op.analysed.connect(self.analysis_ready)
        op.analysis_failed.connect(self.workbench.analysis_failed)
        op.load_failed.connect(self.area.report)
        op.load_failed.connect(self.load_failed)

    def _add_dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea = _RIGHT) -> QDockWidget:
        dock = add_dock(self, title, name, widget, area, compact=name in _COMPACT)
        self.dock_titles[name] = dock.titleBarWidget()  # type: ignore[assignment]
        return dock

    def dock_of(self, panel: QWidget) -> QDockWidget:
        """The dock that holds ``panel``."""
        return next(d for d in self.findChildren(QDockWidget) if d.widget() is panel or d.isAncestorOf(panel))

    def _say(self, text: str, ms: int) -> None:
        self.statusBar().showMessage(text, ms)

    # -- public API (the parts do the work) ---------------------------------------------
    @property
    def view(self) -> ImageView:
        return self.area.view

    @property
    def tasks(self) -> TaskRunner:
        """The window's task runner (panels submit their engine calls here)."""
        return self._tasks

    def current_image(self) -> LoadedImage | None:
        """The image on display, or ``None``."""
        return self.opener.image()

    def crop_state(self) -> CropState | None:
        """The current image's crop state."""
        return self.workbench.session.state()

    def open_path(self, path: str | Path) -> None:
        """Load ``path`` in a worker; emits ``image_loaded`` or ``load_failed`` when done."""
        self.opener.open_path(path)

    # -- what the opener found ------------------------------------------------------------
    def _on_opened(self, image: LoadedImage) -> None:
        info = image.info
        self.filmstrip.set_current(image_key(info.path))
        self.setWindowTitle(f"{APP_TITLE} — {info.path.name}")
        message = f"{info.path.name} — {info.width}x{info.height} {info.format}".rstrip()
        if image.scale < 1:
            h, w = image.rgb.shape[:2]
            message += f" (preview {w}x{h})"
        self._say(message, 0)
        self.image_loaded.emit(image)

    # -- export (app.export.flow does the work) ----------------------------------------------------
    def export_dialog(self, *, all_images: bool = False) -> None:
        """Ask for export settings (modal dialog), then export the crop or every image's."""
        image = self.current_image()
        self.exporter.dialog(all_images=all_images, default_folder=image.info.path.parent if image else Path.home())

    def export(self, settings: ExportSettings, *, all_images: bool = False) -> bool:
        """Export in a worker, asking before overwriting; ``export_finished`` tells the outcome."""
        return self.exporter.export(settings, all_images=all_images)

    # -- drag and drop, lifetime -------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        event.acceptProposedAction() if dropped_path(event.mimeData()) is not None else event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        path = dropped_path(event.mimeData())
        if path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.opener.open_any(path)

    def closeEvent(self, event: QCloseEvent) -> None:
        settings = QSettings()
        settings.setValue(_SETTINGS_GEOMETRY, self.saveGeometry())
        settings.setValue(_SETTINGS_STATE, self.saveState(_STATE_VERSION))
        self.cropsets.shutdown()
        self.dataset_builder.shutdown()  # stops after the sample under way: the data set stays valid
        self.crop_store.flush()
        self._tasks.shutdown()
        self.library.shutdown()
        super().closeEvent(event)
