"""Schema v2: the review workflow (issue 6) on top of v1's minimal reviews and appeals.

``reviews`` becomes the append-only audit log of every human action on a call:
each row carries the workflow version it produced, the version its author had
read (``expected_version``) and whether it lost a race (``conflict = 1``: kept
in the history, not applied). ``appeals`` gains the contested item and a
final-judgement lock. ``review_flags`` holds the flags the review rules raise
beside the scorer's own (risk events, team outliers, the random sample), and
``flag_runs`` records the rules, rate and seed of each flagging pass so a sample
can be reproduced.
"""

from __future__ import annotations

V2_DESCRIPTION = "review workflow: audit versions, appeal items and lock, review flags"

V2_STATEMENTS: tuple[str, ...] = (
    "ALTER TABLE reviews ADD COLUMN version INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE reviews ADD COLUMN expected_version INTEGER",
    "ALTER TABLE reviews ADD COLUMN conflict INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE reviews ADD COLUMN detail TEXT NOT NULL DEFAULT '{}'",
    "ALTER TABLE appeals ADD COLUMN item_id TEXT",
    "ALTER TABLE appeals ADD COLUMN final INTEGER NOT NULL DEFAULT 0",
    "ALTER TABLE appeals ADD COLUMN decision_reason TEXT NOT NULL DEFAULT ''",
    """CREATE TABLE flag_runs (
        flag_run_id TEXT PRIMARY KEY,
        rules TEXT NOT NULL,
        sample_rate DOUBLE PRECISION NOT NULL,
        seed INTEGER NOT NULL,
        calls INTEGER NOT NULL,
        flagged INTEGER NOT NULL,
        sampled INTEGER NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE review_flags (
        score_key TEXT NOT NULL REFERENCES scores (score_key),
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        flag_run_id TEXT NOT NULL REFERENCES flag_runs (flag_run_id),
        created_at TEXT NOT NULL,
        PRIMARY KEY (score_key, kind)
    )""",
    "CREATE INDEX reviews_by_score ON reviews (score_key, created_at)",
)
