"""Decoding a file for the engine: :func:`load_image` -> :class:`LoadedImage`, upright 8-bit
sRGB, reduced to a long side (JPEGs decoded at 1/2, 1/4 or 1/8 when that is enough)."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from models.errors import InvalidInputError
from models.geometry import Box
from models.imaging.colour import to_rgb
from models.imaging.header import MAX_PIXELS, UPRIGHT, ImageInfo, open_image, positive_int

__all__ = ["ANALYSIS_MAX_SIDE", "LoadedImage", "load_image"]

log = logging.getLogger(__name__)

ANALYSIS_MAX_SIDE = 1024
"""Long side of the copy the engine analyses (crops are still cut from the full file)."""


@dataclass(frozen=True, slots=True, eq=False)  # eq=False: arrays have no truth value
class LoadedImage:
    """An image ready for the engine: ``rgb`` is ``(h, w, 3)`` uint8, C-contiguous, upright, sRGB,
    possibly reduced from ``info``'s full resolution (treat it as read-only)."""

    info: ImageInfo
    rgb: np.ndarray

    def __post_init__(self) -> None:
        rgb = self.rgb
        if not (isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3):
            raise InvalidInputError(f"rgb must be an (h, w, 3) uint8 array, got {getattr(rgb, 'shape', rgb)!r}")

    @property
    def scale(self) -> float:
        """``rgb`` width / full-resolution width (1.0 when not reduced)."""
        return self.rgb.shape[1] / self.info.width

    def to_full(self, box: Box) -> Box:
        """A box in the ``rgb`` frame -> the full-resolution upright frame."""
        h, w = self.rgb.shape[:2]
        return box.scaled(self.info.width / w, self.info.height / h)

    def from_full(self, box: Box) -> Box:
        """A box in the full-resolution upright frame -> the ``rgb`` frame."""
        h, w = self.rgb.shape[:2]
        return box.scaled(w / self.info.width, h / self.info.height)


def load_image(
    path: str | os.PathLike, *, max_side: int | None = 1024, max_pixels: int | None = MAX_PIXELS
) -> LoadedImage:
    """Decode an image to upright 8-bit sRGB, with its long side reduced to at most ``max_side``.

    EXIF orientation is applied; alpha is composited on white; palette, greyscale and 1-bit
    images become RGB; CMYK and images with an embedded ICC profile are converted to sRGB with
    the profile (PIL's conversion when there is none, or it is broken: logged as a warning);
    16-bit images are scaled by their bit depth (65535 -> 255); 32-bit integer images by their
    range unless it fits 16 bits; float images by 255 when in ``[0, 1]``, else by their range.

    Parameters
    ----------
    path : str or os.PathLike
        A JPEG, PNG, TIFF, WebP or BMP file.
    max_side : int or None
        Largest side of the result in pixels; ``None`` keeps the full resolution. Never upscales.
    max_pixels : int or None
        Refuse images with more pixels (width x height) than this; ``None`` for no limit.

    Returns
    -------
    LoadedImage
        ``info`` from the header and ``rgb`` of shape ``(h, w, 3)``, ``max(h, w) <= max_side``.

    Raises
    ------
    ImageReadError
        The file is missing, empty, a folder, not an image, truncated/corrupt, or too large.
    InvalidInputError
        ``max_side`` is not a positive integer.
    """
    max_side = None if max_side is None else positive_int(max_side, "max_side")
    with open_image(Path(path), max_pixels=max_pixels) as (im, info):
        target = _fit((info.width, info.height), max_side)
        stored = target[::-1] if info.orientation >= 5 else target  # the target in the file's frame
        if target != (info.width, info.height) and im.format in ("JPEG", "MPO"):
            full = im.size
            im.draft(im.mode, stored)  # DCT scaling by 1/2, 1/4 or 1/8, never below `stored`
            log.debug("%s: JPEG decoded at 1/%d, %dx%d -> %dx%d", info.path.name,
                      round(full[0] / im.size[0]), *full, *im.size)  # fmt: skip
        im.load()
        out, _ = to_rgb(im, info.icc_profile, flatten=True, keep_rgb_profile=False)
        if out.size != stored:
            out = out.resize(stored, Image.Resampling.LANCZOS, reducing_gap=3.0)
        out = out.transpose(UPRIGHT[info.orientation]) if info.orientation != 1 else out
        rgb = np.array(out, dtype=np.uint8, order="C")
    log.debug("loaded %s: %s %s %dx%d -> rgb %dx%d", info.path.name, info.format, info.mode,
              info.width, info.height, rgb.shape[1], rgb.shape[0])  # fmt: skip
    return LoadedImage(info=info, rgb=rgb)


def _fit(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """``size`` scaled down so that its long side is ``max_side`` (unchanged if already smaller)."""
    w, h = size
    if max_side is None or max(w, h) <= max_side:
        return w, h
    if w >= h:
        return max_side, max(1, round(h * max_side / w))
    return max(1, round(w * max_side / h)), max_side
