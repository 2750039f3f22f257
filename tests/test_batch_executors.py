"""Executors: in-process, a local process pool that survives a dying worker."""

from __future__ import annotations

import os

import pytest

from qa_toolkit.batch.executors import (
    InlineExecutor,
    LocalExecutor,
    WorkerDied,
    make_executor,
    threads_per_worker,
)
from qa_toolkit.errors import UsageError


def _double_or_die(n: int) -> int:
    if n == 3:
        os._exit(7)  # a worker killed mid-task (out of memory, a crash in native code)
    return n * 2


def test_executor_inline_runs_in_order() -> None:
    with InlineExecutor() as executor:
        assert list(executor.map(lambda n: n + 1, [1, 2, 3])) == [(0, 2), (1, 3), (2, 4)]


def test_executor_local_pool_isolates_the_task_that_kills_its_worker() -> None:
    with LocalExecutor(2) as executor:
        results = dict(executor.map(_double_or_die, list(range(8))))
    assert sorted(results) == list(range(8))
    assert isinstance(results[3], WorkerDied)
    assert {n: r for n, r in results.items() if n != 3} == {n: n * 2 for n in range(8) if n != 3}


def test_executor_choice_and_threads() -> None:
    assert isinstance(make_executor("local", 1), InlineExecutor)
    assert threads_per_worker(1) >= 1 and threads_per_worker(10_000) == 1
    with pytest.raises(UsageError, match="unknown executor 'dask'"):
        make_executor("dask", 2)
    with pytest.raises(UsageError, match="--address is for --executor ray"):
        make_executor("local", 2, address="ray://head:10001")
