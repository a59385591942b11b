"""Planning a batch's images before it runs (resuming): for each source, its content hash
(the bytes and every setting that shapes its outputs), its manual crops (the project file's,
else a sidecar crop of the target's ratio), which outputs an earlier run already wrote with
the same hash (skipped), which fail before any pixel is read (an unreadable file, a bad
name, a name two outputs claim), and the :class:`~models.cropsets.worker.ImageJob` for the
rest."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from models.cropsets.batch import BatchOptions
from models.cropsets.manifest import DETERMINISTIC_ERRORS, OutputRecord
from models.cropsets.project import PROJECT_FILENAME, ImageEntry, Project, content_hash, file_digest, load_project
from models.cropsets.regions import RelativeBox
from models.cropsets.targets import RATIO_TOLERANCE, Target
from models.cropsets.worker import ImageJob, TargetJob
from models.cropsets.xmp import XmpCrop, find_sidecar, read_xmp_crop
from models.errors import CropStudioError, InvalidInputError
from models.export import OutputFolder, safe_relative
from models.imaging import read_info

__all__ = ["SourcePlan", "mark_collisions", "plan_entry", "plan_source"]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SourcePlan:
    """One image before the run: what an earlier run did (``skipped``), what fails already
    (``failed``), the earlier records of the targets to redo (``stale``, kept if the run stops
    before this image) and the ``job`` for the rest."""

    source: Path
    size: tuple[int, int] | None
    project: Project | None
    image_hash: str | None
    skipped: list[OutputRecord] = field(default_factory=list)
    failed: list[OutputRecord] = field(default_factory=list)
    stale: list[OutputRecord] = field(default_factory=list)
    job: ImageJob | None = None


def _project_for(source: Path, options: BatchOptions, projects: dict[Path, Project | None]) -> Project | None:
    path = options.project if options.project is not None else source.parent / PROJECT_FILENAME
    if path not in projects:
        projects[path] = load_project(path) if options.project is not None or path.is_file() else None
    return projects[path]


def _sidecar_crop(source: Path) -> XmpCrop | None:
    """An XMP crop set in another tool (the batch's own is not an override), or None."""
    path = find_sidecar(source)
    if path is None:
        return None
    try:
        crop = read_xmp_crop(path)
    except CropStudioError as exc:
        log.warning("%s: sidecar ignored: %s", source.name, exc)
        return None
    if crop is None or crop.by_cropstudio:
        return None
    if abs(crop.angle) > 1e-6:
        log.warning("%s: the sidecar's crop is rotated by %g degrees; rotated crops are not supported, ignored",
                    source.name, crop.angle)  # fmt: skip
        return None
    return crop


def _override(
    target: Target, entry: ImageEntry, xmp: XmpCrop | None, size: tuple[int, int]
) -> tuple[RelativeBox | None, str | None]:
    """A target's manual crop: the project's for this target, else a sidecar crop of its ratio."""
    if target.name in entry.overrides:
        return entry.overrides[target.name], "project"
    if xmp is not None:
        b = xmp.box.to_pixels(*size)
        if abs(b.aspect - target.crop_ratio) <= RATIO_TOLERANCE * target.crop_ratio:
            return xmp.box, "xmp"
    return None, None


def plan_source(
    source: Path, options: BatchOptions, previous: dict[tuple[str, str], OutputRecord],
    projects: dict[Path, Project | None], folder: OutputFolder | None,
) -> SourcePlan:  # fmt: skip
    project = _project_for(source, options, projects)
    entry = project.entry(source) if project is not None else ImageEntry()
    keep, avoid = options.keep + entry.keep, options.avoid + entry.avoid
    try:
        digest = file_digest(source)
        info = read_info(source)
        size = (info.width, info.height)
    except (OSError, CropStudioError) as exc:
        reason = str(exc) if isinstance(exc, CropStudioError) else f"cannot read '{source}': {exc.strerror or exc}"
        log.warning("%s", reason)
        failed = [OutputRecord(source=str(source), target=t.name, status="error", method=options.method, hash="",
                               error=reason, error_kind="read") for t in options.targets]  # fmt: skip
        return SourcePlan(source, None, project, None, failed=failed)
    xmp = _sidecar_crop(source)
    common = {**options.settings(), "keep": [b.as_tuple() for b in keep], "avoid": [b.as_tuple() for b in avoid],
              "focal_point": entry.focal_point.as_tuple() if entry.focal_point else None}  # fmt: skip
    targets = [t.spec() for t in options.targets]
    image_hash = content_hash(digest, {**common, "image": entry.settings(), "targets": targets})
    plan = SourcePlan(source, size, project, image_hash)

    def target_hash(target: Target, override: RelativeBox | None) -> str:
        return content_hash(digest, {**common, "target": target.spec(), "override": override and override.as_tuple()})

    _plan_jobs(plan, entry, xmp, options, target_hash, previous, folder)
    return plan


def _plan_jobs(
    plan: SourcePlan, entry: ImageEntry, xmp: XmpCrop | None, options: BatchOptions,
    target_hash: Callable[[Target, RelativeBox | None], str], previous: dict[tuple[str, str], OutputRecord],
    folder: OutputFolder | None,
) -> None:  # fmt: skip
    """Each target of ``plan``'s image (of ``plan.size``) sorted into skipped, failed or its job
    (manual crop included)."""
    size = plan.size or (0, 0)  # a plan reaches here only with its image's size
    todo: list[TargetJob] = []
    for target in options.targets:
        override, manual = _override(target, entry, xmp, size)
        prev = previous.get((str(plan.source), target.name))
        job = _plan_target(plan, target, target_hash(target, override), options, prev, folder)
        if job is not None:
            todo.append(replace(job, override=override, manual=manual))
    keep, avoid = options.keep + entry.keep, options.avoid + entry.avoid
    plan.job = ImageJob(plan.source, tuple(todo), keep, avoid, entry.focal_point) if todo else None


def plan_entry(source: Path, size: tuple[int, int], entry: ImageEntry, options: BatchOptions) -> SourcePlan:
    """One image planned from an ``entry`` held in memory (its regions, focal point and manual
    crops, as the project file would hold them) rather than from its folder's project file: the
    crop-set view's plan. Names and their collisions are checked as the batch checks them, an
    XMP sidecar's crop is used as the batch uses it; no hash, no earlier run, no output folder."""
    plan = SourcePlan(Path(source), size, None, None)
    _plan_jobs(plan, entry, _sidecar_crop(plan.source), options, lambda target, override: "", {}, None)
    mark_collisions([plan], options)
    return plan


def _plan_target(
    plan: SourcePlan, target: Target, h: str, options: BatchOptions, prev: OutputRecord | None, folder: OutputFolder | None
) -> TargetJob | None:
    """Sort one target of an image into skipped (done earlier), failed (its name), or a job."""
    output = None
    if target.size is not None or not options.naming.needs_size:  # else the name waits for the crop's size
        try:
            output = options.naming.name(plan.source, target, target.size)
        except InvalidInputError as exc:
            plan.failed.append(OutputRecord(source=str(plan.source), target=target.name, status="error", hash=h,
                                            method=options.method, error=str(exc), error_kind="name"))  # fmt: skip
            return None
    if prev is not None and _is_done(prev, h, output, folder):
        plan.skipped.append(replace(prev, status="ok") if prev.status == "writing" else prev)
        return None
    if prev is not None and prev.status == "ok" and _is_output(folder, prev.output):
        plan.stale.append(prev)
    return TargetJob(target, h, output)


def _is_output(folder: OutputFolder | None, name: str | None) -> bool:
    """Whether ``name`` (from a manifest: not trusted) is a regular file in the folder, reached without links."""
    if folder is None or not name:
        return False
    try:
        return folder.is_file(str(safe_relative(name)))
    except CropStudioError:
        return False


def _is_done(prev: OutputRecord, h: str, output: str | None, folder: OutputFolder | None) -> bool:
    """Whether an earlier record stands: same inputs, and its file is there (or the same error)."""
    if prev.hash != h or (output is not None and prev.output != output):
        return False
    if prev.status in ("ok", "writing"):
        return _is_output(folder, prev.output)
    return prev.status == "error" and prev.error_kind in DETERMINISTIC_ERRORS


def mark_collisions(plans: list[SourcePlan], options: BatchOptions) -> None:
    """Give an output name to one (image, target) only: later claimants get a ``name`` error."""
    owner: dict[str, tuple[Path, str]] = {}
    for p in plans:
        for r in p.skipped:
            if r.status == "ok" and r.output:
                owner.setdefault(r.output, (p.source, r.target))
    for p in plans:
        if p.job is None:
            continue
        keep: list[TargetJob] = []
        for tj in p.job.targets:
            name = tj.output or options.naming.name(p.source, tj.target, None)  # '?' for a size not known yet
            first = owner.setdefault(name, (p.source, tj.target.name))
            if first == (p.source, tj.target.name):
                keep.append(tj)
                continue
            reason = (f"output name '{name}' is also the name of {first[0].name} / {first[1]}; "
                      "make --name tell them apart (add {target}, {parent} or {ratio})")  # fmt: skip
            p.failed.append(OutputRecord(source=str(p.source), target=tj.target.name, status="error", hash=tj.hash,
                                         method=options.method, error=reason, error_kind="name"))  # fmt: skip
        p.job = replace(p.job, targets=tuple(keep)) if keep else None
