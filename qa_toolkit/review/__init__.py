"""Review: flags, root causes and counterfactuals, drivers across calls, and the workflow.

Example:
    >>> from qa_toolkit import review
    >>> review.flag_calls("qa.db", review.FlagRules(sample_rate=0.02, seed=1))  # doctest: +SKIP
    >>> review.review_queue("qa.db", status="open")  # doctest: +SKIP
"""

from __future__ import annotations

from qa_toolkit.review.flags import (
    FlagRules,
    FlagRun,
    TeamScore,
    call_flags,
    flag_calls,
    in_sample,
    outlier_flags,
    risk_flags,
)
from qa_toolkit.review.queue import review_queue
from qa_toolkit.review.records import (
    APPEAL_DECISIONS,
    REVIEW_STATUSES,
    Appeal,
    AuditEntry,
    ItemOverride,
    QueueEntry,
    ReviewState,
)
from qa_toolkit.review.workflow import (
    ScoredCall,
    appeal,
    appeals,
    decide_appeal,
    file_appeal,
    history,
    item_overrides,
    override_item,
    review_state,
    scored_call,
    set_status,
)

__all__ = [
    "APPEAL_DECISIONS",
    "REVIEW_STATUSES",
    "Appeal",
    "AuditEntry",
    "FlagRules",
    "FlagRun",
    "ItemOverride",
    "QueueEntry",
    "ReviewState",
    "ScoredCall",
    "TeamScore",
    "appeal",
    "appeals",
    "call_flags",
    "decide_appeal",
    "file_appeal",
    "flag_calls",
    "history",
    "in_sample",
    "item_overrides",
    "outlier_flags",
    "override_item",
    "review_queue",
    "review_state",
    "risk_flags",
    "scored_call",
    "set_status",
]
