"""Cutting a crop for a file: :func:`render_crop` -> :class:`RenderedCrop` (pixels at full
resolution, upright, the metadata an export carries), written by :mod:`models.export`."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from models.errors import InvalidInputError
from models.geometry import Box
from models.imaging.colour import to_rgb
from models.imaging.header import MAX_PIXELS, ORIENTATION, PIL_ERRORS, UPRIGHT, ImageInfo, open_image, positive_int

__all__ = ["RenderedCrop", "render_crop"]

log = logging.getLogger(__name__)

# EXIF/TIFF tags not copied to an export: they describe the source's pixel layout (a TIFF's
# "EXIF" is its IFD0) or are metadata blocks that may restate the orientation (XMP, Photoshop).
_NOT_CARRIED_TAGS = frozenset({254, 255, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 280, 281, 284, 317,
                               320, 322, 323, 324, 325, 330, 338, 339, 340, 341, 347, 513, 514, 529, 530, 531,
                               532, 700, 33723, 34377, 34675, 37724})  # fmt: skip


@dataclass(frozen=True, slots=True, eq=False)
class RenderedCrop:
    """A crop ready to be saved: ``image`` (8-bit RGB/RGBA), Pillow ``format`` and save ``params``
    (quality, ICC profile, EXIF). Written by :mod:`models.export` (atomic, inside an output folder)."""

    image: Image.Image
    format: str
    params: dict
    source: ImageInfo
    box: tuple[int, int, int, int]

    def save(self, fh) -> None:
        """Encode into the open binary file ``fh``."""
        self.image.save(fh, format=self.format, **self.params)


def render_crop(
    src: str | os.PathLike, box: Box, fmt: str, *, size: tuple[int, int] | None = None, quality: int = 92,
    max_pixels: int | None = MAX_PIXELS, name: str = "",
) -> RenderedCrop:  # fmt: skip
    """Crop ``box`` (full-resolution upright frame) out of ``src`` for a ``fmt`` file.

    Pixels are upright, so the EXIF orientation written is 1; the rest of the EXIF and the ICC
    profile are kept (CMYK and greyscale images with a profile are converted to sRGB and get the
    sRGB profile). JPEG and BMP get RGB with alpha composited on white; PNG, TIFF and WebP keep
    alpha. Output is 8 bits per channel; ``size`` resizes to exactly ``(width, height)`` (Lanczos).

    Raises
    ------
    InvalidInputError
        Bad ``size`` or ``quality``, or a box outside the image (rounded with :meth:`Box.rounded`).
    ImageReadError
        ``src`` cannot be read (see :func:`load_image`).
    """
    if not isinstance(box, Box):
        raise InvalidInputError(f"box must be a Box, got {box!r}")
    size = None if size is None else _output_size(size)
    if positive_int(quality, "quality") > 100:
        raise InvalidInputError(f"quality must be from 1 to 100, got {quality!r}")
    with open_image(Path(src), max_pixels=max_pixels) as (im, info):
        x0, y0, x1, y1 = (int(v) for v in box.rounded().as_tuple())
        if not (0 <= x0 < x1 <= info.width and 0 <= y0 < y1 <= info.height):
            raise InvalidInputError(
                f"crop box {box.as_tuple()} (rounded {(x0, y0, x1, y1)}) is empty or outside "
                f"the {info.width} x {info.height} image '{info.path.name}'"
            )
        exif = _export_exif(im, size or (x1 - x0, y1 - y0)) if fmt != "BMP" else b""
        im.load()
        upright = im.transpose(UPRIGHT[info.orientation]) if info.orientation != 1 else im
        out, icc = to_rgb(upright.crop((x0, y0, x1, y1)), info.icc_profile,
                          flatten=fmt in ("JPEG", "BMP"), keep_rgb_profile=True)  # fmt: skip
    if size is not None and out.size != size:
        out = out.resize(size, Image.Resampling.LANCZOS)
    out.info = {}  # nothing from the source rides along implicitly: metadata is passed below
    params: dict[str, object] = {"quality": quality} if fmt in ("JPEG", "WEBP") else {}
    if icc and fmt != "BMP":
        params["icc_profile"] = icc
    if exif and not (fmt == "JPEG" and len(exif) > 65_000):
        params["exif"] = exif
    elif exif:
        log.warning("%s: EXIF too long for a JPEG (%d bytes), not written", name or info.path.name, len(exif))
    return RenderedCrop(out, fmt, params, info, (x0, y0, x1, y1))


def _output_size(size: object) -> tuple[int, int]:
    """``size`` as ``(width, height)`` of positive integers within :data:`MAX_PIXELS`."""
    if not (isinstance(size, (tuple, list)) and len(size) == 2):
        raise InvalidInputError(f"size must be (width, height), got {size!r}")
    size = (positive_int(size[0], "size width"), positive_int(size[1], "size height"))
    if size[0] * size[1] > MAX_PIXELS:
        raise InvalidInputError(f"size {size[0]}x{size[1]} is more than the limit of {MAX_PIXELS / 1e6:.0f} MP")
    return size


def _export_exif(im: Image.Image, size: tuple[int, int]) -> bytes:
    """``im``'s EXIF for exported pixels of ``size``: orientation 1, pixel size updated, no layout tags."""
    try:
        exif = im.getexif()
        if not exif:
            return b""
        for tag in _NOT_CARRIED_TAGS.intersection(exif):
            del exif[tag]
        exif[ORIENTATION] = 1
        sub = exif.get_ifd(0x8769)  # the Exif IFD: PixelXDimension, PixelYDimension
        for tag, value in ((0xA002, size[0]), (0xA003, size[1])):
            if tag in sub:
                sub[tag] = value
        return exif.tobytes()
    except PIL_ERRORS + (KeyError, TypeError) as exc:
        log.warning("%s: EXIF could not be re-encoded, not written (%s)", Path(im.filename or "?").name, exc)
        return b""
