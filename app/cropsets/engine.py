"""The crop-set view's engine calls, as plain functions for workers (no Qt).

The view shows and exports what ``cropstudio batch`` would, because it calls the batch's own
functions:

* :func:`analyse_for_set` is the batch's once-per-image analysis (the image decoded at
  ``ANALYSIS_MAX_SIDE``, then the method's ``analyse``);
* :func:`compute_crop_set` plans every target in memory from that one analysis and the
  canvas's regions and manual crops, with the function the batch calls before writing each
  image (:func:`models.cropsets.worker.plan_image`), so each target costs only its search and
  nothing goes through the project file;
* :func:`export_crop_set` is :func:`models.cropsets.run_batch` with progress and a cooperative stop.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from app.cropsets.project import ImageSettings
from app.editor.state import AspectChoice, size_choice
from app.common.thumbnails import cut_thumbnail
from models.cropsets import BatchOptions, BatchProgress, BatchReport, OutputNaming, OutputRecord, Target, run_batch
from models.constraints.cropper import AttentionCropper
from models.cropsets.planning import plan_entry
from models.cropsets.project import ImageEntry
from models.cropsets.regions import RelativePoint
from models.cropsets.worker import ExportSettings, cached_method, plan_image
from models.geometry import Box
from models.imaging import ANALYSIS_MAX_SIDE, LoadedImage, load_image

__all__ = ["THUMB_SIZE", "CropSetRequest", "CropSetResult", "ExportChoices", "SetAnalysis", "TargetCrop",
           "analyse_for_set", "compute_crop_set", "export_crop_set", "gui_message", "reuses_analysis",
           "target_choice"]  # fmt: skip

log = logging.getLogger(__name__)

THUMB_SIZE = (128, 96)  # the largest thumbnail of a crop, (width, height) in pixels
_CLI_HINT = re.compile(r"\s*\(--allow-upscale, or allow_upscale=True, allows it\)")


@dataclass(frozen=True, slots=True, eq=False)
class SetAnalysis:
    """One image's analysis for ``method``, and the copy of the image it was computed on."""

    source: Path
    image: LoadedImage
    analysis: object
    method: str


@dataclass(frozen=True, slots=True)
class ExportChoices:
    """The panel's export settings, as ``cropstudio batch`` takes them (``--name``, ``--format``,
    ``--quality``, ``--allow-upscale``); ``folder`` ``None`` means ``crops`` next to the current image."""

    folder: Path | None = None
    naming: OutputNaming = field(default_factory=OutputNaming)
    quality: int = 90
    allow_upscale: bool = False

    def out_dir(self, image: Path) -> Path:
        return self.folder or image.parent / "crops"


@dataclass(frozen=True, slots=True)
class CropSetRequest:
    """One image's set as the view asks for it. ``settings`` are the canvas's keep and avoid
    regions and manual crops, planned in memory (the project file holds the same, written by
    :class:`app.cropsets.project_files.ProjectFiles`); ``focal_point`` the file's, as read."""

    source: Path
    targets: tuple[Target, ...]
    out_dir: Path
    naming: OutputNaming = OutputNaming()
    method: str = "attention"
    allow_upscale: bool = False
    settings: ImageSettings = ImageSettings()
    thumb_scale: float = 1.0  # device pixels per logical pixel of the thumbnails (2 at 200 %)
    focal_point: RelativePoint | None = None

    def options(self, **changes: object) -> BatchOptions:
        """The batch's options for this request (``changes``: e.g. ``dry_run=True``)."""
        settings = {"out_dir": self.out_dir, "targets": self.targets, "method": self.method, "naming": self.naming,
                    "allow_upscale": self.allow_upscale, **changes}  # fmt: skip
        return BatchOptions(**settings)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True, eq=False)
class TargetCrop:
    """One target of the set: the batch's record (box, output size, or the reason it fails)
    and a thumbnail of the crop (``(h, w, 3)`` uint8, ``None`` when it fails)."""

    target: Target
    record: OutputRecord
    thumbnail: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        return self.record.status != "error"

    @property
    def box(self) -> Box | None:
        """The crop in full-resolution pixels of the upright image (whole pixels)."""
        return None if self.record.box is None else Box(*self.record.box)

    def message(self) -> str:
        """``ok``, a note (grown, upscaled), or why the target cannot be met."""
        if not self.ok:
            return gui_message(self.record.error or "cannot be met")
        return gui_message(self.record.note) if self.record.note else "ok"


@dataclass(frozen=True, slots=True, eq=False)
class CropSetResult:
    request: CropSetRequest
    crops: tuple[TargetCrop, ...]

    def crop(self, name: str) -> TargetCrop | None:
        return next((c for c in self.crops if c.target.name == name), None)


def gui_message(text: str) -> str:
    """An engine message without the command line's hint (the view has its own checkbox)."""
    return _CLI_HINT.sub("", text)


def reuses_analysis(image: LoadedImage, method: str, cropper: object) -> bool:
    """Whether the window's analysis of ``image`` by ``cropper`` is the batch's: the same pixels
    (not reduced, and small enough that the batch does not reduce them either) and the same method.

    The batch's ``attention`` method is ``AttentionMethod(AttentionCropper())``
    (:mod:`models.constraints.methods`), whose analysis is the default cropper's; asking the
    registry instead would import every method plugin on the GUI thread.
    """
    full = (image.info.width, image.info.height)
    same_pixels = image.rgb.shape[1::-1] == full and max(full) <= ANALYSIS_MAX_SIDE
    return same_pixels and method == "attention" and cropper == AttentionCropper()


def analyse_for_set(source: Path, method: str) -> SetAnalysis:
    """The batch's analysis of ``source`` (about a second on a photo): run it in a worker, once."""
    image = load_image(source, max_side=ANALYSIS_MAX_SIDE)
    return SetAnalysis(source, image, cached_method(method).analyse(image), method)


def _thumbnail(image: LoadedImage, box: Box | None, scale: float = 1.0) -> np.ndarray | None:
    """``box`` (full-resolution pixels) cut from ``image``'s copy, fitted into THUMB_SIZE times
    ``scale`` (the display's device pixel ratio)."""
    return None if box is None else cut_thumbnail(image.rgb, image.from_full(box), THUMB_SIZE, scale)


def compute_crop_set(request: CropSetRequest, analysed: SetAnalysis) -> CropSetResult:
    """Every target's crop of ``request.source``, planned in memory as the batch plans it: the
    request's regions and manual crops (the canvas's, not read back from the project file),
    :func:`models.cropsets.planning.plan_entry` (names, collisions, a sidecar's crop) and
    :func:`models.cropsets.worker.plan_image` on the image's one analysis. A target that cannot
    be met is a record with the reason; nothing is read but an XMP sidecar, nothing written.
    """
    info = analysed.image.info
    size = (info.width, info.height)
    s = request.settings
    entry = ImageEntry(s.keep, s.avoid, request.focal_point, dict(s.overrides))
    options = request.options(dry_run=True, overwrite=True)
    plan = plan_entry(request.source, size, entry, options)
    records = list(plan.failed)
    if plan.job is not None:
        method = cached_method(analysed.method)
        records += plan_image(analysed.analysis, plan.job, size, ExportSettings.of(options), method)
    by_name = {r.target: r for r in records}
    crops = []
    for target in request.targets:
        record = by_name[target.name]
        box = Box(*record.box) if record.box is not None and record.status != "error" else None
        crops.append(TargetCrop(target, record, _thumbnail(analysed.image, box, request.thumb_scale)))
    return CropSetResult(request, tuple(crops))


def export_crop_set(
    sources: Sequence[Path],
    options: BatchOptions,
    stop: Callable[[], bool] | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> BatchReport:
    """Run the batch (in a worker); stops between images when ``stop`` or ``is_cancelled`` says so."""

    def on_progress(p: BatchProgress) -> None:
        if progress is not None:
            progress(p.done, p.total)

    def should_stop() -> bool:
        return bool((stop is not None and stop()) or (is_cancelled is not None and is_cancelled()))

    return run_batch(list(sources), options, on_progress=on_progress, should_stop=should_stop)


def target_choice(target: Target) -> AspectChoice:
    """The aspect choice that locks the canvas to ``target``'s crop ratio (and export size)."""
    if target.size is not None:
        return size_choice(*target.size)
    return AspectChoice("ratio", target.ratio, label=str(target.ratio))
