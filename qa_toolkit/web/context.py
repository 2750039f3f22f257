"""What a request works with: its store connection, opened on first use and closed at teardown.

On SQLite a connection is opened per request (a millisecond; SQLite connections belong to
the thread that opened them). On PostgreSQL opening one costs a network round trip, the
sign-in and the schema check (15 ms, and the check queues behind writers), so the app keeps
a few open between requests: closing a request's store hands it back.
"""

from __future__ import annotations

import threading

from flask import current_app, g

from qa_toolkit.store import Store
from qa_toolkit.store.location import StoreLocation

_IDLE = 16  # connections kept open between requests; more are closed


class StorePool:
    """A web app's open server connections, handed out one per request."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        self.lock = threading.Lock()
        self.idle: list[PooledStore] = []

    def take(self) -> Store:
        with self.lock:
            if self.idle:
                return self.idle.pop()
        return PooledStore(self)

    def give_back(self, store: PooledStore) -> bool:
        """Keep ``store`` for the next request; False when the pool is full."""
        with self.lock:
            if len(self.idle) >= _IDLE:
                return False
            self.idle.append(store)
            return True


class PooledStore(Store):
    """A server store whose ``close`` hands the connection back to its pool, rolled back to a
    clean state; a connection that cannot be (the server went away) is closed for good."""

    def __init__(self, pool: StorePool) -> None:
        super().__init__(pool.location, timeout_s=10.0)
        self.pool = pool

    def close(self) -> None:
        try:
            if self.conn.in_transaction:  # a request that failed half-way
                self.conn.execute("ROLLBACK")
        except Exception:  # a broken connection: open a new one next time
            super().close()
            return
        if not self.pool.give_back(self):
            super().close()


def store() -> Store:
    """The request's store connection (one per request: SQLite connections are per thread)."""
    if "store" not in g:
        location = current_app.config["STORE_PATH"]
        if isinstance(location, StoreLocation) and location.is_server:
            pool = current_app.extensions.setdefault("qa_store_pool", StorePool(location))
            g.store = pool.take()
        else:
            g.store = Store(location, timeout_s=10.0)
    found: Store = g.store
    return found
