"""The results store (SQLite by default): runs, calls, transcripts, features, scores, flags.

Example:
    >>> from qa_toolkit.store import Store
    >>> with Store("qa.db") as store:  # doctest: +SKIP
    ...     store.scores(date="2026-11-21", team="billing")
"""

from __future__ import annotations

from qa_toolkit.store.records import (
    FailureRow,
    Filters,
    FlagRow,
    ItemRow,
    RunRow,
    ScoreRow,
)
from qa_toolkit.store.schema import MIGRATIONS, SCHEMA_VERSION, TABLES, Migration
from qa_toolkit.store.store import CallRecord, Store, StoredTranscript

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TABLES",
    "CallRecord",
    "FailureRow",
    "Filters",
    "FlagRow",
    "ItemRow",
    "Migration",
    "RunRow",
    "ScoreRow",
    "Store",
    "StoredTranscript",
]
