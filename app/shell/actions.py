"""The main window's actions, menus and toolbar, with their keyboard shortcuts.

The keys come from one registry (:mod:`app.shell.keys`, remappable in File > Preferences and
listed in Help > Keyboard Shortcuts); every action's tooltip names its key. Single-letter
shortcuts (R, A, X, O, P, K, H) do not fire while a text field has the focus: the field takes
the key as text.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from app.editor.canvas.guides import GUIDE_NAMES, GUIDES
from app.library.images import clear_recent, recent_paths
from app.shell.keys import SHORTCUTS, apply_keys

if TYPE_CHECKING:
    from PySide6.QtWidgets import QMainWindow as MainWindow  # app.shell.window's, which imports this module

__all__ = ["WindowActions", "build_actions"]

_TEXT = {s.id: s.text for s in SHORTCUTS}


@dataclass(frozen=True, slots=True)
class WindowActions:
    open: QAction
    open_folder: QAction
    recent: QMenu
    export: QAction
    export_all: QAction
    preferences: QAction
    quit: QAction
    undo: QAction
    redo: QAction
    delete_region: QAction
    clear_regions: QAction
    crop_tool: QAction
    lock_ratio: QAction
    commit: QAction
    preview: QAction
    revert: QAction
    reset_crop: QAction
    draw_keep: QAction
    draw_avoid: QAction
    crop_to_layout: QAction
    swap: QAction
    guides: dict[str, QAction]
    cycle_guides: QAction
    rotate_guide: QAction
    heat: QAction
    fit: QAction
    actual_size: QAction
    zoom_in: QAction
    zoom_out: QAction
    next_image: QAction
    previous_image: QAction
    shortcuts: QAction

    def keyed(self) -> dict[str, QAction]:
        """The actions of the key registry, by id."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name in _TEXT}


def _action(window: MainWindow, id_: str, slot=None, *, checkable: bool = False, tip: str | None = None,
            text: str | None = None) -> QAction:  # fmt: skip
    action = QAction(text or _TEXT[id_], window)
    action.setObjectName(id_)
    action.setCheckable(checkable)
    if tip:
        action.setStatusTip(tip)
    if slot is not None:
        (action.toggled if checkable else action.triggered).connect(slot)
    return action


def build_actions(w: MainWindow) -> WindowActions:
    """Create the actions, menus and toolbar of ``w`` (handlers are its parts' methods).

    Long: one table of every action, then the menus and the toolbar that show them."""
    group = w.workbench.session.undo_group
    undo = group.createUndoAction(w, "&Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = group.createRedoAction(w, "&Redo")
    redo.setShortcuts([QKeySequence(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Y")])
    guides = {}
    for kind in GUIDES:
        guides[kind] = QAction(GUIDE_NAMES[kind], w)
        guides[kind].setCheckable(True)
        guides[kind].toggled.connect(lambda on, k=kind: w.area.set_guide(k, on))
    wb, v = w.workbench, w.view
    a = WindowActions(
        open=_action(w, "open", w.opener.open_dialog, text="&Open…"),
        open_folder=_action(w, "open_folder", w.opener.open_folder_dialog, text="Open &Folder…"),
        recent=QMenu("Open &Recent", w),
        export=_action(w, "export", lambda: w.export_dialog(all_images=False), text="&Export Crop…"),
        export_all=_action(w, "export_all", lambda: w.export_dialog(all_images=True), text="Export &All Crops…",
                           tip="Export the crop of every image of the Library"),  # fmt: skip
        preferences=_action(w, "preferences", w.keys.preferences_dialog, text="&Preferences…"),
        quit=_action(w, "quit", w.close, text="&Quit"),
        undo=undo,
        redo=redo,
        delete_region=_action(w, "delete_region", w.area.delete_selected_region, text="&Delete Region"),
        clear_regions=QAction("C&lear Regions", w),
        crop_tool=_action(w, "crop_tool", w.tool.enter, tip="The crop tool: the crop on the canvas, ready to edit"),
        lock_ratio=_action(w, "lock_ratio", wb.toggle_ratio_lock, tip="Lock the crop's ratio as it is, or free it"),
        commit=_action(w, "commit", w.tool.commit, tip="Commit the crop and preview it"),
        preview=_action(w, "preview", w.tool.set_preview, checkable=True,
                        tip="Crop preview: hide everything outside the crop"),  # fmt: skip
        revert=_action(w, "revert", w.tool.revert, tip="Revert the crop to where it was at the last commit"),
        reset_crop=_action(w, "reset_crop", wb.reset_crop, tip="Reset to the automatic crop"),
        draw_keep=_action(w, "draw_keep", lambda: w.area.start_drawing("keep"), text="Draw &Keep Region",
                          tip="Drag on the photo: a region the crop must keep"),  # fmt: skip
        draw_avoid=_action(w, "draw_avoid", lambda: w.area.start_drawing("avoid"), text="Draw &Avoid Region",
                           tip="Drag on the photo: a region the crop must leave out"),  # fmt: skip
        crop_to_layout=_action(w, "crop_to_layout", wb.fit_to_layout, text="&Crop to Layout"),
        swap=_action(w, "swap", wb.swap_orientation, text="&Swap Orientation"),
        guides=guides,
        cycle_guides=_action(w, "cycle_guides", w.area.cycle_guides, text="&Next Overlay"),
        rotate_guide=_action(w, "rotate_guide", w.tool.rotate_guide, text="&Rotate Overlay"),
        heat=_action(w, "heat", w.area.set_heat_visible, checkable=True, text="Attention &Heat Map"),
        fit=_action(w, "fit", v.fit_to_window, text="&Fit to Window"),
        actual_size=_action(w, "actual_size", v.set_actual_size, text="&Actual Pixels"),
        zoom_in=_action(w, "zoom_in", lambda: v.zoom_by(1.25), text="Zoom &In"),
        zoom_out=_action(w, "zoom_out", lambda: v.zoom_by(0.8), text="Zoom &Out"),
        next_image=_action(w, "next_image", lambda: w.opener.show_neighbour(1), text="&Next Image"),
        previous_image=_action(w, "previous_image", lambda: w.opener.show_neighbour(-1), text="&Previous Image"),
        shortcuts=_action(w, "shortcuts", w.keys.shortcuts_dialog, text="&Keyboard Shortcuts"),
    )
    a.clear_regions.triggered.connect(wb.clear_regions)
    a.quit.setMenuRole(QAction.MenuRole.QuitRole)
    a.preferences.setMenuRole(QAction.MenuRole.PreferencesRole)
    apply_keys(a.keyed())
    short = {a.open: "Open", a.open_folder: "Folder", a.export: "Export", a.undo: "Undo", a.redo: "Redo",
             a.crop_tool: "Crop", a.lock_ratio: "Lock", a.preview: "Preview", a.draw_keep: "Keep",
             a.draw_avoid: "Avoid", a.swap: "Swap", a.heat: "Heat",
             guides["thirds"]: "Thirds", guides["phi"]: "Phi", guides["spiral"]: "Spiral"}  # fmt: skip
    for action, text in short.items():
        action.setIconText(text)
    a.recent.aboutToShow.connect(lambda: _fill_recent(w, a.recent))
    w.tool.preview_changed.connect(lambda on: _show_checked(a.preview, on))
    _build_menus(w, a)
    _build_toolbar(w, a)
    return a


def _show_checked(action: QAction, on: bool) -> None:
    """Show ``on`` without triggering the action again."""
    action.blockSignals(True)
    action.setChecked(on)
    action.blockSignals(False)


def _fill_recent(w: MainWindow, menu: QMenu) -> None:
    menu.clear()
    paths = recent_paths()
    for path in paths:
        action = menu.addAction(str(path))
        action.triggered.connect(lambda _=False, p=path: w.opener.open_any(p))
    if paths:
        menu.addSeparator()
    clear = menu.addAction("Clear Recent")
    clear.setEnabled(bool(paths))
    clear.triggered.connect(clear_recent)


def _build_menus(w: MainWindow, a: WindowActions) -> None:
    bar = w.menuBar()
    file_menu = bar.addMenu("&File")
    for item in (a.open, a.open_folder, a.recent, None, a.export, a.export_all, None, a.preferences, None, a.quit):
        _add(file_menu, item)
    edit = bar.addMenu("&Edit")
    for item in (a.undo, a.redo, None, a.delete_region, a.clear_regions):
        _add(edit, item)
    crop = bar.addMenu("&Crop")
    for item in (a.crop_tool, a.commit, a.revert, a.reset_crop, a.preview, None, a.lock_ratio, a.swap, None,
                 a.draw_keep, a.draw_avoid, a.crop_to_layout):  # fmt: skip
        _add(crop, item)
    view = bar.addMenu("&View")
    guides = view.addMenu("&Overlays")
    for action in a.guides.values():
        guides.addAction(action)
    guides.addSeparator()
    guides.addAction(a.cycle_guides)
    guides.addAction(a.rotate_guide)
    for item in (a.heat, None, a.fit, a.actual_size, a.zoom_in, a.zoom_out, None, a.next_image, a.previous_image):
        _add(view, item)
    help_menu = bar.addMenu("&Help")
    help_menu.addAction(a.shortcuts)


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
    for item in (a.open, a.open_folder, a.export, None, a.undo, a.redo, None, a.crop_tool, a.lock_ratio, a.swap,
                 a.preview, None, a.draw_keep, a.draw_avoid, None, a.guides["thirds"], a.guides["phi"],
                 a.guides["spiral"], a.heat):  # fmt: skip
        if item is None:
            bar.addSeparator()
        else:
            bar.addAction(item)
    w.addToolBar(bar)
