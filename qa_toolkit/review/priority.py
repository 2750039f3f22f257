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
- a low score: 0.2 to 0.5 as the score falls from 100 to 0 (a score says how the
  agent worked more than how the customer fared, so it weighs least among the
  call's own reasons);
- a team outlier: 0.55;
- the random sample: 0.2 (it is kept whatever the budget: it measures what the
  flags miss).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa_toolkit.scoring_types import CallScore, Flag

SEVERITY: dict[str, float] = {
    "critical_failed": 1.0,
    "risk": 0.85,
    "outcome": 0.9,
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
    )


def priority_of(
    score: float, resolved: float | None, satisfaction: float | None, flags: Sequence[Flag]
) -> Priority:
    """The priority from the stored numbers alone (a ``Store.scores()`` row has them all)."""
    kinds = {f.kind for f in flags}
    candidates = [Priority(0.0, "no flag")]
    for kind in ("critical_failed", "risk", "outlier", "sample"):
        if kind in kinds:
            why = next(f.reason for f in flags if f.kind == kind)
            candidates.append(Priority(SEVERITY[kind], f"{kind}: {why}"))
    if resolved is not None and satisfaction is not None:
        unresolved = 1.0 - resolved
        unhappy = (2.0 - satisfaction) / 4.0
        reason = (
            f"likely {'unresolved' if unresolved >= unhappy else 'dissatisfied'}: resolved "
            f"{resolved:.0%}, satisfaction {satisfaction:+.1f} (−2..2)"
        )
        candidates.append(Priority(SEVERITY["outcome"] * max(unresolved, unhappy), reason))
    if "below_threshold" in kinds:
        value = 0.2 + 0.3 * (1.0 - max(0.0, min(score, 100.0)) / 100.0)
        candidates.append(Priority(value, f"low score: {score:.1f}"))
    # Reasons combine like independent evidence (noisy-OR): a call both low-scoring and likely
    # dissatisfied outranks one that is only low-scoring. The strongest reason is the one said.
    combined = 1.0
    for p in candidates:
        combined *= 1.0 - p.value
    best = max(candidates, key=lambda p: p.value)
    return Priority(round(1.0 - combined, 3), best.reason)
