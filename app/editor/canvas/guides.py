"""Composition guides drawn inside the crop: their geometry, as plain numbers (no Qt).

Each guide is a list of polylines (lists of ``(x, y)`` points) in the same pixels as the
crop box, so the canvas only strokes them and tests can check them exactly.
"""

from __future__ import annotations

import math

from models.geometry import Box

__all__ = ["GUIDES", "GUIDE_NAMES", "PHI", "TURNS", "guide_polylines"]

PHI = (1 + math.sqrt(5)) / 2

GUIDES: tuple[str, ...] = ("thirds", "phi", "spiral", "diagonals", "grid")
GUIDE_NAMES: dict[str, str] = {
    "thirds": "Rule of thirds",
    "phi": "Golden ratio grid",
    "spiral": "Golden spiral",
    "diagonals": "Diagonals",
    "grid": "Grid",
}

Polyline = list[tuple[float, float]]

TURNS = 4  # orientations of a guide (Shift+O): as drawn, mirrored left-right, both ways, top-bottom

_GRID_CELLS = 8  # cells along the short side of the crop
_ARC_POINTS = 24  # points per quarter turn of the spiral
_SPIRAL_TURNS = 10  # quarter turns


def _fraction_lines(box: Box, fractions: tuple[float, ...]) -> list[Polyline]:
    out: list[Polyline] = []
    for f in fractions:
        x = box.x0 + f * box.width
        y = box.y0 + f * box.height
        out.append([(x, box.y0), (x, box.y1)])
        out.append([(box.x0, y), (box.x1, y)])
    return out


def _diagonals(box: Box) -> list[Polyline]:
    """A 45-degree line from each corner, as long as the short side (the diagonal method)."""
    s = min(box.width, box.height)
    return [
        [(box.x0, box.y0), (box.x0 + s, box.y0 + s)],
        [(box.x1, box.y0), (box.x1 - s, box.y0 + s)],
        [(box.x0, box.y1), (box.x0 + s, box.y1 - s)],
        [(box.x1, box.y1), (box.x1 - s, box.y1 - s)],
    ]


def _grid(box: Box) -> list[Polyline]:
    """Square cells, ``_GRID_CELLS`` along the short side, from the top-left corner."""
    step = min(box.width, box.height) / _GRID_CELLS
    if step <= 0:
        return []
    out: list[Polyline] = []
    x = box.x0 + step
    while x < box.x1 - 1e-9:
        out.append([(x, box.y0), (x, box.y1)])
        x += step
    y = box.y0 + step
    while y < box.y1 - 1e-9:
        out.append([(box.x0, y), (box.x1, y)])
        y += step
    return out


def _spiral_unit() -> Polyline:
    """A Fibonacci-style golden spiral in the ``PHI x 1`` rectangle (y down), as quarter arcs:
    each turn cuts a square off the remaining rectangle (left, top, right, bottom, ...)."""
    x, y, w, h = 0.0, 0.0, PHI, 1.0
    points: Polyline = []
    for k in range(_SPIRAL_TURNS):
        side = k % 4
        if side == 0:  # square on the left, centre at its bottom-right
            s = h
            cx, cy, start = x + s, y + s, 180.0
            x, w = x + s, w - s
        elif side == 1:  # on top, centre at its bottom-left
            s = w
            cx, cy, start = x, y + s, 270.0
            y, h = y + s, h - s
        elif side == 2:  # on the right, centre at its top-left
            s = h
            cx, cy, start = x + w - s, y, 0.0
            w = w - s
        else:  # at the bottom, centre at its top-right
            s = w
            cx, cy, start = x + s, y + h - s, 90.0
            h = h - s
        for i in range(_ARC_POINTS + 1):
            if points and i == 0:
                continue  # the previous arc ended here
            a = math.radians(start + 90.0 * i / _ARC_POINTS)
            points.append((cx + s * math.cos(a), cy + s * math.sin(a)))
    return points


_SPIRAL = _spiral_unit()


def _spiral(box: Box) -> list[Polyline]:
    """The golden spiral stretched to the crop (turned a quarter for portrait crops)."""
    if box.width >= box.height:
        return [[(box.x0 + u / PHI * box.width, box.y0 + v * box.height) for u, v in _SPIRAL]]
    return [[(box.x0 + v * box.width, box.y0 + u / PHI * box.height) for u, v in _SPIRAL]]


def guide_polylines(kind: str, box: Box, turn: int = 0) -> list[Polyline]:
    """The polylines of guide ``kind`` (one of :data:`GUIDES`) inside ``box``, in orientation
    ``turn`` (0 to :data:`TURNS` - 1: mirrored left-right for 1 and 2, top-bottom for 2 and 3)."""
    lines = _unturned(kind, box)
    turn %= TURNS
    flip_x, flip_y = turn in (1, 2), turn in (2, 3)
    if not (flip_x or flip_y):
        return lines
    return [[(box.x0 + box.x1 - x if flip_x else x, box.y0 + box.y1 - y if flip_y else y) for x, y in line]
            for line in lines]  # fmt: skip


def _unturned(kind: str, box: Box) -> list[Polyline]:
    if kind == "thirds":
        return _fraction_lines(box, (1 / 3, 2 / 3))
    if kind == "phi":
        return _fraction_lines(box, (1 - 1 / PHI, 1 / PHI))
    if kind == "spiral":
        return _spiral(box)
    if kind == "diagonals":
        return _diagonals(box)
    if kind == "grid":
        return _grid(box)
    raise ValueError(f"unknown guide {kind!r}; expected one of {', '.join(GUIDES)}")
