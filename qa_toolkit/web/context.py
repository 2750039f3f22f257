"""What a request works with: its store connection, opened on first use and closed at teardown."""

from __future__ import annotations

from flask import current_app, g

from qa_toolkit.store import Store


def store() -> Store:
    """The request's store connection (one per request: SQLite connections are per thread)."""
    if "store" not in g:
        g.store = Store(current_app.config["STORE_PATH"], timeout_s=10.0)
    found: Store = g.store
    return found
