"""Image outputs: a planned crop (:class:`~models.export.planner.ExportPlan`) rendered by
:func:`models.imaging.render_crop` and written through its :class:`OutputFolder`.

:func:`export_crop` is the one-file form (``crop --out FILE``, the GUI's export): the file's
folder is the output folder, the source is protected as an input, and nothing is replaced
without ``overwrite``. It keeps the size it is given (no upscale rule): callers that take a
size from a user plan it first with :func:`~models.export.planner.plan_export`.
"""

from __future__ import annotations

import logging
import numbers
import os
from dataclasses import replace
from pathlib import Path

from models.errors import ExportError, InvalidInputError
from models.export.folder import OutputFolder
from models.export.planner import ExportPlan, crop_size_of, plan_export
from models.geometry import Box
from models.imaging import MAX_PIXELS, format_for, render_crop

__all__ = ["export_crop", "plan_file", "write_file", "write_plan"]

log = logging.getLogger(__name__)


def write_plan(plan: ExportPlan, src: str | os.PathLike, box: Box, *, quality: int = 92,
               max_pixels: int | None = MAX_PIXELS, hidden: bool = False) -> Path:  # fmt: skip
    """Carry out ``plan``: render ``box`` of ``src`` at ``plan.output_size`` and write it atomically.

    Raises the plan's refusal (ExportError, UpscaleError) if it was refused; ImageReadError,
    InvalidInputError as :func:`render_crop`; ExportError when writing fails.
    """
    plan.raise_if_refused()
    fmt = format_for(plan.name)
    size = plan.output_size
    rendered = render_crop(src, box, fmt, size=size, quality=quality, max_pixels=max_pixels, name=plan.path.name)
    folder = plan.folder.with_inputs([src])
    path = folder.write(plan.name, rendered.save, overwrite=plan.overwrite, hidden=hidden)
    log.debug("exported %s box %s -> %s %s %dx%d", Path(src).name, rendered.box, path, fmt, *rendered.image.size)
    return path


def plan_file(
    dst: str | os.PathLike, src: str | os.PathLike, crop_size: tuple[int, int], size: tuple[int, int] | None = None,
    *, overwrite: bool = False, allow_upscale: bool = True,
) -> ExportPlan:  # fmt: skip
    """Plan the one file ``dst`` (``crop --out FILE``): its folder must exist (links in the path
    to it are followed), the name itself is never followed, ``src`` is protected as an input.

    Raises InvalidInputError for an unsupported suffix or a size out of bounds; ExportError for
    a missing folder. The plan may be refused (exists, upscale): see ExportPlan.raise_if_refused.
    """
    dst = Path(dst)
    format_for(dst)
    if not dst.parent.is_dir():
        raise ExportError(f"cannot write '{dst}': folder '{dst.parent}' does not exist"
                          + (" (it is a file)" if dst.parent.exists() else ""))  # fmt: skip
    if not dst.name or dst.name in (".", ".."):
        raise ExportError(f"cannot write '{dst}': not a file name")
    folder = OutputFolder.open(dst.parent, create=False, inputs=[src])
    plan = plan_export(folder, dst.name, crop_size, size, overwrite=overwrite, allow_upscale=allow_upscale,
                       hidden=True)  # fmt: skip
    return replace(plan, path=dst)


def write_file(plan: ExportPlan, src: str | os.PathLike, box: Box, *, quality: int = 92,
               max_pixels: int | None = MAX_PIXELS) -> Path:  # fmt: skip
    """Carry out a :func:`plan_file` plan; the folder is left without a work folder."""
    try:
        write_plan(plan, src, box, quality=quality, max_pixels=max_pixels, hidden=True)
    finally:
        plan.folder.remove_work_dir_if_empty()
    return plan.path


def export_crop(
    src: str | os.PathLike, box: Box, dst: str | os.PathLike, *, size: tuple[int, int] | None = None,
    quality: int = 92, overwrite: bool = False, max_pixels: int | None = MAX_PIXELS, allow_upscale: bool = True,
) -> Path:  # fmt: skip
    """Crop ``box`` (full-resolution upright frame) out of ``src`` and write it to ``dst`` atomically.

    The format follows ``dst``'s suffix (see :func:`models.imaging.render_crop` for pixels and
    metadata). ``dst``'s folder must exist; it may be reached through links, but ``dst`` itself
    is never written through a link, and is never ``src``. Without ``overwrite`` an existing
    ``dst`` is never replaced (an atomic hard link where the file system has them). With
    ``allow_upscale=False`` a ``size`` larger than the crop is refused (UpscaleError).

    Raises
    ------
    InvalidInputError
        Unsupported suffix, bad ``size`` or ``quality``, or a box outside the image.
    ImageReadError
        ``src`` cannot be read.
    ExportError
        ``dst`` exists (without ``overwrite``), is ``src``, its folder is missing, or writing failed.
    """
    if not isinstance(box, Box):
        raise InvalidInputError(f"box must be a Box, got {box!r}")
    if size is not None and not (isinstance(size, (tuple, list)) and len(size) == 2
                                 and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in size)):
        raise InvalidInputError(f"size must be (width, height) in whole pixels, got {size!r}")  # fmt: skip
    plan = plan_file(dst, src, crop_size_of(box), None if size is None else (int(size[0]), int(size[1])),
                     overwrite=overwrite, allow_upscale=allow_upscale)  # fmt: skip
    plan.raise_if_refused()
    return write_file(plan, src, box, quality=quality, max_pixels=max_pixels)
