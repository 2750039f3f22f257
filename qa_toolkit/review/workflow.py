"""The supervisor's workflow in the store: flag status, item overrides, appeals, audit.

Nothing is overwritten. Every human action is appended to the ``reviews``
table with the workflow version it produced; the current state is read back
from that log. A writer passes the version it read as ``expected_version``:
when someone else wrote in between, the attempt is still appended (marked
``conflict``, not applied) and :class:`~qa_toolkit.errors.ReviewConflictError`
is raised, so the later of two concurrent reviews never silently wins.

A flag's status moves ``open → in_review → confirmed | dismissed``; a reviewer
may also decide straight from ``open``, send a call back to ``open`` from
``in_review``, and reopen a decided call (back to ``in_review``).

Example:
    >>> state = review_state("qa.db", "call-42")  # doctest: +SKIP
    >>> set_status("qa.db", "call-42", "confirmed", reviewer="mei",
    ...            expected_version=state.version)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from qa_toolkit.errors import (
    InvalidTransitionError,
    ReviewConflictError,
    ReviewError,
    StaleRubricError,
    UnknownCallError,
    UnknownItemError,
    UsageError,
)
from qa_toolkit.review.records import (
    APPEAL_DECISIONS,
    REVIEW_STATUSES,
    Appeal,
    AuditEntry,
    ItemOverride,
    ReviewState,
    ReviewStatus,
)
from qa_toolkit.review.reviewed import retotaller
from qa_toolkit.rubric.schema import Rubric
from qa_toolkit.scoring.types import STATUSES
from qa_toolkit.store import Store
from qa_toolkit.store import reviews as sql
from qa_toolkit.store.connection import transaction, utc_now

StoreLike = Store | str | Path

_TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"in_review", "confirmed", "dismissed"}),
    "in_review": frozenset({"open", "confirmed", "dismissed"}),
    "confirmed": frozenset({"in_review"}),
    "dismissed": frozenset({"in_review"}),
}


@dataclass(frozen=True, slots=True)
class ScoredCall:
    """A call's newest score: what every review action acts on."""

    call_id: str
    score_key: str
    rubric_id: str
    rubric_version: str
    agent_id: str
    team: str
    score: float


@contextmanager
def opened(store: StoreLike) -> Iterator[Store]:
    """A ``Store`` as given, or opened (and closed after) from its path, which must exist."""
    if isinstance(store, Store):
        yield store
        return
    with Store(store, create=False) as own:
        yield own


def scored_call(store: StoreLike, call_id: str, *, rubric: Rubric | None = None) -> ScoredCall:
    """The newest score of a call, checked against the rubric the caller works with.

    Args:
        store: the store or its path.
        call_id: the call.
        rubric: when given, the call must have been scored with this rubric's id and version.

    Raises:
        UnknownCallError: no scored call has this id.
        StaleRubricError: the call was scored with another rubric version.
    """
    with opened(store) as st:
        row = sql.latest_score_row(st.conn, call_id)
        if row is None:
            raise UnknownCallError(
                f"{st.where}: no scored call {call_id!r}",
                fix="check the id (the file name without extension); `qa flagged` lists calls",
            )
    found = ScoredCall(
        str(row[0]), str(row[1]), str(row[2]), str(row[3]), str(row[4]), str(row[5]),
        float(row[6]),
    )  # fmt: skip
    if rubric is not None and (found.rubric_id, found.rubric_version) != (
        rubric.id,
        str(rubric.version),
    ):
        raise StaleRubricError(
            f"call {call_id!r} was scored with rubric {found.rubric_id} "
            f"v{found.rubric_version}, not {rubric.id} v{rubric.version}",
            fix=f"re-score it first (qa rescore --rubric {rubric.source or 'RUBRIC'}), "
            "or review it without --rubric",
        )
    return found


def review_state(store: StoreLike, call_id: str) -> ReviewState:
    """Where a call's review stands (its newest score's).

    Raises:
        UnknownCallError: no scored call has this id.
    """
    with opened(store) as st:
        call = scored_call(st, call_id)
        return review_state_of(st.conn, call)


def set_status(
    store: StoreLike,
    call_id: str,
    status: ReviewStatus,
    *,
    reviewer: str,
    note: str = "",
    expected_version: int | None = None,
    rubric: Rubric | None = None,
) -> ReviewState:
    """Move a call's flag to a new status, as ``reviewer``.

    Args:
        store: the store or its path.
        call_id: the call.
        status: ``open``, ``in_review``, ``confirmed`` or ``dismissed``.
        reviewer: who decides (required, it goes in the audit log).
        note: why.
        expected_version: the ``ReviewState.version`` the reviewer saw; None skips the check.
        rubric: the rubric the reviewer works with (its version must match the score's).

    Returns:
        The new state.

    Raises:
        UnknownCallError, StaleRubricError: see :func:`scored_call`.
        InvalidTransitionError: the move is not allowed from the current status.
        ReviewConflictError: the call changed since ``expected_version`` (attempt kept).
    """
    if status not in REVIEW_STATUSES:
        raise UsageError(f"unknown review status {status!r}", fix=f"use {_one_of(REVIEW_STATUSES)}")
    _need(reviewer, "reviewer")
    with opened(store) as st:
        call = scored_call(st, call_id, rubric=rubric)
        with transaction(st.conn, st.where) as conn:
            current = review_state_of(conn, call)
            # A stale writer is recorded as a conflict before any transition check:
            # its move was judged against a state that no longer holds.
            stale = expected_version is not None and expected_version != current.version
            if not stale and status not in _TRANSITIONS[current.status]:
                raise InvalidTransitionError(
                    f"call {call_id!r} is {current.status}; it cannot go to {status}",
                    fix=f"from {current.status} go to {_next(current.status)}",
                )
            entry = _append(conn, call, "status", reviewer, status, note, expected_version)
        _raise_if_conflict(entry, call_id)
        return review_state_of(st.conn, call)


def override_item(
    store: StoreLike,
    call_id: str,
    item_id: str,
    status: str,
    *,
    reviewer: str,
    reason: str,
    expected_version: int | None = None,
    rubric: Rubric | None = None,
) -> ItemOverride:
    """Record a reviewer's verdict on one item; the automatic result stays beside it.

    Args:
        store: the store or its path.
        call_id: the call.
        item_id: a rubric item of the call's score.
        status: ``pass``, ``fail`` or ``na``.
        reviewer: who overrides.
        reason: why (required).
        expected_version: as in :func:`set_status`.
        rubric: as in :func:`set_status`; the item must also be in it.

    Raises:
        UnknownCallError, StaleRubricError: see :func:`scored_call`.
        UnknownItemError: the item is not in the call's rubric.
        ReviewConflictError: the call changed since ``expected_version`` (attempt kept).
    """
    if status not in STATUSES:
        raise UsageError(f"unknown item status {status!r}", fix=f"use {_one_of(STATUSES)}")
    _need(reviewer, "reviewer")
    _need(reason, "reason")
    with opened(store) as st:
        call = scored_call(st, call_id, rubric=rubric)
        auto = _auto_item(st.conn, call, item_id)
        points = float(auto["max_points"]) if status == "pass" else 0.0
        detail = {"auto_status": auto["status"], "auto_points": float(auto["points"]),
                  "points": points, "max_points": float(auto["max_points"])}  # fmt: skip
        retotal = retotaller(st, call.call_id, call.score_key, rubric)
        with transaction(st.conn, st.where) as conn:
            entry = _append(
                conn, call, "override", reviewer, status, reason, expected_version,
                item_id=item_id, detail=detail,
            )  # fmt: skip
            if not entry.conflict:
                retotal(conn, entry)
        _raise_if_conflict(entry, call_id)
        return _override(entry)


def item_overrides(store: StoreLike, call_id: str) -> tuple[ItemOverride, ...]:
    """The overrides in force on a call's newest score: the latest per item, in item order.

    Raises:
        UnknownCallError: no scored call has this id.
    """
    latest: dict[str, ItemOverride] = {}
    for entry in history(store, call_id):
        if entry.action == "override" and not entry.conflict:
            latest[entry.item_id] = _override(entry)
    with opened(store) as st:
        key = scored_call(st, call_id).score_key
    return tuple(o for o in latest.values() if o.score_key == key)


def history(store: StoreLike, call_id: str) -> tuple[AuditEntry, ...]:
    """A call's whole review history, oldest first, conflicts included.

    Raises:
        UnknownCallError: no scored call has this id.
    """
    with opened(store) as st:
        scored_call(st, call_id)
        rows = sql.review_rows(st.conn, call_id)
    return tuple(AuditEntry.from_row(r) for r in rows)


def file_appeal(
    store: StoreLike,
    call_id: str,
    *,
    reason: str,
    item_id: str | None = None,
    agent_id: str | None = None,
    rubric: Rubric | None = None,
) -> Appeal:
    """Record an agent's appeal of a call's result, or of one item.

    Args:
        store: the store or its path.
        call_id: the call.
        reason: the agent's reason (required).
        item_id: the contested item (None: the whole result).
        agent_id: who appeals (default: the call's agent).
        rubric: as in :func:`set_status`.

    Raises:
        UnknownCallError, StaleRubricError, UnknownItemError: as for overrides.
    """
    _need(reason, "reason")
    with opened(store) as st:
        call = scored_call(st, call_id, rubric=rubric)
        if item_id is not None:
            _auto_item(st.conn, call, item_id)
        agent = agent_id or call.agent_id or "agent"
        appeal_id = f"ap-{uuid.uuid4().hex[:10]}"
        now = utc_now()
        with transaction(st.conn, st.where) as conn:
            sql.insert_appeal(conn, {
                "appeal_id": appeal_id, "call_id": call_id, "score_key": call.score_key,
                "agent_id": agent, "reason": reason, "status": "open", "created_at": now,
                "item_id": item_id,
            })  # fmt: skip
            _append(conn, call, "appeal_filed", agent, "open", reason, None,
                    item_id=item_id or "", detail={"appeal_id": appeal_id})  # fmt: skip
        return appeal(st, appeal_id)


def decide_appeal(
    store: StoreLike,
    appeal_id: str,
    decision: str,
    *,
    reviewer: str,
    reason: str,
    final: bool = True,
) -> Appeal:
    """Decide an appeal; a final decision locks it.

    Args:
        store: the store or its path.
        appeal_id: the appeal.
        decision: ``upheld`` (the agent is right) or ``rejected``.
        reviewer: who decides.
        reason: why (required).
        final: lock the appeal (the final judgement); False leaves it open to a later decision.

    Raises:
        ReviewError: no such appeal.
        InvalidTransitionError: the appeal is already final.
    """
    if decision not in APPEAL_DECISIONS:
        raise UsageError(f"unknown decision {decision!r}", fix=f"use {_one_of(APPEAL_DECISIONS)}")
    _need(reviewer, "reviewer")
    _need(reason, "reason")
    with opened(store) as st:
        before = appeal(st, appeal_id)
        call = scored_call(st, before.call_id)
        retotal = retotaller(st, call.call_id, call.score_key, None)
        with transaction(st.conn, st.where) as conn:
            if sql.appeal_is_final(conn, appeal_id):
                raise InvalidTransitionError(
                    f"appeal {appeal_id} is final ({before.status} by {before.reviewer})",
                    fix="a final judgement stands; file a new appeal if there is new evidence",
                )
            sql.decide_appeal(conn, appeal_id, decision=decision, reason=reason,
                              reviewer=reviewer, final=final, when=utc_now())  # fmt: skip
            detail = {"appeal_id": appeal_id, "final": final}
            entry = _append(conn, call, "appeal_decided", reviewer, decision, reason, None,
                            item_id=before.item_id, detail=detail)  # fmt: skip
            retotal(conn, entry)
        return appeal(st, appeal_id)


def appeal(store: StoreLike, appeal_id: str) -> Appeal:
    """One appeal by id.

    Raises:
        ReviewError: no such appeal.
    """
    found = appeals(store, appeal_id=appeal_id)
    if not found:
        raise ReviewError(f"no appeal {appeal_id!r}", fix="list appeals with `qa show CALL_ID`")
    return found[0]


def appeals(
    store: StoreLike,
    *,
    call_id: str | None = None,
    status: str | None = None,
    appeal_id: str | None = None,
) -> tuple[Appeal, ...]:
    """Appeals, oldest first, filtered by call, status (open/upheld/rejected) or id."""
    with opened(store) as st:
        rows = sql.appeal_rows(st.conn, call_id=call_id, status=status, appeal_id=appeal_id)
    return tuple(
        Appeal(r["appeal_id"], r["call_id"], r["score_key"] or "", r["item_id"] or "",
               r["agent_id"], r["reason"], r["status"], r["decision_reason"], r["reviewer"],
               bool(r["final"]), r["created_at"], r["decided_at"] or "")
        for r in rows
    )  # fmt: skip


# ------------------------------------------------------------------ helpers


def _need(value: str, name: str) -> None:
    if not value or not value.strip():
        raise UsageError(f"{name} is required", fix=f"pass a non-empty {name}")


def _next(status: str) -> str:
    return _one_of(sorted(_TRANSITIONS[status]))


def _one_of(names: Any) -> str:
    return ", ".join(str(n) for n in names)


def review_state_of(conn: sqlite3.Connection, call: ScoredCall) -> ReviewState:
    """A scored call's review state, on an open connection (the queue reads many at once)."""
    row = sql.latest_status_row(conn, call.score_key)
    status, reviewer, note, when = row if row is not None else ("open", "", "", "")
    status = cast(ReviewStatus, status)
    return ReviewState(
        call.call_id, call.score_key, call.rubric_id, call.rubric_version, status, reviewer,
        note, when, sql.latest_version(conn, call.call_id),
    )  # fmt: skip


def _append(
    conn: sqlite3.Connection,
    call: ScoredCall,
    action: str,
    reviewer: str,
    status: str,
    comment: str,
    expected_version: int | None,
    *,
    item_id: str = "",
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one action to the log, inside the caller's write transaction.

    The version check and the insert share the transaction (which holds the
    write lock), so two writers cannot both pass the check.
    """
    current = sql.latest_version(conn, call.call_id)
    conflict = expected_version is not None and expected_version != current
    entry = AuditEntry(
        f"rv-{uuid.uuid4().hex[:12]}", call.call_id, call.score_key, action, item_id, reviewer,
        status, comment, current if conflict else current + 1, expected_version, conflict,
        tuple(sorted((k, json.dumps(v)) for k, v in (detail or {}).items())), utc_now(),
    )  # fmt: skip
    sql.insert_review(conn, {
        "review_id": entry.review_id, "call_id": entry.call_id, "score_key": entry.score_key,
        "item_id": item_id or None, "reviewer": reviewer, "action": action, "status": status,
        "comment": comment, "created_at": entry.created_at, "version": entry.version,
        "expected_version": expected_version, "conflict": int(conflict),
        "detail": json.dumps(detail or {}, sort_keys=True),
    })  # fmt: skip
    return entry


def _raise_if_conflict(entry: AuditEntry, call_id: str) -> None:
    if entry.conflict:
        assert entry.expected_version is not None
        raise ReviewConflictError(
            f"call {call_id!r} changed since version {entry.expected_version} "
            f"(now {entry.version}); your {entry.action} was recorded as a conflict, not applied",
            expected_version=entry.expected_version,
            current_version=entry.version,
        )


def _auto_item(conn: sqlite3.Connection, call: ScoredCall, item_id: str) -> sqlite3.Row:
    row = sql.item_result_row(conn, call.score_key, item_id)
    if row is None:
        known = sql.item_ids(conn, call.score_key)
        raise UnknownItemError(
            f"rubric {call.rubric_id} v{call.rubric_version} has no item {item_id!r}",
            fix=f"use one of {_one_of(sorted(known))}",
        )
    return row


def _override(entry: AuditEntry) -> ItemOverride:
    detail = {k: json.loads(v) for k, v in entry.detail}
    return ItemOverride(
        entry.call_id, entry.score_key, entry.item_id, str(detail.get("auto_status", "")),
        float(detail.get("auto_points", 0.0)), entry.status, float(detail.get("points", 0.0)),
        float(detail.get("max_points", 0.0)), entry.comment, entry.reviewer, entry.created_at,
        entry.review_id,
    )  # fmt: skip
