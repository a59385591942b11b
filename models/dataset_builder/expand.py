"""Random canvas expansions that keep the original content (seed ProCrop sec. 3.3).

A professional photo is downscaled and pasted into a larger canvas; the border is then
outpainted and the pasted rectangle is the label (the photographer's frame). An
:class:`Expansion` records one draw: the canvas size, where the photo lies on it and at
what scale. Everything is in canvas pixels, boxes are half-open ``(x0, y0, x1, y1)``.

The seed draws canvases with a long side of 700-1024 px; our default is 512 px (speed),
see :class:`ExpansionSettings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from models.errors import InvalidInputError

__all__ = ["COMMON_RATIOS", "Expansion", "ExpansionSettings", "apply_expansion", "sample_expansion"]

COMMON_RATIOS: tuple[float, ...] = (1.0, 4 / 3, 3 / 4, 3 / 2, 2 / 3, 16 / 9, 9 / 16, 5 / 4, 4 / 5, 2.0, 1 / 2)
"""Canvas width / height drawn uniformly unless :attr:`ExpansionSettings.ratios` says otherwise."""


@dataclass(frozen=True, slots=True)
class ExpansionSettings:
    """How expansions are drawn.

    ``long_side``: canvas long side range in pixels (inclusive), e.g. ``(700, 1024)`` as in
    the seed; ``area``: the fraction of the canvas area the photo occupies; ``ratios``:
    canvas aspect ratios (width / height) drawn uniformly; empty: a log-uniform ratio in
    ``ratio_range``.
    """

    long_side: tuple[int, int] = (512, 512)
    area: tuple[float, float] = (0.35, 0.85)
    ratios: tuple[float, ...] = COMMON_RATIOS
    ratio_range: tuple[float, float] = (0.5, 2.0)

    def __post_init__(self) -> None:
        lo, hi = self.long_side
        if not (isinstance(lo, int) and isinstance(hi, int) and 32 <= lo <= hi <= 8192):
            raise InvalidInputError(f"canvas long side range must be integers with 32 <= min <= max <= 8192, got {self.long_side}")
        a0, a1 = self.area
        if not 0.01 <= a0 <= a1 < 1.0:
            raise InvalidInputError(f"area range must satisfy 0.01 <= min <= max < 1, got {self.area}")
        if any(not (0.1 <= r <= 10) for r in self.ratios):
            raise InvalidInputError(f"canvas ratios must be in [0.1, 10], got {self.ratios}")
        r0, r1 = self.ratio_range
        if not 0.1 <= r0 <= r1 <= 10:
            raise InvalidInputError(f"ratio range must satisfy 0.1 <= min <= max <= 10, got {self.ratio_range}")


@dataclass(frozen=True, slots=True)
class Expansion:
    """One expansion: a ``canvas`` of ``(width, height)`` pixels holding the photo, resized
    by ``scale`` (pasted width / photo width), in ``box`` (canvas pixels, half-open)."""

    canvas: tuple[int, int]
    box: tuple[int, int, int, int]
    scale: float

    @property
    def label(self) -> tuple[float, float, float, float]:
        """The pasted box normalised to the canvas: ``[x0, y0, x1, y1]`` in ``[0, 1]``."""
        w, h = self.canvas
        x0, y0, x1, y1 = self.box
        return (x0 / w, y0 / h, x1 / w, y1 / h)

    @property
    def area_fraction(self) -> float:
        x0, y0, x1, y1 = self.box
        return (x1 - x0) * (y1 - y0) / (self.canvas[0] * self.canvas[1])

    def to_json(self) -> dict:
        return {"canvas": list(self.canvas), "box": list(self.box), "scale": round(self.scale, 6)}

    @classmethod
    def from_json(cls, data: dict) -> Expansion:
        return cls(tuple(int(v) for v in data["canvas"]), tuple(int(v) for v in data["box"]), float(data["scale"]))


def sample_expansion(photo_size: tuple[int, int], seed: int, settings: ExpansionSettings = ExpansionSettings()) -> Expansion:
    """Draw an expansion of a ``(width, height)`` photo, deterministically from ``seed``.

    The photo keeps its aspect ratio (to the pixel), covers a fraction of the canvas area
    drawn from ``settings.area`` (less when it would not fit the canvas ratio) and lies at
    a uniformly drawn offset.
    """
    pw, ph = photo_size
    if pw < 2 or ph < 2:
        raise InvalidInputError(f"a photo of {pw}x{ph} pixels is too small to expand")
    rng = np.random.default_rng(seed)
    long_side = int(rng.integers(settings.long_side[0], settings.long_side[1] + 1))
    if settings.ratios:
        ratio = float(settings.ratios[int(rng.integers(len(settings.ratios)))])
    else:
        ratio = math.exp(rng.uniform(math.log(settings.ratio_range[0]), math.log(settings.ratio_range[1])))
    cw, ch = (long_side, max(2, round(long_side / ratio))) if ratio >= 1 else (max(2, round(long_side * ratio)), long_side)
    area = rng.uniform(*settings.area) * cw * ch
    photo_ratio = pw / ph
    w = math.sqrt(area * photo_ratio)
    fit = min(1.0, (cw - 1) / w, (ch - 1) / (w / photo_ratio))  # leave at least one border pixel
    w *= fit
    bw = max(2, min(cw - 1, round(w)))
    bh = max(2, min(ch - 1, round(bw / photo_ratio)))
    x0 = int(rng.integers(0, cw - bw + 1))
    y0 = int(rng.integers(0, ch - bh + 1))
    return Expansion((cw, ch), (x0, y0, x0 + bw, y0 + bh), round(bw / pw, 6))


def apply_expansion(photo: np.ndarray, expansion: Expansion) -> tuple[np.ndarray, np.ndarray]:
    """The canvas ``(H, W, 3)`` uint8 (zero outside the photo) and its ``known`` mask ``(H, W)``.

    The photo ``(h, w, 3)`` uint8 is resized to the pasted box (area averaging when it
    shrinks, bilinear otherwise) and copied in; ``known`` is ``True`` exactly on the box.
    """
    if not (isinstance(photo, np.ndarray) and photo.dtype == np.uint8 and photo.ndim == 3 and photo.shape[2] == 3):
        raise InvalidInputError(f"photo must be an (h, w, 3) uint8 array, got {getattr(photo, 'shape', type(photo))}")
    cw, ch = expansion.canvas
    x0, y0, x1, y1 = expansion.box
    size = (x1 - x0, y1 - y0)
    interp = cv2.INTER_AREA if size[0] < photo.shape[1] else cv2.INTER_LINEAR
    pasted = cv2.resize(photo, size, interpolation=interp) if size != (photo.shape[1], photo.shape[0]) else photo
    canvas = np.zeros((ch, cw, 3), np.uint8)
    canvas[y0:y1, x0:x1] = pasted
    known = np.zeros((ch, cw), bool)
    known[y0:y1, x0:x1] = True
    return canvas, known
