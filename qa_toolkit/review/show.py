"""One call's drill-down: flags, review state, failed items, counterfactual, causes, history.

The score shown is the reviewed score (:mod:`qa_toolkit.review.reviewed`): reviewers' item
verdicts in place of the machine's, the machine's score beside it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from qa_toolkit.review.causes import Counterfactual, RootCause, counterfactual, root_causes
from qa_toolkit.review.flags import call_flags
from qa_toolkit.review.priority import Priority, review_priority
from qa_toolkit.review.records import Appeal, AuditEntry, ItemOverride, ReviewState
from qa_toolkit.review.reviewed import DEFAULT_THRESHOLD, score_terms
from qa_toolkit.review.workflow import (
    StoreLike,
    appeals,
    history,
    item_overrides,
    opened,
    review_state,
)
from qa_toolkit.rubric.schema import Rubric
from qa_toolkit.scoring.types import CallScore, Flag
from qa_toolkit.types import Transcript

__all__ = ["DEFAULT_THRESHOLD", "CallDetail", "call_detail"]
_FEATURES = ("duration_s", "agent_talk_share", "dead_air_share", "hold_count",
             "customer_sentiment_start", "customer_sentiment_end", "risk_count")  # fmt: skip


@dataclass(frozen=True, slots=True)
class CallDetail:
    """Everything ``qa show`` and the web app's call page show about one call."""

    score: CallScore
    threshold: float
    flags: tuple[Flag, ...]
    state: ReviewState
    counterfactual: Counterfactual
    causes: tuple[RootCause, ...]
    overrides: tuple[ItemOverride, ...]
    appeals: tuple[Appeal, ...]
    transcript: Transcript | None
    features: tuple[tuple[str, Any], ...]
    history: tuple[AuditEntry, ...] = ()

    @property
    def priority(self) -> Priority:
        """How much the call is worth a reviewer's time, as ``qa flagged`` ranks it."""
        return review_priority(self.score, self.flags)

    def to_dict(self) -> dict[str, Any]:
        """The detail as a JSON-ready dict."""
        rank = self.priority
        return {
            "score": self.score.to_dict(), "threshold": self.threshold,
            "priority": {"value": rank.value, "reason": rank.reason},
            "flags": [f.to_dict() for f in self.flags], "review": self.state.to_dict(),
            "counterfactual": asdict(self.counterfactual),
            "root_causes": [asdict(c) for c in self.causes],
            "overrides": [o.to_dict() for o in self.overrides],
            "appeals": [a.to_dict() for a in self.appeals],
            "history": [h.to_dict() for h in self.history],
        }  # fmt: skip

    def lines(self) -> list[tuple[str, dict[str, Any]]]:
        """The terminal drill-down: (text, click style) per line; evidence is highlighted."""
        s = self.score
        auto = f" (machine {s.auto_score:.1f})" if s.reviewed and s.auto_score is not None else ""
        out: list[tuple[str, dict[str, Any]]] = [
            (f"{s.call_id}  score {s.score:.1f} ({s.band}){auto}  rubric {s.rubric_id} "
             f"v{s.rubric_version}  review: {self.state.status} v{self.state.version}",
             {"bold": True}),
        ]  # fmt: skip
        out += [(f"  flag {f.kind}: {f.reason}", {"fg": "yellow"}) for f in self.flags]
        out += [(f"  resolved {f.kind}: {f.reason}", {"fg": "green"}) for f in s.resolved]
        if self.flags:
            rank = self.priority
            out.append((f"  priority {rank.value:.2f}: {rank.reason}", {"fg": "yellow"}))
        out += self._outcome_lines()
        out += [(f"  {k} = {v}", {}) for k, v in self.features]
        cf = self.counterfactual
        saved = ", ".join(cf.item_ids) or "nothing"
        verdict = (f"would pass (≥ {cf.threshold:g}) with: {saved} → {cf.score_after:.1f}"
                   if cf.reachable else "no set of items reaches the threshold")  # fmt: skip
        out.append((verdict, {"bold": True}))
        for c in self.causes:
            mark = "*" if c.in_counterfactual else " "
            out.append((f" {mark} {c.item_id} [{c.category}] −{c.points_lost:g} pts "
                        f"(+{c.score_gain:.1f} to score){' CRITICAL' if c.critical else ''}",
                        {"fg": "red"}))  # fmt: skip
            out += [(f"      {e.start_s:6.1f}s {e.speaker}: {e.quote!r} — {e.reason}", {})
                    for e in c.evidence[:2]]  # fmt: skip
        out += [(f"  override {o.item_id}: {o.auto_status} → {o.status} by {o.reviewer}: "
                 f"{o.reason}", {"fg": "cyan"}) for o in self.overrides]  # fmt: skip
        out += [(f"  appeal {a.appeal_id} {a.item_id or '(call)'}: {a.status}"
                 f"{' final' if a.final else ''}: {a.reason}", {"fg": "cyan"})
                for a in self.appeals]  # fmt: skip
        out += [_history_line(h) for h in self.history]
        out += self._transcript_lines()
        return out

    def _outcome_lines(self) -> list[tuple[str, dict[str, Any]]]:
        outcome = self.score.outcome
        if outcome is None:
            return []
        out: list[tuple[str, dict[str, Any]]] = [
            (f"  outcome (estimated): resolved {outcome.resolved:.0%}, "
             f"satisfaction {outcome.satisfaction:+.1f} (−2..2)", {"bold": True}),
        ]  # fmt: skip
        for e in outcome.evidence[:3]:
            at = f"{e.start_s:6.1f}s {e.speaker}: {e.quote!r} — " if e.utterance_id else ""
            out.append((f"      {at}{e.reason}", {}))
        return out

    def _transcript_lines(self) -> list[tuple[str, dict[str, Any]]]:
        if self.transcript is None:
            return []
        marked = {e.utterance_id for c in self.causes for e in c.evidence}
        return [(f"{'>>' if u.id in marked else '  '} [{u.start_s:6.1f}] {u.speaker}: {u.text}",
                 {"fg": "red", "bold": True} if u.id in marked else {})
                for u in self.transcript.utterances]  # fmt: skip


def call_detail(
    store: StoreLike,
    call_id: str,
    *,
    rubric: Rubric | None = None,
    threshold: float | None = None,
) -> CallDetail:
    """One call's drill-down, for its newest score.

    Args:
        store: the store or its path.
        call_id: the call.
        rubric: the rubric the reviewer works with (its version must match the score's).
        threshold: the score to reach; default the rubric's ``flag_below``, else the
            rubric file the scoring run used, else 70.

    Raises:
        UnknownCallError, StaleRubricError: see :func:`~qa_toolkit.review.workflow.scored_call`.
    """
    from qa_toolkit.errors import StoreError
    from qa_toolkit.review.workflow import scored_call

    with opened(store) as st:
        call = scored_call(st, call_id, rubric=rubric)
        score, features = st.call_score(call.score_key)
        try:
            transcript: Transcript | None = st.transcript(call_id)
        except StoreError:
            transcript = None
        limit = threshold if threshold is not None else _threshold(st, call.score_key, rubric)
        values = features.get("values") or {}
        return CallDetail(
            score, limit, call_flags(st, call.score_key), review_state(st, call_id),
            counterfactual(score, limit), root_causes(score, limit, transcript),
            item_overrides(st, call_id), appeals(st, call_id=call_id), transcript,
            tuple((k, values[k]) for k in _FEATURES if values.get(k) is not None),
            history(st, call_id),
        )  # fmt: skip


def _threshold(st: Any, score_key: str, rubric: Rubric | None) -> float:
    if rubric is not None and rubric.flag_below is not None:
        return rubric.flag_below
    below = score_terms(st, score_key).flag_below
    return DEFAULT_THRESHOLD if below is None else below


def _history_line(entry: AuditEntry) -> tuple[str, dict[str, Any]]:
    """One history entry; an action that lost a race is marked as not applied."""
    what = " ".join(p for p in (entry.action, entry.item_id, "→", entry.status) if p)
    line = f"  history v{entry.version} {entry.created_at[:19]} {entry.reviewer}: {what}"
    if entry.conflict:
        return (f"{line}  CONFLICT, not applied (expected v{entry.expected_version}): "
                f"{entry.comment}", {"fg": "magenta"})  # fmt: skip
    return f"{line}: {entry.comment}", {"dim": True}
