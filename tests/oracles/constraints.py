"""Brute-force references for the constraints engine (slow, obvious, independent)."""

from __future__ import annotations

import numpy as np


def feasible_somewhere(width, height, ratio, keep, avoid, min_width, steps=161, sizes=24) -> bool:
    """Is there a box of ``ratio`` with width in ``[min_width, largest]`` inside the image,
    holding every keep box and meeting no avoid box? Dense grid of sizes and positions."""
    largest_w = min(width, height * ratio)
    for w in np.linspace(largest_w, min(min_width, largest_w), sizes):
        h = w / ratio
        xs = np.linspace(0, width - w, steps)
        ys = np.linspace(0, height - h, steps)
        x0, y0 = np.meshgrid(xs, ys)
        x1, y1 = x0 + w, y0 + h
        ok = np.ones_like(x0, bool)
        for k in keep:
            ok &= (x0 <= k[0] + 1e-9) & (y0 <= k[1] + 1e-9) & (x1 >= k[2] - 1e-9) & (y1 >= k[3] - 1e-9)
        for a in avoid:
            ok &= (x1 <= a[0] + 1e-9) | (x0 >= a[2] - 1e-9) | (y1 <= a[1] + 1e-9) | (y0 >= a[3] - 1e-9)
        if ok.any():
            return True
    return False


def map_mass(values: np.ndarray, image_size, box) -> float:
    """Fraction of a piecewise-constant map's mass in ``box`` by explicit cell coverage."""
    m, n = values.shape
    width, height = image_size
    total = values.sum()
    mass = 0.0
    for i in range(m):
        cy0, cy1 = i * height / m, (i + 1) * height / m
        oy = max(0.0, min(cy1, box[3]) - max(cy0, box[1])) / (cy1 - cy0)
        for j in range(n):
            cx0, cx1 = j * width / n, (j + 1) * width / n
            ox = max(0.0, min(cx1, box[2]) - max(cx0, box[0])) / (cx1 - cx0)
            mass += values[i, j] * ox * oy
    return mass / total if total > 0 else 0.0
