"""The crop scorer as a :class:`~models.eval.ranking.BoxRanker`: one backbone pass per image,
then any number of boxes.

* ``judge`` - the judge weights (``$CROPSTUDIO_JUDGE_WEIGHTS`` or the bundled
  ``scorer-judge-lite0.pt``: RoD features, FCDB + pro_portraits view finding);
* ``scorer`` - the previous scorer, FCDB pairs + expert crops, no RoD
  (``$CROPSTUDIO_SCORER_WEIGHTS`` or the bundled ``scorer-lite0.pt``): the baseline the
  judge replaced in ProCrop's re-ranking and the proposal method.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from models.eval.ranking import register_ranker
from models.imaging import LoadedImage

__all__ = ["ScorerRanker"]


@dataclass(frozen=True, slots=True)
class ScorerRanker:
    weights: str | os.PathLike | None = None
    name: str = "scorer"
    judge: bool = False  # weights None: the judge's file instead of the re-ranking scorer's

    def prepare(self, image: LoadedImage) -> object:
        from models.scorer.model import judge_weights, load_scorer  # imports torch

        model = load_scorer(self.weights if self.weights is not None or not self.judge else judge_weights())
        return model, model.prepare(image.rgb)

    def score(self, prepared: object, boxes: np.ndarray, image_ratio: float) -> np.ndarray:
        model, maps = prepared  # type: ignore[misc]
        return model.score(maps, np.asarray(boxes, np.float64).reshape(-1, 4), image_ratio)


def _judge() -> ScorerRanker:
    return ScorerRanker(name="judge", judge=True)


register_ranker("judge", _judge)
register_ranker("scorer", ScorerRanker)
