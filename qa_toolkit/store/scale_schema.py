"""Schema v8: what the web queue needs to stay fast at a million calls (issue 17).

``queue_rank`` holds one row per scored call: its current score (the newest, as
:class:`~qa_toolkit.store.records.Filters` picks it), whether that score is flagged
as reviewed, its band, its flags' kinds (machine names, comma-separated) and its
review priority (:mod:`qa_toolkit.review.priority`). The web app keeps it up to date
from the store's own write times (:mod:`qa_toolkit.web.queries`); ``queue_rank_state``
keeps the time through which it has (``mark``). A queue page then walks an index in
priority order and reads fifty rows, instead of ranking every flagged call on every
request. It holds no free text: a priority's reason is computed for the rows a page
shows, so ``qa purge`` has nothing to redact here.

The indexes on write times let the web app find what changed since it last looked
(and tell whether anything did) without a scan; those on flag kinds, and on a
call's day and id, serve the filter menus and the search's default order; the one on
the search index's transcript keys keeps a batch's writes from slowing with the store.
"""

from __future__ import annotations

V8_DESCRIPTION = "queue at scale: ranked queue rows, indexes on write times and flag kinds"

V8_TABLES: tuple[str, ...] = ("queue_rank", "queue_rank_state")

V8_STATEMENTS: tuple[str, ...] = (
    """CREATE TABLE queue_rank (
        call_id TEXT PRIMARY KEY REFERENCES calls (call_id),
        score_key TEXT NOT NULL REFERENCES scores (score_key),
        flagged INTEGER NOT NULL,
        band TEXT NOT NULL,
        kinds TEXT NOT NULL,
        priority DOUBLE PRECISION NOT NULL
    )""",
    # Where the web app has ranked up to: one row, name 'mark'.
    """CREATE TABLE queue_rank_state (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    # The queue's default order (highest priority first, then call id) and its reverse.
    "CREATE INDEX queue_rank_order ON queue_rank (flagged, priority DESC, call_id)",
    "CREATE INDEX queue_rank_by_score ON queue_rank (score_key)",
    # The queue's totals and flag counts: one pass grouped by kinds, read from the index.
    "CREATE INDEX queue_rank_kinds ON queue_rank (flagged, kinds)",
    "CREATE INDEX scores_by_time ON scores (created_at)",
    "CREATE INDEX reviewed_scores_by_time ON reviewed_scores (updated_at)",
    "CREATE INDEX review_flags_by_time ON review_flags (created_at)",
    "CREATE INDEX reviews_by_time ON reviews (created_at)",
    "CREATE INDEX calls_by_update ON calls (updated_at)",
    "CREATE INDEX calls_by_day_and_id ON calls (call_date, call_id)",
    "CREATE INDEX flags_by_kind ON flags (kind)",
    # A transcript saved again drops its search index row by key: without this index, a scan
    # of every call's text per transcript written (0.14 s a call at 100,000 calls).
    "CREATE INDEX call_text_by_transcript ON call_text (transcript_key)",
    "CREATE INDEX reviewed_flags_by_kind ON reviewed_flags (kind)",
)
