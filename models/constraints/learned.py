"""The two learned score sources of the design-constraints seed, on the same engine.

``heatmap_cropper()`` is an :class:`~models.constraints.cropper.AttentionCropper` whose
map is the heatmap network's output (seed sec. 3.3) plus the face prior, so every term
(the heatmap integral, size and centre priors, border and face-cut penalties) and the exact
exhaustive search are the same as for the saliency map. Weights of the terms were chosen
on the hold-out part of FCDB (``cropstudio tune --method heatmap``), never on FLMS.

:class:`ProposalCropper` is the proposal-based approach (seed sec. 3.2): every candidate of
the search grid that meets the constraints (the aspect-ratio grid proposals) is scored by
the judge (``scorer-judge-lite0.pt``, :mod:`models.scorer`: RoI + RoD features of each box
from one backbone pass per image), z-scored within the request's candidates, plus size and
centre priors, the heatmap's border term and the face-cut term (issue 18). The judge does
not decompose over a summed-area table, so it costs one MLP pass per candidate, batched
(about 35 ms for the few hundred candidates of an FLMS-style request). Being z-scored per
request, its scores compare crops of one request, not requests of different ratios.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import numpy as np

from models.attention.saliency import AttentionMap, face_prior, normalise
from models.constraints.cropper import AttentionCropper, ScoreWeights
from models.constraints.problem import CropProblem
from models.constraints.search import ExhaustiveSearch, Proposal
from models.constraints.terms import AreaTerm, AttentionTerm, BorderTerm, CentreTerm, FaceCutTerm, MapIntegral
from models.imaging import LoadedImage
from models.subjects import Subjects, image_subjects

__all__ = [
    "HEATMAP_WEIGHTS",
    "PROPOSAL_WEIGHTS",
    "HeatmapSource",
    "ProposalCropper",
    "ProposalWeights",
    "ScorerTerm",
    "heatmap_cropper",
]

log = logging.getLogger(__name__)

HEATMAP_WEIGHTS = ScoreWeights(attention=1.0, area=0.25, centre=0.5, border=0.3, face_cut=10.0)
"""Term weights for the heatmap; chosen on FCDB's hold-out images (docs/benchmarks.md)."""

def _model(weights: str | os.PathLike | None):
    from models.heatmap.model import shared_heatmap_model  # imports torch

    return shared_heatmap_model(weights)


@dataclass(frozen=True, slots=True)
class HeatmapSource:
    """``LoadedImage -> AttentionMap``: the learned heatmap, with a face prior when ``faces``."""

    weights: str | None = None  # None: $CROPSTUDIO_HEATMAP_WEIGHTS or the bundled file
    faces: bool = True
    face_weight: float = 1.0

    def __call__(self, image: LoadedImage) -> AttentionMap:
        heat = np.asarray(_model(self.weights).predict(image.rgb), np.float32)
        size = (image.info.width, image.info.height)
        found: tuple = ()
        subjects = None
        if self.faces:
            subjects = image_subjects(image)
            found = tuple(h.face for h in subjects.heads)
            if found:
                heat = normalise(heat + self.face_weight * face_prior(found, heat.shape, size))
        return AttentionMap(values=heat, image_size=size, method="heatmap", faces=found, subjects=subjects)


def heatmap_cropper(weights: str | None = None, score_weights: ScoreWeights = HEATMAP_WEIGHTS, **kwargs) -> AttentionCropper:
    return AttentionCropper(weights=score_weights, source=HeatmapSource(weights), name="heatmap", **kwargs)


# --- proposal-based: grid proposals scored by the judge (seed sec. 3.2; issue 18) ---


@dataclass(frozen=True, slots=True)
class ProposalWeights:
    """Term weights of the proposal method, in the order of :meth:`ProposalCropper.terms`.

    ``judge`` weighs the crop scorer's logit (z-scored within the request's candidates when
    the cropper's ``standardise`` is set); ``heatmap`` and ``border`` are the heatmap
    method's attention and border terms on the learned heatmap (0: the heatmap is not run)."""

    judge: float = 1.0
    area: float = 1.0
    centre: float = 1.0
    heatmap: float = 0.0
    border: float = 0.0
    face_cut: float = 10.0


PROPOSAL_WEIGHTS = ProposalWeights(judge=0.05, area=0.25, centre=2.0, heatmap=0.0, border=1.0, face_cut=10.0)
"""Weights of the proposal method: the judge z-scored within the request's candidates, the
size and centre priors and the heatmap's border term; chosen on FCDB's hold-out images
(``cropstudio tune --method proposal --heatmap-terms``, docs/benchmarks.md), never FLMS."""


@dataclass(frozen=True, slots=True, eq=False)
class ProposalAnalysis:
    """Once per image: the scorer's reduced feature maps, faces (and the subjects they come
    from), the image size and, when a heatmap term is weighted, the heatmap's integral."""

    prepared: object
    image_size: tuple[int, int]
    faces: tuple
    weights: str | None
    subjects: Subjects | None = None
    heatmap: MapIntegral | None = None


@dataclass(frozen=True, slots=True, eq=False)
class ScorerTerm:
    """The learned crop score of each candidate (does not decompose: one MLP pass per box,
    batched; the image's backbone pass is in the analysis). ``standardise``: z-scored over
    the candidates of the request, so the weight does not depend on the logit's scale."""

    analysis: ProposalAnalysis
    weight: float = 1.0
    standardise: bool = False
    name: str = "judge"

    def __call__(self, cands) -> np.ndarray:
        from models.scorer.model import load_scorer

        if self.weight == 0 or not len(cands):
            return np.zeros(len(cands))
        w, h = self.analysis.image_size
        boxes = np.stack([cands.x0 / w, cands.y0 / h, cands.x1 / w, cands.y1 / h], axis=1)
        score = load_scorer(self.analysis.weights).score(self.analysis.prepared, boxes, w / h)
        if self.standardise:
            score = (score - score.mean()) / max(float(score.std()), 1e-9)
        return self.weight * score


@dataclass(frozen=True, slots=True)
class _Zero:
    name: str

    def __call__(self, cands) -> np.ndarray:
        return np.zeros(len(cands))


def _judge_path() -> str:
    from models.scorer.model import judge_weights  # imports torch

    return str(judge_weights())


@dataclass(frozen=True, slots=True)
class ProposalCropper:
    """Aspect-ratio grid proposals (every candidate of the exact search's grid that meets the
    constraints) ranked by the judge plus the size/centre priors, optionally the heatmap's
    terms, and the face-cut term. Same ``analyse`` / ``terms`` / ``propose`` interface as the
    attention cropper."""

    weights: ProposalWeights = PROPOSAL_WEIGHTS
    scorer_weights: str | None = None  # None: $CROPSTUDIO_JUDGE_WEIGHTS or the bundled judge
    heatmap_weights: str | None = None  # None: $CROPSTUDIO_HEATMAP_WEIGHTS or the bundled file
    standardise: bool = True  # the judge z-scored over each request's candidates (PROPOSAL_WEIGHTS assume it)
    searcher: object = field(default_factory=lambda: ExhaustiveSearch())
    name: str = "proposal"

    def analyse(self, image: LoadedImage) -> ProposalAnalysis:
        from models.scorer.model import load_scorer

        path = self.scorer_weights if self.scorer_weights is not None else _judge_path()
        prepared = load_scorer(path).prepare(image.rgb)
        size = (image.info.width, image.info.height)
        if self.weights.heatmap or self.weights.border:  # the heatmap source finds the subjects too
            att = HeatmapSource(self.heatmap_weights)(image)
            return ProposalAnalysis(prepared, size, att.faces, path, att.subjects, MapIntegral(att.values, size))
        subjects = image_subjects(image)
        return ProposalAnalysis(prepared, size, tuple(h.face for h in subjects.heads), path, subjects)

    def terms(self, analysis: ProposalAnalysis) -> list:
        w, size, heat = self.weights, analysis.image_size, analysis.heatmap
        return [
            ScorerTerm(analysis, w.judge, self.standardise),
            AreaTerm(size, w.area),
            CentreTerm(size, w.centre),
            AttentionTerm(heat, w.heatmap, name="heatmap") if heat is not None else _Zero("heatmap"),
            BorderTerm(heat, w.border) if heat is not None else _Zero("border"),
            FaceCutTerm(analysis.faces, w.face_cut),
        ]

    def propose(self, analysis: ProposalAnalysis, problem: CropProblem, *, top_k: int = 1) -> tuple[Proposal, ...]:
        return self.searcher.search(problem, self.terms(analysis), top_k=top_k)
