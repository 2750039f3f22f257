"""The daily batch: every call of a day transcribed, scored, flagged and stored, unattended.

``run_batch`` finds the calls, reads their metadata, and runs two stages on a
pool of workers (see :mod:`qa_toolkit.batch.executors`): transcription, then features
and scoring; the workers drop their speech model before scoring starts. Every
result is stored as soon as it arrives, keyed by the hash of its input and the
identity of what produced it, so a batch that is killed and started again
redoes nothing that finished. A call that fails is recorded with its reason and
the batch goes on. ``rescore`` runs the second stage alone on stored
transcripts, for a new rubric.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from qa_toolkit.batch.executors import Executor, InlineExecutor, LocalExecutor, make_executor
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
    BatchOptions,
    BatchProgress,
    BatchResult,
    CallOutcome,
    summary_lines,
)
from qa_toolkit.errors import StoreError, UsageError
from qa_toolkit.io.discover import CallInput, find_calls
from qa_toolkit.io.metadata import CallMetadata, read_metadata
from qa_toolkit.store import CallRecord, Filters, Store
from qa_toolkit.types import Transcript

logger = logging.getLogger(__name__)

__all__ = [
    "BatchOptions",
    "BatchProgress",
    "BatchResult",
    "CallOutcome",
    "rescore",
    "run_batch",
    "summary_lines",
]


ProgressFn = Callable[[BatchProgress], None]


@dataclass
class _Work:
    """A call's state inside one run (mutable bookkeeping, never leaves this module)."""

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

    def finish(self, status: str, **details: Any) -> CallOutcome:
        status = "done" if status == "reused" and self.computed else status
        self.outcome = CallOutcome(
            self.call.call_id, status, team=self.meta.team, agent_id=self.meta.agent_id,
            audio_s=_audio_s(self.transcript), transcript_reused=self.transcript_reused,
            **details,
        )  # fmt: skip
        return self.outcome


def run_batch(
    inputs: Sequence[str | Path],
    rubric: str | Path,
    *,
    store: str | Path | Store = "qa.db",
    options: BatchOptions | None = None,
    progress: ProgressFn | None = None,
) -> BatchResult:
    """Transcribe, score, flag and store every call found in ``inputs``.

    Args:
        inputs: folders (searched recursively) and files: recordings, paired
            ``CALL.agent.wav`` + ``CALL.customer.wav``, text or JSON transcripts.
        rubric: the rubric YAML.
        store: the store file (or an open :class:`~qa_toolkit.store.Store`).
        options: workers, executor, ASR settings, redaction, metadata.
        progress: called after each call of each stage.

    Returns:
        What happened to each call, the run id, and the workers' peak memory.

    Raises:
        UsageError: nothing to process in ``inputs``.
        RubricError: the rubric is invalid (before any call is touched).
        StoreError: the store cannot be written (disk full…); finished calls are kept.

    Example:
        >>> result = run_batch(["recordings/2026-11-21"], "rubrics/default.yaml")  # doctest: +SKIP
        >>> len(result.failures), round(result.audio_hours, 1)
        (0, 41.5)
    """
    opts = options or BatchOptions()
    source = RubricSource.from_path(rubric)
    parsed = source.load()
    calls = find_calls(inputs)
    if not calls:
        raise UsageError(
            f"no audio or transcripts found in {', '.join(map(str, inputs))}",
            fix="check the folder; audio is wav/flac/mp3/ogg/m4a, transcripts .txt/.json",
        )
    metadata, problems = read_metadata(
        calls, inputs, pattern=opts.name_pattern, extra_files=opts.metadata_files
    )
    for problem in problems:
        logger.warning("metadata: %s", problem)
    with _opened(store) as st:
        run = _Run(st, opts, progress)
        run_id = st.start_run(
            "batch", [str(i) for i in inputs], _options_dict(opts, str(rubric)),
            rubric_id=parsed.id, rubric_version=str(parsed.version),
        )  # fmt: skip
        works = [_Work(call, metadata[call.call_id]) for call in calls]
        result = run.execute(run_id, works, source, transcribe=True)
    return replace(result, metadata_problems=tuple(str(p) for p in problems))


def rescore(
    rubric: str | Path,
    *,
    store: str | Path | Store = "qa.db",
    filters: Filters | None = None,
    options: BatchOptions | None = None,
    progress: ProgressFn | None = None,
) -> BatchResult:
    """Score stored transcripts against a (new or changed) rubric, without transcribing.

    Args:
        rubric: the rubric YAML.
        store: the store file or an open store.
        filters: which calls (date, team, agent…); all calls when not given.
        options: workers and executor (the ASR settings are not used).
        progress: called after each call.

    Returns:
        What happened to each call; calls already scored with this exact rubric
        are ``reused``.
    """
    opts = options or BatchOptions()
    source = RubricSource.from_path(rubric)
    parsed = source.load()
    with _opened(store) as st:
        stored = st.stored_transcripts(filters)
        run_id = st.start_run(
            "rescore", [str(st.path)], _options_dict(opts, str(rubric)),
            rubric_id=parsed.id, rubric_version=str(parsed.version),
        )  # fmt: skip
        works = []
        for item in stored:
            call = CallInput(item.call_id, path=Path(item.files[0]) if item.files else None)
            meta = CallMetadata(item.call_id, agent_id=item.agent_id, team=item.team)
            work = _Work(call, meta, transcript_key=item.transcript_key)
            work.redaction, work.transcript = item.redaction, item.transcript
            work.record = CallRecord(item.call_id, "", "", item.files, meta)
            works.append(work)
        return _Run(st, opts, progress).execute(run_id, works, source, transcribe=False)


class _Opened:
    def __init__(self, store: str | Path | Store) -> None:
        self._given = store if isinstance(store, Store) else None
        self._path = None if isinstance(store, Store) else store
        self._own: Store | None = None

    def __enter__(self) -> Store:
        if self._given is not None:
            return self._given
        assert self._path is not None
        self._own = Store(self._path)
        return self._own

    def __exit__(self, *exc: object) -> None:
        if self._own is not None:
            self._own.close()


def _opened(store: str | Path | Store) -> _Opened:
    return _Opened(store)


class _Run:
    """One run's stages over its calls, writing each result to the store as it arrives."""

    def __init__(self, store: Store, options: BatchOptions, progress: ProgressFn | None) -> None:
        self.store = store
        self.options = options
        self.progress = progress
        self.run_id = ""
        self.peaks: dict[str, float] = {}

    def execute(
        self, run_id: str, works: list[_Work], rubric: RubricSource, *, transcribe: bool
    ) -> BatchResult:
        self.run_id = run_id
        started = time.perf_counter()
        status = "failed"
        executor = make_executor(
            self.options.executor, self.options.workers, address=self.options.address
        )
        try:
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
            outcomes = tuple(w.outcome for w in works if w.outcome is not None)
            failures = sum(1 for o in outcomes if o.status == "failed")
            try:
                self.store.finish_run(run_id, status=status, calls=len(works), failures=failures)
            except StoreError as error:  # a full disk: keep the error that stopped the run
                logger.warning("could not record the end of run %s: %s", run_id, error)
        return BatchResult(
            run_id, str(self.store.path), outcomes, time.perf_counter() - started,
            tuple(sorted(self.peaks.items())),
        )  # fmt: skip

    # ------------------------------------------------------------ prepare

    def _prepare(self, works: list[_Work]) -> None:
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

    def _transcribe(self, works: list[_Work], executor: Executor) -> None:
        active = [w for w in works if w.record is not None and w.outcome is None]
        stage = _Stage("transcribe", len(active), self.progress)
        model_name = (
            _model_name(self.options.asr) if any(not w.call.is_transcript for w in active) else ""
        )
        todo: list[_Work] = []
        for work in active:
            assert work.record is not None
            work.producer = (
                text_identity()
                if work.call.is_transcript
                else (self.options.asr.identity(model_name))
            )
            work.transcript_key = stage_key("transcript", work.record.input_hash, work.producer)
            if self._reuse_transcript(work):
                work.transcript_reused = True
                stage.step(work.call.call_id, "reused")
            else:
                todo.append(work)
        # Longest recordings first, so no worker is left with a long one at the end.
        todo.sort(key=lambda w: -sum(f.stat().st_size for f in w.call.files if f.exists()))
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
        for position, result in executor.map(transcribe_task, [tasks[i] for i in audio]):
            work = todo[audio[position]]
            self._store_transcript(work, _as_result(work.call.call_id, result), stage)

    def _reuse_transcript(self, work: _Work) -> bool:
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

    def _store_transcript(self, work: _Work, result: TaskResult, stage: _Stage) -> None:
        self._note_worker(result)
        if not result.ok or result.transcript is None:
            self._fail(work, "transcribe", result.error_type, result.reason)
            stage.step(work.call.call_id, "failed", reason=result.reason)
            return
        assert work.record is not None
        self.store.save_transcript(
            self.run_id, work.transcript_key, work.record, result.transcript,
            producer=work.producer, redaction=result.redaction,
        )  # fmt: skip
        work.transcript, work.redaction, work.computed = result.transcript, result.redaction, True
        stage.step(work.call.call_id, "done", audio_s=_audio_s(result.transcript))

    # ------------------------------------------------------------ score

    def _score(self, works: list[_Work], rubric: RubricSource, executor: Executor) -> None:
        parsed = rubric.load()
        scoring = score_identity(parsed.id, str(parsed.version), rubric.digest)
        featuring = features_identity(self.options.acoustics)
        active = [w for w in works if w.outcome is None and w.transcript_key]
        stage = _Stage("score", len(active), self.progress)
        todo: list[tuple[_Work, dict[str, str]]] = []
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
        for index, result in executor.map(analyse_task, tasks):
            work, keys = todo[index]
            outcome = _as_result(work.call.call_id, result)
            self._note_worker(outcome)
            if not outcome.ok or outcome.score is None:
                self._fail(work, "score", outcome.error_type, outcome.reason)
                stage.step(work.call.call_id, "failed", reason=outcome.reason)
                continue
            self.store.save_score(self.run_id, keys, work.call.call_id, outcome.score,
                                  features=outcome.features, producers=producers,
                                  terms=parsed.terms)  # fmt: skip
            work.computed = True
            flags = tuple(f.kind for f in outcome.score.flags)
            self._done(work, keys, "done", outcome.score.score, flags)
            stage.step(work.call.call_id, "done", audio_s=_audio_s(work.transcript))

    def _analyse_task(self, work: _Work, rubric: RubricSource) -> AnalyseTask:
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
        self, work: _Work, keys: dict[str, str], status: str, score: float, flags: tuple[str, ...]
    ) -> None:
        outcome = work.finish(status, score=score, flags=flags)
        files = work.record.files if work.record else ()
        self.store.record_call(
            self.run_id, work.call.call_id, outcome.status, files=files,
            transcript_key=keys["transcript"], score_key=keys["score"],
        )  # fmt: skip

    def _fail(self, work: _Work, stage: str, error_type: str, reason: str) -> None:
        work.finish("failed", stage=stage, reason=reason)
        logger.info("call %s failed at %s: %s", work.call.call_id, stage, reason)
        self.store.record_call(
            self.run_id, work.call.call_id, "failed", stage=stage, error_type=error_type,
            reason=reason, files=[str(f) for f in work.call.files],
        )  # fmt: skip

    def _note_worker(self, result: TaskResult) -> None:
        if result.worker:
            self.peaks[result.worker] = max(self.peaks.get(result.worker, 0.0), result.peak_rss_mb)


class _Stage:
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


def _options_dict(options: BatchOptions, rubric: str) -> dict[str, Any]:
    data = asdict(options)
    data["rubric"] = rubric
    return data
