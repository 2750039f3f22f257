"""The daily batch: every call of a day transcribed, scored, flagged and stored, unattended.

``run_batch`` finds the calls, reads their metadata, and runs two stages on a
pool of workers (see :mod:`qa_toolkit.batch.executors`): transcription, then features
and scoring; the workers drop their speech model before scoring starts. Every
result is stored as soon as it arrives, keyed by the hash of its input and the
identity of what produced it, so a batch that is killed and started again
redoes nothing that finished. A call that fails is recorded with its reason and
the batch goes on. ``rescore`` runs the second stage alone on stored
transcripts, for a new rubric.

Batches may share a store: before a call is worked on, its batch claims it
(:mod:`qa_toolkit.store.claims`), a few calls at a time, and holds the claim until
the call is scored or has failed; a call another live batch holds is left to it
(``claimed_elsewhere``). On Ray the workers write their results themselves
(:mod:`qa_toolkit.batch.remote`); the driver keeps the claims and the progress.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from qa_toolkit.batch.stages import ProgressFn, Run, Work
from qa_toolkit.batch.tasks import RubricSource
from qa_toolkit.batch.types import (
    BatchOptions,
    BatchProgress,
    BatchResult,
    CallOutcome,
    summary_lines,
)
from qa_toolkit.errors import UsageError
from qa_toolkit.io.discover import CallInput, find_calls
from qa_toolkit.io.metadata import CallMetadata, read_metadata
from qa_toolkit.store import CallRecord, Filters, Store

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
        run = Run(st, opts, progress)
        run_id = st.start_run(
            "batch", [str(i) for i in inputs], _options_dict(opts, str(rubric)),
            rubric_id=parsed.id, rubric_version=str(parsed.version),
        )  # fmt: skip
        works = [Work(call, metadata[call.call_id]) for call in calls]
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
            "rescore", [st.where], _options_dict(opts, str(rubric)),
            rubric_id=parsed.id, rubric_version=str(parsed.version),
        )  # fmt: skip
        works = []
        for item in stored:
            call = CallInput(item.call_id, path=Path(item.files[0]) if item.files else None)
            meta = CallMetadata(item.call_id, agent_id=item.agent_id, team=item.team)
            work = Work(call, meta, transcript_key=item.transcript_key)
            work.redaction, work.transcript = item.redaction, item.transcript
            work.record = CallRecord(item.call_id, "", "", item.files, meta)
            works.append(work)
        return Run(st, opts, progress).execute(run_id, works, source, transcribe=False)


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


def _options_dict(options: BatchOptions, rubric: str) -> dict[str, Any]:
    data = asdict(options)
    data["rubric"] = rubric
    return data
