"""Where samples are made: this process, a local process pool, or a Ray cluster.

An engine maps a picklable function over jobs and yields the results as they finish (in
any order). It polls ``stop`` before starting more work; when it returns true, the work
already started is finished and yielded, then the engine returns. Results always come
back to the calling process, which writes them (one writer: the journal stays consistent).

``ray``: ``ray.init(address=...)`` to join a cluster (every node must be able to import
``models`` and read the source folder at the same path); without an address a local
instance is started with ``workers`` CPUs and shut down at the end. When Ray is already
initialised (a test, a notebook), that instance is used and left running.
"""

from __future__ import annotations

import importlib.util
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Protocol, TypeVar

from models.errors import InvalidInputError

__all__ = ["ENGINES", "Engine", "LocalEngine", "RayEngine", "make_engine"]

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")
ENGINES = ("local", "ray")


class Engine(Protocol):
    def map(self, fn: Callable[[J], R], jobs: Iterator[J], stop: Callable[[], bool]) -> Iterator[R]: ...


def _init_worker(level: int) -> None:
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    import cv2

    cv2.setNumThreads(1)  # one core per worker


@dataclass(frozen=True, slots=True)
class LocalEngine:
    """``workers == 1``: in this process; more: a pool of spawned processes."""

    workers: int = 1

    def map(self, fn: Callable[[J], R], jobs: Iterator[J], stop: Callable[[], bool]) -> Iterator[R]:
        if self.workers == 1:
            for job in jobs:
                if stop():
                    return
                yield fn(job)
            return
        context = multiprocessing.get_context("spawn")  # no fork: OpenCV threads do not survive it
        level = logging.getLogger().getEffectiveLevel()
        with ProcessPoolExecutor(self.workers, mp_context=context, initializer=_init_worker, initargs=(level,)) as pool:
            pending: set[Future] = set()
            jobs = iter(jobs)
            while True:
                if not stop():
                    for job in islice(jobs, 2 * self.workers - len(pending)):
                        pending.add(pool.submit(fn, job))
                if not pending:
                    return
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for f in done:
                    yield f.result()


def _run_chunk(fn: Callable, jobs: Sequence) -> list:
    return [fn(job) for job in jobs]


@dataclass(frozen=True, slots=True)
class RayEngine:
    """Chunks of ``chunk`` jobs per Ray task, at most ``2 x cluster CPUs`` tasks in flight."""

    address: str | None = None
    workers: int = 1
    chunk: int = 4

    def _ray(self):
        try:
            import ray
        except ImportError:
            raise InvalidInputError("the ray engine needs Ray: pip install 'ray>=2.9'") from None
        return ray

    def map(self, fn: Callable[[J], R], jobs: Iterator[J], stop: Callable[[], bool]) -> Iterator[R]:
        ray = self._ray()
        started = False
        if not ray.is_initialized():
            root = str(Path(__file__).resolve().parents[2])  # so local workers import `models`
            env = {"env_vars": {"PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}}
            if self.address:
                ray.init(address=self.address, runtime_env=env, log_to_driver=False)
            else:
                ray.init(num_cpus=self.workers, include_dashboard=False, runtime_env=env, log_to_driver=False)
            started = True
        try:
            task = ray.remote(num_cpus=1)(_run_chunk)
            fn_ref = ray.put(fn)
            limit = max(2, 2 * int(ray.cluster_resources().get("CPU", 1)))
            jobs = iter(jobs)
            pending: list = []
            while True:
                while not stop() and len(pending) < limit:
                    chunk = list(islice(jobs, self.chunk))
                    if not chunk:
                        break
                    pending.append(task.remote(fn_ref, chunk))
                if not pending:
                    return
                done, pending = ray.wait(pending, num_returns=1)
                for ref in done:
                    yield from ray.get(ref)
        finally:
            if started:
                ray.shutdown()


def make_engine(name: str, *, workers: int = 1, address: str | None = None) -> Engine:
    if name == "local":
        if address:
            raise InvalidInputError("--address is for the ray engine; the local engine runs on this machine")
        return LocalEngine(workers)
    if name == "ray":
        if importlib.util.find_spec("ray") is None:
            raise InvalidInputError("the ray engine needs Ray: pip install 'ray>=2.9'")
        return RayEngine(address, workers)
    raise InvalidInputError(f"unknown engine {name!r}; choose one of {', '.join(ENGINES)}")
