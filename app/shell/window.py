"""The main window: the canvas, its panels, the library strip, and the engine calls behind them.

Loading runs in a worker (:class:`app.common.workers.TaskRunner`, key ``"load"``), then the image's
analysis in another (key ``"attention"``, once per image; recent images and analyses are
cached). The window renders the :class:`~app.editor.workbench.Workbench`'s state and forwards the
panels' intents to it; exports run in a worker (:mod:`app.export.flow`) with progress in the
status bar, and ProCrop's suggestions in another (:mod:`app.suggestions.controller`, key
``"suggest"``), dataset builds in their own (:mod:`app.dataset_builder.controller`); each
image's crop and layout are saved for the next session (:mod:`app.cropsets.crop_store`). Opening a
new file while one is loading supersedes the older request. Errors
are reported without modal dialogs: in the status bar, a banner above the view, or the panel
concerned. The one question asked is before overwriting files.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QMimeData, QSettings, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.shell.actions import build_actions
from app.editor.analysis import ImageAnalysis, analyse_image
from app.editor.canvas.guides import GUIDES
from app.editor.canvas.heads import left_out_message
from app.cropsets.crop_store import CropStore
from app.cropsets.controller import CropSetController
from app.dataset_builder.controller import DatasetBuilderController
from app.export.planning import ExportSettings
from app.export.unopened import CropRecipe
from app.export.flow import Exporter
from app.editor.image_view import ImageView
from app.library.images import ImageCache, Library, folder_scan, recent_paths, remember_recent
from app.editor.panels.aspect import AspectPanel
from app.editor.panels.attention import AttentionPanel
from app.cropsets.panel import CropSetPanel
from app.dataset_builder.panel import DatasetBuilderPanel
from app.library.filmstrip import Filmstrip
from app.editor.panels.layout import LayoutPanel
from app.suggestions.panel import SuggestionsPanel
from app.editor.session import image_key
from app.shell.crop_tool import CropTool
from app.shell.docks import DockTitle, add_dock
from app.shell.empty_state import EmptyCanvas
from app.shell.key_setup import KeySetup
from app.shell.skipped import SkippedFiles
from app.editor.state import CropState, RegionKind
from app.suggestions.controller import SuggestionsController
from app.editor.workbench import Workbench
from app.common.workers import TaskRunner
from models.errors import CropStudioError
from models.geometry import Box
from models.imaging import SUPPORTED_SUFFIXES, LoadedImage, load_image

__all__ = ["APP_TITLE", "LOAD_MAX_SIDE", "MainWindow", "file_dialog_filter", "is_supported"]

log = logging.getLogger(__name__)

APP_TITLE = "Crop Studio"
LOAD_MAX_SIDE = 2048  # longest side of the displayed preview; the engine keeps full-size info
_LOAD = "load"  # TaskRunner keys
_ATTENTION = "attention"
_SETTINGS_LAST_DIR = "paths/last_open_dir"
_SETTINGS_GEOMETRY = "window/geometry"
_SETTINGS_STATE = "window/state"
_SETTINGS_GUIDES = "view/guides"
_SETTINGS_HEAT = "view/heat"
_COMPACT = ("aspect-dock", "attention-dock")  # docks as tall as their panel
_STATE_VERSION = 1  # of the saved dock layout: 1 is issue 19's one right-hand column (older layouts are not restored)


def _suffixes() -> list[str]:
    return sorted({(s if s.startswith(".") else f".{s}").lower() for s in SUPPORTED_SUFFIXES})


def is_supported(path: str | Path) -> bool:
    """Whether ``path`` has an image suffix the engine reads (case-insensitive)."""
    return Path(path).suffix.lower() in _suffixes()


def file_dialog_filter() -> str:
    """The name filter of the Open dialog, e.g. ``"Images (*.jpg *.png);;All files (*)"``."""
    return f"Images ({' '.join('*' + s for s in _suffixes())});;All files (*)"


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
        self._image: LoadedImage | None = None
        self._pending: Path | None = None
        self._images: ImageCache[LoadedImage] = ImageCache(6)
        self._analyses: ImageCache[ImageAnalysis] = ImageCache(6)

        self._tasks = TaskRunner(self)
        self._tasks.returned.connect(self._on_task_returned)
        self._tasks.errored.connect(self._on_task_errored)
        self.workbench = Workbench(self._tasks, self)
        self.library = Library(self)

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
        self.empty = EmptyCanvas(self)  # until the first photo: what to do, and the recent files
        self._canvas = QStackedWidget(self)
        self._canvas.addWidget(self.empty)
        self._canvas.addWidget(self._view)
        layout.addWidget(self._canvas, 1)
        self._crop_info = QLabel(self)  # under the canvas: no status message can cover it
        self._crop_info.setObjectName("crop-readout")
        self._crop_info.setStyleSheet("#crop-readout { background: #262626; color: #d8d8d8; padding: 2px 6px; }")
        self._crop_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self._crop_info)
        self._crop_info.hide()  # until there is a crop
        self.setCentralWidget(central)

        # The canvas takes the room: one column of compact, foldable panels on the right (the
        # crop-set, suggestions and dataset tools tabbed with the layout), a thin filmstrip below.
        right = Qt.DockWidgetArea.RightDockWidgetArea
        self.aspect_panel = AspectPanel(self)
        self.attention_panel = AttentionPanel(self)
        self.layout_panel = LayoutPanel(self)
        self.filmstrip = Filmstrip(self)
        self.dock_titles: dict[str, DockTitle] = {}
        aspect = self._add_dock("Aspect", "aspect-dock", self.aspect_panel, right)
        self._add_dock("Attention crop", "attention-dock", self.attention_panel, right)
        layout_dock = self._add_dock("Layout", "layout-dock", self.layout_panel, right)
        self._add_dock("Library", "library-dock", self.filmstrip, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.cropset_panel = CropSetPanel(self)
        sets = self._add_dock("Crop set", "cropset-dock", self.cropset_panel, right)
        self.tabifyDockWidget(layout_dock, sets)
        self.resizeDocks([aspect], [CropSetPanel.PREFERRED_WIDTH], Qt.Orientation.Horizontal)
        self.cropsets = CropSetController(self.workbench, self._tasks, self.library, self.current_image,
                                          (self.image_loaded, self.analysis_ready), self)  # fmt: skip
        self.suggestions_panel = SuggestionsPanel(self)
        self.suggestions_dock = self._add_dock("Suggestions", "suggestions-dock", self.suggestions_panel, right)
        self.tabifyDockWidget(sets, self.suggestions_dock)
        self.suggestions = SuggestionsController(self.suggestions_panel, self.workbench, self._tasks, self.image_loaded,
                                                 self.current_image, lambda text: self.statusBar().showMessage(text, 10_000),
                                                 self)  # fmt: skip
        self.suggestions_dock.visibilityChanged.connect(self.suggestions.panel_shown)
        self.dataset_panel = DatasetBuilderPanel(self)
        self.dataset_dock = self._add_dock("Dataset builder", "dataset-dock", self.dataset_panel, right)
        self.tabifyDockWidget(self.suggestions_dock, self.dataset_dock)
        self.dataset_dock.hide()  # a tool for training data: View > Panels shows it (in front)
        self.dataset_dock.toggleViewAction().triggered.connect(lambda on: on and self.dataset_dock.raise_())
        layout_dock.raise_()  # ProCrop runs when its tab is shown, not behind the user's back
        self.dataset_builder = DatasetBuilderController(self.dataset_panel, self, status=self.statusBar().showMessage)
        self.crop_store = CropStore(self.workbench, self.image_loaded, parent=self)  # each image's crop and layout, kept across restarts
        self.crop_store.status.connect(lambda _level, text: self.statusBar().showMessage(text, 10_000))
        self.cropsets.exporter.finished.connect(lambda _report: self.crop_store.resave())  # the batch rewrote it

        self.exporter = Exporter(self, self._tasks, self._export_items, self._report, self._crop_recipe)
        self.exporter.finished.connect(self.export_finished)

        self.tool = CropTool(self._view, self.workbench, self)
        self.tool.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.keys = KeySetup(self)
        self.actions_ = build_actions(self)
        panels = next(a.menu() for a in self.menuBar().actions() if a.menu() and a.text() == "&View").addMenu("&Panels")
        for dock in self.findChildren(QDockWidget):
            panels.addAction(dock.toggleViewAction())
        self._wire()
        self.setAcceptDrops(True)
        self.setWindowTitle(APP_TITLE)
        self.skipped = SkippedFiles(self.library, self._report, self)  # no bad file in Library or Recent
        self.skipped.reported.connect(self.skipped_reported)
        self.skipped.recent_changed.connect(lambda: self.empty.set_recent(recent_paths()))
        self.empty.set_recent(recent_paths())
        self.keys.show_keys()
        self._restore_settings()
        self.cropset_panel.restore_set()

    def _wire(self) -> None:
        v, wb, lp = self._view, self.workbench, self.layout_panel
        v.crop_edited.connect(wb.edit_crop)
        v.crop_changing.connect(self._show_crop_info)
        v.region_drawn.connect(wb.add_region)
        v.region_edited.connect(wb.edit_region)
        v.region_changing.connect(wb.preview_region)
        v.region_released.connect(wb.end_preview)
        wb.preview_ready.connect(lambda box: v.set_crop(box))
        v.selection_changed.connect(lp.set_selected)
        v.draw_mode_changed.connect(lp.set_draw_mode)
        lp.draw_requested.connect(self.start_drawing)
        lp.delete_requested.connect(wb.delete_region)
        lp.clear_requested.connect(wb.clear_regions)
        lp.fit_requested.connect(wb.fit_to_layout)
        lp.selection_changed.connect(lambda sel: v.select_region(*(sel or (None, 0))))
        wb.layout_status.connect(lp.show_status)
        wb.state_changed.connect(self._render)
        wb.state_changed.connect(lambda state, _why: self.suggestions_panel.mark_applied(state.box))
        wb.attention_crop.connect(self.crop_changed)
        wb.attention_crop.connect(self._follow_tau)
        wb.attention_crop.connect(self._show_left_out)
        wb.constrained_ready.connect(self._show_left_out)
        wb.attention_message.connect(self.attention_panel.show_result)
        self.aspect_panel.aspect_chosen.connect(wb.set_aspect)
        self.aspect_panel.swap_requested.connect(wb.swap_orientation)
        self.attention_panel.request_changed.connect(wb.set_attention_request)
        self.library.paths_changed.connect(self.filmstrip.set_paths)
        self.empty.open_requested.connect(self.open_dialog)
        self.empty.open_folder_requested.connect(self.open_folder_dialog)
        self.empty.recent_chosen.connect(self.open_any)
        self.library.thumbnail_ready.connect(self.filmstrip.set_thumbnail)
        self.filmstrip.image_chosen.connect(self.open_path)
        self._wire_cropsets()

    def _wire_cropsets(self) -> None:
        cs, cp = self.cropsets, self.cropset_panel
        cp.set_requested.connect(cs.choose_set)
        cp.target_clicked.connect(cs.show_target)
        cp.reset_requested.connect(cs.reset_target)
        cp.choices_changed.connect(cs.set_choices)
        cp.export_requested.connect(lambda all_images: cs.export(all_images=all_images))
        cp.cancel_requested.connect(cs.cancel_export)
        cs.set_changed.connect(cp.show_set)
        cs.pending.connect(cp.show_pending)
        cs.result_ready.connect(cp.show_result)
        cs.active_changed.connect(cp.set_active)
        cs.status.connect(cp.show_status)
        cs.exporter.started.connect(lambda total: cp.set_exporting(True, total))
        cs.exporter.progress.connect(cp.show_progress)
        cs.exporter.finished.connect(lambda _report: cp.set_exporting(False))
        cs.set_choices(cp.choices())

    def _restore_settings(self) -> None:
        settings = QSettings()
        if not self.restoreGeometry(settings.value(_SETTINGS_GEOMETRY, b"")):
            self.resize(1280, 860)
        self.restoreState(settings.value(_SETTINGS_STATE, b""), _STATE_VERSION)
        guides = settings.value(_SETTINGS_GUIDES, ["thirds"])
        guides = [guides] if isinstance(guides, str) else list(guides or [])
        for kind, action in self.actions_.guides.items():
            action.setChecked(kind in guides)
        self.actions_.heat.setChecked(str(settings.value(_SETTINGS_HEAT, "false")).lower() == "true")

    def _add_dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = add_dock(self, title, name, widget, area, compact=name in _COMPACT)
        self.dock_titles[name] = dock.titleBarWidget()  # type: ignore[assignment]
        return dock

    def dock_of(self, panel: QWidget) -> QDockWidget:
        """The dock that holds ``panel``."""
        return next(d for d in self.findChildren(QDockWidget) if d.widget() is panel or d.isAncestorOf(panel))

    # -- public API -------------------------------------------------------------------
    @property
    def view(self) -> ImageView:
        return self._view

    @property
    def tasks(self) -> TaskRunner:
        """The window's task runner (panels submit their engine calls here)."""
        return self._tasks

    def current_image(self) -> LoadedImage | None:
        """The image on display, or ``None``."""
        return self._image

    def crop_state(self) -> CropState | None:
        """The current image's crop state."""
        return self.workbench.session.state()

    def is_loading(self) -> bool:
        return self._tasks.is_busy(_LOAD)

    def open_path(self, path: str | Path) -> None:
        """Load ``path`` in a worker; emits ``image_loaded`` or ``load_failed`` when done."""
        path = Path(path)
        self._pending = path
        log.info("opening %s", path)
        self.statusBar().showMessage(f"Loading {path.name}…")
        cached = self._images.get(path)
        if cached is not None:
            self._tasks.submit(_LOAD, lambda: cached)  # still through the runner: one path for all loads
        else:
            self._tasks.submit(_LOAD, load_image, path, max_side=LOAD_MAX_SIDE)

    def open_folder(self, folder: str | Path) -> bool:
        """Put the folder's images in the library and open the first; False when it has none.
        Files that are not images, or turn out unreadable, are left out and listed once."""
        folder = Path(folder)
        try:
            images, skipped = folder_scan(folder)
        except OSError as exc:
            self._report(f"Cannot read folder '{folder}': {exc.strerror or exc}")
            return False
        if not images:
            self._report(f"No images in '{folder}' (supported: {', '.join(_suffixes())})")
            return False
        self.skipped.folder_skipped(skipped)
        self.library.set_paths(images)
        remember_recent(folder)
        self.open_path(images[0])
        return True

    def open_any(self, path: str | Path) -> None:
        """Open a file, or a folder as the library (a path that is gone is forgotten)."""
        path = Path(path)
        if path.is_dir():
            self.open_folder(path)
        else:
            self.skipped.remember_when_readable([path])
            self.open_path(path)

    def show_neighbour(self, step: int) -> None:
        """Open the next (``step`` 1) or previous (-1) image of the library."""
        current = self._image.info.path if self._image is not None else None
        target = self.library.neighbour(current, step)
        if target is not None and (current is None or target != image_key(current)):
            self.open_path(target)

    def _dialog_folder(self) -> str:
        """Where file dialogs open: the current image's folder, else the last one used."""
        if self._image is not None:
            return str(self._image.info.path.parent)
        return str(QSettings().value(_SETTINGS_LAST_DIR, str(Path.home())))

    @Slot()
    def open_dialog(self) -> None:
        """Ask for files (modal file dialog) and open them."""
        names, _ = QFileDialog.getOpenFileNames(self, "Open images", self._dialog_folder(), file_dialog_filter())
        if names:
            QSettings().setValue(_SETTINGS_LAST_DIR, str(Path(names[0]).parent))
            self.skipped.remember_when_readable(names)  # recent once they prove readable
            self.library.add(names)
            self.open_path(names[0])

    @Slot()
    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open folder", self._dialog_folder())
        if folder:
            QSettings().setValue(_SETTINGS_LAST_DIR, folder)
            self.open_folder(folder)

    # -- canvas intents ------------------------------------------------------------------
    @Slot(object)
    def start_drawing(self, kind: RegionKind | None) -> None:
        """The next drag on the canvas draws a ``kind`` region."""
        if kind is not None and not self._view.has_image():
            self.layout_panel.set_draw_mode(None)
            return
        self._view.set_draw_mode(kind)
        self._view.setFocus()

    @Slot()
    def delete_selected_region(self) -> None:
        selected = self._view.selected_region()
        if selected is not None:
            self.workbench.delete_region(*selected)

    def set_guide(self, kind: str, on: bool) -> None:
        guides = set(self._view.guides())
        (guides.add if on else guides.discard)(kind)
        self._view.set_guides(guides)
        QSettings().setValue(_SETTINGS_GUIDES, sorted(guides))

    @Slot()
    def cycle_guides(self) -> None:
        """Show the next guide alone (thirds, phi, spiral, diagonals, grid, none)."""
        shown = [k for k in GUIDES if k in self._view.guides()]
        order = [*GUIDES, None]
        nxt = order[(order.index(shown[0]) + 1) % len(order)] if len(shown) == 1 else GUIDES[0]
        for kind, action in self.actions_.guides.items():
            action.setChecked(kind == nxt)

    @Slot(bool)
    def set_heat_visible(self, on: bool) -> None:
        self._view.set_heat_visible(on)
        QSettings().setValue(_SETTINGS_HEAT, "true" if on else "false")

    # -- rendering ---------------------------------------------------------------------------
    @Slot(object, str)
    def _render(self, state: CropState, why: str) -> None:
        ratio = state.ratio
        self._view.set_ratio_lock(ratio.value if ratio is not None else None)
        self._view.set_crop(state.box, state.extra)
        self._view.set_regions(state.keep, state.avoid)
        self.aspect_panel.set_choice(state.aspect)
        self.attention_panel.set_fixed_ratio(ratio is not None)
        self.layout_panel.set_regions(state.keep, state.avoid)
        self.layout_panel.set_selected(self._view.selected_region())
        self._show_crop_info(state.box)
        path = self.workbench.session.current_path()
        stack = self.workbench.session.undo_stack()
        if path is not None and stack is not None:
            self.filmstrip.set_edited(path, stack.count() > 0)

    @Slot(object)
    def _follow_tau(self, crop: object) -> None:
        """The slider shows the tau the crop was made with (the automatic one too)."""
        tau = getattr(crop, "tau", None)
        if crop is not None and getattr(crop, "auto", None) is not None and tau is not None:
            self.attention_panel.show_tau(tau)

    @Slot(object)
    def _show_crop_info(self, box: Box | None) -> None:
        state = self.crop_state()
        if box is None or state is None:
            self._crop_info.setText("")
            self._crop_info.setVisible(False)
            return
        self._crop_info.setVisible(True)
        w, h = round(box.width), round(box.height)
        label = state.aspect.label if state.aspect.kind != "free" else f"free {w / h:.3g}:1" if h else "free"
        self._crop_info.setText(
            f"crop {w} x {h} px at {round(box.x0)},{round(box.y0)}  ·  {label}  ·  image {state.image_size[0]} x "
            f"{state.image_size[1]}  ·  zoom {self._view.zoom():.0%}"
        )

    def crop_readout(self) -> str:
        """The crop's size, position and ratio as the bar under the canvas shows them."""
        return self._crop_info.text()

    def _report(self, message: str) -> None:
        self.statusBar().showMessage(message)
        self._banner.setText(message)
        self._banner.show()

    # -- task outcomes (GUI thread) ---------------------------------------------------------
    @Slot(str, object)
    def _on_task_returned(self, key: str, result: object) -> None:
        if key == _LOAD:
            self._on_loaded(result)  # type: ignore[arg-type]
        elif key == _ATTENTION:
            self._on_analysis(result)  # type: ignore[arg-type]

    def _on_loaded(self, image: LoadedImage) -> None:
        self._image = image
        info = image.info
        self._images.put(info.path, image)
        self._canvas.setCurrentWidget(self._view)
        self._view.set_image(image.rgb, (info.width, info.height))
        self._banner.hide()
        self.workbench.open_image(image)
        self.attention_panel.show_result("Computing the attention map…")
        cached = self._analyses.get(info.path)
        if cached is not None and cached.image is image:
            self._on_analysis(cached)
        else:
            self._tasks.submit(_ATTENTION, analyse_image, image, self.workbench.cropper)
        if self.library.index_of(info.path) < 0:  # opened as a file, not browsed to in the library
            self.skipped.remember_when_readable([info.path])
            self.library.add([info.path])
        self.skipped.readable(info.path)  # now it is a recent file, if the user opened it
        self.filmstrip.set_current(image_key(info.path))
        self.setWindowTitle(f"{APP_TITLE} — {info.path.name}")
        message = f"{info.path.name} — {info.width}x{info.height} {info.format}".rstrip()
        if image.scale < 1:
            h, w = image.rgb.shape[:2]
            message += f" (preview {w}x{h})"
        self.statusBar().showMessage(message)
        self.image_loaded.emit(image)

    def _on_analysis(self, result: ImageAnalysis) -> None:
        if result.image is not self._image:
            return  # it belongs to an image no longer shown
        self._analyses.put(result.image.info.path, result)
        self._view.set_heat(result.prepared.attention.values)
        subjects = result.prepared.attention.subjects
        self._view.set_heads([h.box for h in subjects.heads] if subjects is not None else ())
        self.workbench.set_analysis(result)
        self.attention_ready.emit(result.prepared)
        self.analysis_ready.emit(result)

    def _show_left_out(self, result: object) -> None:
        """Mark the heads a crop result leaves out and say so in the status line. The result
        (an AttentionCrop, or a ConstrainedCrop's proposal) lists them in ``left_out``
        (heads or head boxes) when the subject rule could not keep every head whole."""
        left = getattr(result, "left_out", None)
        if left is None:
            left = getattr(getattr(result, "proposal", None), "left_out", None) or ()
        boxes = {getattr(h, "box", h) for h in left}
        heads = self._view.heads_item().heads()
        self._view.set_heads(heads, [i for i, box in enumerate(heads) if box in boxes])
        if boxes:
            self.statusBar().showMessage(left_out_message(len(boxes), len(heads)), 10_000)

    @Slot(str, object)
    def _on_task_errored(self, key: str, exc: object) -> None:
        if key == _ATTENTION:
            self.workbench.analysis_failed(str(exc))
            return
        if key != _LOAD:
            return
        name = self._pending.name if self._pending else "the image"
        if self._pending is not None:  # not an image: out of the library and the recent list
            self.skipped.unreadable(self._pending)
        if isinstance(exc, CropStudioError):
            message = str(exc)
        else:  # a bug, not the user's fault: say so but keep running
            message = f"Unexpected error while opening {name}: {type(exc).__name__}: {exc}"
        self._report(message)
        self.load_failed.emit(message)

    # -- export (app.export.flow does the work) ----------------------------------------------------
    def export_dialog(self, *, all_images: bool = False) -> None:
        """Ask for export settings (modal dialog), then export the crop or every image's."""
        default = self._image.info.path.parent if self._image is not None else Path.home()
        self.exporter.dialog(all_images=all_images, default_folder=default)

    def export(self, settings: ExportSettings, *, all_images: bool = False) -> bool:
        """Export in a worker, asking before overwriting; ``export_finished`` tells the outcome."""
        return self.exporter.export(settings, all_images=all_images)

    def is_exporting(self) -> bool:
        return self.exporter.is_running()

    def summary_box(self):  # noqa: ANN201 - QMessageBox | None
        """The summary of the last batch export (non-modal), or None."""
        return self.exporter.summary_box

    def _export_items(self, all_images: bool) -> list[tuple[Path, CropState | None]]:
        """The current image's crop, or every Library image's in order (``None``: not opened yet,
        or no crop yet: the exporter computes it in a worker)."""
        states = self.workbench.session.states()
        if not all_images:
            path = self.workbench.session.current_path()
            return [(path, states[path])] if path is not None and states[path].box is not None else []
        paths = self.library.paths()
        paths += [p for p in states if p not in paths]
        return [(p, s if (s := states.get(p)) is not None and s.box is not None else None) for p in paths]

    def _crop_recipe(self) -> CropRecipe:
        """How an image opened now would be cropped (Export All crops unopened images so)."""
        wb = self.workbench
        return CropRecipe(wb.default_aspect(), wb.attention_request().tau, wb.cropper, self.crop_store.store)

    # -- drag and drop ------------------------------------------------------------------
    @staticmethod
    def dropped_path(mime: QMimeData) -> Path | None:
        """The one local, supported image file (or folder) in ``mime``, else ``None``."""
        urls = mime.urls() if mime.hasUrls() else []
        if len(urls) != 1 or not urls[0].isLocalFile():
            return None
        path = Path(urls[0].toLocalFile())
        return path if is_supported(path) or path.is_dir() else None

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
        self.open_any(path)

    # -- lifetime -----------------------------------------------------------------------
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
