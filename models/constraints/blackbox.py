"""Black-box search (Optuna TPE) for scores that do not decompose over a summed-area table.

The seed searches its heatmap score with Optuna. Here it is the fallback for terms that are
expensive per box (a network scoring each crop, say); for decomposable scores
:class:`~models.constraints.search.ExhaustiveSearch` is exact and faster. Both satisfy the
:class:`~models.constraints.search.Searcher` protocol.

Parameterisation (after the seed's Alg. 2): a trial samples the crop width ``w`` between
the smallest allowed and the largest box of the ratio, and two fractions ``fx, fy`` in
``[0, 1]`` that place the crop inside the interval of positions where it holds every keep
region (models.constraints.candidates). So keep regions hold by construction; a trial
meeting an avoid region is pruned. If no trial is valid (avoid regions leaving only narrow
gaps) the exact grid search answers instead, so the result always satisfies the problem.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import optuna

from models.constraints.candidates import Candidates, GridSpec, position_interval, smallest_width
from models.constraints.problem import CropProblem, admits, check_feasible
from models.constraints.search import ExhaustiveSearch, Proposal, snap_to_pixels
from models.constraints.terms import ScoreTerm
from models.geometry import Box

__all__ = ["OptunaSearch"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OptunaSearch:
    """TPE over (size, position) with ``trials`` evaluations, reproducible by ``seed``."""

    trials: int = 300
    seed: int = 0
    min_scale: float = GridSpec().min_scale

    def _box(self, problem: CropProblem, w: float, fx: float, fy: float) -> Box | None:
        room = position_interval(problem, w)
        if room is None:
            return None
        w, h, x_lo, x_hi, y_lo, y_hi = room
        x0, y0 = x_lo + fx * (x_hi - x_lo), y_lo + fy * (y_hi - y_lo)
        box = Box(x0, y0, x0 + w, y0 + h)
        if any(box.intersection(a) is not None for a in problem.avoid) or not admits(problem, box):
            return None
        return box

    def search(self, problem: CropProblem, terms: Sequence[ScoreTerm], *, top_k: int = 1) -> tuple[Proposal, ...]:
        check_feasible(problem)
        largest = problem.largest.width
        smallest = smallest_width(problem, self.min_scale)

        def score(box: Box) -> tuple[float, tuple[tuple[str, float], ...]]:
            cands = Candidates(*(np.array([v]) for v in box.as_tuple()))
            parts = tuple((t.name, float(t(cands)[0])) for t in terms)
            return sum(v for _, v in parts), parts

        def objective(trial: optuna.Trial) -> float:
            w = trial.suggest_float("w", smallest, largest) if largest > smallest else largest
            box = self._box(problem, w, trial.suggest_float("fx", 0.0, 1.0), trial.suggest_float("fy", 0.0, 1.0))
            if box is None:
                raise optuna.TrialPruned()
            return score(box)[0]

        study = optuna.create_study(direction="maximize", sampler=optuna.samplers.TPESampler(seed=self.seed))
        study.enqueue_trial({"w": largest, "fx": 0.5, "fy": 0.5})  # start from the centred largest crop
        study.optimize(objective, n_trials=self.trials)
        done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
        if not done:
            log.info("no valid Optuna trial; answering with the exact grid search")
            return ExhaustiveSearch(GridSpec(sizes=8, steps=5, min_scale=self.min_scale)).search(
                problem, terms, top_k=top_k
            )
        best = sorted(done, key=lambda t: t.value, reverse=True)[:top_k]
        proposals = []
        for t in best:
            box = self._box(problem, t.params.get("w", largest), t.params["fx"], t.params["fy"])
            value, parts = score(box)
            proposals.append(Proposal(snap_to_pixels(box, problem), value, parts))
        log.debug("optuna: %d trials, %d valid, best %.4f", len(study.trials), len(done), proposals[0].score)
        return tuple(proposals)
