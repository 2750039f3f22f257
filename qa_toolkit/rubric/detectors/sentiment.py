"""``sentiment.v1``: the customer's mood at the end of the call, against the start.

``recovers`` passes when the last turns are no worse than the first (or are
positive); ``no_negative_end`` passes unless the last turns are strongly
negative. Polarity comes from :mod:`qa_toolkit.nlp.sentiment` (-1 to 1).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from qa_toolkit.nlp.sentiment import polarity
from qa_toolkit.rubric.schema import Strict
from qa_toolkit.scoring.types import Evidence
from qa_toolkit.types import Utterance

from .base import Detection, View, evidence_of, register


class SentimentOptions(Strict):
    """Options of ``sentiment.v1``."""

    mode: Literal["recovers", "no_negative_end"] = "no_negative_end"
    turns: int = Field(default=2, gt=0)
    negative_below: float = Field(default=-0.3, ge=-1, le=1)
    tolerance: float = Field(default=0.1, ge=0, le=2)


def _mean(utts: tuple[Utterance, ...]) -> float:
    return sum(polarity(u.text) for u in utts) / len(utts) if utts else 0.0


def _quoted(utts: tuple[Utterance, ...], label: str) -> tuple[Evidence, ...]:
    return tuple(evidence_of(u, f"{label}: sentiment {polarity(u.text):+.2f}") for u in utts)


@register("sentiment", 1, SentimentOptions, "the customer's mood recovers / does not end negative")
def detect_sentiment(view: View, options: SentimentOptions) -> Detection:
    """Compare the mean polarity of the last ``turns`` with the first (or a floor)."""
    utts = view.utterances
    if view.speaker == "any":
        utts = tuple(u for u in utts if u.speaker == "customer")
    who = "customer" if view.speaker == "any" else view.speaker
    need = 2 if options.mode == "recovers" else 1
    if len(utts) < need:
        why = f"too few {who} turns in {view.description} to judge the mood ({len(utts)})"
        return Detection("na", (Evidence("", "", 0.0, 0.0, "", why),))
    n = min(options.turns, max(1, len(utts) // 2)) if options.mode == "recovers" else options.turns
    start, end = utts[:n], utts[-n:]
    end_mood = _mean(end)
    if options.mode == "no_negative_end":
        ok = end_mood > options.negative_below
        verdict = "not strongly negative" if ok else "strongly negative"
        label = (
            f"{who} at the end ({end_mood:+.2f}, {verdict}; floor {options.negative_below:+.2f})"
        )
        return Detection("pass" if ok else "fail", _quoted(end, label))
    start_mood = _mean(start)
    ok = end_mood >= start_mood - options.tolerance or end_mood > 0.05
    trend = "recovered or held" if ok else "worsened"
    label = f"{who} mood {trend}: start {start_mood:+.2f}, end {end_mood:+.2f}"
    return Detection("pass" if ok else "fail", _quoted(start, label) + _quoted(end, label))
