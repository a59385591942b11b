"""Does the judge know *when* to crop, and are its pair probabilities calibrated? Hold-out fifths only.

    OMP_NUM_THREADS=1 .venv/bin/python -m tests.bench.judge_crop_or_not ../shared/data/fcdb_train \\
        ../shared/data/pro_portraits --pro-limit 1000 --weights "shipped judge=resources/weights/scorer-judge-lite0.pt"

Per weights file (``NAME=FILE``, repeatable), on FCDB's hold-out fifth (its ``ranking.json``
pairs, its expert crops) and the hold-out fifth of the professional photographs:

* ``pair acc``: the share of FCDB's unseen pairs whose more-voted view scores higher;
* ``ECE``: the expected calibration error of sigma(s_a - s_b) against the pair's vote share
  (10 bins; a and b in the file's order, which does not depend on the votes), at temperature 1 and at the best temperature T of a 0.25 grid (by cross-entropy
  with the vote share; a dev figure, chosen on the same pairs);
* ``expert > whole``: the share of FCDB images, among those whose expert crop differs from the
  whole image (IoU below ``FULL_GAP``, 0.9, the ``--w-full`` signal's rule), where the judge scores the expert crop above the whole image;
* ``crops FCDB / pro``: the share of images where the judge's best box of
  :func:`~models.scorer.grid.candidate_grid` (the whole image among it) is not the whole image;
* ``should-crop AUC``: how well the margin ``max(grid) - whole`` separates FCDB's amateur
  photos (which the experts cropped) from the professional ones (0.5: it cannot tell);
* ``cut SRCC``: within FCDB alone, the Spearman correlation of that margin with how much the
  expert cut (1 - IoU of the expert crop with the whole image): whether the judge knows *how
  much* a photo needs cropping, not only which set it comes from;
* ``top-1 IoU``: that best box against FCDB's expert crop and the photographer's trimmed frame
  (:mod:`models.scorer.dev`'s figures). The trivial rows (whole image, constant centred crop)
  are measured on the same images. Never run on FLMS.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.special import expit as sigmoid
from scipy.stats import mannwhitneyu

from models.box_arrays import best_ious
from models.eval.metrics import rank_correlations
from models.geometry import Box
from models.scorer.train import FULL, FULL_GAP  # the trainer's whole image and its "differs" rule

WHOLE = FULL.as_tuple()


def whole_index(grid: np.ndarray) -> int:
    """The row of :func:`~models.scorer.grid.candidate_grid` that is the whole image (always one)."""
    return int(np.argmin(np.abs(np.asarray(grid) - WHOLE).sum(1)))


@dataclass(frozen=True)
class Photo:
    rgb: np.ndarray
    label: Box  # the expert crop (FCDB) or the trimmed frame (pro)
    pairs: tuple  # FCDB's (crop_0, crop_1, votes_0, votes_1) in the file's order; () for pro


def _photos(fcdb: Path, pro: Path, pro_limit: int | None) -> tuple[list[Photo], list[Photo]]:
    from models.eval.datasets import load_annotations
    from models.eval.split import split_images
    from models.imaging import load_image
    from models.scorer.views import trim_plain_border

    # read here, not through models.eval.pairs.ranking_pairs: that one orders each pair winner
    # first, and calibration bins need an order that does not depend on the outcome
    raw = json.loads((fcdb / "ranking.json").read_text())["items"]
    votes = {Path(it["file"]).name: it["pairs"] for it in raw}
    _, held = split_images(load_annotations(fcdb).items)
    amateur = [Photo(load_image(im.file).rgb, im.crops[0], tuple(
        (p["crop_0"], p["crop_1"], p["votes_0"], p["votes_1"]) for p in votes.get(im.file.name, [])))
        for im in held]  # fmt: skip
    items = load_annotations(pro).items
    _, held = split_images(items[:pro_limit] if pro_limit else items)
    rgbs = [load_image(im.file).rgb for im in held]
    return amateur, [Photo(rgb, trim_plain_border(rgb), ()) for rgb in rgbs]


def ece(p: np.ndarray, y: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error of probabilities ``p`` against outcome rates ``y``."""
    b = np.minimum((p * bins).astype(int), bins - 1)
    return float(sum(abs(p[b == i].mean() - y[b == i].mean()) * (b == i).mean() for i in range(bins) if (b == i).any()))


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """P(a positive's value > a negative's), ties counted half (the Mann-Whitney AUC)."""
    return float(mannwhitneyu(pos, neg).statistic / (len(pos) * len(neg)))


def best_temperature(diff: np.ndarray, share: np.ndarray) -> float:
    def ce(t: float) -> float:
        p = np.clip(sigmoid(diff / t), 1e-9, 1 - 1e-9)
        return float(-np.mean(share * np.log(p) + (1 - share) * np.log(1 - p)))

    return min(np.arange(0.5, 8.01, 0.25), key=ce)


def _scored(model, photo: Photo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(grid, grid scores, scores of [label, whole, pair views...])``."""
    from models.scorer.grid import candidate_grid

    ratio = photo.rgb.shape[1] / photo.rgb.shape[0]
    prepared = model.prepare(photo.rgb)
    grid = candidate_grid(ratio)
    views = [photo.label.as_tuple(), WHOLE] + [v for a, b, *_ in photo.pairs for v in (a, b)]
    return grid, model.score(prepared, grid, ratio), model.score(prepared, np.array(views, np.float64), ratio)


def figures(model, amateur: list[Photo], pro: list[Photo]) -> dict[str, float]:
    diffs, shares, expert_wins = [], [], []
    margins, crops, ious = ({"fcdb": [], "pro": []} for _ in range(3))
    for name, photos in (("fcdb", amateur), ("pro", pro)):
        for photo in photos:
            grid, g, s = _scored(model, photo)
            whole = whole_index(grid)  # scored in the grid's batch: a tie with the top is exact
            top = int(np.argmax(g))
            margins[name].append(float(g[top] - g[whole]))
            crops[name].append(top != whole)
            ious[name].append(float(best_ious(grid[[top]], [photo.label])[0]))
            if name == "fcdb" and photo.label.iou(FULL) < FULL_GAP:
                expert_wins.append(s[0] > s[1])
            for k, (_, _, v0, v1) in enumerate(photo.pairs):
                if v0 != v1:
                    diffs.append(s[2 + 2 * k] - s[3 + 2 * k])
                    shares.append(v0 / (v0 + v1))
    d, y = np.array(diffs), np.array(shares)
    t = best_temperature(d, y)
    fm, pm = np.array(margins["fcdb"]), np.array(margins["pro"])
    cut = np.array([1.0 - p.label.iou(FULL) for p in amateur])
    return {"pair acc": float(np.mean((d > 0) == (y > 0.5))), "ECE T=1": ece(sigmoid(d), y), "best T": float(t),
            "ECE best T": ece(sigmoid(d / t), y), "expert > whole": float(np.mean(expert_wins)),
            "crops FCDB": float(np.mean(crops["fcdb"])), "crops pro": float(np.mean(crops["pro"])),
            "should-crop AUC": auc(fm, pm), "cut SRCC": rank_correlations(fm, cut)[0], "FCDB top-1 IoU": float(np.mean(ious["fcdb"])),
            "pro top-1 IoU": float(np.mean(ious["pro"]))}  # fmt: skip


def trivial_rows(amateur: list[Photo], pro: list[Photo]) -> dict[str, tuple[float, float]]:
    from models.scorer.dev import CONSTANT_CROP

    rows = {}
    for name, box in (("whole image (trivial)", FULL), ("constant centred crop (trivial)", CONSTANT_CROP)):
        rows[name] = tuple(float(np.mean([box.iou(p.label) for p in ps])) for ps in (amateur, pro))
    return rows  # type: ignore[return-value]


COLUMNS = ("pair acc", "ECE T=1", "best T", "ECE best T", "expert > whole", "crops FCDB", "crops pro",
           "should-crop AUC", "cut SRCC", "FCDB top-1 IoU", "pro top-1 IoU")  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    from models.scorer.model import load_scorer

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("fcdb", type=Path)
    p.add_argument("pro", type=Path)
    p.add_argument("--pro-limit", type=int, help="only the first N professional photographs")
    p.add_argument("--weights", action="append", required=True, metavar="NAME=FILE")
    args = p.parse_args(argv)
    amateur, pro = _photos(args.fcdb, args.pro, args.pro_limit)
    print(f"{len(amateur)} FCDB hold-out images ({sum(len(a.pairs) for a in amateur)} pairs), {len(pro)} pro hold-out photos")
    print("| weights | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for name, (f_iou, p_iou) in trivial_rows(amateur, pro).items():
        print(f"| {name} | " + " | ".join(["-"] * 7) + f" | 0.5 | 0 | {f_iou:.4f} | {p_iou:.4f} |")
    for spec in args.weights:
        name, _, path = spec.partition("=")
        row = figures(load_scorer(path), amateur, pro)
        print(f"| {name} | " + " | ".join(f"{row[c]:.2f}" if c == "best T" else f"{row[c]:.4f}" for c in COLUMNS) + " |", flush=True)


if __name__ == "__main__":
    main()
