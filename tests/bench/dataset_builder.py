"""Benchmark: dataset-builder throughput with a classical backend (issue 5 target: >= 5 samples/s per core).

    .venv/bin/python -m tests.bench.dataset_builder ../shared/data/fcdb_train
    .venv/bin/python -m tests.bench.dataset_builder ../shared/data/fcdb_train --samples 100 --backend opencv
    .venv/bin/python -m tests.bench.dataset_builder ../shared/data/fcdb_train --calibrate

Runs :func:`models.dataset_builder.runner.build_dataset` (workers=1, in this process, the whole
sample: decode, expand, fill, quality check, JPEG encode and atomic write, journal fsync) into
a temporary folder and prints samples per second of wall time and per CPU second (process
time: the figure per core, undisturbed by other processes on a shared machine). It then times
the stages of one sample separately on the first ``--stages`` samples (best of 3 each).

``--calibrate`` prints the quality filter's measurements (seam, detail, colour) on 60
expansions for the ``opencv`` and ``telea`` fills, a constant-colour fill and a fill with a
hard seam (the table in :mod:`models.dataset_builder.quality`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

from models.dataset_builder.expand import ExpansionSettings, apply_expansion, sample_expansion
from models.dataset_builder.outpaint import OutpaintRequest, build_outpainter
from models.dataset_builder.quality import assess_fill
from models.dataset_builder.runner import ATTEMPTS, BuildSettings, build_dataset
from models.dataset_builder.sample import _photo, plan_sample
from models.dataset_builder.sources import collect_photos


def _throughput(src: Path, samples: int, backend: str, canvas: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = BuildSettings(src, Path(tmp) / "out", samples, backend=backend, canvas=canvas)
        wall, cpu = time.perf_counter(), time.process_time()
        report = build_dataset(settings)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"build_dataset  backend={backend} canvas={canvas} workers=1 samples={samples}: "
          f"{report.images} images, {report.retries} rejected attempts, {report.rejected} samples rejected")
    print(f"  wall {wall:.2f} s -> {samples / wall:.2f} samples/s;  CPU {cpu:.2f} s -> {samples / cpu:.2f} samples/s per core")


def _stages(src: Path, n: int, backend: str, canvas: int) -> None:
    photos = collect_photos(src)
    painter = build_outpainter(backend)
    times: dict[str, list[float]] = {k: [] for k in ("decode", "expand", "fill", "quality", "jpeg")}
    settings = ExpansionSettings(long_side=(canvas, canvas))

    def best(fn):
        out, t = None, float("inf")
        for _ in range(3):
            t0 = time.process_time()
            out = fn()
            t = min(t, time.process_time() - t0)
        return out, t

    for i in range(n):
        s, seeds = plan_sample(0, i, len(photos), ATTEMPTS)
        p = photos[s]
        span = max(p.region[2] - p.region[0], p.region[3] - p.region[1])

        def decode():
            _photo.cache_clear()
            return _photo(p, max(64, int(2 * canvas / span)))

        photo, t = best(decode)
        times["decode"].append(t)
        e = sample_expansion((photo.shape[1], photo.shape[0]), seeds[0], settings)
        (canvas_rgb, known), t = best(lambda: apply_expansion(photo, e))
        times["expand"].append(t)
        filled, t = best(lambda: painter.fill(OutpaintRequest(canvas_rgb, known, seed=seeds[0])))
        times["fill"].append(t)
        _, t = best(lambda: assess_fill(filled, known))
        times["quality"].append(t)
        _, t = best(lambda: cv2.imencode(".jpg", filled[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92]))
        times["jpeg"].append(t)
    total = sum(statistics.mean(v) for v in times.values())
    print(f"stages (CPU ms per sample, mean over {n} samples, best of 3):  "
          + "  ".join(f"{k} {1000 * statistics.mean(v):.1f}" for k, v in times.items())
          + f"  | sum {1000 * total:.1f} ms -> {1 / total:.1f} samples/s per core")


def _calibrate(src: Path, canvas: int) -> None:
    photos = collect_photos(src)
    fills = {"opencv": build_outpainter("opencv"), "telea": build_outpainter("telea")}
    rows: dict[str, list] = {k: [] for k in ("opencv", "telea", "constant", "seam+60")}
    step = max(1, len(photos) // 60)
    for i, p in enumerate(photos[::step][:60]):
        photo = _photo(p, 2 * canvas)
        e = sample_expansion((photo.shape[1], photo.shape[0]), i, ExpansionSettings(long_side=(canvas, canvas)))
        c, k = apply_expansion(photo, e)
        good = None
        for name, f in fills.items():
            out = f.fill(OutpaintRequest(c, k, seed=i))
            good = out if name == "opencv" else good
            rows[name].append(assess_fill(out, k))
        flat = c.copy()
        flat[~k] = photo.reshape(-1, 3).mean(0).astype(np.uint8)
        rows["constant"].append(assess_fill(flat, k))
        seam = good.astype(int)
        seam[~k] = np.clip(seam[~k] + 60, 0, 255)
        rows["seam+60"].append(assess_fill(seam.astype(np.uint8), k))
    for name, reports in rows.items():
        a = np.array([[r.seam, r.detail, r.colour] for r in reports])
        print(f"{name:9s} passed {sum(r.passed for r in reports):2d}/{len(reports)}  "
              + "  ".join(f"{m} {a[:, j].min():.2f}-{a[:, j].max():.2f}" for j, m in enumerate(("seam", "detail", "colour"))))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("source", type=Path, help="professional photos (e.g. ../shared/data/fcdb_train)")
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--backend", default="opencv")
    ap.add_argument("--canvas", type=int, default=512)
    ap.add_argument("--stages", type=int, default=20, help="samples timed stage by stage (0: none)")
    ap.add_argument("--calibrate", action="store_true", help="print the quality filter's calibration table")
    args = ap.parse_args(argv)
    cv2.setNumThreads(1)
    print(f"python {sys.version.split()[0]}, opencv {cv2.__version__}, cpus {os.cpu_count()}, "
          f"load average {os.getloadavg()[0]:.2f}")
    if args.calibrate:
        _calibrate(args.source, args.canvas)
        return 0
    _throughput(args.source, args.samples, args.backend, args.canvas)
    if args.stages:
        _stages(args.source, args.stages, args.backend, args.canvas)
    return 0


if __name__ == "__main__":
    sys.exit(main())
