"""The ProCrop-specific options of ``cropstudio train procrop`` (the shared ones are in
:mod:`models.cli.train`)."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_procrop_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", type=Path, help="composition index to retrieve from (default: the bundled one)")
    p.add_argument("--pro", type=Path, metavar="FOLDER",
                   help="professional photographs (e.g. ../shared/data/pro_portraits): their training fifths, "
                        "labelled with their own trimmed frames; the hold-out fifth validates")  # fmt: skip
    p.add_argument("--pro-limit", type=int, metavar="N", help="use only the first N --pro training photos")
    p.add_argument("--no-retrieval", action="store_true", help="train without retrieval (the seed's ablation)")
    p.add_argument("--batch", type=int, default=16, help="images per step (default 16)")
    p.add_argument("--members", type=int, default=1, metavar="K",
                   help="train K networks (seeds --seed, --seed + 1, ...) into one ensemble file whose "
                        "boxes the members vote on (default 1)")  # fmt: skip
    p.add_argument("--ema", type=float, default=0.0, metavar="DECAY",
                   help="keep the exponential moving average of the weights (decay per step, e.g. 0.999) "
                        "and save it instead of the last weights (default 0: off)")  # fmt: skip
    p.add_argument("--weight-decay", type=float, default=1e-4, metavar="WD",
                   help="AdamW's decoupled weight decay (default 1e-4)")  # fmt: skip
    p.add_argument("--blip-model", type=Path, metavar="DIR",
                   help="train the optional text fusion with this local BLIP captioning model")  # fmt: skip


def run(args: argparse.Namespace, train_fn, command_fn) -> int:
    from functools import partial

    from models.errors import InvalidInputError
    from models.procrop.model import ProCropConfig
    from models.procrop.train import ProCropTraining, train_procrop

    if args.pro_limit is not None and args.pro_limit < 1:
        raise InvalidInputError(f"--pro-limit must be at least 1, got {args.pro_limit}")
    if args.members < 1:
        raise InvalidInputError(f"--members must be at least 1, got {args.members}")
    # --epochs, --batch, --ema and --weight-decay are checked by ProCropTraining, for API callers too
    settings = ProCropTraining(epochs=args.epochs, batch=args.batch, seed=args.seed,
                               holdout=not args.all_images, retrieval=not args.no_retrieval, ema=args.ema,
                               weight_decay=args.weight_decay)  # fmt: skip
    return train_fn(args, partial(train_procrop, index=args.index, extra=tuple(args.extra), pro=args.pro,
                                   pro_limit=args.pro_limit, blip_model=args.blip_model,
                                   config=ProCropConfig(members=args.members)), settings)
