"""Image outputs: a planned crop (:class:`~models.export.planner.ExportPlan`) rendered by
:func:`models.imaging.render_crop` and written through its :class:`OutputFolder`.

:func:`export_crop` is the one-file form (``crop --out FILE``, the GUI's export): the file's
folder is the output folder, the source is protected as an input, and nothing is replaced
without ``overwrite``. It keeps the size it is given (no upscale rule): callers that take a
size from a user plan it first with :func:`~models.export.planner.plan_export`.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from models.errors import ExportError
from models.export.folder import OutputFolder
from models.export.planner import ExportPlan
from models.geometry import Box
from models.imaging import MAX_PIXELS, format_for, render_crop

__all__ = ["export_crop", "write_plan"]

log = logging.getLogger(__name__)


def write_plan(plan: ExportPlan, src: str | os.PathLike, box: Box, *, quality: int = 92,
               max_pixels: int | None = MAX_PIXELS, hidden: bool = False) -> Path:  # fmt: skip
    """Carry out ``plan``: render ``box`` of ``src`` at ``plan.output_size`` and write it atomically.

    Raises the plan's refusal (ExportError, UpscaleError) if it was refused; ImageReadError,
    InvalidInputError as :func:`render_crop`; ExportError when writing fails.
    """
    plan.raise_if_refused()
    fmt = format_for(plan.name)
    size = plan.output_size if plan.output_size != plan.crop_size else None
    rendered = render_crop(src, box, fmt, size=size, quality=quality, max_pixels=max_pixels, name=plan.path.name)
    folder = plan.folder.with_inputs([src])
    path = folder.write(plan.name, rendered.save, overwrite=plan.overwrite, hidden=hidden)
    log.debug("exported %s box %s -> %s %s %dx%d", Path(src).name, rendered.box, path, fmt, *rendered.image.size)
    return path


def export_crop(
    src: str | os.PathLike, box: Box, dst: str | os.PathLike, *, size: tuple[int, int] | None = None,
    quality: int = 92, overwrite: bool = False, max_pixels: int | None = MAX_PIXELS,
) -> Path:  # fmt: skip
    """Crop ``box`` (full-resolution upright frame) out of ``src`` and write it to ``dst`` atomically.

    The format follows ``dst``'s suffix (see :func:`models.imaging.render_crop` for pixels and
    metadata). ``dst``'s folder must exist; it may be reached through links, but ``dst`` itself
    is never written through a link, and is never ``src``. Without ``overwrite`` an existing
    ``dst`` is never replaced (an atomic hard link where the file system has them).

    Raises
    ------
    InvalidInputError
        Unsupported suffix, bad ``size`` or ``quality``, or a box outside the image.
    ImageReadError
        ``src`` cannot be read.
    ExportError
        ``dst`` exists (without ``overwrite``), is ``src``, its folder is missing, or writing failed.
    """
    dst = Path(dst)
    fmt = format_for(dst)
    if not dst.parent.is_dir():
        raise ExportError(f"cannot write '{dst}': folder '{dst.parent}' does not exist")
    folder = OutputFolder.open(dst.parent, create=False, inputs=[src])
    if not overwrite and folder.exists(dst.name):
        raise ExportError(f"cannot write '{dst}': it exists (--overwrite, or overwrite=True, replaces it)")
    rendered = render_crop(src, box, fmt, size=size, quality=quality, max_pixels=max_pixels, name=dst.name)
    try:
        folder.write(dst.name, rendered.save, overwrite=overwrite, hidden=True)
    finally:
        folder.remove_work_dir_if_empty()
    log.debug("exported %s box %s -> %s %s %dx%d", Path(src).name, rendered.box, dst, fmt, *rendered.image.size)
    return dst
