"""``cropstudio build-dataset SRC_DIR OUT_DIR --samples N``: expanded-canvas training data (resumable)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tqdm import tqdm

from models.dataset_builder.engines import ENGINES
from models.dataset_builder.runner import BuildProgress, BuildSettings, build_dataset
from models.errors import InvalidInputError
from models.readers import loads_bounded


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "build-dataset",
        help="build cropping training data by expanding and outpainting professional photos (resumable)",
        description=(
            "Expand each professional photo of SRC_DIR onto a larger canvas, outpaint the border and keep the "
            "photo's frame as the crop label (ProCrop sec. 3.3). SRC_DIR is a data set with annotations.json "
            "(the first expert crop of each image is the photo) or a folder of photos. Writes OUT_DIR/images, "
            "annotations.json (the ../shared/data format) and manifest.json/manifest.jsonl. Rerun the same "
            "command to resume a stopped run (failed samples are retried); a different --backend/--seed/--canvas/source "
            "needs --overwrite. Exit code 2 when a sample failed or the backend is unusable (checked before the run)."
        ),
    )
    p.add_argument("source", type=Path, metavar="SRC_DIR", help="professional photos (never FLMS)")
    p.add_argument("out", type=Path, metavar="OUT_DIR", help="output folder (created if missing)")
    p.add_argument("--samples", type=int, required=True, metavar="N", help="number of samples to make (1..10,000,000)")
    p.add_argument("--backend", default="opencv", help="outpainting backend: opencv (default), telea, diffusion")
    p.add_argument("--backend-option", action="append", default=[], metavar="KEY=VALUE",
                   help="an option of the backend (repeatable; values parsed as JSON when they can be)")
    p.add_argument("--rounds", type=int, default=0, metavar="R", help="refinement rounds, 0..100 (default 0)")
    p.add_argument("--engine", choices=ENGINES, default="local", help="local process pool or a Ray cluster")
    p.add_argument("--address", default=None, metavar="ADDR", help="Ray cluster address (default: a local instance)")
    p.add_argument("--workers", type=int, default=1, metavar="K", help="parallel workers, 1..256 (default 1)")
    p.add_argument("--seed", type=int, default=0, metavar="S", help="run seed (default 0)")
    p.add_argument("--canvas", type=int, default=512, metavar="PX", help="canvas long side in pixels, 64..4096 (default 512)")
    p.add_argument("--overwrite", action="store_true", help="replace an earlier build with other settings in OUT_DIR")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(run=run)


def _options(items: list[str]) -> dict:
    options = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInputError(f"--backend-option must be KEY=VALUE, got {item!r}")
        try:
            options[key] = loads_bounded(value, what=f"--backend-option {key}")
        except ValueError:
            options[key] = value
    return options


def run(args: argparse.Namespace) -> int:
    settings = BuildSettings(
        source=args.source, out=args.out, samples=args.samples, backend=args.backend, rounds=args.rounds,
        engine=args.engine, workers=args.workers, address=args.address, seed=args.seed, canvas=args.canvas,
        backend_options=_options(args.backend_option), overwrite=args.overwrite,
    )  # fmt: skip
    bars: dict[str, tqdm] = {}

    def progress(p: BuildProgress) -> None:
        bar = bars.get(p.stage)
        if bar is None:
            bar = bars[p.stage] = tqdm(total=p.total, desc=p.stage, unit="img", file=sys.stderr, disable=None,
                                       leave=False)  # fmt: skip
        bar.update(p.done - bar.n)

    try:
        report = build_dataset(settings, progress=progress)
    finally:
        for bar in bars.values():
            bar.close()
    if args.json:
        json.dump(report.to_json(), sys.stdout, indent=1)
        print()
    else:
        print(f"{report.images} images in {report.annotations} ({report.written} made now, {report.skipped} earlier, "
              f"{report.rejected} rejected by the quality filter, {report.failed} unreadable); "
              f"{report.rounds} refinement rounds; manifest {report.manifest}")  # fmt: skip
    if report.failed:
        print(f"error: {report.failed} of {settings.samples} samples failed (their sources could not be read or "
              "outpainted; the reasons are in the manifest); a rerun retries them", file=sys.stderr)  # fmt: skip
        return 2
    return 0
