"""The review tables' migrations: v2, the workflow (issue 6), and v4, the reviewed score.

v2 builds the review workflow on top of v1's minimal reviews and appeals.

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

# Schema v4: the reviewed score (issue 15). A reviewer's verdict on an item (an
# override, an upheld appeal) re-totals the call; the machine's score row and
# item results stay as they were, and the reviewed score sits beside them:
# ``reviewed_scores`` (the reviewed Score JSON and its summary, with the flags
# the review cleared and why), ``reviewed_items`` (the items whose verdict a
# reviewer changed) and ``reviewed_flags`` (the scorer's flags as reviewed).
# The views ``effective_scores`` and ``effective_flags`` read the reviewed
# score where there is one and the machine's elsewhere, with the machine's
# score and band beside it. ``scores.terms`` keeps the rubric's bands and
# ``flag_below`` with each score, so the review re-bands by the rubric the call
# was scored with.
V4_DESCRIPTION = "reviewed scores: verdicts re-total the call; the machine's score stays beside"

V4_STATEMENTS: tuple[str, ...] = (
    "ALTER TABLE scores ADD COLUMN terms TEXT NOT NULL DEFAULT '{}'",
    """CREATE TABLE reviewed_scores (
        score_key TEXT PRIMARY KEY REFERENCES scores (score_key),
        call_id TEXT NOT NULL REFERENCES calls (call_id),
        score DOUBLE PRECISION NOT NULL,
        raw_score DOUBLE PRECISION NOT NULL,
        band TEXT NOT NULL,
        auto_failed INTEGER NOT NULL,
        flagged INTEGER NOT NULL,
        resolution TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL,
        review_id TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )""",
    """CREATE TABLE reviewed_items (
        score_key TEXT NOT NULL REFERENCES scores (score_key),
        item_id TEXT NOT NULL,
        status TEXT NOT NULL,
        points DOUBLE PRECISION NOT NULL,
        review TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (score_key, item_id)
    )""",
    """CREATE TABLE reviewed_flags (
        score_key TEXT NOT NULL REFERENCES scores (score_key),
        position INTEGER NOT NULL,
        kind TEXT NOT NULL,
        reason TEXT NOT NULL,
        strength DOUBLE PRECISION,
        PRIMARY KEY (score_key, position)
    )""",
    "CREATE INDEX reviewed_scores_by_call ON reviewed_scores (call_id)",
    """CREATE VIEW effective_scores AS
    SELECT s.score_key, s.call_id, s.transcript_key, s.features_key, s.rubric_id,
           s.rubric_version, s.rubric_hash, s.producer,
           COALESCE(r.score, s.score) AS score, s.score AS auto_score,
           COALESCE(r.raw_score, s.raw_score) AS raw_score,
           COALESCE(r.band, s.band) AS band, s.band AS auto_band,
           COALESCE(r.auto_failed, s.auto_failed) AS auto_failed,
           COALESCE(r.flagged, s.flagged) AS flagged,
           COALESCE(r.resolution, '') AS resolution,
           s.body, s.run_id, s.created_at
    FROM scores s LEFT JOIN reviewed_scores r ON r.score_key = s.score_key""",
    """CREATE VIEW effective_flags AS
    SELECT f.score_key, f.position, f.kind, f.reason, f.strength FROM flags f
    WHERE NOT EXISTS (SELECT 1 FROM reviewed_scores r WHERE r.score_key = f.score_key)
    UNION ALL
    SELECT g.score_key, g.position, g.kind, g.reason, g.strength FROM reviewed_flags g""",
)

# Schema v6: the reviewer's workspace (issue 15). Assignments of calls to reviewers,
# timestamped comments on a call, coaching notes to an agent with their acknowledgement,
# the case library of good and bad examples for training, calibration sessions (several
# reviewers score the same calls blind), and ``call_text``, the search index of each
# transcript's text (lower-cased; filled from the stored transcript, dropped when the
# transcript is rewritten or redacted), and indexes of calls by agent and by team.
# Independent of every other migration after v4.
V6_DESCRIPTION = "workspace: assignments, comments, coaching notes, case library, calibration"

V6_TABLES: tuple[str, ...] = (
    "assignments",
    "call_comments",
    "coaching_notes",
    "case_library",
    "calibration_sessions",
    "calibration_calls",
    "calibration_members",
    "calibration_verdicts",
    "call_text",
)

V6_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE assignments (
        call_id TEXT PRIMARY KEY REFERENCES calls (call_id),
        reviewer TEXT NOT NULL,
        assigned_by TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        done_at TEXT
    )""",
    "CREATE INDEX assignments_by_reviewer ON assignments (reviewer, created_at)",
    """CREATE TABLE call_comments (
        comment_id TEXT PRIMARY KEY,
        call_id TEXT NOT NULL REFERENCES calls (call_id),
        author TEXT NOT NULL,
        at_s DOUBLE PRECISION,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX call_comments_by_call ON call_comments (call_id, created_at)",
    """CREATE TABLE coaching_notes (
        note_id TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        call_id TEXT REFERENCES calls (call_id),
        item_id TEXT NOT NULL DEFAULT '',
        author TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL,
        acknowledged_at TEXT,
        acknowledged_by TEXT NOT NULL DEFAULT '',
        reply TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX coaching_notes_by_agent ON coaching_notes (agent_id, created_at)",
    """CREATE TABLE case_library (
        case_id TEXT PRIMARY KEY,
        call_id TEXT NOT NULL REFERENCES calls (call_id),
        example TEXT NOT NULL,
        tag TEXT NOT NULL,
        note TEXT NOT NULL DEFAULT '',
        at_s DOUBLE PRECISION,
        added_by TEXT NOT NULL,
        created_at TEXT NOT NULL
    )""",
    "CREATE INDEX case_library_by_tag ON case_library (tag, created_at)",
    "CREATE INDEX case_library_by_call ON case_library (call_id)",
    """CREATE TABLE calibration_sessions (
        session_id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        closed_at TEXT
    )""",
    """CREATE TABLE calibration_calls (
        session_id TEXT NOT NULL REFERENCES calibration_sessions (session_id),
        call_id TEXT NOT NULL REFERENCES calls (call_id),
        score_key TEXT NOT NULL REFERENCES scores (score_key),
        position INTEGER NOT NULL,
        PRIMARY KEY (session_id, call_id)
    )""",
    """CREATE TABLE calibration_members (
        session_id TEXT NOT NULL REFERENCES calibration_sessions (session_id),
        reviewer TEXT NOT NULL,
        PRIMARY KEY (session_id, reviewer)
    )""",
    """CREATE TABLE calibration_verdicts (
        session_id TEXT NOT NULL REFERENCES calibration_sessions (session_id),
        call_id TEXT NOT NULL,
        reviewer TEXT NOT NULL,
        item_id TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (session_id, call_id, reviewer, item_id)
    )""",
    """CREATE TABLE call_text (
        call_id TEXT PRIMARY KEY REFERENCES calls (call_id),
        transcript_key TEXT NOT NULL,
        text TEXT NOT NULL
    )""",
    # Agent and team pages, and an agent's own search, read one agent's or team's calls.
    "CREATE INDEX calls_by_agent ON calls (agent_id, call_date)",
    "CREATE INDEX calls_by_team ON calls (team, call_date)",
)
