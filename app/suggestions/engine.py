"""ProCrop's ranked crops for one image, as a plain function for a worker (no Qt here).

:func:`compute_suggestions` loads the predictor (bundled weights; the bundled index or a
user's index folder, each loaded once per process), then runs ``set_image`` and ``suggest``
together under one module-level lock: the predictor keeps the last image's state, so two
workers must never interleave their calls. Boxes come back in full-resolution pixels with a
small thumbnail cut from the already-loaded preview, and the retrieved references with their
provenance and composition map (the index stores maps, not pixels: that is what is drawn).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.common.thumbnails import cut_thumbnail
from models import cropping
from models.geometry import AspectRatio, Box
from models.imaging import ImageInfo, LoadedImage
from models.procrop.index import load_index
from models.procrop.predictor import load_predictor

__all__ = ["THUMB_SIDE", "Reference", "SuggestRequest", "SuggestResult", "SuggestedCrop", "compute_suggestions"]

THUMB_SIDE = 140  # longest side of a suggestion's thumbnail, in pixels
_PREDICT_LOCK = threading.Lock()  # set_image + suggest of one request, never interleaved
_VALID_INDEXES: set[Path] = set()  # user index folders already read once without error
STEPS = 3  # progress: predictor loaded, image analysed, crops ranked


@dataclass(frozen=True, slots=True)
class SuggestRequest:
    """What to suggest for: the image (``path``, full size ``image_size = (W, H)``), the locked
    ratio (``aspect`` = width / height in pixels, ``None`` when free), the index folder
    (``None``: the bundled one), how many crops, the layout regions every suggestion
    keeps in / leaves out (full-resolution pixels, as the canvas draws them), and the
    display's scale, so thumbnails are made at the pixel size they are shown at."""

    path: Path
    image_size: tuple[int, int]
    aspect: float | None = None
    index: Path | None = None
    top_k: int = 6
    keep: tuple[Box, ...] = ()
    avoid: tuple[Box, ...] = ()
    thumb_scale: float = 1.0  # device pixels per logical pixel of the thumbnails (2 at 200 %)


@dataclass(frozen=True, slots=True)
class SuggestedCrop:
    """One ranked crop: ``box`` in full-resolution pixels, ``thumbnail`` ``(h, w, 3)`` uint8 (at most
    ``THUMB_SIDE * thumb_scale`` pixels on its long side)."""

    rank: int
    score: float
    box: Box
    thumbnail: np.ndarray


@dataclass(frozen=True, slots=True)
class Reference:
    """A retrieved professional composition: its id, where it came from, how similar it is."""

    id: str
    provenance: str
    similarity: float
    composition: np.ndarray | None = None  # (g, g) float32 in [0, 1]: the index's map, its energy per cell


@dataclass(frozen=True, slots=True)
class SuggestResult:
    request: SuggestRequest
    crops: tuple[SuggestedCrop, ...]
    references: tuple[Reference, ...]


def _thumbnail(rgb: np.ndarray, box: Box, scale: float = 1.0) -> np.ndarray:
    """The part of ``rgb`` under normalised ``box``, at most ``THUMB_SIDE * scale`` on its long side."""
    h, w = rgb.shape[:2]
    return cut_thumbnail(rgb, Box(box.x0 * w, box.y0 * h, box.x1 * w, box.y1 * h), (THUMB_SIDE, THUMB_SIDE), scale)


def _provenance(index: object, ids: tuple[str, ...]) -> dict[str, str]:
    """``id -> "file, region x0,y0-x1,y1 (source)"`` for the retrieved ids."""
    items = {item.id: item for item in getattr(index, "items", ())}
    source = getattr(index, "source", "") or ""
    out = {}
    for ref in ids:
        item = items.get(ref)
        if item is None:
            out[ref] = "no provenance recorded"
            continue
        x0, y0, x1, y1 = item.region
        region = "whole photo" if item.region == (0, 0, 1, 1) else f"region {x0:.2f},{y0:.2f}–{x1:.2f},{y1:.2f}"
        out[ref] = f"{item.file}, {region}" + (f" ({source})" if source else "")
    return out


def _compositions(index: object, ids: tuple[str, ...]) -> dict[str, np.ndarray]:
    """``id -> (g, g)`` energy of its reference map (the index keeps maps, not pixels: this is
    what it can show of a composition), scaled to [0, 1]."""
    items = getattr(index, "items", ())
    maps = getattr(index, "maps", None)
    if maps is None:
        return {}
    at = {item.id: i for i, item in enumerate(items)}
    out = {}
    for ref in ids:
        if ref in at:
            energy = np.linalg.norm(np.asarray(maps[at[ref]], dtype=np.float32), axis=0)  # [g, g]
            top = float(energy.max())
            out[ref] = energy / top if top > 0 else energy
    return out


def compute_suggestions(
    rgb: np.ndarray,
    request: SuggestRequest,
    *,
    progress: Callable[[int, int], None] | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> SuggestResult | None:
    """ProCrop's ``request.top_k`` crops of ``rgb`` (the ``(H, W, 3)`` preview of the image);
    ``None`` when cancelled. Raises InvalidInputError for an index folder that is not one."""
    report = progress or (lambda done, total: None)
    cancelled = is_cancelled or (lambda: False)
    if request.index is not None and request.index not in _VALID_INDEXES:
        load_index(request.index)  # a clear error at once, before the (slower) weights
        _VALID_INDEXES.add(request.index)
    predictor = load_predictor(index=request.index)
    report(1, STEPS)
    if cancelled():
        return None
    width, height = request.image_size
    image = LoadedImage(ImageInfo(Path(), width, height, "", "RGB", 1, None), np.ascontiguousarray(rgb))
    analysis = cropping.analyse(image, methods=(), procrop_files=(None, request.index))
    with _PREDICT_LOCK:
        predictor.set_image(rgb, size=request.image_size)  # boxes in the image's full-resolution pixels
        queries = predictor.queries
        analysis.cached(cropping.get_method("procrop").key, lambda: queries)  # ranked from these queries
        report(2, STEPS)
        aspect = AspectRatio(request.aspect, 1.0) if request.aspect is not None else None
        found = cropping.ranked(analysis, cropping.Request(aspect, request.keep, request.avoid, method="procrop"),
                                request.top_k)  # the one crop contract: layout and subject rule, whole pixels
    crops = tuple(
        SuggestedCrop(rank, s.score or 0.0, s.box, _thumbnail(rgb, Box(*s.box.to_normalized(width, height)), request.thumb_scale))
        for rank, s in enumerate(found)
    )
    origin = _provenance(predictor.index, queries.references)
    maps = _compositions(predictor.index, queries.references)
    refs = tuple(Reference(r, origin[r], sim, maps.get(r))
                 for r, sim in zip(queries.references, queries.similarities))  # fmt: skip
    report(3, STEPS)
    return SuggestResult(request, crops, refs)
