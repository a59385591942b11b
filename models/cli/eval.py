"""``cropstudio eval DIR``: score cropping methods on a data set in the ``../shared/data`` format."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tqdm import tqdm

from models.cli.eval_output import cell, print_results, requested_names
from models.errors import InvalidInputError
from models.eval.baselines import ANNOTATION_BASELINES, BASELINE_NAMES, CONSTRAINT_BASELINES
from models.eval.datasets import load_annotations, load_constraints
from models.eval.registry import Task, available_methods, make_method
from models.eval.runner import AnnotationReport, ConstraintReport, evaluate_annotations, evaluate_constraints

Report = ConstraintReport | AnnotationReport


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "eval",
        help="score cropping methods on a data set (IoU, Disp, speed)",
        description=(
            "Score cropping methods on a data-set folder (annotations.json, or constraints.json with "
            "--constraints). Runs the chosen methods (default: every registered method for the task) and "
            "the baselines (constraints: " + ", ".join(CONSTRAINT_BASELINES) + "; annotations: "
            + ", ".join(ANNOTATION_BASELINES) + "). Metrics as in ../shared/data/README.md."
        ),
    )  # fmt: skip
    p.add_argument("dataset", type=Path, metavar="DIR", help="data-set folder")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--constraints", action="store_true", help="evaluate constraints.json (ratio + layout) items")
    mode.add_argument("--rank-candidates", action="store_true",
                      help="rank each image's graded crops (annotations.json 'scores') with a ranker (--method: "
                           "scorer; baselines random, largest): GAIC's ACC1/5, ACC4/5, ACC1/10, ACC4/10, SRCC, PCC")
    mode.add_argument("--rank-pairs", action="store_true",
                      help="pairwise accuracy of a ranker on DIR/ranking.json view pairs (hold-out fifth of the images)")
    p.add_argument("--all-images", action="store_true", help="--rank-pairs: every image's pairs, not only the hold-out fifth")
    p.add_argument("--method", action="append", metavar="NAME",
                   help="method to run: repeat the option or separate names with commas (default: all)")  # fmt: skip
    p.add_argument("--baselines", action=argparse.BooleanOptionalAction, default=True,
                   help="also run the baselines (default: yes)")  # fmt: skip
    p.add_argument("--limit", type=int, metavar="N", help="evaluate only the first N items")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.set_defaults(run=run)


def _method_names(task: Task, requested: Sequence[str] | None, baselines: bool) -> list[str]:
    known = available_methods()
    requested = requested_names(requested)
    if requested:
        unknown = [name for name in requested if name not in known]
        if unknown:
            raise InvalidInputError(f"unknown method {unknown[0]!r}; available: {', '.join(known)}")
        names = list(requested)
    else:
        names = [name for name in available_methods(task, defaults_only=True) if name not in BASELINE_NAMES]
    if baselines:
        names += CONSTRAINT_BASELINES if task == "constraints" else ANNOTATION_BASELINES
    names = list(dict.fromkeys(names))  # first occurrence wins
    if not names:
        raise InvalidInputError(f"no method to run: none is registered for {task}; name one with --method")
    return names


def run(args: argparse.Namespace) -> int:
    if args.limit is not None and args.limit < 0:
        raise InvalidInputError(f"--limit must be a non-negative integer, got {args.limit}")
    if args.rank_candidates or args.rank_pairs:
        from models.cli.eval_ranking import run_ranking

        return run_ranking(args)
    task: Task = "constraints" if args.constraints else "annotations"
    names = _method_names(task, args.method, args.baselines)
    if task == "constraints":
        data = load_constraints(args.dataset)
        title, total = f"{args.dataset} (design constraints)", len(data)
    else:
        data = load_annotations(args.dataset)
        title, total = f"{data.name} ({args.dataset})", len(data.items)
    if args.limit is not None:
        total = min(total, args.limit)

    reports: list[Report] = []
    for name in names:
        method = make_method(name)
        with tqdm(total=total, desc=name, unit="item", file=sys.stderr, disable=None, leave=False) as bar:

            def progress(done: int, _total: int, bar=bar) -> None:
                bar.update(done - bar.n)

            if task == "constraints":
                report = evaluate_constraints(data, method, limit=args.limit, progress=progress)
            else:
                report = evaluate_annotations(data, method, limit=args.limit, progress=progress)
        reports.append(report)

    if args.json:
        print_results(args.dataset, task, reports)
    else:
        _print_table(title, task, reports)
    return 0


def _print_table(title: str, task: Task, reports: Sequence[Report]) -> None:
    width = max([len("method"), *(len(r.method) for r in reports)])
    print(title)
    print(f"{'method':<{width}}  {'IoU':>6}  {'Disp':>6}  {'ms/item':>8}  {'items':>6}  {'skipped':>7}  {'violations':>10}")
    for r in reports:
        violations = str(r.violations) if isinstance(r, ConstraintReport) else "-"
        print(
            f"{r.method:<{width}}  {cell(r.mean_iou, '.4f'):>6}  {cell(r.mean_disp, '.4f'):>6}  "
            f"{cell(r.ms_per_item_total, '.2f'):>8}  {r.n_items:>6}  {r.skipped:>7}  {violations:>10}"
        )
    for r in reports:
        if isinstance(r, AnnotationReport) and r.best_of_3_iou is not None:
            print(f"{r.method}: best of its top 3 IoU {cell(r.best_of_3_iou, '.4f')}")
    graded = [r for r in reports if isinstance(r, AnnotationReport) and r.acc_1_5 is not None]
    for r in graded:
        print(f"{r.method}: ACC_1/5 {cell(r.acc_1_5, '.4f')}, ACC_1/10 {cell(r.acc_1_10, '.4f')}")
    if task != "constraints":
        return
    templates = sorted({k for r in reports if isinstance(r, ConstraintReport) for k in r.per_template_iou})
    if not templates:
        return
    print()
    print("IoU per layout template")
    print(f"{'method':<{width}}" + "".join(f"  {t:>6}" for t in templates))
    for r in reports:
        if isinstance(r, ConstraintReport):
            cells = "".join(f"  {cell(r.per_template_iou.get(t), '.4f'):>6}" for t in templates)
            print(f"{r.method:<{width}}{cells}")
