"""Run engine calls off the GUI thread.

:class:`Worker` wraps a plain callable in a :class:`~PySide6.QtCore.QRunnable`. The callable
never sees Qt: when its signature accepts them, it is given two keyword hooks,

* ``progress(done: int, total: int)`` to report progress, and
* ``is_cancelled() -> bool`` to poll for cooperative cancellation,

and its outcome is reported through :class:`WorkerSignals` (``started``, ``progress``,
``returned``, ``errored``, ``finished``). Signals are emitted from the pool thread and, through
Qt's automatic queued connections, reach GUI-thread receivers on the GUI thread; a worker never
touches a widget. An exception raised by the callable is caught and emitted on ``errored``.

:class:`TaskRunner` runs at most one *latest* task per key: submitting a new task for a key
cancels the previous one, and results of superseded requests are dropped, so a slow, stale
load can never overwrite a newer one. Features submit through their own :class:`Task` (one
latest run) or :class:`ItemTask` (one latest run per item), whose typed signals only carry
their own results: there is no broadcast that every feature filters by key.
"""

from __future__ import annotations

import inspect
import itertools
import logging
import threading
from functools import partial
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot

from models.errors import CropStudioError

__all__ = ["ItemTask", "Task", "TaskRunner", "Worker", "WorkerSignals"]

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
    """A thread pool that runs one latest task per key and drops stale results.

    The runner has no result signals of its own: each feature submits through its own
    :class:`Task` (or :class:`ItemTask`), whose signals carry only that feature's results, typed
    by the feature (a subclass redeclares ``returned`` with its result dataclass). Submitting a
    new task for a key cancels the previous one; results of cancelled or superseded requests
    are never emitted. A task's ``finished`` follows ``returned``/``errored`` at once, and
    ``is_busy`` is already ``False`` when they are emitted. ``idle`` says that the last task
    running has finished (a caller waiting for queued writes to land listens to it).
    """

    idle = Signal()

    def __init__(self, parent: QObject | None = None, *, max_threads: int | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        if max_threads is not None:
            self._pool.setMaxThreadCount(max_threads)
        self._latest: dict[str, Worker] = {}  # key -> newest worker
        self._alive: dict[WorkerSignals, tuple[str, Worker, _Deliver]] = {}  # kept alive until finished
        self._names: set[str] = set()  # of the tasks on this runner

    def claim(self, name: str) -> str:
        """Reserve a task's ``name`` on this runner (ValueError when another task has it: the
        two would cancel each other's runs)."""
        if not name or name in self._names or any(c in name for c in ":#"):
            raise ValueError(f"task name {name!r} is empty, taken on this runner, or has ':' or '#'")
        self._names.add(name)
        return name

    # -- public API -----------------------------------------------------------------
    def run(self, key: str, deliver: _Deliver, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker:
        """Run ``fn(*args, **kwargs)`` as the latest task of ``key`` (cancelling the previous one);
        its current outcomes go to ``deliver(kind, *values)``. Features call this through a Task."""
        self.cancel(key)
        worker = Worker(fn, *args, **kwargs)
        signals = worker.signals
        signals.started.connect(self._on_started)
        signals.progress.connect(self._on_progress)
        signals.returned.connect(self._on_returned)
        signals.errored.connect(self._on_errored)
        signals.finished.connect(self._on_finished)
        self._latest[key] = worker
        self._alive[signals] = (key, worker, deliver)
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

    def busy_keys(self) -> list[str]:
        return list(self._latest)

    def wait(self, msecs: int = -1) -> bool:
        """Block until every task finished (``-1``: no time limit); ``False`` on time-out."""
        return self._pool.waitForDone(msecs)

    def shutdown(self, msecs: int = 3000) -> bool:
        """Cancel everything and wait (briefly) for running tasks to stop."""
        self.cancel_all()
        self._pool.clear()
        return self.wait(msecs)

    # -- relays (GUI thread) ------------------------------------------------------------
    def _current(self) -> tuple[str, _Deliver] | None:
        """The key and receiver of the sending worker if it is still the latest of its key."""
        entry = self._alive.get(self.sender())  # type: ignore[arg-type]
        if entry is None:
            return None
        key, worker, deliver = entry
        if self._latest.get(key) is not worker or worker.is_cancelled():
            return None
        return key, deliver

    @Slot()
    def _on_started(self) -> None:
        if (current := self._current()) is not None:
            current[1]("started")

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if (current := self._current()) is not None:
            current[1]("progress", done, total)

    @Slot(object)
    def _on_returned(self, result: object) -> None:
        self._settle("returned", result)

    @Slot(object)
    def _on_errored(self, exc: object) -> None:
        self._settle("errored", exc)

    def _settle(self, kind: str, value: object) -> None:
        if (current := self._current()) is not None:
            key, deliver = current
            del self._latest[key]  # done: not busy any more when receivers see the outcome
            deliver(kind, value)
            deliver("finished")
            self._idle_check()

    @Slot()
    def _on_finished(self) -> None:
        current = self._current()  # still current only if it neither returned nor raised
        self._alive.pop(self.sender(), None)  # type: ignore[arg-type]
        if current is not None:
            del self._latest[current[0]]
            current[1]("finished")
            self._idle_check()

    def _idle_check(self) -> None:
        if not self._latest:
            self.idle.emit()


_Deliver = Callable[..., None]  # (kind, *values): "started", "progress", "returned", "errored", "finished"


class Task(QObject):
    """One kind of work of one feature on a :class:`TaskRunner`: the latest submission wins.

    Its signals carry only its own results. A feature declares a subclass whose ``returned``
    names its result type, e.g. ``class ComputeTask(Task): returned = Signal(CropSetResult)``.
    """

    started = Signal()
    progress = Signal(int, int)  # done, total
    returned = Signal(object)  # the result (a subclass names its type)
    errored = Signal(object)  # the exception raised
    finished = Signal()  # always last, after returned or errored (or a cancel that ran)

    def __init__(self, runner: TaskRunner, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else runner)
        self.runner, self.name = runner, runner.claim(name)

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker:
        """Run ``fn(*args, **kwargs)``, cancelling this task's previous run."""
        return self.runner.run(self.name, self._deliver, fn, *args, **kwargs)

    def cancel(self) -> None:
        self.runner.cancel(self.name)

    def is_busy(self) -> bool:
        return self.runner.is_busy(self.name)

    def _deliver(self, kind: str, *values: object) -> None:
        getattr(self, kind).emit(*values)


class ItemTask(QObject):
    """One kind of work done per item (an image path, say): the latest submission per item wins,
    and every signal says which item it is about first."""

    started = Signal(object)
    progress = Signal(object, int, int)  # item, done, total
    returned = Signal(object, object)  # item, result
    errored = Signal(object, object)  # item, exception
    finished = Signal(object)

    def __init__(self, runner: TaskRunner, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent if parent is not None else runner)
        self.runner, self.name = runner, runner.claim(name)

    def _key(self, item: object) -> str:
        return f"{self.name}:{item}"

    def submit(self, item: object, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker:
        """Run ``fn(*args, **kwargs)`` for ``item``, cancelling ``item``'s previous run."""
        return self.runner.run(self._key(item), partial(self._deliver, item), fn, *args, **kwargs)

    def queue(self, item: object, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker:
        """Run ``fn(*args, **kwargs)`` for ``item`` without cancelling anything (each write counts)."""
        key = f"{self.name}#{next(_request_ids)}:{item}"
        return self.runner.run(key, partial(self._deliver, item), fn, *args, **kwargs)

    def cancel(self, item: object) -> None:
        self.runner.cancel(self._key(item))

    def is_busy(self, item: object | None = None) -> bool:
        """Whether ``item`` (or any item) has a submitted run that has not finished."""
        if item is not None:
            return self.runner.is_busy(self._key(item))
        return any(k.startswith((self.name + ":", self.name + "#")) for k in self.runner.busy_keys())

    def _deliver(self, item: object, kind: str, *values: object) -> None:
        getattr(self, kind).emit(item, *values)
