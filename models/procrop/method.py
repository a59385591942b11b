"""``procrop`` (and its ablations) for ``cropstudio eval``: the top-1 suggestion (and the top
three, ranked, for the best-of-top-3 IoU).

Registered for the ``annotations`` task (free cropping); ``--constraints --method procrop``
runs it on design-constraint items too. A required ratio re-fits every proposal to it, and a
layout re-fits each to the constrained box of that ratio nearest it
(:func:`~models.procrop.ranking.rank`), so every crop satisfies the request.
``procrop-no-retrieval`` runs the same weights with the fusion skipped (references removed
at inference); the seed's ablation proper is a model trained with ``--no-retrieval``.
``procrop-no-rerank`` ranks by the decoder's scores alone, without the crop scorer
(:mod:`models.procrop.rerank`); ``procrop-no-vote`` shows the queries' own boxes, without box
voting (:mod:`models.procrop.vote`).
"""

from __future__ import annotations

from dataclasses import dataclass

from models.errors import InvalidInputError
from models.eval.protocol import CropRequest
from models.eval.registry import register_method
from models.geometry import Box
from models.imaging import LoadedImage
from models.procrop.predictor import load_predictor
from models.procrop.ranking import Queries, rank

__all__ = ["ProCropMethod"]


@dataclass(frozen=True, slots=True)
class ProCropMethod:
    retrieval: bool = True
    rerank: bool = True
    vote: bool = True
    name: str = "procrop"

    def analyse(self, image: LoadedImage) -> Queries:
        predictor = load_predictor()
        size = (image.info.width, image.info.height)  # the request's pixels
        predictor.set_image(image.rgb, size=size, retrieval=self.retrieval, rerank=self.rerank)
        return predictor.queries  # a snapshot: every request of this image is ranked from it

    def crop(self, analysis: object, request: CropRequest) -> Box:
        return self.ranked(analysis, request, 1)[0]

    def ranked(self, analysis: object, request: CropRequest, k: int) -> tuple[Box, ...]:
        """The ``k`` best diverse suggestions for ``request`` in its pixels (whole pixels, as
        :func:`rank` snaps them): re-fitted to its ratio, and to its layout (keep / avoid
        regions) when it has one."""
        if not isinstance(analysis, Queries):
            raise InvalidInputError(f"{self.name} needs its own analysis, got {type(analysis).__name__}")
        if tuple(request.image_size) != analysis.image_size:
            raise InvalidInputError(f"{self.name}: the request is for a {request.image_size} image, "
                                    f"its analysis for {analysis.image_size}")  # fmt: skip
        found = rank(analysis, k, aspect=request.aspect, keep=tuple(request.keep), avoid=tuple(request.avoid),
                     vote=self.vote)
        return tuple(s.box for s in found.items)


register_method("procrop", ProCropMethod, tasks=("annotations",))
register_method("procrop-no-retrieval", lambda: ProCropMethod(retrieval=False, name="procrop-no-retrieval"),
                tasks=("annotations",), by_default=False)  # fmt: skip
register_method("procrop-no-rerank", lambda: ProCropMethod(rerank=False, name="procrop-no-rerank"),
                tasks=("annotations",), by_default=False)  # fmt: skip
register_method("procrop-no-vote", lambda: ProCropMethod(vote=False, name="procrop-no-vote"),
                tasks=("annotations",), by_default=False)  # fmt: skip
