"""``procrop`` (and its ablations) for ``cropstudio eval``: the top-1 suggestion (and the top
three, ranked, for the best-of-top-3 IoU).

Registered for the ``annotations`` task (free cropping). With a required ratio, the top
suggestion is re-fitted to it (see :meth:`~models.procrop.predictor.ProCropPredictor.suggest`).
``procrop-no-retrieval`` runs the same weights with the fusion skipped (references removed
at inference); the seed's ablation proper is a model trained with ``--no-retrieval``.
``procrop-no-rerank`` ranks by the decoder's scores alone, without the crop scorer
(:mod:`models.procrop.rerank`).
"""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import InvalidInputError
from models.eval.protocol import CropRequest
from models.eval.registry import register_method
from models.geometry import Box
from models.imaging import LoadedImage
from models.procrop.predictor import Suggestions, load_predictor

__all__ = ["ProCropMethod"]


@dataclass(frozen=True, slots=True)
class ProCropMethod:
    retrieval: bool = True
    rerank: bool = True
    name: str = "procrop"

    def analyse(self, image: LoadedImage) -> Suggestions:
        predictor = load_predictor()
        predictor.set_image(image.rgb, retrieval=self.retrieval, rerank=self.rerank)
        return predictor.suggest(3)  # diverse top three; the first is the top-1 crop

    def crop(self, analysis: object, request: CropRequest) -> Box:
        return self.ranked(analysis, request, 1)[0]

    def ranked(self, analysis: object, request: CropRequest, k: int) -> tuple[Box, ...]:
        if not isinstance(analysis, Suggestions):
            raise InvalidInputError(f"{self.name} needs its own analysis, got {type(analysis).__name__}")
        w, h = request.image_size
        boxes = [Box.from_normalized(s.box.as_tuple(), w, h) for s in analysis.items[:k]]
        if request.aspect is not None:
            from models.geometry import fit_ratio_around

            boxes = [fit_ratio_around(b, request.aspect, w, h) for b in boxes]
        return tuple(boxes)


register_method("procrop", ProCropMethod, tasks=("annotations",))
register_method("procrop-no-retrieval", lambda: ProCropMethod(retrieval=False, name="procrop-no-retrieval"),
                tasks=("annotations",), by_default=False)  # fmt: skip
register_method("procrop-no-rerank", lambda: ProCropMethod(rerank=False, name="procrop-no-rerank"),
                tasks=("annotations",), by_default=False)  # fmt: skip
