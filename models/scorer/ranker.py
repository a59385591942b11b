"""The crop scorer as a :class:`~models.eval.ranking.BoxRanker` (``scorer``): one backbone
pass per image, then any number of boxes. Weights: ``$CROPSTUDIO_SCORER_WEIGHTS`` or the
bundled file (:func:`models.scorer.model.load_scorer`), or ``weights`` when given."""

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

    def prepare(self, image: LoadedImage) -> object:
        from models.scorer.model import load_scorer  # imports torch

        model = load_scorer(self.weights)
        return model, model.prepare(image.rgb)

    def score(self, prepared: object, boxes: np.ndarray, image_ratio: float) -> np.ndarray:
        model, maps = prepared  # type: ignore[misc]
        return model.score(maps, np.asarray(boxes, np.float64).reshape(-1, 4), image_ratio)


register_ranker("scorer", ScorerRanker)
