"""Box voting: each suggestion becomes the consensus of the queries that agree with it.

ProCrop's decoder (three members of ~90 queries each) proposes many near-copies of every good
crop; non-maximum suppression keeps the best-scored copy of each and drops the rest. Voting
(as in detection's box voting and weighted box fusion) uses them instead: a kept query's box
is replaced, coordinate by coordinate, by the weighted median of the boxes of every query
that overlaps it by at least :data:`VOTE_IOU` (itself among them), each weighted by
``exp((logit - best logit) / VOTE_TEMPERATURE)`` of its ranking score (at temperature 1, in
proportion to its odds ``p / (1 - p)``). The median, unlike the mean, keeps an edge on the
image border when most of the weight is there (a good photograph left whole stays whole),
and each voted coordinate is one of the voters' own, so a voted box lies inside the image and
``x0 < x1``, ``y0 < y1`` whenever every voter's do.

:func:`voted_suggestions` is non-maximum suppression with voting, the one loop the
predictor's free and fixed-ratio rankings and the evaluation bench share: queries in score
order, each suppressed when its own box overlaps a kept query's box by more than the
suppression threshold (as plain NMS); a kept query's voters are the queries no better kept
query took (:class:`Ballot`), so a runner-up is not pulled toward the near-copies of the
best suggestion, and the suggestions shown stay diverse.

``VOTE_IOU`` is the predictor's and the engine's default suppression threshold (0.7), as in
classical box voting (a kept box's voters are the boxes it would suppress);
``VOTE_TEMPERATURE`` was chosen at that overlap on the hold-out fifths of FCDB and
``pro_portraits`` (never on FLMS) by the mean of the two top-1 IoUs (temperature 2 ties it
within 0.0001 and loses more on the professional frames; an overlap of 0.5 would gain 0.0006
more on the mean and lose on the professional frames, top-1 and best of 3):
``python -m tests.bench.procrop_judge vote`` and docs/benchmarks.md, "Box voting".
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from models.box_arrays import as_boxes, iou_matrix
from models.errors import InvalidInputError
from models.procrop.rerank import logits

__all__ = ["VOTE_IOU", "VOTE_TEMPERATURE", "Ballot", "voted_suggestions", "weighted_median"]

VOTE_IOU = 0.7
VOTE_TEMPERATURE = 1.0


def weighted_median(values: np.ndarray, weights: np.ndarray) -> np.ndarray | float:
    """The lower weighted median of ``values`` along its first axis (``(n,)`` or ``(n, k)``,
    one median per column): the smallest value at which the cumulative weight (in ascending
    order of value) reaches half the total. ``weights``: ``(n,)``, > 0."""
    values = np.asarray(values, np.float64)
    flat = values.ndim == 1
    v = values[:, None] if flat else values
    order = np.argsort(v, axis=0, kind="stable")
    cum = np.cumsum(np.asarray(weights, np.float64)[order], axis=0)
    at = np.minimum((cum < 0.5 * cum[-1]).sum(0), len(v) - 1)  # the first row reaching half
    out = v[order[at, np.arange(v.shape[1])], np.arange(v.shape[1])]
    return float(out[0]) if flat else out


def _check(boxes: np.ndarray, scores: np.ndarray, iou: float, temperature: float) -> None:
    if scores.shape != (len(boxes),):
        raise InvalidInputError(f"need one score per box: {scores.shape} for {len(boxes)} boxes")
    if not 0 < iou <= 1:
        raise InvalidInputError(f"the voting overlap must be in (0, 1], got {iou!r}")
    if not (np.isfinite(temperature) and temperature > 0):
        raise InvalidInputError(f"the voting temperature must be a positive number, got {temperature!r}")


class Ballot:
    """One image's queries voting for kept queries, one kept query at a time: each query votes
    for the first kept query it overlaps by at least ``iou`` (so a runner-up's box is not
    pulled toward the near-copies of a better suggestion), its weight
    ``exp((logit - best logit of the voters) / temperature)``."""

    def __init__(self, boxes, scores, *, iou: float = VOTE_IOU, temperature: float = VOTE_TEMPERATURE) -> None:
        self.boxes = as_boxes(boxes)
        self.scores = np.asarray(scores, np.float64)
        _check(self.boxes, self.scores, iou, temperature)
        self.iou, self.temperature = iou, temperature
        self.logits = logits(self.scores)
        self.overlaps = iou_matrix(self.boxes, self.boxes)
        self.taken = np.zeros(len(self.boxes), bool)

    def voters(self, i: int) -> np.ndarray:
        """The indices of the queries that vote for query ``i`` now (``i`` among them)."""
        near = (self.overlaps[i] >= self.iou) & ~self.taken
        near[i] = True
        return np.flatnonzero(near)

    def box(self, i: int) -> np.ndarray:
        """Query ``i``'s voted box: the weighted median of its voters' boxes per coordinate."""
        near = self.voters(i)
        w = np.exp((self.logits[near] - self.logits[near].max()) / self.temperature)
        return weighted_median(self.boxes[near], w)

    def keep(self, i: int) -> None:
        """Query ``i`` is kept: its voters vote for no later query."""
        self.taken[self.voters(i)] = True


def voted_suggestions(boxes, scores, iou_threshold: float, limit: int, *,
                      refit: Callable[[np.ndarray], np.ndarray] | None = None,
                      iou: float = VOTE_IOU, temperature: float = VOTE_TEMPERATURE) -> list[tuple[int, np.ndarray]]:  # fmt: skip
    """At most ``limit`` ``(query index, shown box)`` pairs, best score first: non-maximum
    suppression at ``iou_threshold`` with voting (module docstring; each kept query's voters
    are those no better kept query took, :class:`Ballot`). ``refit`` maps a box to the box
    that is shown (a fixed ratio's re-fit); diversity is checked on those: a voted box that
    overlaps a shown one by more than ``iou_threshold`` is shown as its query's own box
    instead, or not at all when that overlaps too."""
    show = refit if refit is not None else (lambda v: v)
    ballot = Ballot(boxes, scores, iou=iou, temperature=temperature)
    m = ballot.overlaps
    kept: list[tuple[int, np.ndarray]] = []
    shown = np.empty((min(limit, len(m)), 4))
    kept_idx = np.empty(len(shown), int)
    for i in np.argsort(-ballot.scores, kind="stable"):
        i = int(i)
        if kept and m[i, kept_idx[: len(kept)]].max() > iou_threshold:
            continue
        for v in (show(ballot.box(i)), show(ballot.boxes[i])):
            # an overlap above 1 cannot happen: with iou_threshold >= 1 every box is shown
            if not kept or iou_threshold >= 1 or iou_matrix(v, shown[: len(kept)]).max() <= iou_threshold:
                shown[len(kept)], kept_idx[len(kept)] = v, i
                kept.append((i, v))
                ballot.keep(i)
                break
        if len(kept) == limit:
            break
    return kept
