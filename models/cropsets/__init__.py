"""Crop sets: one analysis per image, every target size, exported in one pass (no Qt).

* :mod:`~models.cropsets.targets` - targets (``square 1:1 1080x1080``) and named TOML sets;
* :mod:`~models.cropsets.regions` - keep / avoid regions and focal points in fractions of an image;
* :mod:`~models.cropsets.project` - the per-folder project file (regions, manual crops, hashes);
* :mod:`~models.cropsets.xmp` - crops in XMP sidecars (Lightroom / darktable ``crs:`` fields);
* output names, exact sizes and every write: :mod:`models.export` (the one owner of output folders);
* :mod:`~models.cropsets.manifest` - per-output records, the resume journal, JSON / CSV manifests;
* :mod:`~models.cropsets.worker` - one image: load and analyse once, crop and export per target;
* :mod:`~models.cropsets.batch` - a batch's options, progress and report;
* :mod:`~models.cropsets.planning` - each image before the run: hashes, manual crops, what is done;
* :mod:`~models.cropsets.runner` - the batch: resuming, a process pool, progress, manifests.
"""

from models.cropsets.manifest import OutputRecord
from models.export.naming import DEFAULT_TEMPLATE, FORMATS, OutputNaming
from models.cropsets.project import ImageEntry, Project, load_project, save_project
from models.cropsets.regions import RelativeBox, RelativePoint, parse_relative_box
from models.cropsets.batch import BatchOptions, BatchProgress, BatchReport
from models.cropsets.runner import run_batch
from models.export.sizing import FittedCrop, UpscaleError, fit_to_target
from models.cropsets.targets import (
    Target,
    TargetSet,
    bundled_target_sets,
    load_target_set,
    parse_target,
    resolve_targets,
)
from models.cropsets.xmp import XmpCrop, read_xmp_crop, write_xmp_crop

__all__ = [
    "DEFAULT_TEMPLATE",
    "FORMATS",
    "BatchOptions",
    "BatchProgress",
    "BatchReport",
    "FittedCrop",
    "ImageEntry",
    "OutputNaming",
    "OutputRecord",
    "Project",
    "RelativeBox",
    "RelativePoint",
    "Target",
    "TargetSet",
    "UpscaleError",
    "XmpCrop",
    "bundled_target_sets",
    "fit_to_target",
    "load_project",
    "load_target_set",
    "parse_relative_box",
    "parse_target",
    "read_xmp_crop",
    "resolve_targets",
    "run_batch",
    "save_project",
    "write_xmp_crop",
]
