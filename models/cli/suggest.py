"""``cropstudio suggest IMAGE [--top N] [--aspect R] [--keep B] [--avoid B] [--index DIR] [--json] [--out-dir DIR]``.

ProCrop's ranked, diverse crop suggestions for one photo, the retrieved reference
compositions (ids and provenance, never pixels); with ``--keep`` / ``--avoid`` every
suggestion keeps those regions in frame and leaves the others out. Optionally every
suggestion is written to a file (``{stem}_suggestion{rank}.jpg``, atomic, never
overwriting without ``--overwrite``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from models import cropping
from models.cli.regions import add_region_options, add_subjects_option, parse_regions
from models.errors import InvalidInputError
from models.geometry import Box, parse_aspect
from models.export import OutputFolder, plan_export, write_plan
from models.export.planner import crop_size_of
from models.imaging import ANALYSIS_MAX_SIDE, load_image


MAX_TOP = 100


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "suggest",
        help="ProCrop: a few ranked crop suggestions for a photo",
        description="Ranked, diverse crop suggestions from ProCrop (retrieval-augmented). Boxes are printed in "
        "full-resolution pixels of the upright image (x0,y0,x1,y1, half-open).",
    )
    p.add_argument("image", type=Path)
    p.add_argument("--top", type=int, default=5, help=f"how many suggestions, 1..{MAX_TOP} (default 5)")
    p.add_argument("--aspect", help="fit every suggestion to this ratio: 16:9, 4x5, 1.5")
    p.add_argument("--min-iou-gap", type=float, default=0.7, dest="iou",
                   help="largest overlap (IoU, 0..1) allowed between two suggestions (default 0.7)")  # fmt: skip
    add_region_options(p, "every suggestion")
    add_subjects_option(p)
    p.add_argument("--index", type=Path, help="composition index folder (default: the bundled one)")
    p.add_argument("--weights", type=Path, help="ProCrop weights file (default: the bundled one)")
    p.add_argument("--no-rerank", action="store_true",
                   help="rank by ProCrop's own scores, without the learned crop scorer")  # fmt: skip
    p.add_argument("--no-vote", action="store_true",
                   help="show the queries' own boxes, without box voting (each suggestion the consensus of "
                        "the queries near it)")  # fmt: skip
    p.add_argument("--out-dir", type=Path, help="write every suggestion as an image into this folder")
    p.add_argument("--overwrite", action="store_true", help="replace existing files in --out-dir")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.top <= MAX_TOP:
        raise InvalidInputError(f"--top must be from 1 to {MAX_TOP}, got {args.top}")
    if not 0.0 <= args.iou <= 1.0:
        raise InvalidInputError(f"--min-iou-gap must be within 0..1, got {args.iou}")
    folder = None
    if args.out_dir is not None:  # a read-only folder, a file, or a folder under a file: refused before any work
        folder = OutputFolder.open(args.out_dir, inputs=[args.image], what="--out-dir folder")
        folder.check_writable()
        folder.remove_work_dir_if_empty()
    aspect = parse_aspect(args.aspect) if args.aspect else None
    image = load_image(args.image, max_side=ANALYSIS_MAX_SIDE)  # clear errors for bad files first
    w, h = image.info.width, image.info.height
    request = cropping.Request(aspect, keep=parse_regions(args.keep, args.units, w, h, "keep"),
                               avoid=parse_regions(args.avoid, args.units, w, h, "avoid"),
                               subjects=args.subjects == "on", method=cropping.procrop_name(not args.no_rerank, not args.no_vote))  # fmt: skip
    cropping.check_request(request, (w, h))
    analysis = cropping.analyse(image, methods=(request.method,), procrop_files=(args.weights, args.index))
    found = cropping.ranked(analysis, request, args.top, iou=args.iou)
    queries = cropping.get_method(request.method).prepare(analysis)  # cached: the references retrieved
    rows, plans = [], []
    for rank, s in enumerate(found):
        coords = [int(v) for v in s.box.as_tuple()]  # whole pixels already: the engine's one snap
        if folder is not None:
            plans.append(plan_export(folder, f"{args.image.stem}_suggestion{rank + 1}.jpg", crop_size_of(Box(*coords)),
                                     overwrite=args.overwrite, hidden=args.image.stem.startswith(".")))  # fmt: skip
        rows.append({"rank": rank + 1, "score": round(s.score, 4), "box": coords, "output": None,
                     **{k: v for k, v in s.as_json().items() if k in ("notes", "left_out_heads")}})
    for plan in plans:  # all checked before any is written
        plan.raise_if_refused()
    try:
        for row, plan in zip(rows, plans):
            row["output"] = str(write_plan(plan, args.image, Box(*row["box"]), hidden=True))
    finally:
        if folder is not None:
            folder.remove_work_dir_if_empty()
    _print(args, (w, h), rows, queries)
    return 0


def _print(args: argparse.Namespace, size: tuple[int, int], rows: list[dict], queries) -> None:
    """The suggestions (and the references retrieved) as JSON or one line each."""
    w, h = size
    if args.json:
        json.dump(
            {
                "image": str(args.image), "width": w, "height": h, "aspect": args.aspect,
                "box_convention": "x0,y0,x1,y1 full-resolution pixels of the upright image, half-open",
                "suggestions": rows,
                "references": [{"id": i, "similarity": s} for i, s in zip(queries.references, queries.similarities)],
            },
            sys.stdout,
        )  # fmt: skip
        print()
    else:
        for r in rows:
            x0, y0, x1, y1 = r["box"]
            extra = f"  -> {r['output']}" if r["output"] else ""
            print(f"{r['rank']}. {x0},{y0},{x1},{y1}  ({x1 - x0}x{y1 - y0} px)  score {r['score']:.3f}{extra}")
        if queries.references:
            print("references: " + ", ".join(f"{i} ({s:.2f})" for i, s in zip(queries.references, queries.similarities)))
