"""Measure how far a head reaches beyond its BlazeFace box, against the person mask.

    OMP_NUM_THREADS=1 .venv/bin/python -m tests.bench.head_growth ../shared/data/pro_portraits

On the tuning part of the set (``models.eval.split``: the hold-out fifth is left out), for
each image with exactly one confident face (score >= 0.8) whose eyes are level within 10
degrees, the person mask (MediaPipe selfie segmentation, resized to the image) is read in the
face's frame, in units of the face size ``s`` from the face box centre:

* ``top``: going up from the centre, the first row where a band of half a face wide around
  the centre is mostly background (hair included: the mask covers it);
* ``left`` / ``right``: at eye level, the first column on each side that is background;
* ``mouth``: the mouth keypoint below the centre (the chin is not visible in a person mask).

Heads that reach the image border on that side are left out of that measure (censored). It
prints percentiles; :data:`models.subjects.heads.HEAD_SHAPE` takes the 90th for the top and
the 75th for the sides (see its docstring).
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from models.eval.split import is_holdout
from models.imaging import SUPPORTED_SUFFIXES
from models.subjects.heads import HEAD_SHAPE, LEFT_EYE, MOUTH, RIGHT_EYE, roll
from models.subjects.tflite import detect_faces_blazeface, person_mask


def measure(rgb: np.ndarray) -> dict[str, float] | None:
    found = detect_faces_blazeface(rgb, "full-range")
    if len(found) != 1 or found.scores[0] < 0.8 or abs(math.degrees(roll(found.keypoints[0]))) > 10:
        return None
    h, w = rgb.shape[:2]
    mask = cv2.resize(person_mask(rgb), (w, h), interpolation=cv2.INTER_LINEAR) > 0.5
    x0, y0, x1, y1 = found.boxes[0]
    kp = found.keypoints[0]
    s = ((x1 - x0) + (y1 - y0)) / 2
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    out: dict[str, float] = {"mouth": (kp[MOUTH][1] - cy) / s}
    band = slice(max(0, round(cx - s / 4)), min(w, round(cx + s / 4)))
    row = int(cy)
    while row >= 0 and mask[row, band].mean() >= 0.5:
        row -= 1
    if row >= 0:
        out["top"] = (cy - row) / s
    eye_y = int(np.clip((kp[RIGHT_EYE][1] + kp[LEFT_EYE][1]) / 2, 0, h - 1))
    line = mask[eye_y]
    col = int(np.clip(cx, 0, w - 1))
    left = col
    while left >= 0 and line[left]:
        left -= 1
    right = col
    while right < w and line[right]:
        right += 1
    if left >= 0:
        out["left"] = (cx - left) / s
    if right < w:
        out["right"] = (right - cx) / s
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=1000)
    args = parser.parse_args(argv)
    images = args.folder / "images" if (args.folder / "images").is_dir() else args.folder
    photos = [p for p in sorted(images.iterdir()) if p.suffix.lower() in SUPPORTED_SUFFIXES and not is_holdout(p.name)]
    rows = []
    for path in photos[: args.limit]:
        with Image.open(path) as im:
            m = measure(np.asarray(im.convert("RGB")))
        if m is not None:
            rows.append(m)
    print(f"{args.folder.name}: {len(photos[: args.limit])} tuning images, {len(rows)} with one level, confident face")
    print(f"{'in face sizes':<16}{'n':>6}" + "".join(f"{'p' + str(q):>8}" for q in (10, 50, 75, 90, 95)))
    for key in ("top", "left", "right", "mouth"):
        values = np.array([r[key] for r in rows if key in r])
        if len(values):
            print(f"{key:<16}{len(values):>6}" + "".join(f"{np.percentile(values, q):8.2f}" for q in (10, 50, 75, 90, 95)))
    print(f"HEAD_SHAPE now: {HEAD_SHAPE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
