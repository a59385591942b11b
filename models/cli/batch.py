"""``cropstudio batch SRC... --targets social --out DIR``: every image to every target size, in one pass."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from models.cli.regions import add_subjects_option
from models.cropsets.manifest import BOX_CONVENTION
from models.export.naming import DEFAULT_TEMPLATE, FORMATS, OutputNaming
from models.cropsets.regions import parse_relative_box
from models.cropsets.batch import BatchOptions, BatchProgress, BatchReport
from models.cropsets.runner import run_batch
from models.cropsets.targets import bundled_target_sets, load_target_set, resolve_targets
from models.errors import InvalidInputError


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "batch",
        help="crop images to a set of target sizes in one pass (resumable, with a manifest)",
        description=(
            "Crop every image of SRC (files, or folders: the images directly inside) to every target of "
            "--targets: each image is analysed once and cropped per target, keeping the --keep regions in and "
            "the --avoid regions out (fractions of each image, x0,y0,x1,y1 in 0..1), at the target's exact "
            "output size. Per-image regions, focal points and manual crops come from .cropstudio.json in the "
            "image's folder (or --project). A rerun skips what is done; nothing is overwritten without "
            "--overwrite. Writes DIR/manifest.json and DIR/manifest.csv. Exit code 2 when an output failed."
        ),
    )
    p.add_argument("sources", nargs="*", type=Path, metavar="SRC", help="image files or folders")
    p.add_argument("--targets", action="append", default=[], metavar="SET",
                   help=f"a bundled target set ({', '.join(bundled_target_sets())}) or a TOML file (repeatable)")
    p.add_argument("--target", action="append", default=[], metavar="SPEC",
                   help="one more target, 'NAME RATIO [WxH]', e.g. 'banner 3:1 1500x500' (repeatable)")
    p.add_argument("--keep", action="append", default=[], metavar="X0,Y0,X1,Y1",
                   help="region every crop keeps, in fractions of each image (repeatable)")
    p.add_argument("--avoid", action="append", default=[], metavar="X0,Y0,X1,Y1",
                   help="region every crop leaves out, in fractions of each image (repeatable)")
    p.add_argument("--method", default="attention", help="scoring method (default attention; see crop --list-methods)")
    add_subjects_option(p)
    p.add_argument("--out", type=Path, metavar="DIR", help="output folder (created if missing)")
    p.add_argument("--name", default=DEFAULT_TEMPLATE, metavar="TEMPLATE",
                   help="output name without suffix, relative to DIR ('/' makes subfolders): {stem} {target} {w} {h} "
                        "{ratio} {parent}, no format specs, at most 200 characters (default %(default)s)")
    p.add_argument("--format", choices=tuple(FORMATS), default="jpeg", help="output format (default jpeg)")
    p.add_argument("--quality", type=int, default=90, help="JPEG/WebP quality 1..100 (default 90)")
    p.add_argument("--workers", type=int, default=1, metavar="K", help="images cropped in parallel, 1..256 (default 1)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait up to SECONDS (0..86400) for another batch writing to DIR (default 0: refuse at once)")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")
    p.add_argument("--allow-upscale", action="store_true",
                   help="upscale (with a warning) a crop smaller than its target size instead of refusing it")
    p.add_argument("--dry-run", action="store_true", help="compute and print the crops; write nothing")
    p.add_argument("--json", action="store_true", help="print every output's record as JSON")
    p.add_argument("--xmp", action="store_true",
                   help="also write the first target's crop into each image's XMP sidecar (IMAGE.xmp, crs: fields)")
    p.add_argument("--project", type=Path, metavar="PATH",
                   help="project file for every image (default: .cropstudio.json in each image's folder, if any)")
    p.add_argument("--list-targets", action="store_true", help="print the bundled target sets and exit")
    p.set_defaults(run=run)


def _list_targets() -> int:
    for name in bundled_target_sets():
        s = load_target_set(name)
        print(f"{name}: {s.description}")
        for t in s.targets:
            print(f"  {t.spec()}")
    return 0


def _options(args: argparse.Namespace) -> BatchOptions:
    if not args.sources:
        raise InvalidInputError("give at least one image file or folder (SRC)")
    if args.out is None:
        raise InvalidInputError("--out DIR is required: the folder the crops are written to")
    if not 1 <= args.quality <= 100:
        raise InvalidInputError(f"--quality must be in 1..100, got {args.quality}")
    if args.workers < 1:
        raise InvalidInputError(f"--workers must be at least 1, got {args.workers}")
    return BatchOptions(
        out_dir=args.out,
        targets=resolve_targets(args.targets, args.target),
        method=args.method,
        subjects=args.subjects == "on",
        keep=tuple(parse_relative_box(t, "--keep") for t in args.keep),
        avoid=tuple(parse_relative_box(t, "--avoid") for t in args.avoid),
        naming=OutputNaming(args.name, args.format),
        quality=args.quality,
        workers=args.workers,
        overwrite=args.overwrite,
        allow_upscale=args.allow_upscale,
        dry_run=args.dry_run,
        xmp=args.xmp,
        project=args.project,
        wait=args.wait,
    )


def _print_text(report: BatchReport, dry_run: bool) -> None:
    for r in report.records:
        name = Path(r.source).name
        if r.status == "error":
            print(f"{name} {r.target}: {r.error}", file=sys.stderr)
        elif dry_run:
            box = ",".join(map(str, r.box or ()))
            w, h = r.output_size or (0, 0)
            print(f"{name} {r.target}: {box} -> {w}x{h} {r.output}" + (f"  ({r.note})" if r.note else ""))
    if dry_run:
        planned = sum(r.status == "planned" for r in report.records)
        print(f"{planned} crops planned, {report.failed} failed (nothing written)")
    else:
        print(f"{report.written} written, {report.skipped} already done, {report.failed} failed; "
              f"manifest {report.manifest}")  # fmt: skip


def run(args: argparse.Namespace) -> int:
    if args.list_targets:
        return _list_targets()
    options = _options(args)
    bar: tqdm | None = None

    def progress(p: BatchProgress) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=p.total, desc="batch", unit="img", file=sys.stderr, disable=None, leave=False)
        bar.update(1)

    try:
        report = run_batch(args.sources, options, on_progress=progress)
    finally:
        if bar is not None:
            bar.close()
    if args.json:
        json.dump({"box_convention": BOX_CONVENTION, "dry_run": options.dry_run, "written": report.written,
                   "skipped": report.skipped, "failed": report.failed,
                   "manifest": None if report.manifest is None else str(report.manifest),
                   "outputs": [r.to_json() for r in report.records]}, sys.stdout, indent=1)  # fmt: skip
        print()
        for r in report.records:
            if r.status == "error":
                print(f"{Path(r.source).name} {r.target}: {r.error}", file=sys.stderr)
    else:
        _print_text(report, options.dry_run)
    if report.failed:
        print(f"error: {report.failed} of {len(report.records)} outputs failed (reasons above and in the manifest)",
              file=sys.stderr)  # fmt: skip
        return 2
    return 0
