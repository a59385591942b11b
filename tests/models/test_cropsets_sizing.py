"""models.export.sizing: exact output sizes for any ratio and size, growing instead of
upscaling (checked against brute force), refusing with a reason; files of exactly that size."""

from __future__ import annotations

import itertools
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from PIL import Image

from models.constraints.problem import CropProblem
from models.cropsets.manifest import OutputRecord
from models.export.sizing import UpscaleError, check_room, fit_to_target, grow_to_size
from models.cropsets.targets import Target
from models.cropsets.worker import ExportSettings, ImageJob, TargetJob, process_image
from models.errors import InfeasibleError
from models.eval.baselines import CentredBaseline
from models.geometry import AspectRatio, Box, largest_box_with_ratio

sizes = st.tuples(st.integers(1, 600), st.integers(1, 600))
images = st.tuples(st.integers(8, 500), st.integers(8, 500))


def assert_whole_pixels_inside(box: Box, width: int, height: int) -> None:
    assert all(float(v).is_integer() for v in box.as_tuple())
    assert 0 <= box.x0 < box.x1 <= width and 0 <= box.y0 < box.y1 <= height


@settings(max_examples=300, deadline=None)
@given(image=images, size=sizes, frac=st.floats(0.2, 1.0), pos=st.tuples(st.floats(0, 1), st.floats(0, 1)))
def test_output_is_exactly_the_size_and_the_crop_keeps_its_ratio(image, size, frac, pos):
    width, height = image
    target = Target("t", AspectRatio(*size), size)
    largest = largest_box_with_ratio(width, height, target.crop_ratio)
    bw, bh = largest.width * frac, largest.height * frac
    box = Box.from_xywh(pos[0] * (width - bw), pos[1] * (height - bh), bw, bh)
    problem = CropProblem((width, height), target.crop_aspect)
    try:
        fitted = fit_to_target(box, target, problem, allow_upscale=True)
    except InfeasibleError as exc:  # only when not even a one-pixel box of the ratio fits
        assert largest.width < 1 or largest.height < 1, exc
        return
    assert fitted.output_size == size
    assert_whole_pixels_inside(fitted.box, width, height)
    # ratio within a pixel: the height is the width / ratio, rounded up or down
    assert abs(fitted.box.height - fitted.box.width / target.crop_ratio) < 1 + 1e-9
    if fitted.upscale is None:
        assert fitted.box.width >= size[0] and fitted.box.height >= size[1]
    try:
        strict = fit_to_target(box, target, problem)
    except UpscaleError as exc:
        assert fitted.upscale is not None and "--allow-upscale" in str(exc)
    else:
        assert strict == fitted and strict.upscale is None


@settings(max_examples=200, deadline=None)
@given(image=images, ratio=st.floats(0.2, 5.0), frac=st.floats(0.05, 1.0))
def test_unsized_target_exports_the_crops_own_pixels(image, ratio, frac):
    width, height = image
    target = Target("t", AspectRatio(ratio, 1.0))
    largest = largest_box_with_ratio(width, height, ratio)
    box = Box.from_xywh(0, 0, largest.width * frac, largest.height * frac)
    try:
        fitted = fit_to_target(box, target, CropProblem((width, height), target.ratio))
    except InfeasibleError as exc:
        assert largest.width < 1 or largest.height < 1, exc
        return
    assert fitted.output_size == (fitted.box.width, fitted.box.height)
    assert abs(fitted.box.height - fitted.box.width / ratio) < 1
    assert_whole_pixels_inside(fitted.box, width, height)


def brute_grow(box: Box, size: tuple[int, int], problem: CropProblem) -> Box | None:
    """Every integer position; the one nearest box's centre (ties: smallest x, then y)."""
    (width, height), (w, h) = problem.image_size, size
    best = None
    for x, y in itertools.product(range(width - w + 1), range(height - h + 1)):
        cand = Box(x, y, x + w, y + h)
        if all(cand.contains(k) for k in problem.keep) and all(cand.intersection(a) is None for a in problem.avoid):
            key = (np.hypot(x + w / 2 - box.center[0], y + h / 2 - box.center[1]), x, y)
            best = key if best is None or key < best else best
    return None if best is None else Box(best[1], best[2], best[1] + w, best[2] + h)


def region(draw, width: int, height: int) -> Box:
    x0, x1 = sorted(draw(st.lists(st.floats(0, width), min_size=2, max_size=2)))
    y0, y1 = sorted(draw(st.lists(st.floats(0, height), min_size=2, max_size=2)))
    return Box(x0, y0, max(x1, x0 + 0.5), max(y1, y0 + 0.5)).clipped(width, height)


@st.composite
def grow_cases(draw):
    width, height = draw(st.integers(4, 24)), draw(st.integers(4, 24))
    size = (draw(st.integers(1, width)), draw(st.integers(1, height)))
    keep = tuple(region(draw, width, height) for _ in range(draw(st.integers(0, 1))))
    avoid = tuple(region(draw, width, height) for _ in range(draw(st.integers(0, 2))))
    keep = tuple(k for k in keep if k.area > 0)
    avoid = tuple(a for a in avoid if a.area > 0)
    box = region(draw, width, height)
    return box, size, CropProblem((width, height), AspectRatio(*size), keep, avoid)


@settings(max_examples=400, deadline=None)
@given(case=grow_cases())
def test_grow_to_size_matches_brute_force(case):
    box, size, problem = case
    got, want = grow_to_size(box, size, problem), brute_grow(box, size, problem)
    assert (got is None) == (want is None)
    if got is not None:
        assert got.width == size[0] and got.height == size[1]
        assert all(got.contains(k) for k in problem.keep) and all(got.intersection(a) is None for a in problem.avoid)
        d = lambda b: np.hypot(b.center[0] - box.center[0], b.center[1] - box.center[1])  # noqa: E731
        assert d(got) == pytest.approx(d(want))


def test_small_crop_grows_instead_of_upscaling():
    target = Target("sq", AspectRatio(1, 1), (100, 100))
    problem = CropProblem((300, 200), target.crop_aspect, keep=(Box(150, 50, 170, 70),))
    fitted = fit_to_target(Box(140, 40, 180, 80), target, problem)
    assert fitted.output_size == (100, 100) and fitted.upscale is None and "grown" in fitted.note
    assert fitted.box.width == 100 and fitted.box.contains(Box(150, 50, 170, 70))


def test_refusals_say_why():
    target = Target("story", AspectRatio(9, 16), (1080, 1920))
    with pytest.raises(UpscaleError, match=r"the image is 640x480 px; its largest 9:16 crop is 270x480 px.*x4\.00"):
        check_room(target, (640, 480))
    check_room(target, (640, 480), allow_upscale=True)
    check_room(Target("r", AspectRatio(9, 16)), (10, 10))
    # the image is big enough, but the avoid regions leave no 100x100 box around the keep region
    sq = Target("sq", AspectRatio(1, 1), (100, 100))
    problem = CropProblem((300, 300), sq.crop_aspect, keep=(Box(100, 100, 120, 120),),
                          avoid=(Box(60, 0, 90, 300), Box(130, 0, 160, 300)))  # fmt: skip
    with pytest.raises(UpscaleError, match="no 100x100 crop of this image keeps"):
        fit_to_target(Box(95, 95, 125, 125), sq, problem)
    # a manual crop is never moved: refused (or upscaled), never grown
    with pytest.raises(UpscaleError, match="manual crop is 30x30 px"):
        fit_to_target(Box(0, 0, 30, 30), sq, CropProblem((300, 300), sq.crop_aspect), grow=False)


@settings(max_examples=15, deadline=None)
@given(image=st.tuples(st.integers(12, 60), st.integers(12, 60)),
       size=st.tuples(st.integers(1, 90), st.integers(1, 90)),
       fmt=st.sampled_from(["jpeg", "png", "webp", "tiff"]))  # fmt: skip
@example(image=(12, 12), size=(1, 13), fmt="jpeg")  # found by CI: the largest 1:13 crop is 0.92 px wide
@example(image=(12, 12), size=(13, 1), fmt="jpeg")  # and its mirror, found locally: refused alike
def test_exported_files_have_exactly_the_requested_size(image, size, fmt):
    from models.export.naming import OutputNaming

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        src = tmp / "src.png"
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (image[1], image[0], 3), dtype=np.uint8)).save(src)
        target = Target("t", AspectRatio(*size), size)
        settings_ = ExportSettings(tmp / "out", "centred", OutputNaming(format=fmt), allow_upscale=True)
        (tmp / "out").mkdir()
        result = process_image(ImageJob(src, (TargetJob(target, "h"),)), settings_, CentredBaseline())
        (record,) = result.records
        assert isinstance(record, OutputRecord)
        largest = largest_box_with_ratio(*image, size[0] / size[1])
        if largest.width < 1 or largest.height < 1:
            # 1:13 or 13:1 on 12 x 12 px: no box of the ratio is a pixel on each side; said, not crashed
            assert record.status == "error" and record.error_kind == "infeasible", record
            assert f"too small for a whole-pixel {target.ratio} crop" in record.error
            assert not [p for p in (tmp / "out").iterdir() if not p.name.startswith(".cropstudio")]  # no image
            return
        assert record.status == "ok", record.error
        with Image.open(tmp / "out" / record.output) as out:
            assert out.size == size == record.output_size
