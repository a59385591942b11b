"""The GUI and the CLI return the same box for the same image and request (issue 16).

Over every bundled sample (resources/samples), several ratios and layouts of keep and avoid
regions: the window's constrained crop (canvas regions -> the workbench's worker) and
``cropstudio crop --aspect R --keep ... --avoid ... --json`` must agree to the pixel, and so
must what each says the box breaks (a head the layout forces out, say).
"""

from __future__ import annotations

import json

import pytest

from app.editor.state import ratio_choice
from app.shell.window import MainWindow
from models.cli.main import main as cli
from models.geometry import Box
from models.resources import resource_path

TIMEOUT_MS = 20_000
SAMPLES = sorted(p.name for p in resource_path("samples").glob("*.jpg"))
RATIOS = ("1:1", "16:9", "4:5")
# Layouts as fractions of the image (x0, y0, x1, y1): kept and avoided regions.
LAYOUTS = {
    "keep": ([(0.30, 0.30, 0.55, 0.60)], []),
    "avoid": ([], [(0.0, 0.0, 0.18, 0.18)]),
    "keep+avoid": ([(0.40, 0.35, 0.60, 0.65)], [(0.82, 0.80, 1.0, 1.0)]),
}


def _pixels(frac: tuple[float, ...], size: tuple[int, int]) -> Box:
    w, h = size
    return Box(round(frac[0] * w), round(frac[1] * h), round(frac[2] * w), round(frac[3] * h))


def _cli_box(capsys, path, ratio: str, keep: list[Box], avoid: list[Box]) -> tuple[tuple[int, ...], list]:
    args = ["crop", str(path), "--aspect", ratio, "--units", "px", "--json"]
    for flag, boxes in (("--keep", keep), ("--avoid", avoid)):
        for b in boxes:
            args += [flag, f"{int(b.x0)},{int(b.y0)},{int(b.x1)},{int(b.y1)}"]
    capsys.readouterr()
    assert cli(args) == 0
    out = json.loads(capsys.readouterr().out)
    return tuple(out["box"]), out["violations"]


def _gui_box(qtbot, window: MainWindow, keep: list[Box], avoid: list[Box]) -> tuple[Box, list]:
    """The crop the window shows for these regions, and what the engine said it breaks."""
    wb = window.workbench
    wb.clear_regions()
    with qtbot.waitSignal(wb.constrained_ready, timeout=TIMEOUT_MS) as answer:
        for kind, boxes in (("keep", keep), ("avoid", avoid)):
            for b in boxes:
                wb.add_region(kind, b)
    state = window.crop_state()
    assert state is not None and state.box is not None and not state.violations()  # keep and avoid honoured
    return state.box, [str(v) for v in answer.args[0].result.violations]


@pytest.mark.parametrize("name", SAMPLES)
def test_the_window_and_the_crop_command_choose_the_same_box(qtbot, capsys, shown_window, name):
    assert len(SAMPLES) >= 4  # the bundled samples, not an empty folder
    path = resource_path("samples") / name
    window = shown_window()
    with qtbot.waitSignal(window.analysis_ready, timeout=TIMEOUT_MS):
        window.open_path(path)
    size = window.crop_state().image_size
    compared = 0
    for ratio in RATIOS:
        window.aspect_panel.choose(ratio_choice(ratio))
        for layout, (keep_f, avoid_f) in LAYOUTS.items():
            keep = [_pixels(f, size) for f in keep_f]
            avoid = [_pixels(f, size) for f in avoid_f]
            gui, gui_violations = _gui_box(qtbot, window, keep, avoid)
            box, violations = _cli_box(capsys, path, ratio, keep, avoid)
            assert (round(gui.x0), round(gui.y0), round(gui.x1), round(gui.y1)) == box, (name, ratio, layout)
            assert gui == Box(*box), f"the window's box is not whole pixels: {gui}"
            assert gui_violations == violations, (name, ratio, layout)  # a cut head, say: both say so
            compared += 1
    assert compared == len(RATIOS) * len(LAYOUTS)
