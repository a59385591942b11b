"""``procrop`` (and its ablations) for ``cropstudio eval``: the top-1 suggestion (and the top
three, ranked, for the best-of-top-3 IoU).

Registered for the ``annotations`` task (free cropping); ``--constraints --method procrop``
runs it on design-constraint items too. A required ratio re-fits every proposal to it, and a
layout re-fits each to the constrained box of that ratio nearest it
(:func:`~models.procrop.predictor.rank`), so every crop satisfies the request.
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
from models.procrop.predictor import Queries, load_predictor, rank

__all__ = ["ProCropMethod"]


@dataclass(frozen=True, slots=True)
class ProCropMethod:
    retrieval: bool = True
    rerank: bool = True
    name: str = "procrop"

    def analyse(self, image: LoadedImage) -> Queries:
        predictor = load_predictor()
        predictor.set_image(image.rgb, retrieval=self.retrieval, rerank=self.rerank)
        return predictor.queries  # a snapshot: every request of this image is ranked from it

    def crop(self, analysis: object, request: CropRequest) -> Box:
        return self.ranked(analysis, request, 1)[0]

    def ranked(self, analysis: object, request: CropRequest, k: int) -> tuple[Box, ...]:
        """The ``k`` best diverse suggestions for ``request`` in its pixels: re-fitted to its
        ratio, and to its layout (keep / avoid regions) when it has one."""
        if not isinstance(analysis, Queries):
            raise InvalidInputError(f"{self.name} needs its own analysis, got {type(analysis).__name__}")
        w, h = request.image_size
        norm = lambda boxes: tuple(Box(*b.to_normalized(w, h)) for b in boxes)  # noqa: E731
        found = rank(analysis, k, aspect=request.aspect, keep=norm(request.keep), avoid=norm(request.avoid))
        return tuple(Box.from_normalized(s.box.as_tuple(), w, h) for s in found.items)


register_method("procrop", ProCropMethod, tasks=("annotations",))
register_method("procrop-no-retrieval", lambda: ProCropMethod(retrieval=False, name="procrop-no-retrieval"),
                tasks=("annotations",), by_default=False)  # fmt: skip
register_method("procrop-no-rerank", lambda: ProCropMethod(rerank=False, name="procrop-no-rerank"),
                tasks=("annotations",), by_default=False)  # fmt: skip
