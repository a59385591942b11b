"""Plot the training curves stored in weights files (loss per epoch, validation IoU).

    .venv/bin/python -m tests.bench.plot_training resources/weights/procrop-lite0.pt \\
        resources/weights/procrop-lite0-noret.pt --out docs/procrop_training.png

Every checkpoint written by ``cropstudio train`` keeps its curve in ``meta["curve"]``
(``{"epoch", "loss"[, "val_iou"]}``; an ensemble's, ``train procrop --members``, one such curve
per member, ``{"member_seed", "curve"}``), so the plot is redrawn from the shipped files alone.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from models.nn.checkpoint import load_checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("weights", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (loss_ax, iou_ax) = plt.subplots(1, 2, figsize=(10, 3.8))
    for path in args.weights:
        data = load_checkpoint(path, "procrop")
        curve = data["meta"].get("curve") or []
        runs = [(f" seed {c['member_seed']}", c["curve"]) for c in curve] if curve and "member_seed" in curve[0] else [("", curve)]
        for suffix, run in runs:
            label = f"{path.stem}{suffix} ({data['meta'].get('images', '?')} images)"
            loss_ax.plot([p["epoch"] for p in run], [p["loss"] for p in run], marker=".", label=label)
            val = [p for p in run if "val_iou" in p]
            iou_ax.plot([p["epoch"] for p in val], [p["val_iou"] for p in val], marker="o", label=label)
    loss_ax.set(xlabel="epoch", ylabel="training loss (L1 + GIoU + score)", title="training loss")
    iou_ax.set(xlabel="epoch", ylabel="top-1 IoU", title="FCDB hold-out fifth (never trained on)")
    for ax in (loss_ax, iou_ax):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)


if __name__ == "__main__":
    main()
