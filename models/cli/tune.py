"""``cropstudio tune FOLDER``: choose the constraint-score weights on a training folder."""

from __future__ import annotations

import argparse
import sys
from dataclasses import fields
from pathlib import Path

from tqdm import tqdm

from models.constraints.tune import GRID, SCORER_GRID, tune_weights


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "tune",
        help="choose the design-constraint score weights on a training folder (never FLMS)",
        description=(
            "Builds design-constraint items from FOLDER's expert crops (annotations.json) as the FLMS set "
            "was built, and grid-searches the weights of the attention method's score terms. Prints the "
            "best settings next to the centred baseline and the best candidate per item."
        ),
    )
    p.add_argument("folder", type=Path)
    p.add_argument("--images", type=int, help="use only the first N images")
    p.add_argument("--top", type=int, default=10, help="how many settings to print (default 10)")
    p.add_argument(
        "--method", choices=("attention", "heatmap", "proposal"), default="attention",
        help="the method whose term weights are tuned: attention (OpenCV saliency), heatmap or proposal",
    )  # fmt: skip
    p.add_argument("--weights", help="heatmap or scorer weights file (default: the bundled one)")
    p.add_argument(
        "--holdout-only", action="store_true",
        help="use only the hold-out images (those the heatmap was not trained on); implied by --method heatmap and proposal",
    )  # fmt: skip
    p.add_argument("--raw-judge", action="store_true",
                   help="proposal: the judge's logits as they are (default: z-scored within each request's candidates)")
    p.add_argument(
        "--heatmap-terms", action="store_true",
        help="proposal: search the heatmap's attention and border weights beside the judge's (the heatmap runs too)",
    )  # fmt: skip
    p.add_argument("--cache", type=Path, help="an .npz file keeping every term's value on every candidate between runs")
    p.set_defaults(run=run)


def _cropper(args: argparse.Namespace):
    """The cropper whose terms are tuned, and the grid of its weights."""
    if args.method == "heatmap":
        from models.constraints.learned import heatmap_cropper

        return heatmap_cropper(args.weights), GRID
    if args.method == "proposal":
        from models.constraints.learned import ProposalCropper

        grid = SCORER_GRID
        if args.heatmap_terms:
            grid = {**SCORER_GRID, "heatmap": (0.0, 0.25, 0.5, 1.0), "border": GRID["border"]}
        # tuning evaluates every term at unit weight, so the heatmap runs in either case
        return ProposalCropper(scorer_weights=args.weights, standardise=not args.raw_judge), grid
    return None, GRID


def run(args: argparse.Namespace) -> int:
    with tqdm(desc="analyse", unit="img", file=sys.stderr, disable=None) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        cropper, grid = _cropper(args)
        holdout = args.holdout_only or args.method != "attention"
        result = tune_weights(
            args.folder, images=args.images, progress=progress, cropper=cropper, holdout_only=holdout, grid=grid,
            cache=args.cache,
        )  # fmt: skip
    print(f"{result.items} items from {result.images} images of {args.folder}")
    print(f"centred baseline: mean IoU {result.centred_iou:.4f}")
    print(f"grid oracle (best candidate per item): mean IoU {result.grid_oracle_iou:.4f}")
    names = [f.name for f in fields(result.ranking[0][1]) if f.name != "face_cut"]
    label = {"attention": args.method if args.method != "attention" else "attention"}
    print("mean IoU " + "".join(f"{label.get(n, n):>10}" for n in names) + f"   (face-cut {result.ranking[0][1].face_cut:g})")
    for iou, w in result.ranking[: args.top]:
        print(f"{iou:.4f}   " + "".join(f"{getattr(w, n):>10g}" for n in names))
    return 0
