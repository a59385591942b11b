"""How well the constraint-weight grids generalise: tune on half the images, test on the other.

    OMP_NUM_THREADS=1 .venv/bin/cropstudio tune ../shared/data/fcdb_train --method proposal --heatmap-terms \\
        --cache .cache/tune/judge.npz
    OMP_NUM_THREADS=1 .venv/bin/python -m tests.bench.tune_halves .cache/tune/judge.npz --splits 20

Reads the term values that ``cropstudio tune --cache`` kept (the proposal cropper's six
columns: judge, area, centre, heatmap, border, face-cut) and, for each of ``--splits``
seeded random halvings of the images, chooses the best weights of each grid on one half
and measures them on the other (both ways). The grids: the heatmap method's (judge 0), the
judge alone, the judge with the heatmap's border term, with both heatmap terms, and the
heatmap method's shipped weights with only the judge's weight searched. FCDB hold-out items
only; never FLMS.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from models.constraints.learned import HEATMAP_WEIGHTS, ProposalWeights
from models.constraints.tune import GRID, SCORER_GRID, DevItems, grid_search

GRIDS: dict[str, dict[str, tuple[float, ...]]] = {
    "heatmap (judge 0)": {"judge": (0.0,), "area": GRID["area"], "centre": GRID["centre"],
                          "heatmap": GRID["attention"], "border": GRID["border"]},
    "judge, no priors": {"judge": (1.0,), "area": (0.0,), "centre": (0.0,), "heatmap": (0.0,), "border": (0.0,)},
    "judge alone": SCORER_GRID,
    "judge + border": {**SCORER_GRID, "border": GRID["border"]},
    "judge + heatmap terms": {**SCORER_GRID, "heatmap": GRID["attention"], "border": GRID["border"]},
    "heatmap as shipped": {k: (getattr(HEATMAP_WEIGHTS, "attention" if k == "heatmap" else k, 0.0),)
                           for k in ("judge", "area", "centre", "heatmap", "border")},
    "heatmap as shipped + judge": {"judge": (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0), **{
        k: (getattr(HEATMAP_WEIGHTS, "attention" if k == "heatmap" else k),) for k in ("area", "centre", "heatmap", "border")}},
}  # fmt: skip


def _load(path: Path) -> DevItems:
    with np.load(path) as data:
        key = str(data["key"])
    dev = DevItems.load(path, key)
    if dev is None:
        raise SystemExit(f"{path}: not a tune cache")
    return dev


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cache", type=Path)
    p.add_argument("--splits", type=int, default=20)
    p.add_argument("--grid", action="append", choices=tuple(GRIDS), help="only these grids (default: all)")
    args = p.parse_args(argv)
    dev = _load(args.cache)
    print(f"{len(dev.ious)} items, {dev.images} images; centred {dev.centred.mean():.4f}")
    print(f"{'grid':<24}{'all items':>10}{'tuned half':>12}{'other half':>12}{'centred, other':>16}  best on all")
    for name, grid in GRIDS.items():
        if args.grid and name not in args.grid:
            continue
        full = grid_search(dev, ProposalWeights, grid)
        inside, outside, centred = [], [], []
        for seed in range(args.splits):
            order = np.random.default_rng(seed).permutation(dev.images)
            half = np.isin(dev.image_of, order[: dev.images // 2])
            for a, b in ((half, ~half), (~half, half)):
                tuned, other = dev.subset(np.flatnonzero(a)), dev.subset(np.flatnonzero(b))
                best_iou, best = grid_search(tuned, ProposalWeights, grid)[0]
                inside.append(best_iou)
                outside.append(grid_search(other, ProposalWeights, {k: (getattr(best, k),) for k in grid})[0][0])
                centred.append(other.centred.mean())
        w = full[0][1]
        print(f"{name:<24}{full[0][0]:>10.4f}{np.mean(inside):>12.4f}{np.mean(outside):>12.4f}{np.mean(centred):>16.4f}"
              f"  judge {w.judge:g} area {w.area:g} centre {w.centre:g} heatmap {w.heatmap:g} border {w.border:g}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
