"""Re-rank ProCrop's queries with the judge and the heatmap (a post-processing step).

ProCrop's score head learns which of its ~90 queries matches *an* expert crop or frame of the
training photos; the judge (:mod:`models.scorer`, ``scorer-judge-lite0.pt``) learns from
FCDB's pairwise human judgements and from professional photographs' frames against worse
views of them which of two views of one photo is the better crop. The two disagree
usefully, so the ranking score of each query is

    fused = logit(p) + weight * z(s) + heatmap * z(a)

with ``p`` the decoder's score, ``s`` the scorer's score of the query's box, ``a`` the
learned heatmap's attention term of the box (:class:`models.constraints.terms.AttentionTerm`:
the heatmap's mass inside the box minus the box's area fraction, the heatmap constraint
method's own term; the heatmap is computed from the encoder's maps, no second backbone pass)
and ``z`` the z-score over the image's queries (the scales are arbitrary; only the ranking
within one image means anything). Suggestions report ``sigmoid(fused)``.

``RERANK_WEIGHT``, ``RERANK_HEATMAP`` and ``RERANK_GRID`` were chosen on the hold-out fifths
of FCDB and ``pro_portraits`` (never on FLMS), which neither the decoder, the judge nor the
heatmap was trained on, by the mean of the two top-1 IoUs, FCDB's not below the decoder
alone's (the three-member moving-average decoder: judge alone at weight 2, FCDB 0.7057 / pro
0.9649; judge 1 + heatmap 0.75, FCDB 0.7155 / pro 0.9647; the grid stays off):
``python -m tests.bench.procrop_judge`` and docs/benchmarks.md.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from models.errors import InvalidInputError

__all__ = [
    "RERANK_GRID",
    "RERANK_HEATMAP",
    "RERANK_WEIGHT",
    "ScorerRerank",
    "fuse_scores",
    "grid_logits",
    "heatmap_attention",
    "heatmap_of",
    "logits",
    "prepare_scorer",
    "sigmoid",
    "with_grid",
]

RERANK_WEIGHT = 1.0
RERANK_HEATMAP = 0.75
RERANK_GRID = False


def _z(values: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    s = np.asarray(values, np.float64)
    if s.shape != shape:
        raise InvalidInputError(f"need one score per query: {s.shape} vs {shape}")
    spread = s.std()
    return (s - s.mean()) / spread if spread > 1e-9 else np.zeros_like(s)


def logits(probs: np.ndarray) -> np.ndarray:
    """``log(p / (1 - p))`` of probabilities ``probs``, clipped to ``[1e-6, 1 - 1e-6]`` first
    (float64): the one numpy logit of the decoder's and the fused scores."""
    p = np.clip(np.asarray(probs, np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def sigmoid(logit: np.ndarray) -> np.ndarray:
    """The logistic function of ``logit`` without overflow, for any magnitude."""
    logit = np.asarray(logit, np.float64)
    e = np.exp(-np.abs(logit))
    return np.where(logit >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def fuse_scores(probs: np.ndarray, scores: np.ndarray, weight: float,
                extra: tuple[tuple[np.ndarray, float], ...] = ()) -> np.ndarray:  # fmt: skip
    """``sigmoid(logit(probs) + weight * z(scores) + sum(w_i * z(s_i)))``, ``(Q,)`` in (0, 1),
    the sum over the ``(s_i, w_i)`` of ``extra``.

    With zero weights (or scores that are all equal) the order of ``probs`` is kept.
    """
    logit = logits(probs)
    logit = logit + weight * _z(scores, logit.shape)
    for values, w in extra:
        logit = logit + w * _z(values, logit.shape)
    return sigmoid(logit)


def heatmap_attention(heat: np.ndarray, boxes: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """The heatmap method's attention term of ``(N, 4)`` normalised boxes on a ``W x H`` image:
    the fraction of the ``(m, n)`` heatmap's mass inside each box minus its area fraction."""
    from models.constraints.candidates import Candidates
    from models.constraints.terms import AttentionTerm, MapIntegral

    w, h = size
    b = np.asarray(boxes, np.float64)
    return AttentionTerm(MapIntegral(heat, size))(Candidates(b[:, 0] * w, b[:, 1] * h, b[:, 2] * w, b[:, 3] * h))


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
    g = sigmoid(grid_logits(boxes, logits(probs), grid))
    return np.concatenate([boxes, grid]), np.concatenate([probs, g])


def _reusable(maps: dict | None, maps_from: tuple[str, int, str] | None, own: tuple[str, int, str]) -> bool:
    """Whether ``maps`` (computed by ``maps_from = (name, input size, weights file)``) are a
    model's own backbone maps (``own``, the same key), so it needs no second backbone pass."""
    return maps is not None and bool(own[2]) and maps_from == own


def prepare_scorer(scorer, rgb: np.ndarray, maps: dict | None = None, maps_from: tuple[str, int, str] | None = None):
    """``scorer.prepare(rgb)``, from ``maps`` instead of a second backbone pass when they were
    computed by the scorer's own backbone (``maps_from = (name, input size, weights file)``)."""
    own = (scorer.config.backbone, scorer.config.input_size, scorer.backbone.weights_file)
    return scorer.prepare_maps(maps) if _reusable(maps, maps_from, own) else scorer.prepare(rgb)


def heatmap_of(model, rgb: np.ndarray, maps: dict | None = None, maps_from: tuple[str, int, str] | None = None) -> np.ndarray:
    """``model.predict(rgb)`` of a :class:`~models.heatmap.model.HeatmapModel`, from ``maps``
    when they are its own backbone's (as :func:`prepare_scorer`)."""
    return model.predict_maps(maps) if _reusable(maps, maps_from, model.maps_from) else model.predict(rgb)


@dataclass(frozen=True, slots=True)
class ScorerRerank:
    """``(rgb, boxes, probs, ratio) -> (boxes, scores)``: every proposal with its fused
    ranking score; with ``grid`` the judge's candidate grid
    (:func:`~models.scorer.grid.candidate_grid`, the full image among it) joins the decoder's
    queries, each voted for by the decoder through :func:`grid_logits`.

    ``scorer_weights``: the crop scorer's file (``None``: the judge,
    ``$CROPSTUDIO_JUDGE_WEIGHTS`` or the bundled ``scorer-judge-lite0.pt``); ``heatmap``: the
    weight of the heatmap's attention term (0: the heatmap is not run); ``heatmap_weights``:
    its file (``None``: ``$CROPSTUDIO_HEATMAP_WEIGHTS`` or the bundled ``heatmap-lite0.pt``).
    Each is loaded once per process on first use.
    """

    weight: float = RERANK_WEIGHT
    scorer_weights: str | os.PathLike | None = None
    grid: bool = RERANK_GRID
    heatmap: float = RERANK_HEATMAP
    heatmap_weights: str | os.PathLike | None = None

    def __post_init__(self) -> None:
        for name, value in (("re-ranking", self.weight), ("heatmap", self.heatmap)):
            if not (np.isfinite(value) and value >= 0):
                raise InvalidInputError(f"the {name} weight must be a number >= 0, got {value!r}")

    def __call__(self, rgb: np.ndarray, boxes: np.ndarray, probs: np.ndarray, ratio: float, *,
                 maps: dict | None = None, maps_from: tuple[str, int, str] | None = None) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
        """``maps``: backbone maps already computed for ``rgb`` by ``maps_from = (backbone name,
        input size, weights file)``; used instead of a second backbone pass when the scorer's
        backbone is that same one (ProCrop's default encoder is)."""
        boxes, probs = np.asarray(boxes, np.float64), np.asarray(probs, np.float64)
        if (self.weight == 0 and self.heatmap == 0) or len(boxes) == 0:
            return boxes, probs
        if self.grid:
            boxes, probs = with_grid(boxes, probs, ratio)
        scores = np.zeros(len(boxes))
        if self.weight > 0:
            from models.scorer.model import judge_weights, load_scorer  # imports torch

            scorer = load_scorer(self.scorer_weights if self.scorer_weights is not None else judge_weights())
            scores = scorer.score(prepare_scorer(scorer, rgb, maps, maps_from), boxes, ratio)
        extra: tuple[tuple[np.ndarray, float], ...] = ()
        if self.heatmap > 0:
            from models.heatmap.model import shared_heatmap_model  # imports torch

            heat = heatmap_of(shared_heatmap_model(self.heatmap_weights), rgb, maps, maps_from)
            extra = ((heatmap_attention(heat, boxes, (rgb.shape[1], rgb.shape[0])), self.heatmap),)
        return boxes, fuse_scores(probs, scores, self.weight, extra)
