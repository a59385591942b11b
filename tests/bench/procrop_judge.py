"""ProCrop's proposals ranked by the judge: dump once per set, then choose the ranking offline.

    python -m tests.bench.procrop_judge dump ../shared/data/fcdb_train --holdout --out .cache/pj/fcdb.npz
    python -m tests.bench.procrop_judge dump ../shared/data/pro_portraits --holdout --frame --out .cache/pj/pro.npz
    python -m tests.bench.procrop_judge dump ../shared/data/flms --out .cache/pj/flms.npz
    python -m tests.bench.procrop_judge choose .cache/pj/fcdb.npz .cache/pj/pro.npz [--measure .cache/pj/flms.npz]
    python -m tests.bench.procrop_judge vote .cache/pj/fcdb.npz .cache/pj/pro.npz [--measure .cache/pj/flms.npz]
    python -m tests.bench.procrop_judge gate .cache/pj/fcdb.npz .cache/pj/pro.npz --by .cache/pj/fcdb-g.npz .cache/pj/pro-g.npz

``dump`` runs the shipped ProCrop (no re-ranking) on every image of the set (``--holdout``:
only the hold-out fifth, :func:`models.eval.split.is_holdout`) and stores, per image, the
queries' boxes and decoder scores, the judge's and the old scorer's scores of those boxes
and of :func:`models.scorer.dev.candidate_grid` (the full image among them), the learned
heatmap (from the encoder's maps, as the re-ranking computes it), and the ground truth
(``--frame``: the photographer's frame with any plain border trimmed, as the judge's pro
hold-out figure). ``choose`` evaluates every ranking policy of :func:`policies`
on the first sets (top-1 IoU, Disp, best of top 3) and prints the table; ``--measure`` adds
the same rows on a set that decides nothing (FLMS). ``vote`` compares the predictor's box
voting (:mod:`models.procrop.vote`) at several overlaps and temperatures on the shipped
ranking, with a split-half check of the choice. ``gate`` shows the whole image first where the
judge of the ``--by`` dumps (the same sets dumped with another ``$CROPSTUDIO_JUDGE_WEIGHTS``)
finds no grid box more than ``tau`` above the whole image, else the shipped top-1.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

from models.box_arrays import best_disps, best_ious

log = logging.getLogger(__name__)


def _dump(folder: Path, holdout: bool, frame: bool, out: Path, limit: int | None,
          weights: Path | None = None, index: Path | None = None, retrieval: bool = True) -> None:  # fmt: skip
    from tqdm import tqdm

    from models.eval.datasets import load_annotations
    from models.eval.split import is_holdout
    from models.heatmap.model import shared_heatmap_model
    from models.imaging import load_image
    from models.procrop.predictor import load_predictor
    from models.procrop.rerank import heatmap_of, prepare_scorer
    from models.scorer.grid import candidate_grid
    from models.scorer.model import judge_weights, load_scorer
    from models.scorer.views import trim_plain_border

    images = [im for im in load_annotations(folder).items if not holdout or is_holdout(im.file.name)]
    images = images[:limit] if limit else images
    seen: dict = {}

    def capture(rgb, boxes, probs, ratio, *, maps=None, maps_from=None):
        """The encoder's maps of this image, the decoder's boxes and scores left as they are."""
        seen.update(maps=maps, maps_from=maps_from)
        return boxes, probs

    predictor = load_predictor(weights, index, rerank=capture)  # one encoder pass, shared with the scorers
    judge, old, heatmap = load_scorer(judge_weights()), load_scorer(), shared_heatmap_model()
    keys = ("boxes", "probs", "judge_q", "old_q", "grid", "judge_g", "old_g", "gts", "ratio", "heat", "size")
    rows: dict[str, list] = {k: [] for k in keys}
    t0 = time.perf_counter()
    for im in tqdm(images, desc=f"dump {folder.name}"):
        rgb = load_image(im.file, max_side=640).rgb
        predictor.set_image(rgb, retrieval=retrieval)
        q = predictor.queries
        ratio = rgb.shape[1] / rgb.shape[0]
        grid = candidate_grid(ratio)
        for name, model in (("judge", judge), ("old", old)):
            prepared = prepare_scorer(model, rgb, seen["maps"], seen["maps_from"])
            rows[f"{name}_q"].append(model.score(prepared, q.boxes, ratio))
            rows[f"{name}_g"].append(model.score(prepared, grid, ratio))
        rows["heat"].append(heatmap_of(heatmap, rgb, seen["maps"], seen["maps_from"]))
        rows["size"].append(np.array([rgb.shape[1], rgb.shape[0]]))
        gts = [trim_plain_border(rgb).as_tuple()] if frame else [c.as_tuple() for c in im.crops]
        rows["boxes"].append(q.boxes)
        rows["probs"].append(q.scores)
        rows["grid"].append(grid)
        rows["gts"].append(np.array(gts, np.float64))
        rows["ratio"].append(ratio)
    log.info("%d images in %.0f s", len(images), time.perf_counter() - t0)
    out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out, **{k: _objects(v) for k, v in rows.items()},
                        files=np.array([im.file.name for im in images]))  # fmt: skip


def _objects(values: list) -> np.ndarray:
    """A 1-D object array of ``values`` (``np.array`` would stack equal shapes into one)."""
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _pool(d: dict, i: int, scorer: str, weight: float, extra: str, heat: float = 0.0):
    """The candidate boxes of image ``i`` and their fused ranking scores for one policy,
    through the product's own fusion (:mod:`models.procrop.rerank`); ``heat``: the weight of
    the heatmap's attention term."""
    from models.procrop.rerank import fuse_scores, heatmap_attention, with_grid

    boxes, probs = d["boxes"][i], d["probs"][i]
    s_q = d[f"{scorer}_q"][i] if scorer else np.zeros(len(boxes))
    if extra != "none":
        s_g = d[f"{scorer}_g"][i] if scorer else np.zeros(len(d["grid"][i]))
        boxes, probs = with_grid(boxes, probs, d["ratio"][i])
        s_q = np.concatenate([s_q, s_g])
    terms = ()
    if heat > 0:
        w, h = (int(v) for v in d["size"][i])
        terms = ((heatmap_attention(d["heat"][i], boxes, (w, h)), heat),)
    return boxes, fuse_scores(probs, s_q, weight, terms)


def policies() -> list[tuple[str, str, float, str, float]]:
    """``(name, scorer, weight, extra, heatmap weight)`` of every ranking the bench compares."""
    out = [("decoder alone", "", 0.0, "none", 0.0)]
    for scorer in ("old", "judge"):
        for w in (0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 100.0):
            for extra in ("none", "grid"):
                out.append((f"{scorer} w={w:g} +{extra}", scorer, w, extra, 0.0))
    for h in (0.25, 0.5, 0.75, 1.0, 1.25, 1.5):
        out.append((f"heatmap h={h:g}", "", 0.0, "none", h))
    for w in (0.5, 1.0, 1.5, 2.0, 2.5):
        for h in (0.25, 0.5, 0.75, 1.0, 1.25):
            out.append((f"judge w={w:g} h={h:g}", "judge", w, "none", h))
    return out


def _evaluate(d: dict, scorer: str, weight: float, extra: str, heat: float = 0.0,
              vote: tuple[float, float] | None = None) -> tuple[float, float, float]:  # fmt: skip
    """Mean top-1 IoU, Disp and best of the top 3 of one policy; ``vote``: ``(iou,
    temperature)`` of the predictor's box voting (``None``: plain suppression, as the
    policies of :func:`policies` were chosen)."""
    rows = _per_image(d, scorer, weight, extra, heat, vote)
    return tuple(float(v) for v in rows.mean(0))  # type: ignore[return-value]


def _per_image(d: dict, scorer: str, weight: float, extra: str, heat: float,
               vote: tuple[float, float] | None) -> np.ndarray:  # fmt: skip
    """``(images, 3)``: top-1 IoU, Disp and best of 3 per image."""
    from models.procrop.ranking import nms
    from models.procrop.vote import voted_suggestions

    rows = []
    for i in range(len(d["boxes"])):
        boxes, fused = _pool(d, i, scorer, weight, extra, heat)
        if vote is None:
            top = boxes[nms(boxes, fused, 0.7, 3)]  # the predictor's suppression before box voting
        else:  # the predictor's own suppression with voting
            top = np.stack([v for _, v in voted_suggestions(boxes, fused, 0.7, 3, iou=vote[0], temperature=vote[1])])
        gts = d["gts"][i]
        iu = best_ious(top, gts)
        rows.append((iu[0], float(best_disps(top[0], gts)[0]), iu.max()))
    return np.array(rows)


VOTE_GRID = tuple((t, temp) for t in (0.5, 0.6, 0.7, 0.8) for temp in (0.5, 1.0, 2.0))


def _vote(sets: list[Path], measure: list[Path], splits: int) -> None:
    """Box voting on the shipped ranking (judge and heatmap at the shipped weights): every
    ``(iou, temperature)`` of :data:`VOTE_GRID` on ``sets`` (the two hold-out fifths), then a
    split-half check of the choice (the best mean of the sets' top-1s on a random half of each
    set's images, measured on the other half, against no voting), then on ``measure`` (which
    decides nothing) only no voting and the shipped constants."""
    from models.procrop.rerank import RERANK_HEATMAP, RERANK_WEIGHT
    from models.procrop.vote import VOTE_IOU, VOTE_TEMPERATURE

    data = [(p.stem, _load(p)) for p in sets]
    policy = ("judge", RERANK_WEIGHT, "none", RERANK_HEATMAP)
    print("voting (iou, T)".ljust(20) + "".join(f"{n + ' IoU':>12}{'Disp':>8}{'best3':>8}" for n, _ in data) + f"{'mean IoU':>10}")
    table = {}
    for cfg in (None, *VOTE_GRID):
        table[cfg] = [_per_image(d, *policy, cfg) for _, d in data]
        label = "none" if cfg is None else f"{cfg[0]:g}, {cfg[1]:g}"
        cells = "".join(f"{a[:, 0].mean():12.4f}{a[:, 1].mean():8.4f}{a[:, 2].mean():8.4f}" for a in table[cfg])
        print(label.ljust(20) + cells + f"{np.mean([a[:, 0].mean() for a in table[cfg]]):10.4f}", flush=True)
    rng = np.random.default_rng(0)
    gains = []
    for _ in range(splits):
        masks = [rng.random(len(a)) < 0.5 for a in table[None]]

        def mean_top1(cfg, half):
            return np.mean([a[m == half, 0].mean() for a, m in zip(table[cfg], masks, strict=True)])

        for half in (True, False):
            best = max(VOTE_GRID, key=lambda c: mean_top1(c, half))
            gains.append(mean_top1(best, not half) - mean_top1(None, not half))
    if gains:
        g = np.array(gains)
        print(f"split halves ({splits} x 2): the voting chosen on one half against none on the other: "
              f"mean {g.mean():+.4f}, min {g.min():+.4f}, max {g.max():+.4f}, better in {np.mean(g > 0):.0%}")  # fmt: skip
    for p in measure:
        d = _load(p)
        for cfg in (None, (VOTE_IOU, VOTE_TEMPERATURE)):
            a = _per_image(d, *policy, cfg)
            label = "none" if cfg is None else f"{cfg[0]:g}, {cfg[1]:g} (shipped)"
            print(f"{p.stem}: {label}".ljust(34) + f"IoU {a[:, 0].mean():.4f}  Disp {a[:, 1].mean():.4f}  best3 {a[:, 2].mean():.4f}")


GATE_TAUS = (0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)


def _gate(sets: list[Path], by: list[Path]) -> None:
    """The shipped top-1 (ranking and voting) replaced by the whole image where the ``by``
    judge's margin ``max(grid) - whole`` is at most tau; per set top-1 IoU, Disp and the share
    shown whole, for every tau of :data:`GATE_TAUS` (and without the gate)."""
    from models.procrop.rerank import RERANK_HEATMAP, RERANK_WEIGHT
    from models.procrop.vote import VOTE_IOU, VOTE_TEMPERATURE
    from tests.bench.judge_crop_or_not import whole_index

    if len(by) != len(sets):
        raise SystemExit("--by needs one dump per set, in the same order")
    whole = np.array([[0.0, 0.0, 1.0, 1.0]])
    rows = []
    for path, gate_path in zip(sets, by, strict=True):
        d, g = _load(path), _load(gate_path)
        top = _per_image(d, "judge", RERANK_WEIGHT, "none", RERANK_HEATMAP, (VOTE_IOU, VOTE_TEMPERATURE))[:, :2]
        full = np.array([(best_ious(whole, t)[0], best_disps(whole[0], t)[0]) for t in d["gts"]])
        margin = np.array([s.max() - s[whole_index(grid)] for s, grid in zip(g["judge_g"], g["grid"], strict=True)])
        rows.append((path.stem, top, full, margin))
    print("gate tau".ljust(12) + "".join(f"{n + ' IoU':>12}{'Disp':>8}{'whole':>7}" for n, *_ in rows) + f"{'mean IoU':>10}")
    for tau in (None, *GATE_TAUS):
        cells, means = "", []
        for _, top, full, margin in rows:
            shut = margin <= (-np.inf if tau is None else tau)
            pick = np.where(shut[:, None], full, top)
            cells += f"{pick[:, 0].mean():12.4f}{pick[:, 1].mean():8.4f}{shut.mean():7.2f}"
            means.append(pick[:, 0].mean())
        print(("none" if tau is None else f"{tau:g}").ljust(12) + cells + f"{np.mean(means):10.4f}")


def _load(path: Path) -> dict:
    z = np.load(path, allow_pickle=True)
    return {k: (z[k] if k in ("files", "ratio") else [np.asarray(v, np.float64) for v in z[k]]) for k in z.files}


def _choose(sets: list[Path], measure: list[Path]) -> None:
    data = [(p.stem, _load(p)) for p in sets]
    extra = [(p.stem, _load(p)) for p in measure]
    header = "policy".ljust(26) + "".join(f"{n + ' IoU':>12}{'Disp':>8}{'best3':>8}" for n, _ in data + extra)
    print(header)
    for name, scorer, w, ex, h in policies():
        cells = []
        for _, d in data + extra:
            iou, disp, b3 = _evaluate(d, scorer, w, ex, h)
            cells.append(f"{iou:12.4f}{disp:8.4f}{b3:8.4f}")
        print(name.ljust(26) + "".join(cells), flush=True)
    for label, box in (("full image", [0, 0, 1, 1]), ("constant centred", [0.06, 0.04, 0.94, 0.92])):
        cells = []
        for _, d in data + extra:
            b = np.array([box], np.float64)
            ious = [float(best_ious(b, g)[0]) for g in d["gts"]]
            disps = [float(best_disps(b, g)[0]) for g in d["gts"]]
            cells.append(f"{np.mean(ious):12.4f}{np.mean(disps):8.4f}{'-':>8}")
        print(label.ljust(26) + "".join(cells))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("dump")
    d.add_argument("folder", type=Path)
    d.add_argument("--holdout", action="store_true")
    d.add_argument("--frame", action="store_true")
    d.add_argument("--limit", type=int)
    d.add_argument("--out", type=Path, required=True)
    d.add_argument("--weights", type=Path, help="ProCrop weights (default: the bundled ones)")
    d.add_argument("--index", type=Path, help="composition index (default: the bundled one)")
    d.add_argument("--no-retrieval", action="store_true", help="the same weights with the references removed at inference")
    for cmd in ("choose", "vote"):
        c = sub.add_parser(cmd)
        c.add_argument("sets", type=Path, nargs="+")
        c.add_argument("--measure", type=Path, action="append", default=[])
        if cmd == "vote":
            c.add_argument("--splits", type=int, default=20)
    g = sub.add_parser("gate")
    g.add_argument("sets", type=Path, nargs="+")
    g.add_argument("--by", type=Path, nargs="+", required=True, help="the same sets dumped with the gating judge")
    a = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    if a.cmd == "dump":
        _dump(a.folder, a.holdout, a.frame, a.out, a.limit, a.weights, a.index, not a.no_retrieval)
    elif a.cmd == "vote":
        _vote(a.sets, a.measure, a.splits)
    elif a.cmd == "gate":
        _gate(a.sets, a.by)
    else:
        _choose(a.sets, a.measure)


if __name__ == "__main__":
    main()
