"""Keeping the search index of what calls say up to date, from the stored transcripts.

Before a search by words, calls whose current transcript is not indexed yet (new
calls from a batch, a transcript redacted in place) are read and indexed, at
most once every few seconds per app, and only when a call was written since
(or once a minute). The index holds each call's utterances,
lower-cased; a transcript stored unredacted is indexed with its numbers and
e-mail addresses masked (as :mod:`qa_toolkit.nlp.pii` finds them), so a search
cannot find a call by a phone number the page would not show. Text is
folded to lower case and simplified Chinese characters, so either script finds both. Names and
addresses in such a transcript stay searchable: ``qa purge`` redacts them.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from qa_toolkit.nlp.pii import find_pii
from qa_toolkit.store import Store
from qa_toolkit.store import search as sql
from qa_toolkit.store.connection import transaction
from qa_toolkit.web.queries import newest_call_write

_EVERY_S = 5.0
# Looking for calls not indexed reads every call (a second at a million): it is done when a
# call's row changed (a new or replaced transcript) and at least this often otherwise (an
# index row a purge dropped).
_ALL_EVERY_S = 60.0
_BATCH = 500


class IndexState:
    """When an app last brought its index up to date (one per app)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.checked = float("-inf")
        self.all_checked = float("-inf")
        self.calls_written: str | None = None  # the newest call write when last looked


def refresh(store: Store, state: IndexState, *, force: bool = False) -> int:
    """Index the calls whose current transcript is not indexed; how many were.

    Skipped when another request did it within the last few seconds (unless ``force``).
    """
    now = time.monotonic()
    if not force and now - state.checked < _EVERY_S:
        return 0
    with state.lock:
        if not force and time.monotonic() - state.checked < _EVERY_S:
            return 0
        done, written = 0, newest_call_write(store)
        quiet = (
            written == state.calls_written and time.monotonic() - state.all_checked < _ALL_EVERY_S
        )
        if quiet and not force:
            state.checked = time.monotonic()
            return 0
        state.calls_written, state.all_checked = written, time.monotonic()
        stale = sql.stale_calls(store.conn)
        for start in range(0, len(stale), _BATCH):
            rows = sql.transcripts_of(store.conn, stale[start : start + _BATCH])
            texts = [(c, k, searchable(json.loads(body), redaction)) for c, k, redaction, body
                     in rows]  # fmt: skip
            with transaction(store.conn, store.where) as conn:
                sql.save_texts(conn, texts)
            done += len(rows)
        state.checked = time.monotonic()
        return done


def searchable(body: dict[str, Any], redaction: str) -> str:
    """A Transcript JSON body's text as the index keeps it."""
    lines = [str(u.get("text", "")) for u in body.get("utterances") or ()]
    if redaction in ("", "none"):
        lines = [_mask(line) for line in lines]
    return fold("\n".join(lines))


def _mask(text: str) -> str:
    out, last = [], 0
    for span in find_pii(text):
        out += [text[last : span.start], span.tag]
        last = span.end
    return "".join([*out, text[last:]])


def query_text(words: str) -> str:
    """What a search for ``words`` looks for in the index."""
    return fold(" ".join(words.split()))


def fold(text: str) -> str:
    """Lower case, and Chinese in simplified characters: a search in either script finds
    both (帳戶 finds 账户)."""
    import zhconv

    return str(zhconv.convert(text.casefold(), "zh-hans"))
