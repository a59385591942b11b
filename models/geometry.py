"""Boxes, aspect ratios and every coordinate conversion, in one place.

Coordinate convention (the only one used across module boundaries)
------------------------------------------------------------------
A :class:`Box` is ``(x0, y0, x1, y1)`` in **pixel-edge coordinates of the upright image**:

* the origin is the top-left *corner* of the top-left pixel; x grows to the right, y down;
* the box is half-open: it covers pixels ``x0 <= x < x1`` and ``y0 <= y < y1``, so
  ``width = x1 - x0`` is a pixel count and a full-image box is ``Box(0, 0, W, H)``;
* "upright" means after the EXIF orientation is applied (what a viewer shows), at the
  image's full resolution, unless a function says it works in another frame (an attention
  map's cells, or the ``[0, 1]`` normalised frame of the data sets).

Coordinates are floats so that a box can be scaled between frames without loss;
:meth:`Box.rounded` snaps to whole pixels for cropping.

The data sets in ``../shared/data`` store boxes normalised to ``[0, 1]`` by the image's width
and height: :meth:`Box.from_normalized` and :meth:`Box.to_normalized` convert.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from fractions import Fraction

from models.errors import InvalidInputError

__all__ = [
    "AspectRatio",
    "Box",
    "bounding_box",
    "fit_ratio_around",
    "fit_ratio_inside",
    "largest_box_with_ratio",
    "parse_aspect",
    "parse_box",
]


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned, half-open box ``[x0, x1) x [y0, y1)`` (see the module docstring)."""

    x0: float
    y0: float
    x1: float
    y1: float

    def __post_init__(self) -> None:
        values = (self.x0, self.y0, self.x1, self.y1)
        if not all(math.isfinite(float(v)) for v in values):
            raise InvalidInputError(f"box coordinates must be finite numbers, got {values}")
        if self.x1 < self.x0 or self.y1 < self.y0:
            raise InvalidInputError(
                f"box must have x0 <= x1 and y0 <= y1, got ({self.x0}, {self.y0}, {self.x1}, {self.y1})"
            )

    # -- constructors -------------------------------------------------------------------
    @classmethod
    def from_xywh(cls, x: float, y: float, w: float, h: float) -> Box:
        return cls(x, y, x + w, y + h)

    @classmethod
    def from_normalized(cls, values: tuple[float, float, float, float], width: float, height: float) -> Box:
        """A box from ``[x0, y0, x1, y1]`` in ``[0, 1]`` units of an image of ``width x height``."""
        x0, y0, x1, y1 = values
        return cls(x0 * width, y0 * height, x1 * width, y1 * height)

    # -- measures -----------------------------------------------------------------------
    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    @property
    def area(self) -> float:
        return self.width * self.height

    @property
    def center(self) -> tuple[float, float]:
        return ((self.x0 + self.x1) / 2, (self.y0 + self.y1) / 2)

    @property
    def aspect(self) -> float:
        """Width / height; ``inf`` for a box of zero height."""
        return self.width / self.height if self.height else math.inf

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.x0, self.y0, self.x1, self.y1)

    # -- relations ----------------------------------------------------------------------
    def intersection(self, other: Box) -> Box | None:
        x0, y0 = max(self.x0, other.x0), max(self.y0, other.y0)
        x1, y1 = min(self.x1, other.x1), min(self.y1, other.y1)
        if x1 <= x0 or y1 <= y0:
            return None
        return Box(x0, y0, x1, y1)

    def iou(self, other: Box) -> float:
        inter = self.intersection(other)
        if inter is None:
            return 0.0
        union = self.area + other.area - inter.area
        return inter.area / union if union > 0 else 0.0

    def contains(self, other: Box, tol: float = 1e-9) -> bool:
        return (
            self.x0 <= other.x0 + tol
            and self.y0 <= other.y0 + tol
            and other.x1 <= self.x1 + tol
            and other.y1 <= self.y1 + tol
        )

    # -- conversions between frames -----------------------------------------------------
    def scaled(self, sx: float, sy: float | None = None) -> Box:
        """The box in a frame whose unit is ``1/sx`` (``1/sy``) of this one's."""
        sy = sx if sy is None else sy
        return Box(self.x0 * sx, self.y0 * sy, self.x1 * sx, self.y1 * sy)

    def translated(self, dx: float, dy: float) -> Box:
        return Box(self.x0 + dx, self.y0 + dy, self.x1 + dx, self.y1 + dy)

    def to_normalized(self, width: float, height: float) -> tuple[float, float, float, float]:
        return (self.x0 / width, self.y0 / height, self.x1 / width, self.y1 / height)

    def clipped(self, width: float, height: float) -> Box:
        """The part of the box inside ``Box(0, 0, width, height)`` (may be empty)."""
        x0 = min(max(self.x0, 0.0), width)
        y0 = min(max(self.y0, 0.0), height)
        x1 = min(max(self.x1, x0), width)
        y1 = min(max(self.y1, y0), height)
        return Box(x0, y0, x1, y1)

    def rounded(self) -> Box:
        """Snap each edge to the nearest whole pixel (integers, still a :class:`Box`)."""
        return Box(*(int(round(v)) for v in self.as_tuple()))


@dataclass(frozen=True, slots=True)
class AspectRatio:
    """A width : height ratio, kept as given (``16:9`` stays 16 and 9 for display)."""

    width: float
    height: float

    def __post_init__(self) -> None:
        for v in (self.width, self.height):
            if not (math.isfinite(v) and v > 0):
                raise InvalidInputError(f"aspect ratio terms must be positive numbers, got {self.width}:{self.height}")

    @property
    def value(self) -> float:
        """Width / height, e.g. ``1.777...`` for 16:9."""
        return self.width / self.height

    def as_fraction(self, max_denominator: int = 1_000_000) -> Fraction:
        """The ratio as an exact fraction (``16:9`` -> ``16/9``; ``1.91:1`` -> ``191/100``)."""
        return (Fraction(str(self.width)) / Fraction(str(self.height))).limit_denominator(max_denominator)

    def swapped(self) -> AspectRatio:
        """The same ratio in the other orientation (``16:9`` -> ``9:16``)."""
        return AspectRatio(self.height, self.width)

    def __str__(self) -> str:
        def fmt(v: float) -> str:
            return f"{v:g}"

        return f"{fmt(self.width)}:{fmt(self.height)}"


_RATIO_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*(?:[:x/]\s*([0-9]*\.?[0-9]+))?\s*$", re.IGNORECASE)


def parse_aspect(text: str | float | AspectRatio) -> AspectRatio:
    """Parse ``"16:9"``, ``"4x5"``, ``"1.91:1"``, ``"3/2"`` or ``"1.5"`` (= width / height).

    Raises
    ------
    InvalidInputError
        With a message naming the accepted forms when ``text`` is none of them.
    """
    if isinstance(text, AspectRatio):
        return text
    if isinstance(text, (int, float)):
        return AspectRatio(float(text), 1.0)
    match = _RATIO_RE.match(str(text))
    if not match:
        raise InvalidInputError(
            f"cannot read aspect ratio {text!r}: use W:H (16:9), WxH (4x5), W/H or a number (1.5)"
        )
    w = float(match.group(1))
    h = float(match.group(2)) if match.group(2) is not None else 1.0
    if w <= 0 or h <= 0:
        raise InvalidInputError(f"aspect ratio {text!r} must have positive terms")
    return AspectRatio(w, h)


def parse_box(text: str) -> tuple[float, float, float, float]:
    """Parse ``"x0,y0,x1,y1"`` (four numbers, commas or spaces) as given; no unit is implied."""
    parts = [p for p in re.split(r"[,\s]+", text.strip()) if p]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        values = ()
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InvalidInputError(f"cannot read box {text!r}: expected four numbers x0,y0,x1,y1")
    return values  # type: ignore[return-value]


def bounding_box(boxes) -> Box | None:
    """The smallest box containing every box of ``boxes``; ``None`` when there are none."""
    boxes = tuple(boxes)
    if not boxes:
        return None
    return Box(min(b.x0 for b in boxes), min(b.y0 for b in boxes), max(b.x1 for b in boxes), max(b.y1 for b in boxes))


def largest_box_with_ratio(width: float, height: float, ratio: float) -> Box:
    """The largest box of ``ratio`` (= w / h) inside a ``width x height`` image, centred."""
    if ratio <= 0 or not math.isfinite(ratio):
        raise InvalidInputError(f"ratio must be a positive number, got {ratio}")
    bw, bh = (width, width / ratio) if width / ratio <= height else (height * ratio, height)
    x0, y0 = (width - bw) / 2, (height - bh) / 2
    return Box(x0, y0, x0 + bw, y0 + bh)


def fit_ratio_around(box: Box, ratio: float, width: float, height: float) -> Box:
    """The smallest box of exactly ``ratio`` that contains ``box``, centred on it and shifted
    to lie inside the ``width x height`` image.

    When no box of that ratio inside the image can contain ``box``, the largest box of the
    ratio is returned, centred on ``box`` as far as the image allows (it then cuts ``box``).
    """
    if ratio <= 0 or not math.isfinite(ratio):
        raise InvalidInputError(f"ratio must be a positive number, got {ratio}")
    bw, bh = box.width, box.height
    if bw < bh * ratio:
        bw = bh * ratio
    else:
        bh = bw / ratio
    limit = largest_box_with_ratio(width, height, ratio)
    if bw > limit.width or bh > limit.height:
        bw, bh = limit.width, limit.height
    cx, cy = box.center
    x0 = min(max(cx - bw / 2, 0.0), width - bw)
    y0 = min(max(cy - bh / 2, 0.0), height - bh)
    return Box(x0, y0, x0 + bw, y0 + bh)


def fit_ratio_inside(box: Box, ratio: float) -> Box:
    """The largest box of exactly ``ratio`` inside ``box``, centred in it."""
    if ratio <= 0 or not math.isfinite(ratio):
        raise InvalidInputError(f"ratio must be a positive number, got {ratio}")
    inner = largest_box_with_ratio(box.width, box.height, ratio)
    return inner.translated(box.x0, box.y0)
