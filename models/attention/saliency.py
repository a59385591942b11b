"""Attention maps: OpenCV-contrib saliency, optionally fused with a face prior.

The map is computed on a small copy of the image (long side :data:`MAP_LONG_SIDE` cells by
default, the seed's maps were 188 x 250) because the rectangle searches are quadratic in
the map's short side and saliency is a low-frequency signal anyway. :class:`AttentionMap`
remembers the full-resolution image size, so boxes found on the map are mapped back to
full-resolution pixels by :meth:`AttentionMap.cells_to_pixels`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import cv2
import numpy as np

from models.errors import InvalidInputError
from models.geometry import Box
from models.subjects import Subjects, image_subjects

if TYPE_CHECKING:
    from models.imaging import LoadedImage

__all__ = ["MAP_LONG_SIDE", "METHODS", "AttentionMap", "compute_attention", "saliency_map"]

log = logging.getLogger(__name__)

MAP_LONG_SIDE = 256
FLAT_STD = 1.0  # grey-level standard deviation below which an image has no salient content
Method = Literal["spectral", "fine"]
METHODS: tuple[str, ...] = ("spectral", "fine")


@dataclass(frozen=True, slots=True)
class AttentionMap:
    """An attention map of ``(m, n)`` cells over an image of ``image_size = (W, H)`` pixels.

    ``values`` is float32 in ``[0, 1]``. Cell ``(i, j)`` covers the pixels
    ``[j * W / n, (j + 1) * W / n) x [i * H / m, (i + 1) * H / m)`` of the upright,
    full-resolution image. ``faces`` are the detected faces in full-resolution pixels, the
    face boxes of ``subjects`` (the heads and person mask found once per image; ``None`` when
    faces were not searched for).
    """

    values: np.ndarray
    image_size: tuple[int, int]
    method: str
    faces: tuple[Box, ...] = field(default=())
    subjects: Subjects | None = field(default=None, compare=False, repr=False)

    @property
    def cell_size(self) -> tuple[float, float]:
        """``(pixels per cell along x, along y)``."""
        m, n = self.values.shape
        return self.image_size[0] / n, self.image_size[1] / m

    def cells_to_pixels(self, box: Box) -> Box:
        sx, sy = self.cell_size
        return box.scaled(sx, sy)

    def pixel_ratio_to_cells(self, ratio: float) -> float:
        """A width/height ratio in pixels as the ratio of the same box in cells."""
        sx, sy = self.cell_size
        return ratio * sy / sx


def _map_shape(width: int, height: int, long_side: int) -> tuple[int, int]:
    scale = min(1.0, long_side / max(width, height))
    return max(1, round(height * scale)), max(1, round(width * scale))


def normalise(values: np.ndarray) -> np.ndarray:
    values = values.astype(np.float32, copy=False)
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    values -= values.min()
    peak = float(values.max())
    return values / peak if peak > 0 else values


def saliency_map(rgb: np.ndarray, *, method: Method = "spectral", shape: tuple[int, int] | None = None) -> np.ndarray:
    """Static saliency of an RGB image.

    Parameters
    ----------
    rgb : (H, W, 3) uint8 array
    method : ``"spectral"`` (Hou & Zhang's spectral residual) or ``"fine"`` (Montabone &
        Soto's fine-grained centre-surround), both from ``cv2.saliency``.
    shape : ``(m, n)`` of the returned map; defaults to the image's.

    Returns
    -------
    (m, n) float32 array in ``[0, 1]``.
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise InvalidInputError(f"saliency needs an (H, W, 3) uint8 image, got {rgb.shape} {rgb.dtype}")
    if method not in METHODS:
        raise InvalidInputError(f"unknown saliency method {method!r}; choose one of {', '.join(METHODS)}")
    m, n = shape or rgb.shape[:2]
    small = cv2.resize(rgb, (n, m), interpolation=cv2.INTER_AREA) if (m, n) != rgb.shape[:2] else rgb
    if float(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).std()) < FLAT_STD:
        # OpenCV rescales its output to a peak of 1 whatever the input: on a flat image that
        # turns rounding noise into "attention" everywhere. A flat image has none.
        return np.zeros((m, n), np.float32)
    bgr = np.ascontiguousarray(small[:, :, ::-1])
    if method == "spectral":
        engine = cv2.saliency.StaticSaliencySpectralResidual_create()
    else:
        engine = cv2.saliency.StaticSaliencyFineGrained_create()
    ok, values = engine.computeSaliency(bgr)
    if not ok:  # OpenCV reports failure only for degenerate input; treat as "no saliency"
        log.warning("OpenCV %s saliency failed; using a flat map", method)
        return np.zeros((m, n), np.float32)
    return normalise(values)


def face_prior(faces: tuple[Box, ...], shape: tuple[int, int], image_size: tuple[int, int]) -> np.ndarray:
    """A Gaussian blob per face (sigma = half the face size), peak 1, on the map's cells."""
    m, n = shape
    sx, sy = image_size[0] / n, image_size[1] / m
    yy, xx = np.mgrid[0:m, 0:n].astype(np.float32)
    prior = np.zeros(shape, np.float32)
    for face in faces:
        cx, cy = face.center
        cx, cy = cx / sx - 0.5, cy / sy - 0.5
        rx, ry = max(face.width / sx / 2, 0.5), max(face.height / sy / 2, 0.5)
        prior = np.maximum(prior, np.exp(-(((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2) / 2))
    return prior


def compute_attention(
    image: LoadedImage,
    *,
    method: Method = "spectral",
    faces: bool = True,
    face_weight: float = 1.0,
    long_side: int = MAP_LONG_SIDE,
    subjects: Subjects | None = None,
) -> AttentionMap:
    """The attention map of a loaded image: saliency, plus a face prior when ``faces``.

    The face prior adds ``face_weight`` (relative to the saliency peak) on each detected
    face, so crops that keep attention keep faces. Faces come from ``subjects`` when given,
    else from :func:`models.subjects.image_subjects` (BlazeFace on the loaded copy), and the
    map carries them.
    """
    if long_side < 8:
        raise InvalidInputError(f"attention map long side must be >= 8 cells, got {long_side}")
    width, height = image.info.width, image.info.height
    shape = _map_shape(width, height, long_side)
    values = saliency_map(image.rgb, method=method, shape=shape)
    found: tuple[Box, ...] = ()
    if faces:
        subjects = subjects if subjects is not None else image_subjects(image)
        found = tuple(h.face for h in subjects.heads)
        if found:
            values = normalise(values + face_weight * face_prior(found, shape, (width, height)))
    else:
        subjects = None
    log.debug("attention %s: %dx%d cells, %d face(s)", method, shape[1], shape[0], len(found))
    return AttentionMap(values=values, image_size=(width, height), method=method, faces=found, subjects=subjects)
