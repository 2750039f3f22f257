"""Records of the review workflow: review state, audit entries, overrides, appeals, queue rows.

Frozen dataclasses with slots, like every record that flows between stages;
each has ``to_dict`` for JSON output (the CLI's ``--format json``, the web app).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import asdict, dataclass
from typing import Any, Literal

from qa_toolkit.scoring.types import Flag

ReviewStatus = Literal["open", "in_review", "confirmed", "dismissed"]
REVIEW_STATUSES: tuple[ReviewStatus, ...] = ("open", "in_review", "confirmed", "dismissed")
AppealDecision = Literal["upheld", "rejected"]
AppealStatus = Literal["open", "upheld", "rejected"]
APPEAL_DECISIONS: tuple[AppealDecision, ...] = ("upheld", "rejected")


@dataclass(frozen=True, slots=True)
class ReviewState:
    """Where a call's review stands, for its newest score.

    Attributes:
        call_id: the call.
        score_key: the score under review (a re-score starts a new review at ``open``).
        rubric_id: the rubric the call was scored with.
        rubric_version: that rubric's version.
        status: ``open``, ``in_review``, ``confirmed`` or ``dismissed``.
        reviewer: who set the status ("" while nobody has).
        note: the reviewer's note.
        updated_at: when the status was set (ISO 8601 UTC; "" while open).
        version: the call's workflow version; pass it back as ``expected_version``.
    """

    call_id: str
    score_key: str
    rubric_id: str
    rubric_version: str
    status: ReviewStatus
    reviewer: str
    note: str
    updated_at: str
    version: int

    def to_dict(self) -> dict[str, Any]:
        """The state as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of a call's append-only review history.

    Attributes:
        review_id: the entry's id.
        call_id: the call.
        score_key: the score acted on.
        action: ``status``, ``override``, ``appeal_filed`` or ``appeal_decided``.
        item_id: the rubric item, for overrides and item appeals ("" otherwise).
        reviewer: who acted (the agent, for a filed appeal).
        status: the status set (review status, item status or appeal decision).
        comment: the note or reason.
        version: the workflow version this entry produced (or found, when it conflicted).
        expected_version: the version its author had read (None: not checked).
        conflict: True when it lost a race: kept here, not applied.
        detail: extra facts (automatic item result, appeal id), as sorted
            (name, JSON text) pairs.
        created_at: when (ISO 8601 UTC).
    """

    review_id: str
    call_id: str
    score_key: str
    action: str
    item_id: str
    reviewer: str
    status: str
    comment: str
    version: int
    expected_version: int | None
    conflict: bool
    detail: tuple[tuple[str, str], ...]
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        """The entry as a JSON-ready dict."""
        out = asdict(self)
        out["detail"] = {k: json.loads(v) for k, v in self.detail}
        return out

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> AuditEntry:
        """An entry from its ``reviews`` row."""
        detail = json.loads(row["detail"] or "{}")
        return cls(
            row["review_id"], row["call_id"], row["score_key"] or "", row["action"],
            row["item_id"] or "", row["reviewer"], row["status"] or "", row["comment"],
            int(row["version"]), row["expected_version"], bool(row["conflict"]),
            tuple(sorted((k, json.dumps(v)) for k, v in detail.items())), row["created_at"],
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ItemOverride:
    """A reviewer's verdict on one item, with the automatic result kept beside it."""

    call_id: str
    score_key: str
    item_id: str
    auto_status: str
    auto_points: float
    status: str
    points: float
    max_points: float
    reason: str
    reviewer: str
    created_at: str
    review_id: str

    def to_dict(self) -> dict[str, Any]:
        """The override as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Appeal:
    """An agent's appeal of a call's QA result (or of one item), and its decision.

    ``final`` locks the appeal: no later decision is accepted.
    """

    appeal_id: str
    call_id: str
    score_key: str
    item_id: str
    agent_id: str
    reason: str
    status: AppealStatus
    decision_reason: str
    reviewer: str
    final: bool
    created_at: str
    decided_at: str

    def to_dict(self) -> dict[str, Any]:
        """The appeal as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One flagged call in the supervisor's queue."""

    call_id: str
    call_date: str
    start_time: str
    agent_id: str
    team: str
    queue: str
    rubric_id: str
    rubric_version: str
    score: float
    band: str
    flags: tuple[Flag, ...]
    status: ReviewStatus
    reviewer: str
    version: int
    open_appeals: int
    priority: float = 0.0
    priority_reason: str = ""
    auto_score: float | None = None  # the machine's score; ``score`` is the reviewed one

    def to_dict(self) -> dict[str, Any]:
        """The entry as a JSON-ready dict."""
        out = asdict(self)
        out["flags"] = [f.to_dict() for f in self.flags]
        return out
