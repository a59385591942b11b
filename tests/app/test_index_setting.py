"""The ProCrop index chosen in the suggestions panel is kept in QSettings and chosen again at
the next start; a saved folder that is gone or is not an index falls back to the default."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from app.suggestions.panel import DEFAULT_INDEX
from app.suggestions.controller import SETTINGS_INDEX
from app.shell.window import MainWindow
from models.resources import resource_path

TIMEOUT_MS = 30_000


@pytest.fixture
def user_index(tmp_path) -> Path:
    """A valid index in a folder of the user's (a copy of the bundled one)."""
    return Path(shutil.copytree(resource_path("index"), tmp_path / "portfolio-index"))


def new_window(qtbot) -> MainWindow:
    win = MainWindow()
    qtbot.addWidget(win)
    return win


def window_and_restored_index(qtbot) -> tuple[MainWindow, Path | None]:
    """A new window, once it has checked the saved index in its worker (``index_restored``)."""
    win = new_window(qtbot)
    with qtbot.waitSignal(win.suggestions.index_restored, timeout=TIMEOUT_MS) as blocker:
        pass  # the check answers through the event loop, which runs only from here on
    return win, blocker.args[0]


def test_the_chosen_index_is_chosen_again_at_the_next_start(qtbot, user_index):
    first = new_window(qtbot)
    assert first.suggestions.index() is None and first.suggestions_panel.index_combo.currentText() == DEFAULT_INDEX
    first.suggestions_panel.set_index_folder(user_index)  # as the folder dialog does
    assert QSettings().value(SETTINGS_INDEX) == str(user_index)
    first.close()

    win, index = window_and_restored_index(qtbot)
    assert index == user_index
    assert win.suggestions.index() == user_index
    assert win.suggestions_panel.index_folder() == user_index
    assert win.suggestions_panel.index_combo.currentText() == "portfolio-index"
    assert "last session" in win.suggestions_panel.status()[1]


def test_choosing_the_default_again_is_kept_too(qtbot, user_index):
    win = new_window(qtbot)
    win.suggestions_panel.set_index_folder(user_index)
    win.suggestions_panel.set_index_folder(None)
    assert QSettings().value(SETTINGS_INDEX) == ""
    win.close()
    again = new_window(qtbot)
    assert again.suggestions.index() is None and not again.tasks.is_busy()


def test_a_saved_folder_that_is_gone_falls_back_to_the_default(qtbot, tmp_path):
    QSettings().setValue(SETTINGS_INDEX, str(tmp_path / "deleted-index"))
    win = new_window(qtbot)
    assert win.suggestions.index() is None
    assert win.suggestions_panel.index_combo.currentText() == DEFAULT_INDEX
    level, text = win.suggestions_panel.status()
    assert level == "warn" and "no longer exists" in text and "default index" in text
    assert QSettings().value(SETTINGS_INDEX) == ""  # not tried again at every start


def test_a_saved_folder_that_is_not_an_index_falls_back_to_the_default(qtbot, tmp_path):
    folder = tmp_path / "holiday-photos"
    folder.mkdir()
    QSettings().setValue(SETTINGS_INDEX, str(folder))
    win, index = window_and_restored_index(qtbot)
    assert index is None
    assert win.suggestions.index() is None and win.suggestions_panel.index_folder() is None
    level, text = win.suggestions_panel.status()
    assert level == "warn" and "is not a ProCrop index" in text and "default index" in text
    assert "default index" in win.statusBar().currentMessage()
    assert QSettings().value(SETTINGS_INDEX) == ""
