"""Rankers: anything that scores a set of boxes on one image (the aesthetic judge's contract).

A :class:`BoxRanker` works in two steps, like a :class:`~models.eval.protocol.CropMethod`:
``prepare(image)`` once per image (the backbone pass), then ``score(prepared, boxes, ratio)``
for any number of boxes, normalised to ``[0, 1]`` of the image; higher is better and only
the order within one image means anything.

:data:`RANKERS` maps a name to a zero-argument factory. The trivial rankers register here:

* ``random`` - seeded by the image's file name, so a run is reproducible;
* ``largest`` - the box's area ("largest candidate first"): the no-crop prior.

Plugins (:data:`PLUGINS`) add the learned ones: ``judge`` and ``scorer`` (the crop scorers,
:mod:`models.scorer.ranker`) and ``judge-heatmap`` (the judge with the learned heatmap's
attention term and area and centre priors, :mod:`models.procrop.fused_ranker`).
"""

from __future__ import annotations

import importlib
import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from models.errors import InvalidInputError
from models.imaging import LoadedImage

__all__ = [
    "RANKER_BASELINES",
    "RANKERS",
    "BoxRanker",
    "LargestRanker",
    "RandomRanker",
    "available_rankers",
    "make_ranker",
    "register_ranker",
]

log = logging.getLogger(__name__)

RANKER_BASELINES: tuple[str, ...] = ("random", "largest")
"""Run beside the chosen rankers in every ranking evaluation."""

PLUGINS: tuple[str, ...] = ("models.scorer.ranker", "models.procrop.fused_ranker")

RANKERS: dict[str, Callable[[], BoxRanker]] = {}
_loaded: set[str] = set()


@runtime_checkable
class BoxRanker(Protocol):
    name: str

    def prepare(self, image: LoadedImage) -> object:
        """Once per image (the slow part)."""
        ...

    def score(self, prepared: object, boxes: np.ndarray, image_ratio: float) -> np.ndarray:
        """``(N,)`` scores of ``(N, 4)`` normalised boxes; ``image_ratio`` is W / H in pixels."""
        ...


def register_ranker(name: str, factory: Callable[[], BoxRanker]) -> None:
    if not isinstance(name, str) or not name or any(c.isspace() for c in name):
        raise InvalidInputError(f"ranker name must be a non-empty string without spaces, got {name!r}")
    if name in RANKERS and RANKERS[name] is not factory:
        raise InvalidInputError(f"a ranker named {name!r} is already registered")
    RANKERS[name] = factory


def _load_plugins() -> None:
    for module in PLUGINS:
        if module not in _loaded:
            try:
                importlib.import_module(module)
            except ImportError as exc:
                log.warning("ranker plugin %s cannot be imported: %s", module, exc)
            _loaded.add(module)


def available_rankers() -> tuple[str, ...]:
    _load_plugins()
    return tuple(RANKERS)


def make_ranker(name: str) -> BoxRanker:
    _load_plugins()
    if name not in RANKERS:
        raise InvalidInputError(f"unknown ranker {name!r}; available: {', '.join(RANKERS)}")
    return RANKERS[name]()


@dataclass(frozen=True, slots=True)
class RandomRanker:
    """Uniform random scores, seeded by ``seed`` and the image's file name."""

    seed: int = 0
    name: str = "random"

    def prepare(self, image: LoadedImage) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(image.info.path.name.encode("utf-8"))])

    def score(self, prepared: object, boxes: np.ndarray, image_ratio: float) -> np.ndarray:
        if not isinstance(prepared, np.random.Generator):
            raise InvalidInputError("random ranker: prepare() first")
        return prepared.random(len(boxes))


@dataclass(frozen=True, slots=True)
class LargestRanker:
    """The box's normalised area: the largest candidate first."""

    name: str = "largest"

    def prepare(self, image: LoadedImage) -> None:
        return None

    def score(self, prepared: object, boxes: np.ndarray, image_ratio: float) -> np.ndarray:
        b = np.asarray(boxes, np.float64).reshape(-1, 4)
        return (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])


register_ranker("random", RandomRanker)
register_ranker("largest", LargestRanker)
