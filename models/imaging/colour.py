"""Pixel formats: any decoded Pillow image -> 8-bit RGB (RGBA) in sRGB, with the ICC profile
that describes the result; and the check of an engine RGB array."""

from __future__ import annotations

import logging
from io import BytesIO

import numpy as np
from PIL import Image, ImageCms

from models.errors import InvalidInputError

__all__ = ["check_rgb", "to_rgb"]

log = logging.getLogger(__name__)


def check_rgb(rgb: np.ndarray) -> np.ndarray:
    """``rgb`` itself if it is a non-empty ``(H, W, 3)`` uint8 array, else InvalidInputError."""
    if not (isinstance(rgb, np.ndarray) and rgb.dtype == np.uint8 and rgb.ndim == 3 and rgb.shape[2] == 3 and rgb.size):
        raise InvalidInputError(f"expected an (H, W, 3) uint8 RGB image, got {getattr(rgb, 'dtype', type(rgb))} {getattr(rgb, 'shape', '')}")
    return rgb


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


def to_rgb(
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
