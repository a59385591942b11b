"""Score terms: S(box) = sum of weighted terms, each evaluated on all candidates at once.

A term is anything with a ``name`` and ``__call__(candidates) -> (N,) float64``; the search
(:mod:`models.constraints.search`) only adds them up, so a new kind of term needs no change
there. Terms that integrate a map over a box use :class:`MapIntegral`: the exact integral of
a piecewise-constant map over a box with fractional pixel edges, from its summed-area table,
O(1) per box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from models.constraints._kernels import box_mass

from models.constraints.candidates import Candidates
from models.geometry import Box

__all__ = [
    "AreaTerm",
    "AttentionTerm",
    "BorderTerm",
    "CentreTerm",
    "FaceCutTerm",
    "MapIntegral",
    "OverlapTerm",
    "ScoreTerm",
]


class ScoreTerm(Protocol):
    name: str

    def __call__(self, cands: Candidates) -> np.ndarray: ...


@dataclass(frozen=True, slots=True, eq=False)
class MapIntegral:
    """Integrals of a non-negative ``(m, n)`` map laid over a ``W x H`` image.

    Cell ``(i, j)`` covers pixels ``[j W/n, (j+1) W/n) x [i H/m, (i+1) H/m)``; the map is
    constant on each cell, so the integral over any box is bilinear in the summed-area table
    between cell corners and exact. Integrals are normalised by the map's total (1 over the
    whole image; all zeros for an all-zero map).
    """

    values: np.ndarray
    image_size: tuple[int, int]
    _sat: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        v = np.asarray(self.values, dtype=np.float64)
        sat = np.zeros((v.shape[0] + 1, v.shape[1] + 1))
        np.cumsum(np.cumsum(v, axis=0), axis=1, out=sat[1:, 1:])
        total = sat[-1, -1]
        object.__setattr__(self, "_sat", sat / total if total > 0 else sat)

    def _at(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        m, n = self.values.shape
        u = np.clip(np.asarray(x, np.float64) * (n / self.image_size[0]), 0, n)
        v = np.clip(np.asarray(y, np.float64) * (m / self.image_size[1]), 0, m)
        j = np.minimum(u.astype(np.int64), n - 1)
        i = np.minimum(v.astype(np.int64), m - 1)
        fu, fv = u - j, v - i
        s = self._sat
        top = s[i, j] * (1 - fu) + s[i, j + 1] * fu
        bottom = s[i + 1, j] * (1 - fu) + s[i + 1, j + 1] * fu
        return top * (1 - fv) + bottom * fv

    def over(self, cands: Candidates) -> np.ndarray:
        """Fraction of the map's mass inside each candidate, ``(N,)`` (compiled; equal to
        :meth:`_at` at the four corners, which the tests check)."""
        m, n = self.values.shape
        f = np.float64
        return box_mass(self._sat, *(np.ascontiguousarray(c, f) for c in (cands.x0, cands.y0, cands.x1, cands.y1)),
                        n / self.image_size[0], m / self.image_size[1])  # fmt: skip


@dataclass(frozen=True, slots=True, eq=False)
class AttentionTerm:
    """Seed Eq. 9-11 in spirit: much attention inside, little outside. Scores
    ``mass_inside - area_fraction``: 0 for a uniform map whatever the box, positive where the
    box concentrates attention. Works for a saliency map or a learned aesthetic heatmap."""

    integral: MapIntegral
    weight: float = 1.0
    name: str = "attention"

    def __call__(self, cands: Candidates) -> np.ndarray:
        w, h = self.integral.image_size
        return self.weight * (self.integral.over(cands) - cands.area / (w * h))


@dataclass(frozen=True, slots=True)
class AreaTerm:
    """Prefer larger crops: ``weight * area_fraction`` (expert crops are rarely tight)."""

    image_size: tuple[int, int]
    weight: float = 1.0
    name: str = "area"

    def __call__(self, cands: Candidates) -> np.ndarray:
        w, h = self.image_size
        return self.weight * cands.area / (w * h)


@dataclass(frozen=True, slots=True)
class OverlapTerm:
    """Stay close to a given crop: ``weight * IoU(candidate, box)``. With it alone, the search
    returns the constrained box nearest ``box`` (a ProCrop proposal re-fitted to a layout)."""

    box: Box
    weight: float = 1.0
    name: str = "overlap"

    def __call__(self, cands: Candidates) -> np.ndarray:
        b = self.box
        iw = np.clip(np.minimum(cands.x1, b.x1) - np.maximum(cands.x0, b.x0), 0, None)
        ih = np.clip(np.minimum(cands.y1, b.y1) - np.maximum(cands.y0, b.y0), 0, None)
        inter = iw * ih
        return self.weight * inter / (cands.area + b.area - inter)


@dataclass(frozen=True, slots=True)
class CentreTerm:
    """Prefer crops centred in the frame: ``-weight * |centre offset|`` (normalised, L2)."""

    image_size: tuple[int, int]
    weight: float = 1.0
    name: str = "centre"

    def __call__(self, cands: Candidates) -> np.ndarray:
        w, h = self.image_size
        dx = ((cands.x0 + cands.x1) / 2 - w / 2) / w
        dy = ((cands.y0 + cands.y1) / 2 - h / 2) / h
        return -self.weight * np.hypot(dx, dy)


@dataclass(frozen=True, slots=True)
class FaceCutTerm:
    """Never cut a face: ``-weight`` for each face that is partly in and partly out of the crop
    (more than ``tolerance`` of it on each side). A face wholly in or wholly out costs nothing."""

    faces: tuple[Box, ...]
    weight: float = 10.0
    tolerance: float = 0.02  # of the face box: detector boxes are loose at the edges
    name: str = "face-cut"

    def __call__(self, cands: Candidates) -> np.ndarray:
        penalty = np.zeros(len(cands))
        for f in self.faces:
            ix = np.clip(np.minimum(cands.x1, f.x1) - np.maximum(cands.x0, f.x0), 0, None)
            iy = np.clip(np.minimum(cands.y1, f.y1) - np.maximum(cands.y0, f.y0), 0, None)
            inside = ix * iy / f.area
            penalty += (inside > self.tolerance) & (inside < 1 - self.tolerance)
        return -self.weight * penalty


@dataclass(frozen=True, slots=True, eq=False)
class BorderTerm:
    """Do not cut through salient content: ``-weight`` times the attention density in thin
    strips just inside the crop's edges (``depth`` of the image's short side), relative to
    the image's mean density. Edges on the image frame cut nothing and are not counted."""

    integral: MapIntegral
    weight: float = 1.0
    depth: float = 0.02
    name: str = "border"

    def __call__(self, cands: Candidates) -> np.ndarray:
        w, h = self.integral.image_size
        d = self.depth * min(w, h)
        x0, y0, x1, y1 = cands.x0, cands.y0, cands.x1, cands.y1
        strips = (
            (x0, y0, np.minimum(x0 + d, x1), y1, x0 > 0.5),
            (np.maximum(x1 - d, x0), y0, x1, y1, x1 < w - 0.5),
            (x0, y0, x1, np.minimum(y0 + d, y1), y0 > 0.5),
            (x0, np.maximum(y1 - d, y0), x1, y1, y1 < h - 0.5),
        )
        density = np.zeros(len(cands))
        for sx0, sy0, sx1, sy1, inner in strips:
            strip = Candidates(sx0, sy0, sx1, sy1)
            area = np.maximum(strip.area, 1e-9) / (w * h)
            density += np.where(inner, self.integral.over(strip) / area, 0.0)
        return -self.weight * density / 4
