"""Models loaded once per process: :class:`LoadedOnce`, the one keyed cache the loaders share.

Loading a network (weights from disk, a backbone built, an index read) takes from a fraction
of a second to several; the CLI, the app's workers and the evaluation all ask for the same
files again and again. Each loader keeps one :class:`LoadedOnce` keyed by what identifies
what it loads (the weights path, and the index or options when they matter): the first
thread to ask builds it, any other asking meanwhile waits for that one, and later callers
get the same object. A load that raises caches nothing, so the next call tries again.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["LoadedOnce"]

V = TypeVar("V")


class LoadedOnce(Generic[V]):
    """A thread-safe ``key -> object`` cache whose objects are built once, by ``load``."""

    def __init__(self) -> None:
        self._items: dict[Hashable, V] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], V]) -> V:
        """The object for ``key``: ``load()`` the first time (under the lock), then the same one."""
        with self._lock:
            if key not in self._items:
                self._items[key] = load()
            return self._items[key]

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
