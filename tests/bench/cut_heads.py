"""How often does a crop cut a head?  ``python -m tests.bench.cut_heads [--per-set N]``

For photos of ``../shared/data/pro_portraits`` and ``fcdb_train`` that have at least one head
(``models.subjects.detect_subjects``, taken as the truth), every ratio of :data:`RATIOS` is
cropped through the product paths (``crop``, ``attention``, ``suggest`` top 3, ``batch``)
and by the trivial "largest box of the ratio centred on the heads". A case counts when a
crop of that ratio can keep every head whole (the heads' bounding box fits in the largest
box of the ratio); it is *cut* when the crop meets a head without holding it whole (more
than a pixel of overlap both ways), *left out* when a head lies entirely outside.

It runs on the code it is imported from: with ``models.cropping`` (the one crop contract)
through it, otherwise through the older per-path calls (``make_method(...).crop``,
``prepare_attention(...).crop``, ``predictor.suggest``, ``cropsets.worker.process_image``),
which are what those commands ran. Photos are a fixed stride over each set (``--per-set``
with faces), so two runs see the same photos. Prints one table; ``--json`` writes the rows.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from tqdm import tqdm

from models.geometry import AspectRatio, Box, bounding_box, fit_ratio_around, parse_aspect
from models.imaging import ANALYSIS_MAX_SIDE, load_image
from models.subjects import detect_subjects

DATA = Path(os.environ.get("CROPSTUDIO_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"))
RATIOS = ("1:1", "4:5", "9:16", "1.91:1", "16:9", "3:1")
PATHS = ("crop", "attention", "suggest", "batch", "centred-on-heads")
NEW = importlib.util.find_spec("models.cropping") is not None


def _cut(box: Box, head: Box) -> bool:
    inter = box.intersection(head)
    return inter is not None and min(inter.width, inter.height) > 1.0 and not box.contains(head, tol=1.0)


def _out(box: Box, head: Box) -> bool:
    inter = box.intersection(head)
    return inter is None or min(inter.width, inter.height) <= 1.0


def _photos(name: str, per_set: int, stride: int) -> list[tuple[Path, tuple[Box, ...]]]:
    root = DATA / name
    files = sorted(e["file"] for e in json.loads((root / "annotations.json").read_text())["images"])
    out = []
    for f in files[::stride]:
        image = load_image(root / f, max_side=ANALYSIS_MAX_SIDE)
        heads = tuple(image.to_full(h.box) for h in detect_subjects(image.rgb).heads)
        if heads:
            out.append((root / f, heads))
        if len(out) == per_set:
            break
    return out


def _centred_on_heads(size: tuple[int, int], ratio: AspectRatio, heads: tuple[Box, ...]) -> Box:
    union = bounding_box(heads)
    return fit_ratio_around(union, ratio.value, *size).rounded()


# -- the paths, on the code being measured ----------------------------------------------
def _paths_old(path: Path) -> dict[str, dict[str, list[Box | None]]]:
    from models.attention import prepare_attention
    from models.cropsets.targets import Target
    from models.cropsets.worker import ExportSettings, ImageJob, TargetJob, process_image
    from models.errors import CropStudioError
    from models.eval.protocol import CropRequest
    from models.eval.registry import make_method
    from models.procrop.predictor import load_predictor

    image = load_image(path, max_side=ANALYSIS_MAX_SIDE)
    size = (image.info.width, image.info.height)
    method = make_method("attention")
    analysis = method.analyse(image)
    prepared = prepare_attention(image)
    predictor = load_predictor()
    predictor.set_image(image.rgb, size=size)
    out: dict[str, dict[str, list[Box | None]]] = defaultdict(dict)
    for r in RATIOS:
        aspect = parse_aspect(r)
        out["crop"][r] = [method.crop(analysis, CropRequest(size, aspect.value))]
        try:
            out["attention"][r] = [prepared.crop(tau=0.7, aspect=aspect).boxes[0]]
        except CropStudioError:
            out["attention"][r] = [None]  # refused: no crop, counted apart
        found = predictor.suggest(3, aspect=aspect.value)
        out["suggest"][r] = [s.box for s in found.items]  # whole pixels of the image
    with tempfile.TemporaryDirectory() as tmp:
        targets = tuple(TargetJob(Target("r" + r.replace(":", "_").replace(".", "_"), parse_aspect(r)), hash=r) for r in RATIOS)
        result = process_image(ImageJob(path, targets), ExportSettings(Path(tmp), dry_run=True), method)
    for r, record in zip(RATIOS, result.records, strict=True):
        out["batch"][r] = [Box(*record.box) if record.box is not None else None]
    return out


def _paths_new(path: Path) -> dict[str, dict[str, list[Box | None]]]:
    from models import cropping
    from models.cropsets.targets import Target
    from models.cropsets.worker import ExportSettings, ImageJob, TargetJob, process_image
    from models.errors import CropStudioError

    image = load_image(path, max_side=ANALYSIS_MAX_SIDE)
    analysis = cropping.analyse(image)
    out: dict[str, dict[str, list[Box | None]]] = defaultdict(dict)
    for r in RATIOS:
        aspect = parse_aspect(r)
        for name, request in (("crop", cropping.Request(aspect=aspect)),
                              ("attention", cropping.Request(aspect=aspect, method="tau", tau=0.7))):  # fmt: skip
            try:
                out[name][r] = [cropping.crop(analysis, request).box]
            except CropStudioError:
                out[name][r] = [None]
        found = cropping.ranked(analysis, cropping.Request(aspect=aspect, method="procrop"), 3)
        out["suggest"][r] = [s.box for s in found]
    with tempfile.TemporaryDirectory() as tmp:
        targets = tuple(TargetJob(Target("r" + r.replace(":", "_").replace(".", "_"), parse_aspect(r)), hash=r) for r in RATIOS)
        result = process_image(ImageJob(path, targets), ExportSettings(Path(tmp), dry_run=True))
    for r, record in zip(RATIOS, result.records, strict=True):
        out["batch"][r] = [Box(*record.box) if record.box is not None else None]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--per-set", type=int, default=40, help="photos with heads per data set (default 40)")
    p.add_argument("--stride", type=int, default=7, help="take every STRIDE-th photo of a set (default 7)")
    p.add_argument("--json", type=Path, help="also write the counts here")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    paths_of = _paths_new if NEW else _paths_old
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])  # cases, cut, left out, refused
    start = time.perf_counter()
    for name in ("pro_portraits", "fcdb_train"):
        photos = _photos(name, args.per_set, args.stride)
        for path, heads in tqdm(photos, desc=name):
            info = load_image(path, max_side=ANALYSIS_MAX_SIDE).info
            size = (info.width, info.height)
            boxes = paths_of(path)
            for r in RATIOS:
                aspect = parse_aspect(r)
                union = bounding_box(heads)
                largest = Box(0, 0, *size)
                fits = union.width * 1.0 <= min(size[0], size[1] * aspect.value) + 1e-6 and \
                    union.height <= min(size[1], size[0] / aspect.value) + 1e-6
                if not fits or largest.area == 0:
                    continue
                rows = dict(boxes)
                rows["centred-on-heads"] = {r: [_centred_on_heads(size, aspect, heads)]}
                for path_name in PATHS:
                    for box in rows[path_name][r]:
                        c = counts[(name, path_name)]
                        c[0] += 1
                        if box is None:
                            c[3] += 1
                            continue
                        c[1] += any(_cut(box, h) for h in heads)
                        c[2] += any(_out(box, h) for h in heads)
    elapsed = time.perf_counter() - start
    print(f"code: {'models.cropping' if NEW else 'per-path calls (before models.cropping)'}; {elapsed:.0f} s")
    print(f"{'set':14s} {'path':17s} {'cases':>6s} {'cut':>7s} {'left out':>9s} {'refused':>8s}")
    for (name, path_name), (n, cut, out, refused) in sorted(counts.items()):
        print(f"{name:14s} {path_name:17s} {n:6d} {cut / n:7.1%} {out / n:9.1%} {refused / n:8.1%}")
    if args.json:
        args.json.write_text(json.dumps({f"{k[0]}/{k[1]}": v for k, v in counts.items()}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
