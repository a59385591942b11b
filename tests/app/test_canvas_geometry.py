"""Box editing arithmetic, composition guides and the heat ramp: plain numbers, no widgets."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.editor.canvas.boxes import Handle, move_box, resize_box, snap_box
from app.editor.canvas.guides import GUIDES, PHI, guide_polylines
from app.editor.canvas.heat import heat_rgba
from app.editor.state import FREE, ORIGINAL, CropState, ratio_choice, reshape_box, size_choice
from models.geometry import AspectRatio, Box

W, H = 640.0, 480.0
RATIOS = [1.0, 16 / 9, 9 / 16, 4 / 5, 1.91, 3.0, 1 / 3]


@st.composite
def ratio_box(draw, ratio: float) -> Box:
    """A box of exactly ``ratio`` inside the W x H frame, at least 8 px on each side."""
    limit = min(W, H * ratio)
    w = draw(st.floats(min_value=max(8.0, 8.0 * ratio), max_value=limit))
    h = w / ratio
    x0 = draw(st.floats(min_value=0.0, max_value=W - w))
    y0 = draw(st.floats(min_value=0.0, max_value=H - h))
    return Box(x0, y0, x0 + w, y0 + h)


deltas = st.floats(min_value=-2000, max_value=2000, allow_nan=False)
handles = st.sampled_from([h for h in Handle if h is not Handle.MOVE])


def inside(box: Box) -> bool:
    return Box(0, 0, W, H).contains(box, tol=1e-6)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), ratio=st.sampled_from(RATIOS), handle=handles, dx=deltas, dy=deltas)
def test_ratio_lock_holds_under_any_resize(data, ratio, handle, dx, dy):
    box = data.draw(ratio_box(ratio))
    out = resize_box(box, handle, dx, dy, bounds=(W, H), ratio=ratio, min_size=4)
    assert inside(out)
    assert out.width / out.height == pytest.approx(ratio, rel=1e-9)
    assert min(out.width, out.height) >= 4 - 1e-9
    if handle.is_corner:  # the opposite corner stays put
        ax = box.x1 if handle.hx < 0 else box.x0
        ay = box.y1 if handle.hy < 0 else box.y0
        assert (out.x1 if handle.hx < 0 else out.x0) == pytest.approx(ax)
        assert (out.y1 if handle.hy < 0 else out.y0) == pytest.approx(ay)
    elif handle.hx:  # the opposite edge stays put
        assert (out.x1 if handle.hx < 0 else out.x0) == pytest.approx(box.x1 if handle.hx < 0 else box.x0)
    else:
        assert (out.y1 if handle.hy < 0 else out.y0) == pytest.approx(box.y1 if handle.hy < 0 else box.y0)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), handle=handles, dx=deltas, dy=deltas)
def test_free_resize_moves_only_the_grabbed_edges(data, handle, dx, dy):
    box = data.draw(ratio_box(1.0))
    out = resize_box(box, handle, dx, dy, bounds=(W, H), min_size=4)
    assert inside(out) and out.width >= 4 - 1e-9 and out.height >= 4 - 1e-9
    if handle.hx >= 0:
        assert out.x0 == box.x0
    if handle.hx <= 0:
        assert out.x1 == box.x1
    if handle.hy >= 0:
        assert out.y0 == box.y0
    if handle.hy <= 0:
        assert out.y1 == box.y1


@settings(max_examples=200, deadline=None)
@given(data=st.data(), dx=deltas, dy=deltas)
def test_move_keeps_the_size_and_stays_inside(data, dx, dy):
    box = data.draw(ratio_box(16 / 9))
    out = move_box(box, dx, dy, (W, H))
    assert inside(out)
    assert (out.width, out.height) == pytest.approx((box.width, box.height))


def test_corner_drag_along_the_diagonal_scales_exactly():
    box = Box(100, 100, 260, 190)  # 16:9
    out = resize_box(box, Handle.BOTTOM_RIGHT, 32, 18, bounds=(W, H), ratio=16 / 9)
    assert out.as_tuple() == pytest.approx((100, 100, 292, 208))
    out = resize_box(box, Handle.RIGHT, 32, 50, bounds=(W, H), ratio=16 / 9)  # dy is ignored
    assert (out.x0, out.width, out.center[1]) == pytest.approx((100, 192, box.center[1]))


def test_resize_stops_at_the_frame_and_at_the_minimum():
    box = Box(500, 300, 600, 400)
    out = resize_box(box, Handle.BOTTOM_RIGHT, 500, 500, bounds=(W, H), ratio=1.0)
    assert out.as_tuple() == pytest.approx((500, 300, 640, 440))  # the right edge stops first
    out = resize_box(box, Handle.TOP_LEFT, 500, 500, bounds=(W, H), ratio=1.0, min_size=10)
    assert out.as_tuple() == pytest.approx((590, 390, 600, 400))  # never flips


def test_snap_box_rounds_half_up_and_keeps_size_on_moves():
    assert snap_box(Box(0.5, 1.5, 10.5, 11.5), (W, H)).as_tuple() == (1, 2, 11, 12)
    moved = snap_box(Box(2.5, 3.5, 12.5, 13.5), (W, H), translate=True)
    assert (moved.width, moved.height) == (10, 10)
    assert snap_box(Box(639.7, 0, 640, 0.2), (W, H)).area >= 1  # never empty, never outside


# -- guides ---------------------------------------------------------------------------------


def test_thirds_and_phi_lines():
    box = Box(0, 0, 300, 150)
    xs = sorted({line[0][0] for line in guide_polylines("thirds", box) if line[0][0] == line[1][0]})
    assert xs == pytest.approx([100, 200])
    ys = sorted({line[0][1] for line in guide_polylines("phi", box) if line[0][1] == line[1][1]})
    assert ys == pytest.approx([150 * (1 - 1 / PHI), 150 / PHI])


@pytest.mark.parametrize("box", [Box(10, 20, 172, 120), Box(0, 0, 100, 300)])
def test_every_guide_stays_inside_the_crop(box):
    for kind in GUIDES:
        lines = guide_polylines(kind, box)
        assert lines, kind
        for line in lines:
            for x, y in line:
                assert box.x0 - 1e-6 <= x <= box.x1 + 1e-6 and box.y0 - 1e-6 <= y <= box.y1 + 1e-6, kind


def test_golden_spiral_is_continuous_and_converges_on_the_phi_point():
    (spiral,) = guide_polylines("spiral", Box(0, 0, PHI * 100, 100))
    steps = [math.dist(a, b) for a, b in zip(spiral, spiral[1:])]
    assert max(steps) < 10  # no jumps between quarter arcs
    # The eye lies just past the crossing of the phi lines x = 100, y = 61.8, inside the golden
    # rectangle left after three squares: x in [100, 123.6], y in [61.8, 76.4].
    x, y = spiral[-1]
    assert 100 <= x <= 100 * (1 + 1 / PHI**3) and 100 / PHI <= y <= 100 * (1 / PHI + 1 / PHI**4)


def test_unknown_guide_is_refused():
    with pytest.raises(ValueError, match="unknown guide"):
        guide_polylines("fibonacci", Box(0, 0, 1, 1))


def test_heat_ramp_is_transparent_where_there_is_no_attention():
    rgba = heat_rgba(np.array([[0.0, 0.5, 1.0, np.nan]], dtype=np.float32))
    assert rgba.shape == (1, 4, 4) and rgba.dtype == np.uint8
    assert rgba[0, 0, 3] == 0 and rgba[0, 3, 3] == 0
    assert rgba[0, 1, 3] < rgba[0, 2, 3]


# -- state helpers ---------------------------------------------------------------------------


def test_aspect_choices_resolve_and_swap():
    size = (4000, 3000)
    assert FREE.resolve(size) is None and FREE.swapped(size) == FREE
    assert ORIGINAL.resolve(size) == AspectRatio(4000, 3000)
    assert ORIGINAL.swapped(size).resolve(size).value == pytest.approx(0.75)
    assert ratio_choice("16:9").swapped(size) == ratio_choice("9:16")
    banner = size_choice(1200, 628)
    assert banner.swapped(size) == size_choice(628, 1200)
    assert banner.resolve(size).value == pytest.approx(1200 / 628)


def test_reshape_keeps_centre_and_area_inside_the_image():
    box = Box(100, 100, 300, 300)
    out = reshape_box(box, 16 / 9, 1000, 800)
    assert out.width / out.height == pytest.approx(16 / 9)
    assert out.center == pytest.approx(box.center)
    assert out.area == pytest.approx(box.area)
    edge = reshape_box(Box(0, 0, 100, 100), 4.0, 1000, 800)  # pushed inside the frame
    assert edge.x0 >= 0 and edge.y0 >= 0
    assert reshape_box(None, 1.0, 1000, 800).as_tuple() == (100, 0, 900, 800)


def test_violations_name_the_broken_regions():
    state = CropState((100, 100), box=Box(10, 10, 60, 60), keep=(Box(20, 20, 30, 30), Box(50, 50, 70, 70)),
                      avoid=(Box(0, 0, 5, 5), Box(55, 0, 100, 100)))  # fmt: skip
    assert state.violations() == ["cuts keep region #2", "meets avoid region #2"]
