"""The subject rule (models.cropping.rule) through the one crop contract (models.cropping):
against a brute-force oracle for random ratios, layouts and heads, and on the astronaut."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import cropping
from models.geometry import AspectRatio, Box
from models.imaging import ImageInfo, LoadedImage, load_image
from models.subjects import Head, Subjects
from models.cropping.rule import importance, is_background, plan_subjects
from models.constraints.problem import CropProblem
from tests.oracles.subjects import cuts, whole_head_crop_exists

W, H = 120, 80
SAMPLES = Path(__file__).resolve().parents[2] / "resources" / "samples"
_RGB = np.random.default_rng(0).integers(0, 255, (H, W, 3), dtype=np.uint8)


def analysis_with(heads: tuple[Box, ...]) -> cropping.Analysis:
    image = LoadedImage(ImageInfo(Path("x.png"), W, H, "PNG", "RGB", 1, None), _RGB)
    return cropping.Analysis(image, Subjects((W, H), tuple(Head(b, b) for b in heads)))


@st.composite
def heads_and_layout(draw):
    n = draw(st.integers(1, 3))
    heads = []
    for _ in range(n):
        h = draw(st.integers(10, 40))  # never background: >= 0.1 of the short side
        w = draw(st.integers(8, 40))
        x0, y0 = draw(st.integers(0, W - w)), draw(st.integers(0, H - h))
        heads.append(Box(x0, y0, x0 + w, y0 + h))
    avoid = ()
    if draw(st.booleans()):
        ax, ay = draw(st.integers(0, W - 10)), draw(st.integers(0, H - 10))
        avoid = (Box(ax, ay, min(W, ax + draw(st.integers(5, 40))), min(H, ay + draw(st.integers(5, 30)))),)
    ratio = draw(st.sampled_from([1.0, 0.8, 9 / 16, 1.91, 16 / 9, 3.0]))
    method = draw(st.sampled_from(["centred", "attention", "tau"]))
    return tuple(heads), avoid, ratio, method


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(heads_and_layout())
def test_the_rule_holds_wherever_a_whole_head_crop_exists(case):
    heads, avoid, ratio, method = case
    analysis = analysis_with(heads)
    request = cropping.Request(AspectRatio(ratio, 1.0), avoid=avoid, method=method, tau=0.5 if method == "tau" else None)
    try:
        result = cropping.crop(analysis, request)
    except cropping.InfeasibleCropError as exc:
        result = getattr(exc, "fallback", None)
        if result is None:  # only when the layout itself leaves no room
            assert not whole_head_crop_exists(W, H, ratio, (), (), avoid)
            return
    box = result.box.as_tuple()
    if whole_head_crop_exists(W, H, ratio, [h.as_tuple() for h in heads], (), [a.as_tuple() for a in avoid]):
        assert all(result.box.contains(h, tol=0.5) for h in heads), (result, heads)
        assert result.left_out_heads == ()
    cut = [i for i, h in enumerate(heads) if cuts(box, h.as_tuple())]
    allowed = {v for v in result.violations}
    assert len(cut) == len(allowed), (result, heads)  # a cut head is always reported as one
    for h in result.left_out_heads:
        assert h.reason


def test_the_most_important_head_is_kept_and_the_other_left_out_whole():
    big, side = Box(10, 5, 40, 35), Box(100, 45, 118, 75)  # no 3:1 crop holds both
    result = cropping.crop(analysis_with((big, side)), cropping.Request(AspectRatio(3, 1), method="centred"))
    assert result.box.contains(big) and result.box.intersection(side) is None
    (left,) = result.left_out_heads
    assert left.index == 1 and "holds it whole" in left.reason


def test_importance_and_background():
    size = (1000, 800)
    assert importance(Box(450, 350, 550, 450), size) > importance(Box(0, 0, 100, 100), size)
    heads = (Box(400, 200, 600, 500), Box(10, 10, 40, 50))
    assert is_background(heads[1], heads, size) and not is_background(heads[0], heads, size)
    plan = plan_subjects(heads, CropProblem(size, AspectRatio(1, 1)))
    assert plan.keep == (0,) and plan.no_cut == (1,)


def test_subjects_off_is_not_the_rule():
    head = Box(50, 0, 70, 60)  # taller than any 3:1 crop: cut only when the rule is off
    request = cropping.Request(AspectRatio(3, 1), method="centred", subjects=False)
    result = cropping.crop(analysis_with((head,)), request)
    assert cuts(result.box.as_tuple(), head.as_tuple())
    ruled = cropping.crop(analysis_with((head,)), cropping.Request(AspectRatio(3, 1), method="centred"))
    assert not cuts(ruled.box.as_tuple(), head.as_tuple()) or ruled.violations


@pytest.fixture(scope="module")
def astronaut():
    return cropping.analyse(load_image(SAMPLES / "astronaut.jpg"), methods=())


@pytest.mark.parametrize("aspect", ["16:9", "1.91:1", "3:1"])
@pytest.mark.parametrize("method", ["attention", "tau", "centred"])
def test_astronaut_every_wide_crop_keeps_the_head(astronaut, aspect, method):
    from models.geometry import parse_aspect

    (head,) = astronaut.subjects.heads
    request = cropping.Request(parse_aspect(aspect), method=method, tau=0.7 if method == "tau" else None)
    try:
        result = cropping.crop(astronaut, request)
    except cropping.InfeasibleCropError as exc:  # tau 0.7 cannot be kept: the fallback obeys the rule
        assert method == "tau" and "keeps at most" in str(exc)
        result = exc.fallback
    from models.geometry import largest_box_with_ratio

    largest = largest_box_with_ratio(512, 512, parse_aspect(aspect).value)
    if head.box.height <= largest.height:
        assert result.box.contains(head.box, tol=0.5), result
    else:  # taller than any crop of the ratio (BlazeFace's head at 3:1): chin up, as much as fits; said
        assert_holds_head_from_chin(result.box, head)
        assert result.left_out_heads, result


def assert_holds_head_from_chin(box: Box, head) -> None:
    """A crop shorter than the head holds it from the chin up, its whole width, nearly its own height."""
    assert box.y1 >= head.box.y1 - 1 and box.contains(head.face, tol=0.5), (box, head)
    assert box.x0 <= head.box.x0 + 1 and box.x1 >= head.box.x1 - 1, (box, head)


def test_issue15_tau_zero_and_impossible_ratios_are_refused(astronaut):
    with pytest.raises(cropping.InfeasibleCropError.__mro__[2], match=r"tau must be in \(0, 1\]"):
        cropping.Request(method="tau", tau=0)
    for ratio in (AspectRatio(1e9, 1), AspectRatio(1000, 1), AspectRatio(1, 1000)):
        with pytest.raises(Exception, match="each side at least 1 whole pixel"):
            cropping.crop(astronaut, cropping.Request(ratio))


def test_astronaut_batch_targets_keep_the_head(astronaut, tmp_path):
    from models.cropsets.targets import parse_target
    from models.cropsets.worker import ExportSettings, ImageJob, TargetJob, process_image

    targets = tuple(TargetJob(parse_target(spec), spec) for spec in ("w16 16:9", "w191 1.91:1", "w3 3:1"))
    result = process_image(ImageJob(SAMPLES / "astronaut.jpg", targets), ExportSettings(tmp_path, dry_run=True))
    (head,) = astronaut.subjects.heads
    for record in result.records:
        box = Box(*record.box)
        assert record.status == "planned", record
        if not box.contains(head.box, tol=0.5):
            assert box.height < head.box.height, record
            assert_holds_head_from_chin(box, head)


@pytest.mark.parametrize("aspect", ["16:9", "1.91:1", "3:1"])
def test_astronaut_suggestions_top3_keep_the_head(astronaut, aspect):
    from models.geometry import parse_aspect

    (head,) = astronaut.subjects.heads
    found = cropping.ranked(astronaut, cropping.Request(parse_aspect(aspect), method="procrop"), 3)
    assert found and all(s.box.contains(head.box, tol=0.5) or s.box.height < head.box.height for s in found), found
    for s in found:
        if not s.box.contains(head.box, tol=0.5):
            assert_holds_head_from_chin(s.box, head)
