"""Where batch tasks run: in this process, in a local process pool, or on a Ray cluster.

Every executor has one method that matters, ``map``: it runs a task function
over a list of tasks and yields ``(index, result)`` as each finishes, in any
order. The task functions of :mod:`qa_toolkit.batch.tasks` never raise, so an
exception here means the worker itself died (killed, out of memory, a crash in
native code); the executor then reruns the tasks that were in flight one at a
time, so only the task that kills its worker is reported failed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Protocol, TypeVar

from qa_toolkit.errors import EngineError, UsageError

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")
EXECUTORS: tuple[str, ...] = ("local", "ray")
# Tasks queued per worker: enough to keep workers busy, few enough that a
# crash or a Ctrl-C loses little and memory stays flat on a large day.
_QUEUE_PER_WORKER = 2
_DIED = "the worker process died on this call (out of memory, killed, or a native crash)"


class WorkerDied(RuntimeError):
    """The process running a task ended without returning (killed, out of memory, crashed)."""


class Executor(Protocol):
    """Runs task functions; see the module docstring."""

    workers: int
    threads: int  # decoding threads a task may use; 0 lets the engine choose
    # Whether tasks store their own results (workers that may be on other machines).
    writes_results: bool

    def map(
        self, fn: Callable[[T], R], tasks: Sequence[T]
    ) -> Iterator[tuple[int, R | BaseException]]: ...

    def close(self) -> None: ...


def make_executor(kind: str, workers: int, *, address: str | None = None) -> Executor:
    """An executor by name.

    Args:
        kind: ``local`` (this machine) or ``ray``.
        workers: worker processes (``local``; 1 runs in this process), or the
            CPUs to start a local Ray with when no cluster is running.
        address: a Ray cluster (``ray://host:10001`` or ``auto``); ``ray`` only.

    Raises:
        UsageError: unknown kind, or an address without ``ray``.
        EngineError: Ray is not installed.
    """
    if kind == "local":
        if address:
            raise UsageError("--address is for --executor ray", fix="add --executor ray")
        return InlineExecutor() if workers <= 1 else LocalExecutor(workers)
    if kind == "ray":
        return RayExecutor(workers, address=address)
    raise UsageError(f"unknown executor '{kind}'", fix=f"choose one of {', '.join(EXECUTORS)}")


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity, which ``taskset`` limits)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def threads_per_worker(workers: int) -> int:
    """Decoding threads for each of ``workers`` processes on the usable cores."""
    return max(1, usable_cores() // max(1, workers))


class _Closing:
    def __enter__(self: Any) -> Any:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (their memory, models included, goes with them)."""


class InlineExecutor(_Closing):
    """Runs tasks one after another in this process (``--workers 1``)."""

    workers = 1
    writes_results = False

    def __init__(self) -> None:
        self.threads = usable_cores()

    def map(
        self, fn: Callable[[T], R], tasks: Sequence[T]
    ) -> Iterator[tuple[int, R | BaseException]]:
        """Run each task here, in order."""
        for index, task in enumerate(tasks):
            yield index, fn(task)


class LocalExecutor(_Closing):
    """A pool of worker processes on this machine; each loads its model once.

    Processes are spawned, not forked: a fork of a process that holds model
    threads can deadlock, and a spawned worker starts with only what it needs.
    """

    writes_results = False

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.threads = threads_per_worker(workers)
        self._pool: ProcessPoolExecutor | None = None

    @property
    def started(self) -> bool:
        """Whether the worker processes are running (and have their imports done)."""
        return self._pool is not None

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            import multiprocessing

            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                self.workers,
                mp_context=context,
                initializer=_init_worker,
                initargs=(self.threads, os.getpid()),
            )
        return self._pool

    def close(self) -> None:
        """Shut the pool down and wait for its workers to exit."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def map(
        self, fn: Callable[[T], R], tasks: Sequence[T]
    ) -> Iterator[tuple[int, R | BaseException]]:
        """Run the tasks on the pool, yielding each result as it comes."""
        pending = deque(range(len(tasks)))
        suspects: deque[int] = deque()
        while pending or suspects:
            if suspects:
                # After a crash, rerun what was in flight alone to find the culprit.
                index = suspects.popleft()
                yield from self._run(fn, tasks, deque([index]), suspects, alone=True)
            else:
                yield from self._run(fn, tasks, pending, suspects, alone=False)

    def _run(
        self,
        fn: Callable[[T], R],
        tasks: Sequence[T],
        queue: deque[int],
        suspects: deque[int],
        *,
        alone: bool,
    ) -> Iterator[tuple[int, R | BaseException]]:
        limit = 1 if alone else self.workers * _QUEUE_PER_WORKER
        running: dict[Future[R], int] = {}
        while queue or running:
            pool = self._get_pool()
            while queue and len(running) < limit:
                index = queue.popleft()
                try:
                    running[pool.submit(fn, tasks[index])] = index
                except BrokenProcessPool:
                    # A worker died since the last wait; this task never started,
                    # so it is not a suspect. The running ones report the crash.
                    queue.appendleft(index)
                    break
            if not running:
                self.close()  # broken with nothing in flight: start a fresh pool
                continue
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index = running.pop(future)
                try:
                    yield index, future.result()
                except BrokenProcessPool:
                    self.close()
                    if alone:
                        yield index, WorkerDied(_DIED)
                    else:
                        suspects.append(index)
                except Exception as error:  # a task that could not be sent or received
                    yield index, error
            if suspects and not alone:
                # The pool is gone: everything still running is suspect too.
                suspects.extend(running.values())
                return


def _init_worker(threads: int, parent: int | None = None) -> None:
    """Limit each worker's math libraries to its share of the cores, and follow the parent.

    A pool worker holds a model (hundreds of MB): when the batch's process is killed outright
    (``kill -9``, the OOM killer), nothing tells the pool to stop, so each worker watches its
    parent and exits when it is gone. (Ray manages its own workers: no ``parent`` there.)
    """
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    if parent is not None:
        watch = threading.Thread(target=_exit_with, args=(parent,), daemon=True)
        watch.start()


def _exit_with(parent: int, every_s: float = 1.0) -> None:
    while os.getppid() == parent:
        time.sleep(every_s)
    os._exit(1)


class RayExecutor(_Closing):
    """Tasks on a Ray cluster, or on a local Ray started for this batch.

    Ray reuses its worker processes between tasks, so each worker loads a model
    once, as with the local pool. The input files must be readable at the same
    paths on every node (a shared disk), and the workers write their results to
    the store themselves (see :mod:`qa_toolkit.batch.remote`), so the store must
    be reachable from every node too (a PostgreSQL URL).
    """

    writes_results = True

    def __init__(self, workers: int, *, address: str | None = None) -> None:
        try:
            import ray
        except ImportError as error:
            raise EngineError(
                "the ray executor needs Ray", fix="pip install 'qa-toolkit[ray]'"
            ) from error
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            options: dict[str, Any] = {"address": address, "log_to_driver": False}
            if address is None:
                # --workers N caps the local Ray at N CPUs; by default it uses them all.
                options.update(num_cpus=workers if workers > 1 else None, include_dashboard=False)
            ray.init(**options)
            self._started = True
        self.workers = max(1, int(ray.cluster_resources().get("CPU", workers)))
        self.threads = 1  # each Ray task asks for one CPU
        self._remote = ray.remote(num_cpus=1, max_retries=0)(_run_task)

    def close(self) -> None:
        """Shut down the Ray instance this executor started (not one it joined)."""
        if self._started:
            self._ray.shutdown()
            self._started = False

    def map(
        self, fn: Callable[[T], R], tasks: Sequence[T]
    ) -> Iterator[tuple[int, R | BaseException]]:
        """Submit the tasks as Ray tasks, a bounded number at a time."""
        ray = self._ray
        pending = deque(range(len(tasks)))
        running: dict[Any, int] = {}
        while pending or running:
            while pending and len(running) < self.workers * _QUEUE_PER_WORKER:
                index = pending.popleft()
                running[self._remote.remote(fn, tasks[index], self.threads)] = index
            ready, _ = ray.wait(list(running), num_returns=1)
            for ref in ready:
                index = running.pop(ref)
                try:
                    yield index, ray.get(ref)
                except ray.exceptions.RayError as error:
                    yield index, WorkerDied(f"the Ray task failed: {_first_line(error)}")


def _run_task(fn: Callable[[Any], Any], task: Any, threads: int) -> Any:
    """A task on a Ray worker, its math libraries limited to the task's one CPU."""
    _init_worker(threads)
    return fn(task)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
