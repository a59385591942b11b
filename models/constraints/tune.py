"""Choose the score weights of :class:`~models.constraints.cropper.AttentionCropper` on a
training folder (never the evaluation set):

    .venv/bin/python -m models.constraints.tune ../shared/data/fcdb_train [--images 300]

Builds design-constraint items from the folder's expert crops (models.constraints.devset),
analyses each image once, evaluates every term on every candidate once per item, then
grid-searches the weights. The score is linear in the weights, so each weight vector costs
one matrix product per item. Prints the best weights and the grid's mean IoU.
"""

from __future__ import annotations

import argparse
import itertools
import logging
from collections import defaultdict

import numpy as np
from tqdm import tqdm

from models.constraints.candidates import GridSpec, enumerate_candidates
from models.constraints.cropper import AttentionCropper, ScoreWeights
from models.constraints.devset import constraint_items
from models.constraints.problem import CropProblem
from models.eval.baselines import centred_crop
from models.eval.datasets import load_annotations
from models.eval.protocol import CropRequest
from models.geometry import AspectRatio, Box
from models.imaging import load_image

log = logging.getLogger(__name__)

GRID = {
    "attention": (0.0, 0.25, 0.5, 1.0),
    "area": (0.25, 0.5, 1.0, 2.0, 4.0),
    "centre": (0.0, 0.25, 0.5, 1.0, 2.0),
    "border": (0.0, 0.1, 0.3, 1.0, 3.0, 10.0),
}


def _iou(x0, y0, x1, y1, gt: Box) -> np.ndarray:
    ix = np.clip(np.minimum(x1, gt.x1) - np.maximum(x0, gt.x0), 0, None)
    iy = np.clip(np.minimum(y1, gt.y1) - np.maximum(y0, gt.y0), 0, None)
    inter = ix * iy
    return inter / ((x1 - x0) * (y1 - y0) + gt.area - inter)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("folder")
    p.add_argument("--images", type=int, default=None, help="use only the first N images (default: all)")
    args = p.parse_args(argv)
    aset = load_annotations(args.folder)
    by_image = defaultdict(list)
    for item in constraint_items(aset):
        by_image[item.file].append(item)
    files = sorted(by_image)[: args.images]
    cropper = AttentionCropper(weights=ScoreWeights(attention=1.0, area=1.0, centre=1.0, border=1.0, face_cut=1.0))
    per_item = []  # (terms matrix [N, 4], iou vector [N])
    baseline = []  # IoU of the layout-aware centred crop, the bar to clear
    for path in tqdm(files, desc="analyse", disable=None):
        image = load_image(path, max_side=1024)
        analysis = cropper.analyse(image)
        w, h = image.info.width, image.info.height
        terms = cropper.terms(analysis)
        for item in by_image[path]:
            keep = Box.from_normalized(item.layout_box.as_tuple(), w, h)
            problem = CropProblem((w, h), AspectRatio(item.aspect_ratio, 1.0), keep=(keep,))
            cands = enumerate_candidates(problem, GridSpec())
            if not len(cands):
                continue
            matrix = np.stack([t(cands) for t in terms], axis=1)
            gt = Box.from_normalized(item.crop.as_tuple(), w, h)
            per_item.append((matrix, _iou(cands.x0, cands.y0, cands.x1, cands.y1, gt)))
            baseline.append(centred_crop(CropRequest((w, h), item.aspect_ratio, keep=(keep,))).iou(gt))
    print(f"{len(per_item)} items from {len(files)} images of {args.folder}")
    print(f"centred baseline: mean IoU {np.mean(baseline):.4f}")
    print(f"grid oracle (best candidate per item): mean IoU {np.mean([iou.max() for _, iou in per_item]):.4f}")
    results = []
    for a, s, c, b in itertools.product(*GRID.values()):
        weights = np.array([a, s, c, b, 10.0])  # in the order of AttentionCropper.terms
        ious = [iou[int(np.argmax(m @ weights))] for m, iou in per_item]
        results.append((float(np.mean(ious)), a, s, c, b))
    results.sort(reverse=True)
    print("mean IoU  attention  area  centre  border   (face-cut 10)")
    for row in results[:10]:
        print("{:.4f}    {:>9}  {:>4}  {:>6}  {:>6}".format(*row))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
