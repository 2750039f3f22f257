"""The supervisor's queue: flagged calls with their flags, review status and open appeals."""

from __future__ import annotations

from collections.abc import Sequence

from qa_toolkit.errors import UsageError
from qa_toolkit.review.flags import call_flags
from qa_toolkit.review.records import REVIEW_STATUSES, QueueEntry
from qa_toolkit.review.workflow import ScoredCall, StoreLike, _state, opened
from qa_toolkit.store.records import Filters


def review_queue(
    store: StoreLike,
    *,
    date: str | None = None,
    since: str | None = None,
    until: str | None = None,
    team: str | None = None,
    agent_id: str | None = None,
    status: str | None = None,
    kinds: Sequence[str] = (),
) -> tuple[QueueEntry, ...]:
    """The flagged calls (newest score of each), oldest first, filtered.

    Args:
        store: the store or its path.
        date: calls of one day (``2026-11-21``).
        since: calls on or after this day.
        until: calls on or before this day.
        team: one team.
        agent_id: one agent.
        status: one review status (``open``, ``in_review``, ``confirmed``, ``dismissed``).
        kinds: only calls with a flag of one of these kinds (``outlier``, ``sample``…).

    Returns:
        One entry per flagged call.

    Raises:
        UsageError: an unknown status.

    Example:
        >>> [e.call_id for e in review_queue("qa.db", status="open")]  # doctest: +SKIP
    """
    if status is not None and status not in REVIEW_STATUSES:
        raise UsageError(
            f"unknown status {status!r}", fix=f"use one of {', '.join(REVIEW_STATUSES)}"
        )
    filters = Filters.of(date=date, since=since, until=until, team=team, agent_id=agent_id)
    out = []
    with opened(store) as st:
        for row in st.score_rows(filters):
            flags = call_flags(st, row.score_key)
            if not flags or (kinds and not any(f.kind in kinds for f in flags)):
                continue
            call = ScoredCall(row.call_id, row.score_key, row.rubric_id, row.rubric_version,
                              row.agent_id, row.team, row.score)  # fmt: skip
            state = _state(st.conn, call)
            if status is not None and state.status != status:
                continue
            open_appeals = st.conn.execute(
                "SELECT COUNT(*) FROM appeals WHERE call_id = ? AND final = 0", (row.call_id,)
            ).fetchone()[0]
            out.append(
                QueueEntry(
                    row.call_id,
                    row.call_date,
                    row.start_time or "",
                    row.agent_id,
                    row.team,
                    row.queue,
                    row.rubric_id,
                    row.rubric_version,
                    row.score,
                    row.band,
                    flags,
                    state.status,
                    state.reviewer,
                    state.version,
                    int(open_appeals),
                )  # fmt: skip
            )
    return tuple(out)
