"""How much a flagged call is worth a reviewer's time: severity × confidence, in one number.

A team cannot hear every flagged call, so the queue is ranked. Each reason a
call was flagged gives a priority between 0 and 1, its severity times how sure
the toolkit is of it. Reasons combine like independent evidence
(noisy-OR: ``1 − Π(1 − pᵢ)``), so a call with several reasons ranks above a call
with one:

- a failed critical item (identity not verified before a refund…): 1.0;
- a risk event (escalation, cancel or regulator threat, abuse): 0.85;
- a customer likely left dissatisfied or unresolved, from the outcome estimate
  (:mod:`qa_toolkit.nlp.outcome`): 0.9 × how likely (``1 − resolved``, or the
  satisfaction's distance below +2, whichever is larger);
- when the rubric holds a calibrated call model, its prediction takes the outcome
  estimate's place: 0.95 × how likely the rating is low (0.5 at the model's
  pass mark, 1 at the bottom of its scale). A team's own model, fitted to its
  reviewers' ratings, is a surer guide than the estimate made without labels;
- a low score: 0.2 to 0.5 as the score falls from 100 to 0 (a score says how the
  agent worked more than how the customer fared, so it weighs least among the
  call's own reasons; with a call model, which reads the same items, not at all);
- a team outlier: 0.55;
- the random sample: 0.2 (it is kept whatever the budget: it measures what the
  flags miss).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from qa_toolkit.scoring.types import CallScore, Flag
from qa_toolkit.store.reviews import flag_of, score_flag_rows

SEVERITY: dict[str, float] = {
    "critical_failed": 1.0,
    "risk": 0.85,
    "outcome": 0.9,
    "low_predicted_rating": 0.95,
    "outlier": 0.55,
    "sample": 0.2,
}


@dataclass(frozen=True, slots=True)
class Priority:
    """A flagged call's priority (0–1) and the one-line reason that set it."""

    value: float
    reason: str


def review_priority(score: CallScore, flags: Sequence[Flag]) -> Priority:
    """The priority of reviewing a call, from its flags, score and outcome estimate.

    Args:
        score: the call's score (with its ``outcome`` when estimated).
        flags: every flag the call carries (the scorer's and the review rules').

    Returns:
        The combined priority, with its strongest reason.
    """
    outcome = score.outcome
    return priority_of(
        score.score,
        None if outcome is None else outcome.resolved,
        None if outcome is None else outcome.satisfaction,
        flags,
        None if score.predicted is None else score.predicted.low,
    )


def priority_of(
    score: float,
    resolved: float | None,
    satisfaction: float | None,
    flags: Sequence[Flag],
    predicted_low: float | None = None,
) -> Priority:
    """The priority from the stored numbers alone (a ``Store.scores()`` row has them all)."""
    kinds = {f.kind for f in flags}
    candidates = [Priority(0.0, "no flag")]
    plain = ["critical_failed", "risk", "outlier", "sample"]
    if predicted_low is None:
        # A low prediction flagged from outside the rubric (flag_low_prediction) counts by
        # its strength.
        plain.insert(2, "low_predicted_rating")
    for kind in plain:
        # The review rules name each risk event's kind (risk_escalation, risk_cancel, …).
        for flag in (f for f in flags if f.kind == kind or f.kind.startswith(f"{kind}_")):
            sure = 1.0 if flag.strength is None else flag.strength
            candidates.append(Priority(SEVERITY[kind] * sure, f"{flag.kind}: {flag.reason}"))
            break
    if predicted_low is not None:
        why = next((f.reason for f in flags if f.kind == "low_predicted_rating"), "")
        reason = f"predicted low rating ({predicted_low:.0%} likely){': ' + why if why else ''}"
        candidates.append(Priority(SEVERITY["low_predicted_rating"] * predicted_low, reason))
    elif resolved is not None and satisfaction is not None:
        unresolved = 1.0 - resolved
        unhappy = (2.0 - satisfaction) / 4.0
        reason = (
            f"likely {'unresolved' if unresolved >= unhappy else 'dissatisfied'}: resolved "
            f"{resolved:.0%}, satisfaction {satisfaction:+.1f} (−2..2)"
        )
        candidates.append(Priority(SEVERITY["outcome"] * max(unresolved, unhappy), reason))
    if "below_threshold" in kinds and predicted_low is None:
        # A call model reads the items the score is made of, so with one the score adds nothing.
        value = 0.2 + 0.3 * (1.0 - max(0.0, min(score, 100.0)) / 100.0)
        candidates.append(Priority(value, f"low score: {score:.1f}"))
    # Reasons combine like independent evidence (noisy-OR): a call both low-scoring and likely
    # dissatisfied outranks one that is only low-scoring. The strongest reason is the one said.
    combined = 1.0
    for p in candidates:
        combined *= 1.0 - p.value
    best = max(candidates, key=lambda p: p.value)
    return Priority(round(1.0 - combined, 3), best.reason)


StoredCall = tuple[str, float, float | None, float | None, float | None]


def stored_priorities(conn: sqlite3.Connection, calls: Sequence[StoredCall]) -> dict[str, Priority]:
    """Priorities of stored scores, their flags read in a few queries (not one per call).

    Args:
        conn: the store's connection.
        calls: (score key, score, outcome resolved, outcome satisfaction, predicted low)
            per call (a ``Store.scores()`` row's columns).

    Returns:
        score key → priority.
    """
    flags: dict[str, list[Flag]] = {key: [] for key, *_ in calls}
    for row in score_flag_rows(conn, list(flags)):
        flags[str(row["score_key"])].append(flag_of(row))
    return {
        key: priority_of(score, resolved, satisfaction, flags[key], low)
        for key, score, resolved, satisfaction, low in calls
    }
