"""The real window: layout regions drive the constrained crop; aspect presets; undo; per-image state."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QEvent, QPointF, QSettings, Qt
from PySide6.QtWidgets import QMessageBox

import app.editor.constrained
from app.editor.state import size_choice
from app.shell.window import MainWindow
from models.geometry import Box
from tests.app.conftest import drag, send_mouse

TIMEOUT_MS = 20_000
FACE = Box(175, 40, 300, 190)


@pytest.fixture
def window(qtbot, sample_image, monkeypatch):
    def no_dialogs(*args, **kwargs):
        raise AssertionError("the window opened a message box")

    for name in ("question", "warning", "critical", "information"):
        monkeypatch.setattr(QMessageBox, name, no_dialogs)
    win = MainWindow()
    qtbot.addWidget(win)
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    with qtbot.waitSignal(win.analysis_ready, timeout=TIMEOUT_MS):
        win.open_path(sample_image)
    return win


def draw(window, kind: str, box: Box) -> None:
    """Draw a region as a user does: the panel's button, then a drag on the photo."""
    button = window.layout_panel.keep_button if kind == "keep" else window.layout_panel.avoid_button
    button.click()
    assert window.view.draw_mode() == kind
    drag(window.view, (box.x0, box.y0), (box.x1, box.y1))


def satisfies(box: Box, keep=(), avoid=()) -> bool:
    return all(box.contains(k, tol=0.5) for k in keep) and all(
        (i := box.intersection(a)) is None or min(i.width, i.height) <= 0.5 for a in avoid
    )


def test_drawing_keep_and_avoid_regions_recomputes_a_crop_that_honours_them(window, qtbot):
    window.aspect_panel.choose_text("16:9")
    with qtbot.waitSignal(window.workbench.constrained_ready, timeout=TIMEOUT_MS):
        draw(window, "keep", FACE)
    state = window.crop_state()
    (keep,) = state.keep
    assert keep.iou(FACE) > 0.95
    assert satisfies(state.box, state.keep)
    assert state.box.width / state.box.height == pytest.approx(16 / 9, abs=0.01)
    with qtbot.waitSignal(window.workbench.constrained_ready, timeout=TIMEOUT_MS) as blocker:
        draw(window, "avoid", Box(0, 250, 150, 512))
    state = window.crop_state()
    assert len(state.avoid) == 1
    assert state.box == blocker.args[0].proposal.box
    assert satisfies(state.box, state.keep, state.avoid)
    assert window.view.crop_box() == state.box
    assert window.view.regions("avoid") == state.avoid
    level, text = window.layout_panel.status()
    assert level == "ok" and "keeps 1 region and avoids 1 region" in text
    assert window.layout_panel.rows()[0].startswith("Keep 1:") and window.layout_panel.rows()[1].startswith("Avoid 1:")


def test_one_undo_removes_a_region_and_the_crop_it_caused(window, qtbot):
    before = window.crop_state()
    with qtbot.waitSignal(window.workbench.constrained_ready, timeout=TIMEOUT_MS):
        window.workbench.add_region("keep", Box(0, 0, 60, 60))
    assert window.crop_state().box != before.box
    window.actions_.undo.trigger()
    assert window.crop_state() == before
    window.actions_.redo.trigger()
    assert window.crop_state().keep == (Box(0, 0, 60, 60),) and window.crop_state().box.contains(Box(0, 0, 60, 60))


def test_an_impossible_layout_is_shown_in_the_panel(window, qtbot):
    with qtbot.waitSignal(window.workbench.constrained_ready, timeout=TIMEOUT_MS):
        window.workbench.add_region("keep", FACE)
    box = window.crop_state().box
    with qtbot.waitSignal(window.workbench.constrained_failed, timeout=TIMEOUT_MS) as blocker:
        window.workbench.add_region("avoid", Box(200, 100, 400, 300))  # overlaps the keep region
    assert "overlaps" in blocker.args[0]
    level, text = window.layout_panel.status()
    assert level == "error" and "overlaps" in text
    assert window.crop_state().box == box  # the crop is left alone
    window.aspect_panel.choose_text("1:1")  # other edits keep working; the error stays shown
    qtbot.waitUntil(lambda: not window.workbench.is_computing(), timeout=TIMEOUT_MS)
    assert window.layout_panel.status()[0] == "error"
    with qtbot.waitSignal(window.workbench.constrained_ready, timeout=TIMEOUT_MS):
        window.layout_panel.list.setCurrentRow(1)  # select the avoid region in the list...
        window.layout_panel.delete_button.click()  # ...and delete it
    assert window.layout_panel.status()[0] == "ok"


def test_keep_regions_wider_than_the_ratio_allows_are_explained(window, qtbot):
    window.aspect_panel.choose_text("9:16")
    with qtbot.waitSignal(window.workbench.constrained_failed, timeout=TIMEOUT_MS) as blocker:
        window.workbench.add_region("keep", Box(0, 200, 512, 260))
    assert "9:16" in blocker.args[0] and "largest" in blocker.args[0]


def test_quick_edits_are_debounced_into_one_computation(window, qtbot, monkeypatch):
    calls = []
    real = app.editor.constrained.propose_crop
    monkeypatch.setattr(app.editor.constrained, "propose_crop", lambda *a: (calls.append(a), real(*a))[1])
    with qtbot.waitSignal(window.workbench.constrained_ready, timeout=TIMEOUT_MS):
        window.workbench.add_region("keep", Box(200, 60, 260, 160))
        for i in range(5):
            state = window.crop_state()
            window.workbench.edit_region("keep", 0, state.keep[0], state.keep[0].translated(1, 0), "nudge")
    qtbot.waitUntil(lambda: not window.workbench.is_computing(), timeout=TIMEOUT_MS)
    assert len(calls) == 1
    assert calls[0][2].keep == (Box(205, 60, 265, 160),)
    assert window.workbench.session.undo_stack().count() == 2  # the add, and the nudges merged


def test_a_stale_constrained_crop_is_dropped(window, qtbot, monkeypatch):
    release, entered = threading.Event(), threading.Event()
    real = app.editor.constrained.propose_crop

    def slow(*args):
        entered.set()
        release.wait(TIMEOUT_MS / 1000)
        return real(*args)

    monkeypatch.setattr(app.editor.constrained, "propose_crop", slow)
    before = window.crop_state()
    window.workbench.add_region("keep", Box(0, 0, 60, 60))
    qtbot.waitUntil(entered.is_set, timeout=TIMEOUT_MS)
    window.actions_.undo.trigger()  # the user takes the region back while the engine works
    release.set()
    window.tasks.wait(TIMEOUT_MS)
    qtbot.wait(30)  # deliver the stale answer's queued signals, if any were (wrongly) relayed
    assert window.crop_state() == before


def test_aspect_presets_custom_ratio_and_swap(window, qtbot):
    panel = window.aspect_panel
    panel.choose_text("4:5")
    box = window.crop_state().box
    assert box.width / box.height == pytest.approx(0.8, abs=0.01)
    assert window.view.ratio_lock() == pytest.approx(0.8)
    window.actions_.swap.trigger()
    assert window.crop_state().aspect.label == "5:4" and panel.combo.currentText() == "Custom W:H…"
    assert window.view.ratio_lock() == pytest.approx(1.25)
    panel.combo.setCurrentIndex(panel.combo.findText("Custom W:H…"))
    panel.custom.setText("2.35")
    panel.custom.returnPressed.emit()
    assert window.crop_state().aspect.label == "2.35:1"
    panel.custom.setText("wide")
    panel.custom.returnPressed.emit()
    assert "cannot read aspect ratio" in panel.message() and window.crop_state().aspect.label == "2.35:1"
    panel.choose_text("Free")
    assert window.view.ratio_lock() is None and not window.attention_panel.two_regions.isEnabled()


def test_target_size_sets_ratio_and_export_size(window):
    index = next(i for i in range(window.aspect_panel.combo.count()) if "1200x628" in window.aspect_panel.combo.itemText(i))
    window.aspect_panel.combo.setCurrentIndex(index)
    state = window.crop_state()
    assert state.aspect == size_choice(1200, 628)
    assert state.box.width / state.box.height == pytest.approx(1200 / 628, abs=0.01)
    window.actions_.swap.trigger()
    assert window.crop_state().aspect == size_choice(628, 1200)


def test_x_key_swaps_a_free_crop_about_its_centre(window, qtbot):
    window.aspect_panel.choose_text("Free")
    window.workbench.edit_crop(window.crop_state().box, Box(100, 150, 400, 350), "move")
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_X)
    box = window.crop_state().box
    assert (box.width, box.height) == (200, 300) and box.center == (250, 250)


def test_hand_edits_and_undo_redo(window, qtbot):
    start = window.crop_state().box
    drag(window.view, start.center, (start.center[0] - 40, start.center[1] + 25))
    moved = window.crop_state().box
    assert moved != start and (moved.width, moved.height) == (start.width, start.height)
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Left)
    qtbot.keyClick(window.view, Qt.Key.Key_Left)
    assert window.crop_state().box == moved.translated(-2, 0)
    assert window.actions_.undo.text() == "&Undo Nudge crop"
    window.actions_.undo.trigger()  # both nudges are one step
    assert window.crop_state().box == moved
    window.actions_.undo.trigger()
    assert window.crop_state().box == start and window.view.crop_box() == start
    window.actions_.redo.trigger()
    assert window.view.crop_box() == moved


def test_delete_key_removes_the_selected_region(window, qtbot):
    with qtbot.waitSignal(window.workbench.constrained_ready, timeout=TIMEOUT_MS):
        window.workbench.add_region("avoid", Box(0, 0, 50, 50))
    window.view.select_region("avoid", 0)
    assert window.layout_panel.selected() == ("avoid", 0)
    window.actions_.delete_region.trigger()
    assert window.crop_state().avoid == () and window.layout_panel.rows() == []
    window.actions_.undo.trigger()
    assert window.crop_state().avoid == (Box(0, 0, 50, 50),)


def test_the_tau_slider_still_drives_the_crop(window, qtbot):
    window.aspect_panel.choose_text("1:1")
    with qtbot.waitSignal(window.crop_changed, timeout=TIMEOUT_MS) as blocker:
        window.attention_panel.tau_slider.setValue(40)
    assert window.crop_state().box == blocker.args[0].boxes[0]
    window.attention_panel.tau_slider.setValue(45)
    window.attention_panel.tau_slider.setValue(50)
    assert window.actions_.undo.text().startswith("&Undo Attention crop")
    window.actions_.undo.trigger()  # the slider's moves are one step
    assert window.crop_state().aspect.label == "1:1" and window.actions_.undo.text() == "&Undo Aspect 1:1"


def test_per_image_state_is_kept_across_image_switches(window, qtbot, sample_image):
    window.aspect_panel.choose_text("16:9")
    with qtbot.waitSignal(window.workbench.constrained_ready, timeout=TIMEOUT_MS):
        window.workbench.add_region("keep", FACE)
    window.workbench.edit_crop(window.crop_state().box, window.crop_state().box.translated(0, 5), "move")
    astronaut = window.crop_state()
    other = sample_image.parent / "coffee.jpg"
    with qtbot.waitSignal(window.analysis_ready, timeout=TIMEOUT_MS):
        window.open_path(other)
    coffee = window.crop_state()
    assert coffee.keep == () and coffee.aspect.label == "16:9"  # new images take the last ratio
    assert coffee.box is not None and window.view.regions("keep") == ()
    assert not window.actions_.undo.isEnabled()  # its own, empty history
    with qtbot.waitSignal(window.analysis_ready, timeout=TIMEOUT_MS):
        window.open_path(sample_image)
    assert window.crop_state() == astronaut
    assert window.view.crop_box() == astronaut.box and window.view.regions("keep") == astronaut.keep
    assert window.aspect_panel.choice().label == "16:9"
    window.actions_.undo.trigger()  # the history came back with the image
    assert window.crop_state().box == astronaut.box.translated(0, -5)


def test_guides_and_heat_map_toggle_and_persist(window, qtbot):
    actions = window.actions_
    assert window.view.guides() == {"thirds"}  # the default
    actions.guides["spiral"].trigger()
    assert window.view.guides() == {"thirds", "spiral"}
    actions.cycle_guides.trigger()  # two shown: start the cycle at thirds alone
    assert window.view.guides() == {"thirds"}
    actions.cycle_guides.trigger()
    assert window.view.guides() == {"phi"}
    actions.heat.trigger()
    assert window.view.heat_visible() and window.view.has_heat()
    assert QSettings().value("view/guides") in (["phi"], "phi")
    window.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.view.guides() == {"phi"} and again.actions_.heat.isChecked()


def test_dragging_a_region_previews_the_constrained_crop_live(window, qtbot):
    with qtbot.waitSignal(window.workbench.constrained_ready, timeout=TIMEOUT_MS):
        window.workbench.add_region("keep", Box(60, 300, 120, 360))
    view = window.view
    vp = view.viewport()

    def at(x, y):
        return QPointF(view.mapFromScene(QPointF(x, y)))

    send_mouse(vp, QEvent.Type.MouseButtonPress, at(90, 330))
    with qtbot.waitSignal(window.workbench.preview_ready, timeout=TIMEOUT_MS) as blocker:
        for i in range(1, 6):
            send_mouse(vp, QEvent.Type.MouseMove, at(90 + 60 * i, 330 - 50 * i), button=Qt.MouseButton.NoButton)
    preview = blocker.args[0]
    assert view.crop_box() == preview and preview.contains(view.regions("keep")[0], tol=1)
    assert window.crop_state().keep == (Box(60, 300, 120, 360),)  # not an edit until released
    with qtbot.waitSignal(window.workbench.constrained_ready, timeout=TIMEOUT_MS):
        send_mouse(vp, QEvent.Type.MouseButtonRelease, at(390, 80), buttons=Qt.MouseButton.NoButton)
    state = window.crop_state()
    assert state.keep[0].iou(Box(360, 50, 420, 110)) > 0.9 and satisfies(state.box, state.keep)
    assert window.workbench.session.undo_stack().count() == 2  # add; move (its crop folded in)


def test_a_region_drag_that_ends_where_it_began_restores_the_crop(window, qtbot):
    with qtbot.waitSignal(window.workbench.constrained_ready, timeout=TIMEOUT_MS):
        window.workbench.add_region("keep", Box(60, 300, 120, 360))
    window.workbench.edit_crop(window.crop_state().box, Box(0, 250, 300, 512), "resize")  # by hand
    view = window.view
    with qtbot.waitSignal(window.workbench.preview_ready, timeout=TIMEOUT_MS):
        send_mouse(view.viewport(), QEvent.Type.MouseButtonPress, QPointF(view.mapFromScene(QPointF(90, 330))))
        send_mouse(view.viewport(), QEvent.Type.MouseMove, QPointF(view.mapFromScene(QPointF(150, 330))),
                   button=Qt.MouseButton.NoButton)  # fmt: skip
    send_mouse(view.viewport(), QEvent.Type.MouseMove, QPointF(view.mapFromScene(QPointF(90, 330))),
               button=Qt.MouseButton.NoButton)  # fmt: skip
    send_mouse(view.viewport(), QEvent.Type.MouseButtonRelease, QPointF(view.mapFromScene(QPointF(90, 330))),
               buttons=Qt.MouseButton.NoButton)  # fmt: skip
    assert view.crop_box() == Box(0, 250, 300, 512) == window.crop_state().box
