"""Where labelled calls come from: transcript files and folders, or the results store."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from qa_toolkit.errors import QAToolkitError
from qa_toolkit.types import Transcript

logger = logging.getLogger(__name__)


def transcripts_from_paths(
    inputs: Iterable[str | Path],
) -> tuple[list[Transcript], list[tuple[str, QAToolkitError]], int]:
    """Read every transcript (JSON or text) in some files and folders.

    A transcript's ``call_id`` is its file name without the extension unless
    the JSON gives one, which is what a label file's ``call_id`` must match.

    Args:
        inputs: transcript files and folders (searched recursively).

    Returns:
        (transcripts, (file, error) for each unreadable one, audio files skipped):
        audio is not transcribed here; ``qa transcribe --format json`` it first.
    """
    from qa_toolkit.io.discover import find_calls
    from qa_toolkit.io.transcripts import load_transcript

    found: list[Transcript] = []
    failed: list[tuple[str, QAToolkitError]] = []
    audio = 0
    for call in find_calls(inputs):
        if not call.is_transcript:
            audio += 1
            continue
        try:
            found.append(load_transcript(call.files[0]))
        except QAToolkitError as exc:
            failed.append((str(call.files[0]), exc))
    logger.debug("read %d transcripts, %d failed, %d audio skipped", len(found), len(failed), audio)
    return found, failed, audio


def transcripts_from_store(path: str | Path, call_ids: Iterable[str]) -> list[Transcript]:
    """The stored transcripts of some calls (those the store lacks are left out).

    Args:
        path: the store file written by ``qa batch``.
        call_ids: the labelled calls.

    Returns:
        Their current transcripts, as the batch scored them.
    """
    from qa_toolkit.store import Filters, Store

    with Store(path, create=False) as store:
        rows = store.stored_transcripts(Filters.of(call_ids=tuple(call_ids)))
    # The store's call id is the one labels use, whatever the transcript body says.
    return [replace(row.transcript, call_id=row.call_id) for row in rows]
