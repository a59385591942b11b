"""Reading and writing images: the one place that turns a file into pixels and a crop into a file.

:func:`read_info` reads a header; :func:`load_image` decodes to an upright 8-bit sRGB array,
reduced to ``max_side``; :func:`render_crop` crops at full resolution for a file that
:mod:`models.export` (the one owner of output folders) writes atomically.
Boxes follow :mod:`models.geometry` (pixel edges of the full-resolution upright image).
A user's mistake or a bad file is an ImageReadError or InvalidInputError.

One concept per module; the names below are imported from here by most of the engine and
the app, so the package re-exports them:

* :mod:`.header`: opening a file safely, the limits, the formats, :class:`ImageInfo`.
* :mod:`.colour`: any Pillow pixel format -> 8-bit sRGB; :func:`check_rgb`.
* :mod:`.load`: :func:`load_image` -> :class:`LoadedImage`.
* :mod:`.render`: :func:`render_crop` -> :class:`RenderedCrop`.
"""

from __future__ import annotations

from models.imaging.colour import check_rgb
from models.imaging.header import MAX_PIXELS, SUPPORTED_SUFFIXES, ImageInfo, format_for, read_info
from models.imaging.load import ANALYSIS_MAX_SIDE, LoadedImage, load_image
from models.imaging.render import RenderedCrop, render_crop

__all__ = ["ANALYSIS_MAX_SIDE", "MAX_PIXELS", "SUPPORTED_SUFFIXES", "ImageInfo", "LoadedImage", "RenderedCrop",
           "check_rgb", "format_for", "load_image", "read_info", "render_crop"]  # fmt: skip
