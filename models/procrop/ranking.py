"""Ranking one image's ProCrop queries into suggestions, in whole pixels of the upright image.

:class:`Queries` is everything :meth:`~models.procrop.predictor.ProCropPredictor.set_image`
computed for one image (every query's box and score, the references, the image's size);
:func:`rank` turns it into ranked, diverse suggestions for any request (an aspect ratio,
layout regions to keep in and leave out), as often as wanted, without the network:
by score, dropping a box that overlaps a better one by more than ``iou_threshold``
(non-maximum suppression), each kept box the vote of the queries that agree with it
(:mod:`models.procrop.vote`); an aspect ratio re-fits each box (the smallest box of the ratio
around it, inside the image); layout regions re-fit each proposal, best first, to the
constrained box that overlaps it most (:func:`~models.constraints.fit.nearest_candidate`,
the engine's re-fit, over the exact candidate set of the constrained search). Every
suggestion is snapped once, by the project's one snapper
(:func:`~models.constraints.search.snap_to_pixels`). :func:`query_suggestions` is the lazy,
unsuppressed list of every query's own box, for a caller that reads only a few.

Numpy only (no torch): the queries are arrays, so the evaluation and the suggestion engine
can keep them per image and rank them later.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from models.box_arrays import iou_matrix
from models.constraints.fit import nearest_candidate
from models.constraints.problem import CropProblem, check_feasible
from models.constraints.search import snap_to_pixels
from models.errors import InfeasibleError, InvalidInputError
from models.geometry import AspectRatio, Box, fit_ratio_around
from models.procrop.vote import VOTE_IOU, Ballot, voted_suggestions

__all__ = ["Queries", "Suggestion", "Suggestions", "check_size", "nms", "query_suggestions", "rank"]


@dataclass(frozen=True, slots=True)
class Suggestion:
    """One proposal: ``box`` in whole pixels of the upright image, ``score`` in (0, 1) (higher is better: the decoder's
    score, fused with the crop scorer's when re-ranking), ``rank`` from 0. ``query``: the
    best voter's own box (pixels, re-fitted to the ratio, unsnapped) before box voting
    (:mod:`models.procrop.vote`) made ``box``; suppression between suggestions checks both."""

    box: Box
    score: float
    rank: int
    query: Box | None = None


@dataclass(frozen=True, slots=True)
class Suggestions:
    """Ranked proposals and the ids of the references retrieved for the image."""

    items: tuple[Suggestion, ...]
    references: tuple[str, ...]
    similarities: tuple[float, ...]


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float, limit: int) -> list[int]:
    """Indices of at most ``limit`` boxes, best score first, none overlapping a kept one by
    more than ``iou_threshold``."""
    order = np.argsort(-scores, kind="stable")
    iou = iou_matrix(boxes, boxes)
    keep: list[int] = []
    for i in order:
        if all(iou[i, j] <= iou_threshold for j in keep):
            keep.append(int(i))
            if len(keep) == limit:
                break
    return keep


@dataclass(frozen=True, eq=False)
class Queries:
    """Everything :meth:`~models.procrop.predictor.ProCropPredictor.set_image` computed for one
    image: every query's box and ranking score, the retrieved references and the image's
    full-resolution size.
    :func:`rank` turns it into pixel suggestions, so it can be kept per image and ranked later
    for any number of requests (the evaluation does).

    ``boxes`` is internal: the network's output, normalised to [0, 1]; callers read boxes
    from :func:`rank` (or :meth:`pixel_boxes`), in pixels of ``image_size``."""

    boxes: np.ndarray  # [Q, 4] normalised x0, y0, x1, y1 (internal)
    scores: np.ndarray  # [Q] in (0, 1)
    references: tuple[str, ...]
    similarities: tuple[float, ...]
    image_size: tuple[int, int]  # (W, H): full-resolution pixels of the upright image

    def __post_init__(self) -> None:
        check_size(self.image_size)

    @property
    def ratio(self) -> float:
        """The image's width / height in pixels."""
        return self.image_size[0] / self.image_size[1]

    def pixel_boxes(self) -> np.ndarray:
        """``[Q, 4]`` every query's box in pixels of ``image_size`` (unsnapped, inside the image)."""
        w, h = self.image_size
        return np.clip(self.boxes, 0.0, 1.0) * np.array([w, h, w, h], dtype=np.float64)


def check_size(size: tuple[int, int]) -> tuple[int, int]:
    """``size`` as ``(W, H)`` ints; InvalidInputError unless two positive whole numbers."""
    if not (len(size) == 2 and all(isinstance(v, (int, np.integer)) and v > 0 for v in size)):
        raise InvalidInputError(f"image size must be two positive whole numbers of pixels (W, H), got {size!r}")
    return (int(size[0]), int(size[1]))


def rank(
    queries: Queries,
    top_k: int = 5,
    *,
    aspect: float | None = None,
    iou_threshold: float = 0.7,
    keep: tuple[Box, ...] = (),
    avoid: tuple[Box, ...] = (),
    vote: bool = True,
) -> Suggestions:
    """``top_k`` ranked, diverse crops from one image's ``queries``, in whole pixels.

    Every box in and out is in full-resolution pixels of ``queries.image_size`` (the upright
    image, half-open). ``aspect`` (crop width / height in pixels) re-fits every box to that
    ratio before ranking; ``iou_threshold`` is the largest overlap allowed between two
    suggestions. ``keep`` / ``avoid``: regions every suggestion keeps in / leaves out
    (:class:`~models.errors.InfeasibleError` naming the conflict when none can). Each
    suggestion is snapped once, by :func:`~models.constraints.search.snap_to_pixels`: its
    edges are whole pixels inside the image and its ratio is ``aspect`` within a pixel.
    ``vote``: each kept box is the vote of the queries near it (:mod:`models.procrop.vote`);
    ``False`` shows the queries' own boxes (plain non-maximum suppression).
    """
    if top_k < 1:
        raise InvalidInputError(f"top_k must be at least 1, got {top_k}")
    if not 0 <= iou_threshold <= 1:
        raise InvalidInputError(f"iou_threshold must be in [0, 1], got {iou_threshold}")
    if aspect is not None and not (aspect > 0 and np.isfinite(aspect)):
        raise InvalidInputError(f"aspect must be a positive number, got {aspect!r}")
    c = queries
    if keep or avoid:
        return _constrained(c, top_k, aspect, iou_threshold, tuple(keep), tuple(avoid), vote)
    w, h = c.image_size
    boxes = [_query_box(b, aspect, c.image_size) for b in c.pixel_boxes()]
    refit = None
    if aspect is not None:
        refit = lambda v: np.array(fit_ratio_around(Box(*v), aspect, w, h).as_tuple())  # noqa: E731
    arr = np.array([b.as_tuple() for b in boxes], dtype=np.float64).reshape(-1, 4)
    # with only exact copies voting (overlap 1), the shown boxes are the queries' own
    chosen = voted_suggestions(arr, c.scores, iou_threshold, top_k, refit=refit, iou=VOTE_IOU if vote else 1.0)
    items = tuple(Suggestion(_snap(Box(*v), aspect, c.image_size), float(c.scores[i]), r, boxes[i])
                  for r, (i, v) in enumerate(chosen))  # fmt: skip
    return Suggestions(items, c.references, c.similarities)


def query_suggestions(queries: Queries, *, aspect: float | None = None) -> Iterator[Suggestion]:
    """Every query's own box, best first, re-fitted to ``aspect`` and snapped as :func:`rank`
    does (no suppression, no voting; ``query``: the box before the snap), one at a time, so a
    caller taking a few pays for a few. ``aspect`` is validated by the caller (:func:`rank`)."""
    pixels = queries.pixel_boxes()
    for r, i in enumerate(np.argsort(-queries.scores, kind="stable")):
        box = _query_box(pixels[i], aspect, queries.image_size)
        yield Suggestion(_snap(box, aspect, queries.image_size), float(queries.scores[i]), r, box)


def _query_box(pixels: np.ndarray, aspect: float | None, size: tuple[int, int]) -> Box:
    """A query's box (``pixels``, a row of :meth:`Queries.pixel_boxes`), re-fitted to ``aspect``
    (the smallest box of the ratio around it, inside the image) unless that is None."""
    box = Box(*(float(v) for v in pixels))
    return box if aspect is None else fit_ratio_around(box, aspect, *size)


def _snap(box: Box, aspect: float | None, size: tuple[int, int]) -> Box:
    """``box`` (inside the image) in whole pixels, its ratio ``aspect`` within a pixel. A free
    crop has no ratio to keep: it is snapped at its nearest whole-pixel box's ratio, so its
    edges move by less than a pixel (at its own exact ratio a thin box's would move several)."""
    if aspect is None:
        near = box.rounded()
        ratio = max(near.width, 1) / max(near.height, 1)
    else:
        ratio = aspect
    return snap_to_pixels(box, CropProblem(size, AspectRatio(ratio, 1.0)))


def _constrained(c: Queries, top_k: int, aspect: float | None, iou_threshold: float,
                 keep: tuple[Box, ...], avoid: tuple[Box, ...], vote: bool = True) -> Suggestions:  # fmt: skip
    """Proposals best first, each re-fitted to the layout in the image's pixel grid and
    snapped; diverse by ``iou_threshold``."""
    size = c.image_size
    if aspect is not None:
        check_feasible(CropProblem(size, AspectRatio(aspect, 1.0), keep, avoid))
    boxes = c.pixel_boxes()
    ballot = Ballot(boxes, c.scores, iou=VOTE_IOU if vote else 1.0)
    chosen: list[tuple[Box, float, Box]] = []
    for i in np.argsort(-c.scores, kind="stable"):
        p = Box(*(float(v) for v in ballot.box(int(i))))
        ratio = aspect if aspect is not None else round(p.width / max(p.height, 1e-9), 3)
        problem = CropProblem(size, AspectRatio(ratio, 1.0), keep, avoid)
        try:
            check_feasible(problem)
            box = nearest_candidate(p, problem)
        except InfeasibleError:  # a proposal of a ratio that cannot hold the regions
            continue
        if all(box.iou(other) <= iou_threshold for other, _, _ in chosen):
            chosen.append((box, float(c.scores[i]), Box(*(float(v) for v in boxes[i]))))
            ballot.keep(int(i))
            if len(chosen) == top_k:
                break
    if not chosen:
        raise InfeasibleError("no crop suggestion can keep every keep region in and every avoid region out")
    items = tuple(Suggestion(b, sc, r, q) for r, (b, sc, q) in enumerate(chosen))
    return Suggestions(items, c.references, c.similarities)

