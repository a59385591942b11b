"""The main window's actions, menus and toolbar, with their keyboard shortcuts.

Single-letter shortcuts (K, A, X, O, H) do not fire while a text field has the focus: the
field takes the key as text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from app.canvas.guides import GUIDE_NAMES, GUIDES
from app.library import clear_recent, recent_paths

if TYPE_CHECKING:
    from app.window import MainWindow

__all__ = ["WindowActions", "build_actions"]


@dataclass(frozen=True, slots=True)
class WindowActions:
    open: QAction
    open_folder: QAction
    recent: QMenu
    export: QAction
    export_all: QAction
    quit: QAction
    undo: QAction
    redo: QAction
    delete_region: QAction
    clear_regions: QAction
    draw_keep: QAction
    draw_avoid: QAction
    crop_to_layout: QAction
    swap: QAction
    guides: dict[str, QAction]
    cycle_guides: QAction
    heat: QAction
    fit: QAction
    actual_size: QAction
    zoom_in: QAction
    zoom_out: QAction
    next_image: QAction
    previous_image: QAction


def _action(window: MainWindow, text: str, shortcut: QKeySequence | str | None = None, slot=None, *,
            checkable: bool = False, tip: str | None = None) -> QAction:  # fmt: skip
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setCheckable(checkable)
    if tip:
        action.setStatusTip(tip)
    if slot is not None:
        (action.toggled if checkable else action.triggered).connect(slot)
    return action


def build_actions(w: MainWindow) -> WindowActions:
    """Create the actions, menus and toolbar of ``w`` (handlers are ``w``'s methods)."""
    group = w.workbench.session.undo_group
    undo = group.createUndoAction(w, "&Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = group.createRedoAction(w, "&Redo")
    redo.setShortcuts([QKeySequence(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Y")])
    guides = {
        kind: _action(w, GUIDE_NAMES[kind], None, lambda on, k=kind: w.set_guide(k, on), checkable=True) for kind in GUIDES
    }
    a = WindowActions(
        open=_action(w, "&Open…", "Ctrl+O", w.open_dialog),
        open_folder=_action(w, "Open &Folder…", "Ctrl+Shift+O", w.open_folder_dialog),
        recent=QMenu("Open &Recent", w),
        export=_action(w, "&Export Crop…", "Ctrl+E", lambda: w.export_dialog(all_images=False)),
        export_all=_action(w, "Export &All Crops…", "Ctrl+Shift+E", lambda: w.export_dialog(all_images=True)),
        quit=_action(w, "&Quit", "Ctrl+Q", w.close),
        undo=undo,
        redo=redo,
        delete_region=_action(w, "&Delete Region", QKeySequence.StandardKey.Delete, w.delete_selected_region),
        clear_regions=_action(w, "C&lear Regions", None, w.workbench.clear_regions),
        draw_keep=_action(w, "Draw &Keep Region", "K", lambda: w.start_drawing("keep"),
                          tip="Drag on the photo: a region the crop must keep"),  # fmt: skip
        draw_avoid=_action(w, "Draw &Avoid Region", "A", lambda: w.start_drawing("avoid"),
                           tip="Drag on the photo: a region the crop must leave out"),  # fmt: skip
        crop_to_layout=_action(w, "&Crop to Layout", "Ctrl+L", w.workbench.fit_to_layout),
        swap=_action(w, "&Swap Orientation", "X", w.workbench.swap_orientation),
        guides=guides,
        cycle_guides=_action(w, "&Next Guide", "O", w.cycle_guides),
        heat=_action(w, "Attention &Heat Map", "H", w.set_heat_visible, checkable=True),
        fit=_action(w, "&Fit to Window", "Ctrl+0", w.view.fit_to_window),
        actual_size=_action(w, "&Actual Pixels", "Ctrl+1", w.view.set_actual_size),
        zoom_in=_action(w, "Zoom &In", QKeySequence.StandardKey.ZoomIn, lambda: w.view.zoom_by(1.25)),
        zoom_out=_action(w, "Zoom &Out", QKeySequence.StandardKey.ZoomOut, lambda: w.view.zoom_by(0.8)),
        next_image=_action(w, "&Next Image", "PgDown", lambda: w.show_neighbour(1)),
        previous_image=_action(w, "&Previous Image", "PgUp", lambda: w.show_neighbour(-1)),
    )
    a.quit.setMenuRole(QAction.MenuRole.QuitRole)
    short = {a.open: "Open", a.open_folder: "Folder", a.export: "Export", a.undo: "Undo", a.redo: "Redo",
             a.draw_keep: "Keep", a.draw_avoid: "Avoid", a.swap: "Swap", a.heat: "Heat",
             guides["thirds"]: "Thirds", guides["phi"]: "Phi", guides["spiral"]: "Spiral"}  # fmt: skip
    for action, text in short.items():
        action.setIconText(text)
    a.recent.aboutToShow.connect(lambda: _fill_recent(w, a.recent))
    _build_menus(w, a)
    _build_toolbar(w, a)
    return a


def _fill_recent(w: MainWindow, menu: QMenu) -> None:
    menu.clear()
    paths = recent_paths()
    for path in paths:
        action = menu.addAction(str(path))
        action.triggered.connect(lambda _=False, p=path: w.open_any(p))
    if paths:
        menu.addSeparator()
    clear = menu.addAction("Clear Recent")
    clear.setEnabled(bool(paths))
    clear.triggered.connect(clear_recent)


def _build_menus(w: MainWindow, a: WindowActions) -> None:
    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    for item in (a.open, a.open_folder, a.recent, None, a.export, a.export_all, None, a.quit):
        _add(file_menu, item)
    edit = bar.addMenu("&Edit")
    for item in (a.undo, a.redo, None, a.delete_region, a.clear_regions):
        _add(edit, item)
    crop = bar.addMenu("&Crop")
    for item in (a.swap, None, a.draw_keep, a.draw_avoid, a.crop_to_layout):
        _add(crop, item)
    view = bar.addMenu("&View")
    guides = view.addMenu("&Guides")
    for action in a.guides.values():
        guides.addAction(action)
    guides.addSeparator()
    guides.addAction(a.cycle_guides)
    for item in (a.heat, None, a.fit, a.actual_size, a.zoom_in, a.zoom_out, None, a.next_image, a.previous_image):
        _add(view, item)


def _add(menu: QMenu, item: QAction | QMenu | None) -> None:
    if item is None:
        menu.addSeparator()
    elif isinstance(item, QMenu):
        menu.addMenu(item)
    else:
        menu.addAction(item)


def _build_toolbar(w: MainWindow, a: WindowActions) -> None:
    bar = QToolBar("Tools", w)
    bar.setObjectName("tools-toolbar")
    bar.setMovable(False)
    for item in (a.open, a.open_folder, a.export, None, a.undo, a.redo, None, a.draw_keep, a.draw_avoid, a.swap,
                 None, a.guides["thirds"], a.guides["phi"], a.guides["spiral"], a.heat):  # fmt: skip
        if item is None:
            bar.addSeparator()
        else:
            bar.addAction(item)
    w.addToolBar(bar)
