"""``cropstudio train heatmap|scorer|procrop FOLDER --out FILE``: train a learned head (CPU is fine).

``--extra FOLDER`` (heatmap, procrop) adds training images such as a dataset-builder folder."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from functools import partial
from pathlib import Path

from tqdm import tqdm


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "train",
        help="train a learned model on a training folder (never the evaluation set)",
        description="Train one of the learned heads on FOLDER (annotations.json format). The backbone is frozen "
        "and its features are computed once, so training runs in minutes on a CPU.",
    )
    models = p.add_subparsers(dest="model", metavar="MODEL", required=True)
    for name, epochs, help_text, run in (
        ("heatmap", 5, "the aesthetic heatmap of the design-constraints method (seed sec. 3.3)", run_heatmap),
        ("scorer", 6, "the crop scorer of the proposal-based method (ranking.json pairs + expert crops)", run_scorer),
        ("procrop", 15, "ProCrop: retrieval-augmented crop proposals (expert crops + the composition index)", run_procrop),
    ):
        h = models.add_parser(name, help=help_text)
        h.add_argument("folder", type=Path)
        h.add_argument("--out", type=Path, required=True, help="weights file to write (.pt)")
        h.add_argument("--epochs", type=int, default=epochs, help=f"default {epochs}")
        h.add_argument("--seed", type=int, default=0)
        h.add_argument("--limit", type=int, help="use only the first N training images")
        h.add_argument("--cache", type=Path, help="folder for cached backbone features (reused by later runs)")
        h.add_argument("--all-images", action="store_true", help="train on the hold-out images too")
        h.add_argument("--json", action="store_true", help="print the result as JSON")
        if name != "scorer":  # the scorer learns from ranking.json pairs, which built data has none of
            h.add_argument("--extra", type=Path, action="append", default=[], metavar="FOLDER",
                           help="more training images (e.g. a `cropstudio build-dataset` folder); repeatable")  # fmt: skip
        h.set_defaults(run=run)
    sc = models.choices["scorer"]
    sc.add_argument("--pro", type=Path, metavar="FOLDER",
                    help="professional photographs (annotations.json, e.g. ../shared/data/pro_portraits): view-finding pairs")
    sc.add_argument("--pro-limit", type=int, metavar="N", help="use only the first N --pro photographs")
    sc.add_argument("--w-pairs", type=float, default=1.0, help="weight of the ranking.json pairs (default 1)")
    sc.add_argument("--w-expert", type=float, default=1.0, help="weight of expert crop vs random views (default 1)")
    sc.add_argument("--w-pro", type=float, default=None,
                    help="weight of the --pro frame vs its shifted/zoomed/squeezed views (default 1 with --pro, else 0)")
    sc.add_argument("--w-near", type=float, default=0.0,
                    help="weight of each expert crop / trimmed frame vs same-ratio views a few percent off (default 0)")
    sc.add_argument("--w-full", type=float, default=0.0,
                    help="weight of each expert crop vs the whole image, where they differ (default 0)")
    sc.add_argument("--w-grid", type=float, default=0.0,
                    help="weight of GAIC-grid candidate pairs, the one nearer the expert crop winning (default 0)")
    sc.add_argument("--rod", type=int, default=0, metavar="K", help="RoDAlign grid of what the crop discards (0: none)")
    sc.add_argument("--members", type=int, default=1, metavar="K",
                    help="train K scorers (seeds --seed, --seed + 1, ...) into one ensemble file; scores are averaged (default 1)")
    from models.cli.procrop_train import add_procrop_options

    add_procrop_options(models.choices["procrop"])


class _Progress:
    """One tqdm bar per stage (features, epochs)."""

    def __init__(self) -> None:
        self.bars: dict[str, tqdm] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(desc=stage, total=total, file=sys.stderr, disable=None)
        bar.update(done - bar.n)

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


def _command(args: argparse.Namespace) -> str:
    """The command line as typed, stored in the weights file so they can be reproduced."""
    return "cropstudio " + " ".join(shlex.quote(a) for a in getattr(args, "argv", sys.argv[1:]))


def run_heatmap(args: argparse.Namespace) -> int:
    from models.heatmap.train import HeatmapTraining, train_heatmap

    settings = HeatmapTraining(epochs=args.epochs, seed=args.seed, holdout=not args.all_images)
    return _train(args, partial(train_heatmap, extra=tuple(args.extra)), settings)


def run_scorer(args: argparse.Namespace) -> int:
    from models.scorer.train import ScorerTraining, train_scorer

    from models.errors import InvalidInputError
    from models.scorer.model import ScorerConfig

    w_pro = args.w_pro if args.w_pro is not None else (1.0 if args.pro is not None else 0.0)
    weights = (args.w_pairs, args.w_expert, w_pro, args.w_near, args.w_full, args.w_grid)
    if any(not w >= 0 for w in weights) or not any(weights):
        raise InvalidInputError(f"the signal weights must be >= 0 and not all 0, got {weights}")
    if args.rod < 0:
        raise InvalidInputError(f"--rod must be >= 0, got {args.rod}")
    if args.members < 1:
        raise InvalidInputError(f"--members must be at least 1, got {args.members}")
    settings = ScorerTraining(epochs=args.epochs, seed=args.seed, holdout=not args.all_images,
                              w_pairs=args.w_pairs, w_expert=args.w_expert, w_pro=w_pro, w_near=args.w_near,
                              w_full=args.w_full, w_grid=args.w_grid)  # fmt: skip
    train = partial(train_scorer, pro=args.pro, pro_limit=args.pro_limit, config=ScorerConfig(rod=args.rod, members=args.members))
    return _train(args, train, settings)


def run_procrop(args: argparse.Namespace) -> int:
    from models.cli.procrop_train import run

    return run(args, _train, _command)


def _train(args: argparse.Namespace, train, settings) -> int:
    from models.errors import InvalidInputError

    if args.epochs < 1:
        raise InvalidInputError(f"--epochs must be at least 1, got {args.epochs}")
    if args.limit is not None and args.limit < 1:
        raise InvalidInputError(f"--limit must be at least 1, got {args.limit}")
    progress = _Progress()
    try:
        meta = train(args.folder, args.out, settings=settings, limit=args.limit, cache=args.cache,
                     command=_command(args), progress=progress)  # fmt: skip
    finally:
        progress.close()
    if args.json:
        print(json.dumps({"out": str(args.out), **meta}, indent=2))
    else:
        print(f"wrote {args.out}: {meta['images']} images, {meta['epochs']} epochs, loss {meta['train_loss']}")
    return 0
