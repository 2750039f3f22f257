"""Schema v7: claims, so that batches and workers sharing one store never do a call twice.

- ``claims``: one row per call being worked on: the call and the hash of its input, the run
  that holds it, the process that claimed it (``host:pid``), when, and until when (a lease the
  holder renews while it works). A row goes when the call's result is stored or the call fails;
  a row past its ``expires_at`` belongs to a batch that died, and the next claim takes it over.
"""

from __future__ import annotations

V7_DESCRIPTION = "claims: which run is working on which call, with a lease"

V7_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE claims (
        call_id TEXT PRIMARY KEY,
        input_hash TEXT NOT NULL,
        run_id TEXT NOT NULL,
        worker TEXT NOT NULL,
        claimed_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )""",
    "CREATE INDEX claims_by_run ON claims (run_id)",
)

V7_TABLES: tuple[str, ...] = ("claims",)
