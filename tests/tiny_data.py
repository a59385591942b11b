"""A tiny data-set folder in the ../shared/data format, made from the bundled samples."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from tests.conftest import SAMPLES

NAMES = ("astronaut.jpg", "chelsea.jpg", "coffee.jpg", "rocket.jpg")


def tiny_folder(root: Path, annotations: bool = True) -> Path:
    """The four samples at <= 128 px in ``root/images`` with one expert crop each (two
    layouts alternating) in ``annotations.json``; ``annotations=False``: photos only."""
    (root / "images").mkdir(parents=True)
    entries = []
    for i, name in enumerate(NAMES):
        img = Image.open(SAMPLES / name).convert("RGB")
        img.thumbnail((128, 128))
        img.save(root / "images" / name)
        entries.append({"file": f"images/{name}", "width": img.width, "height": img.height,
                        "crops": [[0.1, 0.05, 0.9, 0.95] if i % 2 else [0.0, 0.0, 0.8, 0.9]]})  # fmt: skip
    if annotations:
        (root / "annotations.json").write_text(json.dumps({"name": "tiny", "images": entries}))
    return root
