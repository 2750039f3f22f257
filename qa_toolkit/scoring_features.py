"""Conversation features the rubric's ``metric`` detector reads, from utterance timing only.

A small stand-in until the analytics module lands: talk share, dead air,
overtalk, speech rate and response latency. Timing comes from the words when
the transcript has them and from the utterances otherwise: ASR segments of a
two-channel call run over pauses (a 75 s "utterance" of a customer who spoke
for 40 s), which would make every reply look like overtalk. A transcript
without measured timing (a chat or any text transcript, whose times are estimates) gets only the
turn counts and ``has_timing = 0``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from qa_toolkit.nlp.text import shorten
from qa_toolkit.scoring_types import Evidence
from qa_toolkit.types import SPEAKERS, Transcript, Utterance

logger = logging.getLogger(__name__)

# Word-boundary jitter in ASR timing makes turns touch or overlap by a few
# hundred milliseconds; only a longer overlap is someone talking over someone.
OVERTALK_MIN_S = 0.5
# Words closer than this belong to one stretch of speech (a breath, not a pause).
RUN_GAP_S = 0.5

TIMING_FEATURES: tuple[str, ...] = (
    "duration_s",
    "agent_talk_share",
    "customer_talk_share",
    "longest_silence_s",
    "silence_share",
    "overtalk_count",
    "agent_overtalk_count",
    "agent_words_per_min",
    "mean_response_latency_s",
    "max_response_latency_s",
    "first_response_s",
)
TURN_FEATURES: tuple[str, ...] = ("turn_count", "agent_turns", "customer_turns", "has_timing")
FEATURE_NAMES: tuple[str, ...] = TIMING_FEATURES + TURN_FEATURES

_UNIT = re.compile(r"[\u3400-\u9fff]|[A-Za-z0-9']+")


@dataclass(frozen=True, slots=True)
class _Run:
    """A stretch of continuous speech by one speaker, inside one utterance."""

    utterance: Utterance
    start_s: float
    end_s: float

    @property
    def speaker(self) -> str:
        return self.utterance.speaker


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


def _runs(utts: tuple[Utterance, ...]) -> list[_Run]:
    """Speech runs in start order: words merged across short gaps, or whole utterances."""
    runs: list[_Run] = []
    for utt in utts:
        words = [w for w in utt.words if w.end_s > w.start_s]
        if not words:
            runs.append(_Run(utt, utt.start_s, utt.end_s))
            continue
        start, end = words[0].start_s, words[0].end_s
        for word in words[1:]:
            if word.start_s - end > RUN_GAP_S:
                runs.append(_Run(utt, start, end))
                start = word.start_s
            end = max(end, word.end_s)
        runs.append(_Run(utt, start, end))
    return sorted(runs, key=lambda r: (r.start_s, r.end_s))


def compute_features(transcript: Transcript) -> dict[str, float]:
    """Compute the conversation features of one call.

    Args:
        transcript: the call.

    Returns:
        Feature name → value. Timing features are present only when the
        transcript has timing. Talk shares are fractions (0–1) of the time the
        agent and customer spoke; ``agent_words_per_min`` counts a Chinese
        character as one word.
    """
    utts = transcript.utterances
    features: dict[str, float] = {
        "turn_count": float(len(utts)),
        "agent_turns": float(sum(1 for u in utts if u.speaker == "agent")),
        "customer_turns": float(sum(1 for u in utts if u.speaker == "customer")),
        "has_timing": 1.0 if has_timing(transcript) else 0.0,
    }
    if not features["has_timing"]:
        return features
    runs = _runs(utts)
    features.update(_talk_features(transcript, runs))
    features.update(_turn_taking_features(runs))
    return features


def _talk_features(transcript: Transcript, runs: list[_Run]) -> dict[str, float]:
    start = min(r.start_s for r in runs)
    end = max(r.end_s for r in runs)
    duration = max(transcript.duration_s, end - start)
    talk = {role: sum(r.end_s - r.start_s for r in runs if r.speaker == role) for role in SPEAKERS}
    both = talk["agent"] + talk["customer"]
    gaps = _silences(runs)
    agent_words = sum(len(_UNIT.findall(u.text)) for u in transcript.by_speaker("agent"))
    first_agent = next((r.start_s for r in runs if r.speaker == "agent"), end)
    return {
        "duration_s": duration,
        "agent_talk_share": talk["agent"] / both if both else 0.0,
        "customer_talk_share": talk["customer"] / both if both else 0.0,
        "longest_silence_s": max((g[1] - g[0] for g in gaps), default=0.0),
        "silence_share": sum(g[1] - g[0] for g in gaps) / duration if duration else 0.0,
        "agent_words_per_min": agent_words * 60.0 / talk["agent"] if talk["agent"] else 0.0,
        "first_response_s": first_agent - start,
    }


def _turn_taking_features(runs: list[_Run]) -> dict[str, float]:
    overtalk = _overtalks(runs)
    latencies = [lat for _, lat in _latencies(runs)]
    return {
        "overtalk_count": float(len(overtalk)),
        "agent_overtalk_count": float(sum(1 for r in overtalk if r.speaker == "agent")),
        "mean_response_latency_s": sum(latencies) / len(latencies) if latencies else 0.0,
        "max_response_latency_s": max(latencies, default=0.0),
    }


def _silences(runs: list[_Run]) -> list[tuple[float, float]]:
    """Gaps where nobody speaks, between the first and the last word of the call."""
    gaps: list[tuple[float, float]] = []
    covered_to = runs[0].end_s if runs else 0.0
    for run in runs[1:]:
        if run.start_s > covered_to:
            gaps.append((covered_to, run.start_s))
        covered_to = max(covered_to, run.end_s)
    return gaps


def _overtalks(runs: list[_Run]) -> list[_Run]:
    """Runs that start while the other party is talking and overlap it long enough."""
    found = []
    for i, run in enumerate(runs):
        # Runs are in start order, so only earlier runs can be under way.
        for other in runs[:i]:
            if other.speaker == run.speaker or other.start_s == run.start_s:
                continue
            if min(other.end_s, run.end_s) - run.start_s >= OVERTALK_MIN_S:
                found.append(run)
                break
    return found


def _latencies(runs: list[_Run]) -> list[tuple[_Run, float]]:
    """(agent run, seconds from the end of the customer's speech to its start)."""
    pairs = []
    for before, after in zip(runs, runs[1:], strict=False):
        if before.speaker == "customer" and after.speaker == "agent":
            pairs.append((after, max(0.0, after.start_s - before.end_s)))
    return pairs


def locate_feature(name: str, transcript: Transcript) -> tuple[Evidence, ...]:
    """Where in the call a feature's value comes from, as evidence.

    Args:
        name: a feature name from :data:`FEATURE_NAMES`.
        transcript: the call.

    Returns:
        The longest silence's gap, the slowest reply, the overtalking speech
        (up to three), or ``()`` for whole-call features.
    """
    if not transcript.utterances or not has_timing(transcript):
        return ()
    runs = _runs(transcript.utterances)
    if name == "longest_silence_s":
        gaps = _silences(runs)
        if not gaps:
            return ()
        start, end = max(gaps, key=lambda g: g[1] - g[0])
        return (Evidence("", "", start, end, "", f"{end - start:.1f} s with nobody speaking"),)
    if name == "max_response_latency_s":
        pairs = _latencies(runs)
        if not pairs:
            return ()
        run, latency = max(pairs, key=lambda p: p[1])
        return (_evidence(run, f"the agent answered {latency:.1f} s after the customer"),)
    if name in ("overtalk_count", "agent_overtalk_count"):
        found = _overtalks(runs)
        if name == "agent_overtalk_count":
            found = [r for r in found if r.speaker == "agent"]
        return tuple(
            _evidence(r, f"{r.speaker} started while the other was speaking") for r in found[:3]
        )
    return ()


def _evidence(run: _Run, reason: str) -> Evidence:
    utt = run.utterance
    return Evidence(utt.id, utt.speaker, run.start_s, run.end_s, shorten(utt.text), reason)
