"""Worker and TaskRunner: signals, hooks, cancellation, stale-result dropping."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThreadPool

from app.common.workers import TaskRunner, Worker
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


# -- TaskRunner ----------------------------------------------------------------------


@pytest.fixture
def runner(qtbot):
    runner = TaskRunner()
    yield runner
    runner.shutdown(TIMEOUT_MS)


def test_runner_relays_with_key(qtbot, runner):
    events = []
    runner.started.connect(lambda key: events.append(("started", key)))
    runner.returned.connect(lambda key, value: events.append(("returned", key, value, runner.is_busy(key))))
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS) as blocker:
        runner.submit("sum", add, 20, 22)
        assert runner.is_busy("sum") and runner.is_busy()
    assert blocker.args == ["sum"]
    assert events == [("started", "sum"), ("returned", "sum", 42, False)]
    assert not runner.is_busy("sum")


def test_runner_relays_errors(qtbot, runner):
    with qtbot.waitSignal(runner.errored, timeout=TIMEOUT_MS) as blocker:
        runner.submit("load", lambda: {}["missing"])
    key, exc = blocker.args
    assert key == "load" and isinstance(exc, KeyError)


def test_runner_drops_stale_results(qtbot, runner):
    release = threading.Event()

    def slow(value, *, is_cancelled):  # ignores cancellation until released: a stubborn task
        release.wait(TIMEOUT_MS / 1000)
        return value

    results = []
    runner.returned.connect(lambda key, value: results.append((key, value)))
    first = runner.submit("load", slow, "first")
    assert runner.is_busy("load")
    with qtbot.waitSignal(runner.returned, timeout=TIMEOUT_MS):
        runner.submit("load", add, "sec", "ond")
    assert first.is_cancelled()
    release.set()
    assert runner.wait(TIMEOUT_MS)
    qtbot.wait(20)  # deliver the stale result's queued signals, if any were (wrongly) relayed
    assert results == [("load", "second")]
    assert not runner.is_busy("load")


def test_runner_keys_are_independent(qtbot, runner):
    results = {}
    runner.returned.connect(lambda key, value: results.__setitem__(key, value))
    runner.submit("a", add, 1, 1)
    runner.submit("b", add, 2, 2)
    qtbot.waitUntil(lambda: not runner.is_busy(), timeout=TIMEOUT_MS)
    assert results == {"a": 2, "b": 4}


def test_runner_cancel(qtbot, runner):
    release = threading.Event()
    worker = runner.submit("job", lambda: release.wait(TIMEOUT_MS / 1000))
    emitted = []
    runner.returned.connect(lambda *a: emitted.append(a))
    runner.finished.connect(lambda *a: emitted.append(a))
    runner.cancel("job")
    assert not runner.is_busy()
    release.set()
    assert runner.wait(TIMEOUT_MS)
    qtbot.wait(20)
    assert worker.is_cancelled()
    assert emitted == []


def test_runner_relays_progress(qtbot, runner):
    def count(n, progress):
        for i in range(n):
            progress(i + 1, n)
        return n

    steps = []
    runner.progress.connect(lambda key, done, total: steps.append((key, done, total)))
    with qtbot.waitSignal(runner.finished, timeout=TIMEOUT_MS):
        runner.submit("count", count, 2)
    assert steps == [("count", 1, 2), ("count", 2, 2)]
