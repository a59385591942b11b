"""Optuna search: same protocol, constraints always hold, close to the exact optimum."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from models.constraints import AreaTerm, AttentionTerm, CentreTerm, CropProblem, ExhaustiveSearch, MapIntegral
from models.constraints.blackbox import OptunaSearch
from models.errors import InfeasibleError
from models.geometry import AspectRatio, Box
from tests.models.test_constraints import problems, satisfied


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=problems())
def test_optuna_answers_satisfy_the_constraints(p):
    try:
        (best,) = OptunaSearch(trials=30).search(p, [AreaTerm(p.image_size), CentreTerm(p.image_size)])
    except InfeasibleError:
        with pytest.raises(InfeasibleError):
            ExhaustiveSearch().search(p, [AreaTerm(p.image_size)])
        return
    assert satisfied(best.box, p)


def test_optuna_gets_close_to_the_exhaustive_optimum_and_is_reproducible():
    rng = np.random.default_rng(0)
    values = np.zeros((30, 40))
    values[5:15, 25:35] = 1.0 + rng.random((10, 10))
    p = CropProblem((400, 300), AspectRatio(4, 3), keep=(Box(20, 150, 60, 200),))
    terms = [AttentionTerm(MapIntegral(values, p.image_size), 2.0), AreaTerm(p.image_size, 0.5)]
    exact = ExhaustiveSearch().search(p, terms)[0]
    first = OptunaSearch(trials=200, seed=1).search(p, terms)[0]
    again = OptunaSearch(trials=200, seed=1).search(p, terms)[0]
    assert first == again
    assert first.score >= exact.score - 0.02
    assert satisfied(first.box, p)


def test_falls_back_to_the_exact_search_when_gaps_are_narrow(caplog):
    # the only room for a square is a 33 px gap; random trials almost never land in it
    p = CropProblem((200, 100), AspectRatio(1, 1), avoid=(Box(0, 0, 117, 100), Box(150, 0, 200, 100)))
    with caplog.at_level("INFO", logger="models.constraints.blackbox"):
        (best,) = OptunaSearch(trials=5).search(p, [AreaTerm(p.image_size)])
    assert satisfied(best.box, p)
    assert "answering with the exact grid search" in caplog.text
