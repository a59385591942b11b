"""Moving a box onto a layout: the one re-fit that every proposal path uses.

A method that proposes its own boxes (ProCrop's queries, the seed's rectangles) can break
the request: the wrong ratio, a keep region outside, an avoid region inside, a head cut.
:func:`nearest_candidate` moves a box to the feasible candidate of :data:`FIT_GRID` that
overlaps it most, in whole pixels; :func:`refit` keeps a box that already satisfies the
problem and moves only one that does not. The engine (:mod:`models.cropping.engine`)
re-fits every method's box with :func:`refit`; ProCrop's predictor moves each ranked query
(of any ratio) with :func:`nearest_candidate` for ``suggest`` and the evaluation.
"""

from __future__ import annotations

import numpy as np

from models.constraints.candidates import GridSpec, ensure_room, enumerate_candidates
from models.constraints.problem import CropProblem, admits
from models.constraints.search import snap_to_pixels
from models.constraints.terms import OverlapTerm
from models.geometry import Box

__all__ = ["FIT_GRID", "nearest_candidate", "refit"]

FIT_GRID = GridSpec(sizes=24, steps=13, min_scale=0.2)
"""The candidates a proposed box is moved to when it breaks the request or the subject rule."""


def refit(box: Box, problem: CropProblem, grid: GridSpec = FIT_GRID, *, snapped: bool = False) -> Box:
    """``box`` in whole pixels if it satisfies ``problem``, else the candidate of ``problem``
    that overlaps it most (IoU), in whole pixels. InfeasibleError when there is none.
    ``snapped``: ``box`` is whole pixels already (its method snapped it): kept as it is when
    it satisfies ``problem``, so no box is snapped twice."""
    box = box.clipped(*problem.image_size)
    if snapped and admits(problem, box):
        return box
    if admits(problem, box, tol=1e-6):
        snapped_box = snap_to_pixels(box, problem)
        if admits(problem, snapped_box):
            return snapped_box
    return nearest_candidate(box, problem, grid)


def nearest_candidate(box: Box, problem: CropProblem, grid: GridSpec = FIT_GRID) -> Box:
    """The candidate of ``problem`` on ``grid`` that overlaps ``box`` most (IoU), in whole
    pixels; ``box`` may have any ratio. InfeasibleError when there is none."""
    cands = ensure_room(problem, enumerate_candidates(problem, grid), grid)
    j = int(np.argmax(OverlapTerm(box)(cands)))
    return snap_to_pixels(Box(cands.x0[j], cands.y0[j], cands.x1[j], cands.y1[j]), problem)
