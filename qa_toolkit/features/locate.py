"""Evidence for a feature's value: where in the call it comes from.

A rubric item that fails on a feature must show *where*: the longest silence's
start and end, the slowest reply, the interrupting turns, the holds, the risk
events. Whole-call features (talk share, speech rate) have no single place and
get no evidence beyond the detector's own summary.
"""

from __future__ import annotations

from collections.abc import Callable

from qa_toolkit.features.emotion import emotion_curve
from qa_toolkit.features.options import FeatureOptions
from qa_toolkit.features.risk import RISK_KINDS, find_risk_events
from qa_toolkit.features.timing import (
    Run,
    has_timing,
    holds,
    interruptions,
    is_hold_request,
    latencies,
    silences,
    speech_runs,
)
from qa_toolkit.nlp.text import shorten
from qa_toolkit.scoring.types import Evidence
from qa_toolkit.types import Transcript, Utterance

# Evidence lists stay short: a reviewer reads the worst few, not forty.
MAX_EVIDENCE = 3


def locate(
    name: str, transcript: Transcript, options: FeatureOptions | None = None
) -> tuple[Evidence, ...]:
    """Evidence for one feature of one call, most telling first; ``()`` when it has no place."""
    opts = options or FeatureOptions()
    if name.startswith("risk_"):
        kind = name[len("risk_") : -len("_count")]
        events = find_risk_events(transcript)
        return tuple(e.evidence for e in events if kind not in RISK_KINDS or e.kind == kind)[
            :MAX_EVIDENCE
        ]
    if name == "hold_request_count":
        found = [
            u for u in transcript.utterances if u.speaker == "agent" and is_hold_request(u.text)
        ]
        return tuple(_quote(u, "the agent asks the customer to hold") for u in found[:MAX_EVIDENCE])
    if name in ("customer_negative_turns", "negative_turns_answered", "emotion_match_share"):
        return _unanswered(transcript, opts)
    if not transcript.utterances or not has_timing(transcript):
        return ()
    runs = speech_runs(transcript.utterances, opts.run_gap_s)
    finder = _TIMING_LOCATORS.get(name)
    return finder(runs, opts)[:MAX_EVIDENCE] if finder else ()


def _gaps(runs: list[Run], threshold_s: float) -> tuple[Evidence, ...]:
    gaps = sorted(silences(runs), key=lambda g: -g.duration_s)
    return tuple(
        Evidence("", "", g.start_s, g.end_s, "", f"{g.duration_s:.1f} s with nobody speaking")
        for g in gaps
        if g.duration_s >= threshold_s
    )


def _longest_silence(runs: list[Run], opts: FeatureOptions) -> tuple[Evidence, ...]:
    return _gaps(runs, 0.0)[:1]


def _dead_air(runs: list[Run], opts: FeatureOptions) -> tuple[Evidence, ...]:
    return _gaps(runs, opts.min_gap_s)


def _long_silences(runs: list[Run], opts: FeatureOptions) -> tuple[Evidence, ...]:
    return _gaps(runs, opts.long_silence_s)


def _holds(runs: list[Run], opts: FeatureOptions) -> tuple[Evidence, ...]:
    found = sorted(holds(runs, silences(runs), opts), key=lambda h: -h.duration_s)
    out = []
    for hold in found:
        utt = hold.announced_by
        how = "after the agent asked to hold" if utt else "unannounced"
        why = f"hold of {hold.duration_s:.1f} s, {how}"
        out.append(
            Evidence(
                utt.id if utt else "",
                utt.speaker if utt else "",
                hold.start_s,
                hold.end_s,
                shorten(utt.text) if utt else "",
                why,
            )
        )
    return tuple(out)


def _slowest_reply(runs: list[Run], opts: FeatureOptions) -> tuple[Evidence, ...]:
    pairs = latencies(runs)
    if not pairs:
        return ()
    run, latency = max(pairs, key=lambda p: p[1])
    return (_run_evidence(run, f"the agent answered {latency:.1f} s after the customer"),)


def _first_reply(runs: list[Run], opts: FeatureOptions) -> tuple[Evidence, ...]:
    pairs = latencies(runs)
    if not pairs:
        return ()
    run, latency = pairs[0]
    return (_run_evidence(run, f"the agent's first reply came {latency:.1f} s after the customer"),)


def _overtalk(who: str | None) -> Callable[[list[Run], FeatureOptions], tuple[Evidence, ...]]:
    def find(runs: list[Run], opts: FeatureOptions) -> tuple[Evidence, ...]:
        found = interruptions(runs, opts.overtalk_min_s)
        return tuple(
            _run_evidence(i.run, f"{i.run.speaker} started while the other was speaking")
            for i in found
            if who is None or i.run.speaker == who
        )

    return find


_TIMING_LOCATORS: dict[str, Callable[[list[Run], FeatureOptions], tuple[Evidence, ...]]] = {
    "longest_silence_s": _longest_silence,
    "dead_air_count": _dead_air,
    "dead_air_s": _dead_air,
    "long_silence_count": _long_silences,
    "hold_count": _holds,
    "hold_s": _holds,
    "longest_hold_s": _holds,
    "max_response_latency_s": _slowest_reply,
    "first_response_latency_s": _first_reply,
    "overtalk_count": _overtalk(None),
    "overtalk_s": _overtalk(None),
    "agent_overtalk_count": _overtalk("agent"),
    "agent_overtalk_s": _overtalk("agent"),
    "customer_overtalk_count": _overtalk("customer"),
    "customer_overtalk_s": _overtalk("customer"),
}


def _unanswered(transcript: Transcript, opts: FeatureOptions) -> tuple[Evidence, ...]:
    from qa_toolkit.nlp.sentiment import polarity

    polarities = [polarity(u.text) for u in transcript.utterances]
    curve = emotion_curve(transcript, polarities, timed=has_timing(transcript), options=opts)
    return curve.unanswered[:MAX_EVIDENCE]


def _run_evidence(run: Run, reason: str) -> Evidence:
    utt = run.utterance
    return Evidence(utt.id, utt.speaker, run.start_s, run.end_s, shorten(utt.text), reason)


def _quote(utt: Utterance, reason: str) -> Evidence:
    return Evidence(utt.id, utt.speaker, utt.start_s, utt.end_s, shorten(utt.text), reason)
