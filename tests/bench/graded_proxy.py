"""A graded set in the GAICD format, made from an annotated folder's hold-out fifth: the proxy
for issue 18's graded-set targets, which are measured on a set we cannot see.

    .venv/bin/python -m tests.bench.graded_proxy ../shared/data/fcdb_train --out .cache/graded/fcdb
    OMP_NUM_THREADS=1 .venv/bin/cropstudio eval .cache/graded/fcdb --rank-candidates --json
    OMP_NUM_THREADS=1 .venv/bin/cropstudio eval .cache/graded/fcdb --method procrop --json

Each hold-out image (:func:`models.eval.split.split_images`, so no shipped model trained on it)
gets GAIC's candidate crops (:func:`models.scorer.grid.gaic_anchors`: corners on a 12 x 12 grid of bins, the
top-left one in the first third of each axis and the bottom-right one in the last third, at
least half the image's area, pixel ratio strictly between 1:2 and 2:1; about 90 per image,
never the whole image), each graded by its IoU with the image's nearest expert crop, a
pseudo opinion score. ``--rank-candidates`` then measures grid ranking (ACC_K/N, SRCC, PCC)
against random and largest-first, and a free-box method's top-1 counts for ACC1/5 and
ACC1/10 when it overlaps one of the five / ten best-graded candidates by IoU >= 0.85 (the
protocol of the issue's free-box row). The images are not copied: ``images`` is a symbolic
link into the source folder. Never made from FLMS to choose anything.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

import numpy as np

from models.box_arrays import best_ious
from models.eval.datasets import ANNOTATIONS_FILE, load_annotations
from models.eval.split import split_images
from models.scorer.grid import gaic_anchors

__all__ = ["graded_entries", "main"]

log = logging.getLogger(__name__)


def graded_entries(folder: Path, *, holdout: bool = True) -> list[dict]:
    """``annotations.json`` entries: each (hold-out) image's GAIC candidates, graded by their
    best IoU with the image's own crops (rounded to 4 decimals)."""
    aset = load_annotations(folder)
    entries = []
    for im in split_images(aset.items)[1] if holdout else aset.items:
        anchors = gaic_anchors(im.width / im.height)
        if len(anchors) < 2:
            continue
        scores = best_ious(anchors, list(im.crops))
        entries.append({"file": im.file.relative_to(folder.resolve()).as_posix(), "width": im.width, "height": im.height,
                        "crops": anchors.round(6).tolist(), "scores": [round(float(s), 4) for s in scores]})  # fmt: skip
    return entries


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", type=Path, help="an annotated folder (annotations.json and its images)")
    p.add_argument("--out", type=Path, required=True, help="the graded folder to write (must not exist)")
    p.add_argument("--all", action="store_true", help="every image, not only the hold-out fifth")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.out.exists():
        print(f"error: {args.out} exists; choose a new folder", file=sys.stderr)
        return 2
    folder = args.folder.resolve()
    entries = graded_entries(folder, holdout=not args.all)
    if not entries:
        print(f"error: {folder} has no {'' if args.all else 'hold-out '}image with two or more GAIC candidates", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True)
    for sub in sorted({Path(e["file"]).parts[0] for e in entries if len(Path(e["file"]).parts) > 1}):
        os.symlink(folder / sub, args.out / sub, target_is_directory=True)
    doc = {"name": f"GAIC-style graded proxy of {folder.name} ({'every image' if args.all else 'hold-out fifth'})",
           "box_format": "normalised x0,y0,x1,y1 of the original image; scores: IoU with the nearest expert crop",
           "images": entries}  # fmt: skip
    (args.out / ANNOTATIONS_FILE).write_text(json.dumps(doc), encoding="utf-8")
    n = [len(e["crops"]) for e in entries]
    log.info("%d images, %d-%d candidates each (median %d) -> %s", len(entries), min(n), max(n), int(np.median(n)), args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
