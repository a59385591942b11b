"""The library: open a folder, thumbnails in the background, navigation, recent files, the cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

import app.shell.opener
from app.library.images import ImageCache, clear_recent, folder_images, recent_paths, remember_recent
from app.shell.window import MainWindow
from tests.conftest import SAMPLES

TIMEOUT_MS = 20_000


@pytest.fixture
def folder(tmp_path) -> Path:
    """Three samples and two files that are not images the library lists."""
    for name in ("coffee.jpg", "astronaut.jpg", "rocket.jpg"):
        shutil.copy(SAMPLES / name, tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / ".hidden.jpg").write_bytes((SAMPLES / "coffee.jpg").read_bytes())
    return tmp_path


@pytest.fixture
def window(qtbot):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    return win


def test_folder_images_are_the_supported_visible_files_by_name(folder):
    assert [p.name for p in folder_images(folder)] == ["astronaut.jpg", "coffee.jpg", "rocket.jpg"]


def test_open_folder_fills_the_filmstrip_and_loads_thumbnails(qtbot, window, folder):
    with qtbot.waitSignal(window.analysis_ready, timeout=TIMEOUT_MS):
        assert window.opener.open_folder(folder)
    strip = window.filmstrip
    assert [p.name for p in strip.paths()] == ["astronaut.jpg", "coffee.jpg", "rocket.jpg"]
    assert window.current_image().info.path.name == "astronaut.jpg"
    assert strip.current_path().name == "astronaut.jpg"
    qtbot.waitUntil(lambda: all(strip.has_thumbnail(p) for p in strip.paths()), timeout=TIMEOUT_MS)
    assert recent_paths()[0] == folder.absolute()


def test_clicking_a_thumbnail_and_page_keys_move_between_images(qtbot, window, folder):
    with qtbot.waitSignal(window.analysis_ready, timeout=TIMEOUT_MS):
        window.opener.open_folder(folder)
    strip = window.filmstrip
    with qtbot.waitSignal(window.image_loaded, timeout=TIMEOUT_MS) as blocker:
        rect = strip.visualRect(strip.model().index(2, 0))
        qtbot.mouseClick(strip.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args[0].info.path.name == "rocket.jpg"
    with qtbot.waitSignal(window.image_loaded, timeout=TIMEOUT_MS) as blocker:
        window.actions_.next_image.trigger()  # wraps around
    assert blocker.args[0].info.path.name == "astronaut.jpg"
    with qtbot.waitSignal(window.image_loaded, timeout=TIMEOUT_MS) as blocker:
        window.actions_.previous_image.trigger()
    assert blocker.args[0].info.path.name == "rocket.jpg"
    assert strip.current_path().name == "rocket.jpg"


def test_an_empty_folder_is_reported(window, tmp_path):
    assert window.opener.open_folder(tmp_path) is False
    assert "No images" in window.statusBar().currentMessage()


def test_opening_files_adds_them_to_the_library(qtbot, window):
    for name in ("coffee.jpg", "rocket.jpg"):
        with qtbot.waitSignal(window.image_loaded, timeout=TIMEOUT_MS):
            window.open_path(SAMPLES / name)
    assert [p.name for p in window.library.paths()] == ["coffee.jpg", "rocket.jpg"]


def test_dropping_a_folder_opens_it(qtbot, window, folder):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder))])
    event = QDropEvent(QPointF(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)  # fmt: skip
    with qtbot.waitSignal(window.image_loaded, timeout=TIMEOUT_MS):
        window.dropEvent(event)
    assert len(window.library.paths()) == 3


def test_recent_files_newest_first_without_duplicates(tmp_path):
    for name in ("a.jpg", "b.jpg", "a.jpg"):
        remember_recent(tmp_path / name)
    assert recent_paths() == [tmp_path / "a.jpg", tmp_path / "b.jpg"]
    for i in range(20):
        remember_recent(tmp_path / f"{i}.jpg")
    assert len(recent_paths()) == 10
    clear_recent()
    assert recent_paths() == []


def test_open_recent_menu_lists_and_reopens(qtbot, window):
    with qtbot.waitSignal(window.image_loaded, timeout=TIMEOUT_MS):
        window.open_path(SAMPLES / "coffee.jpg")
    menu = window.actions_.recent
    menu.aboutToShow.emit()
    entries = [a for a in menu.actions() if not a.isSeparator()]
    assert entries[0].text() == str((SAMPLES / "coffee.jpg").absolute()) and entries[-1].text() == "Clear Recent"
    with qtbot.waitSignal(window.image_loaded, timeout=TIMEOUT_MS):
        entries[0].trigger()


def test_going_back_to_an_image_reuses_its_pixels_and_analysis(qtbot, window, monkeypatch):
    calls = []
    real = app.shell.opener.load_image
    def counting(path, *, max_side):
        calls.append(path)
        return real(path, max_side=max_side)

    monkeypatch.setattr(app.shell.opener, "load_image", counting)
    analyses = []
    window.analysis_ready.connect(analyses.append)
    for name in ("coffee.jpg", "rocket.jpg", "coffee.jpg"):
        with qtbot.waitSignal(window.analysis_ready, timeout=TIMEOUT_MS):
            window.open_path(SAMPLES / name)
    assert [Path(c).name for c in calls] == ["coffee.jpg", "rocket.jpg"]
    assert analyses[2] is analyses[0]


def test_cache_drops_changed_files(tmp_path):
    path = tmp_path / "x.jpg"
    path.write_bytes(b"1")
    cache: ImageCache[str] = ImageCache(size=2)
    cache.put(path, "one")
    assert cache.get(path) == "one"
    path.write_bytes(b"22")
    assert cache.get(path) is None
    for i in range(3):
        p = tmp_path / f"{i}.jpg"
        p.write_bytes(b"x")
        cache.put(p, str(i))
    assert cache.get(tmp_path / "0.jpg") is None and cache.get(tmp_path / "2.jpg") == "2"
