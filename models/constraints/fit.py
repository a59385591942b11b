"""Moving a box onto a layout: the one re-fit that every proposal path uses.

A method that proposes its own boxes (ProCrop's queries, the seed's rectangles) can break
the request: the wrong ratio, a keep region outside, an avoid region inside, a head cut.
:func:`nearest_candidate` moves a box to the feasible candidate of :data:`FIT_GRID` that
overlaps it most, in whole pixels; :func:`refit` keeps a box that already satisfies the
problem and moves only one that does not. The engine (:mod:`models.cropping.engine`)
re-fits every method's box with :func:`refit`; ProCrop's predictor moves each ranked query
(of any ratio) with :func:`nearest_candidate` for ``suggest`` and the evaluation.

Nearest by overlap favours a large box: a small proposal far from where the layout allows it
overlaps the largest feasible box most, so at 16:9 of a photo whose head touches the top every
proposal becomes the one full-width box. :func:`nearest_edges` is the other reading (the
candidate whose four edges move least: the proposal shifted, resized as little as the grid
allows); the engine uses it for a moved proposal that would repeat a crop already shown.
"""

from __future__ import annotations

import numpy as np

from models.constraints.candidates import Candidates, GridSpec, ensure_room, enumerate_candidates
from models.constraints.problem import CropProblem, admits
from models.constraints.search import snap_to_pixels
from models.constraints.terms import OverlapTerm
from models.geometry import Box

__all__ = ["FIT_GRID", "fit_candidates", "nearest_candidate", "nearest_edges", "refit"]

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


def fit_candidates(problem: CropProblem, grid: GridSpec = FIT_GRID) -> Candidates:
    """The candidates a box is moved to (``problem``'s on ``grid``); InfeasibleError when there
    are none. Computed once, they serve any number of boxes of one problem."""
    return ensure_room(problem, enumerate_candidates(problem, grid), grid)


def nearest_candidate(box: Box, problem: CropProblem, grid: GridSpec = FIT_GRID) -> Box:
    """The candidate of ``problem`` on ``grid`` that overlaps ``box`` most (IoU), in whole
    pixels; ``box`` may have any ratio. InfeasibleError when there is none."""
    cands = fit_candidates(problem, grid)
    j = int(np.argmax(OverlapTerm(box)(cands)))
    return snap_to_pixels(Box(cands.x0[j], cands.y0[j], cands.x1[j], cands.y1[j]), problem)


def nearest_edges(box: Box, problem: CropProblem, cands: Candidates | None = None) -> Box:
    """The candidate of ``problem`` whose edges lie nearest ``box``'s (the least sum of the four
    edges' moves, in pixels; the first of ties), in whole pixels: ``box`` shifted into the
    layout, its size kept as far as the candidates allow. ``cands``: :func:`fit_candidates`
    of ``problem``, to reuse (default: computed here)."""
    c = fit_candidates(problem) if cands is None else cands
    moves = np.abs(c.x0 - box.x0) + np.abs(c.x1 - box.x1) + np.abs(c.y0 - box.y0) + np.abs(c.y1 - box.y1)
    j = int(np.argmin(moves))
    return snap_to_pixels(Box(c.x0[j], c.y0[j], c.x1[j], c.y1[j]), problem)
