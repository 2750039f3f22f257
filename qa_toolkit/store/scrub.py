"""Personal data out of every stored copy: transcripts, features, scores, history, flags.

A store written with ``--store-unredacted`` holds raw text in more places than
the transcript: quotes in score evidence and item history, risk-event quotes in
the features, flag reasons, reviewers' comments and appeals. :func:`scrub_store`
passes each of them through the caller's redaction (the store does not know
what personal data is: :mod:`qa_toolkit.privacy` does) and then compacts the
file, so the old text does not linger in free pages either.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from qa_toolkit.store.connection import is_server, transaction

TextFn = Callable[[str], str]
TranscriptFn = Callable[[dict[str, Any]], dict[str, Any]]

# Free-text fields of stored JSON bodies: evidence quotes and reasons, risk-event quotes,
# a reviewer's reason on a reviewed item.
_TEXT_KEYS = frozenset({"quote", "reason", "text", "review"})
# (table, key column, text columns, JSON columns); every table that carries a call_id.
_TABLES: tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("scores", "score_key", (), ("body",)),
    ("reviewed_scores", "score_key", ("resolution",), ("body",)),
    ("features", "features_key", (), ("body",)),
    ("reviews", "review_id", ("comment",), ()),
    ("appeals", "appeal_id", ("reason", "decision_reason"), ()),
)


@dataclass(frozen=True, slots=True)
class ScrubCounts:
    """How many stored rows a scrub changed, by kind."""

    transcripts: int = 0
    rows: int = 0


def scrub_store(
    conn: sqlite3.Connection,
    origin: object,
    *,
    transcript_fn: TranscriptFn,
    text_fn: TextFn,
    redaction: str,
    call_ids: Sequence[str] | None = None,
) -> ScrubCounts:
    """Redact every stored copy of the calls' text (all calls when ``call_ids`` is None).

    Args:
        conn: the store's connection.
        origin: what errors name the store by.
        transcript_fn: redacts a Transcript JSON body.
        text_fn: redacts one free text.
        redaction: the name recorded for redacted transcripts (``privacy.redact/r<rules>``).
        call_ids: only these calls.
    """
    with transaction(conn, origin) as tx:
        transcripts = _transcripts(tx, transcript_fn, redaction, call_ids)
        rows = sum(_table(tx, spec, text_fn, call_ids) for spec in _TABLES)
        rows += _item_results(tx, text_fn, call_ids) + _flags(tx, text_fn, call_ids)
    return ScrubCounts(transcripts, rows)


def compact(conn: sqlite3.Connection) -> None:
    """Rewrite the store without its free pages, where deleted text would otherwise remain.

    On PostgreSQL, ``VACUUM FULL`` rewrites every table (old row versions gone).
    """
    if is_server(conn):
        conn.execute("VACUUM FULL")
        return
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("VACUUM")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _where_calls(call_ids: Sequence[str] | None, column: str = "call_id") -> tuple[str, list[str]]:
    if call_ids is None:
        return "1 = 1", []
    return f"{column} IN ({','.join('?' * len(call_ids))})", list(call_ids)


def _transcripts(
    conn: sqlite3.Connection, fn: TranscriptFn, redaction: str, call_ids: Sequence[str] | None
) -> int:
    where, params = _where_calls(call_ids)
    rows = conn.execute(
        f"SELECT transcript_key, body FROM transcripts WHERE redaction IN ('', 'none') AND {where}",
        params,
    ).fetchall()
    for key, body in rows:
        conn.execute(
            "UPDATE transcripts SET body = ?, redaction = ? WHERE transcript_key = ?",
            (json.dumps(fn(json.loads(body)), ensure_ascii=False), redaction, key),
        )
    return len(rows)


def _table(
    conn: sqlite3.Connection,
    spec: tuple[str, str, tuple[str, ...], tuple[str, ...]],
    fn: TextFn,
    call_ids: Sequence[str] | None,
) -> int:
    table, key, texts, bodies = spec
    where, params = _where_calls(call_ids)
    columns = ", ".join((key, *texts, *bodies))
    changed = 0
    for row in conn.execute(f"SELECT {columns} FROM {table} WHERE {where}", params).fetchall():
        values = [fn(v) if isinstance(v, str) else v for v in row[1 : 1 + len(texts)]]
        values += [json.dumps(_walk(json.loads(v), fn), ensure_ascii=False)
                   for v in row[1 + len(texts) :]]  # fmt: skip
        if values != list(row[1:]):
            sets = ", ".join(f"{c} = ?" for c in (*texts, *bodies))
            conn.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", (*values, row[0]))
            changed += 1
    return changed


def _item_results(conn: sqlite3.Connection, fn: TextFn, call_ids: Sequence[str] | None) -> int:
    where, params = _where_calls(call_ids, "s.call_id")
    rows = conn.execute(
        "SELECT i.score_key, i.item_id, i.evidence FROM item_results i "
        f"JOIN scores s ON s.score_key = i.score_key WHERE {where}",
        params,
    ).fetchall()
    changed = 0
    for score_key, item_id, evidence in rows:
        clean = json.dumps(_walk(json.loads(evidence), fn), ensure_ascii=False)
        if clean != evidence:
            conn.execute(
                "UPDATE item_results SET evidence = ? WHERE score_key = ? AND item_id = ?",
                (clean, score_key, item_id),
            )
            changed += 1
    return changed


# Per-score rows with one free text: (table, key column beside score_key, text column).
_PER_SCORE: tuple[tuple[str, str, str], ...] = (
    ("flags", "position", "reason"),
    ("review_flags", "kind", "reason"),
    ("reviewed_flags", "position", "reason"),
    ("reviewed_items", "item_id", "review"),
)


def _flags(conn: sqlite3.Connection, fn: TextFn, call_ids: Sequence[str] | None) -> int:
    where, params = _where_calls(call_ids, "s.call_id")
    changed = 0
    for table, key, column in _PER_SCORE:
        rows = conn.execute(
            f"SELECT f.score_key, f.{key}, f.{column} FROM {table} f "
            f"JOIN scores s ON s.score_key = f.score_key WHERE {where}",
            params,
        ).fetchall()
        for score_key, which, text in rows:
            clean = fn(text)
            if clean != text:
                conn.execute(
                    f"UPDATE {table} SET {column} = ? WHERE score_key = ? AND {key} = ?",
                    (clean, score_key, which),
                )
                changed += 1
    return changed


def _walk(value: Any, fn: TextFn, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: _walk(v, fn, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_walk(v, fn, key) for v in value]
    if isinstance(value, str) and key in _TEXT_KEYS:
        return fn(value)
    return value
