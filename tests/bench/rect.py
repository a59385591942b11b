"""Benchmark: the rectangle searches vs brute force, on real saliency maps, in one run.

    .venv/bin/python -m tests.bench.rect            # or: make bench

For each map size, saliency maps of real photos (FCDB training images from ../shared/data
when present, else the bundled samples) are searched at several tau; each case runs ours
and the reference on the same map, and the table shows medians and the median speed-up.
References (tests/bench/brute.py, checked against tests/oracles): every rectangle for P1,
every corner and height for P2, the seed's own O(m^2 n^2) algorithm for P3. Where a
reference would take minutes, its time is estimated from the small map by its complexity
and marked "est.".
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
from tqdm import tqdm

from models.attention.rectangles import RectangleSearch, _widths_for, threshold_for
from models.attention.saliency import saliency_map
from models.imaging import load_image
from tests.bench import brute

ROOT = Path(__file__).resolve().parents[2]
FCDB = ROOT.parent / "shared" / "data" / "fcdb_train" / "images"
TARGETS_MS = {"P1": 2.0, "P2": 0.05, "P3": 50.0}  # at 188 x 250, from the issue
RATIO = Fraction(16, 9)


def photos(count: int) -> list[Path]:
    found = sorted(FCDB.glob("*.jpg"))[:count] if FCDB.is_dir() else []
    return found or sorted((ROOT / "resources" / "samples").glob("*.jpg"))[:count]


def timed(fn, *args, repeat: int = 1) -> tuple[float, object]:
    """Median wall time in ms of ``repeat`` calls, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), result


def bench_size(shape, rgbs, taus, run_brute: dict[str, bool]) -> dict:
    m, n = shape
    rows: dict[str, dict[str, list[float]]] = {k: {"ours": [], "ref": []} for k in ("P1", "P2", "P3", "precompute")}
    cases = [(rgb, tau) for rgb in rgbs for tau in taus]
    for rgb, tau in tqdm(cases, desc=f"{n}x{m}", leave=False):
        values = saliency_map(rgb, shape=shape)
        t_pre, search = timed(RectangleSearch, values, repeat=5)
        rows["precompute"]["ours"].append(t_pre)
        sat, total = search.summed_area_table, search.total
        widths = _widths_for(m, RATIO)
        threshold = threshold_for(total, tau)
        p1, r1 = timed(search.smallest, tau, repeat=5)
        p2, r2 = timed(search.smallest_with_ratio, tau, RATIO, repeat=50)
        p3, r3 = timed(search.two_with_ratio, tau, RATIO, repeat=3)
        rows["P1"]["ours"].append(p1)
        rows["P2"]["ours"].append(p2)
        rows["P3"]["ours"].append(p3)
        if run_brute["P1"]:
            t, ref = timed(brute.brute_p1, sat, threshold)
            assert tuple(ref) == (r1.cells, r1.attention), "P1 disagrees with brute force"
            rows["P1"]["ref"].append(t)
        if run_brute["P2"]:
            t, ref = timed(brute.brute_p2, sat, widths, threshold)
            assert tuple(ref) == ((r2.cells, r2.attention) if r2 else (-1, -1)), "P2 disagrees"
            rows["P2"]["ref"].append(t)
        if run_brute["P3"]:
            t, ref = timed(brute.seed_p3, sat, widths, threshold)
            assert tuple(ref) == ((r3.cells, r3.attention) if r3 else (-1, -1)), "P3 disagrees"
            rows["P3"]["ref"].append(t)
    return {k: {s: (statistics.median(v) if v else None) for s, v in d.items()} for k, d in rows.items()}


def warm_up() -> None:
    """Compile every kernel once (numba caches to disk; the first run pays for it)."""
    g = np.random.default_rng(0).random((12, 16))
    s = RectangleSearch(g)
    s.smallest(0.5), s.smallest_with_ratio(0.5, RATIO), s.two_with_ratio(0.5, RATIO)
    sat, w, t = s.summed_area_table, _widths_for(12, RATIO), threshold_for(s.total, 0.5)
    brute.brute_p1(sat, t), brute.brute_p2(sat, w, t), brute.seed_p3(sat, w, t)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="188x250,768x1024", help="map sizes MxN (rows x cols)")
    p.add_argument("--taus", default="0.5,0.7,0.9")
    p.add_argument("--maps", type=int, default=4, help="number of photos")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    sizes = [tuple(int(v) for v in s.split("x")) for s in args.sizes.split(",")]
    taus = [float(t) for t in args.taus.split(",")]
    rgbs = [load_image(path, max_side=1024).rgb for path in photos(args.maps)]
    warm_up()
    results, small = {}, None
    for shape in sizes:
        big = shape[0] * shape[1] > 250_000
        run = {"P1": not big, "P2": True, "P3": not big}
        res = bench_size(shape, rgbs, taus, run)
        if small is not None:  # estimate the skipped references by their complexity
            (sm, sn), sres = small
            scale = (shape[0] * shape[1]) ** 2 / (sm * sn) ** 2  # O(m^2 n^2) for both
            for key in ("P1", "P3"):
                if res[key]["ref"] is None and sres[key]["ref"] is not None:
                    res[key]["ref_estimated"] = sres[key]["ref"] * scale
        small = small or (shape, res)
        results[f"{shape[0]}x{shape[1]}"] = res
    if args.json:
        print(json.dumps({"photos": len(rgbs), "taus": taus, "results": results}, indent=2))
    else:
        print_table(results, len(rgbs), taus)
    return 0


def print_table(results: dict, photos_used: int, taus) -> None:
    print(f"median over {photos_used} photos x tau in {taus}; ratio 16:9 for P2/P3; times in ms")
    for size, res in results.items():
        print(f"\nmap {size} (rows x cols)")
        print(f"{'':<12}{'ours':>10}{'reference':>14}{'speed-up':>11}  target")
        for key in ("P1", "P2", "P3"):
            ours, ref = res[key]["ours"], res[key]["ref"]
            est = res[key].get("ref_estimated")
            ref_txt = f"{ref:.3f}" if ref is not None else (f"{est:.0f} est." if est else "-")
            base = ref if ref is not None else est
            speed = f"{base / ours:.0f}x" if base else "-"
            target = f"<= {TARGETS_MS[key]} ms" if size == "188x250" else ""
            print(f"{key:<12}{ours:>10.4f}{ref_txt:>14}{speed:>11}  {target}")
        print(f"{'precompute':<12}{res['precompute']['ours']:>10.4f}   (validate, quantise, summed-area table; once per map)")


if __name__ == "__main__":
    raise SystemExit(main())
