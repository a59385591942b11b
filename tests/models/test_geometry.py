from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.errors import InvalidInputError
from models.geometry import (
    AspectRatio,
    Box,
    fit_ratio_around,
    fit_ratio_inside,
    largest_box_with_ratio,
    parse_aspect,
    parse_box,
)


@pytest.mark.parametrize(
    "text, value, shown",
    [("16:9", 16 / 9, "16:9"), ("4x5", 0.8, "4:5"), ("1.91:1", 1.91, "1.91:1"), ("1.5", 1.5, "1.5:1"),
     ("3/2", 1.5, "3:2"), (" 9 : 16 ", 9 / 16, "9:16"), ("4X3", 4 / 3, "4:3"), (2, 2.0, "2:1")],
)
def test_parse_aspect(text, value, shown):
    r = parse_aspect(text)
    assert r.value == pytest.approx(value)
    assert str(r) == shown


@pytest.mark.parametrize("text", ["", "wide", "16:", ":9", "0:1", "1:0", "-1:2", "16:9:1", "nan", "1e400:1"])
def test_parse_aspect_rejects_clearly(text):
    with pytest.raises(InvalidInputError, match="aspect ratio"):
        parse_aspect(text)


def test_aspect_fraction_is_exact():
    assert parse_aspect("16:9").as_fraction().denominator == 9
    assert parse_aspect("1.91:1").as_fraction() == parse_aspect("191:100").as_fraction()
    assert parse_aspect("16:9").swapped().value == pytest.approx(9 / 16)


def test_box_validation_and_measures():
    b = Box(10, 20, 50, 40)
    assert (b.width, b.height, b.area, b.center, b.aspect) == (40, 20, 800, (30, 30), 2.0)
    for bad in [(5, 0, 4, 1), (0, 5, 1, 4), (0, 0, math.nan, 1), (0, 0, math.inf, 1)]:
        with pytest.raises(InvalidInputError):
            Box(*bad)


def test_parse_box():
    assert parse_box("0.5, 0, 1 ,0.5") == (0.5, 0.0, 1.0, 0.5)
    with pytest.raises(InvalidInputError, match="four numbers"):
        parse_box("1,2,3")


def test_normalised_round_trip_and_iou():
    b = Box.from_normalized((0.1, 0.2, 0.9, 0.6), 1000, 500)
    assert b.as_tuple() == pytest.approx((100, 100, 900, 300))
    assert b.to_normalized(1000, 500) == pytest.approx((0.1, 0.2, 0.9, 0.6))
    assert Box(0, 0, 2, 2).iou(Box(1, 1, 3, 3)) == pytest.approx(1 / 7)
    assert Box(0, 0, 1, 1).iou(Box(2, 2, 3, 3)) == 0.0


coords = st.floats(0, 1000, allow_nan=False)


@given(x=coords, y=coords, w=st.floats(1, 500), h=st.floats(1, 500), ratio=st.floats(0.2, 5))
def test_fit_ratio_around_contains_box_and_stays_inside(x, y, w, h, ratio):
    W, H = 1600.0, 1200.0
    box = Box(x, y, min(x + w, W), min(y + h, H)) if x < W and y < H else Box(0, 0, w, h)
    fitted = fit_ratio_around(box, ratio, W, H)
    assert fitted.aspect == pytest.approx(ratio, rel=1e-9)
    assert Box(0, 0, W, H).contains(fitted, tol=1e-6)
    limit = largest_box_with_ratio(W, H, ratio)
    if box.width <= limit.width and box.height <= limit.height:
        assert fitted.contains(box, tol=1e-6)


def test_rounded_and_clipped():
    assert Box(0.4, 0.6, 10.5, 9.49).rounded().as_tuple() == (0, 1, 10, 9)
    assert Box(-5, -5, 20, 20).clipped(10, 8).as_tuple() == (0, 0, 10, 8)


def test_aspect_ratio_rejects_non_positive():
    with pytest.raises(InvalidInputError):
        AspectRatio(0, 1)


@given(w=st.floats(1, 2000), h=st.floats(1, 2000), ratio=st.floats(0.1, 10))
def test_fit_ratio_inside_is_inside_and_exact(w, h, ratio):
    box = Box(7, 3, 7 + w, 3 + h)
    inner = fit_ratio_inside(box, ratio)
    assert box.contains(inner, tol=1e-6) and inner.aspect == pytest.approx(ratio, rel=1e-9)
    assert inner.width == pytest.approx(w, rel=1e-9) or inner.height == pytest.approx(h, rel=1e-9)


def test_bounding_box():
    from models.geometry import bounding_box

    assert bounding_box([]) is None
    assert bounding_box([Box(1, 5, 3, 6), Box(0, 7, 2, 9)]).as_tuple() == (0, 5, 3, 9)
