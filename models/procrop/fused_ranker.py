"""The judge with the learned heatmap and two geometric priors, as a
:class:`~models.eval.ranking.BoxRanker`: ``judge-heatmap``.

    score = s + area * a + heatmap * h - centre * d

with ``s`` the judge's score of the box (:mod:`models.scorer`, the bundled
``scorer-judge-lite0.pt`` or ``$CROPSTUDIO_JUDGE_WEIGHTS``), ``a`` the box's area fraction,
``h`` the learned heatmap's attention term (:func:`models.procrop.rerank.heatmap_attention`: its
mass inside the box minus the box's area fraction, the term ProCrop's re-ranking adds) and
``d`` the distance of the box's centre from the image's, in image fractions. The weights are
raw, not z-scores, so a box's score does not depend on which other boxes are ranked with it.

:data:`FUSED_AREA`, :data:`FUSED_HEATMAP` and :data:`FUSED_CENTRE` were chosen on FCDB's
hold-out fifth (270 images, which neither the judge nor the heatmap trained on), never on
FLMS: the grid point with the best ACC1/5 + 100 SRCC on the graded proxy
(:mod:`tests.bench.graded_proxy`) whose pair accuracy on the human ranking pairs is not below
the judge's alone. docs/benchmarks.md has the grid, its split-half check and the command.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.errors import InvalidInputError
from models.eval.ranking import register_ranker
from models.imaging import LoadedImage
from models.procrop.rerank import heatmap_attention

__all__ = ["FUSED_AREA", "FUSED_CENTRE", "FUSED_HEATMAP", "FusedRanker", "FusedView"]

FUSED_AREA = 8.0
FUSED_HEATMAP = 32.0
FUSED_CENTRE = 4.0


@dataclass(frozen=True, slots=True)
class FusedView:
    """What :meth:`FusedRanker.prepare` keeps of one image: the judge and its maps, the
    heatmap and the image's size in pixels."""

    judge: object
    maps: object
    heat: np.ndarray
    size: tuple[int, int]


@dataclass(frozen=True, slots=True)
class FusedRanker:
    """``judge-heatmap``: see the module docstring. One judge and one heatmap backbone pass
    per image (each model loaded once per process)."""

    area: float = FUSED_AREA
    heatmap: float = FUSED_HEATMAP
    centre: float = FUSED_CENTRE
    name: str = "judge-heatmap"

    def prepare(self, image: LoadedImage) -> FusedView:
        from models.heatmap.model import shared_heatmap_model  # imports torch
        from models.scorer.model import judge_weights, load_scorer

        judge = load_scorer(judge_weights())
        heat = shared_heatmap_model().predict(image.rgb)
        return FusedView(judge, judge.prepare(image.rgb), heat, (image.info.width, image.info.height))

    def score(self, prepared: object, boxes: np.ndarray, image_ratio: float) -> np.ndarray:
        if not isinstance(prepared, FusedView):
            raise InvalidInputError(f"{self.name}: prepare() first")
        b = np.asarray(boxes, np.float64).reshape(-1, 4)
        area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
        off = np.hypot((b[:, 0] + b[:, 2]) / 2 - 0.5, (b[:, 1] + b[:, 3]) / 2 - 0.5)
        judged = np.asarray(prepared.judge.score(prepared.maps, b, image_ratio), np.float64)  # type: ignore[attr-defined]
        attention = heatmap_attention(prepared.heat, b, prepared.size)
        return judged + self.area * area + self.heatmap * attention - self.centre * off


register_ranker("judge-heatmap", FusedRanker)
