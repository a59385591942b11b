"""The subject rule every crop path obeys: never cut a head.

For a crop request (a :class:`~models.constraints.problem.CropProblem`: ratio, keep and avoid
regions) and the image's heads, :func:`plan_subjects` decides which heads the crop must hold
whole (they join the keep regions) and which it may leave out, but only entirely (no-cut
regions: :func:`~models.constraints.problem.cuts` is the one definition of a cut):

1. when some crop of the ratio and layout holds every head whole, every head is kept (small
   background faces excepted: see 3);
2. otherwise the most important head (size, then centrality: :func:`importance`) is kept,
   then each next head that still fits beside the kept ones; every other head is left out
   whole, with the reason (:class:`LeftOut`);
3. a *background* head (its height under :data:`BACKGROUND_HEAD_FRACTION` of the image's short
   side and under a third of the largest head's: a crowd, a passer-by) is never required,
   only never cut;
4. the most important head, when it is larger than any crop of the ratio (a close portrait at
   3:1), may be cut (leaving the subject out would be worse): the crop then holds its lower part
   whole, chin up, as tall as the crop (:func:`head_core`; its face when the layout forbids
   that), and so may a head no crop of the
   layout can hold or leave out whole; the plan says so, and the result lists it.

Feasibility is decided on the exact candidate set of :mod:`models.constraints.candidates`
(every position critical to a keep, avoid or no-cut edge) over :data:`RULE_GRID`'s sizes.
:func:`cut_heads` is the check every path's result goes through.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from models.constraints.candidates import GridSpec, enumerate_candidates
from models.constraints.problem import CropProblem, check_feasible, cuts
from models.errors import InfeasibleError
from models.geometry import Box
from models.subjects.types import Head, Subjects

__all__ = [
    "BACKGROUND_HEAD_FRACTION",
    "LeftOut",
    "RULE_GRID",
    "SubjectPlan",
    "cut_heads",
    "head_boxes",
    "head_core",
    "importance",
    "is_background",
    "plan_subjects",
]

BACKGROUND_HEAD_FRACTION = 0.1
"""A head shorter than this fraction of the image's short side (and than a third of the
largest head) is background: it may be left out whole. Measured on pro_portraits and FCDB train
(every 8th photo, ``python -m tests.bench.head_sizes --stride 8``; docs/benchmarks.md): the
median head is 0.58 (pro_portraits) and 0.19 (FCDB) of the short side; no portrait head and
6.6 % of FCDB's heads are under 0.1, the FCDB 5th percentile (0.099), which are its crowd and
passer-by faces (Haar heads, before the BlazeFace detector was merged)."""

RULE_GRID = GridSpec(sizes=32, steps=9, min_scale=0.2)
"""Sizes and positions the rule's feasibility checks try (positions: plus every critical one)."""


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A head the crop leaves out: ``index`` into the image's heads (0-based), its box, why."""

    index: int
    box: Box
    reason: str


@dataclass(frozen=True, slots=True)
class SubjectPlan:
    """What a crop of one request must do with each head (indices into the image's heads).

    ``keep``: held whole (added to the request's keep regions by :meth:`apply`); ``no_cut``:
    whole or entirely out; ``may_cut``: heads no crop can avoid cutting; ``reasons``: why a
    head is not in ``keep`` (for the result's ``left_out_heads``).
    """

    boxes: tuple[Box, ...]
    keep: tuple[int, ...] = ()
    no_cut: tuple[int, ...] = ()
    may_cut: tuple[int, ...] = ()
    reasons: tuple[tuple[int, str], ...] = ()
    faces: tuple[Box, ...] = ()  # faces kept whole of heads too large to keep (``may_cut``)

    def apply(self, problem: CropProblem) -> CropProblem:
        """``problem`` with the kept heads as keep regions and the others as no-cut regions."""
        return replace(problem, keep=problem.keep + tuple(self.boxes[i] for i in self.keep) + self.faces,
                       no_cut=problem.no_cut + tuple(self.boxes[i] for i in self.no_cut))  # fmt: skip

    def left_out(self, box: Box) -> tuple[LeftOut, ...]:
        """The heads ``box`` leaves out entirely (or cuts, when allowed), with the plan's reason."""
        why = dict(self.reasons)
        return tuple(LeftOut(i, b, why.get(i, "not required by the rule")) for i, b in enumerate(self.boxes)
                     if i not in self.keep and not box.contains(b, tol=0.5))  # fmt: skip


def head_boxes(subjects: Subjects) -> tuple[Box, ...]:
    """The heads' boxes with whole-pixel edges rounded outward, inside the image."""
    w, h = subjects.image_size
    return tuple(Box(math.floor(b.x0), math.floor(b.y0), math.ceil(b.x1), math.ceil(b.y1)).clipped(w, h)
                 for b in (head.box for head in subjects.heads))  # fmt: skip


def importance(head: Head | Box, image_size: tuple[int, int]) -> float:
    """Area, weighted by centrality (1 at the centre, 0.5 at a corner): larger, then more central."""
    box = head.box if isinstance(head, Head) else head
    w, h = image_size
    cx, cy = box.center
    off = math.hypot((cx - w / 2) / (w / 2), (cy - h / 2) / (h / 2)) / math.sqrt(2)
    return box.area * (1.0 - 0.5 * min(off, 1.0))


def head_core(head: Box, face: Box | None, largest: Box) -> Box:
    """The part of a head larger than any crop (``largest``) that the crop must hold: from the
    chin up, as tall and as wide as a crop can be (a pixel to spare for snapping), centred on
    the face. A tight portrait trims the top of the hair, never the chin."""
    w, h = min(head.width, largest.width - 1), min(head.height, largest.height - 1)
    cx = (face or head).center[0]
    x0 = min(max(cx - w / 2, head.x0), head.x1 - w)
    y0 = head.y1 - h
    return Box(math.ceil(x0), math.ceil(y0), max(math.ceil(x0), math.floor(x0 + w)), math.floor(head.y1))


def is_background(box: Box, boxes: tuple[Box, ...], image_size: tuple[int, int]) -> bool:
    """Whether a head is a small background face (see :data:`BACKGROUND_HEAD_FRACTION`)."""
    tallest = max((b.height for b in boxes), default=0.0)
    return box.height < BACKGROUND_HEAD_FRACTION * min(image_size) and box.height < tallest / 3


def cut_heads(box: Box, boxes: tuple[Box, ...], tol: float = 0.5) -> tuple[int, ...]:
    """Indices of the heads ``box`` cuts (meets without holding whole), up to ``tol`` px."""
    return tuple(i for i, b in enumerate(boxes) if cuts(box, b, tol))


def _feasible(problem: CropProblem, grid: GridSpec = RULE_GRID) -> bool:
    try:
        check_feasible(problem)
    except InfeasibleError:
        return False
    return len(enumerate_candidates(problem, grid)) > 0


def plan_subjects(subjects: Subjects | tuple[Box, ...], problem: CropProblem) -> SubjectPlan:
    """The plan for ``problem`` (see the module docstring); heads in ``problem``'s pixels."""
    boxes = head_boxes(subjects) if isinstance(subjects, Subjects) else tuple(subjects)
    face_of = {i: h.face for i, h in enumerate(subjects.heads)} if isinstance(subjects, Subjects) else {}
    if not boxes:
        return SubjectPlan(())
    size = problem.image_size
    order = sorted(range(len(boxes)), key=lambda i: -importance(boxes[i], size))
    main = [i for i in order if not is_background(boxes[i], boxes, size) and boxes[i].area > 0]
    small = [i for i in order if i not in main]
    reasons = [(i, "a small background face: left out whole, never cut") for i in small]

    faces: tuple[Box, ...] = ()

    def plan(keep: list[int], may_cut: tuple[int, ...] = ()) -> SubjectPlan:
        rest = tuple(i for i in order if i not in keep and i not in may_cut and boxes[i].area > 0)
        return SubjectPlan(boxes, tuple(keep), rest, may_cut, tuple(reasons), faces)

    if _feasible(plan(main).apply(problem)):
        return plan(main)
    largest = problem.largest
    forced: tuple[int, ...] = ()
    if main and (boxes[main[0]].width > largest.width + 1e-6 or boxes[main[0]].height > largest.height + 1e-6):
        forced = (main[0],)  # the main subject is larger than any crop of the ratio: leaving it out is worse
        face = face_of.get(main[0])
        if face is not None:
            face = Box(math.floor(face.x0), math.floor(face.y0), math.ceil(face.x1), math.ceil(face.y1)).clipped(*size)
        for part in (head_core(boxes[main[0]], face, largest), face):
            if part is not None and _feasible(replace(problem, keep=problem.keep + (part,))):
                faces = (part,)  # as much of the head as a crop holds, else its face, whole
                break
        reasons.append((main[0], f"larger than any {problem.aspect} crop of this image: the crop holds as much of it as it can"))
        main = main[1:]
    kept: list[int] = []
    for i in main:
        if _feasible(plan(kept + [i], forced).apply(problem)):
            kept.append(i)
            continue
        others = f" beside head #{', #'.join(str(k + 1) for k in kept)}" if kept else ""
        reasons.append((i, f"no {problem.aspect} crop of this layout holds it whole{others}: left out whole"))
    may_cut: tuple[int, ...] = forced
    for i in reversed(order):  # the least important first: allow cutting only what must be
        if _feasible(plan(kept, may_cut).apply(problem)):
            break
        if i in kept:
            continue
        may_cut += (i,)
        reasons.append((i, f"no {problem.aspect} crop of this layout holds it or leaves it out whole: may be cut"))
    return plan(kept, may_cut)
