"""Score a :class:`~models.eval.ranking.BoxRanker` as a judge of crops, two ways:

* :func:`evaluate_candidates` - a graded set (``annotations.json`` with ``scores``): the
  ranker scores each image's listed crops (one ``prepare`` per image); reported are GAIC's
  ACC1/5, ACC4/5, ACC1/10, ACC4/10 (:func:`~models.eval.metrics.candidate_acc`) and the
  mean per-image SRCC and PCC with the opinion scores, over images with at least two crops;
* :func:`evaluate_pairs` - pairwise view comparisons (``ranking.json``, FCDB): the fraction
  of pairs whose more-voted view the ranker scores higher (an exact tie counts one half),
  on the hold-out fifth's images by default (:func:`models.eval.split.is_holdout`).

Images are loaded like the crop evaluation (:func:`models.eval.runner.load_for_eval`):
reduced to the analysis size, a missing or unreadable one skipped and counted.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from models.errors import CropStudioError
from models.eval.datasets import AnnotationSet, DatasetError
from models.eval.metrics import candidate_acc, rank_correlations
from models.eval.pairs import RANKING_FILE, ranking_items
from models.eval.ranking import BoxRanker
from models.eval.runner import EvaluationError, load_for_eval
from models.eval.split import is_holdout

__all__ = ["ACC_CUTS", "CandidateReport", "PairReport", "evaluate_candidates", "evaluate_pairs"]

log = logging.getLogger(__name__)

ACC_CUTS: tuple[tuple[int, int], ...] = ((1, 5), (4, 5), (1, 10), (4, 10))
"""The (K, N) of the reported ACC_K/N, as in GAIC."""

Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class CandidateReport:
    """One ranker on a graded set: ACC_K/N as fractions, mean SRCC / PCC, per-image time."""

    method: str
    n_images: int
    skipped: int
    acc_1_5: float
    acc_4_5: float
    acc_1_10: float
    acc_4_10: float
    srcc: float
    pcc: float
    ms_per_image: float


@dataclass(frozen=True, slots=True)
class PairReport:
    """One ranker on view pairs: ``accuracy`` over pairs, ``weighted`` by vote margin."""

    method: str
    n_images: int
    n_pairs: int
    skipped: int
    accuracy: float
    weighted: float
    ms_per_image: float


def _mean(values: list[float]) -> float:
    return math.fsum(values) / len(values) if values else math.nan


def _scores(ranker: BoxRanker, path: Path, boxes: np.ndarray) -> tuple[np.ndarray, float] | None:
    image = load_for_eval(path)
    if image is None:
        return None
    start = time.perf_counter()
    try:
        prepared = ranker.prepare(image)
        scores = np.asarray(ranker.score(prepared, boxes, image.info.width / image.info.height), np.float64)
    except CropStudioError as exc:
        raise EvaluationError(f"ranker {ranker.name} failed on {path.name}: {exc}") from exc
    if scores.shape != (len(boxes),):
        raise EvaluationError(f"ranker {ranker.name} returned {scores.shape} scores for {len(boxes)} boxes")
    return scores, time.perf_counter() - start


def evaluate_candidates(aset: AnnotationSet, ranker: BoxRanker, *, limit: int | None = None,
                        progress: Progress | None = None) -> CandidateReport:  # fmt: skip
    """Rank each graded image's listed crops with ``ranker`` (see the module docstring)."""
    items = [it for it in aset.items if it.scores is not None]
    if not items:
        raise DatasetError(f"{aset.folder}: no graded crops ('scores') in annotations.json")
    items = items[:limit] if limit is not None else items
    acc: dict[tuple[int, int], list[float]] = {cut: [] for cut in ACC_CUTS}
    srcc, pcc = [], []
    skipped, seconds = 0, 0.0
    for done, item in enumerate(items, 1):
        boxes = np.array([b.as_tuple() for b in item.crops], np.float64)
        got = _scores(ranker, item.file, boxes)
        if got is None:
            skipped += 1
        else:
            scores, s = got
            seconds += s
            for k, n in ACC_CUTS:
                acc[(k, n)].append(candidate_acc(list(scores), list(item.scores), k, n))
            if len(boxes) >= 2:
                r, p = rank_correlations(scores, item.scores)
                srcc.append(r)
                pcc.append(p)
        if progress is not None:
            progress(done, len(items))
    n = len(items) - skipped
    return CandidateReport(
        method=ranker.name, n_images=n, skipped=skipped,
        acc_1_5=_mean(acc[(1, 5)]), acc_4_5=_mean(acc[(4, 5)]), acc_1_10=_mean(acc[(1, 10)]),
        acc_4_10=_mean(acc[(4, 10)]), srcc=_mean(srcc), pcc=_mean(pcc),
        ms_per_image=1000 * seconds / n if n else math.nan,
    )  # fmt: skip


def evaluate_pairs(folder: str | Path, ranker: BoxRanker, *, holdout_only: bool = True, limit: int | None = None,
                   progress: Progress | None = None) -> PairReport:  # fmt: skip
    """Pairwise accuracy of ``ranker`` on ``folder/ranking.json`` (see the module docstring)."""
    folder = Path(folder)
    pairs = ranking_items(folder)
    if not pairs:
        raise DatasetError(f"{folder}: no {RANKING_FILE} with pairs")
    names = sorted(f for f, p in pairs.items() if p and (not holdout_only or is_holdout(Path(f).name)))
    names = names[:limit] if limit is not None else names
    hits: list[float] = []
    weights: list[float] = []
    skipped, seconds, n_images = 0, 0.0, 0
    for done, name in enumerate(names, 1):
        boxes = np.array([b.as_tuple() for w, l, _ in pairs[name] for b in (w, l)], np.float64)
        got = _scores(ranker, folder / name, boxes)
        if got is None:
            skipped += 1
        else:
            scores, s = got
            seconds += s
            n_images += 1
            win, lose = scores[0::2], scores[1::2]
            hits += list(np.where(win > lose, 1.0, np.where(win == lose, 0.5, 0.0)))
            weights += [w for _, _, w in pairs[name]]
        if progress is not None:
            progress(done, len(names))
    h, w = np.asarray(hits), np.asarray(weights)
    return PairReport(
        method=ranker.name, n_images=n_images, n_pairs=len(hits), skipped=skipped,
        accuracy=float(h.mean()) if len(h) else math.nan,
        weighted=float((h * w).sum() / w.sum()) if len(h) and w.sum() > 0 else math.nan,
        ms_per_image=1000 * seconds / n_images if n_images else math.nan,
    )  # fmt: skip
