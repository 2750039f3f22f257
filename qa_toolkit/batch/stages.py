"""One run's stages over its calls: claim, transcribe, score, store, as results arrive.

:class:`Run` holds a run's state (its store, options and progress callback) and runs the
two stages of :func:`~qa_toolkit.batch.run.run_batch` (or the second alone for
:func:`~qa_toolkit.batch.run.rescore`) on an executor. Before a call is worked on, the run
claims it in the store (:mod:`qa_toolkit.store.claims`), a few calls at a time as workers
are ready for them, and holds the claim until the call is scored or has failed; a call
another live batch holds is left to it (``claimed_elsewhere``). On an executor whose
workers write their results (Ray), the driver keeps the claims, the bookkeeping and the
progress.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

from qa_toolkit.batch.executors import Executor, InlineExecutor, LocalExecutor, make_executor
from qa_toolkit.batch.remote import (
    STORE_ERROR,
    StoredAnalyse,
    StoredTranscribe,
    analyse_and_store,
    transcribe_and_store,
)
from qa_toolkit.batch.tasks import (
    AnalyseTask,
    AsrSettings,
    RubricSource,
    TaskResult,
    TranscribeTask,
    analyse_task,
    features_identity,
    input_hash,
    redaction_identity,
    redactor,
    release_engines,
    score_identity,
    stage_key,
    text_identity,
    transcribe_task,
)
from qa_toolkit.batch.types import (
    CLAIMED_ELSEWHERE,
    BatchOptions,
    BatchProgress,
    BatchResult,
    CallOutcome,
)
from qa_toolkit.errors import StoreError
from qa_toolkit.io.discover import CallInput
from qa_toolkit.io.metadata import CallMetadata
from qa_toolkit.scoring.types import ScoreTerms
from qa_toolkit.store import CallRecord, Store
from qa_toolkit.store.claims import (
    Heartbeat,
    claim_calls,
    release_claim,
    release_run,
    shared_location,
)
from qa_toolkit.types import Transcript

logger = logging.getLogger(__name__)

ProgressFn = Callable[[BatchProgress], None]


@dataclass
class Work:
    """A call's state inside one run (mutable bookkeeping, never leaves the batch)."""

    call: CallInput
    meta: CallMetadata
    record: CallRecord | None = None
    transcript_key: str = ""
    producer: dict[str, Any] = field(default_factory=dict)
    redaction: str = ""
    transcript: Transcript | None = None
    computed: bool = False
    transcript_reused: bool = False
    outcome: CallOutcome | None = None
    claimed: bool = False  # this run holds the call's claim (released when it is finished)

    def finish(self, status: str, **details: Any) -> CallOutcome:
        status = "done" if status == "reused" and self.computed else status
        self.outcome = CallOutcome(
            self.call.call_id, status, team=self.meta.team, agent_id=self.meta.agent_id,
            audio_s=_audio_s(self.transcript), transcript_reused=self.transcript_reused,
            **details,
        )  # fmt: skip
        return self.outcome


class Run:
    """One run's stages over its calls, writing each result to the store as it arrives."""

    def __init__(self, store: Store, options: BatchOptions, progress: ProgressFn | None) -> None:
        self.store = store
        self.options = options
        self.progress = progress
        self.run_id = ""
        self.peaks: dict[str, float] = {}

    def execute(
        self, run_id: str, works: list[Work], rubric: RubricSource, *, transcribe: bool
    ) -> BatchResult:
        self.run_id = run_id
        started = time.perf_counter()
        status = "failed"
        executor = make_executor(
            self.options.executor, self.options.workers, address=self.options.address
        )
        try:
            with self._heartbeat(transcribe):
                if transcribe:
                    self._prepare(works)
                    self._transcribe(works, executor)
                    # The same workers score next: each drops its speech model first (see
                    # analyse_task), which costs less than starting new processes.
                    release_engines()
                self._score(works, rubric, executor)
            status = "done"
        except BaseException as error:
            status = "interrupted" if isinstance(error, KeyboardInterrupt) else "failed"
            raise
        finally:
            executor.close()
            if transcribe:
                self._release_all()
            outcomes = tuple(w.outcome for w in works if w.outcome is not None)
            failures = sum(1 for o in outcomes if o.status == "failed")
            try:
                self.store.finish_run(run_id, status=status, calls=len(works), failures=failures)
            except StoreError as error:  # a full disk: keep the error that stopped the run
                logger.warning("could not record the end of run %s: %s", run_id, error)
        return BatchResult(
            run_id, self.store.where, outcomes, time.perf_counter() - started,
            tuple(sorted(self.peaks.items())),
        )  # fmt: skip

    def _heartbeat(self, claiming: bool) -> AbstractContextManager[object]:
        """Renews this run's claims while it works (a batch claims; a rescore does not)."""
        if not claiming:
            return nullcontext()
        return Heartbeat(shared_location(self.store), self.run_id,
                         lease_s=self.options.claim_lease_s)  # fmt: skip

    def _release_all(self) -> None:
        # Calls not finished (an error, Ctrl-C) are free for the next batch at once.
        try:
            release_run(self.store, self.run_id)
        except StoreError as error:  # they expire with their lease
            logger.warning("could not release the claims of run %s: %s", self.run_id, error)

    # ------------------------------------------------------------ prepare

    def _prepare(self, works: list[Work]) -> None:
        """Hash every call's input, set duplicates aside, and store the calls."""
        by_hash: dict[str, str] = {}
        ids: Counter[str] = Counter()
        for work in works:
            ids[work.call.call_id] += 1
            if ids[work.call.call_id] > 1:  # same name in two folders
                new_id = f"{work.call.call_id}~{ids[work.call.call_id]}"
                logger.warning("%s: call id already used; stored as %s", work.call.files[0], new_id)
                work.call = replace(work.call, call_id=new_id)
                work.meta = replace(work.meta, call_id=new_id)
            files = tuple(str(f) for f in work.call.files)
            try:
                digest = input_hash(work.call)
            except OSError as error:
                self._fail(work, "read", "OSError", f"{error.filename}: {error.strerror}")
                continue
            # Empty files share one hash but are not copies of each other: each fails on its own.
            empty = all(f.stat().st_size == 0 for f in work.call.files if f.exists())
            if digest in by_hash and not empty:
                reason = f"same content as call {by_hash[digest]}"
                work.finish("duplicate", reason=reason)
                self.store.record_call(self.run_id, work.call.call_id, "duplicate", reason=reason,
                                       files=files)  # fmt: skip
                continue
            by_hash[digest] = work.call.call_id
            kind = (
                "text" if work.call.is_transcript else ("two_files" if work.call.agent else "audio")
            )
            work.record = CallRecord(work.call.call_id, digest, kind, files, work.meta)
            self.store.save_call(self.run_id, work.record)

    # ------------------------------------------------------------ transcribe

    def _transcribe(self, works: list[Work], executor: Executor) -> None:
        active = [w for w in works if w.record is not None and w.outcome is None]
        stage = Stage("transcribe", len(active), self.progress)
        model_name = (
            _model_name(self.options.asr) if any(not w.call.is_transcript for w in active) else ""
        )
        for work in active:
            assert work.record is not None
            work.producer = (
                text_identity()
                if work.call.is_transcript
                else (self.options.asr.identity(model_name))
            )
            work.transcript_key = stage_key("transcript", work.record.input_hash, work.producer)
        # Longest recordings first, so no worker is left with a long one at the end.
        active.sort(key=lambda w: -sum(f.stat().st_size for f in w.call.files if f.exists()))
        # Calls are claimed a few at a time, as workers are ready for them, so batches that
        # start together on one day share its calls instead of one of them taking all.
        for chunk in _chunks(active, max(8, executor.workers * 4)):
            todo = []
            for work in self._claim(chunk, stage):
                if self._reuse_transcript(work):
                    work.transcript_reused = True
                    stage.step(work.call.call_id, "reused")
                else:
                    todo.append(work)
            self._transcribe_some(todo, executor, stage)

    def _claim(self, chunk: list[Work], stage: Stage) -> list[Work]:
        """The calls of ``chunk`` this run now holds; the others are claimed elsewhere."""
        pairs = [(w.call.call_id, w.record.input_hash if w.record else "") for w in chunk]
        held = claim_calls(self.store, pairs, self.run_id, lease_s=self.options.claim_lease_s)
        mine = []
        for work in chunk:
            holder = held[work.call.call_id]
            if holder.run_id == self.run_id:
                work.claimed = True
                mine.append(work)
                continue
            reason = f"claimed elsewhere: {holder.describe()}"
            work.finish(CLAIMED_ELSEWHERE, stage="transcribe", reason=reason)
            self.store.record_call(self.run_id, work.call.call_id, CLAIMED_ELSEWHERE,
                                   stage="transcribe", reason=reason,
                                   files=[str(f) for f in work.call.files])  # fmt: skip
            stage.step(work.call.call_id, CLAIMED_ELSEWHERE, reason=reason)
        return mine

    def _transcribe_some(self, todo: list[Work], executor: Executor, stage: Stage) -> None:
        tasks = [
            TranscribeTask(w.call, self.options.asr, not self.options.store_unredacted,
                           executor.threads, self.options.call_budget_s)
            for w in todo
        ]  # fmt: skip
        text = [i for i, w in enumerate(todo) if w.call.is_transcript]
        audio = [i for i, w in enumerate(todo) if not w.call.is_transcript]
        # Text needs no model: read it here, and send only audio to the workers.
        for index in text:
            self._store_transcript(todo[index], transcribe_task(tasks[index]), stage)
        if executor.writes_results:
            where = shared_location(self.store)
            jobs = [StoredTranscribe(tasks[i], where, self.run_id, todo[i].transcript_key,
                                     _record(todo[i]), todo[i].producer)
                    for i in audio]  # fmt: skip
            results = executor.map(transcribe_and_store, jobs)
        else:
            results = executor.map(transcribe_task, [tasks[i] for i in audio])
        for position, result in results:
            work = todo[audio[position]]
            self._store_transcript(work, _as_result(work.call.call_id, result), stage)

    def _reuse_transcript(self, work: Work) -> bool:
        found = self.store.load_transcript(work.transcript_key)
        if found is None:
            return False
        transcript, redaction = found
        wanted = redaction_identity(not self.options.store_unredacted)
        redact = redactor()
        if redaction != wanted and wanted != "none" and redact is not None:
            # Stored raw, or redacted under older rules (before names were found): mask it
            # now, no need to transcribe again. Tags already there stay as they are.
            transcript, redaction = redact(transcript), wanted
            assert work.record is not None
            self.store.save_transcript(
                self.run_id, work.transcript_key, work.record, transcript,
                producer={"stage": "redact-stored"}, redaction=redaction,
            )  # fmt: skip
            # Older copies of the raw text (score evidence, history, flags, comments, the
            # call's other transcripts) are redacted too: `qa purge` also compacts the file.
            from qa_toolkit.privacy import redact_text, redact_transcript_json

            self.store.scrub(transcript_fn=redact_transcript_json, text_fn=redact_text,
                             redaction=redaction, call_ids=[work.call.call_id])  # fmt: skip
            work.computed = True
        else:
            self.store.use_transcript(work.call.call_id, work.transcript_key, transcript)
        work.transcript, work.redaction = transcript, redaction
        return True

    def _store_transcript(self, work: Work, result: TaskResult, stage: Stage) -> None:
        self._note_worker(result)
        _raise_store_error(result)
        if not result.ok or result.transcript is None:
            self._fail(work, "transcribe", result.error_type, result.reason)
            stage.step(work.call.call_id, "failed", reason=result.reason)
            return
        assert work.record is not None
        if not result.stored:  # else its worker stored it
            self.store.save_transcript(
                self.run_id, work.transcript_key, work.record, result.transcript,
                producer=work.producer, redaction=result.redaction,
            )  # fmt: skip
        work.transcript, work.redaction, work.computed = result.transcript, result.redaction, True
        stage.step(work.call.call_id, "done", audio_s=_audio_s(result.transcript))

    # ------------------------------------------------------------ score

    def _score(self, works: list[Work], rubric: RubricSource, executor: Executor) -> None:
        parsed = rubric.load()
        scoring = score_identity(parsed.id, str(parsed.version), rubric.digest)
        featuring = features_identity(self.options.acoustics)
        active = [w for w in works if w.outcome is None and w.transcript_key]
        stage = Stage("score", len(active), self.progress)
        todo: list[tuple[Work, dict[str, str]]] = []
        for work in active:
            features_key = stage_key("features", work.transcript_key, work.redaction, featuring)
            keys = {"transcript": work.transcript_key, "features": features_key,
                    "score": stage_key("score", features_key, scoring)}  # fmt: skip
            if self.store.has("scores", keys["score"]):
                value, flags = self.store.score_brief(keys["score"])
                self._done(work, keys, "reused", value, flags)
                stage.step(work.call.call_id, "reused")
            else:
                todo.append((work, keys))
        tasks = [self._analyse_task(work, rubric) for work, _ in todo]
        producers = {"features": featuring, "score": scoring, "rubric_hash": rubric.digest}
        if isinstance(executor, LocalExecutor) and not executor.started and len(tasks) <= 2:
            # Starting a pool costs seconds; a call or two is scored here instead.
            executor = InlineExecutor()
        for index, result in self._map_scores(executor, tasks, todo, producers, parsed.terms):
            work, keys = todo[index]
            outcome = _as_result(work.call.call_id, result)
            self._note_worker(outcome)
            _raise_store_error(outcome)
            if not outcome.ok or outcome.score is None:
                self._fail(work, "score", outcome.error_type, outcome.reason)
                stage.step(work.call.call_id, "failed", reason=outcome.reason)
                continue
            if not outcome.stored:  # else its worker stored it
                self.store.save_score(self.run_id, keys, work.call.call_id, outcome.score,
                                      features=outcome.features, producers=producers,
                                      terms=parsed.terms)  # fmt: skip
            work.computed = True
            flags = tuple(f.kind for f in outcome.score.flags)
            self._done(work, keys, "done", outcome.score.score, flags)
            stage.step(work.call.call_id, "done", audio_s=_audio_s(work.transcript))

    def _map_scores(
        self,
        executor: Executor,
        tasks: list[AnalyseTask],
        todo: list[tuple[Work, dict[str, str]]],
        producers: dict[str, Any],
        terms: ScoreTerms | None,
    ) -> Iterator[tuple[int, TaskResult | BaseException]]:
        if not executor.writes_results:
            return executor.map(analyse_task, tasks)
        where = shared_location(self.store)
        jobs = [StoredAnalyse(task, where, self.run_id, keys, producers, terms)
                for task, (_, keys) in zip(tasks, todo, strict=True)]  # fmt: skip
        return executor.map(analyse_and_store, jobs)

    def _analyse_task(self, work: Work, rubric: RubricSource) -> AnalyseTask:
        if work.transcript is None:
            found = self.store.load_transcript(work.transcript_key)
            assert found is not None
            work.transcript = found[0]
        files = work.record.files if work.record else ()
        return AnalyseTask(
            work.call.call_id,
            work.transcript,
            files,
            rubric,
            self.options.acoustics,
            self.options.call_budget_s,
        )

    # ------------------------------------------------------------ bookkeeping

    def _done(
        self, work: Work, keys: dict[str, str], status: str, score: float, flags: tuple[str, ...]
    ) -> None:
        outcome = work.finish(status, score=score, flags=flags)
        files = work.record.files if work.record else ()
        self.store.record_call(
            self.run_id, work.call.call_id, outcome.status, files=files,
            transcript_key=keys["transcript"], score_key=keys["score"],
        )  # fmt: skip
        self._release(work)

    def _fail(self, work: Work, stage: str, error_type: str, reason: str) -> None:
        work.finish("failed", stage=stage, reason=reason)
        logger.info("call %s failed at %s: %s", work.call.call_id, stage, reason)
        self.store.record_call(
            self.run_id, work.call.call_id, "failed", stage=stage, error_type=error_type,
            reason=reason, files=[str(f) for f in work.call.files],
        )  # fmt: skip
        self._release(work)

    def _release(self, work: Work) -> None:
        """The call is finished (stored or failed): the next batch may have it."""
        if work.claimed:
            release_claim(self.store, self.run_id, work.call.call_id)
            work.claimed = False

    def _note_worker(self, result: TaskResult) -> None:
        if result.worker:
            self.peaks[result.worker] = max(self.peaks.get(result.worker, 0.0), result.peak_rss_mb)


class Stage:
    """Counts one stage's calls and reports each to the progress callback."""

    def __init__(self, name: str, total: int, progress: ProgressFn | None) -> None:
        self.name, self.total, self.progress = name, total, progress
        self.done = self.failed = 0
        self.audio_s = 0.0
        if progress is not None:  # so a display times the stage from its start
            progress(BatchProgress(name, 0, total, 0, "", "started"))

    def step(self, call_id: str, status: str, *, audio_s: float = 0.0, reason: str = "") -> None:
        self.done += 1
        self.failed += status == "failed"
        self.audio_s += audio_s
        if self.progress is not None:
            self.progress(BatchProgress(self.name, self.done, self.total, self.failed, call_id,
                                        status, self.audio_s, reason))  # fmt: skip


def _record(work: Work) -> CallRecord:
    assert work.record is not None  # every call past _prepare has one
    return work.record


def _chunks(works: list[Work], size: int) -> Iterator[list[Work]]:
    for start in range(0, len(works), size):
        yield works[start : start + size]


def _raise_store_error(result: TaskResult) -> None:
    """A worker that could not write the store stops the batch, as the driver's own write would."""
    if result.error_type == STORE_ERROR:
        raise StoreError(
            result.reason,
            fix="give --store a location every worker reaches (a PostgreSQL URL the workers "
            "can connect to, or a file on a disk they share)",
        )


def _as_result(call_id: str, result: TaskResult | BaseException) -> TaskResult:
    """A worker that died is one failed call, not a failed batch."""
    if isinstance(result, TaskResult):
        return result
    return TaskResult(call_id, error_type=type(result).__name__, reason=str(result))


def _audio_s(transcript: Transcript | None) -> float:
    if transcript is None or transcript.source.kind != "audio":
        return 0.0
    return transcript.duration_s


def _model_name(settings: AsrSettings) -> str:
    """The model a batch will use, by name, so that "best installed" is a stable key."""
    from qa_toolkit.speech.asr.models import resolve_model

    return resolve_model(settings.model).name
