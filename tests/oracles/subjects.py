"""Brute force for the subject rule: is there a crop of the ratio that holds every head whole?"""

from __future__ import annotations

import numpy as np


def whole_head_crop_exists(width, height, ratio, heads, keep=(), avoid=(), steps=81, sizes=40) -> bool:
    """A dense grid of sizes (largest box of ``ratio`` down to a fifth of it) and positions:
    does some box inside the image hold every head and keep box and meet no avoid box?"""
    largest_w = min(width, height * ratio)
    for w in np.linspace(largest_w, largest_w * 0.2, sizes):
        h = w / ratio
        x0, y0 = np.meshgrid(np.linspace(0, width - w, steps), np.linspace(0, height - h, steps))
        x1, y1 = x0 + w, y0 + h
        ok = np.ones_like(x0, bool)
        for k in (*heads, *keep):
            ok &= (x0 <= k[0] + 1e-9) & (y0 <= k[1] + 1e-9) & (x1 >= k[2] - 1e-9) & (y1 >= k[3] - 1e-9)
        for a in avoid:
            ok &= (x1 <= a[0] + 1e-9) | (x0 >= a[2] - 1e-9) | (y1 <= a[1] + 1e-9) | (y0 >= a[3] - 1e-9)
        if ok.any():
            return True
    return False


def cuts(crop, head, tol=0.5) -> bool:
    """Does ``crop`` meet ``head`` (more than ``tol`` px both ways) without holding it whole?"""
    iw = min(crop[2], head[2]) - max(crop[0], head[0])
    ih = min(crop[3], head[3]) - max(crop[1], head[1])
    inside = crop[0] <= head[0] + tol and crop[1] <= head[1] + tol and crop[2] >= head[2] - tol and crop[3] >= head[3] - tol
    return iw > tol and ih > tol and not inside
