"""Brute force for the subject rule: is there a crop of the ratio that holds every head whole?"""

from __future__ import annotations

from tests.oracles.constraints import feasible_somewhere


def whole_head_crop_exists(width, height, ratio, heads, keep=(), avoid=(), steps=81, sizes=40) -> bool:
    """A dense grid of sizes (largest box of ``ratio`` down to a fifth of it) and positions:
    does some box inside the image hold every head and keep box and meet no avoid box?"""
    largest_w = min(width, height * ratio)
    return feasible_somewhere(width, height, ratio, (*heads, *keep), avoid, 0.2 * largest_w, steps=steps, sizes=sizes)


def cuts(crop, head, tol=0.5) -> bool:
    """Does ``crop`` meet ``head`` (more than ``tol`` px both ways) without holding it whole?"""
    iw = min(crop[2], head[2]) - max(crop[0], head[0])
    ih = min(crop[3], head[3]) - max(crop[1], head[1])
    inside = crop[0] <= head[0] + tol and crop[1] <= head[1] + tol and crop[2] >= head[2] - tol and crop[3] >= head[3] - tol
    return iw > tol and ih > tol and not inside
