"""Benchmark: BlazeFace (full- and short-range, OpenCV DNN) against the Haar cascades, in one run.

    OMP_NUM_THREADS=1 .venv/bin/python -m tests.bench.faces ../shared/data/pro_portraits ../shared/data/fcdb_train
    ... --limit 300 --sheet /tmp/faces   # contact sheets of the disagreements, for checking by hand

Neither set has face labels. For each image (the first ``--limit`` by name, the copies in
``images/``) every detector runs on the same pixels, in turn, and the table gives the faces
each finds, the median time per image, and agreement: a face of detector A is *confirmed* by
B when B has a face whose centre lies inside A's box and whose size is within 2x. With
``--sheet``, the faces one detector finds and the other does not are cut out into contact
sheets (``DIR/<set>-<only>.jpg``, numbered), so a person can count which are real faces.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from tests.bench.haar import detect_faces as haar_faces
from models.geometry import Box
from models.imaging import SUPPORTED_SUFFIXES
from models.subjects.tflite import detect_faces_blazeface


def _blaze(model: str) -> Callable[[np.ndarray], list[Box]]:
    def run(rgb: np.ndarray) -> list[Box]:
        h, w = rgb.shape[:2]
        found = detect_faces_blazeface(rgb, model)
        return [Box(*map(float, b)).clipped(w, h) for b in found.boxes]

    return run


DETECTORS: dict[str, Callable[[np.ndarray], list[Box]]] = {
    "haar": haar_faces,
    "blaze-full": _blaze("full-range"),
    "blaze-short": _blaze("short-range"),
}


def confirmed(face: Box, others: list[Box]) -> bool:
    cx, cy = face.center
    size = math.sqrt(max(face.area, 1e-9))
    for o in others:
        ratio = math.sqrt(max(o.area, 1e-9)) / size
        if o.x0 <= cx < o.x1 and o.y0 <= cy < o.y1 and 0.5 <= ratio <= 2:
            return True
        ox, oy = o.center
        if face.x0 <= ox < face.x1 and face.y0 <= oy < face.y1 and 0.5 <= ratio <= 2:
            return True
    return False


def _sheet(crops: list[Image.Image], path: Path, cell: int = 96, cols: int = 10) -> None:
    if not crops:
        return
    rows = math.ceil(len(crops) / cols)
    sheet = Image.new("RGB", (cols * cell, rows * cell), "white")
    draw = ImageDraw.Draw(sheet)
    for i, crop in enumerate(crops):
        x, y = (i % cols) * cell, (i // cols) * cell
        sheet.paste(crop.resize((cell - 4, cell - 14)), (x + 2, y + 12))
        draw.text((x + 2, y), str(i), fill="black")
    sheet.save(path)


def run_set(folder: Path, limit: int, sheet_dir: Path | None) -> None:
    images = folder / "images" if (folder / "images").is_dir() else folder
    photos = sorted(p for p in images.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES)[:limit]
    names = list(DETECTORS)
    found = {k: [] for k in names}
    times = {k: [] for k in names}
    pixels = []
    for k in names:  # warm-up: cascade and network loading
        DETECTORS[k](np.zeros((64, 64, 3), np.uint8))
    for path in photos:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"))
        pixels.append(path)
        for k in names:
            start = time.perf_counter()
            boxes = DETECTORS[k](rgb)
            times[k].append(time.perf_counter() - start)
            found[k].append(boxes)
    print(f"\n{folder.name}: {len(photos)} images")
    print(f"{'detector':<14}{'faces':>7}{'images w/ face':>16}{'median ms':>11}" + "".join(f"{'in ' + o:>14}" for o in names))
    for k in names:
        n = sum(len(b) for b in found[k])
        with_face = sum(bool(b) for b in found[k])
        cells = []
        for o in names:
            hit = sum(confirmed(f, oth) for fs, oth in zip(found[k], found[o]) for f in fs)
            cells.append(f"{hit:>9} {hit / max(n, 1):4.0%}")
        print(f"{k:<14}{n:>7}{with_face:>16}{statistics.median(times[k]) * 1e3:>11.1f}" + "".join(f"{c:>14}" for c in cells))
    print("(in X: how many of the row's faces X also found)")
    if sheet_dir is None:
        return
    sheet_dir.mkdir(parents=True, exist_ok=True)
    for a, b in (("haar", "blaze-full"), ("blaze-full", "haar")):
        crops, sides = [], []
        for path, fa, fb in zip(pixels, found[a], found[b]):
            for face in fa:
                if not confirmed(face, fb):
                    with Image.open(path) as im:
                        sides.append(math.sqrt(face.area) / min(im.size))
                        grown = Box(face.x0 - face.width / 2, face.y0 - face.height / 2, face.x1 + face.width / 2,
                                    face.y1 + face.height / 2).clipped(*im.size)  # fmt: skip
                        crops.append(im.convert("RGB").crop(tuple(round(v) for v in grown.as_tuple())))
        _sheet(crops[:200], sheet_dir / f"{folder.name}-{a}-only.png")
        size = f"median side {statistics.median(sides):.1%} of the short side" if sides else ""
        print(f"  {a} only (not in {b}): {len(crops)} faces, {size} -> {sheet_dir / (folder.name + '-' + a + '-only.png')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+")
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--sheet", type=Path, default=None, help="write contact sheets of the disagreements here")
    args = parser.parse_args(argv)
    print(f"Python {sys.version.split()[0]}; {os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    for folder in args.folders:
        run_set(folder, args.limit, args.sheet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
