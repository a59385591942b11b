"""Constrained cropping of real images: analyse once, then search per request.

:class:`AttentionCropper` scores crops on the image's attention map (OpenCV saliency plus
the face prior) with size and centre priors and a face-cut penalty. The slow part,
:meth:`analyse`, runs once per image; :meth:`propose` is a few milliseconds per request, so
every target size of a campaign reuses one analysis. The map can come from another
``source``: the learned aesthetic heatmap (:mod:`models.constraints.learned`) plugs in there
and uses the same terms and the same exact search.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from models.attention import AttentionMap, compute_attention
from models.constraints.problem import CropProblem
from models.constraints.search import ExhaustiveSearch, Proposal, Searcher
from models.constraints.terms import (
    AreaTerm,
    AttentionTerm,
    BorderTerm,
    CentreTerm,
    FaceCutTerm,
    MapIntegral,
    ScoreTerm,
)
from models.imaging import LoadedImage

__all__ = ["AttentionAnalysis", "AttentionCropper", "ScoreWeights"]


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Weights of the score terms. Defaults were chosen on FCDB-derived constraint items
    (``docs/benchmarks.md``: the tuning command), never on FLMS."""

    attention: float = 0.25
    area: float = 4.0
    centre: float = 2.0
    border: float = 3.0
    face_cut: float = 10.0


@dataclass(frozen=True, slots=True, eq=False)
class AttentionAnalysis:
    """What :meth:`AttentionCropper.analyse` computes once per image."""

    attention: AttentionMap
    integral: MapIntegral


@dataclass(frozen=True, slots=True)
class AttentionCropper:
    weights: ScoreWeights = ScoreWeights()
    searcher: Searcher = field(default_factory=ExhaustiveSearch)
    saliency: str = "spectral"
    name: str = "attention"
    source: Callable[[LoadedImage], AttentionMap] | None = None  # None: OpenCV saliency + faces

    def analyse(self, image: LoadedImage) -> AttentionAnalysis:
        if self.source is not None:
            att = self.source(image)
        else:
            att = compute_attention(image, method=self.saliency)  # type: ignore[arg-type]
        return AttentionAnalysis(att, MapIntegral(att.values, att.image_size))

    def terms(self, analysis: AttentionAnalysis) -> list[ScoreTerm]:
        size = analysis.attention.image_size
        w = self.weights
        return [
            AttentionTerm(analysis.integral, w.attention),
            AreaTerm(size, w.area),
            CentreTerm(size, w.centre),
            BorderTerm(analysis.integral, w.border),
            FaceCutTerm(analysis.attention.faces, w.face_cut),
        ]

    def propose(self, analysis: AttentionAnalysis, problem: CropProblem, *, top_k: int = 1) -> tuple[Proposal, ...]:
        """The ``top_k`` best crops for ``problem`` (raises InfeasibleError naming the conflict)."""
        return self.searcher.search(problem, self.terms(analysis), top_k=top_k)
