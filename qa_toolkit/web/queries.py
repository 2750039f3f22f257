"""The web app's reads: the flagged queue (filtered, sorted, paged), the day's numbers, and
agent and team summaries. The only SQL outside :mod:`qa_toolkit.store`: it is the web's
read model, kept in one module.

A page of the queue (and of the search) reads its fifty keys with ``LIMIT``/``OFFSET`` by
walking an index in the page's order, then those rows' details, so it costs about the same
with a thousand calls or a million. It reads ``queue_rank`` (schema v8,
:mod:`qa_toolkit.store.scale_schema`): one row per scored call with its current score,
flagged, band and flag kinds as reviewed, and its review priority
(:mod:`qa_toolkit.review.priority`, the order ``qa flagged`` ranks by). Before each page
the rows are brought up to date from what was written since the last look (scores,
reviews, reviewed scores, review-rule flags; found by their indexed write times), so a
reviewer's verdict moves the call at once. Conditions reuse :meth:`Filters.where`, so a
date or team means here what it means in the reports.

Counts over every matching call (the total and flag kinds, the day's numbers, the filter
menus) are kept per store and question until the store's newest write times change, or
for at most :data:`COUNTS_MAX_AGE_S` (a write committed out of time order moves no
maximum, nor does the search index filling in).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from qa_toolkit.review.priority import Priority, stored_priorities
from qa_toolkit.store import Filters, Store
from qa_toolkit.store.connection import transaction, utc_now

SORTS = {"priority": "q.priority", "score": "s.score", "date": "c.call_date",
         "agent": "c.agent_id", "team": "c.team", "call": "c.call_id"}  # fmt: skip
BANDS = ("excellent", "good", "needs_improvement", "poor")
PAGE_SIZE = 50
COUNTS_MAX_AGE_S = 10.0

# Each scored call's current score, as reviewed (the store's view), with its rank row.
_FROM = (
    "FROM queue_rank q JOIN calls c ON c.call_id = q.call_id "
    "JOIN effective_scores s ON s.score_key = q.score_key"
)
# Every call's newest score (the reports' reading, with Filters(latest=True)).
_SCORED = "FROM effective_scores s JOIN calls c ON c.call_id = s.call_id"
T = TypeVar("T")


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
# call's current score), in SQL so the queue can filter on it.
_STATUS = (
    "COALESCE((SELECT r.status FROM reviews r WHERE r.score_key = q.score_key "
    "AND r.action = 'status' AND r.conflict = 0 ORDER BY r.version DESC LIMIT 1), 'open')"
)


# The words' test, two ways. As a semi-join PostgreSQL reads every call's text once (about a
# second at a million calls) and sorts the matches: right for rare words. Walking the page's
# order and testing each call's text (a subquery it cannot turn into a join) stops after a page
# of matches: right for common ones. SQLite always walks (its join order is fixed).
_SAID_JOIN = (
    " AND EXISTS (SELECT 1 FROM call_text x WHERE x.call_id = c.call_id "
    "AND x.transcript_key = c.transcript_key AND x.text LIKE ? ESCAPE '\\')"
)
_SAID_WALK = (
    " AND (SELECT 1 FROM call_text x WHERE x.call_id = c.call_id "
    "AND x.transcript_key = c.transcript_key AND x.text LIKE ? ESCAPE '\\' LIMIT 1) IS NOT NULL"
)
# Walk when a page of matches is expected within this many calls (a test costs ~10 µs).
WALK_MOST = 20_000


def _where(query: QueueQuery, *, walk: bool = False) -> tuple[str, list[Any]]:
    # queue_rank holds each call's current score: Filters' own "newest score" test is not needed.
    filters = Filters(since=query.since, until=query.until, team=query.team,
                      agent_id=query.agent_id, latest=False)  # fmt: skip
    where, params = filters.where()
    if query.flagged_only:
        where += " AND q.flagged = 1"
    if query.call_like:
        where += " AND LOWER(c.call_id) LIKE ? ESCAPE '\\'"
        params.append(f"%{like_escape(query.call_like.lower())}%")
    if query.said:
        where += _SAID_WALK if walk else _SAID_JOIN
        params.append(f"%{like_escape(query.said)}%")
    if query.kind:
        where += (
            " AND EXISTS (SELECT 1 FROM effective_flags f WHERE f.score_key = q.score_key "
            "AND f.kind = ?)"
        )
        params.append(query.kind)
    if query.band:
        where += " AND q.band = ?"
        params.append(query.band)
    if query.status:
        where += f" AND {_STATUS} = ?"
        params.append(query.status)
    return where, params


def like_escape(text: str) -> str:
    """``text`` for a ``LIKE … ESCAPE '\\'`` pattern: its ``%`` and ``_`` taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def queue(store: Store, query: QueueQuery) -> QueuePage:
    """One page of the calls matching ``query`` (flagged ones for the queue), with the total
    and flag counts."""
    refresh_ranks(store)
    where, params = _where(query)
    total, counts = cached(store, ("tally", where, *params), lambda: _tally(store, where, params))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    if query.said and store.is_server and _walk_for_words(store, query, total, page):
        where, params = _where(query, walk=True)
    rows = _page_rows(store, query, where, params, page)
    ranks = _priorities(store, rows)
    return QueuePage(
        tuple(_queue_row(r, ranks[str(r["score_key"])]) for r in rows),
        total, page, pages, counts,
    )  # fmt: skip


def _walk_for_words(store: Store, query: QueueQuery, matches: int, page: int) -> bool:
    """Whether walking the order finds the page of a search by words within
    :data:`WALK_MOST` calls, from the share of the filter's calls that say the words."""
    if not matches:
        return False
    plain = replace(query, said=None)
    where, params = _where(plain)
    calls, _ = cached(store, ("tally", where, *params), lambda: _tally(store, where, params))
    return page * PAGE_SIZE * calls / matches <= WALK_MOST


def _queue_row(r: Any, rank: Priority) -> QueueRow:
    return QueueRow(r["call_id"], r["call_date"], r["agent_id"], r["team"], float(r["score"]),
                    r["band"], bool(r["auto_failed"]), r["kinds"], str(r["status"]), rank.value,
                    rank.reason, float(r["auto_score"]))  # fmt: skip


def _order(query: QueueQuery) -> str:
    """The page's order; ties by call id in the same direction, so one index serves both."""
    if query.sort == "priority":
        # Highest priority first (↓ reverses): queue_rank_order read forwards or backwards.
        return "q.priority ASC, q.call_id DESC" if query.descending else \
            "q.priority DESC, q.call_id ASC"  # fmt: skip
    direction = "DESC" if query.descending else "ASC"
    return f"{SORTS[query.sort]} {direction}, c.call_id {direction}"


def _tables(where: str, order: str) -> str:
    """``FROM`` … ``WHERE`` over the rank rows and only the tables the condition or the order
    reads, led by the one whose index gives the order (or an agent's calls): ``CROSS JOIN``
    keeps SQLite to that order (it has no statistics to choose by); PostgreSQL chooses by
    its own."""
    calls, scores = (bool(re.search(rf"\b{t}\.", f"{where} {order}")) for t in "cs")
    tables = ["queue_rank q"]
    joins = [where]
    if calls:
        # An agent's calls are few: read them by agent (and day), then sort.
        first = order.startswith("c.") or "c.agent_id = ?" in where
        tables.insert(0 if first else 1, "calls c")
        joins.append("c.call_id = q.call_id")
    if scores:
        tables.append("effective_scores s")
        joins.append("s.score_key = q.score_key")
    return f"FROM {' CROSS JOIN '.join(tables)} WHERE {' AND '.join(joins)}"


def _page_rows(
    store: Store, query: QueueQuery, where: str, params: list[Any], page: int
) -> list[Any]:
    """The page's rows: their keys read in the index's order and stopped after the page,
    then their details, status and outcome (PostgreSQL would read the JSON of every row
    ``OFFSET`` skips were they in the same query)."""
    order = _order(query)
    keys = [str(r[0]) for r in store.conn.execute(
        f"SELECT q.score_key {_tables(where, order)} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, PAGE_SIZE, (page - 1) * PAGE_SIZE],
    )]  # fmt: skip
    if not keys:
        return []
    found = {
        str(r["score_key"]): r
        for r in store.conn.execute(
            "SELECT c.call_id, c.call_date, c.agent_id, c.team, s.score, s.auto_score, s.band, "
            f"s.auto_failed, q.score_key, q.kinds, {_STATUS} AS status, s.body {_FROM} "
            f"WHERE q.score_key IN ({','.join('?' * len(keys))})",
            keys,
        )
    }
    return [found[k] for k in keys]


def _kinds(store: Store, keys: list[str]) -> dict[str, str]:
    """Score key → its flags' kinds (as reviewed), in order."""
    kinds: dict[str, list[str]] = defaultdict(list)
    if keys:
        for key, kind in store.conn.execute(
            "SELECT score_key, kind FROM effective_flags "
            f"WHERE score_key IN ({','.join('?' * len(keys))}) ORDER BY score_key, position",
            keys,
        ):
            kinds[str(key)].append(str(kind))
    return {k: ", ".join(kinds[k]) for k in keys}


def _tally(store: Store, where: str, params: list[Any]) -> tuple[int, tuple[tuple[str, int], ...]]:
    """How many calls match, and how many of them carry each flag kind: one pass over the
    rank rows (grouped by their kinds, a few dozen groups), joined to the calls and scores
    only when a condition reads them."""
    total, counts = 0, defaultdict[str, int](int)
    for kinds, n in store.conn.execute(
        f"SELECT q.kinds, COUNT(*) {_tables(where, '')} GROUP BY q.flagged, q.kinds", params
    ):
        total += int(n)
        for kind in filter(None, str(kinds).split(", ")):
            counts[kind] += int(n)
    return total, tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _priorities(store: Store, rows: Iterable[Any]) -> dict[str, Priority]:
    """Priorities of stored scores from rows with ``score_key``, ``score`` and ``body``."""
    return stored_priorities(
        store.conn, [(str(r["score_key"]), float(r["score"]), *_outcome(r["body"])) for r in rows]
    )


def _outcome(body: str) -> tuple[float | None, float | None, float | None]:
    """(resolved, satisfaction, predicted low) of a Score JSON body: read in Python, since
    PostgreSQL parses the text once per ``json_extract`` (12 ms for a page's three values)."""
    data = json.loads(body)

    def number(section: str, name: str) -> float | None:
        value = (data.get(section) or {}).get(name)
        return float(value) if isinstance(value, int | float) else None

    return (number("outcome", "resolved"), number("outcome", "satisfaction"),
            number("predicted", "low"))  # fmt: skip


# ------------------------------------------------------------------ counts kept between pages

# Shelf → (store, question) → (store's write times when computed, monotonic time, answer),
# and a lock per question so that one request computes while the others wait or keep the
# last answer. A shelf holds so many answers before it starts again: counts are small, pages
# of HTML are tens of kilobytes each.
SHELF_ROOM = {"counts": 2000, "pages": 64}
_KEPT: dict[str, dict[tuple[Any, ...], tuple[tuple[Any, ...], float, Any]]] = defaultdict(dict)
_COMPUTING: dict[tuple[Any, ...], threading.Lock] = defaultdict(threading.Lock)
_KEPT_LOCK = threading.Lock()


def _write_times(store: Store) -> tuple[Any, ...]:
    """The newest write time of every table a count reads, and the reviewed scores' number
    (a verdict undone deletes its row). Each is one index lookup."""
    row = store.conn.execute(
        "SELECT (SELECT MAX(created_at) FROM scores), (SELECT MAX(updated_at) FROM calls), "
        "(SELECT MAX(updated_at) FROM reviewed_scores), (SELECT COUNT(*) FROM reviewed_scores), "
        "(SELECT MAX(created_at) FROM review_flags), (SELECT MAX(created_at) FROM reviews)"
    ).fetchone()
    return tuple(row)


def cached(
    store: Store, question: tuple[Any, ...], compute: Callable[[], T], *, shelf: str = "counts"
) -> T:
    """``compute()``, kept for ``store`` and ``question`` until the store's write times change
    or :data:`COUNTS_MAX_AGE_S` pass.

    One request computes a stale answer again; the others meanwhile get the previous answer
    (so twenty supervisors do not all count a million calls at once), or wait for the first.
    """
    key, stamp = (store.location.key, *question), _write_times(store)
    kept = _KEPT[shelf]

    def fresh() -> tuple[bool, Any]:
        found = kept.get(key)
        if found is None:
            return False, None
        return found[0] == stamp and time.monotonic() - found[1] < COUNTS_MAX_AGE_S, found[2]

    with _KEPT_LOCK:
        ok, last = fresh()
        computing = _COMPUTING[(shelf, *key)]
    if ok or (last is not None and computing.locked()):
        return last
    with computing:
        with _KEPT_LOCK:
            ok, last = fresh()
        if ok:
            return last
        answer = compute()
        with _KEPT_LOCK:
            if len(kept) >= SHELF_ROOM[shelf]:  # many distinct questions: start again
                kept.clear()
                for lock_key in [k for k in _COMPUTING if k[0] == shelf]:
                    if not _COMPUTING[lock_key].locked():
                        del _COMPUTING[lock_key]
            kept[key] = (stamp, time.monotonic(), answer)
    return answer


# ------------------------------------------------------------------ the ranked queue rows

# How far back writes are looked for: a transaction commits a while after it took its time
# (it waited for the write lock), and writers on other machines have their own clocks.
RANK_WINDOW_S = 120.0
_RANK_EVERY_S = 5.0  # the whole window is looked at again this often (late commits)
_CHUNK = 500

Event = tuple[str, str, str]  # a review write, by identity: (table, key, second key)


class _RankState:
    """What one process knows of one store's ranking: the review writes it has ranked."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stamp: tuple[Any, ...] | None = None
        self.checked = float("-inf")  # when the whole window was last looked at (monotonic)
        self.newest = ""  # the newest write time when last looked
        self.seen: dict[Event, str] = {}  # review write → its time


_RANK_STATES: dict[str, _RankState] = defaultdict(_RankState)
_RANK_STATES_LOCK = threading.Lock()


def refresh_ranks(store: Store, *, force: bool = False) -> int:
    """Bring ``queue_rank`` up to date with what was written since it was last; how many
    calls were ranked again. The first time on a store ranks every scored call.

    Writes newer than any seen are ranked at once (the newest write times say when there
    are some); the last :data:`RANK_WINDOW_S` of writes are looked at again every few
    seconds for those committed after a newer one: scores by whether their row is ranked,
    reviews by identity.
    """
    with _RANK_STATES_LOCK:
        state = _RANK_STATES[store.location.key]
    stamp = _write_times(store)

    def due() -> tuple[bool, bool]:
        whole = force or time.monotonic() - state.checked >= _RANK_EVERY_S
        return whole or stamp != state.stamp, whole

    if not due()[0]:
        return 0
    with state.lock:
        wanted, whole = due()
        if not wanted:
            return 0
        started = utc_now()
        mark = store.conn.execute(
            "SELECT value FROM queue_rank_state WHERE name = 'mark'"
        ).fetchone()
        if mark is None:
            _reviews_since(store, state, _before(started, RANK_WINDOW_S))  # ranked below
            done = _rank_all(store)
        else:
            since = _before(str(mark[0]), RANK_WINDOW_S) if whole or not state.newest else \
                state.newest  # fmt: skip
            calls = _unranked_since(store, since) | _reviews_since(store, state, since)
            done = sum(_rank_calls(store, chunk) for chunk in _chunks(sorted(calls)))
        if mark is None or done or _before(started, RANK_WINDOW_S / 2) > str(mark[0]):
            _save_mark(store, started)
        # Writes from here on are newer than these (or late, for the next look at the window).
        state.newest = max((str(stamp[i]) for i in (0, 2, 4, 5) if stamp[i]), default="")
        state.stamp = stamp
        if whole:
            state.checked = time.monotonic()
        return done


def _unranked_since(store: Store, since: str) -> set[str]:
    """Calls whose newest score, written since ``since``, is not the one ranked."""
    return {str(r[0]) for r in store.conn.execute(
        "SELECT s.call_id FROM scores s WHERE s.created_at >= ? "
        "AND NOT EXISTS (SELECT 1 FROM queue_rank q WHERE q.score_key = s.score_key) "
        "AND s.created_at = (SELECT MAX(s2.created_at) FROM scores s2 "
        "WHERE s2.call_id = s.call_id)",
        (since,),
    )}  # fmt: skip


def _reviews_since(store: Store, state: _RankState, since: str) -> set[str]:
    """Calls with review writes since ``since`` (reviews, reviewed scores, review-rule flags)
    that this process has not ranked yet; marks them ranked. Reviews are a person's work,
    a few a minute: each is remembered for two windows."""
    oldest = _before(utc_now(), 2 * RANK_WINDOW_S)
    state.seen = {e: at for e, at in state.seen.items() if at >= oldest}
    calls: set[str] = set()
    for call_id, at, table, key, second in store.conn.execute(
        "SELECT call_id, updated_at, 'v', score_key, updated_at FROM reviewed_scores "
        "WHERE updated_at >= ? "
        "UNION ALL SELECT call_id, created_at, 'r', review_id, '' FROM reviews "
        "WHERE created_at >= ? "
        "UNION ALL SELECT s.call_id, f.created_at, 'f', f.score_key, f.kind FROM review_flags f "
        "JOIN scores s ON s.score_key = f.score_key WHERE f.created_at >= ?",
        (since, since, since),
    ):
        event = (str(table), str(key), str(second))
        if event not in state.seen:
            state.seen[event] = str(at)
            calls.add(str(call_id))
    return calls


def _rank_all(store: Store) -> int:
    """Rank every scored call, a few hundred calls per transaction."""
    done, after = 0, ""
    while True:
        ids = [str(r[0]) for r in store.conn.execute(
            "SELECT call_id FROM calls WHERE call_id > ? ORDER BY call_id LIMIT ?",
            (after, _CHUNK),
        )]  # fmt: skip
        if not ids:
            # The planner's figures for a table just filled, so pages walk its index.
            store.conn.execute("ANALYZE queue_rank")
            return done
        done += _rank_calls(store, ids)
        after = ids[-1]


def _rank_calls(store: Store, call_ids: list[str]) -> int:
    """Compute and store the rank rows of ``call_ids`` (those with a score)."""
    where, params = Filters(call_ids=tuple(call_ids)).where()
    rows = store.conn.execute(
        "SELECT c.call_id, s.score_key, s.score, s.flagged, s.band, s.body "
        f"{_SCORED} WHERE {where}",
        params,
    ).fetchall()
    ranks = _priorities(store, rows)
    kinds = _kinds(store, [str(r["score_key"]) for r in rows])
    values = [
        (str(r["call_id"]), str(r["score_key"]), int(r["flagged"]), str(r["band"]),
         kinds[str(r["score_key"])], ranks[str(r["score_key"])].value)
        for r in rows
    ]  # fmt: skip
    with transaction(store.conn, store.where) as conn:
        conn.executemany(
            "INSERT INTO queue_rank (call_id, score_key, flagged, band, kinds, priority) "
            "VALUES (?,?,?,?,?,?) ON CONFLICT (call_id) DO UPDATE SET "
            "score_key = excluded.score_key, flagged = excluded.flagged, band = excluded.band, "
            "kinds = excluded.kinds, priority = excluded.priority",
            values,
        )
    return len(values)


def _save_mark(store: Store, mark: str) -> None:
    with transaction(store.conn, store.where) as conn:
        conn.execute(
            "INSERT INTO queue_rank_state (name, value) VALUES ('mark', ?) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (mark,),
        )


def _before(at: str, seconds: float) -> str:
    """The ISO time ``seconds`` before ``at``, written as the store writes times."""
    from datetime import datetime, timedelta

    then = datetime.fromisoformat(at) - timedelta(seconds=seconds)
    return then.isoformat(timespec="microseconds")


def _chunks(items: list[str]) -> Iterable[list[str]]:
    return (items[n : n + _CHUNK] for n in range(0, len(items), _CHUNK))


def day_numbers(store: Store, day: str | None = None) -> dict[str, Any]:
    """The numbers of one day (the newest in the store by default): calls, flagged, mean score."""
    return cached(store, ("day", day), lambda: _day_numbers(store, day))


def _day_numbers(store: Store, day: str | None) -> dict[str, Any]:
    if day is None:
        row = store.conn.execute("SELECT MAX(call_date) FROM calls").fetchone()
        day = row[0] or ""
    where, params = Filters(date=day).where()
    row = store.conn.execute(
        f"SELECT COUNT(*), SUM(s.flagged), AVG(s.score), SUM(s.auto_failed) {_SCORED} "
        f"WHERE {where}",
        params,
    ).fetchone()
    return {"day": day, "calls": int(row[0] or 0), "flagged": int(row[1] or 0),
            "mean": float(row[2] or 0.0), "auto_failed": int(row[3] or 0)}  # fmt: skip


def choices(store: Store) -> dict[str, list[str]]:
    """The teams, agents and flag kinds in the store, for the filter menus."""
    return cached(store, ("choices",), lambda: _choices(store))


def _choices(store: Store) -> dict[str, list[str]]:
    kinds = sorted(
        {*_distinct(store, "flags", "kind"), *_distinct(store, "reviewed_flags", "kind")}
    )
    # A kind the review cleared on every call it was on is no longer a flag anywhere.
    kinds = [k for k in kinds if store.conn.execute(
        "SELECT 1 FROM effective_flags WHERE kind = ? LIMIT 1", (k,)).fetchone()]  # fmt: skip
    return {"teams": _distinct(store, "calls", "team"),
            "agents": _distinct(store, "calls", "agent_id"), "kinds": kinds}  # fmt: skip


def _distinct(store: Store, table: str, column: str) -> list[str]:
    """The distinct non-empty values of an indexed column, in order, one index probe each
    (a scan of a million calls for a dozen teams would take a second)."""
    rows = store.conn.execute(
        f"WITH RECURSIVE v (value) AS (SELECT MIN({column}) FROM {table} "
        f"UNION ALL SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > v.value) "
        "FROM v WHERE v.value IS NOT NULL) SELECT value FROM v WHERE value IS NOT NULL"
    ).fetchall()
    return [str(r[0]) for r in rows if r[0]]


def person_summary(store: Store, *, team: str | None = None, agent_id: str | None = None
                   ) -> dict[str, Any]:  # fmt: skip
    """An agent's or a team's calls: mean score per day, each call's score (newest 1,000, for
    the trend), the items failed most (with titles and the share of scored calls), flag kinds,
    and the newest calls."""
    where, params = Filters(team=team, agent_id=agent_id).where()
    days = store.conn.execute(
        f"SELECT c.call_date, AVG(s.score), COUNT(*), SUM(s.flagged) {_SCORED} WHERE {where} "
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
        f"SELECT c.call_id, c.call_date, s.score, s.auto_score, s.band, s.flagged {_SCORED} "
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


def newest_call_write(store: Store) -> str | None:
    """When a call's row was last written (a new call, a new or replaced transcript)."""
    row = store.conn.execute("SELECT MAX(updated_at) FROM calls").fetchone()
    return None if row[0] is None else str(row[0])


def latest_score_key(store: Store, call_id: str) -> str | None:
    """The key of the call's newest score, or None when it was never scored."""
    row = store.conn.execute(
        "SELECT score_key FROM scores WHERE call_id = ? ORDER BY created_at DESC LIMIT 1",
        (call_id,),
    ).fetchone()
    return None if row is None else str(row[0])
