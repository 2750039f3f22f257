"""From item verdicts to a call's total: section scores, the weighted score, auto-fail, flags.

The scoring engine adds up a call's items with these functions, and so does a
reviewer's change of verdict (:func:`with_verdicts`): an override or an upheld
appeal re-totals the call by the same arithmetic and the rubric's own points,
weights, bands and threshold, never by a copy of it.

Items that do not apply (``na``) are left out of both the points and the
maximum. A section scores the percentage of its applicable points; the call is
the weighted mean of the sections that have any applicable item, 0–100. A
failed critical item fails the call: its score becomes 0 and it is flagged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from qa_toolkit.scoring.types import CallScore, Flag, ItemResult, ScoreTerms, SectionScore, Status

# The scorer's flags that follow from the item verdicts (the others come from the transcript
# or the outcome estimate, which a reviewer's verdict on an item does not change).
VERDICT_FLAG_KINDS: tuple[str, ...] = ("critical_failed", "not_scorable", "below_threshold")


@dataclass(frozen=True, slots=True)
class Totals:
    """A call's sections and total from its item verdicts."""

    sections: tuple[SectionScore, ...]
    raw_score: float
    score: float  # after auto-fail
    auto_failed: bool


def section_scores(
    sections: Iterable[tuple[str, str, float]], items: Sequence[ItemResult]
) -> tuple[SectionScore, ...]:
    """Each section's applicable points and percentage.

    Args:
        sections: (section id, title, weight) in rubric order.
        items: every item result of the call.
    """
    scores = []
    for section_id, title, weight in sections:
        mine = [i for i in items if i.section_id == section_id and i.status != "na"]
        earned = sum(i.points for i in mine)
        possible = sum(i.max_points for i in mine)
        score = 100.0 * earned / possible if possible > 0 else None
        scores.append(SectionScore(section_id, title, weight, earned, possible, score))
    return tuple(scores)


def weighted(sections: Sequence[SectionScore]) -> float:
    """Weighted mean of the scorable sections; their weights are renormalised."""
    scorable = [s for s in sections if s.score is not None and s.weight > 0]
    total = sum(s.weight for s in scorable)
    if total <= 0:
        return 0.0
    return sum(s.weight * (s.score or 0.0) for s in scorable) / total


def totals(sections: Iterable[tuple[str, str, float]], items: Sequence[ItemResult]) -> Totals:
    """The call's sections, raw score, score after auto-fail and whether it auto-failed."""
    scored = section_scores(sections, items)
    raw = weighted(scored)
    auto_failed = any(i.critical and i.status == "fail" for i in items)
    return Totals(scored, raw, 0.0 if auto_failed else raw, auto_failed)


def verdict_flags(
    items: Sequence[ItemResult],
    sections: Sequence[SectionScore],
    score: float,
    flag_below: float | None,
    timed: bool,
) -> tuple[Flag, ...]:
    """The flags a call's item verdicts raise: failed critical items, nothing scorable, a
    score below ``flag_below`` (in that order). A critical item a reviewer failed is flagged
    with the reviewer's verdict, not the machine's evidence (which found it passed)."""
    flags = []
    for item in items:
        if item.critical and item.status == "fail" and item.auto_status is not None:
            flags.append(Flag("critical_failed", f"{item.item_id} failed on review: {item.review}"))
        elif item.critical and item.status == "fail":
            where = next((f" at {e.where(timed)}" for e in item.evidence if e.utterance_id), "")
            reason = item.evidence[0].reason if item.evidence else "no evidence"
            flags.append(Flag("critical_failed", f"{item.item_id} failed{where}: {reason}"))
    if not any(s.score is not None for s in sections):
        flags.append(Flag("not_scorable", "no rubric item applied to this call"))
    if flag_below is not None and score < flag_below:
        flags.append(Flag("below_threshold", f"score {score:.1f} is below {flag_below:g}"))
    return tuple(flags)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A reviewer's verdict on one item, replacing the machine's.

    Attributes:
        item_id: the rubric item.
        status: ``pass``, ``fail`` or ``na``.
        by: what decided it, for people: ``override of greeting by mei``.
        reason: the reviewer's reason.
    """

    item_id: str
    status: Status
    by: str
    reason: str = ""


def with_verdicts(
    score: CallScore, verdicts: Mapping[str, Verdict], terms: ScoreTerms
) -> CallScore:
    """The call re-totalled with reviewers' verdicts in place of the machine's.

    A verdict of ``pass`` earns the item's full points, ``fail`` none, ``na`` leaves it out
    (as the override workflow records them). Sections, the score, auto-fail, the band and the
    verdict flags follow by the rubric's terms; the scorer's other flags stay. ``auto_score``
    keeps the machine's score and ``resolved`` lists the verdict flags the review cleared.

    Args:
        score: the machine's score (as stored).
        verdicts: item id → the reviewer's verdict in force.
        terms: the bands and ``flag_below`` the call was scored by.

    Returns:
        The reviewed score; the machine's (with ``auto_score`` set) when no verdict changes
        an item's status or points.

    Example:
        >>> reviewed = with_verdicts(score, {"empathy": Verdict("empathy", "pass", "…")}, terms)
        >>> reviewed.score, reviewed.auto_score  # doctest: +SKIP
        (78.0, 60.0)
    """
    items = tuple(_apply(i, verdicts.get(i.item_id)) for i in score.items)
    if all(i.auto_status is None for i in items):
        return replace(score, auto_score=score.score, resolved=())
    frames = ((s.section_id, s.title, s.weight) for s in score.sections)
    new = totals(frames, items)
    latest = _latest(items, verdicts)
    raised = verdict_flags(items, new.sections, new.score, terms.flag_below, score.timed)
    flags = (
        *(_on_review(f, latest) for f in raised),
        *(f for f in score.flags if f.kind not in VERDICT_FLAG_KINDS),
    )
    kept = {f.kind for f in raised}
    cleared = dict.fromkeys(f.kind for f in score.flags if f.kind in VERDICT_FLAG_KINDS)
    resolved = tuple(
        Flag(kind, _resolution(kind, new.score, terms, latest)) for kind in cleared
        if kind not in kept
    )  # fmt: skip
    return replace(
        score, items=items, sections=new.sections, score=new.score, raw_score=new.raw_score,
        band=terms.band_for(new.score), auto_failed=new.auto_failed, flags=flags,
        auto_score=score.score, resolved=resolved,
    )  # fmt: skip


def _apply(item: ItemResult, verdict: Verdict | None) -> ItemResult:
    if verdict is None:
        return item
    points = item.max_points if verdict.status == "pass" else 0.0
    if (verdict.status, points) == (item.status, item.points):
        return item
    review = f"{verdict.by}: {verdict.reason}" if verdict.reason else verdict.by
    return replace(item, status=verdict.status, points=points, auto_status=item.status,
                   auto_points=item.points, review=review)  # fmt: skip


def _latest(items: Sequence[ItemResult], verdicts: Mapping[str, Verdict]) -> str:
    """The newest verdict that changed an item, and how many others did (verdicts are in
    the order they were given)."""
    changed = {i.item_id for i in items if i.auto_status is not None}
    used = [v for v in verdicts.values() if v.item_id in changed]
    others = len(used) - 1
    return used[-1].by + (f" and {others} more item verdict(s)" if others > 0 else "")


def _on_review(flag: Flag, latest: str) -> Flag:
    """A verdict flag raised on review says which review moved the call; a critical item's
    flag names its own verdict already."""
    if flag.kind == "critical_failed":
        return flag
    return replace(flag, reason=f"{flag.reason} (on review: {latest})")


def _resolution(kind: str, score: float, terms: ScoreTerms, latest: str) -> str:
    if kind == "below_threshold" and terms.flag_below is not None:
        return f"reviewed score {score:.1f} ≥ {terms.flag_below:g} after {latest}"
    if kind == "critical_failed":
        return f"no critical item fails after {latest}"
    return f"an item applies after {latest}"
