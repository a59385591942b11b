"""From an attention map to crop boxes in full-resolution image pixels.

One call per slider move: :func:`attention_crop` takes a prepared
:class:`~models.attention.rectangles.RectangleSearch` (built once per map) and picks the
problem from the request: P1 for a free ratio, P2 for a fixed ratio, P3 for two regions.
Map boxes are scaled to pixels and, for a fixed ratio, refitted to the exact pixel ratio
(the map's cells are not exactly square, and its ratio rounding is one cell).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from models.attention.rectangles import AutoTau, RectangleSearch, RectResult, _validate_tau
from models.attention.saliency import AttentionMap, compute_attention
from models.errors import InfeasibleError, InvalidInputError
from models.geometry import AspectRatio, Box, fit_ratio_around, fit_ratio_inside, largest_box_with_ratio
from models.imaging import LoadedImage

__all__ = ["EXPERT_FREE_RATIOS", "AttentionCrop", "PreparedAttention", "attention_crop", "prepare_attention"]

log = logging.getLogger(__name__)

EXPERT_FREE_RATIOS = (AspectRatio(1, 2), AspectRatio(4, 1))  # python -m tests.bench.expert_ratios
"""The widths / heights every expert crop of FCDB's training split respects (1,338 crops:
0.499 to 4.00; 1st to 99th percentile 0.62 to 3.21). A free-ratio crop outside them is a
sliver no expert drew: ``ratio_bounds`` puts it back at the nearer bound."""


@dataclass(frozen=True, slots=True)
class AttentionCrop:
    """The answer in full-resolution pixels (integers; see :mod:`models.geometry`).

    ``kept`` is the fraction of the map's attention inside the map boxes (``nan`` for an
    empty map), ``area_fraction`` their share of the frame. ``note`` explains a fallback.
    """

    boxes: tuple[Box, ...]
    map_boxes: tuple[Box, ...]
    tau: float
    kept: float
    area_fraction: float
    aspect: AspectRatio | None
    auto: AutoTau | None = None
    note: str | None = None
    left_out: tuple = ()  # heads the crop leaves out (models.cropping's LeftOut), when the rule could not keep all


@dataclass(frozen=True, slots=True, eq=False)
class PreparedAttention:
    """Everything a slider needs, computed once per image: the map and its search."""

    image: LoadedImage
    attention: AttentionMap
    search: RectangleSearch

    def crop(self, *, tau: float | None, aspect: AspectRatio | None = None, regions: int = 1,
             ratio_bounds: tuple[AspectRatio, AspectRatio] | None = None) -> AttentionCrop:  # fmt: skip
        """:func:`attention_crop` on this image (milliseconds: safe to call per slider move)."""
        return attention_crop(self.attention, self.search, tau=tau, aspect=aspect, regions=regions,
                              ratio_bounds=ratio_bounds)  # fmt: skip


def prepare_attention(image: LoadedImage, *, method: str = "spectral", faces: bool = True) -> PreparedAttention:
    """The slow, once-per-image part (saliency, faces, summed-area table): run it in a worker."""
    attention = compute_attention(image, method=method, faces=faces)  # type: ignore[arg-type]
    return PreparedAttention(image, attention, RectangleSearch(attention.values))


def _to_pixels(attention: AttentionMap, box: Box, aspect: AspectRatio | None, *, grow: bool) -> Box:
    """Scale a map box to pixels and give it the exact pixel ratio: by growing it around the
    map box (keeps all its attention), or, when ``grow`` is False, by fitting inside it (keeps
    boxes from disjoint map boxes disjoint: rounding is monotone)."""
    width, height = attention.image_size
    pixels = attention.cells_to_pixels(box)
    if aspect is not None:
        fitted = fit_ratio_around(pixels, aspect.value, width, height) if grow else fit_ratio_inside(pixels, aspect.value)
        pixels = fitted
    return pixels.rounded().clipped(width, height)


def _empty_map_crop(attention: AttentionMap, tau: float, aspect: AspectRatio | None) -> AttentionCrop:
    width, height = attention.image_size
    full = Box(0, 0, width, height)
    box = full if aspect is None else largest_box_with_ratio(width, height, aspect.value).rounded()
    note = "the attention map is empty (a flat image): returning the centred frame"
    log.info(note)
    return AttentionCrop((box,), (), tau, float("nan"), box.area / full.area, aspect, note=note)


def attention_crop(
    attention: AttentionMap,
    search: RectangleSearch,
    *,
    tau: float | None = None,
    aspect: AspectRatio | None = None,
    regions: int = 1,
    ratio_bounds: tuple[AspectRatio, AspectRatio] | None = None,
) -> AttentionCrop:
    """Crop box(es) keeping ``tau`` of the attention, or the automatic tau when ``tau`` is None.

    Parameters
    ----------
    attention, search : the map and its search (``RectangleSearch(attention.values)``).
    tau : fraction of attention to keep, in ``[0, 1]``; ``None`` = seed sec. 3.4's tau*.
    aspect : fixed ratio of the crop in pixels, or ``None`` for a free ratio.
    regions : 1, or 2 for up to two disjoint crops (needs ``aspect``).
    ratio_bounds : for a free ratio, the narrowest and widest crop allowed (for example
        :data:`EXPERT_FREE_RATIOS`); a crop outside is recomputed at the nearer bound, the
        image's own ratio widening the range when it is more extreme. ``None``: seed P1 as is.

    Raises
    ------
    InfeasibleError
        When no crop of ``aspect`` fits the map or keeps ``tau``; the message says how much
        the ratio can keep.
    """
    if search.shape != attention.values.shape:
        raise InvalidInputError("the search was built on another map than this attention map")
    if regions not in (1, 2):
        raise InvalidInputError(f"regions must be 1 or 2, got {regions}")
    if regions == 2 and aspect is None:
        raise InvalidInputError("two regions need a fixed aspect ratio (the seed's problem 3)")
    if tau is not None:
        tau = _validate_tau(tau)
    auto = search.auto_tau() if tau is None else None
    tau = auto.tau if auto is not None else tau
    if search.total == 0:
        return _empty_map_crop(attention, tau, aspect)

    result = _solve(attention, search, tau, aspect, regions)
    grow = len(result.boxes) == 1
    boxes = tuple(_to_pixels(attention, b, aspect, grow=grow) for b in result.boxes)
    if aspect is None and ratio_bounds is not None:
        held = _held_at_bound(attention, search, tau, boxes[0], ratio_bounds, auto)
        if held is not None:
            return held
    width, height = attention.image_size
    area = sum(b.area for b in boxes) / (width * height)
    return AttentionCrop(boxes, result.boxes, tau, result.kept, area, aspect, auto=auto)


def _solve(attention: AttentionMap, search: RectangleSearch, tau: float, aspect: AspectRatio | None,
           regions: int) -> RectResult:  # fmt: skip
    """The search's smallest box (or pair) in map cells keeping ``tau``; InfeasibleError when
    no box of ``aspect`` does."""
    if aspect is None:
        return search.smallest(tau)
    cell_ratio = attention.pixel_ratio_to_cells(aspect.value)
    solve = search.two_with_ratio if regions == 2 else search.smallest_with_ratio
    result = solve(tau, cell_ratio)
    if result is None:
        raise InfeasibleError(_infeasible_message(search, tau, aspect, cell_ratio, regions))
    return result


def _held_at_bound(attention: AttentionMap, search: RectangleSearch, tau: float, box: Box,
                   ratio_bounds: tuple[AspectRatio, AspectRatio], auto: AutoTau | None) -> AttentionCrop | None:  # fmt: skip
    """The free crop ``box`` recomputed at the nearer of ``ratio_bounds`` when it is outside
    them (see :func:`attention_crop`), else None."""
    bound = _out_of_bounds(box, ratio_bounds, attention.image_size)
    if bound is None:
        return None
    try:
        crop = attention_crop(attention, search, tau=tau, aspect=bound)
    except InfeasibleError:  # cannot happen when the sliver fits the bound's box; kept as it is then
        return None
    note = (f"the free crop would be a {box.width / box.height:.2f}:1 sliver; held at {bound}, "
            f"the {'narrowest' if bound == ratio_bounds[0] else 'widest'} ratio expert crops use")
    return AttentionCrop(crop.boxes, crop.map_boxes, tau, crop.kept, crop.area_fraction, None, auto=auto,
                         note=note)  # fmt: skip


def _out_of_bounds(box: Box, bounds: tuple[AspectRatio, AspectRatio], image_size: tuple[int, int]) -> AspectRatio | None:
    """The bound ``box``'s ratio crosses (the image's own ratio widens the range), else None."""
    if box.width <= 0 or box.height <= 0:
        return None
    ratio, own = box.width / box.height, image_size[0] / image_size[1]
    low, high = bounds
    if ratio < low.value and own >= low.value:
        return low
    if ratio > high.value and own <= high.value:
        return high
    return None


def _infeasible_message(search: RectangleSearch, tau: float, aspect: AspectRatio, cell_ratio: float, regions: int) -> str:
    m, n = search.shape
    best = search.max_kept_two_with_ratio(cell_ratio) if regions == 2 else search.max_kept_with_ratio(cell_ratio)
    if best == 0.0:
        return f"no {aspect} crop fits a {n}x{m}-cell attention map; the ratio is too extreme for this image"
    what = f"two {aspect} boxes keep" if regions == 2 else f"one {aspect} box keeps"
    hint = "" if regions == 2 else " or use two regions"
    return f"no {aspect} crop keeps {tau:.0%} of the attention; {what} at most {best:.0%} (lower tau{hint})"
