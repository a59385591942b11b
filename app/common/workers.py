"""Run engine calls off the GUI thread.

:class:`Worker` wraps a plain callable in a :class:`~PySide6.QtCore.QRunnable`. The callable
never sees Qt: when its signature accepts them, it is given two keyword hooks,

* ``progress(done: int, total: int)`` to report progress, and
* ``is_cancelled() -> bool`` to poll for cooperative cancellation,

and its outcome is reported through :class:`WorkerSignals` (``started``, ``progress``,
``returned``, ``errored``, ``finished``). Signals are emitted from the pool thread and, through
Qt's automatic queued connections, reach GUI-thread receivers on the GUI thread; a worker never
touches a widget. An exception raised by the callable is caught and emitted on ``errored``.

:class:`TaskRunner` runs at most one *latest* task per key (e.g. ``"load"``): submitting a new
task for a key cancels the previous one, and results of superseded requests are dropped, so a
slow, stale load can never overwrite a newer one.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from models.errors import CropStudioError

__all__ = ["TaskRunner", "Worker", "WorkerSignals"]

log = logging.getLogger(__name__)

_request_ids = itertools.count(1)


def _accepted_hooks(fn: Callable[..., Any]) -> tuple[bool, bool]:
    """Whether ``fn`` accepts the ``progress`` and ``is_cancelled`` keywords."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):  # some builtins have no signature
        return False, False
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return True, True
    by_keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)

    def accepts(name: str) -> bool:
        return name in params and params[name].kind in by_keyword

    return accepts("progress"), accepts("is_cancelled")


class WorkerSignals(QObject):
    """The signals of one :class:`Worker` (a QRunnable cannot carry signals itself)."""

    started = Signal()
    progress = Signal(int, int)  # done, total
    returned = Signal(object)  # the callable's result
    errored = Signal(object)  # the exception it raised
    finished = Signal()  # always last, whatever the outcome


class Worker(QRunnable):
    """Run ``fn(*args, **kwargs)`` in a thread pool and report through :attr:`signals`.

    A cancelled worker emits neither ``returned`` nor ``errored``, only ``finished``.
    Keep a reference to the worker until ``finished`` (``TaskRunner`` does this for you).
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        super().__init__()
        self.setAutoDelete(False)  # Python owns the object; the pool must not delete it
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.request_id: int = next(_request_ids)
        self.signals = WorkerSignals()
        self._cancelled = threading.Event()
        wants_progress, wants_cancel = _accepted_hooks(fn)
        if wants_progress:
            self.kwargs.setdefault("progress", self._report_progress)
        if wants_cancel:
            self.kwargs.setdefault("is_cancelled", self.is_cancelled)

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        return f"<Worker #{self.request_id} {name}{' cancelled' if self.is_cancelled() else ''}>"

    def cancel(self) -> None:
        """Ask the callable to stop (cooperative) and drop its result; thread-safe."""
        self._cancelled.set()

    def is_cancelled(self) -> bool:
        return self._cancelled.is_set()

    def _report_progress(self, done: int, total: int) -> None:
        if not self.is_cancelled():
            self.signals.progress.emit(int(done), int(total))

    def run(self) -> None:  # runs on a pool thread
        signals = self.signals
        try:
            if self.is_cancelled():
                return
            signals.started.emit()
            try:
                result = self.fn(*self.args, **self.kwargs)
            except Exception as exc:  # noqa: BLE001 - every failure goes to `errored`
                if isinstance(exc, CropStudioError):
                    log.info("%r failed: %s", self, exc)
                else:
                    log.exception("%r raised an unexpected error", self)
                if not self.is_cancelled():
                    signals.errored.emit(exc)
            else:
                if not self.is_cancelled():
                    signals.returned.emit(result)
        finally:
            signals.finished.emit()


class TaskRunner(QObject):
    """Run one latest task per key on its own thread pool; drop stale results.

    Signals carry the task's key first. They are emitted on the thread that owns the runner
    (the GUI thread) and only for the newest request of each key that was not cancelled;
    ``finished(key)`` follows ``returned``/``errored`` at once, and ``is_busy(key)`` is already
    ``False`` when they are emitted.
    """

    started = Signal(str)
    progress = Signal(str, int, int)
    returned = Signal(str, object)
    errored = Signal(str, object)
    finished = Signal(str)

    def __init__(self, parent: QObject | None = None, *, max_threads: int | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        if max_threads is not None:
            self._pool.setMaxThreadCount(max_threads)
        self._latest: dict[str, Worker] = {}  # key -> newest worker
        self._alive: dict[WorkerSignals, tuple[str, Worker]] = {}  # keeps workers alive until finished

    # -- public API -----------------------------------------------------------------
    def submit(self, key: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker:
        """Run ``fn(*args, **kwargs)`` as the latest task of ``key``; cancels the previous one."""
        self.cancel(key)
        worker = Worker(fn, *args, **kwargs)
        signals = worker.signals
        signals.started.connect(self._on_started)
        signals.progress.connect(self._on_progress)
        signals.returned.connect(self._on_returned)
        signals.errored.connect(self._on_errored)
        signals.finished.connect(self._on_finished)
        self._latest[key] = worker
        self._alive[signals] = (key, worker)
        log.debug("submit %s %r", key, worker)
        self._pool.start(worker)
        return worker

    def cancel(self, key: str) -> None:
        """Cancel the running task of ``key``, if any; its results will not be emitted."""
        worker = self._latest.pop(key, None)
        if worker is None:
            return
        worker.cancel()
        if self._pool.tryTake(worker):  # never started: it will never emit `finished`
            self._alive.pop(worker.signals, None)

    def cancel_all(self) -> None:
        for key in list(self._latest):
            self.cancel(key)

    def is_busy(self, key: str | None = None) -> bool:
        """Whether ``key`` (or any key) has a task that has not finished yet."""
        return key in self._latest if key is not None else bool(self._latest)

    def wait(self, msecs: int = -1) -> bool:
        """Block until every task finished (``-1``: no time limit); ``False`` on time-out."""
        return self._pool.waitForDone(msecs)

    def shutdown(self, msecs: int = 3000) -> bool:
        """Cancel everything and wait (briefly) for running tasks to stop."""
        self.cancel_all()
        self._pool.clear()
        return self.wait(msecs)

    # -- relays (GUI thread) ------------------------------------------------------------
    def _current_key(self) -> str | None:
        """The key of the sending worker if it is still the latest of its key, else None."""
        entry = self._alive.get(self.sender())  # type: ignore[arg-type]
        if entry is None:
            return None
        key, worker = entry
        if self._latest.get(key) is not worker or worker.is_cancelled():
            return None
        return key

    @Slot()
    def _on_started(self) -> None:
        if (key := self._current_key()) is not None:
            self.started.emit(key)

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if (key := self._current_key()) is not None:
            self.progress.emit(key, done, total)

    @Slot(object)
    def _on_returned(self, result: object) -> None:
        if (key := self._current_key()) is not None:
            del self._latest[key]  # done: not busy any more when receivers see the result
            self.returned.emit(key, result)
            self.finished.emit(key)

    @Slot(object)
    def _on_errored(self, exc: object) -> None:
        if (key := self._current_key()) is not None:
            del self._latest[key]
            self.errored.emit(key, exc)
            self.finished.emit(key)

    @Slot()
    def _on_finished(self) -> None:
        key = self._current_key()  # still current only if it neither returned nor raised
        self._alive.pop(self.sender(), None)  # type: ignore[arg-type]
        if key is not None:
            del self._latest[key]
            self.finished.emit(key)
