"""Reference methods every evaluation runs beside the real ones.

* ``centred`` - the naive design-constraints baseline: the largest box of the ratio,
  shifted as little as possible from the centre so that it contains the layout (``keep``)
  boxes. Free ratio: the whole image.
* ``saliency-long`` / ``saliency-short`` - the seed's "saliency box fitted to the ratio":
  the smallest box keeping ``tau = 0.9`` of the attention (P1, :mod:`models.attention`),
  given the ratio by keeping its long (short) edge and growing or shrinking the other,
  centred on the saliency box and moved (shrunk if needed) into the image. Free ratio: the
  saliency box itself. They ignore the layout.
* ``full-image`` - the whole frame; with a ratio, the centred largest box of the ratio
  (no layout awareness).
* ``constant-crop`` - one fixed crop for every photo: :data:`CONSTANT_SIDE` of the frame's
  side, its centre :data:`CONSTANT_LIFT` of the height above the image's (issue 18's trivial
  row); with a ratio, that share of the largest box of the ratio (no layout awareness).

Importing this module registers them in :data:`models.eval.registry.METHODS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from models.attention import prepare_attention
from models.errors import InvalidInputError
from models.eval.protocol import CropRequest
from models.eval.registry import register_method
from models.geometry import Box, bounding_box, largest_box_with_ratio
from models.imaging import LoadedImage

__all__ = [
    "ANNOTATION_BASELINES",
    "BASELINE_NAMES",
    "CONSTANT_CROP",
    "CONSTANT_LIFT",
    "CONSTANT_SIDE",
    "CONSTRAINT_BASELINES",
    "CentredBaseline",
    "ConstantCropBaseline",
    "FullImageBaseline",
    "RuleBaseline",
    "SaliencyAnalysis",
    "SaliencyBaseline",
    "centred_crop",
    "constant_crop",
    "fit_ratio_keeping_edge",
    "full_image_crop",
]

log = logging.getLogger(__name__)

CONSTRAINT_BASELINES: tuple[str, ...] = ("centred", "saliency-long", "saliency-short")
"""Baselines run beside the chosen methods on design-constraint items."""
ANNOTATION_BASELINES: tuple[str, ...] = ("full-image", "constant-crop", "saliency-long")
"""Baselines run beside the chosen methods on annotated (unconstrained) images."""
BASELINE_NAMES: frozenset[str] = frozenset(CONSTRAINT_BASELINES + ANNOTATION_BASELINES)

Edge = Literal["long", "short"]

CONSTANT_SIDE = 0.88
CONSTANT_LIFT = 0.02
CONSTANT_CROP = Box(0.5 - CONSTANT_SIDE / 2, 0.5 - CONSTANT_LIFT - CONSTANT_SIDE / 2,
                    0.5 + CONSTANT_SIDE / 2, 0.5 - CONSTANT_LIFT + CONSTANT_SIDE / 2)  # fmt: skip
"""The constant crop of a free ratio, normalised (0.06, 0.04, 0.94, 0.92): what :func:`constant_crop` returns."""


# -- geometry ----------------------------------------------------------------------------
def _slide(start: float, length: float, extent: float, keep_lo: float, keep_hi: float) -> float:
    """Start of a window of ``length`` inside ``[0, extent]``, as close to ``start`` as possible
    while covering ``[keep_lo, keep_hi]``; centred on that interval when it is longer."""
    keep_lo, keep_hi = min(max(keep_lo, 0.0), extent), min(max(keep_hi, 0.0), extent)
    if keep_hi - keep_lo <= length:
        start = min(max(start, keep_hi - length), keep_lo)
    else:  # cannot cover it all: cover as much as possible, centred on it
        start = (keep_lo + keep_hi - length) / 2
    return min(max(start, 0.0), extent - length)


def centred_crop(request: CropRequest) -> Box:
    """The largest box of ``request.aspect``, as centred as possible, containing every keep box.

    The largest box of a ratio spans the image's full width or full height, so only one
    coordinate can move: it moves as little as possible from the centre. When the keep
    boxes' union is longer than the box along that axis, the box is centred on the union
    (it then keeps as much of it as it can). Free ratio: the whole image.
    """
    width, height = request.image_size
    if request.aspect is None:
        return request.frame
    box = largest_box_with_ratio(width, height, request.aspect)
    union = bounding_box(request.keep)
    if union is None:
        return box
    x0 = _slide(box.x0, box.width, width, union.x0, union.x1)
    y0 = _slide(box.y0, box.height, height, union.y0, union.y1)
    return Box(x0, y0, x0 + box.width, y0 + box.height)


def constant_crop(request: CropRequest) -> Box:
    """:data:`CONSTANT_SIDE` of the frame (or of the largest box of ``request.aspect``), centred
    :data:`CONSTANT_LIFT` of the height above the image's centre, moved inside the image."""
    width, height = request.image_size
    base = request.frame if request.aspect is None else largest_box_with_ratio(width, height, request.aspect)
    w, h = base.width * CONSTANT_SIDE, base.height * CONSTANT_SIDE
    x0 = min(max(width / 2 - w / 2, 0.0), width - w)
    y0 = min(max(height * (0.5 - CONSTANT_LIFT) - h / 2, 0.0), height - h)
    return Box(x0, y0, x0 + w, y0 + h)


def fit_ratio_keeping_edge(box: Box, ratio: float, width: float, height: float, *, edge: Edge) -> Box:
    """``box`` given the ratio ``ratio`` (w / h) by keeping its long or short edge.

    The kept edge stays as it is and the other grows or shrinks to the ratio; the result
    is centred on ``box``, shrunk (about its centre) if it is larger than the
    ``width x height`` image, then moved inside the image.
    """
    if edge not in ("long", "short"):
        raise InvalidInputError(f"edge must be 'long' or 'short', got {edge!r}")
    if not ratio > 0:
        raise InvalidInputError(f"ratio must be a positive number, got {ratio}")
    w, h = max(box.width, 1e-9), max(box.height, 1e-9)
    keep_width = (w >= h) == (edge == "long")
    bw, bh = (w, w / ratio) if keep_width else (h * ratio, h)
    shrink = min(1.0, width / bw, height / bh)
    bw, bh = bw * shrink, bh * shrink
    cx, cy = box.center
    x0 = min(max(cx - bw / 2, 0.0), width - bw)
    y0 = min(max(cy - bh / 2, 0.0), height - bh)
    return Box(x0, y0, x0 + bw, y0 + bh)


# -- methods -----------------------------------------------------------------------------
def full_image_crop(request: CropRequest) -> Box:
    """The whole frame, or the centred largest box of ``request.aspect`` (layout ignored)."""
    if request.aspect is None:
        return request.frame
    return largest_box_with_ratio(*request.image_size, request.aspect)


@dataclass(frozen=True, slots=True)
class RuleBaseline:
    """A baseline that needs no analysis: ``rule`` maps each request to its box."""

    name: str
    rule: Callable[[CropRequest], Box]

    def analyse(self, image: LoadedImage) -> None:
        return None

    def crop(self, analysis: object, request: CropRequest) -> Box:
        return self.rule(request)


def CentredBaseline() -> RuleBaseline:
    """``centred``: see :func:`centred_crop`."""
    return RuleBaseline("centred", centred_crop)


def FullImageBaseline() -> RuleBaseline:
    """``full-image``: see :func:`full_image_crop`."""
    return RuleBaseline("full-image", full_image_crop)


def ConstantCropBaseline() -> RuleBaseline:
    """``constant-crop``: see :func:`constant_crop`."""
    return RuleBaseline("constant-crop", constant_crop)


@dataclass(frozen=True, slots=True)
class SaliencyAnalysis:
    """The saliency box of an image (full-resolution pixels) and the fraction of attention it keeps."""

    box: Box
    kept: float


@dataclass(frozen=True, slots=True)
class SaliencyBaseline:
    """``saliency-long`` / ``saliency-short``: the P1 attention box fitted to the ratio.

    Parameters
    ----------
    edge : {"long", "short"}
        Which edge of the saliency box is kept when fitting the ratio.
    tau : float
        Fraction of the attention the saliency box keeps.
    saliency : {"spectral", "fine"}
        The attention map's saliency model; ``faces`` adds the face prior.
    """

    edge: Edge = "long"
    tau: float = 0.9
    saliency: str = "spectral"
    faces: bool = True
    name: str = ""

    def __post_init__(self) -> None:
        if self.edge not in ("long", "short"):
            raise InvalidInputError(f"edge must be 'long' or 'short', got {self.edge!r}")
        if not self.name:
            object.__setattr__(self, "name", f"saliency-{self.edge}")

    def analyse(self, image: LoadedImage) -> SaliencyAnalysis:
        found = prepare_attention(image, method=self.saliency, faces=self.faces).crop(tau=self.tau)
        return SaliencyAnalysis(box=found.boxes[0], kept=found.kept)

    def crop(self, analysis: object, request: CropRequest) -> Box:
        if not isinstance(analysis, SaliencyAnalysis):
            raise InvalidInputError(f"{self.name} needs its own analysis, got {type(analysis).__name__}")
        if request.aspect is None:
            return analysis.box
        return fit_ratio_keeping_edge(analysis.box, request.aspect, *request.image_size, edge=self.edge)


register_method("centred", CentredBaseline, tasks=("constraints",))
register_method("saliency-long", lambda: SaliencyBaseline(edge="long"))
register_method("saliency-short", lambda: SaliencyBaseline(edge="short"), tasks=("constraints",))
register_method("full-image", FullImageBaseline)
register_method("constant-crop", ConstantCropBaseline, tasks=("annotations",))
