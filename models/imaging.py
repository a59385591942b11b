"""Reading and writing images: the one place that turns a file into pixels and a crop into a file.

:func:`read_info` reads a header; :func:`load_image` decodes to an upright 8-bit sRGB array,
reduced to ``max_side``; :func:`render_crop` crops at full resolution for a file that
:mod:`models.export` (the one owner of output folders) writes atomically.
Boxes follow :mod:`models.geometry` (pixel edges of the full-resolution upright image).
A user's mistake or a bad file is an ImageReadError or InvalidInputError.
"""

from __future__ import annotations

import contextlib
import logging
import numbers
import os
import stat
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError

from models.errors import CropStudioError, ImageReadError, InvalidInputError
from models.geometry import Box

__all__ = ["ANALYSIS_MAX_SIDE", "MAX_PIXELS", "SUPPORTED_SUFFIXES", "ImageInfo", "LoadedImage", "RenderedCrop",
           "check_rgb", "format_for", "load_image", "read_info", "render_crop"]  # fmt: skip

log = logging.getLogger(__name__)

ANALYSIS_MAX_SIDE = 1024
"""Long side of the copy the engine analyses (crops are still cut from the full file)."""

MAX_PIXELS = 300_000_000
"""Images with more pixels are refused (from the header, before decoding)."""

_FORMAT_BY_SUFFIX = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF",
                     ".webp": "WEBP", ".bmp": "BMP"}  # fmt: skip
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_FORMAT_BY_SUFFIX)
_OPEN_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP", "BMP")  # "JPEG" also opens MPO (multi-picture) files
_ORIENTATION = 0x0112
# Pillow's transposes that make the stored image upright, by EXIF orientation (as ImageOps.exif_transpose).
_UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
            5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
            8: Image.Transpose.ROTATE_90}  # fmt: skip
# EXIF/TIFF tags not copied to an export: they describe the source's pixel layout (a TIFF's
# "EXIF" is its IFD0) or are metadata blocks that may restate the orientation (XMP, Photoshop).
_NOT_CARRIED_TAGS = frozenset({254, 255, 256, 257, 258, 259, 262, 266, 273, 277, 278, 279, 280, 281, 284, 317,
                               320, 322, 323, 324, 325, 330, 338, 339, 340, 341, 347, 513, 514, 529, 530, 531,
                               532, 700, 33723, 34377, 34675, 37724})  # fmt: skip
_PIL_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, Image.DecompressionBombError)
_PILLOW_LIMIT_LOCK = threading.RLock()


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What a file's header says; ``width`` x ``height`` is the upright full-resolution size."""

    path: Path
    width: int
    height: int
    format: str  # PIL format: "JPEG", "PNG", "TIFF", "WEBP", "BMP" ("MPO" for multi-picture JPEGs)
    mode: str  # the file's PIL mode: "RGB", "CMYK", "I;16", "LA", "P", ...
    orientation: int  # EXIF orientation found in the file, 1..8 (1 = none)
    icc_profile: bytes | None


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


def check_rgb(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` itself if it is a non-empty ``(H, W, 3)`` uint8 array, else InvalidInputError."""
    if not (isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.size):
        raise InvalidInputError(f"expected an (H, W, 3) uint8 RGB image, got {getattr(rgb, 'dtype', type(rgb))} {getattr(rgb, 'shape', '')}")
    return rgb


def read_info(path: str | os.PathLike) -> ImageInfo:
    """The header of an image file, without decoding its pixels (nor applying any pixel limit).

    Raises
    ------
    ImageReadError
        Missing, empty, a folder, unreadable, or not an image of a supported format.
    """
    with _open(Path(path), max_pixels=None) as (_, info):
        return info


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
    max_side = None if max_side is None else _positive_int(max_side, "max_side")
    with _open(Path(path), max_pixels=max_pixels) as (im, info):
        target = _fit((info.width, info.height), max_side)
        stored = target[::-1] if info.orientation >= 5 else target  # the target in the file's frame
        if target != (info.width, info.height) and im.format in ("JPEG", "MPO"):
            full = im.size
            im.draft(im.mode, stored)  # DCT scaling by 1/2, 1/4 or 1/8, never below `stored`
            log.debug("%s: JPEG decoded at 1/%d, %dx%d -> %dx%d", info.path.name,
                      round(full[0] / im.size[0]), *full, *im.size)  # fmt: skip
        im.load()
        out, _ = _to_rgb(im, info.icc_profile, flatten=True, keep_rgb_profile=False)
        if out.size != stored:
            out = out.resize(stored, Image.Resampling.LANCZOS, reducing_gap=3.0)
        out = out.transpose(_UPRIGHT[info.orientation]) if info.orientation != 1 else out
        rgb = np.array(out, dtype=np.uint8, order="C")
    log.debug("loaded %s: %s %s %dx%d -> rgb %dx%d", info.path.name, info.format, info.mode,
              info.width, info.height, rgb.shape[1], rgb.shape[0])  # fmt: skip
    return LoadedImage(info=info, rgb=rgb)


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


def format_for(name: str | os.PathLike) -> str:
    """The Pillow format a file name's suffix asks for (InvalidInputError for any other suffix)."""
    fmt = _FORMAT_BY_SUFFIX.get(Path(name).suffix.lower())
    if fmt is None:
        suffixes = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise InvalidInputError(f"cannot export to '{Path(name).name}': unsupported suffix; use one of {suffixes}")
    return fmt


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
    if size is not None:
        if not (isinstance(size, (tuple, list)) and len(size) == 2):
            raise InvalidInputError(f"size must be (width, height), got {size!r}")
        size = (_positive_int(size[0], "size width"), _positive_int(size[1], "size height"))
        if size[0] * size[1] > MAX_PIXELS:
            raise InvalidInputError(f"size {size[0]}x{size[1]} is more than the limit of {MAX_PIXELS / 1e6:.0f} MP")
    if _positive_int(quality, "quality") > 100:
        raise InvalidInputError(f"quality must be from 1 to 100, got {quality!r}")
    with _open(Path(src), max_pixels=max_pixels) as (im, info):
        x0, y0, x1, y1 = (int(v) for v in box.rounded().as_tuple())
        if not (0 <= x0 < x1 <= info.width and 0 <= y0 < y1 <= info.height):
            raise InvalidInputError(
                f"crop box {box.as_tuple()} (rounded {(x0, y0, x1, y1)}) is empty or outside "
                f"the {info.width} x {info.height} image '{info.path.name}'"
            )
        exif = _export_exif(im, size or (x1 - x0, y1 - y0)) if fmt != "BMP" else b""
        im.load()
        upright = im.transpose(_UPRIGHT[info.orientation]) if info.orientation != 1 else im
        out, icc = _to_rgb(upright.crop((x0, y0, x1, y1)), info.icc_profile,
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


# -- reading ------------------------------------------------------------------------------
@contextlib.contextmanager
def _pillow_limit_off() -> Iterator[None]:
    """Pillow's process-wide decompression-bomb check off for a moment.

    Pillow warns from ``Image.MAX_IMAGE_PIXELS`` (89 MP) and refuses from twice that, below
    :data:`MAX_PIXELS`; this module checks ``max_pixels`` from the header itself. The lock keeps
    concurrent calls from restoring each other's value.
    """
    with _PILLOW_LIMIT_LOCK:
        saved, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            yield
        finally:
            Image.MAX_IMAGE_PIXELS = saved


def _over_pillow_limit(pixels: int) -> bool:
    """Whether Pillow would warn about (or refuse) an image of ``pixels``."""
    with _PILLOW_LIMIT_LOCK:  # not while another call has the limit off
        limit = Image.MAX_IMAGE_PIXELS
    return limit is not None and pixels > limit


@contextlib.contextmanager
def _open(path: Path, *, max_pixels: int | None) -> Iterator[tuple[Image.Image, ImageInfo]]:
    """Open ``path`` (header only) and yield it with its :class:`ImageInfo`; any Pillow or OS
    error raised in the block (decoding happens there) becomes an :class:`ImageReadError`."""
    what = f"cannot read '{path}'"
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ImageReadError(f"{what}: no such file") from None
    except OSError as exc:
        raise ImageReadError(f"{what}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImageReadError(f"{what}: it is a folder, not an image file")
    if not stat.S_ISREG(st.st_mode):  # a FIFO would block open() forever; a device never ends
        kind = "a FIFO (named pipe)" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) \
            else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file"
        raise ImageReadError(f"{what}: it is {kind}, not an image file")
    if st.st_size == 0:
        raise ImageReadError(f"{what}: the file is empty")
    try:
        with _pillow_limit_off():
            im = Image.open(path, formats=_OPEN_FORMATS)
        with im:
            info = _info(path, im)
            pixels = info.width * info.height
            if max_pixels is not None and pixels > max_pixels:
                raise ImageReadError(
                    f"{what}: the image is {pixels / 1e6:.1f} MP ({info.width} x {info.height}), "
                    f"more than the limit of {max_pixels / 1e6:.1f} MP"
                )
            if max_pixels is not None:  # decoding follows (read_info reads the header only)
                _check_png_data(im, st.st_size, what)
            with _pillow_limit_off() if _over_pillow_limit(pixels) else contextlib.nullcontext():
                yield im, info
    except CropStudioError:
        raise
    except FileNotFoundError:
        raise ImageReadError(f"{what}: no such file") from None
    except PermissionError:
        raise ImageReadError(f"{what}: permission denied") from None
    except UnidentifiedImageError:
        raise ImageReadError(f"{what}: not an image file (or an unsupported format)") from None
    except _PIL_ERRORS as exc:
        raise ImageReadError(f"{what}: the image is damaged or truncated ({exc})") from exc


_DEFLATE_RATIO = 1032  # deflate's largest compression ratio: a PNG cannot hold more raw bytes than this times its size


def _check_png_data(im: Image.Image, file_size: int, what: str) -> None:
    """Refuse a PNG whose header claims more pixels than its bytes can hold even at one bit a
    pixel (a forged or truncated file: Pillow would decode it to a black image)."""
    if im.format != "PNG":
        return
    w, h = im.size
    least = h * (1 + (w + 7) // 8)  # filter byte + one bit a pixel, per row
    if file_size * _DEFLATE_RATIO + 4096 < least:
        raise ImageReadError(f"{what}: the PNG header says {w} x {h} pixels, but the file ({file_size} bytes) "
                             "cannot hold them: it is truncated or damaged")  # fmt: skip


def _info(path: Path, im: Image.Image) -> ImageInfo:
    orientation = 1
    # A PNG whose eXIf chunk is not in the header would be fully decoded by getexif().
    if im.format != "PNG" or "exif" in im.info:
        try:
            orientation = im.getexif().get(_ORIENTATION, 1)
        except _PIL_ERRORS as exc:
            log.warning("%s: unreadable EXIF ignored (%s)", path.name, exc)
        if orientation not in _UPRIGHT and orientation != 1:
            log.warning("%s: invalid EXIF orientation %r ignored", path.name, orientation)
            orientation = 1
    w, h = im.size
    return ImageInfo(path=path, width=h if orientation >= 5 else w, height=w if orientation >= 5 else h,
                     format=im.format or "", mode=im.mode, orientation=int(orientation),
                     icc_profile=im.info.get("icc_profile") or None)  # fmt: skip


def _positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidInputError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


def _fit(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """``size`` scaled down so that its long side is ``max_side`` (unchanged if already smaller)."""
    w, h = size
    if max_side is None or max(w, h) <= max_side:
        return w, h
    if w >= h:
        return max_side, max(1, round(h * max_side / w))
    return max(1, round(w * max_side / h)), max_side


# -- pixel formats ------------------------------------------------------------------------
def _to_8bit(im: Image.Image) -> Image.Image:
    """A 16/32-bit integer or float greyscale image -> "L", scaled by bit depth or range."""
    a = np.asarray(im)
    if a.dtype.kind in "ui" and (im.mode.startswith("I;16") or (a.min() >= 0 and a.max() <= 65535)):
        out = (a.astype(np.uint32) + 128) // 257  # 16 bits: 65535 -> 255, 32768 -> 128
        log.debug("%s -> 8-bit by 16-bit depth", im.mode)
    else:
        f = np.nan_to_num(a.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
        lo, hi = float(f.min()), float(f.max())
        if a.dtype.kind == "f" and lo >= 0.0 and hi <= 1.0:
            lo, hi = 0.0, 1.0
        out = np.rint((f - lo) * (255.0 / (hi - lo))) if hi > lo else np.zeros_like(f)
        log.debug("%s -> 8-bit, [%g, %g] -> [0, 255]", im.mode, lo, hi)
    return Image.fromarray(out.astype(np.uint8))


_SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_SRGB_ICC = _SRGB_PROFILE.tobytes()


def _to_rgb(
    im: Image.Image, icc: bytes | None, *, flatten: bool, keep_rgb_profile: bool
) -> tuple[Image.Image, bytes | None]:
    """``im`` as 8-bit "RGB" ("RGBA" if it has alpha and not ``flatten``) and the ICC profile
    that describes the result: ``icc`` kept as is for RGB pixels when ``keep_rgb_profile``,
    sRGB when converted with the profile, ``None`` otherwise."""
    mode = im.mode
    if mode.startswith("I") or mode == "F":
        im = _to_8bit(im)
    elif mode == "1":
        im = im.convert("L")
    elif mode in ("P", "PA"):
        im = im.convert("RGBA" if mode == "PA" or im.has_transparency_data else "RGB")
    elif mode in ("L", "RGB") and "transparency" in im.info:
        im = im.convert("LA" if mode == "L" else "RGBA")
    elif mode in ("La", "RGBa"):
        im = im.convert(mode[:-1] + "A")
    alpha = None
    if im.mode in ("LA", "RGBA"):
        alpha = im.getchannel("A")
        im = im.convert(im.mode[:-1])
        if flatten:  # composite on white, in the image's own colour space
            im, alpha = Image.composite(im, Image.new(im.mode, im.size, "white"), alpha), None
    if mode != im.mode:
        log.debug("%s -> %s%s", mode, im.mode, "" if alpha is None else " + alpha")
    out_icc = None
    if icc and im.mode == "RGB" and keep_rgb_profile:
        out_icc = icc
    elif icc and im.mode in ("L", "RGB", "CMYK"):
        try:
            profile = ImageCms.ImageCmsProfile(BytesIO(icc))
            if im.mode == "RGB" and "srgb" in ImageCms.getProfileDescription(profile).lower():
                log.debug("embedded sRGB profile: pixels kept")
            else:
                im = ImageCms.profileToProfile(im, profile, _SRGB_PROFILE, outputMode="RGB")
                out_icc = _SRGB_ICC
                log.debug("%s converted to sRGB with the embedded ICC profile", mode)
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError) as exc:
            log.warning("embedded ICC profile not usable (%s); colours converted without it", exc)
    if im.mode != "RGB":
        im = im.convert("RGB")
    if alpha is not None:
        im.putalpha(alpha)
    return im, out_icc


# -- writing ------------------------------------------------------------------------------
def _export_exif(im: Image.Image, size: tuple[int, int]) -> bytes:
    """``im``'s EXIF for exported pixels of ``size``: orientation 1, pixel size updated, no layout tags."""
    try:
        exif = im.getexif()
        if not exif:
            return b""
        for tag in _NOT_CARRIED_TAGS.intersection(exif):
            del exif[tag]
        exif[_ORIENTATION] = 1
        sub = exif.get_ifd(0x8769)  # the Exif IFD: PixelXDimension, PixelYDimension
        for tag, value in ((0xA002, size[0]), (0xA003, size[1])):
            if tag in sub:
                sub[tag] = value
        return exif.tobytes()
    except _PIL_ERRORS + (KeyError, TypeError) as exc:
        log.warning("%s: EXIF could not be re-encoded, not written (%s)", Path(im.filename or "?").name, exc)
        return b""
