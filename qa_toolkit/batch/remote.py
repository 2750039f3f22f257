"""Tasks that store their own results: for workers on other machines (Ray).

On a cluster the driver should not be the one funnel every transcript and score goes through:
each worker opens the store from its location (a PostgreSQL URL, or a file on a shared disk),
writes the call's result in one transaction, and returns it to the driver for its progress and
summary. A worker opens the store per task and closes it after: a store holds one connection,
and a Ray worker may run its tasks on different threads.

A worker that cannot write the store returns a result with ``error_type`` ``StoreError``; the
driver stops the batch on it, as it does when it cannot write itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from qa_toolkit.batch.tasks import (
    AnalyseTask,
    TaskResult,
    TranscribeTask,
    analyse_task,
    transcribe_task,
)
from qa_toolkit.errors import StoreError
from qa_toolkit.scoring.types import ScoreTerms
from qa_toolkit.store.store import CallRecord

if TYPE_CHECKING:
    from qa_toolkit.store import Store

STORE_ERROR = "StoreError"


@dataclass(frozen=True, slots=True)
class StoredTranscribe:
    """A transcription task and where its worker stores the transcript."""

    task: TranscribeTask
    location: str
    run_id: str
    transcript_key: str
    record: CallRecord
    producer: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredAnalyse:
    """A scoring task and where its worker stores the features and score."""

    task: AnalyseTask
    location: str
    run_id: str
    keys: Mapping[str, str]
    producers: Mapping[str, Any]
    terms: ScoreTerms | None = None


def transcribe_and_store(job: StoredTranscribe) -> TaskResult:
    """Transcribe a call and store its transcript from the worker; never raises."""
    result = transcribe_task(job.task)
    if not result.ok or result.transcript is None:
        return result
    transcript = result.transcript
    try:
        with _open(job.location) as store:
            store.save_transcript(job.run_id, job.transcript_key, job.record, transcript,
                                  producer=job.producer, redaction=result.redaction)  # fmt: skip
    except StoreError as error:
        return _store_failed(result, error)
    return replace(result, stored=True)


def analyse_and_store(job: StoredAnalyse) -> TaskResult:
    """Score a call and store its features and score from the worker; never raises."""
    result = analyse_task(job.task)
    if not result.ok or result.score is None:
        return result
    try:
        with _open(job.location) as store:
            store.save_score(job.run_id, job.keys, job.task.call_id, result.score,
                             features=result.features, producers=job.producers,
                             terms=job.terms)  # fmt: skip
    except StoreError as error:
        return _store_failed(result, error)
    return replace(result, stored=True)


def _open(location: str) -> Store:
    from qa_toolkit.store import Store

    # create=False: a worker that cannot see the driver's store must not start a new one.
    return Store(location, create=False)


def _store_failed(result: TaskResult, error: StoreError) -> TaskResult:
    where = result.worker or "a worker"
    return replace(result, error_type=STORE_ERROR,
                   reason=f"{where} could not write the store: {error}")  # fmt: skip
