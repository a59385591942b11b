"""Box editing arithmetic for the canvas: move, resize by a handle, nudge; no Qt.

Every function takes and returns a :class:`models.geometry.Box` in full-resolution image
pixels and keeps it inside ``bounds = (W, H)``. With a ``ratio`` (width / height) a resize
keeps the box at exactly that ratio: a corner handle moves along the box's diagonal (the
opposite corner stays put), an edge handle moves that edge and keeps the box centred on the
other axis.
"""

from __future__ import annotations

import math
from enum import Enum

from models.geometry import Box

__all__ = ["Handle", "move_box", "resize_box", "snap_box"]


class Handle(Enum):
    """Where a drag grabbed a box: ``(dx, dy)`` says which edges move (-1 left/top, +1 right/bottom)."""

    TOP_LEFT = (-1, -1)
    TOP = (0, -1)
    TOP_RIGHT = (1, -1)
    RIGHT = (1, 0)
    BOTTOM_RIGHT = (1, 1)
    BOTTOM = (0, 1)
    BOTTOM_LEFT = (-1, 1)
    LEFT = (-1, 0)
    MOVE = (0, 0)

    @property
    def hx(self) -> int:
        return self.value[0]

    @property
    def hy(self) -> int:
        return self.value[1]

    @property
    def is_corner(self) -> bool:
        return self.hx != 0 and self.hy != 0

    def anchor(self, box: Box) -> tuple[float, float]:
        """The point of ``box`` this handle sits on (edge midpoints for edge handles)."""
        cx, cy = box.center
        x = {-1: box.x0, 0: cx, 1: box.x1}[self.hx]
        y = {-1: box.y0, 0: cy, 1: box.y1}[self.hy]
        return x, y


def _clamp(v: float, lo: float, hi: float) -> float:
    return min(max(v, lo), hi)


def move_box(box: Box, dx: float, dy: float, bounds: tuple[float, float]) -> Box:
    """``box`` shifted by ``(dx, dy)``, stopped at the image's edges (its size never changes)."""
    width, height = bounds
    dx = _clamp(dx, -box.x0, width - box.x1) if box.width <= width else -box.x0
    dy = _clamp(dy, -box.y0, height - box.y1) if box.height <= height else -box.y0
    return box.translated(dx, dy)


def resize_box(
    box: Box,
    handle: Handle,
    dx: float,
    dy: float,
    *,
    bounds: tuple[float, float],
    ratio: float | None = None,
    min_size: float = 1.0,
) -> Box:
    """``box`` after dragging ``handle`` by ``(dx, dy)`` image pixels.

    Edges never cross: each side stays at least ``min_size`` long (as far as the image
    allows). With ``ratio`` the result has exactly that ratio.
    """
    if handle is Handle.MOVE:
        return move_box(box, dx, dy, bounds)
    if ratio is None:
        return _resize_free(box, handle, dx, dy, bounds, min_size)
    if handle.is_corner:
        return _resize_corner(box, handle, dx, dy, bounds, ratio, min_size)
    return _resize_edge(box, handle, dx if handle.hx else dy, bounds, ratio, min_size)


def _resize_free(box: Box, h: Handle, dx: float, dy: float, bounds: tuple[float, float], m: float) -> Box:
    width, height = bounds
    x0, y0, x1, y1 = box.as_tuple()
    if h.hx < 0:
        x0 = _clamp(x0 + dx, 0.0, max(x1 - m, 0.0))
    elif h.hx > 0:
        x1 = _clamp(x1 + dx, min(x0 + m, width), width)
    if h.hy < 0:
        y0 = _clamp(y0 + dy, 0.0, max(y1 - m, 0.0))
    elif h.hy > 0:
        y1 = _clamp(y1 + dy, min(y0 + m, height), height)
    return Box(x0, y0, x1, y1)


def _min_width(ratio: float, m: float) -> float:
    """The smallest width of a box of ``ratio`` whose sides are both at least ``m``."""
    return max(m, m * ratio)


def _resize_corner(
    box: Box, h: Handle, dx: float, dy: float, bounds: tuple[float, float], ratio: float, m: float
) -> Box:
    width, height = bounds
    ax = box.x1 if h.hx < 0 else box.x0  # the opposite corner stays put
    ay = box.y1 if h.hy < 0 else box.y0
    px, py = h.anchor(box)
    # Project the dragged corner onto the diagonal of direction (ratio, 1) through the anchor.
    along_x, along_y = (px + dx - ax) * h.hx, (py + dy - ay) * h.hy
    w = (along_x * ratio + along_y) / (ratio * ratio + 1.0) * ratio
    room_w = ax if h.hx < 0 else width - ax
    room_h = ay if h.hy < 0 else height - ay
    w = min(max(w, _min_width(ratio, m)), room_w, room_h * ratio)
    h_ = w / ratio
    x0 = ax - w if h.hx < 0 else ax
    y0 = ay - h_ if h.hy < 0 else ay
    return Box(x0, y0, x0 + w, y0 + h_)


def _resize_edge(box: Box, h: Handle, delta: float, bounds: tuple[float, float], ratio: float, m: float) -> Box:
    width, height = bounds
    cx, cy = box.center
    if h.hx:  # left or right edge: width follows the drag, height follows the ratio
        anchor = box.x1 if h.hx < 0 else box.x0
        room = anchor if h.hx < 0 else width - anchor
        w = min(max(box.width + delta * h.hx, _min_width(ratio, m)), room, height * ratio)
        hh = w / ratio
        x0 = anchor - w if h.hx < 0 else anchor
        y0 = _clamp(cy - hh / 2, 0.0, height - hh)
        return Box(x0, y0, x0 + w, y0 + hh)
    anchor = box.y1 if h.hy < 0 else box.y0
    room = anchor if h.hy < 0 else height - anchor
    hh = min(max(box.height + delta * h.hy, _min_width(ratio, m) / ratio), room, width / ratio)
    w = hh * ratio
    y0 = anchor - hh if h.hy < 0 else anchor
    x0 = _clamp(cx - w / 2, 0.0, width - w)
    return Box(x0, y0, x0 + w, y0 + hh)


def _half_up(v: float) -> int:
    return math.floor(v + 0.5)


def snap_box(box: Box, bounds: tuple[float, float], *, translate: bool = False) -> Box:
    """``box`` with whole-pixel edges, inside ``bounds`` and at least one pixel wide and high.

    With ``translate`` the size is kept (for moves of a whole-pixel box): only the offset is
    rounded. Otherwise each edge is rounded half up, so the ratio of a locked box may change
    by under a pixel.
    """
    width, height = int(bounds[0]), int(bounds[1])
    if translate:
        w, h = _half_up(box.width), _half_up(box.height)
        x0, y0 = _half_up(box.x0), _half_up(box.y0)
        x1, y1 = x0 + w, y0 + h
    else:
        x0, y0, x1, y1 = (_half_up(v) for v in box.as_tuple())
    x0, y0 = min(max(x0, 0), max(width - 1, 0)), min(max(y0, 0), max(height - 1, 0))
    x1, y1 = min(max(x1, x0 + 1), width), min(max(y1, y0 + 1), height)
    return Box(x0, y0, x1, y1)
