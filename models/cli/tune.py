"""``cropstudio tune FOLDER``: choose the constraint-score weights on a training folder."""

from __future__ import annotations

import argparse
import sys
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
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with tqdm(desc="analyse", unit="img", file=sys.stderr, disable=None) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        cropper, grid = None, GRID
        if args.method == "heatmap":
            from models.constraints.learned import heatmap_cropper

            cropper = heatmap_cropper(args.weights)
        elif args.method == "proposal":
            from models.constraints.learned import ProposalCropper

            cropper, grid = ProposalCropper(scorer_weights=args.weights), SCORER_GRID
        holdout = args.holdout_only or args.method != "attention"
        result = tune_weights(
            args.folder, images=args.images, progress=progress, cropper=cropper, holdout_only=holdout, grid=grid
        )
    print(f"{result.items} items from {result.images} images of {args.folder}")
    print(f"centred baseline: mean IoU {result.centred_iou:.4f}")
    print(f"grid oracle (best candidate per item): mean IoU {result.grid_oracle_iou:.4f}")
    print(f"mean IoU  {args.method:>9}  area  centre  border   (face-cut {result.ranking[0][1].face_cut:g})")
    for iou, w in result.ranking[: args.top]:
        print(f"{iou:.4f}    {w.attention:>9}  {w.area:>4}  {w.centre:>6}  {w.border:>6}")
    return 0
