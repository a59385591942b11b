"""The judge on each backbone of the registry: cost per image and hold-out figures (issue 18).

    nice -n 15 env OMP_NUM_THREADS=1 .venv/bin/python -m tests.bench.backbones ../shared/data/fcdb_train \\
        --pro ../shared/data/pro_portraits --limit 300 --pro-limit 300 --epochs 2 --cache .cache

Per backbone (only those whose pip package is installed; the others are listed as missing):
ms per image of one forward pass at the scorer's input size (320 x 320, one thread, median of
``--repeats`` passes on the README's sample, taken in turns), parameter count of the frozen part kept, size of
the weights file, and the judge's hold-out figures (:func:`models.scorer.dev.dev_figures`)
after an equal-settings training: the shipped judge's signals (FCDB pairs + expert crops +
pro views, RoD 3) on the first ``--limit`` FCDB and ``--pro-limit`` pro_portraits images,
``--epochs`` epochs, seed ``--seed``. The hold-out images are the hold-out fifths
(:func:`models.eval.split.is_holdout`) of those same first images, the same for every
backbone; the trivial rows are measured on them. Never run on FLMS.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import torch

from models.errors import InvalidInputError
from models.imaging import load_image
from models.nn.backbone import backbone_registry, build_backbone, image_tensor, packaged_weights
from models.resources import resource_path
from models.scorer.dev import dev_figures, trivial_figures
from models.scorer.model import ScorerConfig
from models.scorer.train import ScorerTraining, fit_scorer, load_scorer_data

SAMPLE = "samples/astronaut.jpg"


def costs(names: list[str], size: int, repeats: int) -> tuple[list[dict], list[str]]:
    """Per installed backbone: median ms of one forward pass, taken in turns (backbone by
    backbone, ``repeats`` rounds after one warm-up round) so the machine's load falls on all
    alike; its parameters and weights file. Also the lines for the missing ones."""
    built, missing = {}, []
    for name in names:
        try:
            built[name] = build_backbone(name)
        except InvalidInputError as exc:
            missing.append(f"| {name} | missing: {exc} | | | | | | | |")
    rgb = load_image(resource_path(SAMPLE)).rgb
    inputs = {n: image_tensor(rgb, size, b) for n, b in built.items()}
    times: dict[str, list[float]] = {n: [] for n in built}
    with torch.inference_mode():
        for r in range(repeats + 1):
            for name, backbone in built.items():
                start = time.perf_counter()
                backbone(inputs[name])
                if r:
                    times[name].append((time.perf_counter() - start) * 1000)
    rows = [{"backbone": n, "ms": statistics.median(times[n]), "ms_all": times[n], "params": sum(p.numel() for p in b.parameters()),
             "weights_mb": packaged_weights(n).stat().st_size / 1e6, "channels": b.channels} for n, b in built.items()]  # fmt: skip
    return rows, missing


def judge(name: str, channels: dict[str, int], args: argparse.Namespace) -> dict:
    """Features (cached), an equal-settings training and the hold-out figures of one backbone."""
    config = ScorerConfig(backbone=name, rod=3, in_channels=(channels["s16"], channels["s32"]))
    start = time.perf_counter()
    data = load_scorer_data(args.folder, pro=args.pro, config=config, limit=args.limit, pro_limit=args.pro_limit, cache=args.cache)
    feature_s = time.perf_counter() - start
    settings = ScorerTraining(epochs=args.epochs, seed=args.seed, w_pro=1.0)
    start = time.perf_counter()
    model, loss, n_pairs = fit_scorer(data.samples(settings), settings, config)
    train_s = time.perf_counter() - start
    held = data.samples(settings, train=False)
    return {"config": config.to_dict(), "feature_s": feature_s, "train_s": train_s, "loss": loss, "pairs": n_pairs,
            "held": held, **asdict(dev_figures(model, held))}  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", type=Path)
    p.add_argument("--pro", type=Path, required=True, help="professional photographs (pro_portraits)")
    p.add_argument("--cache", type=Path)
    p.add_argument("--limit", type=int, default=300)
    p.add_argument("--pro-limit", type=int, default=300)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=10)
    p.add_argument("--backbone", action="append", help="only these backbones (repeatable; default: all)")
    p.add_argument("--cost-only", action="store_true", help="only the per-image cost, no training")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    size = ScorerConfig().input_size
    rows, missing = costs(args.backbone or list(backbone_registry), size, args.repeats)
    trivial = None
    print("| backbone | ms / image (320 px, 1 thread) | parameters | weights MB | FCDB hold-out pair acc "
          "| FCDB hold-out top-1 IoU | pro hold-out frame IoU | features s | train s |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        if not args.cost_only:
            row.update(judge(row["backbone"], row["channels"], args))
            held = row.pop("held")
            trivial = trivial or trivial_figures(held)
        f = "| {backbone} | {ms:.1f} | {params:,} | {weights_mb:.1f} |".format(**row)
        if not args.cost_only:
            f += " {pair_accuracy:.4f} | {fcdb_iou:.4f} | {pro_iou:.4f} | {feature_s:.0f} | {train_s:.0f} |".format(**row)
        print(f, flush=True)
    for line in missing:
        print(line)
    for name, (fcdb, pro) in (trivial or {}).items():
        print(f"| {name} (trivial) | - | - | - | - | {fcdb:.4f} | {pro:.4f} | - | - |")
    if rows and not args.cost_only:
        print(f"hold-out images: FCDB {rows[0]['n_fcdb']}, pro {rows[0]['n_pro']}")
    print(json.dumps(rows), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
