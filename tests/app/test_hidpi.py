"""The app at 100% and 200% display scaling (issue 6): the same window, the same geometry in
logical pixels, twice the device pixels.

Qt reads the scale factor only before the ``QApplication`` exists and this session already has
one, so :mod:`tests.app.hidpi_probe` drives the real window in a process per scale
(``QT_QPA_PLATFORM=offscreen QT_SCALE_FACTOR=1|2``, both at once) and reports what it saw.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 150


def _start(scale: int) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_SCALE_FACTOR", "QT_SCREEN_SCALE_FACTORS",
                                                                      "QT_ENABLE_HIGHDPI", "QT_FONT_DPI"))}  # fmt: skip
    env.update(QT_QPA_PLATFORM="offscreen", QT_SCALE_FACTOR=str(scale), OMP_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", "tests.app.hidpi_probe"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


@pytest.fixture(scope="module")
def probes() -> dict[int, dict]:
    """What the window showed at 100% and 200% (both probes run at once)."""
    running = {scale: _start(scale) for scale in (1, 2)}
    results = {}
    try:
        for scale, proc in running.items():
            out, err = proc.communicate(timeout=TIMEOUT_S)
            assert proc.returncode == 0, f"the probe at scale {scale} failed:\n{err[-4000:]}"
            results[scale] = json.loads(out.strip().splitlines()[-1])
    finally:
        for proc in running.values():
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    return results


def _is_hidpi_pixmap(info: dict, scale: int) -> bool:
    """Marked with the display's ratio and ``scale`` times as many pixels as logical pixels."""
    pixels, logical = info["pixels"], info["logical"]
    return info["dpr"] == scale and all(p == pytest.approx(n * scale, abs=1) for p, n in zip(pixels, logical))


def test_the_window_is_at_the_scale_asked_for(probes):
    for scale in (1, 2):
        assert probes[scale]["dpr"] == scale
        assert probes[scale]["viewport_dpr"] == scale


def test_the_image_is_fitted_the_same_way_in_logical_pixels(probes):
    one, two = probes[1]["fit"], probes[2]["fit"]
    assert one["viewport"] == two["viewport"]
    assert one["scale"] == pytest.approx(two["scale"])  # logical pixels per image pixel
    assert one["top_left"] == two["top_left"] and one["bottom_right"] == two["bottom_right"]
    # The whole image fits, touching two sides of the viewport.
    (x0, y0), (x1, y1), (vw, vh) = one["top_left"], one["bottom_right"], one["viewport"]
    assert 0 <= x0 and 0 <= y0 and x1 <= vw and y1 <= vh
    assert min(vw - (x1 - x0), vh - (y1 - y0)) <= 4
    # zoom() counts device pixels: "actual pixels" is 1.0 at any scaling.
    assert two["zoom"] == pytest.approx(2 * one["zoom"])


def test_the_heat_overlay_lies_on_the_photo(probes):
    for scale in (1, 2):
        assert probes[scale]["heat"]["heat"] == probes[scale]["heat"]["photo"]
    assert probes[1]["heat"] == probes[2]["heat"]


def test_handles_and_strokes_keep_their_logical_size(probes):
    assert probes[1]["handle_logical"] == probes[2]["handle_logical"] == [12.0, 12.0]  # 10 px and a margin
    # The crop frame is 2 logical pixels wide: 2 device pixels at 100%, 4 at 200%.
    assert probes[1]["frame_stroke_device_px"] == pytest.approx(2, abs=0.6)
    assert probes[2]["frame_stroke_device_px"] == pytest.approx(4, abs=0.8)
    assert _is_hidpi_pixmap(probes[2]["viewport_grab"], 2)


def test_dragging_a_handle_moves_the_crop_by_the_same_image_pixels(probes):
    one, two = probes[1]["drag"], probes[2]["drag"]
    for drag in (one, two):
        assert drag["how"] == "resize"  # the press hit the handle, not the crop's inside
        (bx0, by0, bx1, _), (ax0, ay0, ax1, _) = drag["before"], drag["after"]
        assert (ax0, ay0) == (bx0, by0)  # the right edge moved, nothing else
        assert ax1 - bx1 == pytest.approx(drag["expected_dx"], abs=1.5)
    assert one["before"] == two["before"] and one["after"] == two["after"]


def test_thumbnails_and_cards_are_rendered_for_the_display(probes):
    for scale in (1, 2):
        p = probes[scale]
        strip = p["filmstrip"]["pixmap"]
        assert _is_hidpi_pixmap(strip, scale), strip
        assert strip["logical"][0] <= p["filmstrip"]["icon"][0] and strip["logical"][1] <= p["filmstrip"]["icon"][1]
        for name in ("suggestion_card", "target_card", "dataset_preview"):
            assert _is_hidpi_pixmap(p[name], scale), (name, p[name])
        for name in ("suggestion_card", "target_card"):  # fitted to the card's thumbnail label
            assert max(n / m for n, m in zip(p[name]["logical"], p[name]["label"])) == pytest.approx(1, abs=0.01)
    for name in ("suggestion_card", "target_card", "dataset_preview"):
        assert probes[1][name]["logical"] == probes[2][name]["logical"]
    assert probes[1]["filmstrip"]["pixmap"]["logical"] == probes[2]["filmstrip"]["pixmap"]["logical"]
    # The filmstrip's thumbnail is loaded big enough to be sharp at 200% (downscaled, not upscaled).
    for scale in (1, 2):
        strip = probes[scale]["filmstrip"]
        assert strip["sizes"] == [strip["pixmap"]["pixels"]]
        (h, w), = strip["loaded"]
        assert w >= strip["pixmap"]["pixels"][0] and h >= strip["pixmap"]["pixels"][1]


def test_workers_make_thumbnails_at_the_displays_pixel_size(probes):
    """Suggestion and crop-set thumbnails are made in workers at THUMB * scale device pixels,
    so the cards show them downscaled or 1:1 at 200 %, never blown up from 1x."""
    from app.cropsets.engine import THUMB_SIZE
    from app.suggestions.engine import THUMB_SIDE

    for scale in (1, 2):
        made = probes[scale]["worker_thumbnails"]
        assert made["scale"] == scale
        assert max(made["suggest"]) == THUMB_SIDE * scale  # the preview is larger than that
        assert max(made["suggest"]) >= max(probes[scale]["suggestion_card"]["pixels"])
        h, w = made["cropset"]
        assert w <= THUMB_SIZE[0] * scale and h <= THUMB_SIZE[1] * scale
        assert w == THUMB_SIZE[0] * scale or h == THUMB_SIZE[1] * scale


def test_a_screenshot_has_twice_the_pixels_at_200_percent(probes):
    for scale in (1, 2):
        window = probes[scale]["window"]
        assert window["logical"] == window["size"]
        assert window["pixels"] == [n * scale for n in window["size"]] and window["dpr"] == scale


def _runs(image, y: int, x_from: int, x_to: int) -> list[int]:
    """Lengths of the runs of painted pixels along row ``y``."""
    runs, n = [], 0
    for x in range(x_from, x_to):
        if image.pixelColor(x, y).alpha() > 100:
            n += 1
        elif n:
            runs.append(n)
            n = 0
    return runs + ([n] if n else [])


def test_avoid_hatching_and_region_frames_are_drawn_in_logical_pixels(qapp):
    """In process: paint_region onto images of ratio 1 and 2, zoomed 3x (the canvas's case)."""
    from PySide6.QtGui import QImage, QPainter, QTransform

    from app.editor.canvas.region_item import paint_region
    from models.geometry import Box

    measured = {}
    for dpr in (1, 2):
        image = QImage(120 * dpr, 120 * dpr, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(0)
        image.setDevicePixelRatio(dpr)
        painter = QPainter(image)
        painter.setWorldTransform(QTransform.fromScale(3, 3))
        paint_region(painter, "avoid", Box(10, 10, 30, 30))  # (30, 30)-(90, 90) logical
        painter.end()
        hatch = _runs(image, 60 * dpr, 40 * dpr, 80 * dpr)  # inside, away from the frame
        frame = _runs(image, 60 * dpr, 20 * dpr, 36 * dpr)  # across the left edge
        measured[dpr] = hatch, frame
    (hatch1, frame1), (hatch2, frame2) = measured[1], measured[2]
    assert len(hatch1) == len(hatch2) >= 3  # the same spacing in logical pixels ...
    assert sum(hatch2) == pytest.approx(2 * sum(hatch1), abs=2)  # ... and line width
    assert frame2[0] == pytest.approx(2 * frame1[0], abs=1)  # a 2 logical px frame: 2, then 4 device px
