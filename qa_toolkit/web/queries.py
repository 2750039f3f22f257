"""The web app's reads: the flagged queue (filtered, sorted, paged), the day's numbers, and
agent and team summaries. The only SQL outside :mod:`qa_toolkit.store`: it is the web's
read model, kept in one module.

The queue is one SQL query with ``LIMIT``/``OFFSET`` rather than
``Store.score_rows()`` filtered in Python, so a page costs the same with ten
calls or ten thousand. Conditions reuse :meth:`Filters.where`, so a date or
team means here what it means in the reports. The default order, ``priority``
(the calls most worth hearing first, as ``qa flagged`` ranks them:
:mod:`qa_toolkit.review.priority`), is computed from each matching call's stored
flags and outcome numbers, read in a few queries, then paged; the priorities are kept per
store until its scores, reviewed scores or review-rule flags change.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from qa_toolkit.review.priority import Priority, stored_priorities
from qa_toolkit.store import Filters, Store

SORTS = {"priority": "", "score": "s.score", "date": "c.call_date", "agent": "c.agent_id",
         "team": "c.team", "call": "c.call_id"}  # fmt: skip
BANDS = ("excellent", "good", "needs_improvement", "poor")
PAGE_SIZE = 50

# The scores and flags as reviewed (a reviewer's verdicts re-total a call): the store's views.
_FROM = "FROM effective_scores s JOIN calls c ON c.call_id = s.call_id"


@dataclass(frozen=True, slots=True)
class QueueQuery:
    """What the supervisor asked of the queue, already validated."""

    since: str | None = None
    until: str | None = None
    team: str | None = None
    agent_id: str | None = None
    kind: str | None = None
    band: str | None = None
    status: str | None = None
    sort: str = "priority"
    descending: bool = False
    page: int = 1
    flagged_only: bool = True  # the queue; False searches every scored call
    call_like: str | None = None  # part of the call id
    said: str | None = None  # words said in the call (the search index, lower-cased)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One flagged call in the queue."""

    call_id: str
    call_date: str
    agent_id: str
    team: str
    score: float
    band: str
    auto_failed: bool
    kinds: str
    status: str
    priority: float = 0.0
    why: str = ""  # the reason that set the priority
    auto_score: float | None = None  # the machine's score; ``score`` is the reviewed one

    @property
    def reviewed(self) -> bool:
        """Whether a reviewer's verdicts moved the score off the machine's."""
        return self.auto_score is not None and abs(self.auto_score - self.score) > 1e-9


@dataclass(frozen=True, slots=True)
class QueuePage:
    """A page of the queue and how many calls match in all."""

    rows: tuple[QueueRow, ...]
    total: int
    page: int
    pages: int
    kind_counts: tuple[tuple[str, int], ...] = field(default=())


# The review status as issue 6's workflow reads it (newest applied 'status' entry of the
# call's current score), in SQL so the queue can filter and page on it.
_STATUS = (
    "COALESCE((SELECT r.status FROM reviews r WHERE r.score_key = s.score_key "
    "AND r.action = 'status' AND r.conflict = 0 ORDER BY r.version DESC LIMIT 1), 'open')"
)


def status_sql(store: Store) -> str:
    """The SQL for a call's review status ('open' on a store the workflow has not migrated)."""
    columns = {r[1] for r in store.conn.execute("PRAGMA table_info(reviews)")}
    return _STATUS if {"conflict", "version"} <= columns else "'open'"


def _where(query: QueueQuery, status: str) -> tuple[str, list[Any]]:
    filters = Filters(since=query.since, until=query.until, team=query.team,
                      agent_id=query.agent_id,
                      flagged=True if query.flagged_only else None)  # fmt: skip
    where, params = filters.where()
    if query.call_like:
        where += " AND LOWER(c.call_id) LIKE ? ESCAPE '\\'"
        params.append(f"%{like_escape(query.call_like.lower())}%")
    if query.said:
        where += (
            " AND EXISTS (SELECT 1 FROM call_text x WHERE x.call_id = c.call_id "
            "AND x.transcript_key = c.transcript_key AND x.text LIKE ? ESCAPE '\\')"
        )
        params.append(f"%{like_escape(query.said)}%")
    if query.kind:
        where += (
            " AND EXISTS (SELECT 1 FROM effective_flags f WHERE f.score_key = s.score_key "
            "AND f.kind = ?)"
        )
        params.append(query.kind)
    if query.band:
        where += " AND s.band = ?"
        params.append(query.band)
    if query.status:
        where += f" AND {status} = ?"
        params.append(query.status)
    return where, params


def like_escape(text: str) -> str:
    """``text`` for a ``LIKE … ESCAPE '\\'`` pattern: its ``%`` and ``_`` taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def queue(store: Store, query: QueueQuery) -> QueuePage:
    """One page of flagged calls matching ``query``, with the total and flag counts."""
    status = status_sql(store)
    where, params = _where(query, status)
    if query.sort == "priority":
        return _by_priority(store, query, where, params, status)
    rows = _page_rows(store, query, where, params, status, max(1, query.page))
    # Counted apart: a window count over every matching row would stop SQLite from reading
    # just the first page in index order (250 ms instead of 20 + 45 over 10,000 calls).
    total = _count(store, where, params)
    pages = max(1, -(-total // PAGE_SIZE))
    if not rows and total and query.page > pages:
        rows = _page_rows(store, query, where, params, status, pages)
    ranks = _priorities(store, rows)
    return QueuePage(
        tuple(_queue_row(r, ranks[str(r["score_key"])]) for r in rows),
        total, min(max(1, query.page), pages), pages, _kind_counts(store, where, params),
    )  # fmt: skip


def _queue_row(r: Any, rank: Priority) -> QueueRow:
    return QueueRow(r["call_id"], r["call_date"], r["agent_id"], r["team"], float(r["score"]),
                    r["band"], bool(r["auto_failed"]), r["kinds"] or "", r["status"],
                    rank.value, rank.reason, float(r["auto_score"]))  # fmt: skip


def _kind_counts(store: Store, where: str, params: list[Any]) -> tuple[tuple[str, int], ...]:
    counts = store.conn.execute(
        f"SELECT f.kind, COUNT(*) FROM effective_flags f "
        f"JOIN effective_scores s ON s.score_key = f.score_key "
        f"JOIN calls c ON c.call_id = s.call_id WHERE {where} GROUP BY f.kind ORDER BY 2 DESC",
        params,
    ).fetchall()
    return tuple((str(k), int(n)) for k, n in counts)


_OUTCOME = (
    "json_extract(s.body, '$.outcome.resolved') AS resolved, "
    "json_extract(s.body, '$.outcome.satisfaction') AS satisfaction, "
    "json_extract(s.body, '$.predicted.low') AS predicted_low"
)


def _by_priority(
    store: Store, query: QueueQuery, where: str, params: list[Any], status: str
) -> QueuePage:
    """Every matching call ranked by review priority (highest first; ↓ reverses), then paged."""
    rows = store.conn.execute(
        "SELECT c.call_id, c.call_date, c.agent_id, c.team, s.score, s.auto_score, s.band, "
        f"s.auto_failed, s.score_key {_FROM} WHERE {where}",
        params,
    ).fetchall()
    ranks = _cached_priorities(store, [str(r["score_key"]) for r in rows])
    order = sorted(rows, key=lambda r: (-ranks[str(r["score_key"])].value, r["call_id"]))
    if query.descending:
        order.reverse()
    total = len(order)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    shown = _with_kinds_and_status(store, order[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], status)
    return QueuePage(
        tuple(_queue_row(r, ranks[str(r["score_key"])]) for r in shown),
        total, page, pages, _kind_counts(store, where, params),
    )  # fmt: skip


def _with_kinds_and_status(store: Store, rows: list[Any], status: str) -> list[dict[str, Any]]:
    """The page's rows with their flag kinds and review status, read for those rows only."""
    if not rows:
        return []
    keys = [str(r["score_key"]) for r in rows]
    found = {
        str(d["score_key"]): d
        for d in store.conn.execute(
            "SELECT s.score_key, (SELECT group_concat(f.kind, ', ') FROM effective_flags f "
            f"WHERE f.score_key = s.score_key) AS kinds, {status} AS status FROM scores s "
            f"WHERE s.score_key IN ({','.join('?' * len(keys))})",
            keys,
        )
    }
    return [{**dict(r), "kinds": found[k]["kinds"], "status": found[k]["status"]}
            for r, k in zip(rows, keys, strict=True)]  # fmt: skip


# Priorities by store file: (what they were computed from, score key → priority). A call's
# priority changes only with its score as reviewed and its flags, so the whole ranking is
# kept until the store's scores, reviewed scores or review-rule flags change; then it is
# read again, lazily, for the calls a page asks about. Without it, ranking 67,000 flagged
# calls of 100,000 read every score's outcome and flags on every queue page (3.6 s).
_RANKS: dict[str, tuple[tuple[Any, ...], dict[str, Priority]]] = {}
_RANKS_LOCK = threading.Lock()


def _stamp(store: Store) -> tuple[Any, ...]:
    """What the priorities depend on, summed up: counts and newest times of the tables."""
    row = store.conn.execute(
        "SELECT (SELECT COUNT(*) FROM scores), (SELECT MAX(created_at) FROM scores), "
        "(SELECT COUNT(*) FROM reviewed_scores), (SELECT MAX(updated_at) FROM reviewed_scores), "
        "(SELECT COUNT(*) FROM review_flags), (SELECT MAX(created_at) FROM review_flags)"
    ).fetchone()
    return tuple(row)


def _cached_priorities(store: Store, keys: list[str]) -> dict[str, Priority]:
    """Priorities of the scores ``keys``, computed once per state of the store."""
    place, stamp = str(store.path.resolve()), _stamp(store)
    with _RANKS_LOCK:
        found = _RANKS.get(place)
        ranks = found[1] if found is not None and found[0] == stamp else {}
        _RANKS[place] = (stamp, ranks)
    missing = [k for k in keys if k not in ranks]
    for start in range(0, len(missing), 400):
        chunk = missing[start : start + 400]
        rows = store.conn.execute(
            f"SELECT s.score_key, s.score, {_OUTCOME} FROM effective_scores s "
            f"WHERE s.score_key IN ({','.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
        computed = _priorities(store, rows)
        with _RANKS_LOCK:
            ranks.update(computed)
    return ranks


def _priorities(store: Store, rows: list[Any]) -> dict[str, Priority]:
    return stored_priorities(
        store.conn,
        [
            (
                str(r["score_key"]),
                float(r["score"]),
                r["resolved"],
                r["satisfaction"],
                r["predicted_low"],
            )
            for r in rows
        ],  # fmt: skip
    )


def _count(store: Store, where: str, params: list[Any]) -> int:
    return int(store.conn.execute(f"SELECT COUNT(*) {_FROM} WHERE {where}", params).fetchone()[0])


def _page_rows(
    store: Store, query: QueueQuery, where: str, params: list[Any], status: str, page: int
) -> list[Any]:
    """The page's rows; flag kinds and review status are looked up for those rows only."""
    direction = "DESC" if query.descending else "ASC"
    inner = (
        "SELECT c.call_id, c.call_date, c.agent_id, c.team, s.score, s.auto_score, s.band, "
        f"s.auto_failed, s.score_key, {_OUTCOME} {_FROM} "
        f"WHERE {where} "
        f"ORDER BY {SORTS[query.sort]} {direction}, c.call_id LIMIT ? OFFSET ?"
    )
    sql = (
        "SELECT p.*, (SELECT group_concat(f.kind, ', ') FROM effective_flags f "
        "WHERE f.score_key = p.score_key) AS kinds, "
        f"{status.replace('s.score_key', 'p.score_key')} AS status FROM ({inner}) p "
        f"ORDER BY p.{SORTS[query.sort].split('.')[1]} {direction}, p.call_id"
    )
    return store.conn.execute(sql, [*params, PAGE_SIZE, (page - 1) * PAGE_SIZE]).fetchall()


def day_numbers(store: Store, day: str | None = None) -> dict[str, Any]:
    """The numbers of one day (the newest in the store by default): calls, flagged, mean score."""
    if day is None:
        row = store.conn.execute("SELECT MAX(call_date) FROM calls").fetchone()
        day = row[0] or ""
    where, params = Filters(date=day).where()
    row = store.conn.execute(
        f"SELECT COUNT(*), SUM(s.flagged), AVG(s.score), SUM(s.auto_failed) {_FROM} WHERE {where}",
        params,
    ).fetchone()
    return {"day": day, "calls": int(row[0] or 0), "flagged": int(row[1] or 0),
            "mean": float(row[2] or 0.0), "auto_failed": int(row[3] or 0)}  # fmt: skip


def choices(store: Store) -> dict[str, list[str]]:
    """The teams, agents and flag kinds in the store, for the filter menus."""

    def column(sql: str) -> list[str]:
        return [str(r[0]) for r in store.conn.execute(sql) if r[0]]

    return {
        "teams": column("SELECT DISTINCT team FROM calls ORDER BY team"),
        "agents": column("SELECT DISTINCT agent_id FROM calls ORDER BY agent_id"),
        "kinds": column("SELECT DISTINCT kind FROM effective_flags ORDER BY kind"),
    }


def person_summary(store: Store, *, team: str | None = None, agent_id: str | None = None
                   ) -> dict[str, Any]:  # fmt: skip
    """An agent's or a team's calls: mean score per day, each call's score (newest 1,000, for
    the trend), the items failed most (with titles and the share of scored calls), flag kinds,
    and the newest calls."""
    where, params = Filters(team=team, agent_id=agent_id).where()
    days = store.conn.execute(
        f"SELECT c.call_date, AVG(s.score), COUNT(*), SUM(s.flagged) {_FROM} WHERE {where} "
        "GROUP BY c.call_date ORDER BY c.call_date",
        params,
    ).fetchall()
    items = store.conn.execute(
        f"SELECT i.item_id, MAX(i.title), COUNT(*) FROM item_results i JOIN effective_scores s "
        f"ON s.score_key = i.score_key JOIN calls c ON c.call_id = s.call_id "
        f"LEFT JOIN reviewed_items v ON v.score_key = i.score_key AND v.item_id = i.item_id "
        f"WHERE {where} AND COALESCE(v.status, i.status) = 'fail' "
        f"GROUP BY i.item_id ORDER BY 3 DESC, 1 LIMIT 10",
        params,
    ).fetchall()
    kinds = store.conn.execute(
        f"SELECT f.kind, COUNT(*) FROM effective_flags f JOIN effective_scores s "
        f"ON s.score_key = f.score_key JOIN calls c ON c.call_id = s.call_id WHERE {where} "
        f"GROUP BY f.kind ORDER BY 2 DESC, 1",
        params,
    ).fetchall()
    calls = store.conn.execute(
        f"SELECT c.call_id, c.call_date, s.score, s.auto_score, s.band, s.flagged {_FROM} "
        f"WHERE {where} ORDER BY c.call_date DESC, c.start_time DESC, c.call_id LIMIT 1000",
        params,
    ).fetchall()
    total = sum(int(n) for _, _, n, _ in days)
    return {
        "days": [(str(d), float(m), int(n)) for d, m, n, _ in days],
        "items": [(str(i), str(t or i), int(n), int(n) / total if total else 0.0)
                  for i, t, n in items],
        "kinds": [(str(k), int(n)) for k, n in kinds],
        "points": [(str(r["call_date"]), float(r["score"])) for r in calls],
        "recent": [dict(r) for r in calls[:20]],
        "flagged": sum(int(f or 0) for *_, f in days),
        "calls": total,
        "mean": sum(float(m) * int(n) for _, m, n, _ in days) / total if total else 0.0,
    }  # fmt: skip


def latest_score_key(store: Store, call_id: str) -> str | None:
    """The key of the call's newest score, or None when it was never scored."""
    row = store.conn.execute(
        "SELECT score_key FROM scores WHERE call_id = ? ORDER BY created_at DESC LIMIT 1",
        (call_id,),
    ).fetchone()
    return None if row is None else str(row[0])
