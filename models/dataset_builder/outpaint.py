"""Outpainting backends behind one interface, and their registry.

A backend fills the unknown pixels of a canvas around an original photo::

    painter = build_outpainter("opencv")
    filled = painter.fill(OutpaintRequest(canvas, known, seed=7))

Coordinates are pixels of the canvas, arrays are row-major ``(H, W[, 3])``. ``known`` is
``True`` where the original photo lies; a backend must return those pixels unchanged (the
original frame is the label, so its content must be exactly the photo's). Backends register
a builder under a name with :func:`register_outpainter`; builders take keyword options
(checkpoint paths, device...) and raise :class:`~models.errors.InvalidInputError` with a
clear message when what they need is missing (no weights configured, no GPU).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from models.errors import InvalidInputError

__all__ = [
    "OutpaintRequest",
    "Outpainter",
    "available_outpainters",
    "build_outpainter",
    "register_outpainter",
]


@dataclass(frozen=True, slots=True, eq=False)
class OutpaintRequest:
    """What a backend needs to fill one canvas.

    ``canvas``: ``(H, W, 3)`` uint8 RGB, the original pasted in, unknown pixels arbitrary.
    ``known``: ``(H, W)`` bool, ``True`` on the original photo.
    ``seed``: makes the fill reproducible (same request, same seed: same pixels).
    ``caption``: optional text describing the scene (a local BLIP caption, or the user's).
    ``composition``: optional ``(H, W)`` int32 label map of composition masks (SAM
    automatic masks, extended to the canvas), 0 = none.
    """

    canvas: np.ndarray
    known: np.ndarray
    seed: int = 0
    caption: str | None = None
    composition: np.ndarray | None = field(default=None)

    def __post_init__(self) -> None:
        c, k = self.canvas, self.known
        if not (isinstance(c, np.ndarray) and c.dtype == np.uint8 and c.ndim == 3 and c.shape[2] == 3):
            raise InvalidInputError(f"canvas must be an (H, W, 3) uint8 RGB array, got {getattr(c, 'dtype', type(c))} {getattr(c, 'shape', '')}")
        if not (isinstance(k, np.ndarray) and k.dtype == np.bool_ and k.shape == c.shape[:2]):
            raise InvalidInputError(f"known must be an (H, W) bool array matching the canvas {c.shape[:2]}, got {getattr(k, 'dtype', type(k))} {getattr(k, 'shape', '')}")
        if not k.any():
            raise InvalidInputError("known is empty: there is no original content to outpaint from")
        if self.composition is not None and getattr(self.composition, "shape", None) != c.shape[:2]:
            raise InvalidInputError(f"composition must be an (H, W) label map matching the canvas {c.shape[:2]}")


@runtime_checkable
class Outpainter(Protocol):
    """Fills ``request.canvas`` where ``request.known`` is ``False``."""

    name: str

    def fill(self, request: OutpaintRequest) -> np.ndarray:
        """An ``(H, W, 3)`` uint8 RGB array; pixels where ``known`` is ``True`` unchanged."""
        ...


_REGISTRY: dict[str, Callable[..., Outpainter]] = {}


def register_outpainter(name: str) -> Callable[[Callable[..., Outpainter]], Callable[..., Outpainter]]:
    """Decorator: register ``builder(**options) -> Outpainter`` under ``name``."""

    def deco(builder: Callable[..., Outpainter]) -> Callable[..., Outpainter]:
        if name in _REGISTRY and _REGISTRY[name] is not builder:
            raise ValueError(f"outpainter {name!r} is registered twice")
        _REGISTRY[name] = builder
        return builder

    return deco


def _load_builtin() -> None:
    # Built-in backends register on import; each module is optional until it exists.
    import importlib

    for module in ("models.dataset_builder.outpaint_classical", "models.dataset_builder.outpaint_diffusion"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise


def available_outpainters() -> tuple[str, ...]:
    _load_builtin()
    return tuple(sorted(_REGISTRY))


def build_outpainter(name: str, **options) -> Outpainter:
    """The backend registered as ``name``, built with ``options``."""
    _load_builtin()
    try:
        builder = _REGISTRY[name]
    except KeyError:
        raise InvalidInputError(f"unknown outpainting backend {name!r}; available: {', '.join(sorted(_REGISTRY))}") from None
    return builder(**options)
