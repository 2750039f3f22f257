"""The calibration tables' SQL: sessions, their calls and members, and each member's verdicts.

:mod:`qa_toolkit.review.calibration` holds the rules and the agreement
arithmetic; these functions only read and write rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

Row = sqlite3.Row


def insert_session(
    conn: sqlite3.Connection,
    session: Mapping[str, Any],
    calls: Sequence[tuple[str, str]],
    members: Sequence[str],
) -> None:
    """Store a session (``session_id``, ``title``, ``created_by``, ``created_at``), its
    (call_id, score_key) calls in order and its members."""
    conn.execute(
        "INSERT INTO calibration_sessions (session_id, title, created_by, created_at) "
        "VALUES (?,?,?,?)",
        (session["session_id"], session["title"], session["created_by"], session["created_at"]),
    )
    conn.executemany(
        "INSERT INTO calibration_calls (session_id, call_id, score_key, position) VALUES (?,?,?,?)",
        [(session["session_id"], c, k, n) for n, (c, k) in enumerate(calls)],
    )
    conn.executemany(
        "INSERT INTO calibration_members (session_id, reviewer) VALUES (?,?)",
        [(session["session_id"], m) for m in members],
    )


def close_session(conn: sqlite3.Connection, session_id: str, when: str) -> int:
    """Close an open session; the rows changed (0: unknown or closed already)."""
    return conn.execute(
        "UPDATE calibration_sessions SET closed_at = ? WHERE session_id = ? AND closed_at IS NULL",
        (when, session_id),
    ).rowcount


def session_rows(
    conn: sqlite3.Connection, *, session_id: str | None = None, member: str | None = None
) -> list[Row]:
    """Sessions, newest first (one by id, or those a reviewer is a member of)."""
    where, params = [], []
    if session_id is not None:
        where.append("s.session_id = ?")
        params.append(session_id)
    if member is not None:
        where.append("EXISTS (SELECT 1 FROM calibration_members m "
                     "WHERE m.session_id = s.session_id AND m.reviewer = ?)")  # fmt: skip
        params.append(member)
    sql = "SELECT s.* FROM calibration_sessions s"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return conn.execute(sql + " ORDER BY s.created_at DESC, s.session_id", params).fetchall()


def session_calls(conn: sqlite3.Connection, session_id: str) -> list[tuple[str, str]]:
    """A session's (call_id, score_key), in order."""
    rows = conn.execute(
        "SELECT call_id, score_key FROM calibration_calls WHERE session_id = ? ORDER BY position",
        (session_id,),
    )
    return [(str(c), str(k)) for c, k in rows]


def session_members(conn: sqlite3.Connection, session_id: str) -> list[str]:
    """A session's reviewers, by name."""
    rows = conn.execute(
        "SELECT reviewer FROM calibration_members WHERE session_id = ? ORDER BY reviewer",
        (session_id,),
    )
    return [str(r[0]) for r in rows]


def save_verdicts(
    conn: sqlite3.Connection, rows: Iterable[tuple[str, str, str, str, str, str]]
) -> None:
    """Store (session_id, call_id, reviewer, item_id, status, created_at) verdicts, replacing a
    reviewer's earlier verdict on the same item."""
    conn.executemany(
        "INSERT INTO calibration_verdicts (session_id, call_id, reviewer, item_id, status, "
        "created_at) VALUES (?,?,?,?,?,?) ON CONFLICT (session_id, call_id, reviewer, item_id) "
        "DO UPDATE SET status = excluded.status, created_at = excluded.created_at",
        list(rows),
    )


def verdict_rows(
    conn: sqlite3.Connection, session_id: str, *, reviewer: str | None = None
) -> list[Row]:
    """A session's verdicts (call_id, reviewer, item_id, status), of one reviewer when given."""
    sql = "SELECT call_id, reviewer, item_id, status FROM calibration_verdicts WHERE session_id = ?"
    params = [session_id]
    if reviewer is not None:
        sql += " AND reviewer = ?"
        params.append(reviewer)
    return conn.execute(sql + " ORDER BY call_id, reviewer, item_id", params).fetchall()
