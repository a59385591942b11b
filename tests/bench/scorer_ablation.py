"""The crop scorer's training signals, ablated on the hold-out fifths (one run, one table).

    OMP_NUM_THREADS=1 .venv/bin/python -m tests.bench.scorer_ablation ../shared/data/fcdb_train \\
        --pro ../shared/data/pro_portraits --cache .cache --epochs 6

Each row trains a scorer from the cached frozen features (the same seed) and reports FCDB
hold-out pair accuracy, FCDB hold-out top-1 IoU and the pro_portraits hold-out frame IoU
(:mod:`models.scorer.dev`); the shipped weights and the trivial rows are measured on the
same hold-out images. Never run on FLMS.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

from models.nn.checkpoint import save_checkpoint
from models.scorer.dev import dev_figures, trivial_figures
from models.scorer.model import KIND, ScorerConfig, load_scorer
from models.scorer.train import ScorerTraining, fit_scorer, load_scorer_data

VARIANTS: dict[str, tuple[dict, dict]] = {
    "pairs + expert (the shipped recipe)": ({"w_pro": 0.0}, {}),
    "pairs + expert + pro": ({"w_pro": 1.0}, {}),
    "pairs + expert + pro, RoD": ({"w_pro": 1.0}, {"rod": 3}),
    "pairs + expert, RoD": ({"w_pro": 0.0}, {"rod": 3}),
    "pairs only": ({"w_expert": 0.0, "w_pro": 0.0}, {}),
    "pro only": ({"w_pairs": 0.0, "w_expert": 0.0, "w_pro": 1.0}, {}),
    "pairs + expert + pro x0.3": ({"w_pro": 0.3}, {}),
    "pairs + expert + pro + near, RoD": ({"w_pro": 1.0, "w_near": 1.0}, {"rod": 3}),
    "pairs + expert + pro + near x3, RoD": ({"w_pro": 1.0, "w_near": 3.0}, {"rod": 3}),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", type=Path)
    p.add_argument("--pro", type=Path, help="professional photographs (variants with w_pro > 0 need them)")
    p.add_argument("--cache", type=Path)
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int)
    p.add_argument("--pro-limit", type=int, help="only the first N professional photographs")
    p.add_argument("--only", action="append", help="run only these variants (repeatable)")
    p.add_argument("--save", type=Path, help="folder to write each variant's weights to")
    p.add_argument("--weights", action="append", metavar="NAME=FILE",
                   help="evaluate these trained weights files (e.g. from `cropstudio train scorer`) instead of training")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    data = load_scorer_data(args.folder, pro=args.pro, limit=args.limit, pro_limit=args.pro_limit, cache=args.cache)
    base = ScorerTraining(epochs=args.epochs, seed=args.seed)
    held = data.samples(base, train=False)
    rows = []
    print("| scorer | FCDB hold-out pair acc | FCDB hold-out top-1 IoU | pro hold-out frame IoU | train s |")
    print("|---|---|---|---|---|")
    for name, (fcdb, pro) in trivial_figures(held).items():
        print(f"| {name} (trivial) | - | {fcdb:.4f} | {pro:.4f} | - |", flush=True)
    shipped = load_scorer()
    if shipped.config.rod == 0:
        f = dev_figures(shipped.scorer, held)
        print(f"| shipped weights | {f.pair_accuracy:.4f} | {f.fcdb_iou:.4f} | {f.pro_iou:.4f} | - |", flush=True)
        rows.append({"name": "shipped", **asdict(f)})
    for spec in args.weights or ():
        name, _, path = spec.partition("=")
        model = load_scorer(path)
        f = dev_figures(model.scorer, held)
        print(f"| {name} | {f.pair_accuracy:.4f} | {f.fcdb_iou:.4f} | {f.pro_iou:.4f} | - |", flush=True)
        rows.append({"name": name, "weights": path, "meta": model.meta, **asdict(f)})
    for name, (settings, config) in VARIANTS.items():
        if args.weights or (args.only and name not in args.only) or (settings.get("w_pro", 0) > 0 and args.pro is None):
            continue
        s, c = replace(base, **settings), replace(ScorerConfig(), **config)
        start = time.perf_counter()
        model, loss, n_pairs = fit_scorer(data.samples(s), s, c)
        seconds = time.perf_counter() - start
        f = dev_figures(model, held)
        print(f"| {name} | {f.pair_accuracy:.4f} | {f.fcdb_iou:.4f} | {f.pro_iou:.4f} | {seconds:.0f} |", flush=True)
        rows.append({"name": name, "settings": asdict(s), "config": c.to_dict(), "loss": loss, **asdict(f)})
        if args.save:
            meta = {"command": " ".join(sys.argv), "seed": s.seed, "settings": asdict(s), "variant": name}
            save_checkpoint(args.save / f"{len(rows):02d}.pt", KIND, c.to_dict(), model.state_dict(), meta)
    print(json.dumps(rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
