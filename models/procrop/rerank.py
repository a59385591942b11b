"""Re-rank ProCrop's queries with the judge (a post-processing step).

ProCrop's score head learns which of its ~90 queries matches *an* expert crop or frame of the
training photos; the judge (:mod:`models.scorer`, ``scorer-judge-lite0.pt``) learns from
FCDB's pairwise human judgements and from professional photographs' frames against worse
views of them which of two views of one photo is the better crop. The two disagree
usefully, so the ranking score of each query is

    fused = logit(p) + weight * z(s)

with ``p`` the decoder's score, ``s`` the scorer's score of the query's box and ``z`` the
z-score over the image's queries (the scorer's scale is arbitrary; only its ranking within
one image means anything). Suggestions report ``sigmoid(fused)``.

``RERANK_WEIGHT`` and ``RERANK_GRID`` were chosen on the hold-out fifths of FCDB and
``pro_portraits`` (never on FLMS), which neither the decoder nor the judge was trained on, by
the mean of the two top-1 IoUs, FCDB's not below the decoder alone's (the three-seed judge on
the three-member moving-average decoder: FCDB 0.6999 -> 0.7057, pro 0.9626 -> 0.9649 at weight
2; the grid gains 0.0001 on the mean there, less than one image, and stays off):
``python -m tests.bench.procrop_judge`` and docs/benchmarks.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from models.errors import InvalidInputError

__all__ = ["RERANK_GRID", "RERANK_WEIGHT", "ScorerRerank", "fuse_scores", "grid_logits", "prepare_scorer", "with_grid"]

RERANK_WEIGHT = 2.0
RERANK_GRID = False


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


def grid_logits(boxes: np.ndarray, logits: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The decoder's vote for boxes it did not propose: the logit of the query that overlaps
    each ``grid`` box most, plus ``log`` of that IoU (a box no query is near gets little)."""
    import torch

    from models.procrop.box_ops import box_iou

    g, b = (torch.from_numpy(np.asarray(x, np.float64)) for x in (grid, boxes))
    iou = box_iou(g, b)[0].numpy()  # (G, Q)
    near = iou.argmax(1)
    return np.asarray(logits, np.float64)[near] + np.log(np.clip(iou[np.arange(len(grid)), near], 1e-3, 1.0))


def with_grid(boxes: np.ndarray, probs: np.ndarray, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """The queries followed by the judge's candidate grid for an image of ``ratio``, each grid
    box with the decoder's vote for it (:func:`grid_logits`) as its probability."""
    from models.scorer.grid import candidate_grid

    grid = candidate_grid(ratio)
    p = np.clip(np.asarray(probs, np.float64), 1e-6, 1 - 1e-6)
    g = 1.0 / (1.0 + np.exp(-grid_logits(boxes, np.log(p / (1 - p)), grid)))
    return np.concatenate([boxes, grid]), np.concatenate([probs, g])


def prepare_scorer(scorer, rgb: np.ndarray, maps: dict | None = None, maps_from: tuple[str, int, str] | None = None):
    """``scorer.prepare(rgb)``, from ``maps`` instead of a second backbone pass when they were
    computed by the scorer's own backbone (``maps_from = (name, input size, weights file)``)."""
    own = (scorer.config.backbone, scorer.config.input_size, scorer.backbone.weights_file)
    same = maps is not None and bool(own[2]) and maps_from == own
    return scorer.prepare_maps(maps) if same else scorer.prepare(rgb)


@dataclass(frozen=True, slots=True)
class ScorerRerank:
    """``(rgb, boxes, probs, ratio) -> (boxes, scores)``: every proposal with its fused
    ranking score; with ``grid`` the judge's candidate grid
    (:func:`~models.scorer.grid.candidate_grid`, the full image among it) joins the decoder's
    queries, each voted for by the decoder through :func:`grid_logits`.

    ``scorer_weights``: the crop scorer's file (``None``: the judge,
    ``$CROPSTUDIO_JUDGE_WEIGHTS`` or the bundled ``scorer-judge-lite0.pt``), loaded once per
    process on first use.
    """

    weight: float = RERANK_WEIGHT
    scorer_weights: str | os.PathLike | None = None
    grid: bool = RERANK_GRID

    def __post_init__(self) -> None:
        if not (np.isfinite(self.weight) and self.weight >= 0):
            raise InvalidInputError(f"the re-ranking weight must be a number >= 0, got {self.weight!r}")

    def __call__(self, rgb: np.ndarray, boxes: np.ndarray, probs: np.ndarray, ratio: float, *,
                 maps: dict | None = None, maps_from: tuple[str, int, str] | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """``maps``: backbone maps already computed for ``rgb`` by ``maps_from = (backbone name,
        input size, weights file)``; used instead of a second backbone pass when the scorer's
        backbone is that same one (ProCrop's default encoder is)."""
        boxes, probs = np.asarray(boxes, np.float64), np.asarray(probs, np.float64)
        if self.weight == 0 or len(boxes) == 0:
            return boxes, probs
        from models.scorer.model import judge_weights, load_scorer  # imports torch

        scorer = load_scorer(self.scorer_weights if self.scorer_weights is not None else judge_weights())
        prepared = prepare_scorer(scorer, rgb, maps, maps_from)
        if self.grid:
            boxes, probs = with_grid(boxes, probs, ratio)
        scores = scorer.score(prepared, boxes, ratio)
        return boxes, fuse_scores(probs, scores, self.weight)
