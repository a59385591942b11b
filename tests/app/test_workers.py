"""Worker, TaskRunner and the features' typed tasks: signals, hooks, cancellation, stale-result dropping."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest
from PySide6.QtCore import QThreadPool, Signal

from app.common.workers import ItemTask, Task, TaskRunner, Worker
from models.errors import ImageReadError

TIMEOUT_MS = 5000


@pytest.fixture
def pool(qtbot):
    pool = QThreadPool()
    yield pool
    pool.waitForDone(TIMEOUT_MS)


def add(a, b):
    return a + b


def test_returned_and_finished(qtbot, pool):
    worker = Worker(add, 2, b=3)
    events = []
    worker.signals.started.connect(lambda: events.append("started"))
    worker.signals.returned.connect(lambda value: events.append(("returned", value)))
    worker.signals.errored.connect(lambda exc: events.append(("errored", exc)))
    with qtbot.waitSignal(worker.signals.finished, timeout=TIMEOUT_MS):
        pool.start(worker)
    assert events == ["started", ("returned", 5)]


def test_fn_runs_in_the_pool_and_slots_on_the_gui_thread(qtbot, pool):
    worker = Worker(lambda: threading.get_ident())
    seen = []
    worker.signals.returned.connect(lambda fn_ident: seen.append((fn_ident, threading.get_ident())))
    with qtbot.waitSignal(worker.signals.finished, timeout=TIMEOUT_MS):
        pool.start(worker)
    ((fn_ident, slot_ident),) = seen
    assert fn_ident != threading.main_thread().ident
    assert slot_ident == threading.main_thread().ident


def test_exception_goes_to_errored(qtbot, pool):
    def boom():
        raise ImageReadError("cannot read x.jpg: not an image")

    worker = Worker(boom)
    returned = []
    worker.signals.returned.connect(returned.append)
    with qtbot.waitSignal(worker.signals.errored, timeout=TIMEOUT_MS) as blocker:
        pool.start(worker)
    pool.waitForDone(TIMEOUT_MS)
    qtbot.wait(10)
    (exc,) = blocker.args
    assert isinstance(exc, ImageReadError)
    assert "not an image" in str(exc)
    assert returned == []


def test_unexpected_exception_goes_to_errored(qtbot, pool):
    worker = Worker(lambda: 1 / 0)
    with qtbot.waitSignal(worker.signals.errored, timeout=TIMEOUT_MS) as blocker:
        pool.start(worker)
    assert isinstance(blocker.args[0], ZeroDivisionError)


def test_progress_hook(qtbot, pool):
    def count(n, *, progress):
        for i in range(1, n + 1):
            progress(i, n)
        return n

    worker = Worker(count, 3)
    steps = []
    worker.signals.progress.connect(lambda done, total: steps.append((done, total)))
    with qtbot.waitSignal(worker.signals.finished, timeout=TIMEOUT_MS):
        pool.start(worker)
    assert steps == [(1, 3), (2, 3), (3, 3)]


def test_hooks_only_passed_when_accepted(qtbot, pool):
    def plain(**kwargs):
        return sorted(kwargs)

    def strict(x):
        return x

    w1, w2 = Worker(plain), Worker(strict, 7)
    results = []
    w1.signals.returned.connect(results.append)
    w2.signals.returned.connect(results.append)
    with qtbot.waitSignals([w1.signals.finished, w2.signals.finished], timeout=TIMEOUT_MS):
        pool.start(w1)
        pool.start(w2)
    assert sorted(results, key=str) == [7, ["is_cancelled", "progress"]]


def test_cancel_is_cooperative_and_drops_the_result(qtbot, pool):
    entered = threading.Event()

    def spin(*, is_cancelled):
        entered.set()
        while not is_cancelled():
            time.sleep(0.005)
        return "stopped"

    worker = Worker(spin)
    returned = []
    worker.signals.returned.connect(returned.append)
    with qtbot.waitSignal(worker.signals.finished, timeout=TIMEOUT_MS):
        pool.start(worker)
        assert entered.wait(TIMEOUT_MS / 1000)
        worker.cancel()
    assert worker.is_cancelled()
    assert returned == []


def test_request_ids_increase():
    a, b = Worker(add, 1, 2), Worker(add, 1, 2)
    assert b.request_id > a.request_id


# -- TaskRunner, Task, ItemTask --------------------------------------------------------------


@pytest.fixture
def runner(qtbot):
    runner = TaskRunner()
    yield runner
    runner.shutdown(TIMEOUT_MS)


@dataclass(frozen=True)
class Sum:
    value: int


class SumTask(Task):
    returned = Signal(Sum)


def test_a_task_relays_its_own_typed_result(qtbot, runner):
    task = SumTask(runner, "sum")
    events = []
    task.started.connect(lambda: events.append("started"))
    task.returned.connect(lambda value: events.append(("returned", value, task.is_busy())))
    with qtbot.waitSignal(task.finished, timeout=TIMEOUT_MS):
        task.submit(lambda a, b: Sum(a + b), 20, 22)
        assert task.is_busy() and runner.is_busy()
    assert events == ["started", ("returned", Sum(42), False)]
    assert not task.is_busy()


def test_a_task_relays_errors(qtbot, runner):
    task = Task(runner, "load")
    with qtbot.waitSignal(task.errored, timeout=TIMEOUT_MS) as blocker:
        task.submit(lambda: {}["missing"])
    (exc,) = blocker.args
    assert isinstance(exc, KeyError)


def test_a_task_drops_stale_results(qtbot, runner):
    release = threading.Event()

    def slow(value, *, is_cancelled):  # ignores cancellation until released: a stubborn task
        release.wait(TIMEOUT_MS / 1000)
        return value

    task = Task(runner, "load")
    results = []
    task.returned.connect(results.append)
    first = task.submit(slow, "first")
    assert task.is_busy()
    with qtbot.waitSignal(task.returned, timeout=TIMEOUT_MS):
        task.submit(add, "sec", "ond")
    assert first.is_cancelled()
    release.set()
    assert runner.wait(TIMEOUT_MS)
    qtbot.wait(20)  # deliver the stale result's queued signals, if any were (wrongly) relayed
    assert results == ["second"]
    assert not task.is_busy()


def test_tasks_only_hear_their_own_results(qtbot, runner):
    a, b = Task(runner, "a"), Task(runner, "b")
    heard = {"a": [], "b": []}
    a.returned.connect(heard["a"].append)
    b.returned.connect(heard["b"].append)
    a.submit(add, 1, 1)
    b.submit(add, 2, 2)
    qtbot.waitUntil(lambda: not runner.is_busy(), timeout=TIMEOUT_MS)
    assert heard == {"a": [2], "b": [4]}


def test_a_task_cancel(qtbot, runner):
    release = threading.Event()
    task = Task(runner, "job")
    worker = task.submit(lambda: release.wait(TIMEOUT_MS / 1000))
    emitted = []
    task.returned.connect(lambda *a: emitted.append(a))
    task.finished.connect(lambda *a: emitted.append(a))
    task.cancel()
    assert not task.is_busy() and not runner.is_busy()
    release.set()
    assert runner.wait(TIMEOUT_MS)
    qtbot.wait(20)
    assert worker.is_cancelled()
    assert emitted == []


def test_a_task_relays_progress(qtbot, runner):
    def count(n, progress):
        for i in range(n):
            progress(i + 1, n)
        return n

    task = Task(runner, "count")
    steps = []
    task.progress.connect(lambda done, total: steps.append((done, total)))
    with qtbot.waitSignal(task.finished, timeout=TIMEOUT_MS):
        task.submit(count, 2)
    assert steps == [(1, 2), (2, 2)]


def test_an_item_task_keeps_one_latest_run_per_item(qtbot, runner):
    release = threading.Event()

    def slow(value, *, is_cancelled):
        release.wait(TIMEOUT_MS / 1000)
        return value

    reads = ItemTask(runner, "read")
    results = []
    reads.returned.connect(lambda item, value: results.append((item, value)))
    stale = reads.submit("a.jpg", slow, "old")
    reads.submit("a.jpg", add, "n", "ew")
    reads.submit("b.jpg", add, 1, 2)
    assert stale.is_cancelled() and reads.is_busy("a.jpg") and reads.is_busy()
    release.set()
    qtbot.waitUntil(lambda: not runner.is_busy(), timeout=TIMEOUT_MS)
    qtbot.wait(20)
    assert sorted(results, key=str) == [("a.jpg", "new"), ("b.jpg", 3)]
    assert not reads.is_busy()


def test_an_item_task_queue_never_supersedes_and_the_runner_says_when_idle(qtbot, runner):
    writes = ItemTask(TaskRunner(max_threads=1), "write")
    done, errors = [], []
    writes.returned.connect(lambda item, value: done.append((item, value)))
    writes.errored.connect(lambda item, exc: errors.append((item, type(exc))))
    with qtbot.waitSignal(writes.runner.idle, timeout=TIMEOUT_MS):
        for value in (1, 2, 3):
            writes.queue("a.jpg", add, value, 0)
        writes.queue("b.jpg", lambda: {}["missing"])
    assert done == [("a.jpg", 1), ("a.jpg", 2), ("a.jpg", 3)] and errors == [("b.jpg", KeyError)]
    assert writes.runner.shutdown(TIMEOUT_MS)


def test_a_task_name_is_one_tasks_on_its_runner(runner):
    Task(runner, "load")
    with pytest.raises(ValueError, match="taken"):
        ItemTask(runner, "load")
    with pytest.raises(ValueError, match="has ':'"):
        Task(runner, "read:x")
