"""View-finding pairs from professional photographs (no human crops needed).

A well-rated photograph's own frame is a good crop of itself; views of it that are shifted,
zoomed in, squeezed to another ratio or pushed into a corner are worse (the VFN idea). Some
photographers add a plain border (a flat band round the picture): :func:`trim_plain_border`
finds the picture inside it, and that trimmed frame is the label.

Boxes are normalised ``Box`` objects of the whole image (with its border).
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from models.box_arrays import best_ious
from models.file_stamps import files_digest
from models.geometry import Box

__all__ = ["ANCHOR_GAP", "MAX_BORDER", "anchor_pairs", "frame_views", "near_views", "trim_plain_border", "trimmed_frames"]

ANCHOR_GAP = 0.1
""":func:`anchor_pairs` pits two candidates against each other only where their IoUs with the
label differ by at least this."""
MAX_BORDER = 0.2
"""At most this fraction of a side is trimmed as border."""


def _plain(lines: np.ndarray, ref: np.ndarray, tol: float) -> np.ndarray:
    """Per line (row or column, ``(n, m, 3)``): flat (small spread) and the border's colour."""
    spread = lines.std(axis=1).max(axis=1)
    off = np.abs(lines.mean(axis=1) - ref).max(axis=1)
    return (spread < tol) & (off < 2 * tol)


def trim_plain_border(rgb: np.ndarray, tol: float = 12.0) -> Box:
    """The normalised box inside a plain border (the whole image when there is none).

    From each side, rows (columns) are border while they are flat (per-channel spread below
    ``tol`` grey levels) and of the colour of the outermost line; at most :data:`MAX_BORDER`
    of the side is trimmed, a band of at most 1 % is kept (JPEG edge noise), and an axis is
    trimmed only where both its sides have a band (one flat side is the scene's background).
    """
    img = np.asarray(rgb, np.float32)
    h, w = img.shape[:2]
    cuts = []
    for lines, n in (
        (img, h),  # rows from the top
        (img[::-1], h),  # rows from the bottom
        (img.transpose(1, 0, 2), w),  # columns from the left
        (img.transpose(1, 0, 2)[::-1], w),  # columns from the right
    ):
        limit = int(n * MAX_BORDER)
        plain = _plain(lines[:limit], lines[0].mean(axis=0), tol)
        k = int(np.argmin(plain)) if not plain.all() else limit
        cuts.append(k if k > 0.01 * n else 0)
    top, bottom, left, right = cuts
    if not (top and bottom):  # a band on one side only is a plain background, not a border
        top = bottom = 0
    if not (left and right):
        left = right = 0
    return Box(left / w, top / h, 1 - right / w, 1 - bottom / h)


def frame_views(frame: Box, n: int, rng: random.Random) -> list[Box]:
    """``n`` worse views of ``frame``, cycling through four kinds: shifted (the frame's size,
    moved by 10-30 % of a side, clipped), zoomed in (55-85 % of the side, anywhere), squeezed
    (one side 60-85 %, centred) and badly placed (a 45-65 % box in a corner)."""
    w, h = frame.width, frame.height
    views = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            dx, dy = rng.choice((-1, 1)) * rng.uniform(0.1, 0.3) * w, rng.uniform(-0.15, 0.15) * h
            if rng.random() < 0.5:
                dx, dy = dy * w / h, rng.choice((-1, 1)) * rng.uniform(0.1, 0.3) * h
            x0, y0 = frame.x0 + dx, frame.y0 + dy
            box = Box(max(frame.x0, x0), max(frame.y0, y0), min(frame.x1, x0 + w), min(frame.y1, y0 + h))
        elif kind == 1:
            s = rng.uniform(0.55, 0.85)
            x0, y0 = frame.x0 + rng.uniform(0, 1 - s) * w, frame.y0 + rng.uniform(0, 1 - s) * h
            box = Box(x0, y0, x0 + s * w, y0 + s * h)
        elif kind == 2:
            s = rng.uniform(0.6, 0.85)
            if rng.random() < 0.5:
                box = Box(frame.x0 + (1 - s) * w / 2, frame.y0, frame.x1 - (1 - s) * w / 2, frame.y1)
            else:
                box = Box(frame.x0, frame.y0 + (1 - s) * h / 2, frame.x1, frame.y1 - (1 - s) * h / 2)
        else:
            s = rng.uniform(0.45, 0.65)
            cx, cy = rng.choice((0, 1)), rng.choice((0, 1))
            x0, y0 = frame.x0 + cx * (1 - s) * w, frame.y0 + cy * (1 - s) * h
            box = Box(x0, y0, x0 + s * w, y0 + s * h)
        views.append(box)
    return views


def near_views(crop: Box, n: int, rng: random.Random) -> list[Box]:
    """Up to ``n`` views of ``crop`` that are nearly as good: the same ratio in pixels, inside
    the image, overlapping it by IoU 0.6-0.95. Three kinds in turn: shifted by 3-15 % of the
    crop's side along one axis (where the image has room), shrunk to 85-97 % of the side
    (anywhere inside the crop) and grown to 103-118 % (where it fits, as centred as it can
    be). These are the boxes a ratio-and-layout search chooses between: the expert's crop
    against a box a few percent off (the hard negatives the judge lacked, issue 18 item 4).
    The ratio in normalised units is the crop's own, so the pixel ratio is kept too."""
    w, h = crop.width, crop.height
    views: list[Box] = []
    for i in range(n * 4):
        kind = i % 3
        if kind == 0:
            d = rng.choice((-1, 1)) * rng.uniform(0.03, 0.15)
            if rng.random() < 0.5:
                x0 = min(max(crop.x0 + d * w, 0.0), 1.0 - w)
                box = Box(x0, crop.y0, x0 + w, crop.y1)
            else:
                y0 = min(max(crop.y0 + d * h, 0.0), 1.0 - h)
                box = Box(crop.x0, y0, crop.x1, y0 + h)
        elif kind == 1:
            s = rng.uniform(0.85, 0.97)
            x0, y0 = crop.x0 + rng.uniform(0, 1 - s) * w, crop.y0 + rng.uniform(0, 1 - s) * h
            box = Box(x0, y0, x0 + s * w, y0 + s * h)
        else:
            s = min(rng.uniform(1.03, 1.18), 1.0 / w, 1.0 / h)
            if s < 1.02:
                continue
            x0 = min(max(crop.x0 - (s - 1) * w / 2, 0.0), 1.0 - s * w)
            y0 = min(max(crop.y0 - (s - 1) * h / 2, 0.0), 1.0 - s * h)
            box = Box(x0, y0, x0 + s * w, y0 + s * h)
        if 0.6 <= box.iou(crop) <= 0.95:
            views.append(box)
            if len(views) == n:
                break
    return views


def anchor_pairs(labels: Sequence[Box], anchors: Sequence[Box], n: int, rng: random.Random,
                 gap: float = ANCHOR_GAP) -> list[tuple[Box, Box]]:  # fmt: skip
    """Up to ``n`` (better, worse) pairs of ``anchors`` (e.g. GAIC's grid,
    :func:`models.scorer.grid.gaic_anchors`): the one nearer the labels (best IoU with any of
    them) wins where the two differ by at least ``gap``. The graded-grid signal: a judge that
    ranks a whole candidate grid, not only a crop against clearly worse views."""
    if not labels or len(anchors) < 2:
        return []
    near = best_ious(anchors, labels)
    pairs: list[tuple[Box, Box]] = []
    for _ in range(n * 4):
        i, j = rng.sample(range(len(anchors)), 2)
        if abs(near[i] - near[j]) >= gap:
            pairs.append((anchors[i], anchors[j]) if near[i] > near[j] else (anchors[j], anchors[i]))
            if len(pairs) == n:
                break
    return pairs


def trimmed_frames(files: Sequence[Path], cache: str | os.PathLike | None = None,
                   progress: Callable[[int, int], None] | None = None) -> tuple[Box, ...]:  # fmt: skip
    """:func:`trim_plain_border` of every image file: the photographers' frames, the label of
    a professional photograph. Cached as JSON in ``cache`` (keyed by the files' content stamps)."""
    from models.imaging import load_image

    path = Path(cache) / f"frames-{files_digest(files, salt='frames')}.json" if cache else None
    if path is not None and path.is_file():
        return tuple(Box(*b) for b in json.loads(path.read_text()))
    frames = []
    for i, f in enumerate(files):
        frames.append(trim_plain_border(load_image(f).rgb))
        if progress:
            progress(i + 1, len(files))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps([b.as_tuple() for b in frames]))
        os.replace(tmp, path)
    return tuple(frames)
