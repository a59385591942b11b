"""Head sizes on the data sets: ``python -m tests.bench.head_sizes [--stride N]``.

Prints the distribution of ``detect_subjects`` head heights as a fraction of the image's short
side, and relative to the image's largest head, on pro_portraits and FCDB train (every
``--stride``-th photo): what :data:`models.cropping.rule.BACKGROUND_HEAD_FRACTION` is chosen from.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
from tqdm import tqdm

from models.imaging import ANALYSIS_MAX_SIDE, load_image
from models.subjects import detect_subjects
from tests.bench.cut_heads import DATA


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--stride", type=int, default=10)
    args = p.parse_args(argv)
    for name in ("pro_portraits", "fcdb_train"):
        root = DATA / name
        files = sorted(e["file"] for e in json.loads((root / "annotations.json").read_text())["images"])[::args.stride]
        frac, rel, photos = [], [], 0
        for f in tqdm(files, desc=name):
            image = load_image(root / f, max_side=ANALYSIS_MAX_SIDE)
            heads = detect_subjects(image.rgb).heads
            short = min(image.rgb.shape[:2])
            photos += bool(heads)
            tallest = max((h.box.height for h in heads), default=0)
            frac += [h.box.height / short for h in heads]
            rel += [h.box.height / tallest for h in heads] if len(heads) > 1 else []
        q = np.percentile(frac, [5, 25, 50, 75, 95]) if frac else []
        print(f"{name}: {len(files)} photos, {photos} with heads, {len(frac)} heads; height / short side "
              f"p5 {q[0]:.3f} p25 {q[1]:.3f} median {q[2]:.3f} p75 {q[3]:.3f} p95 {q[4]:.3f}; "
              f"under 0.1: {np.mean(np.array(frac) < 0.1):.1%}; in photos with several heads, under a third "
              f"of the tallest: {np.mean(np.array(rel) < 1 / 3) if rel else 0:.1%} of {len(rel)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
