"""``cropstudio index build|info``: the composition index that ProCrop retrieves from."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "index",
        help="build or inspect a composition index for ProCrop's retrieval",
        description="A FAISS index of the composition vectors of professional photos (no pixels are stored).",
    )
    sub = p.add_subparsers(dest="index_command", metavar="ACTION", required=True)
    b = sub.add_parser("build", help="index every photo of FOLDER (or its expert crops, with annotations.json)")
    b.add_argument("folder", type=Path)
    b.add_argument("--out", type=Path, required=True, help="index folder to write (replaced atomically)")
    b.add_argument("--encoder", default="efficientnet-lite0", help="composition encoder (default efficientnet-lite0)")
    b.add_argument("--encoder-checkpoint", type=Path, help="checkpoint of a SAM-family encoder")
    b.add_argument("--pro", type=Path, metavar="FOLDER",
                   help="also index these professional photographs' own frames (plain borders trimmed), e.g. ../shared/data/pro_portraits")
    b.add_argument("--exclude-holdout", action="store_true",
                   help="leave out every folder's hold-out fifth (the images that weights are chosen on)")
    b.add_argument("--limit", type=int, help="index only the first N compositions (of each folder)")
    b.add_argument("--structure", choices=("auto", "flat", "ivf"), default="auto",
                   help="exact search (flat) or inverted lists (ivf, for 100k+ photos); auto: ivf above 50,000 items")  # fmt: skip
    b.add_argument("--json", action="store_true", help="print the summary as JSON")
    b.set_defaults(run=run_build)
    i = sub.add_parser("info", help="what an index folder holds")
    i.add_argument("index", type=Path)
    i.add_argument("--json", action="store_true", help="print as JSON")
    i.set_defaults(run=run_info)


def _summary(index, folder: Path) -> dict:
    files = {it.file for it in index.items}
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    return {"index": str(folder), "encoder": index.encoder, "source": index.source, "items": len(index),
            "images": len(files), "dim": index.dim, "search": index.search_structure, "map_shape": list(index.maps.shape[1:]), "bytes": size, "provenance": index.provenance}  # fmt: skip


def _print(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=2))
        return
    for key, value in summary.items():
        print(f"{key:>9}: {value}")


def run_build(args: argparse.Namespace) -> int:
    from models.errors import InvalidInputError
    from models.procrop.encoder import build_encoder
    from models.eval.split import is_holdout
    from models.procrop.index import build_index, check_index_out, save_index

    if args.limit is not None and args.limit < 1:
        raise InvalidInputError(f"--limit must be at least 1, got {args.limit}")
    check_index_out(args.out)  # a read-only or impossible --out is refused before encoding anything
    encoder = build_encoder(args.encoder, args.encoder_checkpoint)
    with tqdm(desc="index", file=sys.stderr, disable=None) as bar:

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        index = build_index(args.folder, encoder, pro=args.pro, holdout=is_holdout if args.exclude_holdout else None, limit=args.limit,
                            structure=args.structure, progress=progress)  # fmt: skip
    out = save_index(index, args.out)
    _print(_summary(index, out), args.json)
    return 0


def run_info(args: argparse.Namespace) -> int:
    from models.procrop.index import load_index

    _print(_summary(load_index(args.index), args.index), args.json)
    return 0
