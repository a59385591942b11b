"""A batch: every source image cropped to every target, resumable, in parallel over images.

:func:`run_batch` plans each image (content hash of its bytes and settings, manual crops
from the project file or an XMP sidecar), skips the outputs an earlier run already wrote
with the same hash, runs :func:`~models.cropsets.worker.process_image` on the rest (in this
process, or a pool of ``workers`` processes), and writes ``manifest.json`` / ``manifest.csv``.

Resuming: a run that is killed leaves only complete files (atomic export) and a journal of
what it wrote; the next run skips those and does the rest. Nothing is ever overwritten
without ``overwrite=True``: an output whose inputs changed since it was written is
reported (``error_kind == "exists"``) until then.

The output folder belongs to :mod:`models.export`: the sources and settings are checked
before anything is written; the run holds the folder's writer lock (a second run is refused,
or waits ``options.wait`` seconds); names never leave the folder, no link inside it is
followed, no source is replaced; the only files ever deleted are the temporaries a killed
run listed in the folder's work journal.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from pathlib import Path

from models.cropsets.manifest import DETERMINISTIC_ERRORS, OutputRecord, read_previous, write_manifests
from models.export.naming import OutputNaming
from models.cropsets.project import (
    PROJECT_FILENAME,
    ImageEntry,
    Project,
    content_hash,
    file_digest,
    load_project,
    save_project,
)
from models.cropsets.regions import RelativeBox
from models.cropsets.sources import collect_sources
from models.cropsets.targets import RATIO_TOLERANCE, Target
from models.export import OutputFolder, safe_relative, writer_lock
from models.cropsets.worker import ExportSettings, ImageJob, TargetJob, init_worker, process_image, run_job
from models.cropsets.xmp import XmpCrop, find_sidecar, read_xmp_crop, sidecar_path, write_xmp_crop
from models.errors import CropStudioError, InvalidInputError
from models.eval.protocol import CropMethod
from models.eval.registry import make_method
from models.geometry import Box
from models.imaging import read_info

__all__ = ["BatchOptions", "BatchProgress", "BatchReport", "run_batch"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BatchOptions:
    """A batch's settings. ``keep`` / ``avoid`` hold for every image (fractions of it), on top
    of each image's own regions in the project file. ``project``: one project file for every
    image; ``None`` uses ``.cropstudio.json`` in each image's folder when there is one."""

    out_dir: Path
    targets: tuple[Target, ...]
    method: str = "attention"
    keep: tuple[RelativeBox, ...] = ()
    avoid: tuple[RelativeBox, ...] = ()
    naming: OutputNaming = field(default_factory=OutputNaming)
    quality: int = 90
    workers: int = 1
    overwrite: bool = False
    allow_upscale: bool = False
    dry_run: bool = False
    xmp: bool = False
    project: Path | None = None
    wait: float = 0.0  # seconds to wait for another run writing to out_dir (0: refuse at once)

    def __post_init__(self) -> None:
        object.__setattr__(self, "out_dir", Path(self.out_dir))
        object.__setattr__(self, "targets", tuple(self.targets))
        if self.project is not None:
            object.__setattr__(self, "project", Path(self.project))
        if not self.targets:
            raise InvalidInputError("a batch needs at least one target")
        names = [t.name for t in self.targets]
        if len(set(names)) != len(names):
            raise InvalidInputError(f"target names must be unique, got {', '.join(names)}")
        if isinstance(self.quality, bool) or not isinstance(self.quality, int) or not 1 <= self.quality <= 100:
            raise InvalidInputError(f"quality must be from 1 to 100, got {self.quality!r}")
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or not 1 <= self.workers <= 256:
            raise InvalidInputError(f"workers must be an integer from 1 to 256, got {self.workers!r}")
        if isinstance(self.wait, bool) or not isinstance(self.wait, (int, float)) or not 0 <= self.wait <= 86_400:
            raise InvalidInputError(f"wait must be from 0 to 86400 seconds, got {self.wait!r}")

    def settings(self) -> dict:
        """What every output's hash includes besides the image and its own regions."""
        return {"method": self.method, "format": self.naming.format, "quality": self.quality,
                "allow_upscale": self.allow_upscale}  # fmt: skip


@dataclass(frozen=True, slots=True)
class BatchProgress:
    """Reported after each image: ``done`` of ``total`` images; ``skipped`` when an earlier run did it all."""

    done: int
    total: int
    source: Path
    records: tuple[OutputRecord, ...]
    skipped: bool = False


@dataclass(frozen=True, slots=True)
class BatchReport:
    """Every (image, target) record in source then target order, and what this run did."""

    records: tuple[OutputRecord, ...]
    written: int
    skipped: int
    failed: int
    analysed: int
    manifest: Path | None = None
    manifest_csv: Path | None = None
    cancelled: bool = False


@dataclass(slots=True)
class _Plan:
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


ProgressCallback = Callable[[BatchProgress], None]


def run_batch(
    sources: Sequence[str | os.PathLike],
    options: BatchOptions,
    *,
    on_progress: ProgressCallback | None = None,
    should_stop: Callable[[], bool] | None = None,
    method: CropMethod | None = None,
) -> BatchReport:
    """Crop every image of ``sources`` (files or folders) to every target of ``options``.

    Parameters
    ----------
    on_progress : callable, optional
        Called in this process after each image with a :class:`BatchProgress`.
    should_stop : callable, optional
        Polled between images; when it returns true, no new image is started (a cooperative
        cancel: what is written stays written and recorded, the next run resumes).
    method : CropMethod, optional
        An instance to use instead of ``options.method`` by name (one worker only).

    Raises
    ------
    InvalidInputError
        A source does not exist, a project file is malformed, or ``method`` with workers > 1.
    ExportError
        The output folder cannot be created or the manifest cannot be written; FolderBusyError
        when another run holds the folder's writer lock (after ``options.wait`` seconds).
    """
    if method is not None and options.workers > 1:
        raise InvalidInputError("a method instance runs in this process only; use workers=1 or a method name")
    images = collect_sources(sources, exclude=options.out_dir)  # everything is checked before anything is written
    if method is None and options.workers == 1:
        method = make_method(options.method)  # fails early with the list of methods
    elif method is None:
        make_method(options.method)
    if options.dry_run:
        folder = OutputFolder.open(options.out_dir, create=False) if Path(options.out_dir).is_dir() else None
        return _batch(images, options, folder, {}, method, on_progress, should_stop)
    folder = OutputFolder.open(options.out_dir, inputs=images)
    with writer_lock(folder, timeout=options.wait):
        folder.clean_temporaries()  # only files a killed run of ours listed in the work folder's journal
        previous = read_previous(folder)
        try:
            return _batch(images, options, folder, previous, method, on_progress, should_stop)
        finally:
            folder.clean_temporaries()  # a failed write's temporary (none after a clean run): the journal goes too


def _batch(
    images: tuple[Path, ...], options: BatchOptions, folder: OutputFolder | None,
    previous: dict[tuple[str, str], OutputRecord], method: CropMethod | None,
    on_progress: ProgressCallback | None, should_stop: Callable[[], bool] | None,
) -> BatchReport:  # fmt: skip
    projects: dict[Path, Project | None] = {}
    plans = [_plan(src, options, previous, projects, folder) for src in images]
    _mark_collisions(plans, options)
    run = _run(plans, options, folder, method, on_progress, should_stop)
    for p in plans:
        if p.job is not None and p.source not in run.processed:  # stopped before it: earlier records stand
            run.results[p.source].extend(p.stale)
    return _finish(plans, run, options, folder)


@dataclass(slots=True)
class _Run:
    results: dict[Path, list[OutputRecord]]
    processed: set[Path] = field(default_factory=set)
    analysed: int = 0
    cancelled: bool = False


def _run(
    plans: list[_Plan], options: BatchOptions, folder: OutputFolder | None, method: CropMethod | None,
    on_progress: ProgressCallback | None, should_stop: Callable[[], bool] | None,
) -> _Run:  # fmt: skip
    """Report the images with nothing to do, then run the jobs, reporting each image."""
    run = _Run({p.source: p.skipped + p.failed for p in plans})
    total, done = len(plans), 0
    for p in plans:
        if p.job is None:
            done += 1
            _notify(on_progress, BatchProgress(done, total, p.source, tuple(run.results[p.source]), skipped=True))
    jobs = [p.job for p in plans if p.job is not None]
    log.info("%d images, %d to crop, %d targets each, method %s", total, len(jobs), len(options.targets),
             options.method)  # fmt: skip
    settings = ExportSettings(folder or options.out_dir, options.method, options.naming, options.quality, options.overwrite,
                              options.allow_upscale, options.dry_run)  # fmt: skip
    for result in _execute(jobs, settings, options.workers, method, should_stop):
        if result is None:
            run.cancelled = True
            break
        run.results[result.source].extend(result.records)
        run.processed.add(result.source)
        run.analysed += result.analysed
        done += 1
        _notify(on_progress, BatchProgress(done, total, result.source, result.records))
    return run


def _finish(plans: list[_Plan], run: _Run, options: BatchOptions, folder: OutputFolder | None) -> BatchReport:
    """Order the records, write sidecars, manifests and project hashes (unless a dry run)."""
    order = {t.name: i for i, t in enumerate(options.targets)}
    per_source = {p.source: sorted(run.results[p.source], key=lambda r: order[r.target]) for p in plans}
    records = tuple(r for p in plans for r in per_source[p.source])
    carried = {id(r) for p in plans for r in p.skipped}
    manifest = manifest_csv = None
    if not options.dry_run:
        if options.xmp:
            for p in plans:
                _write_sidecar(p, per_source[p.source])
        manifest, manifest_csv = write_manifests(folder, records)
        _save_hashes([p for p in plans if p.job is None or p.source in run.processed])
    report = BatchReport(
        records=records,
        written=sum(r.status == "ok" and id(r) not in carried for r in records),
        skipped=len(carried),
        failed=sum(r.status == "error" for r in records),
        analysed=run.analysed,
        manifest=manifest,
        manifest_csv=manifest_csv,
        cancelled=run.cancelled,
    )
    log.info("batch: %d written, %d skipped, %d failed", report.written, report.skipped, report.failed)
    return report


def _notify(callback: ProgressCallback | None, progress: BatchProgress) -> None:
    if callback is not None:
        callback(progress)


# -- planning -----------------------------------------------------------------------------
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


def _plan(
    source: Path, options: BatchOptions, previous: dict[tuple[str, str], OutputRecord],
    projects: dict[Path, Project | None], folder: OutputFolder | None,
) -> _Plan:  # fmt: skip
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
        return _Plan(source, None, project, None, failed=failed)
    xmp = _sidecar_crop(source)
    common = {**options.settings(), "keep": [b.as_tuple() for b in keep], "avoid": [b.as_tuple() for b in avoid],
              "focal_point": entry.focal_point.as_tuple() if entry.focal_point else None}  # fmt: skip
    targets = [t.spec() for t in options.targets]
    image_hash = content_hash(digest, {**common, "image": entry.settings(), "targets": targets})
    plan = _Plan(source, size, project, image_hash)
    todo: list[TargetJob] = []
    for target in options.targets:
        override, manual = _override(target, entry, xmp, size)
        h = content_hash(digest, {**common, "target": target.spec(), "override": override and override.as_tuple()})
        job = _plan_target(plan, target, h, options, previous.get((str(source), target.name)), folder)
        if job is not None:
            todo.append(replace(job, override=override, manual=manual))
    plan.job = ImageJob(source, tuple(todo), keep, avoid, entry.focal_point) if todo else None
    return plan


def _plan_target(
    plan: _Plan, target: Target, h: str, options: BatchOptions, prev: OutputRecord | None, folder: OutputFolder | None
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


def _mark_collisions(plans: list[_Plan], options: BatchOptions) -> None:
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


# -- running ------------------------------------------------------------------------------
def _execute(jobs: list[ImageJob], settings: ExportSettings, workers: int, method: CropMethod | None,
             should_stop: Callable[[], bool] | None):  # fmt: skip
    """Yield each job's result as it completes; ``None`` once when stopped early."""
    stop = should_stop or (lambda: False)
    if workers == 1 or len(jobs) <= 1:
        for job in jobs:
            if stop():
                yield None
                return
            yield process_image(job, settings, method)
        return
    context = multiprocessing.get_context("spawn")  # no fork: OpenCV / numba threads do not survive it
    level = logging.getLogger().getEffectiveLevel()
    with ProcessPoolExecutor(min(workers, len(jobs)), mp_context=context, initializer=init_worker,
                             initargs=(level,)) as pool:  # fmt: skip
        pending = {pool.submit(run_job, job, settings) for job in jobs}
        try:
            while pending:
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
                if pending and stop():
                    yield None
                    return
        finally:
            for future in pending:
                future.cancel()


# -- after the run ------------------------------------------------------------------------
def _write_sidecar(plan: _Plan, records: Sequence[OutputRecord]) -> None:
    """The first (in target order) written target's crop into the image's XMP sidecar, unless the sidecar holds
    a crop set in another tool (a manual crop is never replaced) or already this one."""
    first = next((r for r in records if r.status == "ok" and r.box is not None), None)
    if plan.size is None or first is None:
        return
    box = RelativeBox.from_pixels(Box(*first.box), *plan.size)  # type: ignore[misc]
    path = find_sidecar(plan.source) or sidecar_path(plan.source)
    try:
        current = read_xmp_crop(path) if path.is_file() else None
        if current is not None and not current.by_cropstudio:
            log.info("%s: the sidecar has a crop set in another tool; left as it is", path.name)
            return
        if current is not None and all(abs(a - b) <= 1e-5 for a, b in zip(current.box.as_tuple(), box.as_tuple())):
            return
        write_xmp_crop(path, box, target=first.target)
    except CropStudioError as exc:
        log.warning("%s: sidecar not written: %s", plan.source.name, exc)


def _save_hashes(plans: list[_Plan]) -> None:
    """Record the content hash of each image done in its project file (when the batch uses one)."""
    updated: dict[Path, Project] = {}
    for p in plans:
        if p.project is None or p.image_hash is None:
            continue
        project = updated.get(p.project.path, p.project)
        entry = project.entry(p.source)
        if entry.content_hash != p.image_hash:
            updated[project.path] = project.with_entry(p.source, replace(entry, content_hash=p.image_hash))
    for project in updated.values():
        try:
            save_project(project)
        except CropStudioError as exc:
            log.warning("project file not updated: %s", exc)
