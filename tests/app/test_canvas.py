"""The canvas driven by real mouse and key events: handles, ratio lock, nudging, regions, guides."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPointF, Qt

from app.editor.canvas.boxes import Handle
from app.editor.image_view import ImageView
from models.geometry import Box
from tests.app.conftest import drag, send_mouse

FULL = (1200, 800)  # the full-resolution image; the view shows a 600x400 preview of it


@pytest.fixture
def view(qtbot):
    view = ImageView()
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    view.set_image(np.full((400, 600, 3), 90, np.uint8), FULL)
    view.set_crop(Box(300, 200, 900, 600))
    return view


def edits(view: ImageView) -> list[tuple]:
    got: list[tuple] = []
    view.crop_edited.connect(lambda before, after, how: got.append((before, after, how)))
    return got


def test_scene_is_in_full_resolution_pixels(view):
    assert view.image_size() == FULL
    assert view.sceneRect().width() == 1200 and view.sceneRect().height() == 800
    assert view.crops() == (Box(300, 200, 900, 600),)


def test_dragging_a_corner_handle_resizes_the_crop(view):
    got = edits(view)
    drag(view, (900, 600), (1000, 700))
    (before, after, how), = got
    assert how == "resize" and before == Box(300, 200, 900, 600)
    assert after.x0 == 300 and after.y0 == 200  # the opposite corner stays
    assert after.x1 == pytest.approx(1000, abs=3) and after.y1 == pytest.approx(700, abs=3)
    assert view.crop_box() == after
    assert after.as_tuple() == tuple(int(v) for v in after.as_tuple())  # whole pixels


def test_dragging_the_inside_moves_the_crop(view):
    got = edits(view)
    drag(view, (600, 400), (500, 350))
    (_, after, how), = got
    assert how == "move"
    assert (after.width, after.height) == (600, 400)
    assert after.x0 == pytest.approx(200, abs=3) and after.y0 == pytest.approx(150, abs=3)


def test_a_move_stops_at_the_image_edge(view):
    drag(view, (600, 400), (-500, -500))
    assert view.crop_box() == Box(0, 0, 600, 400)


@pytest.mark.parametrize("handle", [Handle.TOP_LEFT, Handle.RIGHT, Handle.BOTTOM, Handle.TOP_RIGHT])
def test_ratio_lock_holds_under_handle_drags(view, handle):
    view.set_ratio_lock(16 / 9)
    view.set_crop(Box(300, 200, 780, 470))  # 480 x 270
    start = handle.anchor(view.crop_box())
    drag(view, start, (start[0] + 137, start[1] - 61))
    box = view.crop_box()
    assert box.width / box.height == pytest.approx(16 / 9, abs=0.01)  # whole pixels: within a pixel
    assert Box(0, 0, *FULL).contains(box)


def test_shift_keeps_the_shape_in_free_mode(view):
    drag(view, (900, 600), (1050, 610), modifiers=Qt.KeyboardModifier.ShiftModifier)
    box = view.crop_box()
    assert box.width / box.height == pytest.approx(1.5, abs=0.01)


def test_handles_keep_their_screen_size_and_sit_on_the_box(view):
    crop = view.crop_item
    for handle in (Handle.TOP_LEFT, Handle.BOTTOM, Handle.RIGHT):
        item = crop.handle_item(handle)
        assert item.isVisible()
        assert (item.pos().x(), item.pos().y()) == pytest.approx(handle.anchor(crop.box()))
    view.zoom_by(2.0)
    assert crop.handle_item(Handle.TOP).boundingRect().width() < 20  # screen pixels, not scene


def test_arrow_keys_nudge_by_one_and_shift_by_ten(view, qtbot):
    got = edits(view)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.crop_box() == Box(301, 200, 901, 600)
    qtbot.keyClick(view, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    assert view.crop_box() == Box(301, 190, 901, 590)
    assert [how for *_, how in got] == ["nudge", "nudge"]
    for _ in range(40):  # stops at the frame
        qtbot.keyClick(view, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    assert view.crop_box().y0 == 0


def test_guides_toggle_on_the_crop(view):
    assert view.guides() == frozenset()
    view.set_guides({"thirds", "spiral"})
    assert view.crop_item.guides() == {"thirds", "spiral"}
    view.set_guides(())
    assert view.crop_item.guides() == frozenset()
    with pytest.raises(ValueError):
        view.set_guides({"nonsense"})


def test_heat_overlay_covers_the_image(view):
    assert not view.has_heat()
    view.set_heat(np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4))
    view.set_heat_visible(True)
    assert view.has_heat() and view.heat_visible()
    assert view._heat.sceneBoundingRect().width() == pytest.approx(1200)  # noqa: SLF001 - geometry check


def test_draw_mode_draws_a_region(view, qtbot):
    drawn = []
    view.region_drawn.connect(lambda kind, box: drawn.append((kind, box)))
    view.set_draw_mode("avoid")
    drag(view, (100, 100), (250, 300))
    ((kind, box),) = drawn
    assert kind == "avoid" and box.iou(Box(100, 100, 250, 300)) > 0.97  # within a screen pixel
    assert view.draw_mode() is None  # one region per draw
    assert view.crop_box() == Box(300, 200, 900, 600)  # the crop did not move


def test_regions_select_move_resize_and_nudge(view, qtbot):
    view.set_regions([Box(400, 300, 500, 400)], [Box(0, 0, 100, 100)])
    edited = []
    view.region_edited.connect(lambda *args: edited.append(args))
    drag(view, (450, 350), (470, 380))  # the keep region lies on the crop: it wins the click
    kind, index, before, after, how = edited[-1]
    assert (kind, index, how) == ("keep", 0, "move")
    assert view.selected_region() == ("keep", 0)
    assert view.crop_box() == Box(300, 200, 900, 600)
    item = view.region_item("keep", 0)
    assert item.handle_item(Handle.RIGHT).isVisible()
    drag(view, Handle.RIGHT.anchor(item.box()), (Handle.RIGHT.anchor(item.box())[0] + 50, 10))
    assert edited[-1][4] == "resize" and item.box().width == pytest.approx(150, abs=3)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert edited[-1][4] == "nudge" and edited[-1][3].x0 == edited[-1][2].x0 - 1
    view.select_region(None)
    assert not item.handle_item(Handle.RIGHT).isVisible()


def test_set_image_clears_the_overlays(view):
    view.set_regions([Box(1, 1, 50, 50)], [])
    view.set_image(np.zeros((10, 10, 3), np.uint8))
    assert view.crops() == () and view.regions("keep") == () and view.image_size() == (10, 10)


def test_middle_button_pans_a_zoomed_view(view):
    view.zoom_by(4.0)
    bar = view.horizontalScrollBar()
    before = bar.value()
    vp = view.viewport()
    middle = Qt.MouseButton.MiddleButton
    send_mouse(vp, QEvent.Type.MouseButtonPress, QPointF(300, 300), button=middle, buttons=middle)
    send_mouse(vp, QEvent.Type.MouseMove, QPointF(200, 300), button=Qt.MouseButton.NoButton, buttons=middle)
    send_mouse(vp, QEvent.Type.MouseButtonRelease, QPointF(200, 300), button=middle, buttons=Qt.MouseButton.NoButton)
    assert bar.value() == before + 100
    assert view.crop_box() == Box(300, 200, 900, 600)  # panning is not editing
