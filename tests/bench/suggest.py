"""Benchmark: ``suggest`` per photo (10 ranked crops), the model loaded once, on this CPU.

    OMP_NUM_THREADS=1 .venv/bin/python -m tests.bench.suggest [FOLDER] [--count 40] [--top 10]

The issue's target: <= 0.5 s per photo for 10 ranked crops with the default encoder. Each
photo goes through what ``cropstudio suggest`` does after loading: decode, ``set_image``
(encoder pass + retrieval) and ``suggest(top_k)`` (decoder + NMS), timed apart. Photos:
FOLDER (default: the FCDB training images in ../shared/data, else the bundled samples).
Printed: the median and 90th percentile per stage, over ``--count`` photos, in this run.

``--engine`` adds what ``cropstudio suggest`` and the app run after ``set_image``: the crop
engine's ``top`` ProCrop crops (:func:`models.cropping.ranked`: voted suggestions, then the
queries' own boxes and tighter framings as the subject rule and diversity need them), free
and at 16:9, on the same queries (the subjects detected beforehand, not counted), with each
stage's ratio to the predictor's ``suggest``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from models.imaging import load_image
from models.procrop.predictor import load_predictor

ROOT = Path(__file__).resolve().parents[2]
FCDB = ROOT.parent / "shared" / "data" / "fcdb_train" / "images"


def photos(folder: Path | None, count: int) -> list[Path]:
    for candidate in (folder, FCDB, ROOT / "resources" / "samples"):
        if candidate is not None and candidate.is_dir():
            found = sorted(p for p in candidate.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"})
            if found:
                return found[:count]
    raise SystemExit("no photos found")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path, nargs="?")
    ap.add_argument("--count", type=int, default=40)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--engine", action="store_true", help="also time the crop engine's ProCrop crops")
    args = ap.parse_args()
    t = time.perf_counter()
    predictor = load_predictor()
    load_s = time.perf_counter() - t
    files = photos(args.folder, args.count)
    predictor.set_image(load_image(files[0]).rgb)  # warm-up, not counted
    predictor.suggest(args.top)
    stages: dict[str, list[float]] = {"decode": [], "set_image": [], "suggest": [], "total": []}
    if args.engine:
        stages |= {"engine": [], "engine_16:9": []}
    counts = []
    for path in files:
        t0 = time.perf_counter()
        image = load_image(path)
        rgb = image.rgb
        t1 = time.perf_counter()
        predictor.set_image(rgb)
        t2 = time.perf_counter()
        out = predictor.suggest(args.top)
        t3 = time.perf_counter()
        counts.append(len(out.items))
        for key, value in zip(stages, (t1 - t0, t2 - t1, t3 - t2, t3 - t0)):
            stages[key].append(value * 1e3)
        if args.engine:
            for key, value in zip(("engine", "engine_16:9"), _engine(image, predictor.queries, args.top), strict=True):
                stages[key].append(value * 1e3)
    summary = {
        "photos": len(files), "top": args.top, "mean_crops_returned": round(float(np.mean(counts)), 2),
        "torch_threads": torch.get_num_threads(), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS"),
        "model_load_s": round(load_s, 2),
        "ms": {k: {"median": round(statistics.median(v), 1), "p90": round(float(np.percentile(v, 90)), 1)} for k, v in stages.items()},
    }  # fmt: skip
    if args.engine:
        base = statistics.median(stages["suggest"])
        summary["ratio_to_suggest"] = {k: round(statistics.median(stages[k]) / base, 2) for k in ("engine", "engine_16:9")}
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(f"{len(files)} photos, top {args.top} (mean returned {summary['mean_crops_returned']}), "
          f"torch threads {summary['torch_threads']}, model + index load {load_s:.2f} s")  # fmt: skip
    for key, value in summary["ms"].items():
        print(f"  {key:<11} median {value['median']:>7.1f} ms   p90 {value['p90']:>7.1f} ms")
    for key, value in summary.get("ratio_to_suggest", {}).items():
        print(f"  {key} / suggest: {value:.2f} x (medians)")


def _engine(image, queries, top: int) -> tuple[float, float]:
    """Seconds for the engine's ``top`` ProCrop crops, free and at 16:9, on ``queries``."""
    from models import cropping
    from models.cropping.methods import get_method
    from models.geometry import AspectRatio

    analysis = cropping.analyse(image, methods=())  # subjects detected here, not timed
    analysis.cached(get_method("procrop").key, lambda: queries)
    out = []
    for aspect in (None, AspectRatio(16, 9)):
        t = time.perf_counter()
        cropping.ranked(analysis, cropping.Request(aspect=aspect, method="procrop"), top)
        out.append(time.perf_counter() - t)
    return out[0], out[1]


if __name__ == "__main__":
    main()
