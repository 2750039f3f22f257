"""Reading and writing contact reasons (schema v5): topics, calls' topics, contact keys.

Plain rows in and out; what they mean is :mod:`qa_toolkit.topics`' business. Every
statement is portable SQL (``?`` parameters, no SQLite-only functions): JSON columns are
read and written as text and decoded here, in Python.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qa_toolkit.store.connection import utc_now

if TYPE_CHECKING:
    import sqlite3

_SPACE_ID = "default"
_CHUNK = 400  # bound parameters per statement, well under every backend's limit


@dataclass(frozen=True, slots=True)
class TopicRow:
    """A stored topic; JSON columns decoded."""

    topic_id: str
    source: str
    status: str
    name: dict[str, str]
    key_phrases: dict[str, list[str]]
    examples: list[dict[str, str]]
    centroid: tuple[float, ...] | None
    radius: float | None
    taxonomy: str
    first_day: str


@dataclass(frozen=True, slots=True)
class CallTopicRow:
    """A call's stored topic ('' when unassigned) and how it was decided."""

    call_id: str
    topic_id: str
    source: str
    similarity: float
    evidence: dict[str, Any]
    producer: dict[str, Any]
    transcript_key: str = ""


@dataclass(frozen=True, slots=True)
class ContactRow:
    """A call with what FCR linking reads: when, who handled it, its topic and its keys."""

    call_id: str
    call_date: str
    start_time: str | None
    team: str
    agent_id: str
    topic_id: str
    keys: tuple[str, ...]


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def load_space(conn: sqlite3.Connection) -> tuple[str, dict[str, list[float]]] | None:
    """The stored embedding space: the encoder's name and each language's mean."""
    row = conn.execute("SELECT model, means FROM topic_space WHERE space_id = ?",
                       (_SPACE_ID,)).fetchone()  # fmt: skip
    return None if row is None else (str(row[0]), json.loads(row[1]))


def save_space(conn: sqlite3.Connection, model: str, means: Mapping[str, Sequence[float]]) -> None:
    """Store the embedding space (in the caller's transaction)."""
    conn.execute(
        "INSERT INTO topic_space (space_id, model, means, updated_at) VALUES (?,?,?,?) "
        "ON CONFLICT (space_id) DO UPDATE SET model = excluded.model, means = excluded.means, "
        "updated_at = excluded.updated_at",
        (_SPACE_ID, model, json.dumps({k: [round(x, 6) for x in v] for k, v in means.items()}),
         utc_now()),
    )  # fmt: skip


def topic_rows(conn: sqlite3.Connection, source: str | None = None) -> list[TopicRow]:
    """Every stored topic (of one source when given), in id order."""
    sql = "SELECT * FROM topics" + (" WHERE source = ?" if source else "") + " ORDER BY topic_id"
    rows = conn.execute(sql, (source,) if source else ()).fetchall()
    return [
        TopicRow(r["topic_id"], r["source"], r["status"], json.loads(r["name"]),
                 json.loads(r["key_phrases"]), json.loads(r["examples"]),
                 tuple(json.loads(r["centroid"])) if r["centroid"] else None, r["radius"],
                 r["taxonomy"], r["first_day"])
        for r in rows
    ]  # fmt: skip


def save_topics(conn: sqlite3.Connection, rows: Iterable[TopicRow]) -> None:
    """Insert or update topics; a topic keeps its first day and its status once promoted."""
    now = utc_now()
    conn.executemany(
        "INSERT INTO topics (topic_id, source, status, name, key_phrases, examples, centroid, "
        "radius, taxonomy, first_day, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT (topic_id) DO UPDATE SET name = excluded.name, "
        "key_phrases = excluded.key_phrases, examples = excluded.examples, "
        "status = CASE WHEN topics.status = 'promoted' THEN topics.status "
        "ELSE excluded.status END, updated_at = excluded.updated_at",
        [(r.topic_id, r.source, r.status, _dumps(r.name), _dumps(r.key_phrases),
          _dumps(r.examples), json.dumps([round(x, 6) for x in r.centroid]) if r.centroid else "",
          r.radius, r.taxonomy, r.first_day, now, now) for r in rows],
    )  # fmt: skip


def set_topic_status(conn: sqlite3.Connection, topic_id: str, status: str, taxonomy: str) -> int:
    """Change a topic's status (``promoted`` into ``taxonomy``); the rows changed."""
    return conn.execute(
        "UPDATE topics SET status = ?, taxonomy = ?, updated_at = ? WHERE topic_id = ?",
        (status, taxonomy, utc_now(), topic_id),
    ).rowcount


def save_call_topics(conn: sqlite3.Connection, rows: Iterable[CallTopicRow]) -> None:
    """Insert or replace calls' topics."""
    now = utc_now()
    conn.executemany(
        "INSERT INTO call_topics (call_id, topic_id, source, similarity, evidence, producer, "
        "transcript_key, updated_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (call_id) DO UPDATE "
        "SET topic_id = excluded.topic_id, source = excluded.source, "
        "similarity = excluded.similarity, evidence = excluded.evidence, "
        "producer = excluded.producer, transcript_key = excluded.transcript_key, "
        "updated_at = excluded.updated_at",
        [(r.call_id, r.topic_id, r.source, r.similarity, _dumps(r.evidence), _dumps(r.producer),
          r.transcript_key, now) for r in rows],
    )  # fmt: skip


def call_topic_rows(
    conn: sqlite3.Connection, call_ids: Sequence[str] | None = None
) -> dict[str, CallTopicRow]:
    """Call id → its stored topic, for the calls given (all when None)."""
    out: dict[str, CallTopicRow] = {}
    for sql, params in _chunks("SELECT * FROM call_topics", "call_id", call_ids):
        for r in conn.execute(sql, params):
            out[r["call_id"]] = CallTopicRow(
                r["call_id"], r["topic_id"], r["source"], float(r["similarity"]),
                json.loads(r["evidence"]), json.loads(r["producer"]), r["transcript_key"],
            )  # fmt: skip
    return out


def _chunks(sql: str, column: str, ids: Sequence[str] | None) -> list[tuple[str, list[str]]]:
    if ids is None:
        return [(sql, [])]
    out = []
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        out.append((f"{sql} WHERE {column} IN ({','.join('?' * len(chunk))})", chunk))
    return out


def save_contact_keys(conn: sqlite3.Connection, rows: Iterable[tuple[str, str, str, str]]) -> None:
    """Store (call id, contact key, kind, source) rows; a key already stored stays."""
    conn.executemany(
        "INSERT INTO contact_keys (call_id, contact_key, kind, source) VALUES (?,?,?,?) "
        "ON CONFLICT (call_id, contact_key) DO NOTHING",
        list(rows),
    )


def contact_rows(
    conn: sqlite3.Connection, since: str | None = None, until: str | None = None
) -> list[ContactRow]:
    """Every call between two days (inclusive; open ends when None) with its topic and keys."""
    where, params = ["1 = 1"], []
    for clause, value in (("c.call_date >= ?", since), ("c.call_date <= ?", until)):
        if value:
            where.append(clause)
            params.append(value)
    calls = conn.execute(
        "SELECT c.call_id, c.call_date, c.start_time, c.team, c.agent_id, "
        "COALESCE(t.topic_id, '') AS topic_id FROM calls c "
        f"LEFT JOIN call_topics t ON t.call_id = c.call_id WHERE {' AND '.join(where)} "
        "ORDER BY c.call_id",
        params,
    ).fetchall()
    keys: dict[str, list[str]] = {}
    ids = [r["call_id"] for r in calls]
    for sql, chunk in _chunks("SELECT call_id, contact_key FROM contact_keys", "call_id", ids):
        for r in conn.execute(sql + " ORDER BY contact_key", chunk):
            keys.setdefault(r["call_id"], []).append(r["contact_key"])
    return [
        ContactRow(r["call_id"], r["call_date"], r["start_time"], r["team"], r["agent_id"],
                   r["topic_id"], tuple(keys.get(r["call_id"], ())))
        for r in calls
    ]  # fmt: skip


def call_metadata_rows(
    conn: sqlite3.Connection, call_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Call id → its stored metadata (JSON decoded), customer id and kind."""
    out: dict[str, dict[str, Any]] = {}
    sql = "SELECT call_id, customer_id, kind, metadata FROM calls"
    for query, chunk in _chunks(sql, "call_id", call_ids):
        for r in conn.execute(query, chunk):
            out[r["call_id"]] = {"customer_id": r["customer_id"], "kind": r["kind"],
                                 "metadata": json.loads(r["metadata"] or "{}")}  # fmt: skip
    return out


def last_call_day(conn: sqlite3.Connection) -> str | None:
    """The latest day with a stored call."""
    row = conn.execute("SELECT MAX(call_date) FROM calls WHERE call_date <> ''").fetchone()
    return None if row is None or row[0] is None else str(row[0])


__all__ = [
    "CallTopicRow",
    "ContactRow",
    "TopicRow",
    "call_metadata_rows",
    "call_topic_rows",
    "contact_rows",
    "last_call_day",
    "load_space",
    "save_call_topics",
    "save_contact_keys",
    "save_space",
    "save_topics",
    "set_topic_status",
    "topic_rows",
]
