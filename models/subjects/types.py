"""Subject data: frozen, in pixels of the upright image (half-open boxes, ``models.geometry``)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.geometry import Box

__all__ = ["Head", "Subjects"]


@dataclass(frozen=True)
class Head:
    """One person's head.

    ``box``: the whole head (hair to chin, ears included), clipped to the image; a crop that
    keeps ``box`` keeps the head whole. ``face``: the detector's face box it was grown from.
    ``score``: the detector's confidence in ``[0, 1]``.
    """

    box: Box
    face: Box
    score: float = 1.0


@dataclass(frozen=True)
class Subjects:
    """Everything found in one image of ``image_size`` ``(width, height)`` pixels.

    ``person``: a soft person mask ``(h, w)`` float32 in ``[0, 1]`` at any resolution (resize
    it to the frame you need), or ``None`` when no person model ran.
    """

    image_size: tuple[int, int]
    heads: tuple[Head, ...] = ()
    person: np.ndarray | None = field(default=None, compare=False, repr=False)

    def scaled_to(self, width: int, height: int) -> Subjects:
        """The same subjects in the pixels of the image resized to ``width x height``."""
        sx, sy = width / self.image_size[0], height / self.image_size[1]
        heads = tuple(Head(h.box.scaled(sx, sy), h.face.scaled(sx, sy), h.score) for h in self.heads)
        return Subjects((width, height), heads, self.person)
