"""The workspace tables' SQL: assignments, comments, coaching notes and the case library.

:mod:`qa_toolkit.review.coaching` holds the rules (who may do what, what is
valid); these functions only read and write rows on a connection the caller
holds, inside its transaction when they write.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

Row = sqlite3.Row


def _insert(conn: sqlite3.Connection, table: str, row: Mapping[str, Any]) -> None:
    columns = list(row)
    conn.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({','.join('?' * len(columns))})",
        [row[c] for c in columns],
    )


# ------------------------------------------------------------------ assignments


def assign(conn: sqlite3.Connection, row: Mapping[str, Any]) -> None:
    """Assign a call (``call_id``, ``reviewer``, ``assigned_by``, ``note``, ``created_at``),
    replacing the call's earlier assignment."""
    conn.execute(
        "INSERT INTO assignments (call_id, reviewer, assigned_by, note, created_at, done_at) "
        "VALUES (?,?,?,?,?,NULL) ON CONFLICT (call_id) DO UPDATE SET reviewer = excluded.reviewer, "
        "assigned_by = excluded.assigned_by, note = excluded.note, "
        "created_at = excluded.created_at, done_at = NULL",
        (row["call_id"], row["reviewer"], row["assigned_by"], row["note"], row["created_at"]),
    )


def unassign(conn: sqlite3.Connection, call_id: str) -> None:
    """Take a call's assignment away."""
    conn.execute("DELETE FROM assignments WHERE call_id = ?", (call_id,))


def assignment_rows(
    conn: sqlite3.Connection, *, reviewer: str | None = None, call_id: str | None = None
) -> list[Row]:
    """Assignments (of one reviewer, or of one call), oldest first, with each call's agent,
    team, day and reviewed score."""
    wanted = [(c, v) for c, v in (("a.reviewer", reviewer), ("a.call_id", call_id)) if v]
    where = " AND ".join(f"{c} = ?" for c, _ in wanted)
    return conn.execute(
        "SELECT a.*, c.agent_id, c.team, c.call_date, (SELECT s.score FROM effective_scores s "
        "WHERE s.call_id = a.call_id ORDER BY s.created_at DESC LIMIT 1) AS score "
        "FROM assignments a JOIN calls c ON c.call_id = a.call_id"
        + (f" WHERE {where}" if where else "")
        + " ORDER BY a.created_at, a.call_id",
        [v for _, v in wanted],
    ).fetchall()


# ------------------------------------------------------------------ comments


def insert_comment(conn: sqlite3.Connection, row: Mapping[str, Any]) -> None:
    """Add a comment (``comment_id``, ``call_id``, ``author``, ``at_s``, ``body``,
    ``created_at``)."""
    _insert(conn, "call_comments", row)


def comment_rows(conn: sqlite3.Connection, call_id: str) -> list[Row]:
    """A call's comments, in the order of the call (those without a time last), then written."""
    return conn.execute(
        "SELECT * FROM call_comments WHERE call_id = ? "
        "ORDER BY CASE WHEN at_s IS NULL THEN 1 ELSE 0 END, at_s, created_at",
        (call_id,),
    ).fetchall()


# ------------------------------------------------------------------ coaching notes


def insert_note(conn: sqlite3.Connection, row: Mapping[str, Any]) -> None:
    """Add a coaching note (``note_id``, ``agent_id``, ``call_id``, ``item_id``, ``author``,
    ``body``, ``created_at``)."""
    _insert(conn, "coaching_notes", row)


def note_rows(
    conn: sqlite3.Connection, *, agent_id: str | None = None, note_id: str | None = None,
    call_id: str | None = None,
) -> list[Row]:  # fmt: skip
    """Coaching notes, newest first, by agent, note or call."""
    wanted = [(c, v) for c, v in (("agent_id", agent_id), ("note_id", note_id),
                                  ("call_id", call_id)) if v is not None]  # fmt: skip
    where = " AND ".join(f"{c} = ?" for c, _ in wanted)
    sql = "SELECT * FROM coaching_notes" + (f" WHERE {where}" if where else "")
    return conn.execute(
        sql + " ORDER BY created_at DESC, note_id", [v for _, v in wanted]
    ).fetchall()


def acknowledge_note(
    conn: sqlite3.Connection, note_id: str, *, by: str, reply: str, when: str
) -> int:
    """Mark a note acknowledged (once); the number of rows changed (0: already done)."""
    return conn.execute(
        "UPDATE coaching_notes SET acknowledged_at = ?, acknowledged_by = ?, reply = ? "
        "WHERE note_id = ? AND acknowledged_at IS NULL",
        (when, by, reply, note_id),
    ).rowcount


# ------------------------------------------------------------------ case library


def insert_case(conn: sqlite3.Connection, row: Mapping[str, Any]) -> None:
    """Add a call to the case library (``case_id``, ``call_id``, ``example``, ``tag``,
    ``note``, ``at_s``, ``added_by``, ``created_at``)."""
    _insert(conn, "case_library", row)


def delete_case(conn: sqlite3.Connection, case_id: str) -> int:
    """Remove a case; the number of rows removed."""
    return conn.execute("DELETE FROM case_library WHERE case_id = ?", (case_id,)).rowcount


def case_rows(
    conn: sqlite3.Connection, *, tag: str | None = None, example: str | None = None,
    call_id: str | None = None,
) -> list[Row]:  # fmt: skip
    """Cases, newest first, with each call's agent, team, day, language and reviewed score."""
    wanted = [(c, v) for c, v in (("k.tag", tag), ("k.example", example), ("k.call_id", call_id))
              if v is not None]  # fmt: skip
    where = " AND ".join(f"{c} = ?" for c, _ in wanted)
    return conn.execute(
        "SELECT k.*, c.agent_id, c.team, c.call_date, c.language, (SELECT s.score FROM "
        "effective_scores s WHERE s.call_id = k.call_id ORDER BY s.created_at DESC LIMIT 1) "
        "AS score FROM case_library k JOIN calls c ON c.call_id = k.call_id"
        + (f" WHERE {where}" if where else "")
        + " ORDER BY k.created_at DESC, k.case_id",
        [v for _, v in wanted],
    ).fetchall()


def case_tags(conn: sqlite3.Connection) -> list[tuple[str, int]]:
    """Every tag of the case library with how many cases carry it."""
    rows = conn.execute("SELECT tag, COUNT(*) FROM case_library GROUP BY tag ORDER BY tag")
    return [(str(t), int(n)) for t, n in rows]


# ------------------------------------------------------------------ redaction


_FREE_TEXT: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("call_comments", "comment_id", ("body",)),
    ("coaching_notes", "note_id", ("body", "reply")),
    ("case_library", "case_id", ("note",)),
)


def scrub_free_text(
    conn: sqlite3.Connection, text_fn: Callable[[str], str], call_ids: Sequence[str] | None
) -> int:
    """Pass the workspace's free text (comments, coaching notes and replies, case notes)
    through ``text_fn`` and drop the search index of the calls; the rows changed.

    Inside the caller's transaction."""
    where, params = "1 = 1", []
    if call_ids is not None:
        where, params = f"call_id IN ({','.join('?' * len(call_ids))})", list(call_ids)
    changed = 0
    for table, key, columns in _FREE_TEXT:
        rows = conn.execute(
            f"SELECT {key}, {', '.join(columns)} FROM {table} WHERE {where}", params
        ).fetchall()
        for row in rows:
            new = [text_fn(row[c] or "") for c in columns]
            if new != [row[c] or "" for c in columns]:
                sets = ", ".join(f"{c} = ?" for c in columns)
                conn.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", [*new, row[key]])
                changed += 1
    conn.execute(f"DELETE FROM call_text WHERE {where}", params)
    return changed
