"""Built once: :class:`LoadedOnce`, the one keyed build-once cache (model loaders, an image's analysis).

Loading a network (weights from disk, a backbone built, an index read) takes from a fraction
of a second to several; the CLI, the app's workers and the evaluation all ask for the same
files again and again. Each loader keeps one :class:`LoadedOnce` keyed by what identifies
what it loads (the weights path, and the index or options when they matter): the first
thread to ask builds it, any other asking meanwhile waits for that one, and later callers
get the same object. A load that raises caches nothing, so the next call tries again.

:class:`~models.cropping.analysis.Analysis` keeps one per image for its methods' once-per-image
parts, with its own re-entrant lock: a part may ask for another (the rectangle search for the
attention map), and callers hold the same lock around work on the shared predictor.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LoadedOnce"]

V = TypeVar("V")


class LoadedOnce(Generic[V]):
    """A thread-safe ``key -> object`` cache whose objects are built once, by ``load``."""

    def __init__(self, lock: threading.Lock | threading.RLock | None = None) -> None:
        """``lock``: the lock ``load`` runs under (default a new plain one); a re-entrant one
        lets a ``load`` ask this cache for another key."""
        self._items: dict[Hashable, V] = {}
        self._lock = threading.Lock() if lock is None else lock

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        """The object for ``key``: ``load()`` the first time (under the lock), then the same one."""
        with self._lock:
            if key not in self._items:
                self._items[key] = load()
            return self._items[key]

    def put(self, key: Hashable, value: V) -> None:
        """Keep ``value`` (built elsewhere) for ``key``, unless one is kept already."""
        with self._lock:
            self._items.setdefault(key, value)

    def items(self) -> list[tuple[Hashable, V]]:
        """A snapshot of the kept ``(key, object)`` pairs."""
        with self._lock:
            return list(self._items.items())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
