"""Crop-quality metrics, as defined in ``../shared/data/README.md``.

All boxes here are **normalised** to ``[0, 1]`` by the image's width and height (the data
sets' frame, see :mod:`models.geometry`); convert pixel boxes with
:meth:`~models.geometry.Box.to_normalized` first.

* :func:`iou` - intersection over union;
* :func:`disp` - boundary displacement: the four edge offsets ``|dx0|, |dx1|`` (in units
  of the width) and ``|dy0|, |dy1|`` (in units of the height), averaged;
* :func:`best_iou` / :func:`best_disp` - the best value against any ground-truth crop
  (max IoU, min Disp), which the literature then averages over images;
* :func:`acc_k_n` - for graded sets: the fraction of the top-K predicted crops that match
  one of the N best-scored ground-truth crops (IoU >= 0.85);
* :func:`candidate_acc` / :func:`rank_correlations` - for ranking a graded set's own
  candidates (GAIC's protocol): ACC_K/N by identity, SRCC and PCC with the opinion scores.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from models.box_arrays import best_disps, best_ious
from models.errors import InvalidInputError
from models.geometry import Box

__all__ = ["ACC_IOU_THRESHOLD", "acc_k_n", "best_disp", "best_iou", "candidate_acc", "disp", "iou", "rank_correlations"]

ACC_IOU_THRESHOLD = 0.85


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes (0 when they do not overlap)."""
    return a.iou(b)


def disp(pred: Box, gt: Box) -> float:
    """Boundary displacement of two normalised boxes: ``(|dx0| + |dx1| + |dy0| + |dy1|) / 4``."""
    return (abs(pred.x0 - gt.x0) + abs(pred.x1 - gt.x1) + abs(pred.y0 - gt.y0) + abs(pred.y1 - gt.y1)) / 4


def _non_empty(gts: Sequence[Box]) -> Sequence[Box]:
    if len(gts) == 0:
        raise InvalidInputError("need at least one ground-truth crop")
    return gts


def best_iou(pred: Box, gts: Sequence[Box]) -> float:
    """The largest IoU of ``pred`` with any of the ground-truth crops ``gts``."""
    return float(best_ious(pred, gts)[0])


def best_disp(pred: Box, gts: Sequence[Box]) -> float:
    """The smallest boundary displacement of ``pred`` to any of the ground-truth crops ``gts``."""
    return float(best_disps(pred, gts)[0])


def acc_k_n(
    preds_ranked: Sequence[Box],
    gts: Sequence[Box],
    scores: Sequence[float],
    k: int,
    n: int,
    thr: float = ACC_IOU_THRESHOLD,
) -> float:
    """ACC_K/N of one image: the fraction of the top-``k`` predictions that match a top-``n`` crop.

    Parameters
    ----------
    preds_ranked : sequence of Box
        Predicted crops, best first; the first ``k`` are used.
    gts, scores : sequences of Box and float
        The graded ground-truth crops and their scores (higher is better). The ``n`` best by
        score form the target set (ties keep file order; all of them when ``n >= len(gts)``).
    k, n : int
        Positive integers.
    thr : float
        A prediction matches a ground-truth crop when their IoU is ``>= thr``.

    Returns
    -------
    float
        ``#{i < k : max_j IoU(preds[i], top_n[j]) >= thr} / k``; the data-set figure is its
        mean over images.

    Raises
    ------
    InvalidInputError
        ``k`` or ``n`` not positive, fewer than ``k`` predictions, no ground truth, or
        ``scores`` not one per ground-truth crop.
    """
    if isinstance(k, bool) or not isinstance(k, int) or k < 1 or isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidInputError(f"k and n must be positive integers, got k={k!r}, n={n!r}")
    if len(preds_ranked) < k:
        raise InvalidInputError(f"ACC_{k}/{n} needs at least {k} ranked predictions, got {len(preds_ranked)}")
    _non_empty(gts)
    if len(scores) != len(gts):
        raise InvalidInputError(f"need one score per ground-truth crop: {len(scores)} scores for {len(gts)} crops")
    order = sorted(range(len(gts)), key=lambda j: -scores[j])  # stable: ties keep file order
    top = [gts[j] for j in order[:n]]
    hits = sum(1 for pred in preds_ranked[:k] if best_iou(pred, top) >= thr)
    return hits / k


def _order(values: Sequence[float]) -> list[int]:
    """Indices best (highest) first; ties keep the listed order."""
    return sorted(range(len(values)), key=lambda j: -values[j])


def candidate_acc(pred_scores: Sequence[float], mos: Sequence[float], k: int, n: int) -> float:
    """GAIC's ACC_K/N of one image whose graded candidates were scored by a method:
    ``#{returned crop i < k : i is among the n best by opinion score} / k``.

    The method returns the candidates themselves, so a match is identity (GAIC's
    ``c_ij in S_i(N)``), not IoU. Both orders are stable (ties keep the listed order);
    ``k`` and ``n`` are capped at the number of candidates.
    """
    if len(pred_scores) != len(mos) or not len(mos):
        raise InvalidInputError(f"need one predicted score per graded crop: {len(pred_scores)} for {len(mos)}")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1 or isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidInputError(f"k and n must be positive integers, got k={k!r}, n={n!r}")
    k = min(k, len(mos))
    best = set(_order(mos)[:n])
    return sum(1 for j in _order(pred_scores)[:k] if j in best) / k


def rank_correlations(pred_scores: Sequence[float], mos: Sequence[float]) -> tuple[float, float]:
    """``(SRCC, PCC)`` of one image's predicted scores with its opinion scores (Spearman with
    average ranks for ties, Pearson). A constant side carries no ranking: both are 0 then."""
    from scipy.stats import pearsonr, spearmanr

    p, m = np.asarray(pred_scores, np.float64), np.asarray(mos, np.float64)
    if p.shape != m.shape or p.ndim != 1:
        raise InvalidInputError(f"need one predicted score per graded crop: {p.shape} vs {m.shape}")
    if len(p) < 2 or np.ptp(p) <= 0 or np.ptp(m) <= 0:
        return 0.0, 0.0
    return float(spearmanr(p, m).statistic), float(pearsonr(p, m).statistic)
