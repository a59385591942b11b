"""Opening an image file safely and reading its header: the file checks (a regular, non-empty
file), the pixel limits (ours from the header, Pillow's bomb check kept off while we decode),
the formats by suffix, and :class:`ImageInfo` with the upright size and EXIF orientation.
Any Pillow or OS error while a file is open becomes an :class:`~models.errors.ImageReadError`.
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
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from models.errors import CropStudioError, ImageReadError, InvalidInputError

__all__ = ["MAX_PIXELS", "ORIENTATION", "PIL_ERRORS", "SUPPORTED_SUFFIXES", "UPRIGHT", "ImageInfo", "format_for",
           "open_image", "positive_int", "read_info"]  # fmt: skip

log = logging.getLogger(__name__)

MAX_PIXELS = 300_000_000
"""Images with more pixels are refused (from the header, before decoding)."""

_FORMAT_BY_SUFFIX = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG", ".tif": "TIFF", ".tiff": "TIFF",
                     ".webp": "WEBP", ".bmp": "BMP"}  # fmt: skip
SUPPORTED_SUFFIXES: frozenset[str] = frozenset(_FORMAT_BY_SUFFIX)
_OPEN_FORMATS = ("JPEG", "PNG", "TIFF", "WEBP", "BMP")  # "JPEG" also opens MPO (multi-picture) files
ORIENTATION = 0x0112
# Pillow's transposes that make the stored image upright, by EXIF orientation (as ImageOps.exif_transpose).
UPRIGHT = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
            5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
            8: Image.Transpose.ROTATE_90}  # fmt: skip
PIL_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error, Image.DecompressionBombError)
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


def read_info(path: str | os.PathLike) -> ImageInfo:
    """The header of an image file, without decoding its pixels (nor applying any pixel limit).

    Raises
    ------
    ImageReadError
        Missing, empty, a folder, unreadable, or not an image of a supported format.
    """
    with open_image(Path(path), max_pixels=None) as (_, info):
        return info


def format_for(name: str | os.PathLike) -> str:
    """The Pillow format a file name's suffix asks for (InvalidInputError for any other suffix)."""
    fmt = _FORMAT_BY_SUFFIX.get(Path(name).suffix.lower())
    if fmt is None:
        suffixes = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise InvalidInputError(f"cannot export to '{Path(name).name}': unsupported suffix; use one of {suffixes}")
    return fmt


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
def open_image(path: Path, *, max_pixels: int | None) -> Iterator[tuple[Image.Image, ImageInfo]]:
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
    except PIL_ERRORS as exc:
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
            orientation = im.getexif().get(ORIENTATION, 1)
        except PIL_ERRORS as exc:
            log.warning("%s: unreadable EXIF ignored (%s)", path.name, exc)
        if orientation not in UPRIGHT and orientation != 1:
            log.warning("%s: invalid EXIF orientation %r ignored", path.name, orientation)
            orientation = 1
    w, h = im.size
    return ImageInfo(path=path, width=h if orientation >= 5 else w, height=w if orientation >= 5 else h,
                     format=im.format or "", mode=im.mode, orientation=int(orientation),
                     icc_profile=im.info.get("icc_profile") or None)  # fmt: skip


def positive_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise InvalidInputError(f"{what} must be a positive integer, got {value!r}")
    return int(value)
