"""Detected heads on the canvas: shown with the heat map (key H), left-out heads in the status line."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.editor.canvas.heads import left_out_message
from app.editor.image_view import ImageView
from models.geometry import Box
from models.subjects import Head

TIMEOUT_MS = 20_000


@pytest.fixture
def window(shown_window):
    return shown_window()


def test_heads_toggle_with_the_heat_map(qtbot):
    view = ImageView()
    qtbot.addWidget(view)
    view.set_image(np.full((400, 600, 3), 90, np.uint8), (1200, 800))
    view.set_heads([Box(100, 100, 300, 350)])
    item = view.heads_item()
    assert item.heads() == (Box(100, 100, 300, 350),) and not item.isVisible()
    view.set_heat_visible(True)
    assert item.isVisible() and item.sceneBoundingRect().contains(100, 100)
    view.set_heat_visible(False)
    assert not item.isVisible()
    view.set_image(np.full((40, 60, 3), 90, np.uint8))  # a new image clears them
    assert item.heads() == ()


def test_the_window_marks_the_astronauts_head_and_key_h_shows_it(qtbot, window, sample_image):
    with qtbot.waitSignal(window.analysis_ready, timeout=TIMEOUT_MS):
        window.open_path(sample_image)
    (head,) = window.view.heads_item().heads()
    assert Box(120, 0, 330, 240).contains(head)  # Eileen Collins' head, hair to chin
    shown = window.view.heat_visible()
    window.actions_.heat.trigger()  # the H action
    assert window.view.heat_visible() is not shown
    assert window.view.heads_item().isVisible() is not shown
    assert window.actions_.heat.shortcut().toString() == "H"


@dataclass(frozen=True)
class _Result:  # what a crop result of the subject rule carries
    left_out: tuple


def test_a_crop_that_leaves_a_head_out_says_so(qtbot, window, sample_image):
    with qtbot.waitSignal(window.analysis_ready, timeout=TIMEOUT_MS):
        window.open_path(sample_image)
    (box,) = window.view.heads_item().heads()
    window.area.show_left_out(_Result((Head(box, box, 0.9),)))  # noqa: SLF001 - the slot the crop signals reach
    assert window.view.heads_item().left_out() == {0}
    assert window.statusBar().currentMessage() == left_out_message(1, 1)
    window.area.show_left_out(_Result(()))  # noqa: SLF001
    assert window.view.heads_item().left_out() == frozenset()


def test_left_out_messages():
    assert left_out_message(0, 3) == ""
    assert "the head" in left_out_message(1, 1)
    assert "2 of 3 heads" in left_out_message(2, 3)
