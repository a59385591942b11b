"""The crop methods of the product paths: a literal registry, :data:`METHODS`.

Two kinds. A *searched* method (``searches = True``) scores every candidate of the exact
constrained search (:mod:`models.constraints`), so it is handed the request's problem with
the subject rule already in it (heads as keep or no-cut regions) and its answer satisfies
it by construction. A *fitted* method proposes boxes of its own (the attention rectangles of
the seed, ProCrop's ranked queries), which :func:`models.cropping.engine.refit` then moves to
the nearest box that satisfies the request and the rule. ProCrop's boxes come from its
predictor already in whole pixels (:func:`models.procrop.ranking.rank` snaps them), so the
engine snaps only those it has to move.

Each method's ``prepare(analysis)`` is its once-per-image part (cached in the
:class:`~models.cropping.analysis.Analysis`); the default map of the attention methods is
computed once and shared by ``attention`` and ``tau``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain

import numpy as np

from models.constraints.cropper import AttentionCropper
from models.constraints.problem import CropProblem
from models.errors import InfeasibleError, InvalidInputError
from models.geometry import AspectRatio, Box, fit_ratio_inside, largest_box_with_ratio
from models.procrop.ranking import nms, query_suggestions, rank

from models.cropping.request import Request

# ``Analysis`` (models.cropping.analysis) in the annotations below is not imported: that module
# imports this one (analyse() prepares the methods), and annotations are never evaluated here.

__all__ = ["FREE_RATIOS", "METHODS", "Proposed", "get_method", "method_names", "procrop_name"]

FREE_RATIOS: tuple[float, ...] = (1.0, 4 / 3, 3 / 4, 3 / 2, 2 / 3, 16 / 9)
"""Ratios a searched method tries beside the image's own when the request's ratio is free."""


@dataclass(frozen=True, slots=True)
class Proposed:
    """A fitted method's box (full-resolution pixels), its score and its own answer;
    ``snapped``: the box is whole pixels already, snapped by the method (never snapped twice).
    A fitted method's ``propose`` returns its proposals best first, as any iterable: the
    engine reads them once, in order, and stops at ``k`` crops."""

    box: Box
    score: float | None = None
    details: object = None
    note: str | None = None
    snapped: bool = False
    basis: Box | None = None  # ProCrop: the query's own box before voting; suppression checks it too


@dataclass(frozen=True, slots=True)
class Searched:
    """A cropper of :mod:`models.constraints` (``propose(analysis, problem, top_k)``)."""

    name: str
    build: Callable[[], object]
    shares_attention: bool = False  # its analysis is the default attention analysis
    searches: bool = True

    def prepare(self, analysis: Analysis) -> tuple[object, object]:
        cropper = analysis.cached(("cropper", self.name), self.build)
        if self.shares_attention:
            return cropper, analysis.attention_analysis()
        return cropper, analysis.cached(("state", self.name), lambda: cropper.analyse(analysis.image))

    def search(self, state: tuple[object, object], problem: CropProblem, k: int) -> tuple[tuple[Box, float], ...]:
        cropper, prepared = state
        return tuple((p.box, p.score) for p in cropper.propose(prepared, problem, top_k=k))


@dataclass(frozen=True, slots=True)
class Centred:
    """``centred``: the largest box of the ratio, as centred as the request allows."""

    name: str = "centred"
    searches: bool = False

    def prepare(self, analysis: Analysis) -> None:
        return None

    def propose(self, state: object, request: Request, size: tuple[int, int], k: int) -> tuple[Proposed, ...]:
        w, h = size
        if request.aspect is None:
            return (Proposed(Box(0, 0, w, h)),)
        return (Proposed(largest_box_with_ratio(w, h, request.aspect.value)),)


@dataclass(frozen=True, slots=True)
class Tau:
    """``tau``: the seed's attention rectangles (P1 free, P2 fixed ratio, P3 two regions,
    automatic tau when ``request.tau`` is None) on the shared attention map. When no crop of
    the ratio keeps tau, the crop keeping the most is proposed with a note (the engine
    raises, with that crop as the error's fallback)."""

    name: str = "tau"
    searches: bool = False

    def prepare(self, analysis: Analysis) -> object:
        return analysis.prepared_attention()

    def propose(self, state, request: Request, size: tuple[int, int], k: int) -> tuple[Proposed, ...]:
        try:
            crop = state.crop(tau=request.tau, aspect=request.aspect, regions=request.regions,
                              ratio_bounds=request.free_ratio_bounds)  # fmt: skip
        except InfeasibleError as exc:
            if request.aspect is None:
                raise
            best = state.search.max_kept_with_ratio(state.attention.pixel_ratio_to_cells(request.aspect.value))
            if best <= 0:
                raise
            crop = state.crop(tau=best * (1 - 1e-9), aspect=request.aspect)
            return (Proposed(crop.boxes[0], crop.kept, crop, note=f"infeasible: {exc}"),)
        boxes = sorted(crop.boxes, key=lambda b: -b.area)
        return tuple(Proposed(b, crop.kept, crop, note=crop.note) for b in boxes)


@dataclass(frozen=True, slots=True)
class ProCrop:
    """``procrop``: ProCrop's queries (re-ranked by the crop scorer unless ``rerank`` is off),
    best first, in whole pixels fitted to the ratio (:func:`~models.procrop.ranking.rank`, which
    snaps them; each kept box the vote of the queries near it unless ``vote`` is off); the
    engine re-fits those the layout or the subject rule refuses and keeps them diverse."""

    name: str = "procrop"
    rerank: bool = True
    vote: bool = True
    searches: bool = False

    @property
    def key(self) -> tuple:
        """Where the image's queries are cached in an Analysis (a caller that ran the predictor
        itself puts them there: ``analysis.cached(method.key, lambda: queries)``); voting only
        ranks them, so the voted and unvoted methods share one analysis."""
        return ("procrop", self.rerank)

    def prepare(self, analysis: Analysis) -> object:
        def run():
            from models.procrop.predictor import load_predictor  # imports torch

            predictor = load_predictor(*analysis.procrop_files)
            with analysis.lock:
                predictor.set_image(analysis.image.rgb, size=analysis.image_size, rerank=self.rerank)
                return predictor.queries

        return analysis.cached(self.key, run)

    def propose(self, state, request: Request, size: tuple[int, int], k: int) -> Iterable[Proposed]:
        """The predictor's voted suggestions (suppression with box voting at the engine's default
        diversity), then every query's own box, best first, for the boxes the layout or the
        subject rule moves onto another (the engine drops those that repeat one), then at a
        fixed ratio the tighter framings. Only the voted list is built here: the rest is
        built as far as the engine reads it (it stops at ``k`` crops)."""
        if state.image_size != size:
            raise InvalidInputError(f"ProCrop's queries are for a {state.image_size} image, the request's is {size}")
        aspect = request.aspect.value if request.aspect is not None else None
        voted = rank(state, len(state.scores), aspect=aspect, iou_threshold=TIGHTER_IOU, vote=self.vote)
        fitted = (Proposed(s.box, s.score, snapped=True, basis=s.query)
                  for s in chain(voted.items, query_suggestions(state, aspect=aspect)))  # fmt: skip
        return fitted if aspect is None else chain(fitted, _tighter(state, aspect))


def procrop_name(rerank: bool = True, vote: bool = True) -> str:
    """The name of the ProCrop method with these switches: ``procrop``, ``procrop-no-rerank``,
    ``procrop-no-vote``, ``procrop-no-rerank-no-vote``."""
    return "procrop" + ("" if rerank else "-no-rerank") + ("" if vote else "-no-vote")


TIGHTER = "a tighter framing: the largest box of the ratio inside a proposal"
TIGHTER_IOU = 0.7  # the engine's default diversity: tighter framings (and voted suggestions) closer than this are one


def _tighter(queries, aspect: float) -> Iterator[Proposed]:
    """The largest box of ``aspect`` inside each query, best query first, ranked after every
    box fitted around one: at a ratio far from the image's (16:9 of a portrait), the boxes
    fitted around ProCrop's queries are nearly all the same full-width box, and these give
    the photographer ``k`` distinct framings. Each scores its query's score times the lowest
    query score (the lowest of the fitted boxes, which are every query's), so the list stays
    best first and the fitted boxes come first. Built when the engine first asks for one."""
    scores = np.asarray(queries.scores, np.float64)
    floor = float(scores.min()) if len(scores) else 1.0
    inside = [fit_ratio_inside(Box(*(float(v) for v in b)), aspect) for b in queries.pixel_boxes()]
    # near-duplicates dropped before the engine re-fits them (a re-fit costs about a millisecond)
    keep = nms(np.array([b.as_tuple() for b in inside], np.float64).reshape(-1, 4), scores, TIGHTER_IOU, len(inside))
    yield from (Proposed(inside[i], floor * float(scores[i]), note=TIGHTER) for i in keep)


def _heatmap(searcher: str = "exhaustive") -> Callable[[], object]:
    def build():
        from models.constraints.learned import heatmap_cropper

        if searcher == "optuna":
            from models.constraints.blackbox import OptunaSearch

            return heatmap_cropper(searcher=OptunaSearch())
        return heatmap_cropper()

    return build


def _optuna_attention() -> object:
    from models.constraints.blackbox import OptunaSearch

    return AttentionCropper(searcher=OptunaSearch())


def _proposal() -> object:
    from models.constraints.learned import ProposalCropper

    return ProposalCropper()


METHODS: dict[str, object] = {
    "attention": Searched("attention", AttentionCropper, shares_attention=True),
    "saliency": Searched("saliency", AttentionCropper, shares_attention=True),
    "attention-optuna": Searched("attention-optuna", _optuna_attention, shares_attention=True),
    "heatmap": Searched("heatmap", _heatmap()),
    "heatmap-optuna": Searched("heatmap-optuna", _heatmap("optuna")),
    "proposal": Searched("proposal", _proposal),
    "centred": Centred(),
    "tau": Tau(),
    **{procrop_name(r, v): ProCrop(procrop_name(r, v), rerank=r, vote=v) for r in (True, False) for v in (True, False)},
}
"""Method name -> method. ``attention`` (the default): the design-constraints score on the
attention map, exact search; ``saliency`` another name for it; ``heatmap`` the same search on
the learned aesthetic heatmap; ``proposal`` the learned crop scorer over the grid; ``*-optuna``
the same scores searched by Optuna; ``centred`` the largest centred box; ``tau`` the seed's
attention rectangles; ``procrop`` ProCrop's suggestions (``-no-rerank``: by the decoder's
scores alone; ``-no-vote``: the queries' own boxes, without box voting)."""


def method_names() -> tuple[str, ...]:
    return tuple(METHODS)


def get_method(name: str):
    if name not in METHODS:
        raise InvalidInputError(f"unknown method {name!r}; available: {', '.join(METHODS)}")
    return METHODS[name]


def free_ratios(size: tuple[int, int]) -> tuple[AspectRatio, ...]:
    """The ratios a searched method tries for a free-ratio request: the image's, then the common ones."""
    w, h = size
    return tuple(AspectRatio(r, 1.0) for r in (w / h, *FREE_RATIOS))



