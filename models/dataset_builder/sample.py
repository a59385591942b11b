"""Making one sample: load the photo, expand, outpaint, check, encode (no file written).

This runs in a worker (this process, a pool process or a Ray task); the driver writes the
JPEG and the journal line, so a remote worker needs no access to the output folder.
Which photo and which seeds sample ``i`` uses is :func:`plan_sample`: a function of the
run's seed and ``i`` only, so a rerun (or a resume) makes the same sample.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from models.dataset_builder.expand import ExpansionSettings, apply_expansion, sample_expansion
from models.dataset_builder.manifest import IMAGES_DIR, SampleRecord
from models.dataset_builder.outpaint import OutpaintRequest, Outpainter, build_outpainter
from models.dataset_builder.quality import QualityThresholds, assess_fill
from models.dataset_builder.sources import PhotoSource
from models.errors import CropStudioError
from models.imaging import load_image

__all__ = ["SampleJob", "SampleResult", "image_name", "make_sample", "options_key", "plan_sample"]

log = logging.getLogger(__name__)

JPEG_QUALITY = 92


def image_name(index: int) -> str:
    return f"{IMAGES_DIR}/{index:06d}.jpg"


def plan_sample(seed: int, index: int, n_sources: int, attempts: int) -> tuple[int, tuple[int, ...]]:
    """Sample ``index``'s photo (an index into the sources) and its ``attempts`` seeds.

    Photos are used in a seeded random order, each once per pass over the sources, so a
    build of N samples uses every photo about N / n_sources times.
    """
    epoch, pos = divmod(index, n_sources)
    order = np.random.default_rng(np.random.SeedSequence([seed, epoch, 0x50])).permutation(n_sources)
    seeds = np.random.SeedSequence([seed, index, 0x5E]).generate_state(attempts)
    return int(order[pos]), tuple(int(s) for s in seeds)


@dataclass(frozen=True, slots=True)
class SampleJob:
    """Everything a worker needs to make sample ``index`` (picklable)."""

    index: int
    source: PhotoSource
    seeds: tuple[int, ...]
    backend: str
    backend_options: tuple[tuple[str, object], ...] = ()
    expansion: ExpansionSettings = field(default_factory=ExpansionSettings)
    thresholds: QualityThresholds = field(default_factory=QualityThresholds)


@dataclass(frozen=True, slots=True)
class SampleResult:
    record: SampleRecord
    jpeg: bytes | None
    rejected: int  # attempts that failed the quality filter


@lru_cache(maxsize=4)
def _outpainter(backend: str, options: tuple[tuple[str, object], ...]) -> Outpainter:
    return build_outpainter(backend, **dict(options))


@lru_cache(maxsize=8)
def _photo(source: PhotoSource, max_side: int) -> np.ndarray:
    rgb = load_image(source.path, max_side=max_side).rgb
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = source.region
    box = (round(x0 * w), round(y0 * h), round(x1 * w), round(y1 * h))
    return np.ascontiguousarray(rgb[box[1] : box[3], box[0] : box[2]])


def make_sample(job: SampleJob) -> SampleResult:
    """Try each seed until the fill passes the quality filter; the record says what happened."""
    base = dict(index=job.index, source=job.source.rel, region=job.source.region, backend=job.backend)
    try:
        painter = _outpainter(job.backend, job.backend_options)
        x0, y0, x1, y1 = job.source.region
        # decode at about the canvas size (photo region long side <= 2x the canvas long side)
        span = max(x1 - x0, y1 - y0, 1e-3)
        photo = _photo(job.source, max(64, int(2 * job.expansion.long_side[1] / span)))
    except CropStudioError as exc:
        log.warning("sample %d: %s", job.index, exc)
        return SampleResult(SampleRecord(**base, seed=job.seeds[0], attempts=0, status="error", error=str(exc)), None, 0)
    report = expansion = None
    for attempt, seed in enumerate(job.seeds, 1):
        expansion = sample_expansion((photo.shape[1], photo.shape[0]), seed, job.expansion)
        canvas, known = apply_expansion(photo, expansion)
        filled = painter.fill(OutpaintRequest(canvas, known, seed=seed))
        report = assess_fill(filled, known, job.thresholds)
        if report.passed:
            ok, buf = cv2.imencode(".jpg", filled[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            if not ok:
                raise RuntimeError("JPEG encoding failed")
            record = SampleRecord(**base, seed=seed, attempts=attempt, status="ok", file=image_name(job.index),
                                  width=expansion.canvas[0], height=expansion.canvas[1],
                                  label=tuple(round(v, 6) for v in expansion.label),
                                  expansion=expansion, quality=report)  # fmt: skip
            return SampleResult(record, buf.tobytes(), attempt - 1)
        log.debug("sample %d attempt %d rejected: %s", job.index, attempt, report.reason)
    record = SampleRecord(**base, seed=job.seeds[-1], attempts=len(job.seeds), status="rejected",
                          expansion=expansion, quality=report, error=report.reason if report else None)  # fmt: skip
    return SampleResult(record, None, len(job.seeds))


def options_key(options: Mapping) -> tuple[tuple[str, object], ...]:
    return tuple(sorted((str(k), v) for k, v in options.items()))
