"""Executors: in-process, a local process pool that survives a dying worker; tasks that
store their own results (what a Ray worker runs)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from qa_toolkit.batch.executors import (
    InlineExecutor,
    LocalExecutor,
    WorkerDied,
    make_executor,
    threads_per_worker,
)
from qa_toolkit.batch.remote import (
    StoredAnalyse,
    StoredTranscribe,
    analyse_and_store,
    transcribe_and_store,
)
from qa_toolkit.batch.tasks import AnalyseTask, AsrSettings, RubricSource, TranscribeTask
from qa_toolkit.errors import UsageError
from qa_toolkit.io.discover import CallInput
from qa_toolkit.io.metadata import CallMetadata
from qa_toolkit.store import CallRecord, Store

from .batch_helpers import RUBRIC, make_day


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


def test_executor_remote_tasks_store_their_results_or_say_why_not(tmp_path: Path) -> None:
    make_day(tmp_path / "day", 1)
    call = CallInput("c000", path=tmp_path / "day" / "c000.txt")
    record = CallRecord("c000", "hash-c000", "text", (str(call.path),), CallMetadata("c000"))
    where = str(tmp_path / "qa.db")
    with Store(where) as store:
        store.save_call("run-1", record)
    job = StoredTranscribe(TranscribeTask(call, AsrSettings(), redact=True), where, "run-1",
                           "t-key", record, {"stage": "read-text"})  # fmt: skip
    heard = transcribe_and_store(job)
    assert heard.ok and heard.stored and heard.transcript is not None
    keys = {"transcript": "t-key", "features": "f-key", "score": "s-key"}
    producers = {"features": {}, "score": {}, "rubric_hash": "r"}
    scoring = AnalyseTask("c000", heard.transcript, (), RubricSource.from_path(RUBRIC), False)
    scored = analyse_and_store(StoredAnalyse(scoring, where, "run-1", keys, producers))
    assert scored.ok and scored.stored and scored.score is not None
    with Store(where) as store:
        assert store.transcript("c000") == heard.transcript
        assert store.score_brief("s-key")[0] == scored.score.score
    # A worker that cannot reach the store says so, and does not start a store of its own.
    gone = str(tmp_path / "not-shared" / "qa.db")
    lost = transcribe_and_store(StoredTranscribe(job.task, gone, "run-1", "t-key", record))
    assert lost.error_type == "StoreError" and not lost.stored
    assert "could not write the store" in lost.reason and "no such store" in lost.reason
    assert not (tmp_path / "not-shared").exists()
