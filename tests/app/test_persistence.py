"""Crop state across restarts: a window closed and a new one opened give back each image's
crop, aspect and layout (the folder's ``.cropstudio.json``, else the per-user store)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import models.cropsets.project
from app.cropsets.project import SavedCrop, aspect_from_text, aspect_text, read_saved, write_saved
from app.editor.state import FREE, ORIGINAL, ratio_choice, size_choice
from app.shell.window import MainWindow
from models.cropsets.project import PROJECT_FILENAME, load_project
from models.errors import ExportError
from models.cropsets.regions import RelativeBox
from models.geometry import Box

TIMEOUT_MS = 30_000
SAMPLES = Path(__file__).parents[2] / "resources" / "samples"


@pytest.fixture
def photo(tmp_path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    return Path(shutil.copy(SAMPLES / "astronaut.jpg", folder / "astronaut.jpg"))  # 512x512


@pytest.fixture
def store(tmp_path) -> Path:
    return tmp_path / "appdata" / "crops"  # where tests/app/conftest.py puts the per-user store


def new_window(qtbot) -> MainWindow:
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    return win


def open_and_analyse(qtbot, win: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(win.analysis_ready, timeout=TIMEOUT_MS):
        win.open_path(path)


def edit(qtbot, win: MainWindow) -> tuple[Box, Box]:
    """Lock 4:5, draw a keep box, then move the crop by hand; returns (keep, crop)."""
    wb = win.workbench
    wb.set_aspect(ratio_choice("4:5"))
    keep = Box(150, 120, 260, 250)
    with qtbot.waitSignal(wb.constrained_ready, timeout=TIMEOUT_MS):
        wb.add_region("keep", keep)
    crop = Box(100, 40, 340, 340)  # 240 x 300: 4:5, holds the keep box
    wb.edit_crop(win.crop_state().box, crop, "move")
    return keep, crop


def close(qtbot, win: MainWindow) -> None:
    win.close()  # closeEvent writes what is pending and waits for it: the files are there now


def assert_close(a: Box, b: Box) -> None:
    assert a.as_tuple() == pytest.approx(b.as_tuple(), abs=1e-6)


def test_crop_and_layout_come_back_after_a_restart(qtbot, photo):
    win = new_window(qtbot)
    open_and_analyse(qtbot, win, photo)
    keep, crop = edit(qtbot, win)
    close(qtbot, win)

    data = json.loads((photo.parent / PROJECT_FILENAME).read_text())
    assert data["version"] == 2
    entry = load_project(photo.parent / PROJECT_FILENAME).entry(photo)
    assert entry.aspect == "4:5" and entry.crop is not None and len(entry.keep) == 1
    assert_close(entry.crop.to_pixels(512, 512), crop)

    again = new_window(qtbot)
    with qtbot.waitSignal(again.crop_store.restored, timeout=TIMEOUT_MS) as restored:
        again.open_path(photo)
    assert restored.args[0] == photo
    state = again.crop_state()
    assert state.aspect.label == "4:5" and len(state.keep) == 1 and state.avoid == ()
    assert_close(state.box, crop)
    assert_close(state.keep[0], keep)
    assert_close(again.view.crop_box(), crop)  # shown, not only kept
    assert again.workbench.session.undo_stack().count() == 0  # restoring is not an edit
    qtbot.waitUntil(lambda: again.workbench.analysis() is not None, timeout=TIMEOUT_MS)
    assert_close(again.crop_state().box, crop)  # the analysis arriving keeps the restored crop
    assert "restored" in again.statusBar().currentMessage()


def test_an_image_only_looked_at_leaves_no_file(qtbot, photo):
    win = new_window(qtbot)
    open_and_analyse(qtbot, win, photo)  # the automatic first crop is not the user's decision
    close(qtbot, win)
    assert not (photo.parent / PROJECT_FILENAME).exists()


def test_a_read_only_folder_falls_back_to_the_user_store(qtbot, photo, store, monkeypatch):
    real = models.cropsets.project.write_text_atomically

    def refuse_project_files(path, text):
        if Path(path).name == PROJECT_FILENAME:
            raise ExportError(f"cannot write '{path}': Read-only file system")
        return real(path, text)

    monkeypatch.setattr(models.cropsets.project, "write_text_atomically", refuse_project_files)
    win = new_window(qtbot)
    open_and_analyse(qtbot, win, photo)
    with qtbot.waitSignal(win.crop_store.saved, timeout=TIMEOUT_MS) as saved:
        _keep, crop = edit(qtbot, win)
    assert saved.args[1] == "store"
    assert "Cannot write in" in win.statusBar().currentMessage()
    close(qtbot, win)
    assert not (photo.parent / PROJECT_FILENAME).exists()
    assert len(list(store.glob("*.json"))) == 1  # keyed by the image's content hash

    renamed = photo.rename(photo.with_name("renamed.jpg"))  # same bytes: found by its hash
    again = new_window(qtbot)
    with qtbot.waitSignal(again.crop_store.restored, timeout=TIMEOUT_MS):
        again.open_path(renamed)
    assert_close(again.crop_state().box, crop)
    assert again.crop_state().aspect.label == "4:5"


def test_bundled_samples_are_never_written_next_to(qtbot, store):
    sample = SAMPLES / "astronaut.jpg"
    before = sorted(p.name for p in SAMPLES.iterdir())
    win = new_window(qtbot)
    open_and_analyse(qtbot, win, sample)
    with qtbot.waitSignal(win.crop_store.saved, timeout=TIMEOUT_MS) as saved:
        win.workbench.apply_crop(Box(0, 0, 256, 256), "test crop")
    assert saved.args[1] == "store"
    close(qtbot, win)
    assert sorted(p.name for p in SAMPLES.iterdir()) == before
    assert len(list(store.glob("*.json"))) == 1


def test_a_version_1_project_file_still_restores_its_regions(qtbot, photo):
    images = {"astronaut.jpg": {"keep": [[0.25, 0.25, 0.5, 0.5]], "content_hash": "sha256:x"}}
    (photo.parent / PROJECT_FILENAME).write_text(
        json.dumps({"format": "cropstudio-project", "version": 1, "images": images}))  # fmt: skip
    win = new_window(qtbot)
    with qtbot.waitSignal(win.crop_store.restored, timeout=TIMEOUT_MS):
        win.open_path(photo)
    assert win.crop_state().keep == (Box(128, 128, 256, 256),)
    qtbot.waitUntil(lambda: win.crop_state().box is not None and not win.workbench.is_computing(), timeout=TIMEOUT_MS)
    assert win.crop_state().box.contains(Box(128, 128, 256, 256), tol=0.5)  # the layout drives the first crop
    close(qtbot, win)
    entry = load_project(photo.parent / PROJECT_FILENAME).entry(photo)
    assert entry.keep[0].as_tuple() == (0.25, 0.25, 0.5, 0.5) and entry.content_hash == "sha256:x"  # kept


def test_an_unreadable_project_file_is_reported_not_raised(tmp_path, photo, store):
    (photo.parent / PROJECT_FILENAME).write_text('{"format": "cropstudio-project", "version": 9}')
    saved, warning = read_saved(photo, store)
    assert saved == SavedCrop() and "version 9" in warning
    state = SavedCrop(crop=None, aspect="16:9")
    assert write_saved(photo, state, store) == "store"  # the newer file is never replaced
    assert '"version": 9' in (photo.parent / PROJECT_FILENAME).read_text()
    assert read_saved(photo, store)[0] == state


@pytest.mark.parametrize(
    "choice", [FREE, ORIGINAL, ratio_choice("16:9"), ratio_choice("1.91:1"), size_choice(1200, 628)]
)
def test_aspect_choices_round_trip_as_text(choice):
    assert aspect_from_text(aspect_text(choice)) == choice


def test_edits_made_before_the_saved_crop_is_read_win(qtbot, photo, store, monkeypatch):
    import threading

    import app.cropsets.project_files

    write_saved(photo, SavedCrop(crop=RelativeBox(0, 0, 0.5, 0.5), aspect="free"), store)
    gate, real = threading.Event(), app.cropsets.project_files.read_saved

    def slow_read(path, where):
        gate.wait(10)
        return real(path, where)

    monkeypatch.setattr(app.cropsets.project_files, "read_saved", slow_read)
    win = new_window(qtbot)
    open_and_analyse(qtbot, win, photo)
    mine = Box(200, 200, 400, 400)
    win.workbench.apply_crop(mine, "my crop")  # the file is still being read
    with qtbot.waitSignal(win.crop_store.saved, timeout=TIMEOUT_MS):
        gate.set()
    assert_close(win.crop_state().box, mine)
    entry = load_project(photo.parent / PROJECT_FILENAME).entry(photo)
    assert_close(entry.crop.to_pixels(512, 512), mine)
    gate.set()


def test_reopening_an_image_with_regions_clears_the_attention_panels_wait(qtbot, photo):
    """An image whose layout regions came back: its analysis arriving must not leave the
    attention panel saying it is still computing (the crop follows the regions)."""
    other = Path(shutil.copy(SAMPLES / "coffee.jpg", photo.parent / "coffee.jpg"))
    win = new_window(qtbot)
    open_and_analyse(qtbot, win, photo)
    edit(qtbot, win)
    open_and_analyse(qtbot, win, other)
    open_and_analyse(qtbot, win, photo)
    qtbot.waitUntil(lambda: "Computing" not in win.attention_panel.result_text(), timeout=TIMEOUT_MS)
    assert "layout regions" in win.attention_panel.result_text()
    close(qtbot, win)
