"""The store's schema, version by version, and the migrations between versions.

The SQL is kept to what SQLite and PostgreSQL both accept: ``TEXT``,
``INTEGER`` and ``DOUBLE PRECISION`` columns, booleans as 0/1 integers, times as
ISO 8601 text in UTC (they sort as text), JSON as text, natural or content-hash
keys instead of auto-increment ids, and no triggers. Moving the store to
PostgreSQL is then a matter of the connection, not the tables.

A migration is a list of statements that takes a store from the version before
it to its own; ``schema_version`` keeps one row per version applied.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa_toolkit.store.claims_schema import V7_DESCRIPTION, V7_STATEMENTS
from qa_toolkit.store.review_schema import (
    V2_DESCRIPTION,
    V2_STATEMENTS,
    V4_DESCRIPTION,
    V4_STATEMENTS,
    V6_DESCRIPTION,
    V6_STATEMENTS,
)
from qa_toolkit.store.scale_schema import V8_DESCRIPTION, V8_STATEMENTS
from qa_toolkit.store.topics_schema import V5_DESCRIPTION, V5_STATEMENTS


@dataclass(frozen=True, slots=True)
class Migration:
    """The statements that bring a store to ``version``, and what they change."""

    version: int
    description: str
    statements: tuple[str, ...]


_V1 = (
    """CREATE TABLE schema_version (
        version INTEGER PRIMARY KEY,
        applied_at TEXT NOT NULL,
        toolkit_version TEXT NOT NULL,
        description TEXT NOT NULL
    )""",
    """CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        command TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL,
        inputs TEXT NOT NULL,
        rubric_id TEXT,
        rubric_version TEXT,
        toolkit_version TEXT NOT NULL,
        options TEXT NOT NULL,
        host TEXT NOT NULL,
        calls INTEGER NOT NULL DEFAULT 0,
        failures INTEGER NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE calls (
        call_id TEXT PRIMARY KEY,
        input_hash TEXT NOT NULL,
        kind TEXT NOT NULL,
        files TEXT NOT NULL,
        agent_id TEXT NOT NULL DEFAULT '',
        team TEXT NOT NULL DEFAULT '',
        queue TEXT NOT NULL DEFAULT '',
        customer_id TEXT NOT NULL DEFAULT '',
        start_time TEXT,
        call_date TEXT NOT NULL DEFAULT '',
        metadata TEXT NOT NULL DEFAULT '{}',
        duration_s DOUBLE PRECISION,
        language TEXT,
        transcript_key TEXT,
        first_run_id TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE transcripts (
        transcript_key TEXT PRIMARY KEY,
        call_id TEXT NOT NULL REFERENCES calls (call_id),
        input_hash TEXT NOT NULL,
        engine TEXT NOT NULL,
        model TEXT NOT NULL,
        producer TEXT NOT NULL,
        redaction TEXT NOT NULL,
        language TEXT NOT NULL,
        duration_s DOUBLE PRECISION NOT NULL,
        body TEXT NOT NULL,
        run_id TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE features (
        features_key TEXT PRIMARY KEY,
        call_id TEXT NOT NULL REFERENCES calls (call_id),
        transcript_key TEXT NOT NULL REFERENCES transcripts (transcript_key),
        producer TEXT NOT NULL,
        body TEXT NOT NULL,
        run_id TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE scores (
        score_key TEXT PRIMARY KEY,
        call_id TEXT NOT NULL REFERENCES calls (call_id),
        transcript_key TEXT NOT NULL REFERENCES transcripts (transcript_key),
        features_key TEXT NOT NULL REFERENCES features (features_key),
        rubric_id TEXT NOT NULL,
        rubric_version TEXT NOT NULL,
        rubric_hash TEXT NOT NULL,
        producer TEXT NOT NULL,
        score DOUBLE PRECISION NOT NULL,
        raw_score DOUBLE PRECISION NOT NULL,
        band TEXT NOT NULL,
        auto_failed INTEGER NOT NULL,
        flagged INTEGER NOT NULL,
        body TEXT NOT NULL,
        run_id TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE item_results (
        score_key TEXT NOT NULL REFERENCES scores (score_key),
        item_id TEXT NOT NULL,
        section_id TEXT NOT NULL,
        title TEXT NOT NULL,
        detector TEXT NOT NULL,
        status TEXT NOT NULL,
        points DOUBLE PRECISION NOT NULL,
        max_points DOUBLE PRECISION NOT NULL,
        critical INTEGER NOT NULL,
        category TEXT NOT NULL,
        evidence TEXT NOT NULL,
        PRIMARY KEY (score_key, item_id)
    )""",
    """CREATE TABLE flags (
        score_key TEXT NOT NULL REFERENCES scores (score_key),
        position INTEGER NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        PRIMARY KEY (score_key, position)
    )""",
    """CREATE TABLE run_calls (
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        call_id TEXT NOT NULL,
        status TEXT NOT NULL,
        stage TEXT NOT NULL DEFAULT '',
        error_type TEXT NOT NULL DEFAULT '',
        reason TEXT NOT NULL DEFAULT '',
        files TEXT NOT NULL DEFAULT '[]',
        transcript_key TEXT,
        score_key TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (run_id, call_id)
    )""",
    # Minimal for now: the review workflow (issue 6) extends these with a migration.
    """CREATE TABLE reviews (
        review_id TEXT PRIMARY KEY,
        call_id TEXT NOT NULL REFERENCES calls (call_id),
        score_key TEXT REFERENCES scores (score_key),
        item_id TEXT,
        reviewer TEXT NOT NULL,
        action TEXT NOT NULL,
        status TEXT,
        comment TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
    )""",
    """CREATE TABLE appeals (
        appeal_id TEXT PRIMARY KEY,
        call_id TEXT NOT NULL REFERENCES calls (call_id),
        score_key TEXT REFERENCES scores (score_key),
        agent_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        status TEXT NOT NULL,
        decision TEXT NOT NULL DEFAULT '',
        reviewer TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        decided_at TEXT
    )""",
    "CREATE INDEX calls_by_date ON calls (call_date, team)",
    "CREATE INDEX transcripts_by_call ON transcripts (call_id)",
    "CREATE INDEX scores_by_call ON scores (call_id, created_at)",
    "CREATE INDEX scores_by_rubric ON scores (rubric_id, rubric_version)",
    "CREATE INDEX run_calls_by_call ON run_calls (call_id)",
    "CREATE INDEX reviews_by_call ON reviews (call_id)",
    "CREATE INDEX appeals_by_call ON appeals (call_id)",
)

# A flag read from an estimate (likely dissatisfied, a low predicted rating) keeps how sure it
# is, so the review queue can rank by it without loading each score; NULL for plain facts.
_V3 = ("ALTER TABLE flags ADD COLUMN strength DOUBLE PRECISION",)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "runs, calls, transcripts, features, scores, items, flags, reviews, appeals", _V1),
    Migration(2, V2_DESCRIPTION, V2_STATEMENTS),
    Migration(3, "flag strength (how sure an estimated flag is)", _V3),
    Migration(4, V4_DESCRIPTION, V4_STATEMENTS),
    Migration(5, V5_DESCRIPTION, V5_STATEMENTS),
    Migration(6, V6_DESCRIPTION, V6_STATEMENTS),
    Migration(7, V7_DESCRIPTION, V7_STATEMENTS),
    Migration(8, V8_DESCRIPTION, V8_STATEMENTS),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
TABLES: tuple[str, ...] = (
    "runs",
    "calls",
    "transcripts",
    "features",
    "scores",
    "item_results",
    "flags",
    "run_calls",
    "reviews",
    "appeals",
    "flag_runs",
    "review_flags",
    "reviewed_scores",
    "reviewed_items",
    "reviewed_flags",
    "claims",
)
# Read models over the tables: the reviewed score where there is one, else the machine's.
VIEWS: tuple[str, ...] = ("effective_scores", "effective_flags")
