"""The web app's reads: the flagged queue (filtered, sorted, paged), the day's numbers, and
agent and team summaries.

The queue is one SQL query with ``LIMIT``/``OFFSET`` rather than
``Store.score_rows()`` filtered in Python, so a page costs the same with ten
calls or ten thousand. Conditions reuse :meth:`Filters.where`, so a date or
team means here what it means in the reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qa_toolkit.store import Filters, Store

SORTS = {"score": "s.score", "date": "c.call_date", "agent": "c.agent_id", "team": "c.team",
         "call": "c.call_id"}  # fmt: skip
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
    sort: str = "score"
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
    rows = _page_rows(store, query, where, params, status, max(1, query.page))
    total = int(rows[0]["total"]) if rows else _count(store, where, params)
    pages = max(1, -(-total // PAGE_SIZE))
    if not rows and total and query.page > pages:
        rows = _page_rows(store, query, where, params, status, pages)
    counts = store.conn.execute(
        f"SELECT f.kind, COUNT(*) FROM flags f JOIN scores s ON s.score_key = f.score_key "
        f"JOIN calls c ON c.call_id = s.call_id WHERE {where} GROUP BY f.kind ORDER BY 2 DESC",
        params,
    ).fetchall()
    return QueuePage(
        tuple(QueueRow(r["call_id"], r["call_date"], r["agent_id"], r["team"], float(r["score"]),
                       r["band"], bool(r["auto_failed"]), r["kinds"] or "", r["status"])
              for r in rows),
        total, min(max(1, query.page), pages), pages,
        tuple((str(k), int(n)) for k, n in counts),
    )  # fmt: skip


def _count(store: Store, where: str, params: list[Any]) -> int:
    return int(store.conn.execute(f"SELECT COUNT(*) {_FROM} WHERE {where}", params).fetchone()[0])


def _page_rows(
    store: Store, query: QueueQuery, where: str, params: list[Any], status: str, page: int
) -> list[Any]:
    """The page's rows; flag kinds and review status are looked up for those rows only."""
    direction = "DESC" if query.descending else "ASC"
    inner = (
        "SELECT c.call_id, c.call_date, c.agent_id, c.team, s.score, s.band, s.auto_failed, "
        f"s.score_key, COUNT(*) OVER () AS total {_FROM} WHERE {where} "
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
