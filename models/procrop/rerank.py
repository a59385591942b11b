"""Re-rank ProCrop's queries with the learned crop scorer (a post-processing step).

ProCrop's score head learns which of its ~90 queries matches *an* expert crop of the
training photos; the crop scorer (:mod:`models.scorer`) learns from 13,380 pairwise
human judgements which of two views of one photo is the better crop. The two disagree
usefully, so the ranking score of each query is

    fused = logit(p) + weight * z(s)

with ``p`` the decoder's score, ``s`` the scorer's score of the query's box and ``z`` the
z-score over the image's queries (the scorer's scale is arbitrary; only its ranking within
one image means anything). Suggestions report ``sigmoid(fused)``.

``RERANK_WEIGHT`` was chosen on FCDB's hold-out fifth (never on FLMS), which neither the
ProCrop weights nor the scorer were trained on: top-1 IoU 0.6924 without re-ranking,
0.6967 / 0.6966 / 0.6998 / 0.6938 at weights 0.25 / 0.5 / 1 / 2, and 0.6567 with the scorer
alone; 0.5 sits in the middle of that plateau (docs/benchmarks.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from models.errors import InvalidInputError

__all__ = ["RERANK_WEIGHT", "ScorerRerank", "fuse_scores"]

RERANK_WEIGHT = 0.5


def fuse_scores(probs: np.ndarray, scores: np.ndarray, weight: float) -> np.ndarray:
    """``sigmoid(logit(probs) + weight * z(scores))``, ``(Q,)`` in (0, 1).

    With ``weight = 0`` (or scores that are all equal) the order of ``probs`` is kept.
    """
    p = np.clip(np.asarray(probs, np.float64), 1e-6, 1 - 1e-6)
    s = np.asarray(scores, np.float64)
    if p.shape != s.shape:
        raise InvalidInputError(f"need one scorer score per query: {s.shape} vs {p.shape}")
    spread = s.std()
    z = (s - s.mean()) / spread if spread > 1e-9 else np.zeros_like(s)
    return 1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) + weight * z)))


@dataclass(frozen=True, slots=True)
class ScorerRerank:
    """``(rgb, boxes, probs, ratio) -> probs``: the fused ranking score of every query.

    ``scorer_weights``: the crop scorer's file (``None``: ``$CROPSTUDIO_SCORER_WEIGHTS`` or
    the bundled one), loaded once per process on first use.
    """

    weight: float = RERANK_WEIGHT
    scorer_weights: str | os.PathLike | None = None

    def __post_init__(self) -> None:
        if not (np.isfinite(self.weight) and self.weight >= 0):
            raise InvalidInputError(f"the re-ranking weight must be a number >= 0, got {self.weight!r}")

    def __call__(self, rgb: np.ndarray, boxes: np.ndarray, probs: np.ndarray, ratio: float, *,
                 maps: dict | None = None, maps_from: tuple[str, int, str] | None = None) -> np.ndarray:  # fmt: skip
        """``maps``: backbone maps already computed for ``rgb`` by ``maps_from = (backbone name,
        input size, weights file)``; used instead of a second backbone pass when the scorer's
        backbone is that same one (ProCrop's default encoder is)."""
        if self.weight == 0 or len(boxes) == 0:
            return np.asarray(probs, np.float64)
        from models.scorer.model import load_scorer  # imports torch

        scorer = load_scorer(self.scorer_weights)
        own = (scorer.config.backbone, scorer.config.input_size, scorer.backbone.weights_file)
        same = maps is not None and bool(own[2]) and maps_from == own
        prepared = scorer.prepare_maps(maps) if same else scorer.prepare(rgb)
        scores = scorer.score(prepared, np.asarray(boxes, np.float64), ratio)
        return fuse_scores(probs, scores, self.weight)
