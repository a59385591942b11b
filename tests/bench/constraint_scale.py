"""Scale and position priors for design-constraint requests, measured on dev items only.

    python -m tests.bench.constraint_scale dump ../shared/data/fcdb_train --out .cache/cs/fcdb.json
    python -m tests.bench.constraint_scale dump ../shared/data/pro_portraits --out .cache/cs/pro.json
    python -m tests.bench.constraint_scale report .cache/cs/fcdb.json .cache/cs/pro.json
    python -m tests.bench.constraint_scale geometry ../shared/data/fcdb_train

``dump`` builds the design-constraint items of a folder's hold-out fifth
(:func:`models.constraints.devset.constraint_items`; for ``pro_portraits`` the photographer's
full frame is the "expert crop", so every item asks for the photo's own ratio) and stores, per
item, the crops of the centred baseline and of the heatmap method, ProCrop's free top-1 crop
of the image, and the ground truth. ``report`` measures two rules on those rows against the
heatmap method: when the request's ratio is within ``d`` (|log| of the ratios) of the
image's own, the heatmap's box is shrunk to ProCrop's free scale (never below ``fmin`` of
its side) or by a constant factor. ``geometry`` needs no model: on *all* of the folder's
items it slides the centred box along the free axis (``py``: 0 top, 0.5 centred, 1 bottom)
and shrinks it at (nearly) the image's ratio. Nothing here ships; the figures are in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from models.geometry import Box


def shrink(box: Box, keep: Box, factor: float, width: float, height: float, *, py: float = 0.5) -> Box:
    """``box`` with both sides times ``factor`` (ratio kept) about its centre, moved the least
    to hold ``keep`` and stay in the image; along the free vertical range ``py`` places it
    (0 top, 1 bottom; 0.5: about the centre). ``box`` itself when the smaller box cannot hold
    ``keep``."""
    w, h = box.width * factor, box.height * factor
    if w < keep.width - 1e-9 or h < keep.height - 1e-9:
        return box
    cx, cy = box.center
    x0 = min(max(cx - w / 2, keep.x1 - w, 0.0), keep.x0, width - w)
    lo, hi = max(keep.y1 - h, 0.0), min(keep.y0, height - h)
    y0 = min(max(cy - h / 2, lo), hi) if py == 0.5 else lo + py * (hi - lo)
    return Box(x0, y0, x0 + w, y0 + h)


def ratio_distance(ratio: float, width: float, height: float) -> float:
    """|log| of the request's ratio over the image's."""
    return abs(math.log(ratio / (width / height)))


def _dump(folder: Path, out: Path) -> None:
    from tqdm import tqdm

    from models.constraints.devset import constraint_items
    from models.eval.datasets import load_annotations
    from models.eval.protocol import CropRequest
    from models.eval.registry import make_method
    from models.eval.runner import load_for_eval
    from models.eval.split import is_holdout

    items = [it for it in constraint_items(load_annotations(folder)) if is_holdout(it.file.name)]
    methods = {n: make_method(n) for n in ("centred", "heatmap", "procrop")}
    groups: dict = {}
    for it in items:
        groups.setdefault(it.file, []).append(it)
    rows = []
    for path, group in tqdm(list(groups.items()), desc="images"):
        image = load_for_eval(path)
        if image is None:
            continue
        size = (image.info.width, image.info.height)
        an = {n: m.analyse(image) for n, m in methods.items()}
        free = methods["procrop"].crop(an["procrop"], CropRequest(size, None)).to_normalized(*size)
        for it in group:
            keep = Box.from_normalized(it.layout_box.as_tuple(), *size)
            request = CropRequest(size, it.aspect_ratio, keep=(keep,))
            rows.append({"size": size, "ratio": it.aspect_ratio, "layout": it.layout_box.as_tuple(),
                         "gt": it.crop.as_tuple(), "free": free,
                         **{n: methods[n].crop(an[n], request).to_normalized(*size) for n in ("centred", "heatmap")}})  # fmt: skip
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows), encoding="utf-8")
    print(f"{len(rows)} items from {len(groups)} images -> {out}")


def _iou(a, b) -> float:
    return Box(*a).iou(Box(*b))


def _scales(fmin: float | None) -> Callable[[dict], float]:
    """The side factor of a row's heatmap box: ProCrop's free scale, never below ``fmin``
    (None: the constant 0.9)."""
    if fmin is None:
        return lambda r: 0.9
    return lambda r: max(fmin, min(1.0, math.sqrt(Box(*r["free"]).area / Box(*r["heatmap"]).area)))


def _report(paths: list[Path]) -> None:
    rules = {"ProCrop's scale, fmin 0.85": _scales(0.85), "ProCrop's scale, fmin 0.9": _scales(0.9),
             "constant 0.9": _scales(None)}  # fmt: skip
    for path in paths:
        rows = json.loads(path.read_text(encoding="utf-8"))
        d = np.array([ratio_distance(r["ratio"], *r["size"]) for r in rows])
        heat = np.array([_iou(r["heatmap"], r["gt"]) for r in rows])
        cen = np.mean([_iou(r["centred"], r["gt"]) for r in rows])
        print(f"{path}: {len(rows)} items, centred {cen:.4f}, heatmap {heat.mean():.4f}")
        for t in (0.02, 0.03, 0.05):
            near = np.flatnonzero(d < t)
            cells = []
            for label, scale in rules.items():
                out = heat.copy()
                for i in near:
                    r = rows[i]
                    out[i] = shrink(Box(*r["heatmap"]), Box(*r["layout"]), scale(r), 1.0, 1.0).iou(Box(*r["gt"]))
                cells.append(f"{label}: {out.mean():.4f}")
            print(f"  d < {t} ({len(near)} items): " + "; ".join(cells))


def _geometry(folder: Path) -> None:
    from models.constraints.devset import constraint_items
    from models.eval.baselines import centred_crop
    from models.eval.datasets import load_annotations
    from models.eval.protocol import CropRequest
    from models.eval.split import is_holdout

    aset = load_annotations(folder)
    size = {im.file: (im.width, im.height) for im in aset.items}
    rows = []
    for it in constraint_items(aset):
        w, h = size[it.file]
        keep = Box.from_normalized(it.layout_box.as_tuple(), w, h)
        c = centred_crop(CropRequest((w, h), it.aspect_ratio, keep=(keep,)))
        rows.append((w, h, it.aspect_ratio, keep, c, Box.from_normalized(it.crop.as_tuple(), w, h), is_holdout(it.file.name)))
    hold = np.array([r[6] for r in rows])
    cen = np.array([r[4].iou(r[5]) for r in rows])
    print(f"{len(rows)} items ({hold.sum()} hold-out): centred {cen.mean():.4f} (hold-out {cen[hold].mean():.4f})")
    scale = np.array([r[5].area / r[4].area for r in rows])[hold]  # the expert's box over the largest of its ratio
    print(f"  hold-out expert / largest box (area): median {np.median(scale):.3f}, below 0.95 in {np.mean(scale < 0.95):.1%}")
    for py in (0.3, 0.4, 0.6):
        s = np.array([shrink(r[4], r[3], 1.0, r[0], r[1], py=py).iou(r[5]) for r in rows])
        print(f"  slid, py {py}: {s.mean():.4f} (hold-out {s[hold].mean():.4f})")
    d = np.array([ratio_distance(r[2], r[0], r[1]) for r in rows])
    for t in (0.02, 0.03, 0.05):
        print(f"  d < {t}: {(d < t).sum()} items, centred {cen[d < t].mean():.4f}")
        for f in (0.95, 0.9, 0.85):
            s = np.where(d < t, [shrink(r[4], r[3], f, r[0], r[1]).iou(r[5]) for r in rows], cen)
            print(f"  d < {t} ({(d < t).sum()} items) shrunk {f}: {s.mean():.4f} (hold-out {s[hold].mean():.4f})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.constraint_scale", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    dump = sub.add_parser("dump")
    dump.add_argument("folder", type=Path)
    dump.add_argument("--out", type=Path, required=True)
    sub.add_parser("report").add_argument("rows", type=Path, nargs="+")
    sub.add_parser("geometry").add_argument("folder", type=Path)
    args = parser.parse_args(argv)
    if args.cmd == "dump":
        _dump(args.folder, args.out)
    elif args.cmd == "report":
        _report(args.rows)
    else:
        _geometry(args.folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
