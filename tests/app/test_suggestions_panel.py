"""The suggestions dock: ProCrop's ranked crops as cards, applied by a click, in the real window.

The first tests run the bundled weights and index (offline, ~0.3 s an image once loaded); the
stale-result and cancel tests swap in a fake predictor that waits on a gate, so the order of
events is the test's, not the scheduler's.
"""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest
from PySide6.QtCore import Qt

import app.suggestions.engine
from app.suggestions.panel import SuggestionsPanel
from app.editor.session import image_key
from app.shell.window import MainWindow
from models.geometry import Box
from models.procrop.ranking import Queries

TIMEOUT_MS = 30_000
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def window(qtbot, sample_image):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.attention_ready, timeout=TIMEOUT_MS):
        win.open_path(sample_image)
    return win


def show_dock(window, qtbot):
    """Bring the Suggestions tab to the front (that runs ProCrop) and wait for its cards."""
    with qtbot.waitSignal(window.suggestions.result_ready, timeout=TIMEOUT_MS) as blocker:
        window.suggestions_dock.raise_()
    return blocker.args[0]


class GatedPredictor:
    """Answers like the predictor, but ``set_image`` waits until the test opens ``gate``."""

    index = None

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.calls: list[tuple[int, ...]] = []
        self.size = (1, 1)

    def set_image(self, rgb, *, size) -> None:
        self.calls.append(rgb.shape)
        self.size = size  # the queries are in the full image's pixels, as the predictor's
        self.gate.wait(10)

    @property
    def queries(self) -> Queries:  # one query, what models.cropping ranks
        return Queries(np.array([[0.1, 0.2, 0.6, 0.7]]), np.array([0.9]), ("ref-1",), (0.5,), self.size)


@pytest.fixture
def gated(monkeypatch):
    fake = GatedPredictor()
    monkeypatch.setattr(app.suggestions.engine, "load_predictor", lambda index=None: fake)
    yield fake
    fake.gate.set()  # never leave a worker waiting


def test_the_dock_starts_behind_its_tab_and_runs_when_shown(window, qtbot):
    assert window.suggestions_panel.visibleRegion().isEmpty() and not window.suggestions.is_running()
    result = show_dock(window, qtbot)
    panel = window.suggestions_panel
    assert result.request.path == image_key(window.current_image().info.path)
    assert len(panel.cards) == len(result.crops) >= 1
    assert [c.crop.rank for c in panel.cards] == list(range(len(panel.cards)))
    assert panel.cards[0].text() == "<b>#1</b>"  # no score on the card: 0.999 then 0.004 reads as a verdict
    assert all(f"ranking score {c.crop.score:.4f}" in c.toolTip() for c in panel.cards)
    assert all(0 < c.crop.score < 1 for c in panel.cards)
    assert [c.crop.score for c in panel.cards] == sorted((c.crop.score for c in panel.cards), reverse=True)
    assert panel.references.count() == len(result.references) >= 1
    ref = panel.references.item(0)
    assert ref.text() == f"{result.references[0].similarity:.2f}" and "similarity" in ref.toolTip()
    assert not ref.icon().isNull()  # the composition map, drawn
    assert result.references[0].composition is not None and result.references[0].composition.max() == 1.0
    assert not panel.is_busy() and panel.status()[0] == "ok"


def test_clicking_a_card_applies_its_crop_and_undo_restores_it(window, qtbot):
    show_dock(window, qtbot)
    before = window.crop_state().box
    card = window.suggestions_panel.cards[-1]
    qtbot.mouseClick(card, LEFT)
    assert window.crop_state().box == card.crop.box.clipped(*window.crop_state().image_size)
    assert window.view.crops()[0] == window.crop_state().box
    assert [c.is_applied() for c in window.suggestions_panel.cards] == [c is card for c in window.suggestions_panel.cards]
    stack = window.workbench.session.undo_stack()
    assert stack.undoText() == f"Apply suggestion #{card.crop.rank + 1}"
    stack.undo()
    assert window.crop_state().box == before
    assert not card.is_applied()  # the highlight follows the crop on the canvas


def test_a_locked_ratio_is_respected_and_a_new_one_reruns(window, qtbot):
    show_dock(window, qtbot)
    with qtbot.waitSignal(window.suggestions.result_ready, timeout=TIMEOUT_MS) as blocker:
        window.aspect_panel.choose_text("16:9")
    result = blocker.args[0]
    assert result.request.aspect == pytest.approx(16 / 9)
    for crop in result.crops:
        assert crop.box.width / crop.box.height == pytest.approx(16 / 9, rel=0.02)


def test_suggestions_keep_the_layout_regions(window, qtbot):
    show_dock(window, qtbot)
    keep = Box(175, 40, 300, 190)  # the astronaut's face
    with qtbot.waitSignal(window.suggestions.result_ready, timeout=TIMEOUT_MS) as blocker:
        window.workbench.add_region("keep", keep)
    result = blocker.args[0]
    assert result.request.keep == (keep,) and result.crops
    assert all(crop.box.contains(keep, tol=1e-6) for crop in result.crops)


@pytest.mark.parametrize("change", ["image", "aspect", "keep"])
def test_a_stale_result_is_dropped(window, qtbot, gated, sample_image, change):
    shown = []
    window.suggestions.result_ready.connect(shown.append)
    window.suggestions_dock.raise_()  # the first request starts and waits on the gate
    qtbot.waitUntil(lambda: len(gated.calls) == 1, timeout=TIMEOUT_MS)
    first = window.suggestions.request()
    if change == "image":
        with qtbot.waitSignal(window.image_loaded, timeout=TIMEOUT_MS):
            window.open_path(sample_image.parent / "chelsea.jpg")
    elif change == "aspect":
        window.aspect_panel.choose_text("1:1")
    else:
        window.workbench.add_region("keep", Box(100, 100, 200, 200))
    assert window.suggestions.is_running() and window.suggestions.request() != first
    with qtbot.waitSignal(window.suggestions.result_ready, timeout=TIMEOUT_MS) as blocker:
        gated.gate.set()
    assert blocker.args[0].request == window.suggestions.request() != first
    assert len(gated.calls) == 2 and len(shown) == 1  # the first answer never reached the panel
    assert len(window.suggestions_panel.cards) == 1


def test_cancel_stops_the_busy_state_and_drops_the_answer(window, qtbot, gated):
    shown = []
    window.suggestions.result_ready.connect(shown.append)
    panel = window.suggestions_panel
    window.suggestions_dock.raise_()
    qtbot.waitUntil(lambda: len(gated.calls) == 1, timeout=TIMEOUT_MS)
    assert panel.is_busy() and panel.progress.isVisible()
    qtbot.mouseClick(panel.cancel_button, LEFT)
    assert not panel.is_busy() and not window.suggestions.is_running()
    assert "Cancelled" in panel.status()[1]
    gated.gate.set()
    assert window.tasks.wait(TIMEOUT_MS)
    qtbot.wait(50)  # let queued signals of the cancelled worker arrive (they must be dropped)
    assert shown == [] and panel.cards == []
    with qtbot.waitSignal(window.suggestions.result_ready, timeout=TIMEOUT_MS):
        qtbot.mouseClick(panel.suggest_button, LEFT)  # and it runs again on request
    assert len(panel.cards) == 1


def test_a_bad_index_folder_is_reported_inline(window, qtbot, tmp_path):
    panel = window.suggestions_panel
    (tmp_path / "notes.txt").write_text("not an index")
    with qtbot.waitSignal(window.suggestions.failed, timeout=TIMEOUT_MS) as blocker:
        panel.set_index_folder(tmp_path)
    level, text = panel.status()
    assert level == "error" and "not a ProCrop index" in text and text == blocker.args[0]
    assert panel.index_folder() == tmp_path and panel.cards == []
    with qtbot.waitSignal(window.suggestions.result_ready, timeout=TIMEOUT_MS):
        panel.set_index_folder(None)  # back to the bundled index: it works again
    assert panel.status()[0] == "ok" and panel.cards


def test_the_panel_alone_lists_an_index_folder_once(qtbot, tmp_path):
    panel = SuggestionsPanel()
    qtbot.addWidget(panel)
    panel.set_index_folder(tmp_path)
    panel.set_index_folder(tmp_path)
    assert [panel.index_combo.itemData(i) for i in range(panel.index_combo.count())].count(str(tmp_path)) == 1


def test_the_engine_side_helper_stays_qt_free():
    code = "import sys, app.suggestions.engine; assert not [m for m in sys.modules if m.startswith('PySide6')]"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
