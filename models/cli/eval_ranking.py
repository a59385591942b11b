"""``cropstudio eval DIR --rank-candidates | --rank-pairs``: a ranker as a judge of crops."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tqdm import tqdm

from models.cli.eval_output import cell, print_results, requested_names
from models.errors import InvalidInputError
from models.eval.datasets import load_annotations
from models.eval.rank_runner import CandidateReport, PairReport, evaluate_candidates, evaluate_pairs
from models.eval.ranking import RANKER_BASELINES, available_rankers, make_ranker

__all__ = ["run_ranking"]


def _names(requested: Sequence[str] | None, baselines: bool) -> list[str]:
    known = available_rankers()
    asked = requested_names(requested)
    unknown = [n for n in asked if n not in known]
    if unknown:
        raise InvalidInputError(f"unknown ranker {unknown[0]!r}; available: {', '.join(known)}")
    names = asked or [n for n in known if n not in RANKER_BASELINES]
    if baselines:
        names += RANKER_BASELINES
    names = list(dict.fromkeys(names))
    if not names:
        raise InvalidInputError("no ranker to run; name one with --method")
    return names


def run_ranking(args: argparse.Namespace) -> int:
    names = _names(args.method, args.baselines)
    reports: list[CandidateReport | PairReport] = []
    aset = load_annotations(args.dataset) if args.rank_candidates else None
    for name in names:
        ranker = make_ranker(name)
        with tqdm(desc=name, unit="image", file=sys.stderr, disable=None, leave=False) as bar:

            def progress(done: int, total: int, bar=bar) -> None:
                bar.total = total
                bar.update(done - bar.n)

            if aset is not None:
                reports.append(evaluate_candidates(aset, ranker, limit=args.limit, progress=progress))
            else:
                reports.append(evaluate_pairs(args.dataset, ranker, holdout_only=not args.all_images,
                                              limit=args.limit, progress=progress))  # fmt: skip
    task = "rank-candidates" if aset is not None else "rank-pairs"
    if args.json:
        extra = {"holdout_only": not args.all_images} if task == "rank-pairs" else {}
        print_results(args.dataset, task, reports, **extra)
        return 0
    width = max(len("method"), *(len(r.method) for r in reports))
    if aset is not None:
        print(f"{aset.name} ({args.dataset}): ranking each image's graded crops (ACC in %)")
        print(f"{'method':<{width}}  {'ACC1/5':>6}  {'ACC4/5':>6}  {'ACC1/10':>7}  {'ACC4/10':>7}  {'SRCC':>6}  "
              f"{'PCC':>6}  {'ms/img':>7}  {'images':>6}  {'skipped':>7}")  # fmt: skip
        for r in reports:
            pct = [cell(100 * v, ".1f") for v in (r.acc_1_5, r.acc_4_5, r.acc_1_10, r.acc_4_10)]
            print(f"{r.method:<{width}}  {pct[0]:>6}  {pct[1]:>6}  {pct[2]:>7}  {pct[3]:>7}  {cell(r.srcc, '.3f'):>6}  "
                  f"{cell(r.pcc, '.3f'):>6}  {cell(r.ms_per_image, '.1f'):>7}  {r.n_images:>6}  {r.skipped:>7}")  # fmt: skip
    else:
        part = "every image" if args.all_images else "hold-out fifth"
        print(f"{args.dataset}: pairwise accuracy on ranking.json ({part})")
        print(f"{'method':<{width}}  {'acc':>6}  {'weighted':>8}  {'pairs':>6}  {'images':>6}  {'ms/img':>7}")
        for r in reports:
            print(f"{r.method:<{width}}  {cell(r.accuracy, '.4f'):>6}  {cell(r.weighted, '.4f'):>8}  {r.n_pairs:>6}  "
                  f"{r.n_images:>6}  {cell(r.ms_per_image, '.1f'):>7}")  # fmt: skip
    return 0
