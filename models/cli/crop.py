"""``cropstudio crop IMAGE --aspect 16:9 --keep ... --avoid ...``: one constrained crop."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from models import cropping
from models.errors import InvalidInputError
from models.cli.regions import add_region_options, add_subjects_option, parse_regions
from models.geometry import AspectRatio, Box, parse_aspect
from models.export import MAX_OUTPUT_PIXELS, MAX_OUTPUT_SIDE, parse_output_size, plan_file, write_file
from models.export.planner import ExportPlan, crop_size_of
from models.imaging import ANALYSIS_MAX_SIDE, load_image



def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "crop",
        help="crop to an aspect ratio keeping some regions in frame and others out",
        description=(
            "Crop IMAGE to --aspect so that every --keep region stays inside the crop and every --avoid "
            "region outside it, choosing the best such crop by --method. Regions are x0,y0,x1,y1: pixels "
            "of the upright image, or fractions of its size when all four values are within 0..1 "
            "(force one reading with --units). The chosen box is printed in pixels."
        ),
    )
    p.add_argument("image", type=Path, nargs="?", help="the photo (not needed with --list-methods)")
    p.add_argument("--aspect", help="crop ratio (required): 16:9, 4x5, 1.91:1, 1.5")
    add_region_options(p)
    add_subjects_option(p)
    p.add_argument("--method", default="attention", help="scoring method (default attention; see --list-methods)")
    p.add_argument("--list-methods", action="store_true", help="print the available methods and exit")
    p.add_argument("--out", type=Path, help="write the crop to this file (JPEG, PNG, TIFF, WebP, BMP)")
    p.add_argument("--size", metavar="WxH",
                   help=f"resize the written crop to exactly WxH pixels (each side 1..{MAX_OUTPUT_SIDE}, at most "
                        f"{MAX_OUTPUT_PIXELS // 1_000_000} MP); a size larger than the crop is refused unless "
                        "--allow-upscale")
    p.add_argument("--allow-upscale", action="store_true",
                   help="allow a --size larger than the crop (the file is upscaled, with a warning)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")
    p.add_argument("--quality", type=int, default=92, help="JPEG/WebP quality 1..100 (default 92)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def _size(text: str | None) -> tuple[int, int] | None:
    return None if text is None else parse_output_size(text)


def run(args: argparse.Namespace) -> int:
    if args.list_methods:
        print("\n".join(cropping.method_names()))
        return 0
    if args.image is None:
        raise InvalidInputError("an image is required, e.g. cropstudio crop photo.jpg --aspect 16:9")
    if args.aspect is None:
        raise InvalidInputError("--aspect is required, e.g. --aspect 16:9")
    if not 1 <= args.quality <= 100:
        raise InvalidInputError(f"--quality must be in 1..100, got {args.quality}")
    aspect = parse_aspect(args.aspect)
    size = _size(args.size)
    if args.out is not None:  # a missing folder or an existing file is refused before the analysis
        plan_file(args.out, args.image, (1, 1), overwrite=args.overwrite).raise_if_refused()
    cropping.get_method(args.method)  # an unknown method is refused before the image is read
    image = load_image(args.image, max_side=ANALYSIS_MAX_SIDE)
    request = _request(args, aspect, image.info.width, image.info.height)
    result = cropping.crop(cropping.analyse(image, methods=()), request)
    plan = written = None
    if args.out is not None:
        plan, written = _write(args, result.box, size)
    if args.json:
        _print_json(args, image.info.width, image.info.height, request, result, plan, written)
    else:
        _print_text(result, written)
    return 0


def _request(args: argparse.Namespace, aspect: AspectRatio, width: int, height: int) -> cropping.Request:
    """The validated request of the command line (bad ratios fail before the analysis)."""
    request = cropping.Request(
        aspect,
        keep=parse_regions(args.keep, args.units, width, height, "keep"),
        avoid=parse_regions(args.avoid, args.units, width, height, "avoid"),
        subjects=args.subjects == "on",
        method=args.method,
    )
    cropping.check_request(request, (width, height))
    return request


def _write(args: argparse.Namespace, box: Box, size: tuple[int, int] | None) -> tuple[ExportPlan, Path]:
    """``--out``: the export plan of the crop (refused: an error) and the file written."""
    plan = plan_file(args.out, args.image, crop_size_of(box), size, overwrite=args.overwrite,
                     allow_upscale=args.allow_upscale)  # fmt: skip
    plan.raise_if_refused()
    if plan.upscale is not None:
        print(f"warning: {args.out.name}: upscaled x{plan.upscale:.2f} (the crop is {plan.crop_size[0]}x"
              f"{plan.crop_size[1]} px, the output {plan.output_size[0]}x{plan.output_size[1]})", file=sys.stderr)
    return plan, write_file(plan, args.image, box, quality=args.quality)


def _print_json(args: argparse.Namespace, width: int, height: int, request: cropping.Request, result: cropping.CropResult,
                plan: ExportPlan | None, written: Path | None) -> None:  # fmt: skip
    coords = [int(round(v)) for v in result.box.as_tuple()]
    json.dump(
        {
            "image": str(args.image), "width": width, "height": height, "aspect": str(request.aspect),
            "method": args.method, "box": coords,
            "box_convention": "x0,y0,x1,y1 full-resolution pixels of the upright image, half-open",
            "keep": [[round(v, 2) for v in b.as_tuple()] for b in request.keep],
            "avoid": [[round(v, 2) for v in b.as_tuple()] for b in request.avoid],
            "output": str(written) if written else None,
            **{k: v for k, v in result.as_json().items() if k != "box"},
            "output_size": list(plan.output_size) if plan else None,
            "upscale": plan.upscale if plan else None,
        },
        sys.stdout,
    )
    print()


def _print_text(result: cropping.CropResult, written: Path | None) -> None:
    x0, y0, x1, y1 = (int(round(v)) for v in result.box.as_tuple())
    print(f"crop: {x0},{y0},{x1},{y1}  ({x1 - x0}x{y1 - y0} px)")
    for head in result.left_out_heads:
        print(f"left out head #{head.index + 1}: {head.reason}")
    for note in result.notes:
        print(f"note: {note}")
    if written:
        print(f"wrote {written}")
