"""A constrained crop request and its feasibility, stated in full-resolution pixels.

A :class:`CropProblem` asks for a crop of a fixed aspect ratio inside a ``W x H`` image that
contains every *keep* region, meets no *avoid* region (half-open boxes, so a crop may
touch an avoid region's edge) and cuts no *no-cut* region (a head: held whole or left
entirely out, :func:`cuts`). :func:`admits` is the one test of all four. :func:`check_feasible` says exactly why a problem has no
answer: conflicting regions, or regions no box of the ratio can hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.errors import InfeasibleError, InvalidInputError
from models.geometry import AspectRatio, Box, bounding_box, largest_box_with_ratio

__all__ = ["CropProblem", "admits", "check_feasible", "cuts", "keep_union"]


def _fmt(box: Box) -> str:
    return "({:g}, {:g}, {:g}, {:g})".format(*(round(v, 1) for v in box.as_tuple()))


@dataclass(frozen=True, slots=True)
class CropProblem:
    """Crop ``image_size = (W, H)`` to ``aspect`` keeping ``keep`` in and ``avoid`` out.

    All boxes are in full-resolution pixels of the upright image (see models.geometry).
    """

    image_size: tuple[int, int]
    aspect: AspectRatio
    keep: tuple[Box, ...] = ()
    avoid: tuple[Box, ...] = ()
    no_cut: tuple[Box, ...] = ()

    def __post_init__(self) -> None:
        w, h = self.image_size
        if not (w > 0 and h > 0):
            raise InvalidInputError(f"image size must be positive, got {self.image_size}")
        frame = Box(0, 0, w, h)
        for kind, boxes in (("keep", self.keep), ("avoid", self.avoid), ("no-cut", self.no_cut)):
            for i, box in enumerate(boxes, 1):
                if box.area <= 0:
                    raise InvalidInputError(f"{kind} region #{i} {_fmt(box)} is empty")
                if not frame.contains(box, tol=1e-6):
                    raise InvalidInputError(f"{kind} region #{i} {_fmt(box)} is not inside the {w}x{h} image")

    @property
    def ratio(self) -> float:
        return self.aspect.value

    @property
    def largest(self) -> Box:
        """The largest box of the ratio in the image, centred."""
        return largest_box_with_ratio(*self.image_size, self.ratio)


def cuts(crop: Box, region: Box, tol: float = 1e-9) -> bool:
    """Whether ``crop`` cuts ``region``: meets it (a shared area, not just an edge) without
    holding it whole. The one definition of a cut head (:mod:`models.cropping.rule`)."""
    inter = crop.intersection(region)
    return inter is not None and min(inter.width, inter.height) > tol and not crop.contains(region, tol=tol)


def admits(problem: CropProblem, box: Box, tol: float = 1e-9) -> bool:
    """Whether ``box`` satisfies every constraint of ``problem`` (not its ratio): inside the
    image, every keep region inside, no avoid region met, no no-cut region cut."""
    w, h = problem.image_size
    return (
        Box(0, 0, w, h).contains(box, tol=tol)
        and all(box.contains(k, tol=tol) for k in problem.keep)
        and all((i := box.intersection(a)) is None or min(i.width, i.height) <= tol for a in problem.avoid)
        and not any(cuts(box, n, tol) for n in problem.no_cut)
    )


def keep_union(problem: CropProblem) -> Box | None:
    """The bounding box of all keep regions (a crop holds them all iff it holds this)."""
    return bounding_box(problem.keep)


def _min_box_for(union: Box, ratio: float) -> tuple[float, float]:
    """Width and height of the smallest box of ``ratio`` that can contain ``union``."""
    return max(union.width, union.height * ratio), max(union.height, union.width / ratio)


def check_feasible(problem: CropProblem) -> None:
    """Raise :class:`InfeasibleError` naming the conflict when no crop can satisfy ``problem``.

    Checks what can be decided from the regions alone: a keep region overlapping an avoid
    region, and keep regions spanning more than the largest box of the ratio. Whether avoid
    regions leave room around the keep regions is decided by the search (it reports it).
    """
    for i, keep in enumerate(problem.keep, 1):
        for j, avoid in enumerate(problem.avoid, 1):
            if keep.intersection(avoid) is not None:
                raise InfeasibleError(
                    f"keep region #{i} {_fmt(keep)} overlaps avoid region #{j} {_fmt(avoid)}: "
                    "no crop can include one and exclude the other"
                )
    union = keep_union(problem)
    if union is None:
        return
    need_w, need_h = _min_box_for(union, problem.ratio)
    largest = problem.largest
    if need_w > largest.width + 1e-6 or need_h > largest.height + 1e-6:
        w, h = problem.image_size
        raise InfeasibleError(
            f"the keep regions span {math.ceil(union.width)}x{math.ceil(union.height)} px; a {problem.aspect} "
            f"crop holding them needs {math.ceil(need_w)}x{math.ceil(need_h)} px, but the largest {problem.aspect} "
            f"box in this {w}x{h} image is {math.floor(largest.width)}x{math.floor(largest.height)} px"
        )
