"""Hungarian matcher against brute force, batched == single, and the set criterion."""

from __future__ import annotations

import itertools

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from models.procrop.box_ops import box_iou, generalized_box_iou
from models.procrop.criterion import SetCriterion
from models.procrop.matcher import HungarianMatcher


def _boxes(rng: np.random.Generator, n: int) -> torch.Tensor:
    a = rng.uniform(0, 1, (n, 2, 2))
    lo, hi = a.min(1), a.max(1) + 0.01
    return torch.tensor(np.concatenate([lo, hi], 1), dtype=torch.float32)


def _brute_cost(cost: np.ndarray) -> float:
    q, t = cost.shape
    return min(sum(cost[p[j], j] for j in range(t)) for p in itertools.permutations(range(q), t))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), q=st.integers(1, 6), t=st.integers(1, 4))
def test_matcher_is_optimal(seed, q, t):
    t = min(q, t)
    rng = np.random.default_rng(seed)
    boxes, targets = _boxes(rng, q), _boxes(rng, t)
    logits = torch.tensor(rng.normal(size=q), dtype=torch.float32)
    matcher = HungarianMatcher()
    cost = matcher.cost(boxes, logits, targets).numpy()
    (rows, cols), = matcher(boxes[None], logits[None], [targets])
    assert len(rows) == t and len(set(rows.tolist())) == t
    assert np.isclose(cost[rows, cols].sum(), _brute_cost(cost), atol=1e-5)


def test_batched_equals_single():
    rng = np.random.default_rng(3)
    boxes = torch.stack([_boxes(rng, 7) for _ in range(3)])
    logits = torch.tensor(rng.normal(size=(3, 7)), dtype=torch.float32)
    targets = [_boxes(rng, n) for n in (1, 3, 2)]
    matcher = HungarianMatcher()
    batched = matcher(boxes, logits, targets)
    for i in range(3):
        (r, c), = matcher(boxes[i : i + 1], logits[i : i + 1], [targets[i]])
        assert torch.equal(r, batched[i][0]) and torch.equal(c, batched[i][1])


def test_giou_properties():
    rng = np.random.default_rng(1)
    a, b = _boxes(rng, 5), _boxes(rng, 4)
    g = generalized_box_iou(a, b)
    iou, _ = box_iou(a, b)
    assert (g <= iou + 1e-6).all() and (g >= -1).all()
    assert torch.allclose(torch.diag(generalized_box_iou(a, a)), torch.ones(5))


def test_criterion_zero_on_perfect_predictions():
    targets = [torch.tensor([[0.1, 0.2, 0.9, 0.8]]), torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.3, 0.3, 0.6, 0.7]])]
    boxes = torch.full((2, 5, 4), 0.5)
    boxes[..., 2:] = 0.6
    logits = torch.full((2, 5), -40.0)
    boxes[0, 3], logits[0, 3] = targets[0][0], 40.0
    boxes[1, 0], boxes[1, 4] = targets[1][0], targets[1][1]
    logits[1, 0] = logits[1, 4] = 40.0
    loss = SetCriterion()([(boxes, logits)], targets)
    assert float(loss.total) < 1e-6 and float(loss.l1) == 0 and float(loss.giou) < 1e-6
    worse = SetCriterion()([(boxes + 0.05, logits)], targets)
    assert float(worse.total) > 0.1
