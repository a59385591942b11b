"""Benchmark: a crop set (one analysis, every target) against smartcrop.py (one call per target).

    OMP_NUM_THREADS=1 .venv/bin/python -m tests.bench.cropsets ../shared/data/fcdb_train/images
    .venv/bin/python -m tests.bench.cropsets DIR --limit 50 --targets social --method attention

On up to ``--limit`` photos of DIR (sorted by name), in one run and image by image so that
every variant sees the same machine load, it times:

* Crop Studio, 1 target (the set's first) and all targets of the set: the batch's own
  per-image code (:func:`models.cropsets.worker.process_image`, as ``--dry-run`` runs it):
  decode for analysis, one analysis, then a crop search and exact-size fitting per target;
  no pixels written. The 5-target run is also split into decode + analysis and search;
* smartcrop.py (PyPI ``smartcrop``), 1 target and one ``SmartCrop().crop(image, w, h)`` call
  per target at the target's size, after one decode (EXIF-transposed, RGB), as its CLI does;
* Crop Studio, all targets, with the previous Haar faces (tests/bench/haar.py) patched in
  for BlazeFace, the path the targets were set against;
* the full batch with export (``run_batch``, JPEG, ``allow_upscale`` since these photos can
  be smaller than the targets) into a temporary folder, for reference.

The first image is run once untimed first (JIT and cascade loading). Each variant runs
``--repeat`` times per image and keeps the fastest (the least disturbed by other processes);
the table gives the mean and median over images, in ms per image.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

from PIL import Image, ImageOps

from models.export.naming import OutputNaming
from models.cropsets.batch import BatchOptions
from models.cropsets.runner import run_batch
from models.cropsets.targets import Target, load_target_set
from models.cropsets.worker import ExportSettings, ImageJob, TargetJob, process_image
from models.eval.registry import make_method
from models.imaging import SUPPORTED_SUFFIXES
from tests.bench.haar import haar_subjects


@contextlib.contextmanager
def haar_faces():
    """The attention map's subjects from the Haar baseline instead of BlazeFace."""
    import models.attention.saliency as saliency

    saved = saliency.image_subjects
    saliency.image_subjects = haar_subjects
    try:
        yield
    finally:
        saliency.image_subjects = saved


@dataclass
class Timed:
    """Wraps a method to time its analysis and its searches."""

    inner: object
    analyse_s: float = 0.0
    crop_s: float = 0.0
    name: str = field(default="timed")

    def analyse(self, image):
        start = time.perf_counter()
        try:
            return self.inner.analyse(image)
        finally:
            self.analyse_s += time.perf_counter() - start

    def crop(self, analysis, request):
        start = time.perf_counter()
        try:
            return self.inner.crop(analysis, request)
        finally:
            self.crop_s += time.perf_counter() - start


def crop_studio(path: Path, targets: tuple[Target, ...], method, out: Path) -> float:
    settings = ExportSettings(out, "bench", OutputNaming(), allow_upscale=True, dry_run=True)
    job = ImageJob(path, tuple(TargetJob(t, "bench") for t in targets))
    start = time.perf_counter()
    result = process_image(job, settings, method)
    elapsed = time.perf_counter() - start
    failed = [r.error for r in result.records if r.status != "planned"]
    if failed:
        raise SystemExit(f"{path.name}: {failed[0]}")
    return elapsed


def smartcrop_py(path: Path, targets: tuple[Target, ...], cropper) -> float:
    start = time.perf_counter()
    with Image.open(path) as im:
        image = ImageOps.exif_transpose(im).convert("RGB")
    for t in targets:
        w, h = t.size if t.size else (1000, round(1000 / t.crop_ratio))
        cropper.crop(image, w, h)
    return time.perf_counter() - start


def stats(seconds: list[float]) -> str:
    ms = [s * 1e3 for s in seconds]
    return f"{statistics.mean(ms):10.1f}{statistics.median(ms):10.1f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, help="folder of photos")
    parser.add_argument("--limit", type=int, default=50, help="at most this many photos (default 50)")
    parser.add_argument("--targets", default="social", help="target set (default social)")
    parser.add_argument("--method", default="attention", help="Crop Studio method (default attention)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per image and variant, fastest kept (default 3)")
    args = parser.parse_args(argv)
    logging.getLogger("models").setLevel(logging.ERROR)  # no "upscaled" warning per target

    import smartcrop  # only the benchmark needs it: pip install smartcrop

    photos = sorted(p for p in args.folder.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES)[: args.limit]
    if not photos:
        raise SystemExit(f"no photos in {args.folder}")
    targets = load_target_set(args.targets).targets
    method = Timed(make_method(args.method))
    cropper = smartcrop.SmartCrop()
    times: dict[str, list[float]] = {k: [] for k in ("cs1", "cs5", "cs5h", "sc1", "sc5", "analysis", "search")}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        crop_studio(photos[0], targets, method, out)  # warm-up: numba kernels, cascades, imports
        smartcrop_py(photos[0], targets, cropper)
        for path in photos:
            runs: dict[str, list[float]] = {k: [] for k in times}
            for _ in range(args.repeat):
                runs["cs1"].append(crop_studio(path, targets[:1], method, out))
                method.analyse_s = method.crop_s = 0.0
                runs["cs5"].append(crop_studio(path, targets, method, out))
                runs["analysis"].append(method.analyse_s)
                runs["search"].append(method.crop_s)
                with haar_faces():
                    runs["cs5h"].append(crop_studio(path, targets, method, out))
                runs["sc1"].append(smartcrop_py(path, targets[:1], cropper))
                runs["sc5"].append(smartcrop_py(path, targets, cropper))
            for key, values in runs.items():
                times[key].append(min(values))
        start = time.perf_counter()
        report = run_batch(photos, BatchOptions(out / "batch", targets, method=args.method, allow_upscale=True))
        batch_s = (time.perf_counter() - start) / len(photos)

    sizes = sorted({Image.open(p).size for p in photos}, key=lambda s: -s[0] * s[1])
    n = len(targets)
    cs1, cs5 = statistics.mean(times["cs1"]), statistics.mean(times["cs5"])
    sc5 = statistics.mean(times["sc5"])
    print(f"{len(photos)} photos from {args.folder} (largest {sizes[0][0]}x{sizes[0][1]}), "
          f"target set {args.targets}: {', '.join(t.spec() for t in targets)}")  # fmt: skip
    print(f"method {args.method}; smartcrop {version('smartcrop')}; Python {sys.version.split()[0]}; "
          f"fastest of {args.repeat} runs per image; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    print(f"{'ms per image':<52}{'mean':>10}{'median':>10}")
    rows = [
        (f"Crop Studio, 1 target ({targets[0].name})", times["cs1"]),
        (f"Crop Studio, {n} targets", times["cs5"]),
        ("  of which analysis (once)", times["analysis"]),
        (f"  of which search ({n} targets)", times["search"]),
        (f"Crop Studio, {n} targets, Haar faces (previous path)", times["cs5h"]),
        (f"smartcrop.py, 1 target ({targets[0].name})", times["sc1"]),
        (f"smartcrop.py, {n} targets ({n} calls)", times["sc5"]),
    ]
    for name, values in rows:
        print(f"{name:<52}{stats(values)}")
    print(f"{'Crop Studio batch with JPEG export, ' + str(n) + ' targets':<52}{batch_s * 1e3:10.1f}"
          f"{'':>10}  ({report.written} files)")  # fmt: skip
    extra = (cs5 - cs1) / cs1
    print(f"extra cost of {n - 1} more targets (Crop Studio): +{extra:.0%} of one target's time (goal <= 20%)")
    print(f"smartcrop.py {n} targets / Crop Studio {n} targets: {sc5 / cs5:.2f}x (above 1: Crop Studio is faster)")
    print(f"  with Haar faces (previous path): {sc5 / statistics.mean(times['cs5h']):.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
