"""What a crop must satisfy, validated once: :class:`Request`, and the limits on tau and ratios.

Every product path (``crop``, ``attention``, ``suggest``, ``batch``, the GUI) builds one
:class:`Request`; :func:`check_request` then checks it against the image (the same rule
everywhere): a ratio must leave a crop of at least :data:`MIN_CROP_SIDE` whole pixels on each
side, tau is in ``(0, 1]``, two regions need a fixed ratio, regions lie inside the image.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from models.errors import InvalidInputError
from models.geometry import AspectRatio, Box, largest_box_with_ratio

__all__ = ["MIN_CROP_SIDE", "MIN_TAU_CROP_SIDE", "Request", "check_aspect", "check_request", "validate_tau"]

MIN_CROP_SIDE = 1
"""A ratio must leave a crop of at least this many whole pixels on each side (``1000:1`` of a
640x480 photo, 640x0.64 px, is refused, in ``crop`` and ``batch`` alike)."""

MIN_TAU_CROP_SIDE = 16
"""The smallest side of an attention-rectangle crop: a tiny tau's box grows to it."""


def validate_tau(tau: object) -> float:
    """``tau`` as a float in ``(0, 1]`` (the fraction of attention a crop keeps), or
    :class:`InvalidInputError` saying so. The one tau validator of the product paths."""
    try:
        t = float(tau)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInputError(f"tau must be a number in (0, 1], got {tau!r}") from None
    if not (0.0 < t <= 1.0):
        raise InvalidInputError(f"tau must be in (0, 1] (a fraction of the attention to keep), got {tau!r}")
    return t


@dataclass(frozen=True, slots=True)
class Request:
    """One crop request, in full-resolution pixels of the upright image.

    ``aspect``: the crop's ratio (``None``: free); ``keep`` / ``avoid``: regions the crop holds
    whole / leaves out; ``subjects``: obey the subject rule (never cut a head,
    :mod:`models.cropping.rule`); ``method``: a name of :data:`models.cropping.methods.METHODS`;
    ``tau``: for the attention-rectangle method ``tau`` only (``None``: automatic);
    ``regions``: 2 asks that method for two disjoint crops (needs ``aspect``);
    ``free_ratio_bounds``: for a free ratio, the narrowest and widest ``tau`` crop allowed
    (``models.attention.crop.EXPERT_FREE_RATIOS`` in the GUI), ``None``: the seed's P1 as is.
    """

    aspect: AspectRatio | None = None
    keep: tuple[Box, ...] = ()
    avoid: tuple[Box, ...] = ()
    subjects: bool = True
    method: str = "attention"
    tau: float | None = None
    regions: int = 1
    free_ratio_bounds: tuple[AspectRatio, AspectRatio] | None = None

    def __post_init__(self) -> None:
        if self.aspect is not None and not isinstance(self.aspect, AspectRatio):
            raise InvalidInputError(f"aspect must be an AspectRatio or None, got {self.aspect!r}")
        for name in ("keep", "avoid"):
            boxes = getattr(self, name)
            if not isinstance(boxes, tuple) or not all(isinstance(b, Box) for b in boxes):
                raise InvalidInputError(f"{name} must be a tuple of Box, got {boxes!r}")
        if self.tau is not None:
            object.__setattr__(self, "tau", validate_tau(self.tau))
        if self.regions not in (1, 2):
            raise InvalidInputError(f"regions must be 1 or 2, got {self.regions!r}")
        if self.regions == 2 and self.aspect is None:
            raise InvalidInputError("two regions need a fixed aspect ratio (the seed's problem 3)")
        if self.regions == 2 and (self.keep or self.avoid):
            raise InvalidInputError("two regions take no keep or avoid regions")


def check_aspect(aspect: AspectRatio, width: int, height: int) -> None:
    """Refuse a ratio whose largest crop in a ``width x height`` image is under
    :data:`MIN_CROP_SIDE` whole pixels on a side (``1000:1`` of a 640x480 photo is 640x0.6)."""
    box = largest_box_with_ratio(width, height, aspect.value)
    if math.floor(box.width + 1e-6) < MIN_CROP_SIDE or math.floor(box.height + 1e-6) < MIN_CROP_SIDE:
        lo, hi = MIN_CROP_SIDE / height, width / MIN_CROP_SIDE
        raise InvalidInputError(
            f"a {aspect} crop of this {width}x{height} image would be {box.width:.4g}x{box.height:.4g} px; "
            f"ratios from 1:{1 / lo:.4g} to {hi:.4g}:1 fit (each side at least {MIN_CROP_SIDE} whole pixel)"
        )


def check_request(request: Request, image_size: tuple[int, int]) -> None:
    """Everything about ``request`` that depends on the image: its ratio and its regions."""
    width, height = image_size
    if request.aspect is not None:
        check_aspect(request.aspect, width, height)
    frame = Box(0, 0, width, height)
    for kind, boxes in (("keep", request.keep), ("avoid", request.avoid)):
        for i, box in enumerate(boxes, 1):
            if box.area <= 0:
                raise InvalidInputError(f"{kind} region #{i} {tuple(round(v, 1) for v in box.as_tuple())} is empty")
            if not frame.contains(box, tol=1e-6):
                raise InvalidInputError(f"{kind} region #{i} {tuple(round(v, 1) for v in box.as_tuple())} "
                                        f"is not inside the {width}x{height} image")  # fmt: skip
