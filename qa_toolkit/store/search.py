"""The search index of what calls say: one row of lower-cased text per call.

The text is read from the call's current stored transcript by the caller (the
web app), which also decides what may be searched (it masks numbers and e-mail
of a transcript stored unredacted). A row names the transcript it was read
from: a call with a newer transcript, or whose transcript was rewritten or
redacted in place, is indexed again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence


def stale_calls(conn: sqlite3.Connection) -> list[str]:
    """Calls with a transcript that have no index row for it, in call id order: one pass over
    the calls (a second or two at a million), however many there are."""
    return [str(r[0]) for r in conn.execute(
        "SELECT c.call_id FROM calls c LEFT JOIN call_text x ON x.call_id = c.call_id "
        "WHERE c.transcript_key IS NOT NULL "
        "AND (x.transcript_key IS NULL OR x.transcript_key <> c.transcript_key) "
        "ORDER BY c.call_id"
    )]  # fmt: skip


def transcripts_of(
    conn: sqlite3.Connection, call_ids: Sequence[str]
) -> list[tuple[str, str, str, str]]:
    """(call_id, transcript_key, redaction, body) of these calls' current transcripts."""
    if not call_ids:
        return []
    rows = conn.execute(
        "SELECT c.call_id, t.transcript_key, t.redaction, t.body FROM calls c "
        "JOIN transcripts t ON t.transcript_key = c.transcript_key "
        f"WHERE c.call_id IN ({','.join('?' * len(call_ids))}) ORDER BY c.call_id",
        list(call_ids),
    ).fetchall()
    return [(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]


def save_texts(conn: sqlite3.Connection, rows: Iterable[tuple[str, str, str]]) -> None:
    """Store (call_id, transcript_key, text) rows, replacing a call's older one."""
    conn.executemany(
        "INSERT INTO call_text (call_id, transcript_key, text) VALUES (?,?,?) "
        "ON CONFLICT (call_id) DO UPDATE SET transcript_key = excluded.transcript_key, "
        "text = excluded.text",
        list(rows),
    )


def forget_transcript(conn: sqlite3.Connection, transcript_key: str) -> None:
    """Drop the index row read from a transcript (its text is being replaced)."""
    conn.execute("DELETE FROM call_text WHERE transcript_key = ?", (transcript_key,))
