"""The widths / heights of FCDB's expert crops: ``python -m tests.bench.expert_ratios [FOLDER]``.

Prints the range every expert crop of the training split respects, and its percentiles, in
pixels of the original images; :data:`models.attention.crop.EXPERT_FREE_RATIOS` is that range.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

DEFAULT = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "fcdb_train"


def expert_ratios(folder: Path) -> np.ndarray:
    """One width / height per expert crop (original pixels), sorted."""
    data = json.loads((folder / "annotations.json").read_text(encoding="utf-8"))
    ratios = [((c[2] - c[0]) * im["width"]) / ((c[3] - c[1]) * im["height"]) for im in data["images"] for c in im["crops"]]
    return np.sort(np.asarray(ratios, dtype=np.float64))


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    r = expert_ratios(Path(args[0]) if args else DEFAULT)
    p = np.percentile(r, [1, 5, 50, 95, 99])
    print(f"{len(r)} expert crops: width/height {r[0]:.3f} to {r[-1]:.3f}; "
          f"percentiles 1/5/50/95/99: {' / '.join(f'{v:.2f}' for v in p)}")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
