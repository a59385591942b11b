"""Exports: the one place that owns an output folder (issue 15; the export planner of issue 16).

* :mod:`~models.export.folder` - :class:`OutputFolder`: safe relative names, no link followed
  inside ``--out``, atomic writes through a hidden work folder, inputs never replaced;
* :mod:`~models.export.lock` - one writer per output folder (``filelock``);
* :mod:`~models.export.naming` - output name templates (``{stem}_{target}_{w}x{h}``);
* :mod:`~models.export.planner` - :func:`plan_export` -> :class:`ExportPlan` (real size, upscale
  factor, create / replace / refuse) and the upscale rule;
* :mod:`~models.export.sizing` - whole-pixel crops of exact output sizes, grown before upscaled;
* :mod:`~models.export.image` - writing a planned image, and the one-file :func:`export_crop`;
* :mod:`~models.export.atomic` - atomic text files and JSON-lines journals outside output folders.
"""

from models.export.folder import WORK_DIR, OutputFolder, require_regular_file, safe_relative
from models.export.image import export_crop, plan_file, write_file, write_plan
from models.export.lock import FolderBusyError, writer_lock
from models.export.naming import DEFAULT_TEMPLATE, FORMATS, OutputNameError, OutputNaming, render_template
from models.export.planner import (
    MAX_OUTPUT_PIXELS,
    MAX_OUTPUT_SIDE,
    ExportPlan,
    UpscaleError,
    asked_size,
    parse_output_size,
    plan_export,
    upscale_factor,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "FORMATS",
    "MAX_OUTPUT_PIXELS",
    "MAX_OUTPUT_SIDE",
    "WORK_DIR",
    "ExportPlan",
    "FolderBusyError",
    "OutputFolder",
    "OutputNameError",
    "OutputNaming",
    "UpscaleError",
    "asked_size",
    "export_crop",
    "parse_output_size",
    "plan_export",
    "plan_file",
    "render_template",
    "require_regular_file",
    "safe_relative",
    "upscale_factor",
    "write_file",
    "write_plan",
    "writer_lock",
]
