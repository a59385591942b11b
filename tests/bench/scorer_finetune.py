"""The judge with the backbone's last block fine-tuned, against the frozen judge (hold-out fifths).

    OMP_NUM_THREADS=1 .venv/bin/python -m tests.bench.scorer_finetune ../shared/data/fcdb_train \\
        --pro ../shared/data/pro_portraits --pro-limit 1000 --cache .cache --seeds 0 1 2

Issue 18 asks to fine-tune the backbone's last stage(s) rather than freeze it all. Every row
trains the shipped judge's recipe (FCDB pairs + expert crops + pro views + fine placement, RoD
3, 3 epochs) from the cached frozen stride-16 maps, once per seed, and reports each seed and
the seeds' ensemble (scores averaged: what ships) on the hold-out fifths
(:mod:`models.scorer.dev`):

* ``frozen``: the shipped judge, :func:`~models.scorer.train.fit_scorer` as it is;
* ``last block``: a copy of the backbone's last block (stride 32; for EfficientNet-Lite0 block
  15, 192 -> 320 channels, 605,440 parameters) is trained with the head at ``--tail-lr``; the
  blocks between the stride-16 tap and it stay frozen. Batch norm keeps its ImageNet statistics.

Never run on FLMS.
"""

from __future__ import annotations

import argparse
import copy
import logging
import time
from dataclasses import replace
from pathlib import Path

import torch
from torch import nn

from models.nn.backbone import Backbone, build_backbone
from models.scorer.dev import DevFigures, dev_figures, trivial_figures
from models.scorer.model import CropScorer, ScorerConfig, ScorerEnsemble
from models.scorer.train import ScorerTraining, fit_scorer, load_scorer_data

JUDGE_RECIPE = ScorerTraining(epochs=3, w_pro=1.0, w_near=1.0)
JUDGE_CONFIG = ScorerConfig(rod=3)


class TunedTail(CropScorer):
    """A crop scorer whose stride-32 map is recomputed from the stride-16 one: the backbone's
    blocks between the two taps, frozen, then a trainable copy of the last block."""

    def __init__(self, config: ScorerConfig, backbone: Backbone) -> None:
        super().__init__(config)
        taps = {name: i for i, name in backbone._taps.items()}
        first, last = taps["s16"] + 1, taps["s32"]
        self.frozen = copy.deepcopy(nn.Sequential(*backbone.blocks[first:last])).requires_grad_(False)
        self.tail = copy.deepcopy(backbone.blocks[last]).requires_grad_(True)

    def train(self, mode: bool = True) -> TunedTail:  # the backbone's batch norm keeps its statistics
        super().train(mode)
        self.frozen.eval()
        self.tail.eval()
        return self

    def reduced(self, features: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        with torch.no_grad():
            h = self.frozen(features["s16"])
        return self.reduce16(features["s16"]), self.reduce32(self.tail(h))

    def param_groups(self, tail_lr: float) -> list[dict]:
        """For :func:`fit_scorer`: the head at the training's rate, the block at ``tail_lr``
        without weight decay (the frozen blocks in neither)."""
        head = [q for n, q in self.named_parameters() if not n.startswith(("frozen.", "tail."))]
        return [{"params": head}, {"params": list(self.tail.parameters()), "lr": tail_lr, "weight_decay": 0.0}]


def _ensemble(members: list[CropScorer]) -> ScorerEnsemble:
    """The trained members as one judge, scores averaged, as the shipped file holds them."""
    ensemble = ScorerEnsemble(replace(JUDGE_CONFIG, members=len(members)))
    ensemble.members = nn.ModuleList(members)
    return ensemble.eval()


def _row(name: str, d: DevFigures) -> str:
    return f"| {name} | {d.pair_accuracy:.4f} | {d.fcdb_iou:.4f} | {d.pro_iou:.4f} |"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", type=Path)
    p.add_argument("--pro", type=Path, required=True)
    p.add_argument("--pro-limit", type=int)
    p.add_argument("--cache", type=Path)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--tail-lr", type=float, default=3e-5, help="learning rate of the fine-tuned block (the head's: 1e-3)")
    p.add_argument("--limit", type=int, help="only the first N images of each folder (a quick run)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(1)
    data = load_scorer_data(args.folder, pro=args.pro, config=JUDGE_CONFIG, limit=args.limit,
                            pro_limit=args.pro_limit, cache=args.cache)  # fmt: skip
    train, held = data.samples(JUDGE_RECIPE), data.samples(JUDGE_RECIPE, train=False)
    backbone = build_backbone(JUDGE_CONFIG.backbone)
    one = replace(JUDGE_CONFIG, members=1)
    print("| judge (FCDB hold-out pairs; pro hold-out frames) | FCDB pair acc | FCDB top-1 IoU | pro frame IoU |")
    print("|---|---|---|---|")
    for name, (fcdb, pro) in trivial_figures(held).items():
        print(f"| {name} (trivial) | - | {fcdb:.4f} | {pro:.4f} |")
    for variant in ("frozen", "last block"):
        members, t0 = [], time.perf_counter()
        for seed in args.seeds:
            s = replace(JUDGE_RECIPE, seed=seed)
            if variant == "frozen":
                model, _, _ = fit_scorer(train, s, one)
            else:
                torch.manual_seed(seed)  # the head starts as fit_scorer's own would
                tuned = TunedTail(one, backbone)
                model, _, _ = fit_scorer(train, s, one, model=tuned, param_groups=tuned.param_groups(args.tail_lr))
            members.append(model)
            print(_row(f"{variant}, seed {seed}", dev_figures(model, held)), flush=True)
        ensemble = _ensemble(members)
        minutes = (time.perf_counter() - t0) / 60
        print(_row(f"**{variant}, seeds {' + '.join(map(str, args.seeds))}** ({minutes:.1f} min)", dev_figures(ensemble, held)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
