"""The GUI's suggestions and ``cropstudio suggest`` return the same pixel boxes (issue 16).

For a bundled sample and several ratios (free, 1:1, 16:9, 4:5), the suggestions dock's cards
(the window's worker, :mod:`app.suggestions.engine`) and ``cropstudio suggest --aspect R
--top 6 --json`` must list the same boxes, in the same order, to the pixel: both are ranked by
ProCrop's predictor in the image's own pixels and snapped once, by the same snapper.
"""

from __future__ import annotations

import json

import pytest

from app.editor.state import FREE, ratio_choice
from app.shell.window import MainWindow
from models.cli.main import main as cli
from models.geometry import Box
from models.resources import resource_path

TIMEOUT_MS = 30_000
RATIOS = (None, "1:1", "16:9", "4:5")
SAMPLES = ("chelsea.jpg", "rocket.jpg")  # a wide and a wider photo (451x300, 640x427)


def _cli_boxes(capsys, path, ratio: str | None, top: int) -> list[Box]:
    args = ["suggest", str(path), "--top", str(top), "--json"] + (["--aspect", ratio] if ratio else [])
    capsys.readouterr()
    assert cli(args) == 0
    return [Box(*row["box"]) for row in json.loads(capsys.readouterr().out)["suggestions"]]


def _gui_boxes(qtbot, window: MainWindow, ratio: str | None) -> list[Box]:
    """The boxes of the dock's cards once they are for this ratio."""
    window.aspect_panel.choose(ratio_choice(ratio) if ratio else FREE)
    controller = window.suggestions
    qtbot.waitUntil(lambda: not controller.is_running() and controller.shown() == controller.request(), timeout=TIMEOUT_MS)
    assert controller.shown().aspect == (ratio_choice(ratio).ratio.value if ratio else None)
    return [card.crop.box for card in window.suggestions_panel.cards]


@pytest.mark.parametrize("name", SAMPLES)
def test_the_dock_and_the_suggest_command_return_the_same_boxes(qtbot, capsys, shown_window, name):
    path = resource_path("samples") / name
    window = shown_window()
    with qtbot.waitSignal(window.analysis_ready, timeout=TIMEOUT_MS):
        window.open_path(path)
    with qtbot.waitSignal(window.suggestions.result_ready, timeout=TIMEOUT_MS):
        window.suggestions_dock.raise_()  # the dock in front runs ProCrop, and keeps up with the ratio
    w, h = window.crop_state().image_size
    for ratio in RATIOS:
        gui = _gui_boxes(qtbot, window, ratio)
        top = window.suggestions.shown().top_k
        assert gui, (name, ratio)
        assert gui == _cli_boxes(capsys, path, ratio, top), (name, ratio)
        for box in gui:  # whole pixels inside the image
            assert box == box.rounded() and Box(0, 0, w, h).contains(box), (name, ratio, box)
