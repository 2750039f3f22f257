"""The review tables' SQL: the audit log, appeals, the review rules' flags and their runs.

:mod:`qa_toolkit.review` holds the workflow's rules (transitions, versions,
conflicts, final judgements); these functions only read and write rows, on a
connection the caller holds (inside its transaction when it writes), so every
statement of the product lives in :mod:`qa_toolkit.store`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from qa_toolkit.scoring.types import CallScore, Flag, ScoreTerms

Row = sqlite3.Row

# ------------------------------------------------------------------ scores


def latest_score_row(conn: sqlite3.Connection, call_id: str) -> Row | None:
    """The newest score of a call: (call_id, score_key, rubric_id, rubric_version, agent_id,
    team, score as reviewed)."""
    found: Row | None = conn.execute(
        "SELECT s.call_id, s.score_key, s.rubric_id, s.rubric_version, c.agent_id, c.team, "
        "s.score FROM effective_scores s JOIN calls c ON c.call_id = s.call_id WHERE s.call_id = ? "
        "ORDER BY s.created_at DESC LIMIT 1",
        (call_id,),
    ).fetchone()
    return found


def item_result_row(conn: sqlite3.Connection, score_key: str, item_id: str) -> Row | None:
    """(status, points, max_points) of one item of a stored score."""
    found: Row | None = conn.execute(
        "SELECT status, points, max_points FROM item_results WHERE score_key = ? AND item_id = ?",
        (score_key, item_id),
    ).fetchone()
    return found


def item_ids(conn: sqlite3.Connection, score_key: str) -> list[str]:
    """The ids of a stored score's items."""
    rows = conn.execute("SELECT item_id FROM item_results WHERE score_key = ?", (score_key,))
    return [str(r[0]) for r in rows]


def score_run(conn: sqlite3.Connection, score_key: str) -> tuple[dict[str, Any], str, str] | None:
    """(the options of the run that stored a score, its rubric id, its rubric version)."""
    row = conn.execute(
        "SELECT r.options, s.rubric_id, s.rubric_version FROM scores s JOIN runs r "
        "ON r.run_id = s.run_id WHERE s.score_key = ?",
        (score_key,),
    ).fetchone()
    return None if row is None else (json.loads(row[0]), str(row[1]), str(row[2]))


def score_terms(conn: sqlite3.Connection, score_key: str) -> ScoreTerms | None:
    """The bands and ``flag_below`` a stored score was judged by (None if not recorded)."""
    row = conn.execute("SELECT terms FROM scores WHERE score_key = ?", (score_key,)).fetchone()
    return None if row is None else ScoreTerms.from_dict(json.loads(row[0] or "{}"))


def save_reviewed(
    conn: sqlite3.Connection, score_key: str, reviewed: CallScore, *, review_id: str, when: str
) -> None:
    """Replace a score's reviewed rows with ``reviewed``; none when no verdict changed an item
    (the machine's score is then the score again). Inside the caller's transaction."""
    for table in ("reviewed_flags", "reviewed_items", "reviewed_scores"):
        conn.execute(f"DELETE FROM {table} WHERE score_key = ?", (score_key,))
    if not reviewed.reviewed:
        return
    resolution = "; ".join(f"{f.kind}: {f.reason}" for f in reviewed.resolved)
    conn.execute(
        "INSERT INTO reviewed_scores (score_key, call_id, score, raw_score, band, auto_failed, "
        "flagged, resolution, body, review_id, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        (score_key, reviewed.call_id, reviewed.score, reviewed.raw_score, reviewed.band,
         int(reviewed.auto_failed), int(bool(reviewed.flags)), resolution,
         json.dumps(reviewed.to_dict(), ensure_ascii=False, sort_keys=True), review_id, when),
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO reviewed_items (score_key, item_id, status, points, review) "
        "VALUES (?,?,?,?,?)",
        [(score_key, i.item_id, i.status, i.points, i.review) for i in reviewed.items
         if i.auto_status is not None],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO reviewed_flags (score_key, position, kind, reason, strength) "
        "VALUES (?,?,?,?,?)",
        [(score_key, n, f.kind, f.reason, f.strength) for n, f in enumerate(reviewed.flags)],
    )


def features_bodies(conn: sqlite3.Connection, score_keys: Iterable[str]) -> dict[str, Any]:
    """Each stored score's features body (its ``values`` and ``details``), by score key."""
    out: dict[str, Any] = {}
    for key in score_keys:
        row = conn.execute(
            "SELECT f.body FROM scores s JOIN features f ON f.features_key = s.features_key "
            "WHERE s.score_key = ?",
            (key,),
        ).fetchone()
        if row is not None:
            out[key] = json.loads(row[0])
    return out


# ------------------------------------------------------------------ the audit log


def latest_version(conn: sqlite3.Connection, call_id: str) -> int:
    """The call's workflow version: its newest applied (non-conflicting) action's."""
    row = conn.execute(
        "SELECT MAX(version) FROM reviews WHERE call_id = ? AND conflict = 0", (call_id,)
    ).fetchone()
    return int(row[0] or 0)


def latest_status_row(conn: sqlite3.Connection, score_key: str) -> Row | None:
    """(status, reviewer, comment, created_at) of a score's newest applied status action."""
    found: Row | None = conn.execute(
        "SELECT status, reviewer, comment, created_at FROM reviews WHERE score_key = ? "
        "AND action = 'status' AND conflict = 0 ORDER BY version DESC LIMIT 1",
        (score_key,),
    ).fetchone()
    return found


def review_rows(conn: sqlite3.Connection, call_id: str) -> list[Row]:
    """Every action on a call, oldest first."""
    return conn.execute(
        "SELECT * FROM reviews WHERE call_id = ? ORDER BY created_at, review_id", (call_id,)
    ).fetchall()


def insert_review(conn: sqlite3.Connection, row: Mapping[str, Any]) -> None:
    """Append one action (``review_id`` … ``detail``, as the ``reviews`` columns) to the log."""
    columns = (
        "review_id", "call_id", "score_key", "item_id", "reviewer", "action", "status",
        "comment", "created_at", "version", "expected_version", "conflict", "detail",
    )  # fmt: skip
    conn.execute(
        f"INSERT INTO reviews ({', '.join(columns)}) VALUES ({','.join('?' * len(columns))})",
        tuple(row[c] for c in columns),
    )


# ------------------------------------------------------------------ appeals


def insert_appeal(conn: sqlite3.Connection, row: Mapping[str, Any]) -> None:
    """File an appeal (``appeal_id``, ``call_id``, ``score_key``, ``agent_id``, ``reason``,
    ``status``, ``created_at``, ``item_id``)."""
    columns = ("appeal_id", "call_id", "score_key", "agent_id", "reason", "status", "created_at",
               "item_id")  # fmt: skip
    conn.execute(
        f"INSERT INTO appeals ({', '.join(columns)}) VALUES ({','.join('?' * len(columns))})",
        tuple(row[c] for c in columns),
    )


def appeal_is_final(conn: sqlite3.Connection, appeal_id: str) -> bool:
    """Whether an appeal has its final judgement."""
    row = conn.execute("SELECT final FROM appeals WHERE appeal_id = ?", (appeal_id,)).fetchone()
    return bool(row and row[0])


def decide_appeal(
    conn: sqlite3.Connection,
    appeal_id: str,
    *,
    decision: str,
    reason: str,
    reviewer: str,
    final: bool,
    when: str,
) -> None:
    """Record an appeal's decision."""
    conn.execute(
        "UPDATE appeals SET status = ?, decision = ?, decision_reason = ?, reviewer = ?, "
        "final = ?, decided_at = ? WHERE appeal_id = ?",
        (decision, decision, reason, reviewer, int(final), when, appeal_id),
    )


def appeal_rows(conn: sqlite3.Connection, **equal: str | None) -> list[Row]:
    """Appeals, oldest first, whose ``call_id`` / ``status`` / ``appeal_id`` equal the given."""
    known = ("call_id", "status", "appeal_id")
    wanted = [(c, v) for c, v in equal.items() if v is not None]
    if any(c not in known for c, _ in wanted):
        raise ValueError(f"appeals are filtered by {', '.join(known)}")
    where = " AND ".join(f"{c} = ?" for c, _ in wanted)
    sql = "SELECT * FROM appeals" + (f" WHERE {where}" if where else "")
    return conn.execute(sql + " ORDER BY created_at, appeal_id", [v for _, v in wanted]).fetchall()


def open_appeal_count(conn: sqlite3.Connection, call_id: str) -> int:
    """How many of a call's appeals await a final judgement."""
    row = conn.execute(
        "SELECT COUNT(*) FROM appeals WHERE call_id = ? AND final = 0", (call_id,)
    ).fetchone()
    return int(row[0])


# ------------------------------------------------------------------ flags


def score_flag_rows(conn: sqlite3.Connection, score_keys: Sequence[str]) -> list[Row]:
    """(score_key, kind, reason, strength) of every flag of the scores: the scorer's (as
    reviewed), in order, then the review rules' (no strength)."""
    rows: list[Row] = []
    for start in range(0, len(score_keys), 400):
        chunk = list(score_keys[start : start + 400])
        marks = ",".join("?" * len(chunk))
        rows += conn.execute(
            f"SELECT score_key, kind, reason, strength, 0 AS rules, position AS n, '' AS at "
            f"FROM effective_flags WHERE score_key IN ({marks}) "
            f"UNION ALL SELECT score_key, kind, reason, NULL, 1, 0, created_at FROM review_flags "
            f"WHERE score_key IN ({marks}) ORDER BY rules, n, at, kind",
            [*chunk, *chunk],
        ).fetchall()
    return rows


def flag_of(row: Row) -> Flag:
    """A :class:`Flag` from a row of :func:`score_flag_rows`."""
    strength = row["strength"]
    return Flag(str(row["kind"]), str(row["reason"]), None if strength is None else float(strength))


def record_flag_run(
    conn: sqlite3.Connection,
    run: Mapping[str, Any],
    flags: Iterable[tuple[str, str, str]],
) -> None:
    """Store a flagging pass (``flag_run_id``, ``rules``, ``sample_rate``, ``seed``, ``calls``,
    ``flagged``, ``sampled``, ``created_at``) and its (score key, kind, reason) flags; a flag
    already raised on a score keeps its first reason and run."""
    columns = ("flag_run_id", "rules", "sample_rate", "seed", "calls", "flagged", "sampled",
               "created_at")  # fmt: skip
    conn.execute(
        f"INSERT INTO flag_runs ({', '.join(columns)}) VALUES ({','.join('?' * len(columns))})",
        tuple(run[c] for c in columns),
    )
    conn.executemany(
        "INSERT INTO review_flags (score_key, kind, reason, flag_run_id, created_at) "
        "VALUES (?,?,?,?,?) ON CONFLICT (score_key, kind) DO NOTHING",
        [(key, kind, reason, run["flag_run_id"], run["created_at"]) for key, kind, reason in flags],
    )
