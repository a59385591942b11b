"""Exporting crops: what to write where (:func:`plan_exports`) and the writing itself
(:func:`run_exports`, for a worker). No Qt here; the window asks before overwriting.

Every file goes through :func:`models.export.export_crop`: cut at full resolution from the
original file, ICC profile and EXIF kept (orientation normalised), written atomically, and
never over an existing file unless ``overwrite`` is given.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from app.state import CropState
from models.errors import CropStudioError
from models.geometry import Box
from models.export import export_crop

__all__ = [
    "FORMATS",
    "SIZE_MODES",
    "ExportJob",
    "ExportReport",
    "ExportSettings",
    "UpscaleRefused",
    "check_template",
    "output_size",
    "plan_exports",
    "render_name",
    "run_exports",
    "upscale_factor",
    "upscales_needed",
]

log = logging.getLogger(__name__)

FORMATS: dict[str, str] = {"JPEG": ".jpg", "PNG": ".png", "WebP": ".webp", "TIFF": ".tif"}
SizeMode = Literal["crop", "preset", "long_edge", "exact"]
SIZE_MODES: dict[str, str] = {
    "preset": "Target size of the aspect preset (else as cropped)",
    "crop": "As cropped (full resolution)",
    "long_edge": "Long edge",
    "exact": "Exact size",
}
_FIELDS = {"stem", "n", "w", "h", "ratio", "format"}
_RATIO_SLACK = 0.01  # an exact size may differ from the crop's ratio by 1 % (rounding)


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


class UpscaleRefused(ValueError):
    """Writing the crop at its output size would upscale it, and upscaling was not allowed."""

    def __init__(self, message: str, factor: float) -> None:
        super().__init__(message)
        self.factor = factor


@dataclass(frozen=True, slots=True)
class ExportJob:
    src: Path
    box: Box
    dst: Path
    size: tuple[int, int] | None  # None: the crop's own pixels
    overwrite: bool = False  # the user said "Replace" for this file
    upscale: float | None = None  # the factor, when the user allowed upscaling this crop


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
    """Raise ValueError naming the problem when ``template`` is not a usable file name."""
    try:
        fields = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as exc:
        raise ValueError(f"bad file name template {template!r}: {exc}") from None
    unknown = fields - _FIELDS
    if unknown:
        raise ValueError(f"unknown field {{{sorted(unknown)[0]}}} in {template!r}; use {', '.join(sorted(_FIELDS))}")
    if not template.strip() or "/" in template or "\\" in template:
        raise ValueError(f"file name template {template!r} must be a plain, non-empty file name")


def output_size(box: Box, state: CropState, settings: ExportSettings) -> tuple[int, int] | None:
    """The pixel size to write ``box`` at, or None for its own size; ValueError if it would stretch."""
    w, h = round(box.width), round(box.height)
    mode = settings.size_mode
    if mode == "crop" or (mode == "preset" and state.aspect.size is None):
        return None
    if mode == "long_edge":
        scale = settings.long_edge / max(w, h)
        return _check_upscale((w, h), (max(1, round(w * scale)), max(1, round(h * scale))), settings)
    size = state.aspect.size if mode == "preset" else settings.exact
    assert size is not None
    if abs((size[0] / size[1]) / (w / h) - 1) > _RATIO_SLACK:
        raise ValueError(
            f"the crop is {w}x{h} px; writing it at {size[0]}x{size[1]} would stretch it "
            f"(choose the {size[0]}x{size[1]} aspect preset)"
        )
    return _check_upscale((w, h), size, settings)


def upscale_factor(crop: tuple[int, int], size: tuple[int, int]) -> float:
    """How much writing a ``crop`` of ``(w, h)`` px at ``size`` enlarges it (1.0: not at all)."""
    return max(size[0] / max(crop[0], 1), size[1] / max(crop[1], 1), 1.0)


def _check_upscale(crop: tuple[int, int], size: tuple[int, int], settings: ExportSettings) -> tuple[int, int]:
    factor = upscale_factor(crop, size)
    if factor > 1.0 + 1e-9 and not settings.allow_upscale:
        raise UpscaleRefused(f"the crop is {crop[0]}x{crop[1]} px; writing it at {size[0]}x{size[1]} would upscale "
                             f"it x{factor:.2f}", factor)  # fmt: skip
    return size


def render_name(settings: ExportSettings, src: Path, n: int, size: tuple[int, int], state: CropState) -> str:
    ratio = state.aspect.label.replace(":", "x") if state.aspect.kind != "free" else "free"
    name = settings.template.format(stem=src.stem, n=n, w=size[0], h=size[1], ratio=ratio, format=settings.format.lower())
    return name + FORMATS[settings.format]


def plan_exports(
    items: Sequence[tuple[Path, CropState]], settings: ExportSettings
) -> tuple[list[ExportJob], list[tuple[Path, str]]]:
    """The files to write for ``items`` (images with a crop), and the images that cannot be.

    Raises ValueError for settings that fit no image (unknown format, bad template).
    """
    if settings.format not in FORMATS:
        raise ValueError(f"unknown format {settings.format!r}; use one of {', '.join(FORMATS)}")
    check_template(settings.template)
    jobs: list[ExportJob] = []
    problems: list[tuple[Path, str]] = []
    taken: set[Path] = set()
    for n, (src, state) in enumerate(items, 1):
        if state.box is None:
            problems.append((src, "no crop yet"))
            continue
        box = state.box.rounded()
        try:
            size = output_size(box, state, settings)
        except ValueError as exc:  # UpscaleRefused too: the window asks before planning again
            problems.append((src, str(exc)))
            continue
        shown = size or (int(box.width), int(box.height))
        dst = settings.folder / render_name(settings, src, n, shown, state)
        k = 2
        while dst in taken:  # two sources with one stem (a.jpg, a.png): keep both
            dst = dst.with_name(f"{dst.stem}-{k}{dst.suffix}")
            k += 1
        taken.add(dst)
        factor = upscale_factor((int(box.width), int(box.height)), size) if size else 1.0
        jobs.append(ExportJob(src, box, dst, size, upscale=factor if factor > 1.0 else None))
    return jobs, problems


def upscales_needed(items: Sequence[tuple[Path, CropState]], settings: ExportSettings) -> list[tuple[Path, str]]:
    """The images whose crop would be upscaled at these settings (``(source, why)``), when not allowed."""
    out = []
    for src, state in items:
        if state.box is None:
            continue
        try:
            output_size(state.box.rounded(), state, settings)
        except UpscaleRefused as exc:
            out.append((src, str(exc)))
        except ValueError:
            pass  # stretching: plan_exports says so
    return out


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
