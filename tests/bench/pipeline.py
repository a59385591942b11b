"""Benchmark: one attention crop of a 24 MP photo, stage by stage.

    OMP_NUM_THREADS=1 .venv/bin/python -m tests.bench.pipeline

Makes 24 MP JPEGs (bundled samples upscaled: coffee.jpg to 6000 x 4000, no face, and
astronaut.jpg to 4900 x 4900, one face; the pixels' content does not change decode cost
much) in a temporary folder and times, median of several runs: decoding for analysis (JPEG
draft + resize to 1024) against a full decode, the attention map (saliency + subjects:
BlazeFace faces, heads and, when a face is found, the person mask), the same map with the
previous Haar faces (tests/bench/haar.py) in the same run, preparing the search, one P2
query (what a slider move costs), and the full-resolution export of the crop.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import cv2
from PIL import Image

from models.attention import RectangleSearch, attention_crop, compute_attention
from models.geometry import parse_aspect
from models.export import export_crop
from models.imaging import load_image
from models.subjects import image_subjects
from tests.bench.haar import haar_subjects

ROOT = Path(__file__).resolve().parents[2]


def median_ms(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), out


SAMPLES = (("coffee.jpg", (6000, 4000), 0.7), ("astronaut.jpg", (4900, 4900), 0.5))  # name, size, tau


def bench(sample: str, size: tuple[int, int], tau: float, tmp: Path) -> None:
    src = tmp / f"big-{sample}"
    Image.open(ROOT / "resources/samples" / sample).resize(size, Image.Resampling.BICUBIC).save(src, quality=90)
    aspect = parse_aspect("16:9")
    t_full, _ = median_ms(lambda: load_image(src, max_side=None), 3)
    t_load, image = median_ms(lambda: load_image(src, max_side=1024), 5)
    compute_attention(image)  # warm-up: network loading
    t_sal, _ = median_ms(lambda: compute_attention(image, faces=False), 5)
    t_sub, subjects = median_ms(lambda: image_subjects(image), 5)
    t_att, att = median_ms(lambda: compute_attention(image), 5)
    t_haar, _ = median_ms(lambda: compute_attention(image, subjects=haar_subjects(image)), 3)
    t_prep, search = median_ms(lambda: RectangleSearch(att.values), 20)
    t_query, crop = median_ms(lambda: attention_crop(att, search, tau=tau, aspect=aspect), 200)
    t_export, _ = median_ms(lambda: export_crop(src, crop.boxes[0], tmp / "out.jpg", overwrite=True), 3)
    person = "person mask" if subjects.person is not None else "no person mask: no face"
    rows = [
        ("full-resolution decode (for reference)", t_full),
        ("decode for analysis (draft + resize to 1024)", t_load),
        ("  saliency alone", t_sal),
        (f"  subjects alone ({len(subjects.heads)} head(s), {person})", t_sub),
        (f"attention map {att.values.shape[1]}x{att.values.shape[0]} (saliency + subjects)", t_att),
        ("  the same with Haar faces (the previous path)", t_haar),
        ("prepare search (once per image)", t_prep),
        (f"one 16:9 crop at tau {tau} (per slider move)", t_query),
        ("export the crop at full resolution", t_export),
    ]
    print(f"{sample} as a {size[0] * size[1] / 1e6:.0f} MP JPEG ({size[0]}x{size[1]}), median ms")
    for name, ms in rows:
        print(f"  {name:<58}{ms:>10.2f}")
    analysis = t_load + t_att + t_prep + t_query
    before = t_load + t_haar + t_prep + t_query
    print(f"  {'analysis total (open -> first crop)':<58}{analysis:>10.2f}")
    print(f"  {'  with Haar faces (the previous path)':<58}{before:>10.2f}")
    print(f"  slider updates per second: {1000 / t_query:.0f}")


def main() -> int:
    print(f"{os.cpu_count()} CPUs, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, OpenCV threads {cv2.getNumThreads()}, "
          f"load average {os.getloadavg()[0]:.2f}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for sample, size, tau in SAMPLES:
            bench(sample, size, tau, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
