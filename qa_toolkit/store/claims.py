"""Claims: a call is claimed in the store before it is worked on, so no two batches do it twice.

Several batches (or a batch and its Ray workers on other machines) may share one store. Before
a batch works on a call it claims it: one upsert that either writes a new claim, takes over one
whose lease has run out, or leaves another run's live claim alone; the claim that holds the call
is then read back in the same write transaction. A claim is released when the call's result is
stored or the call fails, and renewed while the call is worked on (:class:`Heartbeat`); a batch
that dies stops renewing, and its claims are taken over when their lease ends, or at once on the
same host when the process that claimed them is gone.

The statements are the SQL that SQLite (3.35+) and PostgreSQL (9.5+) share; times are ISO 8601
UTC text, which sorts as time.

Example:
    >>> held = claim_calls(store, [("c1", "ab12…")], run_id)  # doctest: +SKIP
    >>> held["c1"].run_id == run_id
    True
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from qa_toolkit.errors import QAToolkitError

if TYPE_CHECKING:
    import sqlite3

    from qa_toolkit.store.store import Store

logger = logging.getLogger(__name__)

# Long enough that a slow store or a busy host never loses a live claim between renewals
# (every third of it), short enough that a crashed batch's calls wait little.
DEFAULT_LEASE_S = 600.0

_CLAIM = (
    "INSERT INTO claims (call_id, input_hash, run_id, worker, claimed_at, expires_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (call_id) DO UPDATE SET "
    "input_hash = excluded.input_hash, run_id = excluded.run_id, worker = excluded.worker, "
    "claimed_at = excluded.claimed_at, expires_at = excluded.expires_at "
    "WHERE claims.expires_at < excluded.claimed_at OR claims.run_id = excluded.run_id"
)
_HOLDER = "SELECT call_id, input_hash, run_id, worker, claimed_at, expires_at FROM claims "
# A claim whose process is gone (same host): taken over only if it is still that claim.
_TAKE_OVER = (
    "UPDATE claims SET input_hash = ?, run_id = ?, worker = ?, claimed_at = ?, expires_at = ? "
    "WHERE call_id = ? AND run_id = ? AND worker = ?"
)


@dataclass(frozen=True, slots=True)
class Claim:
    """Who holds a call: the run, the process (``host:pid``), since when and until when."""

    call_id: str
    input_hash: str
    run_id: str
    worker: str
    claimed_at: str
    expires_at: str

    def describe(self) -> str:
        """``run R (host:pid) until T``, for a skipped call's reason."""
        return f"run {self.run_id} ({self.worker}) until {self.expires_at[:19]}Z"


def this_worker() -> str:
    """This process as claims name it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def shared_location(store: Store) -> str:
    """The text another process (a thread, a worker on another machine) opens ``store`` with:
    the PostgreSQL URL as given, or the SQLite file's absolute path."""
    where = store.location
    if where.url is not None:
        return where.url
    assert where.path is not None
    return str(where.path.resolve())


def claim_calls(
    store: Store,
    calls: Sequence[tuple[str, str]],
    run_id: str,
    *,
    lease_s: float = DEFAULT_LEASE_S,
    worker: str | None = None,
    now: datetime | None = None,
) -> dict[str, Claim]:
    """Claim calls for a run, in one write transaction.

    Args:
        store: the store.
        calls: ``(call_id, input_hash)`` pairs.
        run_id: the run that claims them.
        lease_s: how long the claims hold unless renewed.
        worker: the claiming process (``host:pid``; this process by default).
        now: the time of the claim (UTC; now by default).

    Returns:
        Call id → the claim that holds it now: this run's where it got the call, another
        run's where that one holds a live claim.

    Raises:
        StoreError: the store cannot be written.
    """
    start = now or datetime.now(timezone.utc)
    claimed_at, expires_at = _iso(start), _iso(start + timedelta(seconds=lease_s))
    me = worker or this_worker()
    held: dict[str, Claim] = {}
    with store._write() as conn:
        for call_id, input_hash in calls:
            mine = Claim(call_id, input_hash, run_id, me, claimed_at, expires_at)
            held[call_id] = _claim_one(conn, mine)
    return held


def claim_call(
    store: Store,
    call_id: str,
    input_hash: str,
    run_id: str,
    *,
    lease_s: float = DEFAULT_LEASE_S,
    worker: str | None = None,
    now: datetime | None = None,
) -> Claim:
    """Claim one call (see :func:`claim_calls`); returns the claim that holds it now."""
    found = claim_calls(
        store, [(call_id, input_hash)], run_id, lease_s=lease_s, worker=worker, now=now
    )
    return found[call_id]


def _claim_one(conn: sqlite3.Connection, mine: Claim) -> Claim:
    conn.execute(
        _CLAIM,
        (mine.call_id, mine.input_hash, mine.run_id, mine.worker, mine.claimed_at,
         mine.expires_at),
    )  # fmt: skip
    holder = _row_claim(conn.execute(_HOLDER + "WHERE call_id = ?", (mine.call_id,)).fetchone())
    if holder.run_id == mine.run_id or _alive(holder.worker) is not False:
        return holder
    # Claimed on this host by a process that no longer exists (a batch killed with -9):
    # no need to wait for its lease to end.
    taken = conn.execute(
        _TAKE_OVER,
        (mine.input_hash, mine.run_id, mine.worker, mine.claimed_at, mine.expires_at,
         mine.call_id, holder.run_id, holder.worker),
    ).rowcount  # fmt: skip
    if taken:
        logger.info("call %s: took over the claim of %s (process gone)", mine.call_id,
                    holder.describe())  # fmt: skip
        return mine
    return holder


def renew_claims(
    store: Store, run_id: str, *, lease_s: float = DEFAULT_LEASE_S, now: datetime | None = None
) -> int:
    """Extend the lease of every claim a run holds; returns how many it holds."""
    until = _iso((now or datetime.now(timezone.utc)) + timedelta(seconds=lease_s))
    with store._write() as conn:
        count = conn.execute(
            "UPDATE claims SET expires_at = ? WHERE run_id = ?", (until, run_id)
        ).rowcount
    return max(0, int(count))


def release_claim(store: Store, run_id: str, call_id: str) -> bool:
    """Release a run's claim on a call (not another run's); whether there was one."""
    with store._write() as conn:
        count = conn.execute(
            "DELETE FROM claims WHERE call_id = ? AND run_id = ?", (call_id, run_id)
        ).rowcount
    return bool(count)


def release_run(store: Store, run_id: str) -> int:
    """Release every claim a run still holds (at its end); returns how many there were."""
    with store._write() as conn:
        count = conn.execute("DELETE FROM claims WHERE run_id = ?", (run_id,)).rowcount
    return max(0, int(count))


def claims(store: Store, *, run_id: str | None = None) -> list[Claim]:
    """The claims in the store (of one run when given), by call id."""
    where, params = ("WHERE run_id = ? ", (run_id,)) if run_id else ("", ())
    rows = store.conn.execute(_HOLDER + where + "ORDER BY call_id", params).fetchall()
    return [_row_claim(row) for row in rows]


class Heartbeat:
    """A thread that renews a run's claims every third of their lease, on its own connection.

    Args:
        location: the store, as :class:`~qa_toolkit.store.Store` opens it (a path or URL).
        run_id: the run whose claims to renew.
        lease_s: the lease each renewal grants.
    """

    def __init__(self, location: str, run_id: str, *, lease_s: float = DEFAULT_LEASE_S) -> None:
        self.location, self.run_id, self.lease_s = location, run_id, lease_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"claims-{run_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        from qa_toolkit.store.store import Store

        store: Store | None = None
        try:
            while not self._stop.wait(self.lease_s / 3):
                try:
                    store = store or Store(self.location, create=False)
                    renew_claims(store, self.run_id, lease_s=self.lease_s)
                except QAToolkitError as error:  # the next beat tries again
                    logger.warning("could not renew the claims of run %s: %s", self.run_id, error)
        finally:
            if store is not None:
                store.close()


def _row_claim(row: Any) -> Claim:
    return Claim(*(str(row[i]) for i in range(6)))


def _iso(moment: datetime) -> str:
    """As :func:`~qa_toolkit.store.connection.utc_now` writes times."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _alive(worker: str) -> bool | None:
    """Whether a ``host:pid`` process runs: None when it is on another host (cannot tell)."""
    host, _, pid = worker.rpartition(":")
    # (On Windows os.kill ends the process: no check there.)
    if os.name != "posix" or host != socket.gethostname() or not pid.isdigit():
        return None
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: it exists
        return True
    return True
