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

from models.cropsets.batch import BatchOptions, BatchProgress, BatchReport, ProgressCallback
from models.cropsets.manifest import OutputRecord, read_previous, write_manifests
from models.cropsets.planning import SourcePlan, mark_collisions, plan_source
from models.cropsets.project import Project, save_project
from models.cropsets.regions import RelativeBox
from models.cropsets.sources import collect_sources
from models.cropsets.worker import CropMethod, ExportSettings, ImageJob, cached_method, init_worker, process_image, run_job
from models.cropsets.xmp import find_sidecar, read_xmp_crop, sidecar_path, write_xmp_crop
from models.errors import CropStudioError, InvalidInputError
from models.export import OutputFolder, writer_lock
from models.geometry import Box

__all__ = ["run_batch"]

log = logging.getLogger(__name__)


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
        method = cached_method(options.method)  # fails early with the list of methods
    elif method is None:
        cached_method(options.method)
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
    plans = [plan_source(src, options, previous, projects, folder) for src in images]
    mark_collisions(plans, options)
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
    plans: list[SourcePlan], options: BatchOptions, folder: OutputFolder | None, method: CropMethod | None,
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
    settings = ExportSettings.of(options, folder)
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


def _finish(plans: list[SourcePlan], run: _Run, options: BatchOptions, folder: OutputFolder | None) -> BatchReport:
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
def _write_sidecar(plan: SourcePlan, records: Sequence[OutputRecord]) -> None:
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


def _save_hashes(plans: list[SourcePlan]) -> None:
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
