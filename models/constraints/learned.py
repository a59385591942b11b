"""The two learned score sources of the design-constraints seed, on the same engine.

``heatmap_cropper()`` is an :class:`~models.constraints.cropper.AttentionCropper` whose
map is the heatmap network's output (seed sec. 3.3) plus the face prior, so every term
(the heatmap integral, size and centre priors, border and face-cut penalties) and the exact
exhaustive search are the same as for the saliency map. Weights of the terms were chosen
on the hold-out part of FCDB (``cropstudio tune --method heatmap``), never on FLMS.

:class:`ProposalCropper` is the proposal-based approach (seed sec. 3.2): every candidate of
the search grid that meets the constraints (the aspect-ratio grid proposals) is scored by
the learned crop scorer (:mod:`models.scorer`) plus size and centre priors and the face-cut
term. The scorer does not decompose over a summed-area table, so it costs one MLP pass per
candidate, batched (milliseconds for the few thousand candidates of a request).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from models.attention.saliency import AttentionMap, face_prior, normalise
from models.constraints.cropper import AttentionCropper, ScoreWeights
from models.constraints.problem import CropProblem
from models.constraints.search import ExhaustiveSearch, Proposal
from models.constraints.terms import AreaTerm, CentreTerm, FaceCutTerm
from models.imaging import LoadedImage
from models.subjects import Subjects, image_subjects

__all__ = ["HEATMAP_WEIGHTS", "PROPOSAL_WEIGHTS", "HeatmapSource", "ProposalCropper", "ScorerTerm", "heatmap_cropper"]

log = logging.getLogger(__name__)

HEATMAP_WEIGHTS = ScoreWeights(attention=1.0, area=0.25, centre=0.5, border=0.3, face_cut=10.0)
"""Term weights for the heatmap; chosen on FCDB's hold-out images (docs/benchmarks.md)."""

_models: dict[str, object] = {}
_lock = threading.Lock()


def _model(weights: str | os.PathLike | None):
    from models.heatmap.model import default_weights, load_heatmap_model  # imports torch

    path = str(Path(weights) if weights is not None else default_weights())
    with _lock:  # one copy per process, whichever thread asks first
        if path not in _models:
            _models[path] = load_heatmap_model(path)
        return _models[path]


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


# --- proposal-based: grid proposals scored by the learned crop scorer (seed sec. 3.2) ---

PROPOSAL_WEIGHTS = ScoreWeights(attention=0.05, area=2.0, centre=0.5, border=0.0, face_cut=10.0)
"""Weights of the proposal method (``attention`` weighs the scorer's logit); chosen on
FCDB's hold-out images (docs/benchmarks.md)."""


@dataclass(frozen=True, slots=True, eq=False)
class ProposalAnalysis:
    """Once per image: the scorer's reduced feature maps, faces (and the subjects they come
    from) and the image size."""

    prepared: object
    image_size: tuple[int, int]
    faces: tuple
    weights: str | None
    subjects: Subjects | None = None


@dataclass(frozen=True, slots=True, eq=False)
class ScorerTerm:
    """The learned crop score of each candidate (does not decompose: one MLP pass per box)."""

    analysis: ProposalAnalysis
    weight: float = 1.0
    name: str = "scorer"

    def __call__(self, cands) -> np.ndarray:
        from models.scorer.model import load_scorer

        if self.weight == 0 or not len(cands):
            return np.zeros(len(cands))
        w, h = self.analysis.image_size
        boxes = np.stack([cands.x0 / w, cands.y0 / h, cands.x1 / w, cands.y1 / h], axis=1)
        return self.weight * load_scorer(self.analysis.weights).score(self.analysis.prepared, boxes, w / h)


@dataclass(frozen=True, slots=True)
class _Zero:
    name: str = "none"

    def __call__(self, cands) -> np.ndarray:
        return np.zeros(len(cands))


@dataclass(frozen=True, slots=True)
class ProposalCropper:
    """Aspect-ratio grid proposals (every candidate of the exact search's grid that meets the
    constraints) ranked by the crop scorer plus the size/centre priors and the face-cut term.
    Same ``analyse`` / ``terms`` / ``propose`` interface as the attention cropper."""

    weights: ScoreWeights = PROPOSAL_WEIGHTS
    scorer_weights: str | None = None  # None: $CROPSTUDIO_SCORER_WEIGHTS or the bundled file
    searcher: object = field(default_factory=lambda: ExhaustiveSearch())
    name: str = "proposal"

    def analyse(self, image: LoadedImage) -> ProposalAnalysis:
        from models.scorer.model import load_scorer

        prepared = load_scorer(self.scorer_weights).prepare(image.rgb)
        subjects = image_subjects(image)
        faces = tuple(h.face for h in subjects.heads)
        return ProposalAnalysis(prepared, (image.info.width, image.info.height), faces, self.scorer_weights, subjects)

    def terms(self, analysis: ProposalAnalysis) -> list:
        w = self.weights
        size = analysis.image_size
        return [
            ScorerTerm(analysis, w.attention),
            AreaTerm(size, w.area),
            CentreTerm(size, w.centre),
            _Zero(),
            FaceCutTerm(analysis.faces, w.face_cut),
        ]

    def propose(self, analysis: ProposalAnalysis, problem: CropProblem, *, top_k: int = 1) -> tuple[Proposal, ...]:
        return self.searcher.search(problem, self.terms(analysis), top_k=top_k)
