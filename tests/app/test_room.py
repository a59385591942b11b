"""Room for the picture (issue 19): at 1024x700 the canvas gets the space; docks fold; cards wrap."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QDockWidget

from app.suggestions.panel import CARD_WIDTH, SuggestionCard, SuggestionsPanel, composition_pixmap
from app.suggestions.engine import SuggestedCrop, SuggestResult, SuggestRequest
from app.shell.window import MainWindow
from models.geometry import Box
from tests.conftest import SAMPLES

TIMEOUT_MS = 20_000


@pytest.fixture
def window(qtbot, shown_window):
    win = shown_window((1024, 700))
    with qtbot.waitSignal(win.analysis_ready, timeout=TIMEOUT_MS):
        win.opener.open_folder(SAMPLES)
    return win


def test_the_photo_gets_the_room_at_1024x700(window, qtbot):
    assert (window.width(), window.height()) == (1024, 700)  # no panel forces a bigger window
    qtbot.waitUntil(lambda: window.view.viewport().height() > 300, timeout=TIMEOUT_MS)
    shown = window.view.mapFromScene(window.view.sceneRect()).boundingRect()
    assert min(shown.width(), shown.height()) >= 420  # the 512 px astronaut; about 340x225 px before
    assert window.filmstrip.height() <= 100  # a thin strip
    assert window.view.width() > window.width() / 2


def test_docks_fold_to_their_title(window):
    dock = window.findChild(QDockWidget, "attention-dock")
    title = window.dock_titles["attention-dock"]
    tall = dock.height()
    title.arrow.click()
    assert title.is_folded() and not dock.widget().isVisible()
    window.layout().activate()
    title.arrow.click()
    assert not title.is_folded() and dock.widget().isVisible() and dock.height() <= tall + 2


def test_messages_wrap_whole(window):
    label = window.attention_panel._result  # noqa: SLF001 - its geometry is what is checked
    assert label.wordWrap() and label.height() >= 2 * label.fontMetrics().lineSpacing()


def test_suggestion_cards_are_thumbnail_first_and_wrap(qtbot):
    panel = SuggestionsPanel()
    qtbot.addWidget(panel)
    rgb = np.zeros((60, 80, 3), np.uint8)
    crops = tuple(SuggestedCrop(i, 0.9 - i / 10, Box(0, 0, 100, 80), rgb) for i in range(4))
    panel.show_result(SuggestResult(SuggestRequest(SAMPLES / "astronaut.jpg", (512, 512)), crops, ()))
    panel.resize(2 * CARD_WIDTH + 60, 600)
    panel.show()
    qtbot.waitUntil(lambda: panel._cards_box.columns() == 2, timeout=TIMEOUT_MS)  # noqa: SLF001 - two per row
    panel.resize(4 * CARD_WIDTH + 90, 600)
    qtbot.waitUntil(lambda: panel._cards_box.columns() == 4, timeout=TIMEOUT_MS)  # noqa: SLF001 - wider: four
    card = panel.cards[0]
    assert isinstance(card, SuggestionCard)
    assert card.layout().indexOf(card.thumb) == 0  # the picture first, the text under it
    assert not composition_pixmap(np.eye(4, dtype=np.float32), panel.references.iconSize(), 1.0).isNull()


def test_a_dock_layout_saved_by_an_older_version_is_not_restored(qtbot):
    from PySide6.QtCore import QSettings, Qt

    old = MainWindow()
    qtbot.addWidget(old)
    sets = old.dock_of(old.cropset_panel)
    old.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, sets)  # where the crop-set dock used to be
    QSettings().setValue("window/state", old.saveState())  # version 0
    new = MainWindow()
    qtbot.addWidget(new)
    assert new.dockWidgetArea(new.dock_of(new.cropset_panel)) == Qt.DockWidgetArea.RightDockWidgetArea
    old.close()  # saves with the current version: that one is restored
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.dockWidgetArea(again.dock_of(again.cropset_panel)) == Qt.DockWidgetArea.LeftDockWidgetArea
