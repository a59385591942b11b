"""The attention panel drives the live crop: slider -> search -> overlay, in the real window."""

from __future__ import annotations

import pytest

from app.shell.window import MainWindow
from models.attention import RectangleSearch, attention_crop, compute_attention
from models.geometry import parse_aspect
from models.imaging import load_image

TIMEOUT_MS = 20_000


@pytest.fixture
def window(qtbot, sample_image):
    win = MainWindow()
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.attention_ready, timeout=TIMEOUT_MS):
        win.open_path(sample_image)
    return win


def test_the_default_request_is_drawn(window):
    panel = window.attention_panel
    assert len(window.view.crops()) == 1
    assert "Keeps" in panel.result_text() and "of the attention" in panel.result_text()


def test_slider_moves_update_the_crop_to_the_engine_answer(window, qtbot, sample_image):
    panel = window.attention_panel
    window.aspect_panel.choose_text("4:5")
    with qtbot.waitSignal(window.crop_changed, timeout=TIMEOUT_MS) as blocker:
        panel.tau_slider.setValue(55)
    crop = blocker.args[0]
    image = load_image(sample_image, max_side=2048)
    att = compute_attention(image)
    raw = attention_crop(att, RectangleSearch(att.values), tau=0.55, aspect=parse_aspect("4:5"))
    # the engine's answer is the one crop contract's: the seed's box, moved to keep the head whole
    from models import cropping

    analysis = cropping.analyse(image, methods=())
    expected = cropping.crop(analysis, cropping.Request(parse_aspect("4:5"), method="tau", tau=0.55))
    assert crop.boxes == expected.boxes
    (head,) = analysis.subjects.heads
    assert crop.boxes[0].contains(head.box, tol=0.5) and raw.boxes  # (the raw box cut the Haar head)
    assert window.view.crops()[0] == crop.boxes[0]  # the canvas works in full-resolution pixels
    assert window.crop_state().box == crop.boxes[0]


def test_two_regions_and_auto_tau(window, qtbot):
    panel = window.attention_panel
    window.aspect_panel.choose_text("1:1")
    with qtbot.waitSignal(window.crop_changed, timeout=TIMEOUT_MS) as blocker:
        panel.two_regions.setChecked(True)
    assert 1 <= len(blocker.args[0].boxes) <= 2
    assert len(window.view.crops()) == len(blocker.args[0].boxes)
    with qtbot.waitSignal(window.crop_changed, timeout=TIMEOUT_MS) as blocker:
        panel.auto_tau.setChecked(True)
    assert blocker.args[0].auto is not None and not panel.tau_slider.isEnabled()
    assert "Automatic tau" in panel.result_text()


def test_an_impossible_request_is_shown_not_crashed_on(window, qtbot):
    panel = window.attention_panel
    panel.tau_slider.setValue(100)
    with qtbot.waitSignal(window.crop_changed, timeout=TIMEOUT_MS) as blocker:
        window.aspect_panel.choose_text("3:1")
    fallback = blocker.args[0]  # tau 100% cannot be kept: the 3:1 crop keeping the most, the head whole
    assert "keeps at most" in panel.result_text()
    box = window.view.crop_box()
    assert box is not None and box.width / box.height == pytest.approx(3, rel=0.02)
    from models import cropping

    (head,) = cropping.analyse(window.current_image(), methods=()).subjects.heads
    # issue 17: it cut the face before; the head is taller than any 3:1 crop here: its face is kept whole
    assert fallback.boxes[0] == box and box.contains(head.face, tol=0.5) and fallback.left_out


def test_a_newer_image_wins(window, qtbot, sample_image):
    other = sample_image.parent / "coffee.jpg"
    with qtbot.waitSignal(window.attention_ready, timeout=TIMEOUT_MS) as blocker:
        window.open_path(other)
    assert blocker.args[0].image.info.path == other
    assert window.current_image().info.path == other
    assert len(window.view.crops()) == 1


def test_the_16_9_preset_keeps_the_astronauts_head(window, qtbot):
    """Issue 17: the preset (tau 0.7 cannot be kept at 16:9) landed at 29,139 475x267, cutting the face."""
    from models import cropping

    with qtbot.waitSignal(window.crop_changed, timeout=TIMEOUT_MS):
        window.aspect_panel.choose_text("16:9")
    box = window.view.crop_box()
    (head,) = cropping.analyse(window.current_image(), methods=()).subjects.heads
    assert box is not None and box.width / box.height == pytest.approx(16 / 9, rel=0.02)
    assert box.contains(head.box, tol=0.5), box
