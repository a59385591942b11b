"""Honest state, bad files and the empty canvas (issue 19): every line says what is true now."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from app.library.images import recent_paths, remember_recent
from app.shell.window import MainWindow
from models.geometry import Box
from tests.conftest import SAMPLES

TIMEOUT_MS = 20_000
FACE = Box(175, 40, 300, 190)


@pytest.fixture
def window(shown_window):
    return shown_window((1200, 800))


def open_and_analyse(qtbot, win, path):
    with qtbot.waitSignal(win.analysis_ready, timeout=TIMEOUT_MS):
        win.open_path(path)


@pytest.fixture
def bad_folder(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(SAMPLES / "astronaut.jpg", folder / "a-good.jpg")
    data = (SAMPLES / "coffee.jpg").read_bytes()
    (folder / "b-truncated.jpg").write_bytes(data[: len(data) // 3])
    (folder / "c-notes.jpg").write_text("not pixels\n")
    (folder / "readme.txt").write_text("a note\n")
    return folder


# -- the tau slider, messages -----------------------------------------------------------------


def test_the_tau_slider_follows_the_automatic_tau(qtbot, window, sample_image):
    open_and_analyse(qtbot, window, sample_image)
    panel = window.attention_panel
    panel.tau_slider.setValue(9)
    panel.auto_tau.setChecked(True)
    crop = window.workbench.analysis().prepared.crop(tau=None)  # the tau the engine chose
    assert panel.tau_slider.value() == round(crop.tau * 100) != 9
    assert panel.request().tau is None  # showing it did not turn automatic off
    assert "Automatic tau" in panel.result_text() and f"{round(crop.tau * 100)}%" in panel.result_text()


def test_no_sliver_from_free_ratio_automatic_tau(qtbot, window, sample_image):
    open_and_analyse(qtbot, window, sample_image)
    window.aspect_panel.choose_text("Free")
    window.attention_panel.auto_tau.setChecked(True)
    box = window.crop_state().box
    assert box.width / box.height >= 0.5 - 0.01  # unbounded it is 158x496 (0.32:1) on the astronaut
    assert "sliver" in window.attention_panel.result_text()


def test_layout_message_goes_when_the_regions_go(qtbot, window, sample_image):
    open_and_analyse(qtbot, window, sample_image)
    with qtbot.waitSignal(window.workbench.constrained_ready, timeout=TIMEOUT_MS):
        window.workbench.add_region("keep", FACE)
    assert "follows the layout regions" in window.attention_panel.result_text()
    window.layout_panel.clear_button.click()
    assert "layout" not in window.attention_panel.result_text()
    assert "Keeps" in window.attention_panel.result_text()  # the attention crop is the crop again
    assert window.layout_panel.status()[1].startswith("Draw keep or avoid regions")


def test_deleting_the_last_region_clears_the_layout_message(qtbot, window, sample_image):
    open_and_analyse(qtbot, window, sample_image)
    with qtbot.waitSignal(window.workbench.constrained_ready, timeout=TIMEOUT_MS):
        window.workbench.add_region("keep", FACE)
    window.workbench.delete_region("keep", 0)
    assert "layout" not in window.attention_panel.result_text()


def test_an_image_never_edited_does_not_claim_an_edit(qtbot, window, sample_image):
    open_and_analyse(qtbot, window, sample_image)
    open_and_analyse(qtbot, window, SAMPLES / "coffee.jpg")
    open_and_analyse(qtbot, window, sample_image)  # back: its automatic crop, never edited
    assert "edit" not in window.attention_panel.result_text()
    window.workbench.edit_crop(window.crop_state().box, Box(10, 10, 300, 300), "move")
    open_and_analyse(qtbot, window, SAMPLES / "coffee.jpg")
    open_and_analyse(qtbot, window, sample_image)
    assert "Crop kept from your edits" in window.attention_panel.result_text()


def test_the_crop_readout_is_not_under_status_messages(qtbot, window, sample_image):
    open_and_analyse(qtbot, window, sample_image)
    window.statusBar().showMessage("a long message " * 20)
    readout = window.area.crop_readout()
    assert readout.startswith("crop ") and "image 512 x 512" in readout
    label = next(w for w in window.findChildren(type(window.empty.title)) if w.objectName() == "crop-readout")
    assert label.isVisible() and not window.statusBar().isAncestorOf(label)


def test_bundled_samples_are_not_called_unwritable(qtbot, window, sample_image):
    open_and_analyse(qtbot, window, sample_image)
    with qtbot.waitSignal(window.crop_store.saved, timeout=TIMEOUT_MS):
        window.workbench.edit_crop(window.crop_state().box, Box(10, 10, 300, 300), "move")
    assert "Cannot write" not in window.statusBar().currentMessage()


# -- bad files ------------------------------------------------------------------------------------


def test_a_folder_scan_keeps_bad_files_out_and_lists_them_once(qtbot, window, bad_folder):
    with qtbot.waitSignal(window.skipped_reported, timeout=TIMEOUT_MS) as blocker:
        assert window.opener.open_folder(bad_folder)
    assert sorted(p.name for p in blocker.args[0]) == ["b-truncated.jpg", "c-notes.jpg", "readme.txt"]
    assert [p.name for p in window.library.paths()] == ["a-good.jpg"]
    assert [p.name for p in window.filmstrip.paths()] == ["a-good.jpg"]
    message = window.statusBar().currentMessage()
    assert "Left out of the Library: 3 files" in message and "truncated" in message and "readme.txt" in message


def test_a_bad_file_opened_directly_enters_neither_library_nor_recent(qtbot, window, bad_folder):
    remember_recent(SAMPLES / "rocket.jpg")
    with qtbot.waitSignal(window.load_failed, timeout=TIMEOUT_MS) as blocker:
        window.opener.open_any(bad_folder / "c-notes.jpg")
    assert "not an image" in blocker.args[0]
    assert window.library.paths() == [] and recent_paths() == [SAMPLES / "rocket.jpg"]
    with qtbot.waitSignal(window.load_failed, timeout=TIMEOUT_MS):
        window.opener.open_any(bad_folder / "b-truncated.jpg")
    assert window.library.paths() == [] and recent_paths() == [SAMPLES / "rocket.jpg"]
    with qtbot.waitSignal(window.image_loaded, timeout=TIMEOUT_MS):
        window.opener.open_any(bad_folder / "a-good.jpg")
    assert recent_paths()[0] == bad_folder / "a-good.jpg"


def test_open_dialog_files_that_fail_stay_out(qtbot, window, bad_folder, monkeypatch):
    names = [str(bad_folder / n) for n in ("a-good.jpg", "c-notes.jpg")]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (names, ""))
    with qtbot.waitSignal(window.skipped_reported, timeout=TIMEOUT_MS):
        window.opener.open_dialog()
    assert [p.name for p in window.library.paths()] == ["a-good.jpg"]
    qtbot.waitUntil(lambda: bad_folder / "a-good.jpg" in recent_paths(), timeout=TIMEOUT_MS)
    assert bad_folder / "c-notes.jpg" not in recent_paths()


def test_dialogs_open_in_the_images_folder(qtbot, window, bad_folder, monkeypatch):
    open_and_analyse(qtbot, window, bad_folder / "a-good.jpg")
    starts = []
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda parent, title, start, *a: (starts.append(start), ([], ""))[1])
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda parent, title, start, *a: starts.append(start) or "")
    window.opener.open_dialog()
    window.opener.open_folder_dialog()
    assert starts == [str(bad_folder), str(bad_folder)]


# -- the empty canvas -------------------------------------------------------------------------------


def test_the_empty_canvas_invites_and_lists_recent_files(qtbot, sample_image):
    remember_recent(SAMPLES / "coffee.jpg")
    remember_recent(sample_image)
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    assert win.empty.isVisible() and not win.view.isVisible()
    assert win.empty.text() == "Open a photo or a folder (Ctrl+O), or drop one here"
    assert [b.toolTip() for b in win.empty.recent_buttons] == [str(sample_image), str(SAMPLES / "coffee.jpg")]
    with qtbot.waitSignal(win.image_loaded, timeout=TIMEOUT_MS):
        qtbot.mouseClick(win.empty.recent_buttons[1], Qt.MouseButton.LeftButton)
    assert win.current_image().info.path == Path(SAMPLES / "coffee.jpg")
    assert win.view.isVisible() and not win.empty.isVisible()
