"""Exporting crops: what to write where (:func:`plan_exports`) and the writing itself
(:func:`run_exports`, for a worker). No Qt here; the window asks before overwriting.

Every decision is :mod:`models.export`'s: the size asked for (:func:`~models.export.asked_size`:
exact sizes that would stretch the crop refused), the upscale rule and whether a file exists
(:func:`~models.export.plan_export`), the file name (:func:`~models.export.render_template`,
with this dialog's placeholders). Every file goes through :func:`models.export.export_crop`:
cut at full resolution from the original file, ICC profile and EXIF kept (orientation
normalised), written atomically, and never over an existing file unless ``overwrite`` is given.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.editor.state import CropState
from models.errors import CropStudioError, InvalidInputError
from models.export import FORMATS as SUFFIXES
from models.export import ExportPlan, OutputFolder, asked_size, export_crop, plan_export, render_template
from models.export.naming import parse_template
from models.geometry import Box

__all__ = [
    "FIELDS",
    "FORMATS",
    "SIZE_MODES",
    "ExportJob",
    "ExportReport",
    "ExportSettings",
    "check_template",
    "output_size",
    "plan_exports",
    "run_exports",
    "upscale_question",
    "upscales_needed",
]

log = logging.getLogger(__name__)

_FORMAT_KEYS = {"JPEG": "jpeg", "PNG": "png", "WebP": "webp", "TIFF": "tiff"}  # the dialog's label -> format
FORMATS: dict[str, str] = {label: SUFFIXES[key] for label, key in _FORMAT_KEYS.items()}
SizeMode = Literal["crop", "preset", "long_edge", "exact"]
SIZE_MODES: dict[str, str] = {
    "preset": "Target size of the aspect preset (else as cropped)",
    "crop": "As cropped (full resolution)",
    "long_edge": "Long edge",
    "exact": "Exact size",
}
FIELDS = ("stem", "n", "w", "h", "ratio", "format")
"""The placeholders of the dialog's file names (checked and filled by models.export.naming)."""


@dataclass(frozen=True, slots=True)
class ExportSettings:
    """How to export: ``template`` names files (``{stem}``, ``{n}``, ``{w}``, ``{h}``,
    ``{ratio}``, ``{format}``); ``size_mode`` picks the output size (see :data:`SIZE_MODES`)."""

    folder: Path
    format: str = "JPEG"
    quality: int = 92
    size_mode: SizeMode = "preset"
    long_edge: int = 2048
    exact: tuple[int, int] = (1200, 628)
    template: str = "{stem}-crop"
    allow_upscale: bool = False  # the crop sets' rule: a crop smaller than its output size is refused


@dataclass(frozen=True, slots=True)
class ExportJob:
    src: Path
    box: Box
    dst: Path
    size: tuple[int, int] | None  # None: the crop's own pixels
    overwrite: bool = False  # the user said "Replace" for this file
    upscale: float | None = None  # the factor, when the user allowed upscaling this crop
    exists: bool = False  # the planner found a file at dst (the window asks before replacing it)


@dataclass(frozen=True, slots=True)
class ExportReport:
    written: tuple[Path, ...]
    failed: tuple[tuple[Path, str], ...]
    cancelled: bool = False
    skipped: tuple[tuple[Path, str], ...] = ()  # (source, why): not asked for, or the file was kept

    def summary(self) -> str:
        text = f"Exported {len(self.written)} file{'s' if len(self.written) != 1 else ''}"
        if self.skipped:
            text += f"; {len(self.skipped)} skipped ({self.skipped[0][0].name}: {self.skipped[0][1]})"
        if self.failed:
            text += f"; {len(self.failed)} failed ({self.failed[0][0].name}: {self.failed[0][1]})"
        return text + (" (cancelled)" if self.cancelled else "")


def check_template(template: str) -> None:
    """Raise ValueError naming the problem when ``template`` is not a usable file name (the
    placeholders of :data:`FIELDS`; a plain name: no folders, the export dialog picks the folder)."""
    parse_template(template, fields=FIELDS)
    if "/" in template:
        raise InvalidInputError(f"file name template {template!r} must be a plain file name (no '/')")


def output_size(box: Box, state: CropState, settings: ExportSettings) -> tuple[int, int] | None:
    """The pixel size asked for ``box`` at these settings, or None for its own size; ValueError
    if it would stretch. Whether it upscales is the planner's (:func:`plan_exports`)."""
    crop = (round(box.width), round(box.height))
    mode = settings.size_mode
    if mode == "crop" or (mode == "preset" and state.aspect.size is None):
        return None
    if mode == "long_edge":
        return asked_size(crop, long_edge=settings.long_edge)
    size = state.aspect.size if mode == "preset" else settings.exact
    try:
        return asked_size(crop, exact=size)
    except InvalidInputError as exc:
        raise InvalidInputError(f"{exc} (choose the {size[0]}x{size[1]} aspect preset)") from None


def upscale_question(crop: tuple[int, int], size: tuple[int, int], factor: float) -> str:
    """A refused upscale (:func:`models.export.upscale_factor`'s) in the window's words (the CLI's names its flag)."""
    return f"the crop is {crop[0]}x{crop[1]} px; writing it at {size[0]}x{size[1]} would upscale it x{factor:.2f}"


def _refused(plan: ExportPlan) -> str:
    return upscale_question(plan.crop_size, plan.output_size, plan.upscale or 1.0)


def _name(settings: ExportSettings, src: Path, n: int, size: tuple[int, int], state: CropState) -> str:
    ratio = state.aspect.label.replace(":", "x") if state.aspect.kind != "free" else "free"
    values = dict(stem=src.stem, n=n, w=size[0], h=size[1], ratio=ratio, format=settings.format.lower())
    return render_template(settings.template, values, FORMATS[settings.format], fields=FIELDS)


Planned = tuple[Path, Box | None, tuple[int, int] | None, ExportPlan | str]


def _plans(items: Sequence[tuple[Path, CropState]], settings: ExportSettings) -> list[Planned]:
    """``(source, box, size asked, plan or the reason there is none)`` for each image, in order."""
    if settings.format not in FORMATS:
        raise ValueError(f"unknown format {settings.format!r}; use one of {', '.join(FORMATS)}")
    check_template(settings.template)
    if not items:
        return []
    try:
        folder = OutputFolder.open(settings.folder, create=False)  # the dialog checked it; never made here
    except CropStudioError as exc:
        return [(src, None, None, str(exc)) for src, _ in items]
    out: list[Planned] = []
    taken: set[str] = set()
    for n, (src, state) in enumerate(items, 1):
        if state.box is None:
            out.append((src, None, None, "no crop yet"))
            continue
        box = state.box.rounded()
        crop = (int(box.width), int(box.height))
        try:
            size = output_size(box, state, settings)
            name = _name(settings, src, n, size or crop, state)
            stem, suffix, k = name[: -len(Path(name).suffix)], Path(name).suffix, 2
            while name in taken:  # two sources with one stem (a.jpg, a.png): keep both
                name, k = f"{stem}-{k}{suffix}", k + 1
            taken.add(name)
            out.append((src, box, size, plan_export(folder, name, crop, size, allow_upscale=settings.allow_upscale)))
        except ValueError as exc:  # stretching, a size out of bounds, an unusable name
            out.append((src, box, None, str(exc)))
    return out


def plan_exports(
    items: Sequence[tuple[Path, CropState]], settings: ExportSettings
) -> tuple[list[ExportJob], list[tuple[Path, str]]]:
    """The files to write for ``items`` (images with a crop), and the images that cannot be
    (a refused upscale among them: the window asks before planning again).

    Raises ValueError for settings that fit no image (unknown format, bad template).
    """
    jobs: list[ExportJob] = []
    problems: list[tuple[Path, str]] = []
    for src, box, size, plan in _plans(items, settings):
        if isinstance(plan, str):
            problems.append((src, plan))
        elif plan.decision == "upscale-refused":
            problems.append((src, _refused(plan)))
        else:
            assert box is not None  # a plan is only made for a crop
            jobs.append(ExportJob(src, box, plan.path, size, upscale=plan.upscale, exists=plan.decision == "exists"))
    return jobs, problems


def upscales_needed(items: Sequence[tuple[Path, CropState]], settings: ExportSettings) -> list[tuple[Path, str]]:
    """The images whose crop the planner would upscale at these settings (``(source, why)``), when not allowed."""
    return [(src, _refused(plan)) for src, _, _, plan in _plans(items, settings)
            if not isinstance(plan, str) and plan.decision == "upscale-refused"]  # fmt: skip


def run_exports(
    jobs: Sequence[ExportJob],
    *,
    quality: int = 92,
    overwrite: bool = False,
    progress: Callable[[int, int], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> ExportReport:
    """Write every job (in a worker); one failing file does not stop the others."""
    written: list[Path] = []
    failed: list[tuple[Path, str]] = []
    total = len(jobs)
    for i, job in enumerate(jobs):
        if is_cancelled is not None and is_cancelled():
            return ExportReport(tuple(written), tuple(failed), cancelled=True)
        try:
            written.append(export_crop(job.src, job.box, job.dst, size=job.size, quality=quality,
                                       overwrite=overwrite or job.overwrite))  # fmt: skip
        except CropStudioError as exc:
            failed.append((job.src, str(exc)))
        except Exception as exc:  # noqa: BLE001 - a bug on one file must not lose the batch
            log.exception("exporting %s failed", job.src)
            failed.append((job.src, f"unexpected error: {type(exc).__name__}: {exc}"))
        if progress is not None:
            progress(i + 1, total)
    return ExportReport(tuple(written), tuple(failed))
