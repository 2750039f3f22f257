"""Talk metrics from utterance and word timing: talk, silence, holds, overtalk, latency, rate.

Timing comes from the words when an utterance has them and from the utterance
otherwise: ASR segments of a two-channel call run over pauses (a 75 s
"utterance" of a customer who spoke for 40 s), which would make every reply
look like overtalk. Words closer than ``run_gap_s`` form one *speech run*; every
metric here is computed on runs. A transcript without measured timing (a chat,
any text transcript) has no timing metrics at all: they are ``None``, never 0.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from qa_toolkit.features.options import FeatureOptions
from qa_toolkit.nlp.text import fold
from qa_toolkit.types import Transcript, Utterance

# A Chinese character is one unit of speech rate, an English word another.
_UNIT = re.compile(r"[\u3400-\u9fff]|[A-Za-z0-9']+")

# What agents say when they put a caller on hold or go off to check something.
# "thank you for holding" closes a hold and is deliberately not here.
_HOLD_PHRASE = re.compile(
    r"\b(please hold|hold on|hold for a|on hold|bear with me|one moment|just a moment|"
    r"give me a (moment|second|minute)|let me (just )?(check|look|see|find|pull))\b"
    r"|请稍等|稍等一下|稍等|请您稍候|稍候|请不要挂机|别挂机|我(帮|给)?(您|你)?查(询)?一下|我看一下"
)


@dataclass(frozen=True, slots=True)
class Run:
    """A stretch of continuous speech by one speaker, inside one utterance."""

    utterance: Utterance
    start_s: float
    end_s: float

    @property
    def speaker(self) -> str:
        return self.utterance.speaker

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class Gap:
    """A stretch where nobody speaks, between two runs."""

    start_s: float
    end_s: float
    before: Run
    after: Run

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class Hold:
    """A hold: silence after an agent's hold phrase, or any very long silence."""

    start_s: float
    end_s: float
    announced_by: Utterance | None

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class Interruption:
    """A run that starts while another speaker talks and overlaps them long enough."""

    run: Run
    interrupted: Run
    overlap_s: float


def has_timing(transcript: Transcript) -> bool:
    """Whether the utterances carry measured times.

    A text transcript's times are the reader's estimates (stamps, where there
    are any, give only the start of a turn), so silences and overlaps computed
    from them would be invented; only audio transcripts and hand-built ones
    with real times count.
    """
    if transcript.source.kind == "text":
        return False
    return any(u.end_s > 0 for u in transcript.utterances)


def is_hold_request(text: str) -> bool:
    """Whether an utterance asks the caller to hold or wait ("please hold", "请稍等")."""
    return bool(_HOLD_PHRASE.search(fold(text)))


def speech_units(text: str) -> int:
    """Words of English plus characters of Chinese: the unit of speech rate."""
    return len(_UNIT.findall(text))


def speech_runs(utterances: tuple[Utterance, ...], run_gap_s: float) -> list[Run]:
    """Speech runs in start order: words merged across short gaps, or whole utterances.

    Utterances out of order are sorted; an utterance whose end precedes its
    start is read as zero-length and dropped, as are empty ones.
    """
    runs: list[Run] = []
    for utt in utterances:
        words = sorted((w for w in utt.words if w.end_s > w.start_s), key=lambda w: w.start_s)
        if not words:
            if utt.end_s > utt.start_s and utt.text.strip():
                runs.append(Run(utt, utt.start_s, utt.end_s))
            continue
        start, end = words[0].start_s, words[0].end_s
        for word in words[1:]:
            if word.start_s - end > run_gap_s:
                runs.append(Run(utt, start, end))
                start = word.start_s
            end = max(end, word.end_s)
        runs.append(Run(utt, start, end))
    return sorted(runs, key=lambda r: (r.start_s, r.end_s))


def silences(runs: list[Run]) -> list[Gap]:
    """Gaps where nobody speaks, between the first and the last word of the call."""
    gaps: list[Gap] = []
    if not runs:
        return gaps
    covering = runs[0]
    for run in runs[1:]:
        if run.start_s > covering.end_s:
            gaps.append(Gap(covering.end_s, run.start_s, covering, run))
        if run.end_s > covering.end_s:
            covering = run
    return gaps


def holds(runs: list[Run], gaps: list[Gap], options: FeatureOptions) -> list[Hold]:
    """Announced holds (an agent's hold phrase, then silence) and unannounced long silences."""
    found: dict[float, Hold] = {}
    for gap in gaps:
        announced = gap.before.speaker == "agent" and is_hold_request(gap.before.utterance.text)
        if announced and gap.duration_s >= options.min_gap_s:
            found[gap.start_s] = Hold(gap.start_s, gap.end_s, gap.before.utterance)
        elif gap.duration_s >= options.hold_silence_s:
            found[gap.start_s] = Hold(gap.start_s, gap.end_s, None)
    return [found[key] for key in sorted(found)]


def interruptions(runs: list[Run], overtalk_min_s: float) -> list[Interruption]:
    """Runs that start while another speaker is talking and overlap them long enough."""
    found = []
    for i, run in enumerate(runs):
        # Runs are in start order, so only earlier runs can be under way.
        best: Interruption | None = None
        for other in runs[:i]:
            if other.speaker == run.speaker or other.start_s == run.start_s:
                continue
            overlap = min(other.end_s, run.end_s) - run.start_s
            if overlap >= overtalk_min_s and (best is None or overlap > best.overlap_s):
                best = Interruption(run, other, overlap)
        if best is not None:
            found.append(best)
    return found


def latencies(runs: list[Run]) -> list[tuple[Run, float]]:
    """(agent run, seconds from the end of the customer's speech to its start)."""
    pairs = []
    for before, after in zip(runs, runs[1:], strict=False):
        if before.speaker == "customer" and after.speaker == "agent":
            pairs.append((after, max(0.0, after.start_s - before.end_s)))
    return pairs


def overlap_s(runs: list[Run], first: str, second: str) -> float:
    """Seconds in which two speakers talk at once (union of their runs intersected)."""
    a, b = _merged(runs, first), _merged(runs, second)
    total, i, j = 0.0, 0, 0
    while i < len(a) and j < len(b):
        total += max(0.0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


def _merged(runs: list[Run], speaker: str) -> list[tuple[float, float]]:
    spans: list[tuple[float, float]] = []
    for run in runs:
        if run.speaker != speaker:
            continue
        if spans and run.start_s <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], run.end_s))
        else:
            spans.append((run.start_s, run.end_s))
    return spans


def talk_seconds(runs: list[Run], speaker: str) -> float:
    """Seconds a speaker talks; their own overlapping runs count once."""
    return sum(end - start for start, end in _merged(runs, speaker))


@dataclass(frozen=True, slots=True)
class TalkMetrics:
    """The timing features of one call; see :mod:`qa_toolkit.features.specs` for each.

    A value is ``None`` when the call does not have what it needs (no agent
    reply after a customer turn has no latency; no agent speech, no agent rate).
    """

    duration_s: float
    talk_s: float
    agent_talk_s: float
    customer_talk_s: float
    agent_talk_share: float | None
    customer_talk_share: float | None
    silence_s: float
    silence_share: float | None
    longest_silence_s: float
    dead_air_s: float
    dead_air_share: float | None
    dead_air_count: int
    long_silence_count: int
    hold_count: int
    hold_s: float
    longest_hold_s: float
    overtalk_s: float
    overtalk_count: int
    agent_overtalk_count: int
    customer_overtalk_count: int
    agent_overtalk_s: float
    customer_overtalk_s: float
    agent_words_per_min: float | None
    customer_words_per_min: float | None
    first_response_s: float | None
    first_response_latency_s: float | None
    mean_response_latency_s: float | None
    max_response_latency_s: float | None


def talk_metrics(transcript: Transcript, options: FeatureOptions) -> TalkMetrics | None:
    """The timing features of a call, or ``None`` when it has no measured speech.

    Args:
        transcript: the call; only its measured times are used.
        options: the thresholds.

    Returns:
        The metrics, ``None`` for a text transcript or one without speech.
    """
    if not has_timing(transcript):
        return None
    runs = speech_runs(transcript.utterances, options.run_gap_s)
    if not runs:
        return None
    start, end = runs[0].start_s, max(r.end_s for r in runs)
    duration = max(transcript.duration_s, end - start)
    gaps = silences(runs)
    return TalkMetrics(
        duration_s=duration,
        **_talk(runs, start, end),
        **_silence(gaps, duration, options),
        **_holds(runs, gaps, options),
        **_overtalk(runs, options),
        **_rates(transcript, runs),
        **_responses(runs, start),
    )


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole > 0 else None


def _talk(runs: list[Run], start: float, end: float) -> dict[str, Any]:
    agent, customer = talk_seconds(runs, "agent"), talk_seconds(runs, "customer")
    gaps = sum(g.duration_s for g in silences(runs))
    return {
        "talk_s": end - start - gaps,
        "agent_talk_s": agent,
        "customer_talk_s": customer,
        "agent_talk_share": _share(agent, agent + customer),
        "customer_talk_share": _share(customer, agent + customer),
    }


def _silence(gaps: list[Gap], duration: float, options: FeatureOptions) -> dict[str, Any]:
    dead = [g for g in gaps if g.duration_s >= options.min_gap_s]
    silence = sum(g.duration_s for g in gaps)
    dead_air = sum(g.duration_s for g in dead)
    return {
        "silence_s": silence,
        "silence_share": _share(silence, duration),
        "longest_silence_s": max((g.duration_s for g in gaps), default=0.0),
        "dead_air_s": dead_air,
        "dead_air_share": _share(dead_air, duration),
        "dead_air_count": len(dead),
        "long_silence_count": sum(1 for g in gaps if g.duration_s >= options.long_silence_s),
    }


def _holds(runs: list[Run], gaps: list[Gap], options: FeatureOptions) -> dict[str, Any]:
    found = holds(runs, gaps, options)
    return {
        "hold_count": len(found),
        "hold_s": sum(h.duration_s for h in found),
        "longest_hold_s": max((h.duration_s for h in found), default=0.0),
    }


def _overtalk(runs: list[Run], options: FeatureOptions) -> dict[str, Any]:
    found = interruptions(runs, options.overtalk_min_s)
    by_agent = [i for i in found if i.run.speaker == "agent"]
    by_customer = [i for i in found if i.run.speaker == "customer"]
    return {
        "overtalk_s": overlap_s(runs, "agent", "customer"),
        "overtalk_count": len(found),
        "agent_overtalk_count": len(by_agent),
        "customer_overtalk_count": len(by_customer),
        "agent_overtalk_s": sum(i.overlap_s for i in by_agent),
        "customer_overtalk_s": sum(i.overlap_s for i in by_customer),
    }


def _rates(transcript: Transcript, runs: list[Run]) -> dict[str, Any]:
    rates: dict[str, Any] = {}
    for side in ("agent", "customer"):
        talk = talk_seconds(runs, side)
        units = sum(speech_units(u.text) for u in transcript.utterances if u.speaker == side)
        rates[f"{side}_words_per_min"] = units * 60.0 / talk if talk > 0 else None
    return rates


def _responses(runs: list[Run], start: float) -> dict[str, Any]:
    pairs = latencies(runs)
    values = [lat for _, lat in pairs]
    first_agent = next((r.start_s for r in runs if r.speaker == "agent"), None)
    return {
        "first_response_s": None if first_agent is None else first_agent - start,
        "first_response_latency_s": values[0] if values else None,
        "mean_response_latency_s": sum(values) / len(values) if values else None,
        "max_response_latency_s": max(values) if values else None,
    }
