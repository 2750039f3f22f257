"""How the call ended, estimated without labels: was it resolved, and how satisfied is the customer.

A QA score says how the agent worked; a supervisor also wants to know how the
customer left. The estimate reads what the behaviour model
(:mod:`qa_toolkit.nlp.behaviour`) found in the call and the customer's closing
sentiment, and weighs a handful of signals a person listens for:

- the customer's last turns: thanks or "that works now" against "still nobody
  called me", a demand for a manager, a threat to complain;
- what the agent did: a concrete action or next step, or only a deflection at
  the end ("passed to the relevant department, please wait");
- escalation anywhere in the call, and the sentiment of the customer's last turns.

Each signal is a probability (or a polarity) and enters a logistic sum with a
fixed, documented weight (:data:`RESOLVED_WEIGHTS`, :data:`SATISFACTION_WEIGHTS`),
chosen by hand to put the evidence in the order a reviewer would and checked on
the STC-3 development half (``benchmarks/flag_eval.py``); nothing is fitted on
labels. ``resolved`` is a probability; ``satisfaction`` sits on STC-3's −2..2
scale of customer satisfaction. The evidence names each signal that moved the
estimate, with the utterance behind it and its contribution.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa_toolkit.nlp.behaviour import BehaviourModel, UtteranceBehaviours
from qa_toolkit.nlp.text import shorten
from qa_toolkit.scoring.types import Evidence, Outcome
from qa_toolkit.types import Transcript

# Logistic weights of each signal (probabilities 0..1; sentiment −1..1). The ending
# outweighs the middle: how the customer leaves is what satisfaction surveys record.
RESOLVED_WEIGHTS: Mapping[str, float] = {
    "bias": -0.3,
    "ends_resolved": 2.5,
    "ends_unresolved": -2.5,
    "ends_escalating": -1.5,
    "agent_action": 1.5,
    "agent_deflects_at_end": -1.5,
    "escalation_anywhere": -0.7,
    "closing_sentiment": 1.0,
}
SATISFACTION_WEIGHTS: Mapping[str, float] = {
    "bias": -0.2,
    "ends_resolved": 2.0,
    "ends_unresolved": -1.5,
    "ends_escalating": -2.0,
    "ends_complaining": -1.5,
    "agent_action": 0.8,
    "agent_deflects_at_end": -1.0,
    "escalation_anywhere": -0.8,
    "closing_sentiment": 1.5,
}
_LAST_TURNS = 2


@dataclass(frozen=True, slots=True)
class _Signal:
    value: float
    where: UtteranceBehaviours | None
    what: str


def estimate_outcome(
    transcript: Transcript, model: BehaviourModel, features: Mapping[str, float]
) -> Outcome:
    """Estimate whether the call was resolved and how satisfied the customer left.

    Args:
        transcript: the call.
        model: the behaviour model (its results are cached per transcript).
        features: the call's features (``customer_sentiment_end`` is read).

    Returns:
        The outcome with the evidence behind it.
    """
    found = model.classify(transcript)
    customer = [b for b in found if b.utterance.speaker == "customer"]
    agent = [b for b in found if b.utterance.speaker == "agent"]
    ending = customer[-_LAST_TURNS:]
    signals = {
        "ends_resolved": _best(ending, ("resolved",), "the customer ends satisfied"),
        "ends_unresolved": _best(ending, ("unresolved",), "the customer ends unresolved"),
        "ends_escalating": _best(ending, ("escalation",), "the customer ends escalating"),
        "ends_complaining": _best(customer[-1:], ("complaint",), "the customer ends upset"),
        "agent_action": _best(agent, ("action",), "the agent acts or commits"),
        "agent_deflects_at_end": _best(
            agent[-_LAST_TURNS:], ("deflection",), "the agent ends by deflecting"
        ),
        "escalation_anywhere": _best(customer, ("escalation",), "the customer asks to escalate"),
        "closing_sentiment": _Signal(
            float(features.get("customer_sentiment_end", 0.0) or 0.0), None, "closing sentiment"
        ),
    }
    resolved_logit, resolved_parts = _sum(RESOLVED_WEIGHTS, signals)
    satisfied_logit, _ = _sum(SATISFACTION_WEIGHTS, signals)
    resolved = 1.0 / (1.0 + math.exp(-resolved_logit))
    satisfaction = 2.0 * math.tanh(satisfied_logit / 2.0)
    return Outcome(
        resolved=resolved,
        satisfaction=satisfaction,
        signals=tuple((k, s.value) for k, s in signals.items()),
        evidence=_evidence(resolved_parts, signals),
    )


def _best(found: Sequence[UtteranceBehaviours], ids: tuple[str, ...], what: str) -> _Signal:
    best = _Signal(0.0, None, what)
    for ub in found:
        for b in ids:
            p = ub.probability(b)
            if p > best.value:
                best = _Signal(p, ub, what)
    return best


def _sum(
    weights: Mapping[str, float], signals: Mapping[str, _Signal]
) -> tuple[float, list[tuple[str, float]]]:
    parts = [(name, w * signals[name].value) for name, w in weights.items() if name != "bias"]
    return weights["bias"] + sum(v for _, v in parts), parts


def _evidence(
    parts: list[tuple[str, float]], signals: Mapping[str, _Signal], limit: int = 3
) -> tuple[Evidence, ...]:
    """The signals that moved ``resolved`` most (by absolute contribution), with their quotes."""
    out = []
    for name, contribution in sorted(parts, key=lambda p: -abs(p[1]))[:limit]:
        if abs(contribution) < 0.25:
            continue
        signal = signals[name]
        reason = f"{signal.what} ({signal.value:.2f}): {contribution:+.1f} toward resolved"
        utt = signal.where.utterance if signal.where is not None else None
        if utt is None:
            out.append(Evidence("", "", 0.0, 0.0, "", reason))
        else:
            out.append(
                Evidence(utt.id, utt.speaker, utt.start_s, utt.end_s, shorten(utt.text), reason)
            )
    return tuple(out)
