"""``cropstudio attention IMAGE``: the seed's attention-rectangle crops of one image."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from models.attention import METHODS, prepare_attention
from models.attention.crop import AttentionCrop
from models.errors import InvalidInputError
from models.geometry import parse_aspect
from models.export import plan_file, write_file
from models.export.planner import crop_size_of
from models.imaging import ANALYSIS_MAX_SIDE, load_image



def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "attention",
        help="smallest crop(s) keeping a fraction tau of the attention",
        description=(
            "Find the smallest crop keeping a fraction tau of the image's attention (saliency + faces): "
            "free ratio (seed P1), fixed --aspect (P2) or two disjoint crops (--regions 2, P3). "
            "Boxes are printed as x0,y0,x1,y1 in full-resolution pixels of the upright image."
        ),
    )
    p.add_argument("image", type=Path)
    tau = p.add_mutually_exclusive_group()
    tau.add_argument("--tau", type=float, default=0.7, help="fraction of attention to keep, 0..1 (default 0.7)")
    tau.add_argument("--auto-tau", action="store_true", help="choose tau automatically (seed sec. 3.4)")
    p.add_argument("--aspect", help="crop ratio: 16:9, 4x5, 1.91:1, 1.5 (default: free)")
    p.add_argument("--regions", type=int, choices=(1, 2), default=1, help="up to two disjoint crops (needs --aspect)")
    p.add_argument("--method", choices=METHODS, default="spectral", help="saliency model (default spectral)")
    p.add_argument("--no-faces", action="store_true", help="do not add the face prior to the attention map")
    p.add_argument("--out", type=Path, help="write the crop here (when two crops are found: NAME-1.EXT, NAME-2.EXT)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("--quality", type=int, default=92, help="JPEG/WebP quality 1..100 (default 92)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def _outputs(out: Path, count: int) -> list[Path]:
    if count == 1:
        return [out]
    return [out.with_name(f"{out.stem}-{i}{out.suffix}") for i in range(1, count + 1)]


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.quality <= 100:
        raise InvalidInputError(f"--quality must be in 1..100, got {args.quality}")
    if args.out is not None:  # a missing folder or an existing file is refused before the analysis
        for path in _outputs(args.out, args.regions):
            plan_file(path, args.image, (1, 1), overwrite=args.overwrite).raise_if_refused()
    aspect = parse_aspect(args.aspect) if args.aspect else None
    image = load_image(args.image, max_side=ANALYSIS_MAX_SIDE)
    prepared = prepare_attention(image, method=args.method, faces=not args.no_faces)
    crop = prepared.crop(tau=None if args.auto_tau else args.tau, aspect=aspect, regions=args.regions)
    attention = prepared.attention
    written = []
    if args.out is not None:
        paths = _outputs(args.out, len(crop.boxes))
        plans = [plan_file(path, args.image, crop_size_of(box), overwrite=args.overwrite)
                 for box, path in zip(crop.boxes, paths, strict=True)]  # fmt: skip
        for plan in plans:  # check all before writing any: no half-done pairs
            plan.raise_if_refused()
        for box, plan in zip(crop.boxes, plans, strict=True):
            written.append(write_file(plan, args.image, box, quality=args.quality))
    if args.json:
        json.dump(_as_json(args.image, image.info.width, image.info.height, crop, attention.faces, written),
                  sys.stdout, indent=2)
        print()
    else:
        _print_text(crop, written)
    return 0


def _num(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 6)


def _as_json(path, width, height, crop: AttentionCrop, faces, written) -> dict:
    return {
        "image": str(path),
        "width": width,
        "height": height,
        "tau": round(crop.tau, 6),
        "auto_tau": None if crop.auto is None else {"tau": round(crop.auto.tau, 6), "gamma": round(crop.auto.gamma, 6)},
        "aspect": None if crop.aspect is None else str(crop.aspect),
        "boxes": [[int(v) for v in b.as_tuple()] for b in crop.boxes],
        "box_convention": "x0,y0,x1,y1 full-resolution pixels of the upright image, half-open",
        "kept": _num(crop.kept),
        "area_fraction": _num(crop.area_fraction),
        "faces": [[int(round(v)) for v in f.as_tuple()] for f in faces],
        "note": crop.note,
        "outputs": [str(p) for p in written],
    }


def _print_text(crop: AttentionCrop, written) -> None:
    if crop.auto is not None:
        print(f"auto tau = {crop.tau:.3f} (gamma = {crop.auto.gamma:.2f})")
    if crop.note:
        print(f"note: {crop.note}")
    for i, b in enumerate(crop.boxes, 1):
        print(f"crop {i}: {int(b.x0)},{int(b.y0)},{int(b.x1)},{int(b.y1)}  ({int(b.width)}x{int(b.height)} px)")
    if not math.isnan(crop.kept):
        print(f"keeps {crop.kept:.1%} of the attention in {crop.area_fraction:.1%} of the frame")
    for path in written:
        print(f"wrote {path}")
