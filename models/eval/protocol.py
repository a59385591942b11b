"""The contract between the evaluation runner and a cropping method.

A method works in two steps, so that an evaluation (or the GUI) pays for the slow part
once per image and the fast part once per request:

* :meth:`CropMethod.analyse` - once per image: attention maps, features, proposals...;
* :meth:`CropMethod.crop` - once per target (ratio + layout): returns one crop box.

Boxes in a :class:`CropRequest` and the returned box are in full-resolution pixels of the
upright image, ``(W, H) = request.image_size`` (the convention of :mod:`models.geometry`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from models.errors import InvalidInputError
from models.geometry import Box
from models.imaging import LoadedImage

__all__ = ["CropMethod", "CropRequest", "RankedCropMethod"]


@dataclass(frozen=True, slots=True)
class CropRequest:
    """What a crop must satisfy.

    ``image_size`` is ``(W, H)`` in full-resolution upright pixels; ``aspect`` the required
    ratio width / height in pixels (``None`` = free); ``keep`` regions that must stay inside
    the crop and ``avoid`` regions that must stay outside it, in full-resolution pixels.
    """

    image_size: tuple[int, int]  # (W, H) full-resolution upright pixels
    aspect: float | None  # required crop ratio w/h in pixels; None = free
    keep: tuple[Box, ...] = ()  # regions that must stay inside, full-res pixels
    avoid: tuple[Box, ...] = ()  # regions that must stay outside, full-res pixels

    def __post_init__(self) -> None:
        size = self.image_size
        if (
            not isinstance(size, tuple)
            or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)
        ):
            raise InvalidInputError(f"image_size must be (W, H) positive integers, got {size!r}")
        if self.aspect is not None and not (
            isinstance(self.aspect, (int, float)) and math.isfinite(self.aspect) and self.aspect > 0
        ):
            raise InvalidInputError(f"aspect must be a positive number or None, got {self.aspect!r}")
        for name in ("keep", "avoid"):
            boxes = getattr(self, name)
            if not isinstance(boxes, tuple) or not all(isinstance(b, Box) for b in boxes):
                raise InvalidInputError(f"{name} must be a tuple of Box, got {boxes!r}")

    @property
    def frame(self) -> Box:
        """The whole image, ``Box(0, 0, W, H)``."""
        return Box(0, 0, *self.image_size)


@runtime_checkable
class CropMethod(Protocol):
    """A cropping method the evaluation can run (see the module docstring)."""

    name: str

    def analyse(self, image: LoadedImage) -> object:
        """Once per image (the slow part: maps, features); the result is passed to :meth:`crop`."""
        ...

    def crop(self, analysis: object, request: CropRequest) -> Box:
        """Once per item/target (the fast part): one crop in full-resolution pixels."""
        ...


@runtime_checkable
class RankedCropMethod(CropMethod, Protocol):
    """A method that ranks several crops (ProCrop): the evaluation also scores the best of
    its top ``k`` (best-of-top-3 IoU); :meth:`crop` must be the first of :meth:`ranked`."""

    def ranked(self, analysis: object, request: CropRequest, k: int) -> tuple[Box, ...]:
        """Up to ``k`` crops, best first, in full-resolution pixels."""
        ...
