"""The emotion curve: each side's sentiment over the call, its trend, and emotion matching.

Built from one polarity (-1..1) per utterance, so any sentiment scorer can feed
it (the benchmark compares several on STC-3). Three views of the same numbers:

- per quarter of the call (by time when the transcript has timing, by turn
  position otherwise), each side's mean polarity, ``None`` for a quarter in
  which that side said nothing;
- per turn, an exponential moving average over each side's own turns, so one
  curt "ok" does not read as a mood swing;
- the customer's start and end (mean of the first and last turns) and the
  trend between them: improving, worsening, stable, or unknown with fewer than
  two customer turns.

*Emotion matching* (what QA teams call 情绪曲线匹配): every clearly negative
customer turn should get an agent reply that is calm or empathetic, not
negative in its own right.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from qa_toolkit.features.options import FeatureOptions
from qa_toolkit.nlp.text import fold, shorten
from qa_toolkit.scoring.types import Evidence
from qa_toolkit.types import Transcript, Utterance

Trend = Literal["improving", "worsening", "stable", "unknown"]

# An apology or an acknowledgement answers a negative turn even when its words
# score negative themselves ("I understand how frustrating that is").
_EMPATHY = re.compile(
    r"\b(sorry|apologi[sz]e|apologies|understand|i hear you|that must be|i can imagine)\b"
    r"|抱歉|对不起|不好意思|理解|放心|别着急|别急|给你带来|给您带来"
)


@dataclass(frozen=True, slots=True)
class SentimentPoint:
    """One utterance on the curve: its own polarity and its side's smoothed polarity."""

    utterance_id: str
    speaker: str
    start_s: float
    end_s: float
    polarity: float
    smoothed: float

    def to_dict(self) -> dict[str, Any]:
        """The point as a JSON-ready dict."""
        return {
            "utterance_id": self.utterance_id,
            "speaker": self.speaker,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "polarity": round(self.polarity, 4),
            "smoothed": round(self.smoothed, 4),
        }


@dataclass(frozen=True, slots=True)
class EmotionCurve:
    """Both sides' sentiment over one call.

    Attributes:
        points: one per utterance of the agent or the customer, in call order.
        customer_quarters: the customer's mean polarity per quarter of the call.
        agent_quarters: the agent's, likewise.
        customer_start: mean polarity of the customer's first turn(s).
        customer_end: mean polarity of the customer's last turn(s).
        trend: improving / worsening / stable, or unknown (under two turns).
        negative_turns: customer turns below the negative threshold.
        answered_turns: those followed by a calm or empathetic agent reply.
        unanswered: evidence for each negative turn the agent did not answer.
    """

    points: tuple[SentimentPoint, ...]
    customer_quarters: tuple[float | None, ...]
    agent_quarters: tuple[float | None, ...]
    customer_start: float | None
    customer_end: float | None
    trend: Trend
    negative_turns: int
    answered_turns: int
    unanswered: tuple[Evidence, ...]

    @property
    def customer_delta(self) -> float | None:
        """End minus start, ``None`` when the trend is unknown."""
        if self.trend == "unknown" or self.customer_start is None or self.customer_end is None:
            return None
        return self.customer_end - self.customer_start

    def mean(self, speaker: str) -> float | None:
        """A side's mean polarity over the call, ``None`` when it said nothing."""
        values = [p.polarity for p in self.points if p.speaker == speaker]
        return sum(values) / len(values) if values else None

    def minimum(self, speaker: str) -> float | None:
        """A side's lowest polarity, ``None`` when it said nothing."""
        return min((p.polarity for p in self.points if p.speaker == speaker), default=None)


def emotion_curve(
    transcript: Transcript,
    polarities: Sequence[float],
    *,
    timed: bool,
    options: FeatureOptions | None = None,
) -> EmotionCurve:
    """Build the emotion curve from one polarity per utterance.

    Args:
        transcript: the call.
        polarities: the polarity of each of ``transcript.utterances``, in order.
        timed: whether the utterance times are measured (quarters by time) or
            not (quarters by turn position).
        options: thresholds; the defaults otherwise.

    Returns:
        The curve.
    """
    opts = options or FeatureOptions()
    scored = [
        (u, float(p))
        for u, p in zip(transcript.utterances, polarities, strict=True)
        if u.speaker in ("agent", "customer") and u.text.strip()
    ]
    points = _smoothed(scored, opts.smoothing)
    customer = [p for p in points if p.speaker == "customer"]
    k = max(1, min(2, len(customer) // 2))
    start = _mean([p.polarity for p in customer[:k]])
    end = _mean([p.polarity for p in customer[-k:]])
    negative, answered, unanswered = _matching(scored, opts.negative_below)
    return EmotionCurve(
        points=points,
        customer_quarters=_quarters(scored, "customer", timed, transcript.duration_s),
        agent_quarters=_quarters(scored, "agent", timed, transcript.duration_s),
        customer_start=start,
        customer_end=end,
        trend=_trend(start, end, len(customer), opts.trend_margin),
        negative_turns=negative,
        answered_turns=answered,
        unanswered=unanswered,
    )


def is_empathetic(text: str) -> bool:
    """Whether an utterance apologises or acknowledges the other side's feeling."""
    return bool(_EMPATHY.search(fold(text)))


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _smoothed(scored: list[tuple[Utterance, float]], alpha: float) -> tuple[SentimentPoint, ...]:
    last: dict[str, float] = {}
    points = []
    for utt, value in scored:
        previous = last.get(utt.speaker)
        smooth = value if previous is None else alpha * value + (1 - alpha) * previous
        last[utt.speaker] = smooth
        points.append(SentimentPoint(utt.id, utt.speaker, utt.start_s, utt.end_s, value, smooth))
    return tuple(points)


def _quarters(
    scored: list[tuple[Utterance, float]], speaker: str, timed: bool, duration_s: float
) -> tuple[float | None, ...]:
    buckets: list[list[float]] = [[], [], [], []]
    end = max([duration_s] + [u.end_s for u, _ in scored]) if timed else 0.0
    for index, (utt, value) in enumerate(scored):
        if utt.speaker != speaker:
            continue
        if timed and end > 0:
            position = (utt.start_s + utt.end_s) / 2 / end
        else:
            position = (index + 0.5) / len(scored)
        buckets[min(3, int(position * 4))].append(value)
    return tuple(_mean(b) for b in buckets)


def _trend(start: float | None, end: float | None, turns: int, margin: float) -> Trend:
    if start is None or end is None or turns < 2:
        return "unknown"
    if end - start >= margin:
        return "improving"
    if start - end >= margin:
        return "worsening"
    return "stable"


def _matching(
    scored: list[tuple[Utterance, float]], negative_below: float
) -> tuple[int, int, tuple[Evidence, ...]]:
    negative = answered = 0
    unanswered: list[Evidence] = []
    for index, (utt, value) in enumerate(scored):
        if utt.speaker != "customer" or value >= negative_below:
            continue
        negative += 1
        reply = next(((u, v) for u, v in scored[index + 1 :] if u.speaker == "agent"), None)
        if reply is None:
            why = f"the customer's negative turn ({value:+.2f}) got no agent reply"
            unanswered.append(_evidence(utt, why))
        elif reply[1] >= 0 or is_empathetic(reply[0].text):
            answered += 1
        else:
            why = (
                f"negative customer turn ({value:+.2f}) answered in a negative tone "
                f"({reply[1]:+.2f})"
            )
            unanswered.append(_evidence(reply[0], why))
    return negative, answered, tuple(unanswered)


def _evidence(utt: Utterance, reason: str) -> Evidence:
    return Evidence(utt.id, utt.speaker, utt.start_s, utt.end_s, shorten(utt.text), reason)
