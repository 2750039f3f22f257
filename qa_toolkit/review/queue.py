"""The supervisor's queue: flagged calls with their flags, review status and open appeals."""

from __future__ import annotations

from collections.abc import Sequence

from qa_toolkit.errors import UsageError
from qa_toolkit.review.flags import call_flags
from qa_toolkit.review.priority import priority_of
from qa_toolkit.review.records import REVIEW_STATUSES, QueueEntry
from qa_toolkit.review.workflow import ScoredCall, StoreLike, opened, review_state_of
from qa_toolkit.store.records import Filters
from qa_toolkit.store.reviews import open_appeal_count


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
    budget: float | None = None,
) -> tuple[QueueEntry, ...]:
    """The flagged calls (newest score of each, as reviewed), most worth a review first.

    A reviewer's verdicts re-total a call (:mod:`qa_toolkit.review.reviewed`): a call whose
    reviewed score clears the threshold, with no other flag, leaves the queue; one a
    verdict pushes below it joins.

    Calls are ranked by their review priority (:mod:`qa_toolkit.review.priority`:
    severity × confidence, with the reason in one line), then by date.

    Args:
        store: the store or its path.
        date: calls of one day (``2026-11-21``).
        since: calls on or after this day.
        until: calls on or before this day.
        team: one team.
        agent_id: one agent.
        status: one review status (``open``, ``in_review``, ``confirmed``, ``dismissed``).
        kinds: only calls with a flag of one of these kinds (``outlier``, ``sample``…).
        budget: how many calls a team can review: a count (``25``) or, below 1, a share
            of the scored calls that match the filters (``0.2``). The highest-priority
            calls fill it; calls of the random sample are kept on top of it.

    Returns:
        One entry per flagged call (within the budget when one is given).

    Raises:
        UsageError: an unknown status, or a budget of 0, below 0, or a share over 1.

    Example:
        >>> [e.call_id for e in review_queue("qa.db", status="open")]  # doctest: +SKIP
    """
    if status is not None and status not in REVIEW_STATUSES:
        raise UsageError(
            f"unknown status {status!r}", fix=f"use one of {', '.join(REVIEW_STATUSES)}"
        )
    check_budget(budget)
    filters = Filters.of(date=date, since=since, until=until, team=team, agent_id=agent_id)
    out = []
    with opened(store) as st:
        rows = st.score_rows(filters)
        for row in rows:
            flags = call_flags(st, row.score_key)
            if not flags or (kinds and not any(f.kind in kinds for f in flags)):
                continue
            call = ScoredCall(row.call_id, row.score_key, row.rubric_id, row.rubric_version,
                              row.agent_id, row.team, row.score)  # fmt: skip
            state = review_state_of(st.conn, call)
            if status is not None and state.status != status:
                continue
            open_appeals = open_appeal_count(st.conn, row.call_id)
            rank = priority_of(
                row.score, row.outcome_resolved, row.outcome_satisfaction, flags, row.predicted_low
            )
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
                    rank.value,
                    rank.reason,
                    row.auto_score,
                )  # fmt: skip
            )
    out.sort(key=lambda e: (-e.priority, e.call_date, e.start_time, e.call_id))
    if budget is None:
        return tuple(out)
    return _within(out, budget if budget >= 1 else budget * len(rows))


def check_budget(budget: float | None) -> None:
    """Refuse a review budget that selects nothing or is not a share.

    Raises:
        UsageError: 0, a negative budget, or a fractional budget over 1 that is not a count.
    """
    if budget is None:
        return
    if budget <= 0:
        raise UsageError(
            f"review budget {budget:g} selects no call", fix="give a count (25) or a share (0.2)"
        )
    if budget > 1 and budget != int(budget):
        raise UsageError(
            f"review budget {budget:g} is neither a count nor a share",
            fix="give a whole number of calls (25) or a share of the day between 0 and 1 (0.2)",
        )


def _within(entries: list[QueueEntry], calls: float) -> tuple[QueueEntry, ...]:
    """The top ``calls`` entries by priority, plus every call of the random sample."""
    n = max(1, round(calls))
    kept = entries[:n]
    sampled = [e for e in entries[n:] if any(f.kind == "sample" for f in e.flags)]
    return tuple(kept + sampled)
