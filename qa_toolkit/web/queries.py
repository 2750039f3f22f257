"""The web app's reads: the flagged queue (filtered, sorted, paged), the day's numbers, and
agent and team summaries. The only SQL outside :mod:`qa_toolkit.store`: it is the web's
read model, kept in one module.

The queue is one SQL query with ``LIMIT``/``OFFSET`` rather than
``Store.score_rows()`` filtered in Python, so a page costs the same with ten
calls or ten thousand. Conditions reuse :meth:`Filters.where`, so a date or
team means here what it means in the reports. The default order, ``priority``
(the calls most worth hearing first, as ``qa flagged`` ranks them:
:mod:`qa_toolkit.review.priority`), is computed from each matching call's stored
flags and outcome numbers, read in two queries, then paged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qa_toolkit.review.priority import Priority, stored_priorities
from qa_toolkit.store import Filters, Store

SORTS = {"priority": "", "score": "s.score", "date": "c.call_date", "agent": "c.agent_id",
         "team": "c.team", "call": "c.call_id"}  # fmt: skip
BANDS = ("excellent", "good", "needs_improvement", "poor")
PAGE_SIZE = 50

_FROM = "FROM scores s JOIN calls c ON c.call_id = s.call_id"


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
                      agent_id=query.agent_id, flagged=True)  # fmt: skip
    where, params = filters.where()
    if query.kind:
        where += (
            " AND EXISTS (SELECT 1 FROM flags f WHERE f.score_key = s.score_key AND f.kind = ?)"
        )
        params.append(query.kind)
    if query.band:
        where += " AND s.band = ?"
        params.append(query.band)
    if query.status:
        where += f" AND {status} = ?"
        params.append(query.status)
    return where, params


def queue(store: Store, query: QueueQuery) -> QueuePage:
    """One page of flagged calls matching ``query``, with the total and flag counts."""
    status = status_sql(store)
    where, params = _where(query, status)
    if query.sort == "priority":
        return _by_priority(store, query, where, params, status)
    rows = _page_rows(store, query, where, params, status, max(1, query.page))
    total = int(rows[0]["total"]) if rows else _count(store, where, params)
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
                    rank.value, rank.reason)  # fmt: skip


def _kind_counts(store: Store, where: str, params: list[Any]) -> tuple[tuple[str, int], ...]:
    counts = store.conn.execute(
        f"SELECT f.kind, COUNT(*) FROM flags f JOIN scores s ON s.score_key = f.score_key "
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
        "SELECT c.call_id, c.call_date, c.agent_id, c.team, s.score, s.band, s.auto_failed, "
        f"s.score_key, {_OUTCOME}, (SELECT group_concat(f.kind, ', ') FROM flags f "
        f"WHERE f.score_key = s.score_key) AS kinds, {status} AS status {_FROM} WHERE {where}",
        params,
    ).fetchall()
    ranks = _priorities(store, rows)
    order = sorted(rows, key=lambda r: (-ranks[str(r["score_key"])].value, r["call_id"]))
    if query.descending:
        order.reverse()
    total = len(order)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    shown = order[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return QueuePage(
        tuple(_queue_row(r, ranks[str(r["score_key"])]) for r in shown),
        total, page, pages, _kind_counts(store, where, params),
    )  # fmt: skip


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
        "SELECT c.call_id, c.call_date, c.agent_id, c.team, s.score, s.band, s.auto_failed, "
        f"s.score_key, {_OUTCOME}, COUNT(*) OVER () AS total {_FROM} WHERE {where} "
        f"ORDER BY {SORTS[query.sort]} {direction}, c.call_id LIMIT ? OFFSET ?"
    )
    sql = (
        "SELECT p.*, (SELECT group_concat(f.kind, ', ') FROM flags f "
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
        "kinds": column("SELECT DISTINCT kind FROM flags ORDER BY kind"),
    }


def person_summary(store: Store, *, team: str | None = None, agent_id: str | None = None
                   ) -> dict[str, Any]:  # fmt: skip
    """Scores over time (mean per day) and the items failed most, for an agent or a team."""
    where, params = Filters(team=team, agent_id=agent_id).where()
    days = store.conn.execute(
        f"SELECT c.call_date, AVG(s.score), COUNT(*) {_FROM} WHERE {where} "
        "GROUP BY c.call_date ORDER BY c.call_date",
        params,
    ).fetchall()
    items = store.conn.execute(
        f"SELECT i.item_id, COUNT(*) FROM item_results i JOIN scores s "
        f"ON s.score_key = i.score_key JOIN calls c ON c.call_id = s.call_id "
        f"WHERE {where} AND i.status = 'fail' GROUP BY i.item_id ORDER BY 2 DESC LIMIT 10",
        params,
    ).fetchall()
    return {
        "days": [(str(d), float(m), int(n)) for d, m, n in days],
        "items": [(str(i), int(n)) for i, n in items],
        "calls": sum(int(n) for _, _, n in days),
    }


def latest_score_key(store: Store, call_id: str) -> str | None:
    """The key of the call's newest score, or None when it was never scored."""
    row = store.conn.execute(
        "SELECT score_key FROM scores WHERE call_id = ? ORDER BY created_at DESC LIMIT 1",
        (call_id,),
    ).fetchone()
    return None if row is None else str(row[0])
