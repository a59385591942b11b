"""Box voting (models.procrop.vote): the weighted median against a brute-force L1 oracle,
voted boxes inside their voters' hull, and suppression with voting against plain NMS."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.box_arrays import iou_matrix
from models.errors import InvalidInputError
from models.procrop.ranking import nms
from models.procrop.vote import Ballot, voted_suggestions, weighted_median


def vote(boxes, scores, indices, **kwargs) -> np.ndarray:
    """Each of ``indices`` voted on its own (a fresh ballot: every query near it votes)."""
    return np.stack([Ballot(boxes, scores, **kwargs).box(int(i)) for i in indices])

unit = st.floats(0.0, 1.0, allow_nan=False)


@st.composite
def box_sets(draw, min_size: int = 1, max_size: int = 12):
    n = draw(st.integers(min_size, max_size))
    rows = []
    for _ in range(n):
        x0, x1 = sorted(draw(st.lists(unit, min_size=2, max_size=2, unique=True)))
        y0, y1 = sorted(draw(st.lists(unit, min_size=2, max_size=2, unique=True)))
        rows.append((x0, y0, x1, y1))
    scores = draw(st.lists(st.floats(0.01, 0.99), min_size=n, max_size=n))
    return np.array(rows), np.array(scores)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.floats(-5, 5), st.floats(0.01, 10)), min_size=1, max_size=15))
def test_weighted_median_is_the_smallest_l1_minimiser(pairs):
    values, weights = (np.array(v) for v in zip(*pairs, strict=True))
    exact = [(Fraction(float(v)), Fraction(float(w))) for v, w in pairs]  # no rounding in the oracle
    cost = [sum(w * abs(x - v) for x, w in exact) for v, _ in exact]
    minimisers = [float(v) for (v, _), c in zip(exact, cost, strict=True) if c == min(cost)]
    assert weighted_median(values, weights) == min(minimisers)


@settings(max_examples=150, deadline=None)
@given(box_sets())
def test_voted_boxes_lie_in_their_voters_hull_and_stay_proper(data):
    boxes, scores = data
    voted = vote(boxes, scores, range(len(boxes)), iou=0.5)
    m = iou_matrix(boxes, boxes)
    logits = np.log(scores / (1 - scores))
    for i, v in enumerate(voted):
        idx = np.flatnonzero(m[i] >= 0.5) if m[i, i] >= 0.5 else np.array([i])
        near = boxes[idx]
        assert np.all(v >= near.min(0)) and np.all(v <= near.max(0))
        assert v[0] < v[2] and v[1] < v[3]
        w = np.exp(logits[idx] - logits[idx].max())
        np.testing.assert_array_equal(v, [weighted_median(near[:, c], w) for c in range(4)])


def test_a_lone_box_and_exact_copies_vote_for_themselves():
    b = np.array([[0.1, 0.2, 0.7, 0.9], [0.1, 0.2, 0.7, 0.9], [0.5, 0.5, 0.6, 0.6]])
    np.testing.assert_array_equal(vote(b, np.array([0.9, 0.3, 0.6]), [0, 2]), b[[0, 2]])


def test_the_median_keeps_a_whole_frame_whole_where_a_mean_would_shrink_it():
    # the best query is the whole image (odds 9); two weaker near-copies sit 2 % inside it
    boxes = np.array([[0, 0, 1, 1], [0.02, 0.02, 0.98, 0.98], [0.02, 0.02, 0.98, 0.98]], float)
    np.testing.assert_array_equal(vote(boxes, np.array([0.9, 0.5, 0.5]), [0])[0], [0, 0, 1, 1])
    # three strong near-copies outvote a slightly better outlier
    boxes = np.array([[0, 0, 1, 1], [0.1, 0.1, 0.9, 0.95], [0.1, 0.1, 0.9, 0.95], [0.1, 0.1, 0.9, 0.95]], float)
    np.testing.assert_allclose(vote(boxes, np.array([0.6, 0.55, 0.55, 0.55]), [0], iou=0.6)[0], [0.1, 0.1, 0.9, 0.95])


def test_the_temperature_sharpens_towards_the_best_voter():
    boxes = np.array([[0.0, 0, 0.8, 1], [0.1, 0, 0.9, 1], [0.1, 0, 0.9, 1]])
    scores = np.array([0.95, 0.6, 0.6])  # odds 19 against 1.5 + 1.5
    assert vote(boxes, scores, [0], iou=0.5, temperature=1.0)[0][0] == 0.0
    assert vote(boxes, scores, [0], iou=0.5, temperature=10.0)[0][0] == pytest.approx(0.1)


@settings(max_examples=150, deadline=None)
@given(box_sets(max_size=15), st.floats(0.2, 0.9), st.integers(1, 6))
def test_suppression_with_voting_keeps_raw_and_voted_boxes_diverse(data, threshold, limit):
    boxes, scores = data
    kept = voted_suggestions(boxes, scores, threshold, limit)
    assert 1 <= len(kept) <= limit
    idx = [i for i, _ in kept]
    assert idx[0] == int(np.argmax(scores))  # the best query always leads
    assert all(scores[a] >= scores[b] for a, b in zip(idx, idx[1:], strict=False))
    for group in (boxes[idx], np.stack([v for _, v in kept])):
        m = iou_matrix(group, group)
        assert np.all(m[~np.eye(len(idx), dtype=bool)] <= threshold + 1e-12)


@settings(max_examples=100, deadline=None)
@given(box_sets(max_size=15), st.floats(0.2, 0.9), st.integers(1, 6))
def test_without_near_copies_voting_is_plain_nms(data, threshold, limit):
    boxes, scores = data
    kept = voted_suggestions(boxes, scores, threshold, limit, iou=1.0)  # only exact copies vote
    assert [i for i, _ in kept] == nms(boxes, scores, threshold, limit)
    for i, v in kept:
        np.testing.assert_array_equal(v, boxes[i])


def test_a_refit_is_applied_before_the_diversity_check():
    boxes = np.array([[0.0, 0.0, 0.5, 1.0], [0.5, 0.0, 1.0, 1.0]])
    # both re-fitted to the same box: the second is not diverse any more
    kept = voted_suggestions(boxes, np.array([0.9, 0.8]), 0.7, 5, refit=lambda v: np.array([0.0, 0.0, 1.0, 1.0]))
    assert [i for i, _ in kept] == [0]


@pytest.mark.parametrize(
    ("scores", "kwargs", "message"),
    [
        (np.array([0.5]), {}, "one score per box"),
        (np.array([0.5, 0.5]), {"iou": 0.0}, "overlap"),
        (np.array([0.5, 0.5]), {"temperature": 0.0}, "temperature"),
        (np.array([0.5, 0.5]), {"temperature": float("nan")}, "temperature"),
    ],
)
def test_bad_arguments_are_refused_clearly(scores, kwargs, message):
    boxes = np.array([[0, 0, 1, 1], [0, 0, 0.5, 0.5]], float)
    with pytest.raises(InvalidInputError, match=message):
        vote(boxes, scores, [0], **kwargs)
    with pytest.raises(InvalidInputError, match=message):
        voted_suggestions(boxes, scores, 0.7, 2, **kwargs)


def test_a_runner_up_is_not_pulled_toward_the_near_copies_of_the_best():
    best, copy, runner_up = [0.0, 0, 0.6, 1], [0.1, 0, 0.7, 1], [0.2, 0, 0.8, 1]
    boxes, scores = np.array([best, copy, runner_up]), np.array([0.9, 0.85, 0.5])
    # on its own, the runner-up would be outvoted by the best's near-copy (IoU 0.71 with both)
    assert vote(boxes, scores, [2])[0][0] == pytest.approx(0.1)
    kept = voted_suggestions(boxes, scores, 0.7, 3)
    assert [i for i, _ in kept] == [0, 2]
    np.testing.assert_allclose(kept[0][1], [0.0, 0, 0.6, 1])  # the copy voted for the best (odds 9 against 5.7)
    np.testing.assert_allclose(kept[1][1], runner_up)  # its voters: itself only, the copy was taken


def test_a_voted_box_too_close_to_a_shown_one_is_shown_as_its_own_box():
    first, second, copy = [0.0, 0, 0.5, 1], [0.3, 0, 0.8, 1], [0.35, 0, 0.85, 1]
    boxes, scores = np.array([first, second, copy, copy]), np.array([0.9, 0.8, 0.75, 0.75])
    np.testing.assert_allclose(vote(boxes, scores, [1])[0], copy)  # two copies outvote it

    def refit(v):  # a re-fit that lands the voted box on the first suggestion
        return np.array(first) if v[0] > 0.32 else v

    kept = voted_suggestions(boxes, scores, 0.7, 3, refit=refit)
    assert [i for i, _ in kept] == [0, 1]  # the copies are suppressed by the second
    np.testing.assert_allclose(kept[1][1], second)
    # and when its own box is too close as well, the query is not shown
    kept = voted_suggestions(boxes, scores, 0.7, 3, refit=lambda v: np.array(first))
    assert [i for i, _ in kept] == [0]


def test_the_engine_gets_the_predictors_voted_suggestions_first_then_every_query():
    from models.cropping.methods import ProCrop
    from models.cropping.request import Request
    from models.procrop.ranking import Queries, rank

    # a best query, two strong near-copies of a tighter framing, and a distinct runner-up
    boxes = np.array([[0.0, 0, 1, 1], [0.05, 0.05, 0.95, 0.95], [0.05, 0.05, 0.95, 0.95], [0.5, 0.5, 1, 1]])
    queries = Queries(boxes, np.array([0.6, 0.55, 0.55, 0.4]), (), (), (400, 300))
    proposed = tuple(ProCrop().propose(queries, Request(method="procrop"), (400, 300), 3))
    voted = rank(queries, 4)
    assert voted.items[0].box.as_tuple() == (20.0, 15.0, 380.0, 285.0)  # the copies outvote the best
    assert voted.items[0].query.as_tuple() == (0.0, 0.0, 400.0, 300.0)
    assert [p.box for p in proposed[: len(voted.items)]] == [s.box for s in voted.items]
    # then every query's own box, best first, the basis the engine suppresses repeats by
    raw = rank(queries, 4, iou_threshold=1.0, vote=False)
    assert [p.box for p in proposed[len(voted.items):]] == [s.box for s in raw.items]
    assert raw.items[0].box.as_tuple() == (0.0, 0.0, 400.0, 300.0)
    assert all(p.basis is not None for p in proposed)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(-800.0, 800.0), min_size=1, max_size=20))
def test_one_logit_and_logistic_pair_round_trips_without_overflow(values):
    import warnings

    from models.procrop.rerank import logits, sigmoid

    x = np.array(values)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would be a RuntimeWarning
        p = sigmoid(x)
        back = logits(p)
    assert np.all((p >= 0) & (p <= 1))
    inside = np.abs(x) < np.log((1 - 1e-6) / 1e-6)  # the logit's clip: p in [1e-6, 1 - 1e-6]
    np.testing.assert_allclose(back[inside], x[inside], atol=1e-6)
    assert np.all(np.abs(back) <= np.log((1 - 1e-6) / 1e-6) + 1e-9)


def test_the_no_vote_methods_show_the_queries_own_boxes():
    from models.cropping.methods import get_method, procrop_name
    from models.cropping.request import Request
    from models.eval.protocol import CropRequest
    from models.procrop.method import ProCropMethod
    from models.procrop.ranking import Queries, rank

    boxes = np.array([[0.0, 0, 1, 1], [0.05, 0.05, 0.95, 0.95], [0.05, 0.05, 0.95, 0.95], [0.5, 0.5, 1, 1]])
    queries = Queries(boxes, np.array([0.6, 0.55, 0.55, 0.4]), (), (), (400, 300))
    own, voted = rank(queries, 2, vote=False), rank(queries, 2)
    assert [s.box for s in own.items] != [s.box for s in voted.items]  # the copies outvote the best
    engine = get_method(procrop_name(vote=False))
    assert engine.key == get_method("procrop").key  # one analysis serves both
    proposed = tuple(engine.propose(queries, Request(method=engine.name), (400, 300), 2))
    assert [p.box for p in proposed[:2]] == [s.box for s in own.items]
    request = CropRequest((400, 300), None)
    assert ProCropMethod(vote=False).ranked(queries, request, 2) == tuple(s.box for s in own.items)
    assert ProCropMethod().ranked(queries, request, 2) == tuple(s.box for s in voted.items)
    assert procrop_name(False, False) == "procrop-no-rerank-no-vote" and get_method("procrop-no-rerank-no-vote").rerank is False
