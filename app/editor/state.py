"""What the user decided for one image: aspect choice, crop box, keep and avoid regions.

Plain frozen dataclasses (no Qt): the window renders a :class:`CropState`, every edit makes a
new one (:mod:`app.editor.session` keeps them and their undo history). Boxes follow
:mod:`models.geometry`: full-resolution pixels of the upright image, half-open.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

from models.cropping.result import violations
from models.geometry import AspectRatio, Box, largest_box_with_ratio, parse_aspect

__all__ = [
    "FREE",
    "ORIGINAL",
    "RATIO_PRESETS",
    "SIZE_PRESETS",
    "AspectChoice",
    "CropState",
    "RegionKind",
    "ratio_choice",
    "reshape_box",
    "size_choice",
]

RegionKind = Literal["keep", "avoid"]

RATIO_PRESETS: tuple[str, ...] = ("1:1", "4:5", "3:2", "2:3", "16:9", "9:16", "1.91:1", "21:9", "3:1")
"""Ratios a designer reaches for, in the order the aspect menu lists them."""

SIZE_PRESETS: tuple[tuple[int, int, str], ...] = (
    (1200, 628, "link preview"),
    (1080, 1080, "square post"),
    (1080, 1350, "portrait post"),
    (1080, 1920, "story"),
    (1920, 1080, "Full HD"),
    (1500, 500, "header"),
)
"""Target sizes ``(width, height, use)``: they set the ratio and the export size."""


@dataclass(frozen=True, slots=True)
class AspectChoice:
    """The ratio the crop is locked to: none (free), the image's own, a ratio, or a target size.

    ``size`` is a target export size ``(width, height)`` in pixels (size presets only);
    ``label`` is how menus and the status bar name the choice.
    """

    kind: Literal["free", "original", "ratio"]
    ratio: AspectRatio | None = None
    size: tuple[int, int] | None = None
    label: str = "Free"

    def resolve(self, image_size: tuple[int, int]) -> AspectRatio | None:
        """The ratio for an image of ``image_size = (W, H)``; ``None`` when free."""
        if self.kind == "free":
            return None
        if self.kind == "original":
            return AspectRatio(*image_size)
        return self.ratio

    def swapped(self, image_size: tuple[int, int]) -> AspectChoice:
        """The other orientation (``16:9`` -> ``9:16``, ``1200x628`` -> ``628x1200``); free stays free."""
        if self.kind == "free":
            return self
        if self.size is not None:
            w, h = self.size
            return size_choice(h, w)
        ratio = self.resolve(image_size)
        assert ratio is not None
        return ratio_choice(str(ratio.swapped()))


FREE = AspectChoice("free", label="Free")
ORIGINAL = AspectChoice("original", label="Original")


def ratio_choice(text: str) -> AspectChoice:
    """A ratio from ``"16:9"``, ``"4x5"``, ``"1.91"`` (raises InvalidInputError when unreadable)."""
    ratio = parse_aspect(text)
    return AspectChoice("ratio", ratio, label=str(ratio))


def size_choice(width: int, height: int) -> AspectChoice:
    """A target size: the ratio ``width:height`` and that export size."""
    return AspectChoice("ratio", AspectRatio(width, height), (int(width), int(height)), f"{width}x{height}")


@dataclass(frozen=True, slots=True)
class CropState:
    """One image's crop: ``box`` is ``None`` until the first crop is computed or drawn.

    ``extra`` holds the further crops of the attention panel's two-region mode (shown, not
    edited, not exported). For crop sets, ``target`` names the target whose crop the canvas
    shows and edits (``None``: the plain crop), and ``overrides`` the crops moved by hand per
    target name, as ``(name, box)`` pairs sorted by name (the project file keeps them).
    """

    image_size: tuple[int, int]
    aspect: AspectChoice = FREE
    box: Box | None = None
    keep: tuple[Box, ...] = ()
    avoid: tuple[Box, ...] = ()
    extra: tuple[Box, ...] = field(default=())
    target: str | None = None
    overrides: tuple[tuple[str, Box], ...] = ()

    @property
    def ratio(self) -> AspectRatio | None:
        return self.aspect.resolve(self.image_size)

    def with_(self, **changes: object) -> CropState:
        """A copy with ``changes`` (``dataclasses.replace``)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    def regions(self, kind: RegionKind) -> tuple[Box, ...]:
        return self.keep if kind == "keep" else self.avoid

    def with_regions(self, kind: RegionKind, boxes: tuple[Box, ...]) -> CropState:
        return self.with_(keep=boxes) if kind == "keep" else self.with_(avoid=boxes)

    def override(self, target: str) -> Box | None:
        """The crop moved by hand for ``target``, or ``None``."""
        return dict(self.overrides).get(target)

    def with_override(self, target: str, box: Box | None) -> CropState:
        """A copy with ``target``'s manual crop set to ``box`` (removed for ``None``)."""
        overrides = {name: b for name, b in self.overrides if name != target}
        if box is not None:
            overrides[target] = box
        return self.with_(overrides=tuple(sorted(overrides.items())))

    def layout_key(self) -> tuple[object, ...]:
        """What the constrained crop depends on (equal keys: the same answer)."""
        return (self.image_size, self.ratio, self.keep, self.avoid)

    def violations(self) -> list[str]:
        """How ``box`` breaks the layout: keep regions it cuts, avoid regions it meets
        (:func:`models.cropping.violations`, the one checker)."""
        if self.box is None:
            return []
        return list(violations(self.box, self.keep, self.avoid))


def reshape_box(box: Box | None, ratio: float | None, width: float, height: float) -> Box:
    """``box`` given ``ratio`` (w / h): same centre and about the same area, inside the image.

    ``None`` gives the largest centred box of the ratio (the whole image when ``ratio`` is None).
    """
    if box is None or box.area <= 0:
        return largest_box_with_ratio(width, height, ratio) if ratio else Box(0, 0, width, height)
    if ratio is None:
        return box
    limit = largest_box_with_ratio(width, height, ratio)
    w = min(math.sqrt(box.area * ratio), limit.width)
    h = min(w / ratio, limit.height)
    w = h * ratio
    cx, cy = box.center
    x0 = min(max(cx - w / 2, 0.0), width - w)
    y0 = min(max(cy - h / 2, 0.0), height - h)
    return Box(x0, y0, x0 + w, y0 + h)
