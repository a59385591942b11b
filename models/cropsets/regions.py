"""Regions and points in relative coordinates: fractions ``[0, 1]`` of the upright image.

A crop set gives its keep / avoid regions, focal point and manual crops once per image, in
fractions of the image's width and height, so they hold at any resolution (the same
convention as the data sets' boxes, see :mod:`models.geometry`). :meth:`RelativeBox.to_pixels`
converts to the engine's full-resolution pixel :class:`~models.geometry.Box`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from models.errors import InvalidInputError
from models.geometry import Box, parse_box

__all__ = ["FOCAL_BOX_PX", "RelativeBox", "RelativePoint", "parse_relative_box"]

FOCAL_BOX_PX = 1.0
"""Side of the keep region, in pixels, that stands for a focal point (it must stay in frame)."""


def _fraction(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInputError(f"{what} must be a number from 0 to 1, got {value!r}")
    v = float(value)
    if not (math.isfinite(v) and 0.0 <= v <= 1.0):
        raise InvalidInputError(f"{what} must be a number from 0 to 1, got {value!r}")
    return v


@dataclass(frozen=True, slots=True)
class RelativeBox:
    """``(x0, y0, x1, y1)`` in fractions of the upright image, ``0 <= x0 < x1 <= 1`` (same for y)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def __post_init__(self) -> None:
        values = [_fraction(v, "a relative box coordinate") for v in (self.x0, self.y0, self.x1, self.y1)]
        for name, v in zip(("x0", "y0", "x1", "y1"), values):
            object.__setattr__(self, name, v)
        if not (self.x0 < self.x1 and self.y0 < self.y1):
            raise InvalidInputError(
                f"relative box {self.as_tuple()} is empty: it needs x0 < x1 and y0 < y1 (fractions 0..1)"
            )

    @classmethod
    def from_sequence(cls, values: Sequence[object], what: str = "region") -> RelativeBox:
        """From ``[x0, y0, x1, y1]`` as read from JSON; the message names ``what``."""
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) != 4:
            raise InvalidInputError(f"{what} must be four numbers [x0, y0, x1, y1] in 0..1, got {values!r}")
        try:
            return cls(*values)  # type: ignore[arg-type]
        except InvalidInputError as exc:
            raise InvalidInputError(f"{what}: {exc}") from None

    @classmethod
    def from_pixels(cls, box: Box, width: int, height: int) -> RelativeBox:
        """The fractions of ``box`` (full-resolution pixels) in a ``width x height`` image."""
        c = box.clipped(width, height)
        return cls(c.x0 / width, c.y0 / height, c.x1 / width, c.y1 / height)

    def to_pixels(self, width: int, height: int) -> Box:
        """The box in full-resolution pixels of a ``width x height`` image."""
        return Box.from_normalized(self.as_tuple(), width, height)

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)


@dataclass(frozen=True, slots=True)
class RelativePoint:
    """A point ``(x, y)`` in fractions of the upright image (a manual focal point)."""

    x: float
    y: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "x", _fraction(self.x, "focal point x"))
        object.__setattr__(self, "y", _fraction(self.y, "focal point y"))

    @classmethod
    def from_sequence(cls, values: Sequence[object], what: str = "focal point") -> RelativePoint:
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence) or len(values) != 2:
            raise InvalidInputError(f"{what} must be two numbers [x, y] in 0..1, got {values!r}")
        try:
            return cls(*values)  # type: ignore[arg-type]
        except InvalidInputError as exc:
            raise InvalidInputError(f"{what}: {exc}") from None

    def keep_box(self, width: int, height: int) -> Box:
        """A :data:`FOCAL_BOX_PX`-wide keep region around the point, inside the image: the
        focal point stays in every crop."""
        side = min(FOCAL_BOX_PX, float(width), float(height))
        x0 = min(max(self.x * width - side / 2, 0.0), width - side)
        y0 = min(max(self.y * height - side / 2, 0.0), height - side)
        return Box(x0, y0, x0 + side, y0 + side)

    def as_tuple(self) -> tuple[float, float]:
        return (self.x, self.y)


def parse_relative_box(text: str, what: str = "region") -> RelativeBox:
    """``"x0,y0,x1,y1"`` in fractions of the image (each 0..1)."""
    values = parse_box(text)
    if not all(0.0 <= v <= 1.0 for v in values):
        raise InvalidInputError(
            f"{what} {text!r}: regions of a crop set are fractions of each image, four numbers from 0 to 1 "
            "(e.g. 0.5,0,1,0.5 for the top-right quarter)"
        )
    try:
        return RelativeBox(*values)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{what} {text!r}: {exc}") from None
