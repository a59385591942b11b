"""Build a dataset: :func:`build_dataset` makes ``settings.samples`` samples into ``settings.out``.

Sample ``i`` is a function of ``(settings.seed, i)`` (:func:`~.sample.plan_sample`), so a
run is reproducible and resumable: a killed run leaves complete images and a journal line
for each (see :mod:`.manifest`); rerunning the same command makes only the missing
samples. A rerun into the same folder with a different source, backend, backend options,
seed or canvas is refused (``overwrite=True`` empties the folder first); ``samples``,
``rounds``, ``engine``, ``workers`` and ``address`` may change between runs (more samples
extend the set; fewer leave the extra ones in place).
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from models.dataset_builder.engines import ENGINES, make_engine
from models.dataset_builder.expand import ExpansionSettings
from models.dataset_builder.manifest import (
    ANNOTATIONS,
    BuildProgress,
    IMAGES_DIR,
    JOURNAL,
    MANIFEST,
    RoundRecord,
    SampleRecord,
    append_journal,
    read_journal,
    read_manifest,
    write_annotations,
    write_manifest,
)
from models.dataset_builder.outpaint import available_outpainters, build_outpainter
from models.dataset_builder.quality import QualityThresholds
from models.dataset_builder.refine import (
    Proposer,
    RefineSettings,
    Trainer,
    procrop_proposer,
    procrop_trainer,
    run_rounds,
)
from models.dataset_builder.sample import SampleJob, SampleResult, make_sample, options_key, plan_sample
from models.dataset_builder.sources import PhotoSource, collect_photos, sources_digest
from models.errors import InvalidInputError
from models.export import WORK_DIR, OutputFolder, writer_lock

__all__ = ["BuildProgress", "BuildReport", "BuildSettings", "build_dataset"]

log = logging.getLogger(__name__)

ATTEMPTS = 4
"""Seeds tried per sample before it is recorded as rejected by the quality filter."""
ANNOTATIONS_EVERY = 25
"""``annotations.json`` is rewritten after this many new samples (and at the end)."""


@dataclass(frozen=True, slots=True)
class BuildSettings:
    """A build. ``canvas``: the canvas long side in pixels (the seed used 700-1024);
    ``rounds``: refinement rounds after the samples (:mod:`.refine`); ``engine`` ``local``
    (``workers`` processes, 1 = this process) or ``ray`` (``address`` of a cluster, or a
    local instance); ``overwrite``: empty ``out`` first when it holds another build."""

    source: Path
    out: Path
    samples: int
    backend: str = "opencv"
    rounds: int = 0
    engine: str = "local"
    workers: int = 1
    address: str | None = None
    seed: int = 0
    canvas: int = 512
    backend_options: Mapping = field(default_factory=dict)
    overwrite: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "source", Path(self.source))
        object.__setattr__(self, "out", Path(self.out))
        object.__setattr__(self, "backend_options", dict(self.backend_options))  # a copy: picklable, not shared
        for name, low, high in (("samples", 1, 10**7), ("workers", 1, 256), ("rounds", 0, 100), ("seed", 0, 2**63 - 1),
                                ("canvas", 64, 10**9)):  # fmt: skip
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise InvalidInputError(f"{name} must be an integer from {low} to {high}, got {value!r}")
        if self.canvas > 4096:
            raise InvalidInputError(f"canvas must be at most 4096 px, got {self.canvas}")
        if self.engine not in ENGINES:
            raise InvalidInputError(f"unknown engine {self.engine!r}; choose one of {', '.join(ENGINES)}")
        if self.engine == "local" and self.address:
            raise InvalidInputError("address is for the ray engine; the local engine runs on this machine")
        if self.backend not in available_outpainters():
            raise InvalidInputError(f"unknown outpainting backend {self.backend!r}; available: {', '.join(available_outpainters())}")

    def to_json(self) -> dict:
        return {"source": str(self.source), "out": str(self.out), "samples": self.samples, "backend": self.backend,
                "rounds": self.rounds, "engine": self.engine, "workers": self.workers, "address": self.address,
                "seed": self.seed, "canvas": self.canvas, "backend_options": dict(self.backend_options)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class BuildReport:
    """``written`` samples made by this run, ``skipped`` made by earlier runs; ``rejected``
    samples whose every attempt failed the quality filter, ``retries`` failed attempts of this
    run (kept samples included), ``failed`` unreadable sources; ``images`` in annotations.json."""

    out: Path
    images: int
    written: int
    skipped: int
    rejected: int
    retries: int
    failed: int
    rounds: int
    cancelled: bool
    seconds: float
    annotations: Path
    manifest: Path

    def to_json(self) -> dict:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in
                ((n, getattr(self, n)) for n in self.__dataclass_fields__)}  # fmt: skip


def _identity(settings: BuildSettings, photos: tuple[PhotoSource, ...]) -> dict:
    return {"source": str(settings.source.resolve()), "backend": settings.backend,
            "backend_options": json.loads(json.dumps(dict(settings.backend_options), default=str)),
            "seed": settings.seed, "canvas": settings.canvas, "attempts": ATTEMPTS,
            "photos": len(photos), "photos_digest": sources_digest(photos)}  # fmt: skip


def _prepare_out(settings: BuildSettings, identity: dict) -> None:
    out = settings.out
    if out.exists() and not out.is_dir():
        raise InvalidInputError(f"output folder '{out}' is a file")
    previous = read_manifest(out) if out.is_dir() else None
    if previous is not None and previous.get("identity") != identity:
        if not settings.overwrite:
            diff = sorted(k for k in identity if (previous.get("identity") or {}).get(k) != identity[k])
            raise InvalidInputError(
                f"'{out}' holds a build with other settings ({', '.join(diff)} differ); rerun with the same "
                "settings to resume it, choose another folder, or pass --overwrite to replace it")
        log.warning("%s: replacing the earlier build (other settings)", out)
        previous = None
        for name in (IMAGES_DIR, JOURNAL, MANIFEST, ANNOTATIONS, "refine"):
            p = out / name
            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
    elif previous is None:
        _refuse_foreign(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
        if previous is None:  # the manifest first: a folder with images is always a known build
            write_manifest(out, identity, settings.to_json())
        (out / IMAGES_DIR).mkdir(exist_ok=True)
    except OSError as exc:
        raise InvalidInputError(f"cannot create the output folder '{out}': {exc.strerror or exc}") from None


def _refuse_foreign(out: Path) -> None:
    """A folder that holds files but no build is not ours to write in, even with --overwrite."""
    if out.is_dir() and read_manifest(out) is None and any(p.name != WORK_DIR for p in out.iterdir()):
        raise InvalidInputError(f"'{out}' is not empty and holds no dataset build; choose an empty or new folder")


def _write_image(folder: OutputFolder, result: SampleResult) -> None:
    """Atomically, through the output folder (no link followed; a killed run's temporary is
    removed by the next run's :meth:`OutputFolder.clean_temporaries`)."""
    data = result.jpeg or b""
    folder.write(result.record.file, lambda fh: fh.write(data), overwrite=True)


def check_backend(settings: BuildSettings) -> None:
    """Refuse an unusable backend before the run: unknown options, no model configured, a
    missing dependency. The classical backends are built (cheap); the diffusion backend's
    options and weights folder are checked without loading it."""
    options = dict(settings.backend_options)
    if settings.backend == "diffusion":
        from models.dataset_builder.outpaint_diffusion import check_diffusion_options

        check_diffusion_options(**options)
        return
    try:
        build_outpainter(settings.backend, **options)
    except TypeError as exc:
        raise InvalidInputError(f"backend {settings.backend!r}: {exc}") from None


def _jobs(settings: BuildSettings, photos: tuple[PhotoSource, ...], todo: list[int]) -> Iterator[SampleJob]:
    expansion = ExpansionSettings(long_side=(settings.canvas, settings.canvas))
    options = options_key(settings.backend_options)
    for i in todo:
        src, seeds = plan_sample(settings.seed, i, len(photos), ATTEMPTS)
        yield SampleJob(i, photos[src], seeds, settings.backend, options, expansion, QualityThresholds())


def build_dataset(
    settings: BuildSettings,
    *,
    progress: Callable[[BuildProgress], None] | None = None,
    cancel: Callable[[], bool] | None = None,
    refine: RefineSettings | None = None,
    trainer: Trainer | None = None,
    proposer: Proposer | None = None,
) -> BuildReport:
    """Make (or resume) the build described by ``settings``; see the module docstring.

    ``progress`` is called in this process after every sample (and during refinement
    rounds); ``cancel`` is polled before each new sample: when it returns true the samples
    under way are finished and written, ``annotations.json`` is brought up to date and the
    report says ``cancelled`` (the folder is a valid data set; rerun to complete it).
    ``refine``, ``trainer``, ``proposer``: the refinement rounds' settings and models
    (defaults: :class:`~.refine.RefineSettings`, ProCrop; see :mod:`.refine`).

    Raises
    ------
    InvalidInputError
        Bad settings, a missing or FLMS source, an output folder holding another build.
    ExportError
        The output folder cannot be written.
    """
    started = time.perf_counter()
    out = settings.out
    engine = make_engine(settings.engine, workers=settings.workers, address=settings.address)
    photos = collect_photos(settings.source, exclude=out)
    check_backend(settings)  # an unusable backend fails here, not as N failed samples
    if out.exists() and not out.is_dir():
        raise InvalidInputError(f"output folder '{out}' is a file")
    _refuse_foreign(out)  # before the lock's work folder is made in it
    folder = OutputFolder.open(out)
    with writer_lock(folder, what="dataset build"):
        folder.clean_temporaries()
        return _build(settings, folder, engine, photos, started, progress=progress, cancel=cancel, refine=refine,
                      trainer=trainer, proposer=proposer)  # fmt: skip


def _still_valid(samples: dict[int, SampleRecord], folder: OutputFolder) -> dict[int, SampleRecord]:
    """The journal's samples a resumed build keeps: images still there, and rejections
    (deterministic: same seeds, same verdict); errors are retried."""
    return {i: s for i, s in samples.items() if (s.status == "ok" and folder.is_file(s.file)) or s.status == "rejected"}


def _summary(wanted: list[SampleRecord], rounds: dict[int, RoundRecord], cancelled: bool) -> dict:
    """The manifest's counts of the ``wanted`` samples' records."""
    return {"samples": len(wanted), "ok": sum(s.status == "ok" for s in wanted),
            "rejected": sum(s.status == "rejected" for s in wanted),
            "failed": sum(s.status == "error" for s in wanted), "rounds": sorted(rounds),
            "complete": not cancelled}  # fmt: skip


def _build(
    settings: BuildSettings, folder: OutputFolder, engine, photos: tuple[PhotoSource, ...], started: float, *,
    progress, cancel, refine, trainer, proposer,
) -> BuildReport:  # fmt: skip
    """The build itself, under the output folder's writer lock (see :func:`build_dataset`)."""
    stop = cancel or (lambda: False)
    notify = progress or (lambda p: None)
    out = settings.out
    identity = _identity(settings, photos)
    _prepare_out(settings, identity)
    samples, rounds = read_journal(out)
    samples = _still_valid(samples, folder)
    todo = [i for i in range(settings.samples) if i not in samples]
    skipped = settings.samples - len(todo)
    name = f"{settings.source.resolve().name} expanded ({settings.backend})"
    log.info("build %s: %d samples, %d done earlier, %d to make", out, settings.samples, skipped, len(todo))
    if skipped:
        notify(BuildProgress("samples", skipped, settings.samples))
    written = retries = 0
    try:
        for result in engine.map(make_sample, _jobs(settings, photos, todo), stop):
            if result.jpeg is not None:
                _write_image(folder, result)
            append_journal(out, [result.record])
            samples[result.record.index] = result.record
            written += 1
            retries += result.rejected
            notify(BuildProgress("samples", skipped + written, settings.samples, result.record,
                                 out / result.record.file if result.record.file else None))  # fmt: skip
            if written % ANNOTATIONS_EVERY == 0:
                write_annotations(out, name, samples, rounds)
    finally:
        annotations = write_annotations(out, name, samples, rounds)
    cancelled = any(i not in samples for i in range(settings.samples))
    if settings.rounds and not cancelled:
        rounds = run_rounds(settings, samples, rounds, name, notify=notify, cancel=stop,
                            refine=refine or RefineSettings(), trainer=trainer or procrop_trainer,
                            proposer=proposer or procrop_proposer)  # fmt: skip
        annotations = write_annotations(out, name, samples, rounds)
        cancelled = len(rounds) < settings.rounds
    summary = _summary([samples[i] for i in range(settings.samples) if i in samples], rounds, cancelled)
    manifest = write_manifest(out, identity, settings.to_json(), summary)
    report = BuildReport(out=out, images=sum(s.status == "ok" for s in samples.values()), written=written,
                         skipped=skipped, rejected=summary["rejected"], retries=retries, failed=summary["failed"],
                         rounds=len(rounds), cancelled=cancelled, seconds=round(time.perf_counter() - started, 2),
                         annotations=annotations, manifest=manifest)  # fmt: skip
    log.info("build %s: %s", out, report)
    return report
