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

from models import cropping
from models.constraints.problem import CropProblem
from models.cropsets.batch import BatchOptions
from models.cropsets.manifest import ErrorKind, OutputRecord, append_journal
from models.export.naming import OutputNameError, OutputNaming
from models.cropsets.regions import RelativeBox, RelativePoint
from models.export.sizing import FittedCrop, UpscaleError, check_room, fit_to_target
from models.cropsets.targets import Target
from models.errors import CropStudioError, ExportError, ImageReadError, InfeasibleError, InvalidInputError
from models.geometry import AspectRatio, Box, fit_ratio_inside
from models.export import OutputFolder, plan_export, write_plan
from models.export.planner import crop_size_of
from models.imaging import ANALYSIS_MAX_SIDE, LoadedImage, load_image

__all__ = ["CropMethod", "CroppingMethod", "ExportSettings", "ImageJob", "ImageResult", "ScoredCropMethod",
           "TargetJob", "TargetRequest", "cached_method", "plan_image", "process_image"]  # fmt: skip

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TargetRequest:
    """One target's request as a batch method sees it: ``image_size`` ``(W, H)``, the crop
    ratio ``aspect`` (w / h), the keep and avoid regions, in full-resolution pixels."""

    image_size: tuple[int, int]
    aspect: float
    keep: tuple[Box, ...] = ()
    avoid: tuple[Box, ...] = ()
    subjects: bool = True
    ratio: AspectRatio | None = None  # ``aspect`` as the target wrote it (16:9), for messages


@runtime_checkable
class CropMethod(Protocol):
    """What a batch crops with: ``analyse`` once per image, ``crop`` once per target."""

    name: str

    def analyse(self, image: LoadedImage) -> object: ...

    def crop(self, analysis: object, request: TargetRequest) -> Box: ...


class OutputExistsError(ExportError):
    """An output file is already there and overwriting was not asked for."""


@runtime_checkable
class ScoredCropMethod(Protocol):
    """A method that can also give its crop's score (recorded in the manifest when present)."""

    def crop_scored(self, analysis: object, request: TargetRequest) -> tuple[Box, float]: ...


@dataclass(frozen=True, slots=True)
class CroppingMethod:
    """Method ``name`` of :mod:`models.cropping` (the one crop contract, subject rule included):
    what a batch crops with unless a caller passes its own method."""

    name: str

    def analyse(self, image: LoadedImage) -> cropping.Analysis:
        return cropping.analyse(image, methods=(self.name,))

    def result(self, analysis: cropping.Analysis, request: TargetRequest) -> cropping.CropResult:
        asked = cropping.Request(request.ratio or AspectRatio(request.aspect, 1.0), request.keep, request.avoid,
                                 subjects=request.subjects, method=self.name)  # fmt: skip
        return cropping.crop(analysis, asked)

    def crop(self, analysis: cropping.Analysis, request: TargetRequest) -> Box:
        return self.result(analysis, request).box


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
    subjects: bool = True  # the subject rule (never cut a head); False: --subjects off

    @classmethod
    def of(cls, options: BatchOptions, folder: OutputFolder | None = None) -> ExportSettings:
        """A batch's settings for every image (``folder``: the output folder it resolved)."""
        return cls(folder or options.out_dir, options.method, options.naming, options.quality, options.overwrite,
                   options.allow_upscale, options.dry_run, subjects=options.subjects)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ImageResult:
    """The records of one image, in target order; ``analysed``: whether the method's analysis ran."""

    source: Path
    records: tuple[OutputRecord, ...]
    analysed: bool = False


_METHODS: dict[str, CropMethod] = {}


def cached_method(name: str) -> CropMethod:
    """One instance of method ``name`` per process (refused at once when there is no such method)."""
    if name not in _METHODS:
        cropping.get_method(name)
        _METHODS[name] = CroppingMethod(name)
    return _METHODS[name]


def _auto_crop(method: CropMethod, analysis: object, target: Target, problem: CropProblem,
               subjects: bool) -> tuple[Box, float | None, str | None]:  # fmt: skip
    """The method's crop for ``problem`` (InfeasibleError naming the conflict when there is none)
    and a note naming the heads it leaves out."""
    request = TargetRequest(problem.image_size, target.crop_ratio, problem.keep, problem.avoid, subjects,
                            target.crop_aspect)  # fmt: skip
    note = None
    if isinstance(method, CroppingMethod) or callable(getattr(method, "result", None)):  # a wrapped one too
        result = method.result(analysis, request)  # type: ignore[attr-defined]
        box, score = result.box, result.score
        note = "; ".join([f"leaves out head #{h.index + 1} ({h.reason})" for h in result.left_out_heads]
                         + list(result.violations)) or None  # fmt: skip
    elif isinstance(method, ScoredCropMethod):
        cropping.check_request(cropping.Request(target.crop_aspect, problem.keep, problem.avoid), problem.image_size)
        box, score = method.crop_scored(analysis, request)
    else:
        cropping.check_request(cropping.Request(target.crop_aspect, problem.keep, problem.avoid), problem.image_size)
        box, score = method.crop(analysis, request), None
    broken = cropping.violations(box, problem.keep, problem.avoid)
    if broken:
        raise InfeasibleError(f"method {method.name!r} does not honour the layout: the crop {', '.join(broken)}")
    return box, (None if score is None else float(score)), note


def _fit(
    method: CropMethod, analysis: object, job: TargetJob, problem: CropProblem, settings: ExportSettings, label: str
) -> tuple[FittedCrop, float | None]:
    target = job.target
    if job.override is not None:  # a human's crop: used as drawn, at the target's exact ratio
        box = fit_ratio_inside(job.override.to_pixels(*problem.image_size), target.crop_ratio)
        broken = cropping.violations(box, problem.keep, problem.avoid)
        if broken:
            log.warning("%s: the manual crop does not honour %s; used as drawn", label, ", ".join(broken))
        free = CropProblem(problem.image_size, problem.aspect)
        return fit_to_target(box, target, free, allow_upscale=settings.allow_upscale, grow=False), None
    box, score, note = _auto_crop(method, analysis, target, problem, settings.subjects)
    fitted = fit_to_target(box, target, problem, allow_upscale=settings.allow_upscale)
    broken = cropping.violations(fitted.box, problem.keep, problem.avoid, tol=1e-6)
    if broken:  # only when a region leaves less than a pixel of play
        raise InfeasibleError(f"no whole-pixel {target.ratio} crop honours the layout: it {', '.join(broken)}")
    if note:
        fitted = replace(fitted, note="; ".join(n for n in (fitted.note, note) if n))
    return fitted, score


def _error_kind(exc: CropStudioError) -> ErrorKind:
    if isinstance(exc, UpscaleError):
        return "upscale"
    if isinstance(exc, (InfeasibleError, InvalidInputError)):  # a target's ratio the image cannot hold
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


def _layout(job: ImageJob, size: tuple[int, int], settings: ExportSettings, analysis: object) -> _Prepared:
    """The job's regions in pixels of an image of ``size``, and the targets it is too small for."""
    keep = tuple(b.to_pixels(*size) for b in job.keep)
    keep += (job.focal_point.keep_box(*size),) if job.focal_point is not None else ()
    refused: dict[str, UpscaleError] = {}
    for t in job.targets:
        try:
            check_room(t.target, size, allow_upscale=settings.allow_upscale)
        except UpscaleError as exc:
            refused[t.target.name] = exc
    return _Prepared(size, keep, tuple(b.to_pixels(*size) for b in job.avoid), refused, analysis, analysis is not None)


def _needs_analysis(image: _Prepared, job: ImageJob) -> bool:
    return any(t.override is None and t.target.name not in image.refused for t in job.targets)


def _prepare(job: ImageJob, settings: ExportSettings, method: CropMethod) -> _Prepared:
    """Load once, refuse targets the image is too small for, analyse once (if any target needs it)."""
    image = load_image(job.source, max_side=ANALYSIS_MAX_SIDE)
    layout = _layout(job, (image.info.width, image.info.height), settings, None)
    if not _needs_analysis(layout, job):
        return layout
    return replace(layout, analysis=method.analyse(image), analysed=True)


def _target_record(
    tj: TargetJob, image: _Prepared, job: ImageJob, settings: ExportSettings, method: CropMethod
) -> OutputRecord:
    """One target's ``planned`` record (box, output name and size, note) or its ``error``; writes nothing."""
    record = OutputRecord(source=str(job.source), target=tj.target.name, status="planned", method=settings.method,
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
        return replace(record, output=output, box=tuple(int(v) for v in fitted.box.as_tuple()),
                       output_size=fitted.output_size, score=score, note=fitted.note)  # fmt: skip
    except CropStudioError as exc:
        log.info("%s: %s", label, exc)
        return replace(record, status="error", error=str(exc), error_kind=_error_kind(exc))


def _write_target(record: OutputRecord, tj: TargetJob, job: ImageJob, settings: ExportSettings) -> OutputRecord:
    """Export a planned record's crop (``planned`` again in a dry run), or the error that stopped it."""
    if record.status == "error" or record.box is None:
        return record
    try:
        return _export(replace(record, status="ok"), Box(*record.box), tj.target, job.source, settings)
    except CropStudioError as exc:
        log.info("%s %s: %s", job.source.name, tj.target.name, exc)
        return replace(record, status="error", error=str(exc), error_kind=_error_kind(exc))


def plan_image(
    analysis: object, job: ImageJob, size: tuple[int, int], settings: ExportSettings, method: CropMethod
) -> tuple[OutputRecord, ...]:
    """Every target of ``job`` planned from the image's one ``analysis`` (by ``method``, of an
    image of ``size`` ``(W, H)`` full-resolution pixels): a ``planned`` record with its box,
    output name and size, or an ``error`` record saying why. Reads and writes no file: the
    batch calls it before writing each image, the desktop app's crop-set view to show a set.
    ``analysis`` may be ``None`` when every target has a manual crop or is refused."""
    image = _layout(job, size, settings, analysis)
    if analysis is None and _needs_analysis(image, job):
        raise InvalidInputError("plan_image needs the image's analysis: a target has no manual crop")
    return tuple(_target_record(tj, image, job, settings, method) for tj in job.targets)


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
        records.append(_write_target(_target_record(tj, image, job, settings, method), tj, job, settings))
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
