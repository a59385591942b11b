"""Plot the mean IoU per layout template and per method from ``cropstudio eval --json`` output.

    .venv/bin/cropstudio eval ../shared/data/flms --constraints --json > /tmp/flms.json
    .venv/bin/python -m tests.bench.plot_templates /tmp/flms.json --out docs/constraints_templates.png

Templates are indexed as in FLMS' constraints.json (models.constraints.devset.TEMPLATES).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

NAMES = ("TL quad", "TR quad", "BR quad", "BL quad", "left strip", "top strip", "right strip", "bottom strip")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="+", help="eval --json files (their methods are merged)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    reports = {}
    for path in args.results:
        for r in json.loads(path.read_text())["results"]:
            reports[r["method"]] = r
    methods = sorted(reports, key=lambda m: -reports[m]["mean_iou"])
    templates = sorted({int(k) for r in reports.values() for k in r["per_template_iou"]})
    width = 0.8 / len(methods)
    fig, ax = plt.subplots(figsize=(10, 4.6), dpi=110)
    x = np.arange(len(templates))
    for i, m in enumerate(methods):
        values = [reports[m]["per_template_iou"].get(str(t), np.nan) for t in templates]
        ax.bar(x + (i - (len(methods) - 1) / 2) * width, values, width, label=f"{m} ({reports[m]['mean_iou']:.3f})")
    ax.set_xticks(x, [NAMES[t] if t < len(NAMES) else str(t) for t in templates])
    ax.set_ylim(0.5, 1.0)
    ax.set_ylabel("mean IoU")
    ax.set_title("FLMS design constraints: IoU per layout template (mean over all items in legend)")
    ax.legend(fontsize=8, ncol=len(methods), loc="upper center", bbox_to_anchor=(0.5, -0.1), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out)


if __name__ == "__main__":
    main()
