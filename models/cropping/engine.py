"""``crop(analysis, request) -> CropResult``: the one "request -> crop" contract.

Per request: :func:`~models.cropping.request.check_request` (ratio and regions against the
image), the layout's feasibility (:func:`~models.constraints.problem.check_feasible`), the
subject rule's plan (:func:`~models.cropping.rule.plan_subjects`: which heads the crop holds
whole, which it may leave out whole), the method (searched on the planned problem, or its
own boxes re-fitted to it by :func:`~models.constraints.fit.refit`; a moved box that would
repeat a crop already kept is shifted instead, by :func:`~models.constraints.fit.nearest_edges`),
one snap to whole pixels (:func:`~models.constraints.search.snap_to_pixels`) and one violation check
(:func:`~models.cropping.result.violations`). Anything that cannot be met raises
:class:`~models.cropping.result.InfeasibleCropError` naming the conflict.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from models.constraints.candidates import Candidates, GridSpec, ensure_room
from models.constraints.fit import fit_candidates, nearest_edges, refit
from models.constraints.problem import CropProblem, check_feasible
from models.constraints.search import snap_to_pixels
from models.cropping.analysis import Analysis
from models.cropping.methods import Proposed, free_ratios, get_method
from models.cropping.request import MIN_TAU_CROP_SIDE as MIN_SIDE, Request, check_request
from models.cropping.result import CropResult, InfeasibleCropError, violations
from models.errors import InfeasibleError
from models.geometry import AspectRatio, Box, fit_ratio_around
from models.cropping.rule import SubjectPlan, head_boxes, plan_subjects

__all__ = ["crop", "ranked", "refit"]

log = logging.getLogger(__name__)

MOVED_IOU = 0.98  # a re-fitted box overlapping its proposal by more than this was not moved


def _problem(size: tuple[int, int], ratio: AspectRatio, request: Request) -> CropProblem:
    return CropProblem(size, ratio, request.keep, request.avoid)


def _plan(analysis: Analysis, request: Request, base: CropProblem) -> SubjectPlan:
    if not request.subjects:
        return SubjectPlan(())
    return plan_subjects(analysis.subjects, base)


def _finish(box: Box, score, plan: SubjectPlan, request: Request, notes=(), boxes=(), details=None) -> CropResult:
    """The result for ``box``: the one violation check; a broken layout is refused."""
    heads = plan.boxes
    allowed = set(plan.may_cut)
    checked = tuple(b if i not in allowed else Box(0, 0, 0, 0) for i, b in enumerate(heads))
    broken = violations(box, request.keep, request.avoid, tuple(b for b in checked if b.area > 0))
    if broken:
        raise InfeasibleCropError(f"method {request.method!r} does not honour the request: the crop {', '.join(broken)}")
    cut = violations(box, heads=tuple(heads[i] for i in sorted(allowed))) if allowed else ()
    notes = tuple(n for n in notes if n) + tuple(f"no crop of this layout can avoid it: {v}" for v in cut)
    return CropResult(box, score, cut, notes, plan.left_out(box), boxes or (box,), details)


def _searched(method, analysis: Analysis, request: Request, k: int) -> list[CropResult]:
    size = analysis.image_size
    state = method.prepare(analysis)
    ratios = (request.aspect,) if request.aspect is not None else free_ratios(size)
    found: list[tuple[float, Box, SubjectPlan]] = []
    errors: list[str] = []
    for ratio in ratios:
        base = _problem(size, ratio, request)
        try:
            check_feasible(base)
            ensure_room(base, grid=GridSpec(sizes=2, steps=2))
            plan = _plan(analysis, request, base)
            found += [(s, b, plan) for b, s in method.search(state, plan.apply(base), k)]
        except InfeasibleError as exc:
            if request.aspect is not None:
                raise InfeasibleCropError(str(exc)) from None
            errors.append(str(exc))
    if not found:
        raise InfeasibleCropError(errors[0] if errors else "no crop satisfies the request")
    found.sort(key=lambda t: -t[0])
    return [_finish(b, s, plan, request) for s, b, plan in found[:k]]


def _min_size(box: Box, size: tuple[int, int]) -> Box:
    """A box at least MIN_TAU_CROP_SIDE on each side, when the image allows (a tiny tau crop grows about its centre)."""
    if min(box.width, box.height) >= MIN_SIDE:
        return box
    ratio = box.width / box.height if box.height > 0 else 1.0
    grow = Box.from_xywh(box.center[0] - MIN_SIDE / 2, box.center[1] - MIN_SIDE / 2, MIN_SIDE, MIN_SIDE)
    return fit_ratio_around(grow.clipped(*size) if grow.area else box, ratio, *size)


def _distinct(box: Box, raw: Box, problem: CropProblem, out: list[CropResult], iou: float,
              shifts: dict[float, Candidates], key: float) -> Box | None:  # fmt: skip
    """``box`` (``raw`` re-fitted to ``problem``) unless it repeats a kept crop (IoU above
    ``iou``). A moved box that repeats one (nearest by overlap favours the large box) is
    ``raw`` shifted into ``problem`` instead, its size kept as far as the candidates allow
    (:func:`~models.constraints.fit.nearest_edges`; ``shifts[key]``, built on first need);
    None when that repeats one too."""
    if not any(box.iou(r.box) > iou for r in out):
        return box
    if box.iou(raw) > MOVED_IOU:
        return None  # a repeat as it was proposed
    if key not in shifts:
        shifts[key] = fit_candidates(problem)
    box = nearest_edges(raw, problem, shifts[key])
    return None if any(box.iou(r.box) > iou for r in out) else box


def _fitted(method, analysis: Analysis, request: Request, k: int, iou: float) -> list[CropResult]:
    size = analysis.image_size
    state = method.prepare(analysis)
    # best first; a method may build the later ones lazily (ProCrop), so they are read once, in order
    proposed: Iterable[Proposed] = method.propose(state, request, size, k)
    if request.regions == 2:
        return [_two_regions(tuple(proposed), analysis, request)]
    out: list[CropResult] = []
    bases: list[Box] = []  # the kept proposals' own boxes before voting (ProCrop's)
    errors: list[str] = []
    plans: dict[float, tuple[SubjectPlan, CropProblem]] = {}  # one plan per ratio, and its problem
    shifts: dict[float, Candidates] = {}  # the candidates a repeat is shifted onto, per ratio
    first: Proposed | None = None
    for p in proposed:
        first = p if first is None else first
        if p.basis is not None and any(p.basis.iou(b) > iou for b in bases):
            continue  # it repeats a kept proposal, whatever the re-fit makes of it
        raw = _min_size(p.box, size)
        ratio = request.aspect or AspectRatio(round(raw.width / raw.height, 3), 1.0)
        try:
            if ratio.value not in plans:
                base = _problem(size, ratio, request)
                check_feasible(base)
                plan = _plan(analysis, request, base)
                plans[ratio.value] = (plan, plan.apply(base))
            plan, problem = plans[ratio.value]
            box = refit(raw, problem, snapped=p.snapped and raw == p.box)
        except InfeasibleError as exc:
            errors.append(str(exc))
            continue
        box = _distinct(box, raw, problem, out, iou, shifts, ratio.value)
        if box is None:
            continue
        bases += [p.basis] if p.basis is not None else []
        moved = "" if box.iou(raw) > MOVED_IOU else "moved to keep the layout and every head it can whole"
        out.append(_finish(box, p.score, plan, request, (p.note, moved), details=p.details))
        if len(out) == k:
            break
    if not out:
        raise InfeasibleCropError(errors[0] if errors else "no crop satisfies the request")
    if first is not None and first.note and first.note.startswith("infeasible: "):
        error = InfeasibleCropError(first.note.removeprefix("infeasible: "))
        error.fallback = out[0]
        raise error
    return out


def _two_regions(proposed: tuple[Proposed, ...], analysis: Analysis, request: Request) -> CropResult:
    """P3's two crops, each cutting no head (moved to the nearest box that cuts none)."""
    size = analysis.image_size
    base = _problem(size, request.aspect, request)  # type: ignore[arg-type]
    heads = head_boxes(analysis.subjects) if request.subjects else ()
    problem = CropProblem(size, request.aspect, no_cut=heads)  # type: ignore[arg-type]
    boxes = []
    for p in proposed:
        try:
            boxes.append(refit(p.box, problem, snapped=p.snapped))
        except InfeasibleError:
            boxes.append(snap_to_pixels(p.box, base))
    plan = SubjectPlan(heads, (), tuple(range(len(heads))))
    first = proposed[0]
    return _finish(boxes[0], first.score, plan, request, (first.note,), tuple(boxes), first.details)


def ranked(analysis: Analysis, request: Request, k: int, *, iou: float = 0.7) -> tuple[CropResult, ...]:
    """Up to ``k`` crops for ``request``, best first (diverse: IoU at most ``iou`` for the
    fitted methods); raises InfeasibleCropError naming the conflict when there is none."""
    check_request(request, analysis.image_size)
    method = get_method(request.method)
    if method.searches:
        return tuple(_searched(method, analysis, request, k))
    return tuple(_fitted(method, analysis, request, k, iou))


def crop(analysis: Analysis, request: Request) -> CropResult:
    """The best crop for ``request`` (see the module docstring).

    Raises
    ------
    InfeasibleCropError
        No crop satisfies the request. For the ``tau`` method, when no crop of the ratio keeps
        tau, the error's ``fallback`` is the crop keeping the most (the rule obeyed).
    """
    return ranked(analysis, request, 1)[0]
