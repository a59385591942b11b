"""The design-constraints engine: constraints always hold, infeasibility is exact, the
exhaustive search finds the grid's optimum."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from models.constraints import (
    AreaTerm,
    AttentionTerm,
    CentreTerm,
    CropProblem,
    ExhaustiveSearch,
    FaceCutTerm,
    GridSpec,
    MapIntegral,
    enumerate_candidates,
)
from models.errors import InfeasibleError, InvalidInputError
from models.geometry import AspectRatio, Box
from tests.oracles import constraints as oracle


@st.composite
def boxes_in(draw, width, height, max_count):
    out = []
    for _ in range(draw(st.integers(0, max_count))):
        x0 = draw(st.integers(0, width - 1))
        y0 = draw(st.integers(0, height - 1))
        x1 = draw(st.integers(x0 + 1, min(width, x0 + 1 + width // 2)))
        y1 = draw(st.integers(y0 + 1, min(height, y0 + 1 + height // 2)))
        out.append(Box(x0, y0, x1, y1))
    return tuple(out)


@st.composite
def problems(draw, max_side=60):
    width = draw(st.integers(8, max_side))
    height = draw(st.integers(8, max_side))
    ratio = draw(st.sampled_from([1.0, 16 / 9, 9 / 16, 4 / 5, 1.91, 3.0, 1 / 3, 3 / 2]))
    keep = draw(boxes_in(width, height, 2))
    avoid = draw(boxes_in(width, height, 3))
    return CropProblem((width, height), AspectRatio(ratio, 1.0), keep=keep, avoid=avoid)


def satisfied(box: Box, p: CropProblem) -> bool:
    w, h = p.image_size
    return (Box(0, 0, w, h).contains(box) and all(box.contains(k) for k in p.keep)
            and all(box.intersection(a) is None for a in p.avoid))


def random_terms(p: CropProblem, seed: int):
    rng = np.random.default_rng(seed)
    att = MapIntegral(rng.random((7, 9)) ** 3, p.image_size)
    return [AttentionTerm(att), AreaTerm(p.image_size, 0.3), CentreTerm(p.image_size, 0.2)]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=problems(), seed=st.integers(0, 1000))
def test_constraints_always_hold_or_the_problem_is_infeasible(p, seed):
    grid = GridSpec(sizes=12, steps=9)
    min_w = p.largest.width * grid.min_scale
    try:
        (best,) = ExhaustiveSearch(grid).search(p, random_terms(p, seed))
    except InfeasibleError as exc:
        assert str(exc)  # a message naming the conflict
        keep = [k.as_tuple() for k in p.keep]
        avoid = [a.as_tuple() for a in p.avoid]
        assert not oracle.feasible_somewhere(*p.image_size, p.ratio, keep, avoid, min_w)
        return
    assert satisfied(best.box, p)
    w, h = best.box.width, best.box.height
    assert abs(w - h * p.ratio) <= 1 + p.ratio  # exact ratio up to whole-pixel snapping


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=problems(max_side=40))
def test_feasibility_matches_brute_force(p):
    grid = GridSpec(sizes=6, steps=3)  # a coarse grid: feasibility must not depend on it
    keep = [k.as_tuple() for k in p.keep]
    avoid = [a.as_tuple() for a in p.avoid]
    expected = oracle.feasible_somewhere(*p.image_size, p.ratio, keep, avoid, p.largest.width * grid.min_scale)
    try:
        ExhaustiveSearch(grid).search(p, [AreaTerm(p.image_size)])
        found = True
    except InfeasibleError:
        found = False
    if expected:
        assert found, "a feasible crop exists but the search said none"


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.tuples(st.integers(5, 300), st.integers(5, 300)))
def test_map_integral_is_exact(seed, size):
    rng = np.random.default_rng(seed)
    values = rng.random(tuple(rng.integers(1, 8, size=2)))
    mi = MapIntegral(values, size)
    w, h = size
    xs, ys = np.sort(rng.uniform(0, w, 2)), np.sort(rng.uniform(0, h, 2))
    from models.constraints.candidates import Candidates

    got = mi.over(Candidates(*(np.array([v]) for v in (xs[0], ys[0], xs[1], ys[1]))))[0]
    assert got == pytest.approx(oracle.map_mass(values, size, (xs[0], ys[0], xs[1], ys[1])), abs=1e-9)


def test_exhaustive_search_returns_the_grid_optimum():
    p = CropProblem((120, 80), AspectRatio(4, 3), keep=(Box(10, 10, 30, 30),), avoid=(Box(100, 0, 120, 20),))
    terms = random_terms(p, 3)
    grid = GridSpec(sizes=10, steps=7)
    cands = enumerate_candidates(p, grid)
    scores = []
    for i in range(len(cands)):  # one box at a time, the slow way
        box = (cands.x0[i], cands.y0[i], cands.x1[i], cands.y1[i])
        mass = oracle.map_mass(terms[0].integral.values, p.image_size, box)
        area = (box[2] - box[0]) * (box[3] - box[1]) / (120 * 80)
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        scores.append((mass - area) + 0.3 * area - 0.2 * np.hypot((cx - 60) / 120, (cy - 40) / 80))
    best = ExhaustiveSearch(grid).search(p, terms, top_k=3)
    assert best[0].score == pytest.approx(max(scores), abs=1e-9)
    assert [b.score for b in best] == sorted((b.score for b in best), reverse=True)


def test_a_new_term_changes_the_answer_without_touching_the_search():
    class PreferLeft:
        name = "left"

        def __call__(self, cands):
            return -cands.x0 / 100.0

    p = CropProblem((200, 100), AspectRatio(1, 1))
    centred = ExhaustiveSearch().search(p, [AreaTerm(p.image_size), CentreTerm(p.image_size)])[0]
    left = ExhaustiveSearch().search(p, [AreaTerm(p.image_size), PreferLeft()])[0]
    assert centred.box.as_tuple() == (50, 0, 150, 100) and left.box.as_tuple() == (0, 0, 100, 100)
    assert dict(left.terms)["left"] == 0.0


def test_faces_are_not_cut_when_avoidable():
    face = Box(90, 20, 130, 60)
    p = CropProblem((200, 100), AspectRatio(1, 1), keep=(Box(0, 0, 20, 20),))
    plain = ExhaustiveSearch().search(p, [AreaTerm(p.image_size)])[0].box
    assert 0 < (plain.intersection(face) or Box(0, 0, 0, 0)).area < face.area  # the big box cuts it
    term = FaceCutTerm((face,))
    safe = ExhaustiveSearch().search(p, [AreaTerm(p.image_size), term])[0].box
    inside = (safe.intersection(face) or Box(0, 0, 0, 0)).area / face.area
    assert inside <= term.tolerance or inside >= 1 - term.tolerance


@pytest.mark.parametrize(
    "keep, avoid, aspect, message",
    [
        ((Box(0, 0, 60, 60),), (Box(50, 50, 70, 70),), 1.0, "overlaps avoid region"),
        ((Box(0, 0, 90, 20), Box(150, 70, 160, 80)), (), 3.0, "largest 3:1 box"),
        ((Box(90, 40, 110, 60),), (Box(70, 0, 80, 100), Box(120, 0, 130, 100)), 3.0, "without meeting an avoid"),
    ],
)
def test_impossible_constraints_name_the_conflict(keep, avoid, aspect, message):
    p = CropProblem((200, 100), AspectRatio(aspect, 1), keep=keep, avoid=avoid)
    with pytest.raises(InfeasibleError, match=message):
        ExhaustiveSearch().search(p, [AreaTerm(p.image_size)])


def test_regions_outside_the_image_are_rejected():
    with pytest.raises(InvalidInputError, match="not inside"):
        CropProblem((100, 100), AspectRatio(1, 1), keep=(Box(50, 50, 150, 90),))
    with pytest.raises(InvalidInputError, match="empty"):
        CropProblem((100, 100), AspectRatio(1, 1), avoid=(Box(5, 5, 5, 9),))


def test_a_narrow_gap_between_grid_positions_is_found():
    # the only room is x0 in [117, 120] for the smallest (30 px) square; a 3-step grid over
    # [0, 170] never lands there, the critical position at the avoid edge (117) does
    p = CropProblem((200, 100), AspectRatio(1, 1), avoid=(Box(0, 0, 117, 100), Box(150, 0, 200, 100)))
    (best,) = ExhaustiveSearch(GridSpec(sizes=6, steps=3)).search(p, [AreaTerm(p.image_size)])
    assert 117 <= best.box.x0 and best.box.x1 <= 150 and satisfied(best.box, p)


def test_border_term_penalises_cutting_through_salient_content():
    from models.constraints import BorderTerm
    from models.constraints.candidates import Candidates

    values = np.zeros((10, 20))
    values[4:6, 9:11] = 1.0  # a bright blob at x in [90, 110), y in [40, 60) of a 200x100 image
    term = BorderTerm(MapIntegral(values, (200, 100)))
    through = Candidates(*(np.array([v]) for v in (0.0, 0.0, 100.0, 100.0)))  # right edge splits it
    around = Candidates(*(np.array([v]) for v in (50.0, 0.0, 150.0, 100.0)))  # holds it whole
    assert term(through)[0] < term(around)[0] == 0.0
    # edges on the image frame cut nothing
    assert term(Candidates(*(np.array([v]) for v in (0.0, 0.0, 200.0, 100.0))))[0] == 0.0


@pytest.mark.parametrize("edge", [977.03, 977.0, 500.1, 640.7])
def test_keep_touching_avoid_at_a_fractional_edge_is_feasible(edge):
    # the crop must end exactly at `edge`: below it is the avoid region, above it the keep
    # region ends there. (edge - h) + h can land one ulp past `edge` unless edges are snapped.
    p = CropProblem((347, 1364), AspectRatio(0.9436, 1), keep=(Box(10, edge - 300, 300, edge),),
                    avoid=(Box(0, edge, 347, edge + 20),))  # fmt: skip
    for grid in (GridSpec(), GridSpec(sizes=2, steps=2)):
        (best,) = ExhaustiveSearch(grid).search(p, [AreaTerm(p.image_size)])
        assert satisfied(best.box, p)


def test_no_room_message_names_the_smallest_size_tried():
    p = CropProblem((200, 100), AspectRatio(1, 1), avoid=(Box(0, 0, 100, 100), Box(125, 0, 200, 100)))
    with pytest.raises(InfeasibleError, match=r"at least 30x30 px \(30% of the largest\) fits between"):
        ExhaustiveSearch().search(p, [AreaTerm(p.image_size)])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_compiled_box_mass_equals_the_corner_formula(seed):
    """MapIntegral.over (numba) against the numpy bilinear lookups at the four corners,
    on many boxes, some reaching outside the image (clamped)."""
    from models.constraints.candidates import Candidates

    rng = np.random.default_rng(seed)
    size = (int(rng.integers(5, 400)), int(rng.integers(5, 400)))
    mi = MapIntegral(rng.random(tuple(rng.integers(1, 12, size=2))), size)
    x = np.sort(rng.uniform(-10, size[0] + 10, (50, 2)), axis=1)
    y = np.sort(rng.uniform(-10, size[1] + 10, (50, 2)), axis=1)
    got = mi.over(Candidates(x[:, 0], y[:, 0], x[:, 1], y[:, 1]))
    want = mi._at(x[:, 1], y[:, 1]) - mi._at(x[:, 0], y[:, 1]) - mi._at(x[:, 1], y[:, 0]) + mi._at(x[:, 0], y[:, 0])
    assert np.allclose(got, want, atol=1e-12)


def test_overlap_term_is_the_iou_with_its_box():
    from models.constraints.candidates import Candidates
    from models.constraints.terms import OverlapTerm

    cands = Candidates(*(np.array(v, float) for v in ([0, 50, 0], [0, 0, 100], [100, 150, 50], [100, 100, 200])))
    scores = OverlapTerm(Box(0, 0, 100, 100), weight=2.0)(cands)
    assert scores == pytest.approx([2.0, 2.0 * 50 * 100 / (2 * 100 * 100 - 50 * 100), 0.0])


# --- snapping to whole pixels ------------------------------------------------------------
def _transpose(box: Box) -> Box:
    return Box(box.y0, box.x0, box.y1, box.x1)


def _snap_key(snapped: Box, box: Box, ratio: float) -> tuple[float, float]:
    """What snap_to_pixels minimises: relative ratio error, then the edges' movement."""
    error = abs(np.log(snapped.width / (snapped.height * ratio)))
    shift = sum(abs(a - b) for a, b in zip(snapped.as_tuple(), box.as_tuple()))
    return round(float(error), 9), round(float(shift), 6)


@settings(max_examples=300, deadline=None)
@given(
    image=st.tuples(st.integers(4, 400), st.integers(4, 400)),
    ratio=st.tuples(st.integers(1, 21), st.integers(1, 21)),
    frac=st.floats(0.05, 1.0),
    pos=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    keep=st.booleans(),
)
def test_snapping_keeps_the_constraints_and_treats_tall_and_wide_alike(image, ratio, frac, pos, keep):
    from models.constraints.search import snap_to_pixels
    from models.geometry import largest_box_with_ratio

    (width, height), aspect = image, AspectRatio(*ratio)
    largest = largest_box_with_ratio(width, height, aspect.value)
    bw, bh = largest.width * frac, largest.height * frac
    box = Box.from_xywh(pos[0] * (width - bw), pos[1] * (height - bh), bw, bh)
    regions = (Box(box.x0 + 0.4 * bw, box.y0 + 0.4 * bh, box.x0 + 0.6 * bw, box.y0 + 0.6 * bh),) if keep else ()
    assume(all(r.area > 0 for r in regions))
    problem = CropProblem((width, height), aspect, keep=regions)
    mirror = CropProblem((height, width), AspectRatio(ratio[1], ratio[0]), keep=tuple(map(_transpose, regions)))
    tbox = _transpose(box)
    snapped, flipped = snap_to_pixels(box, problem), snap_to_pixels(tbox, mirror)
    assert (snapped is box) == (flipped is tbox)  # the input itself comes back when nothing fits
    if snapped is box:
        return  # nothing whole-pixel fits (the caller handles it)
    assert all(float(v).is_integer() for v in snapped.as_tuple())
    assert Box(0, 0, width, height).contains(snapped) and all(snapped.contains(r) for r in regions)
    assert max(abs(a - b) for a, b in zip(snapped.as_tuple(), box.as_tuple())) < max(aspect.value, 1 / aspect.value) + 2
    # the transposed problem gets the transposed answer, or one exactly as good
    assert _snap_key(flipped, tbox, 1 / aspect.value) == _snap_key(snapped, box, aspect.value)


def test_snapping_a_tall_box_finds_the_exact_ratio_sizes_a_wide_one_gets():
    from models.constraints.search import snap_to_pixels

    wide = snap_to_pixels(Box(10.3, 20.7, 107.8, 28.2), CropProblem((200, 60), AspectRatio(13, 1)))
    tall = snap_to_pixels(Box(20.7, 10.3, 28.2, 107.8), CropProblem((60, 200), AspectRatio(1, 13)))
    assert wide.width == 13 * wide.height and tall.height == 13 * tall.width
    assert tall == _transpose(wide)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(1, 12), st.integers(1, 9))
def test_vectorised_grid_is_the_loop_grid_exactly(problem, sizes, steps):
    """Same boxes in the same order as building the grid size by size (tests/oracles)."""
    from models.constraints.candidates import _grid, smallest_width
    from tests.oracles.candidates import grid_edges

    grid = GridSpec(sizes=sizes, steps=steps)
    largest = problem.largest.width
    low = smallest_width(problem, grid.min_scale)
    widths = np.linspace(largest, largest * grid.min_scale, grid.sizes)
    widths = np.unique(np.append(widths[widths >= low], low))
    got = np.stack(_grid(problem, widths, grid.steps))
    expected = grid_edges(problem, grid)
    assert got.shape == expected.shape
    assert np.array_equal(got, expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=40), st.integers(1, 45))
def test_top_k_is_the_stable_argsort_prefix(values, k):
    from models.constraints.search import _top

    total = np.array(values, np.float64)
    assert _top(total, k).tolist() == np.argsort(-total, kind="stable")[:k].tolist()


# -- the one re-fit (models.constraints.fit) ---------------------------------------------------


def test_refit_keeps_a_box_that_satisfies_the_problem_and_moves_one_that_does_not() -> None:
    from models.constraints.fit import nearest_candidate, refit
    from models.constraints.problem import admits

    problem = CropProblem((400, 300), AspectRatio(4, 3), keep=(Box(300, 20, 380, 80),))
    inside = Box(100, 0, 400, 225)
    assert refit(inside, problem) == inside  # whole pixels, the ratio and the layout already hold
    wrong = Box(0, 100, 200, 250)  # misses the keep region and has the ratio 4:3 only by chance
    moved = refit(wrong, problem)
    assert admits(problem, moved) and moved.contains(problem.keep[0])
    assert abs(moved.width / moved.height - 4 / 3) < 0.01
    # a box of another ratio is moved to the candidate that overlaps it most, never kept
    tall = Box(250, 0, 390, 300)
    near = nearest_candidate(tall, problem)
    assert admits(problem, near) and abs(near.width / near.height - 4 / 3) < 0.01
    others = [Box(x, 0, x + 280, 210) for x in (120, 0)] + [Box(80, 0, 400, 240)]
    assert all(near.iou(tall) >= o.iou(tall) - 0.02 for o in others if admits(problem, o))
    with pytest.raises(InfeasibleError):
        nearest_candidate(tall, CropProblem((400, 300), AspectRatio(4, 3), keep=(Box(0, 0, 400, 300),), avoid=(Box(10, 10, 20, 20),)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=problems(max_side=120), frac=st.tuples(*[st.floats(0, 1)] * 4))
def test_the_edge_nearest_refit_holds_the_layout_and_moves_the_edges_least(p, frac):
    from models.constraints.fit import fit_candidates, nearest_candidate, nearest_edges

    w, h = p.image_size
    xs, ys = sorted((frac[0] * w, frac[1] * w)), sorted((frac[2] * h, frac[3] * h))
    assume(xs[1] - xs[0] >= 1 and ys[1] - ys[0] >= 1)
    box = Box(xs[0], ys[0], xs[1], ys[1])
    try:
        cands = fit_candidates(p)
    except InfeasibleError:
        return
    moves = lambda b: sum(abs(u - v) for u, v in zip(b.as_tuple(), box.as_tuple()))  # noqa: E731
    shifted, grown = nearest_edges(box, p, cands), nearest_candidate(box, p)
    assert satisfied(shifted, p)
    # the brute-force oracle: no candidate's edges lie nearer (each snapped edge moves < 2 px)
    best = min(moves(Box(cands.x0[j], cands.y0[j], cands.x1[j], cands.y1[j])) for j in range(len(cands)))
    assert moves(shifted) <= best + 8 and moves(shifted) <= moves(grown) + 8
