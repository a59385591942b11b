"""Exact output sizes: snapping a crop to whole pixels of the target's ratio, and never
upscaling silently.

For a target with a size ``(w, h)`` the crop is cut at the ratio ``w / h`` with whole-pixel
edges (ratio error under one pixel) and the exported file is resized to exactly ``w x h``.
When the chosen crop is smaller than ``w x h``, :func:`fit_to_target` first grows it to
exactly ``w x h`` around the keep regions, clear of the avoid regions and as close to the
chosen crop as it can; only when the image has no such box is the target upscaled (with
``allow_upscale``; the result says by how much, and the batch warns) or refused with
:class:`UpscaleError`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from typing import Protocol

from models.constraints.problem import CropProblem, keep_union
from models.constraints.search import snap_to_pixels
from models.errors import InfeasibleError
from models.export.planner import UpscaleError, upscale_refusal
from models.geometry import AspectRatio, Box, largest_box_with_ratio

__all__ = ["FittedCrop", "SizedTarget", "UpscaleError", "check_room", "fit_to_target", "grow_to_size"]


class SizedTarget(Protocol):
    """What sizing needs of a target (:class:`models.cropsets.targets.Target` is one)."""

    @property
    def size(self) -> tuple[int, int] | None: ...
    @property
    def ratio(self) -> AspectRatio: ...
    @property
    def crop_ratio(self) -> float: ...
    @property
    def crop_aspect(self) -> AspectRatio: ...


Target = SizedTarget


@dataclass(frozen=True, slots=True)
class FittedCrop:
    """A crop ready to export: ``box`` has whole-pixel edges (full-resolution upright frame);
    the file is ``output_size``; ``note`` says what was changed to get there, if anything."""

    box: Box
    output_size: tuple[int, int]
    note: str | None = None
    upscale: float | None = None  # the factor, when the crop is smaller than the output


def _clear(box: Box, avoid: tuple[Box, ...]) -> bool:
    return all(box.intersection(a) is None for a in avoid)


def grow_to_size(box: Box, size: tuple[int, int], problem: CropProblem) -> Box | None:
    """A ``size`` box with integer edges inside the image, holding every keep region and
    meeting no avoid region, whose centre is nearest ``box``'s; ``None`` if there is none.

    Exact (checked against every position in the tests): the integer positions around the
    keep regions form one interval per axis, and the nearest clear one has, on each axis, an
    interval end, an avoid region's edge or the position centred on ``box``.
    """
    (width, height), (w, h) = problem.image_size, size
    if w > width or h > height:
        return None
    x_lo, x_hi, y_lo, y_hi = 0, width - w, 0, height - h
    union = keep_union(problem)
    if union is not None:
        x_lo, x_hi = max(x_lo, math.ceil(union.x1 - 1e-9) - w), min(x_hi, math.floor(union.x0 + 1e-9))
        y_lo, y_hi = max(y_lo, math.ceil(union.y1 - 1e-9) - h), min(y_hi, math.floor(union.y0 + 1e-9))
    if x_hi < x_lo or y_hi < y_lo:
        return None
    cx, cy = box.center
    xs = {x_lo, x_hi, round(cx - w / 2)} | {v for a in problem.avoid for v in (math.ceil(a.x1), math.floor(a.x0) - w)}
    ys = {y_lo, y_hi, round(cy - h / 2)} | {v for a in problem.avoid for v in (math.ceil(a.y1), math.floor(a.y0) - h)}
    xs = {min(max(x, x_lo), x_hi) for x in xs}
    ys = {min(max(y, y_lo), y_hi) for y in ys}
    best: tuple[float, int, int] | None = None
    for x, y in itertools.product(sorted(xs), sorted(ys)):
        cand = Box(x, y, x + w, y + h)
        if _clear(cand, problem.avoid):
            key = (math.hypot(x + w / 2 - cx, y + h / 2 - cy), x, y)
            best = key if best is None or key < best else best
    return None if best is None else Box(best[1], best[2], best[1] + w, best[2] + h)


def _snap(box: Box, problem: CropProblem, target: Target) -> Box:
    """``box`` with whole-pixel edges at the problem's ratio (height within a pixel of width / ratio).

    :func:`snap_to_pixels` keeps the regions and moves each edge by under a pixel. When it
    cannot (regions leave less than a pixel of play, or a sub-pixel box at the image's edge),
    the nearest whole-pixel box of the ratio is moved inside the image; the caller checks the
    regions again. Raises InfeasibleError when no box of the ratio at least one pixel on each
    side fits the image (13:1 or 1:13 on 12 x 12 px alike: the rule is symmetric).
    """
    (width, height), ratio = problem.image_size, problem.ratio
    largest = largest_box_with_ratio(width, height, ratio)
    if largest.width < 1 or largest.height < 1:
        raise InfeasibleError(f"the image is {width}x{height} px, too small for a whole-pixel {target.ratio} crop")
    snapped = snap_to_pixels(box, problem)
    if snapped is not box:  # it returns ``box`` itself when nothing fits
        return snapped
    best: tuple[float, float, int, int] | None = None
    for w in {math.floor(box.width), math.ceil(box.width), math.floor(largest.width + 1e-9)}:
        for h in {math.floor(w / ratio), math.ceil(w / ratio)}:
            if 1 <= w <= width and 1 <= h <= height and abs(h - w / ratio) < 1:
                key = (abs(h - w / ratio), abs(w - box.width), w, h)
                best = key if best is None or key < best else best
    if best is None:
        raise InfeasibleError(f"the image is {width}x{height} px, too small for a whole-pixel {target.ratio} crop")
    w, h = best[2], best[3]
    cx, cy = box.center
    x0 = min(max(round(cx - w / 2), 0), width - w)
    y0 = min(max(round(cy - h / 2), 0), height - h)
    return Box(x0, y0, x0 + w, y0 + h)


def _too_small(target: Target, box: Box, problem: CropProblem, *, grown: bool = True) -> str:
    """Why the output would need upscaling (the start of UpscaleError's message)."""
    w, h = target.size  # type: ignore[misc]
    width, height = problem.image_size
    largest = largest_box_with_ratio(width, height, target.crop_ratio)
    crop = f"{int(box.width)}x{int(box.height)} px"
    if math.floor(largest.width + 1e-6) < w or math.floor(largest.height + 1e-6) < h:
        return (f"the image is {width}x{height} px; its largest {target.ratio} crop is {math.floor(largest.width)}"
                f"x{math.floor(largest.height)} px, smaller than the {w}x{h} output")  # fmt: skip
    if not grown:
        return f"the manual crop is {crop}, smaller than the {w}x{h} output"
    return (f"no {w}x{h} crop of this image keeps the keep regions in and the avoid regions out; "
            f"the best {target.ratio} crop that does is {crop}")  # fmt: skip


_refusal = upscale_refusal


def check_room(target: Target, image_size: tuple[int, int], *, allow_upscale: bool = False) -> None:
    """Refuse early (before any analysis) a target whose size no crop of the image reaches.

    Raises
    ------
    UpscaleError
        Even the largest crop of the target's ratio is smaller than its size, and
        ``allow_upscale`` is false.
    """
    if target.size is None or allow_upscale:
        return
    largest = largest_box_with_ratio(*image_size, target.crop_ratio)
    w, h = target.size
    if math.floor(largest.width + 1e-6) < w or math.floor(largest.height + 1e-6) < h:
        problem = CropProblem(image_size, target.crop_aspect)
        raise _refusal(_too_small(target, largest, problem), max(w / largest.width, h / largest.height))


def fit_to_target(
    box: Box, target: Target, problem: CropProblem, *, allow_upscale: bool = False, grow: bool = True
) -> FittedCrop:
    """Snap ``box`` to whole pixels at ``target.crop_ratio`` and decide the output size.

    Parameters
    ----------
    box : Box
        The chosen crop (full-resolution pixels), of about the target's ratio.
    problem : CropProblem
        The image size and the regions the snapped (or grown) crop must still respect; its
        aspect is replaced by the target's exact crop ratio.
    allow_upscale : bool
        Upscale a crop smaller than the target's size instead of refusing (``upscale`` and
        ``note`` of the result say so; the caller warns).
    grow : bool
        Try a larger crop of exactly the target's size before upscaling (not for manual crops).

    Raises
    ------
    UpscaleError
        The crop would have to be upscaled and ``allow_upscale`` is false; the message says why.
    """
    size = target.size
    exact = CropProblem(problem.image_size, AspectRatio(*size) if size else target.ratio, problem.keep, problem.avoid)
    snapped = _snap(box, exact, target)
    if size is None:
        return FittedCrop(snapped, (int(snapped.width), int(snapped.height)))
    w, h = size
    if snapped.width >= w and snapped.height >= h:
        return FittedCrop(snapped, size)
    grown = grow_to_size(snapped, size, exact) if grow else None
    if grown is not None:
        note = f"grown from {int(snapped.width)}x{int(snapped.height)} px to {w}x{h} px to avoid upscaling"
        return FittedCrop(grown, size, note)
    why = _too_small(target, snapped, exact, grown=grow)
    factor = max(w / snapped.width, h / snapped.height)
    if not allow_upscale:
        raise _refusal(why, factor)
    return FittedCrop(snapped, size, f"upscaled x{factor:.2f}: {why}", upscale=factor)
