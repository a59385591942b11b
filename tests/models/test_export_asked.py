"""The export planner's pieces the GUI's export decides through (issue 16): the size asked for,
the one template renderer with a caller's placeholders, and the one upscale rule."""

from __future__ import annotations

import pytest

from models.errors import InvalidInputError
from models.export import asked_size, render_template, upscale_factor
from models.export.naming import OutputNameError, parse_template


def test_asked_size_scales_to_a_long_edge_and_refuses_to_stretch():
    assert asked_size((300, 200)) is None
    assert asked_size((300, 200), long_edge=120) == (120, 80)
    assert asked_size((1600, 837), exact=(1200, 628)) == (1200, 628)  # within 1 % of the crop's ratio
    with pytest.raises(InvalidInputError, match="would stretch"):
        asked_size((300, 300), exact=(1200, 628))


def test_one_renderer_for_every_placeholder_set():
    fields = ("stem", "n", "format")
    assert render_template("{n}-{stem}.{format}", {"stem": "a", "n": 2, "format": "png"}, ".png",
                           fields=fields) == "2-a.png.png"  # fmt: skip
    with pytest.raises(InvalidInputError, match=r"unknown placeholder \{target\}"):
        parse_template("{stem}_{target}", fields=fields)
    with pytest.raises(OutputNameError):
        render_template("..", {}, "", fields=fields)


def test_the_upscale_rule_allows_a_pixel_of_rounding():
    assert upscale_factor((300, 157), (1200, 628)) == pytest.approx(4.0)
    assert upscale_factor((1199, 627), (1200, 628)) is None  # rounding a crop is not upscaling
    assert upscale_factor((300, 157), (300, 157)) is None
