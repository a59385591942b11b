"""The keys Lightroom Classic and darktable users expect, pressed on the real window (issue 19)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMessageBox

from app.editor.canvas.guides import guide_polylines
from app.shell.keys import SHORTCUTS, clashes, current_keys
from app.shell.keys_dialog import ShortcutsDialog
from app.editor.state import FREE
from app.shell.window import MainWindow
from models.geometry import Box

TIMEOUT_MS = 20_000
NO = Qt.KeyboardModifier.NoModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(qtbot, shown_window, sample_image, monkeypatch):
    for name in ("question", "warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: (_ for _ in ()).throw(AssertionError("a dialog")))
    win = shown_window((1200, 800))
    with qtbot.waitSignal(win.analysis_ready, timeout=TIMEOUT_MS):
        win.open_path(sample_image)
    win.view.setFocus()
    return win


def press(qtbot, window, key, modifiers=NO) -> None:
    qtbot.keyClick(window.view, key, modifiers)


def test_defaults_follow_lightroom_and_do_not_clash():
    keys = current_keys()
    expected = {"crop_tool": "R", "lock_ratio": "A", "swap": "X", "cycle_guides": "O", "rotate_guide": "Shift+O",
                "commit": "Return", "revert": "Esc", "reset_crop": "Ctrl+Alt+R", "draw_keep": "K",
                "draw_avoid": "Shift+K"}  # fmt: skip
    assert {k: keys[k] for k in expected} == expected
    assert clashes(keys) == []


def test_every_action_names_its_key_in_its_tooltip(window):
    for id_, action in window.actions_.keyed().items():
        key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        assert key and action.toolTip().endswith(f"({key})"), id_
    assert window.aspect_panel.swap.toolTip() == "Swap orientation (X)"
    assert "(Shift+K)" in window.layout_panel.avoid_button.toolTip()


def test_a_locks_and_unlocks_the_ratio_without_moving_the_crop(window, qtbot):
    window.aspect_panel.choose(FREE)
    window.workbench.edit_crop(window.crop_state().box, Box(100, 100, 400, 300), "move")
    press(qtbot, window, Qt.Key.Key_A)
    state = window.crop_state()
    assert state.box == Box(100, 100, 400, 300) and str(state.ratio) == "3:2"
    assert window.view.ratio_lock() == pytest.approx(1.5)
    press(qtbot, window, Qt.Key.Key_A)
    assert window.crop_state().aspect == FREE and window.view.ratio_lock() is None
    assert window.view.draw_mode() is None  # A no longer starts an avoid region


def test_k_and_shift_k_draw_keep_and_avoid_regions(window, qtbot):
    press(qtbot, window, Qt.Key.Key_K)
    assert window.view.draw_mode() == "keep"
    press(qtbot, window, Qt.Key.Key_Escape)  # Esc first leaves drawing
    assert window.view.draw_mode() is None
    press(qtbot, window, Qt.Key.Key_K, SHIFT)
    assert window.view.draw_mode() == "avoid"


def test_x_swaps_and_o_cycles_and_shift_o_rotates_the_overlay(window, qtbot):
    window.aspect_panel.choose_text("16:9")
    press(qtbot, window, Qt.Key.Key_X)
    assert str(window.crop_state().ratio) == "9:16"
    for kind, action in window.actions_.guides.items():
        action.setChecked(kind == "thirds")
    press(qtbot, window, Qt.Key.Key_O)
    assert window.view.guides() == {"phi"}
    press(qtbot, window, Qt.Key.Key_O)
    assert window.view.guides() == {"spiral"}
    box = window.view.crop_box()
    before = guide_polylines("spiral", box, window.view.guide_turn())
    press(qtbot, window, Qt.Key.Key_O, SHIFT)
    assert window.view.guide_turn() == 1
    assert guide_polylines("spiral", box, window.view.guide_turn()) != before


def test_enter_commits_and_previews_esc_reverts_r_returns_to_the_tool(window, qtbot):
    first = window.crop_state().box
    window.workbench.edit_crop(first, Box(50, 60, 250, 260), "move")
    press(qtbot, window, Qt.Key.Key_Return)
    assert window.view.crop_preview() and window.actions_.preview.isChecked()
    assert window.view.crop_item is not None and not window.view.crop_item.isVisible()
    press(qtbot, window, Qt.Key.Key_R)
    assert not window.view.crop_preview() and window.view.crop_item.isVisible() and window.view.hasFocus()
    window.workbench.edit_crop(Box(50, 60, 250, 260), Box(10, 10, 210, 210), "move")
    press(qtbot, window, Qt.Key.Key_Escape)
    assert window.crop_state().box == Box(50, 60, 250, 260)  # back to the commit, not to the start
    window.actions_.undo.trigger()
    assert window.crop_state().box == Box(10, 10, 210, 210)  # the revert is one undo step


def test_p_toggles_the_crop_preview(window, qtbot):
    press(qtbot, window, Qt.Key.Key_P)
    assert window.view.crop_preview()
    press(qtbot, window, Qt.Key.Key_P)
    assert not window.view.crop_preview()


def test_esc_on_a_fresh_image_reverts_to_its_automatic_crop(window, qtbot):
    automatic = window.crop_state().box
    window.workbench.edit_crop(automatic, Box(0, 0, 100, 100), "move")
    press(qtbot, window, Qt.Key.Key_Escape)
    assert window.crop_state().box == automatic


def test_ctrl_alt_r_resets_to_the_automatic_crop(window, qtbot):
    automatic = window.crop_state().box
    window.workbench.edit_crop(automatic, Box(0, 0, 100, 100), "move")
    window.actions_.commit.trigger()  # even after a commit
    press(qtbot, window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert window.crop_state().box == automatic
    assert window.actions_.undo.text() == "&Undo Reset to the automatic crop"


def test_keys_are_remapped_in_preferences_and_listed_in_help(window, qtbot):
    dialog = ShortcutsDialog(current_keys(), editable=True, parent=window)
    qtbot.addWidget(dialog)
    dialog.set_key("lock_ratio", "L")
    dialog.set_key("crop_to_layout", "L")
    assert "L is given to both" in dialog.error()
    dialog.set_key("crop_to_layout", "Ctrl+Shift+L")
    assert dialog.error() == ""
    window.keys.set_keys(dialog.keys())
    assert window.actions_.lock_ratio.shortcut().toString() == "L"
    assert window.actions_.lock_ratio.toolTip().endswith("(L)")
    window.aspect_panel.choose(FREE)
    press(qtbot, window, Qt.Key.Key_L)
    assert window.crop_state().aspect != FREE
    again = MainWindow()  # remembered
    qtbot.addWidget(again)
    assert again.actions_.lock_ratio.shortcut().toString() == "L"
    listing = ShortcutsDialog(current_keys(), editable=False, parent=window)
    qtbot.addWidget(listing)
    assert listing.key_shown("lock_ratio") == "L"
    assert listing.table.rowCount() > len(SHORTCUTS)  # undo, redo and the canvas's keys too
    assert window.actions_.shortcuts in next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help").actions()
