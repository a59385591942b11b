"""One image of a batch: load it once, analyse it once, then crop and export every target.

:func:`process_image` is what a batch runs per image, in the main process or in a pool
worker. Per target it takes the manual crop if there is one, else asks the method for the
best crop of the target's exact ratio that keeps the keep regions in and the avoid regions
out, snaps it to the output size (:mod:`models.export.sizing`) and exports it. A target
that cannot be met gets an ``error`` record with the reason; the others are still exported.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, runtime_checkable

from models.constraints.candidates import GridSpec, ensure_room
from models.constraints.problem import CropProblem, check_feasible
from models.cropsets.manifest import ErrorKind, OutputRecord, append_journal
from models.export.naming import OutputNameError, OutputNaming
from models.cropsets.regions import RelativeBox, RelativePoint
from models.export.sizing import FittedCrop, UpscaleError, check_room, fit_to_target
from models.cropsets.targets import Target
from models.errors import CropStudioError, ExportError, ImageReadError, InfeasibleError
from models.eval.protocol import CropMethod, CropRequest
from models.eval.registry import make_method
from models.geometry import Box, fit_ratio_inside
from models.export import OutputFolder, plan_export, write_plan
from models.export.planner import crop_size_of
from models.imaging import ANALYSIS_MAX_SIDE, load_image

__all__ = ["ExportSettings", "ImageJob", "ImageResult", "ScoredCropMethod", "TargetJob", "cached_method",
           "process_image"]  # fmt: skip

log = logging.getLogger(__name__)

_FEASIBILITY_GRID = GridSpec(sizes=2, steps=2)  # any grid decides feasibility exactly (constraints.candidates)


class OutputExistsError(ExportError):
    """An output file is already there and overwriting was not asked for."""


@runtime_checkable
class ScoredCropMethod(Protocol):
    """A method that can also give its crop's score (recorded in the manifest when present)."""

    def crop_scored(self, analysis: object, request: CropRequest) -> tuple[Box, float]: ...


@dataclass(frozen=True, slots=True)
class TargetJob:
    """One target of an image to compute: ``hash`` identifies the output's inputs; ``output``
    its path relative to the output folder when known before cropping; ``override`` a manual
    crop (from ``manual``: ``"project"`` or ``"xmp"``)."""

    target: Target
    hash: str
    output: str | None = None
    override: RelativeBox | None = None
    manual: str | None = None


@dataclass(frozen=True, slots=True)
class ImageJob:
    """An image and what to do with it; regions and the focal point in fractions of the image."""

    source: Path
    targets: tuple[TargetJob, ...]
    keep: tuple[RelativeBox, ...] = ()
    avoid: tuple[RelativeBox, ...] = ()
    focal_point: RelativePoint | None = None


@dataclass(frozen=True, slots=True)
class ExportSettings:
    """What is the same for every image of a batch."""

    out_dir: Path | OutputFolder  # the batch passes the OutputFolder it resolved and locked
    method: str = "attention"
    naming: OutputNaming = OutputNaming()
    quality: int = 90
    overwrite: bool = False
    allow_upscale: bool = False
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class ImageResult:
    """The records of one image, in target order; ``analysed``: whether the method's analysis ran."""

    source: Path
    records: tuple[OutputRecord, ...]
    analysed: bool = False


_METHODS: dict[str, CropMethod] = {}


def cached_method(name: str) -> CropMethod:
    """One instance of method ``name`` per process (a pool worker builds it once)."""
    if name not in _METHODS:
        _METHODS[name] = make_method(name)
    return _METHODS[name]


def _broken(box: Box, keep: tuple[Box, ...], avoid: tuple[Box, ...], tol: float = 1e-6) -> list[str]:
    """The regions ``box`` does not honour (keep not inside, avoid met), for messages."""
    out = [f"keep {tuple(round(v, 1) for v in k.as_tuple())}" for k in keep if not box.contains(k, tol=tol)]
    for a in avoid:
        inter = box.intersection(a)
        if inter is not None and inter.area > tol:
            out.append(f"avoid {tuple(round(v, 1) for v in a.as_tuple())}")
    return out


def _auto_crop(method: CropMethod, analysis: object, target: Target, problem: CropProblem) -> tuple[Box, float | None]:
    """The method's crop for ``problem`` (InfeasibleError naming the conflict when there is none)."""
    check_feasible(problem)
    ensure_room(problem, grid=_FEASIBILITY_GRID)
    request = CropRequest(problem.image_size, target.crop_ratio, keep=problem.keep, avoid=problem.avoid)
    if isinstance(method, ScoredCropMethod):
        box, score = method.crop_scored(analysis, request)
    else:
        box, score = method.crop(analysis, request), None
    broken = _broken(box, problem.keep, problem.avoid, tol=0.5)
    if broken:
        raise InfeasibleError(f"method {method.name!r} does not honour {', '.join(broken)}")
    return box, (None if score is None else float(score))


def _fit(
    method: CropMethod, analysis: object, job: TargetJob, problem: CropProblem, settings: ExportSettings, label: str
) -> tuple[FittedCrop, float | None]:
    target = job.target
    if job.override is not None:  # a human's crop: used as drawn, at the target's exact ratio
        box = fit_ratio_inside(job.override.to_pixels(*problem.image_size), target.crop_ratio)
        broken = _broken(box, problem.keep, problem.avoid, tol=0.5)
        if broken:
            log.warning("%s: the manual crop does not honour %s; used as drawn", label, ", ".join(broken))
        free = CropProblem(problem.image_size, problem.aspect)
        return fit_to_target(box, target, free, allow_upscale=settings.allow_upscale, grow=False), None
    box, score = _auto_crop(method, analysis, target, problem)
    fitted = fit_to_target(box, target, problem, allow_upscale=settings.allow_upscale)
    broken = _broken(fitted.box, problem.keep, problem.avoid)
    if broken:  # only when a region leaves less than a pixel of play
        raise InfeasibleError(f"no whole-pixel {target.ratio} crop honours {', '.join(broken)}")
    return fitted, score


def _error_kind(exc: CropStudioError) -> ErrorKind:
    if isinstance(exc, UpscaleError):
        return "upscale"
    if isinstance(exc, InfeasibleError):
        return "infeasible"
    if isinstance(exc, ImageReadError):
        return "read"
    if isinstance(exc, OutputExistsError):
        return "exists"
    if isinstance(exc, ExportError):  # export_crop's own no-clobber check, if a file appeared meanwhile
        return "exists" if str(exc).endswith("replaces it)") else "export"
    return "name" if isinstance(exc, OutputNameError) else "export"


def _export(record: OutputRecord, box: Box, target: Target, source: Path, settings: ExportSettings) -> OutputRecord:
    """Plan the output (models.export: its name, real size, the upscale rule, the overwrite
    policy) and write it through the output folder (no link followed, inputs never replaced)."""
    folder = settings.out_dir if isinstance(settings.out_dir, OutputFolder) else None
    if folder is None:
        if settings.dry_run and not Path(settings.out_dir).is_dir():
            return replace(record, status="planned")
        folder = OutputFolder.open(settings.out_dir, create=not settings.dry_run, inputs=[source])
    plan = plan_export(folder, record.output, crop_size_of(box), target.size,  # type: ignore[arg-type]
                       overwrite=settings.overwrite, allow_upscale=True)  # fmt: skip  # sizing applied the rule
    if settings.dry_run:
        exists = plan.decision in ("exists", "replace") and not settings.overwrite
        note = "; ".join(n for n in (record.note, "exists" if exists else None) if n)
        return replace(record, status="planned", note=note or None)
    if plan.decision == "exists":
        raise OutputExistsError(f"cannot write '{plan.path}': it exists (--overwrite, or overwrite=True, replaces it)")
    if plan.decision == "create":  # after a kill, a file that exists with this record is complete (atomic
        # export). Not when replacing a file: the old one would pass for the new; the rerun redoes it.
        append_journal(folder, [replace(record, status="writing")])
    write_plan(plan, source, box, quality=settings.quality)
    return record


@dataclass(frozen=True, slots=True, eq=False)
class _Prepared:
    """An image ready for its targets: size, regions in pixels, early refusals, the analysis."""

    size: tuple[int, int]
    keep: tuple[Box, ...]
    avoid: tuple[Box, ...]
    refused: dict[str, UpscaleError]
    analysis: object
    analysed: bool


def _prepare(job: ImageJob, settings: ExportSettings, method: CropMethod) -> _Prepared:
    """Load once, refuse targets the image is too small for, analyse once (if any target needs it)."""
    image = load_image(job.source, max_side=ANALYSIS_MAX_SIDE)
    size = (image.info.width, image.info.height)
    keep = tuple(b.to_pixels(*size) for b in job.keep)
    keep += (job.focal_point.keep_box(*size),) if job.focal_point is not None else ()
    refused: dict[str, UpscaleError] = {}
    for t in job.targets:
        try:
            check_room(t.target, size, allow_upscale=settings.allow_upscale)
        except UpscaleError as exc:
            refused[t.target.name] = exc
    needed = any(t.override is None and t.target.name not in refused for t in job.targets)
    analysis = method.analyse(image) if needed else None
    return _Prepared(size, keep, tuple(b.to_pixels(*size) for b in job.avoid), refused, analysis, needed)


def _crop_target(
    tj: TargetJob, image: _Prepared, job: ImageJob, settings: ExportSettings, method: CropMethod
) -> OutputRecord:
    record = OutputRecord(source=str(job.source), target=tj.target.name, status="ok", method=settings.method,
                          hash=tj.hash, output=tj.output, image_size=image.size, manual=tj.manual)  # fmt: skip
    label = f"{job.source.name} {tj.target.name}"
    try:
        if tj.target.name in image.refused:
            raise image.refused[tj.target.name]
        problem = CropProblem(image.size, tj.target.crop_aspect, image.keep, image.avoid)
        fitted, score = _fit(method, image.analysis, tj, problem, settings, label)
        if fitted.upscale is not None:
            log.warning("%s: %s", label, fitted.note)
        output = tj.output or settings.naming.name(job.source, tj.target, fitted.output_size)
        record = replace(record, output=output, box=tuple(int(v) for v in fitted.box.as_tuple()),
                         output_size=fitted.output_size, score=score, note=fitted.note)  # fmt: skip
        return _export(record, fitted.box, tj.target, job.source, settings)
    except CropStudioError as exc:
        log.info("%s: %s", label, exc)
        return replace(record, status="error", error=str(exc), error_kind=_error_kind(exc))


def process_image(job: ImageJob, settings: ExportSettings, method: CropMethod | None = None) -> ImageResult:
    """Crop ``job.source`` to every target of ``job`` (see the module docstring).

    The image is decoded once (reduced to ANALYSIS_MAX_SIDE) and ``method.analyse`` runs once
    (not at all when every target has a manual crop or is refused); ``method.crop`` runs once
    per target. Unless ``settings.dry_run``, each record is appended to the output folder's
    journal as soon as it is known. Errors caused by the image or a target are returned as
    records, never raised.
    """
    method = cached_method(settings.method) if method is None else method
    try:
        image = _prepare(job, settings, method)
    except CropStudioError as exc:
        log.warning("%s: %s", job.source.name, exc)
        records = [OutputRecord(source=str(job.source), target=t.target.name, status="error", method=settings.method,
                                hash=t.hash, output=t.output, error=str(exc), error_kind="read")
                   for t in job.targets]  # fmt: skip
        _journal(settings, records)
        return ImageResult(job.source, tuple(records))
    records = []
    for tj in job.targets:
        records.append(_crop_target(tj, image, job, settings, method))
        _journal(settings, records[-1:])
    return ImageResult(job.source, tuple(records), image.analysed)


def _journal(settings: ExportSettings, records: list[OutputRecord]) -> None:
    if not settings.dry_run:
        append_journal(settings.out_dir, records)


def run_job(job: ImageJob, settings: ExportSettings) -> ImageResult:
    """Pool entry point: :func:`process_image` with this process's instance of the method."""
    return process_image(job, settings)


def init_worker(level: int) -> None:
    """Pool initializer: log like the parent process (a spawned worker starts unconfigured)."""
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
