"""Benchmark: one attention crop of a 24 MP photo, stage by stage.

    .venv/bin/python -m tests.bench.pipeline

Makes a 6000 x 4000 JPEG (a bundled sample upscaled; the pixels' content does not change
decode cost much) in a temporary folder and times, median of several runs: decoding for
analysis (JPEG draft + resize to 1024) against a full decode, the attention map (saliency +
face detection), preparing the search, one P2 query (what a slider move costs), and the
full-resolution export of the crop.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from models.attention import RectangleSearch, attention_crop, compute_attention
from models.geometry import parse_aspect
from models.export import export_crop
from models.imaging import load_image

ROOT = Path(__file__).resolve().parents[2]


def median_ms(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times), out


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "big.jpg"
        Image.open(ROOT / "resources/samples/coffee.jpg").resize((6000, 4000), Image.Resampling.BICUBIC).save(
            src, quality=90
        )
        aspect = parse_aspect("16:9")
        t_full, _ = median_ms(lambda: load_image(src, max_side=None), 3)
        t_load, image = median_ms(lambda: load_image(src, max_side=1024), 5)
        t_att, att = median_ms(lambda: compute_attention(image), 5)
        t_prep, search = median_ms(lambda: RectangleSearch(att.values), 20)
        t_query, crop = median_ms(lambda: attention_crop(att, search, tau=0.7, aspect=aspect), 200)
        t_export, _ = median_ms(lambda: export_crop(src, crop.boxes[0], Path(tmp) / "out.jpg", overwrite=True), 3)
    rows = [
        ("full-resolution decode (for reference)", t_full),
        ("decode for analysis (draft + resize to 1024)", t_load),
        (f"attention map {att.values.shape[1]}x{att.values.shape[0]} (saliency + faces)", t_att),
        ("prepare search (once per image)", t_prep),
        ("one 16:9 crop at tau 0.7 (per slider move)", t_query),
        ("export the crop at full resolution", t_export),
    ]
    print("24 MP JPEG (6000x4000), median ms")
    for name, ms in rows:
        print(f"  {name:<50}{ms:>10.2f}")
    analysis = t_load + t_att + t_prep + t_query
    print(f"  {'analysis total (open -> first crop)':<50}{analysis:>10.2f}")
    print(f"  slider updates per second: {1000 / t_query:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
