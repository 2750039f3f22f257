"""Flatten a :class:`~qa_toolkit.features.extract.CallFeatures` into its named values."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING

from qa_toolkit.features.risk import RISK_KINDS
from qa_toolkit.features.specs import TIMING_FEATURES

if TYPE_CHECKING:
    from qa_toolkit.features.acoustic import UtteranceAcoustics
    from qa_toolkit.features.emotion import EmotionCurve
    from qa_toolkit.features.extract import CallFeatures, Value


def flat_values(features: CallFeatures) -> dict[str, Value]:
    """Every feature by name; names whose value is unknown may be absent (read as ``None``)."""
    values: dict[str, Value] = {
        "call_id": features.call_id,
        "language": features.language,
        "speaker_source": features.speaker_source,
        "has_timing": features.has_timing,
        "has_audio": features.has_audio,
        "turn_count": features.turn_count,
        "agent_turns": features.agent_turns,
        "customer_turns": features.customer_turns,
        "hold_request_count": features.hold_request_count,
    }
    if features.talk is not None:
        values.update((name, getattr(features.talk, name)) for name in TIMING_FEATURES)
    values.update(_sentiment(features.emotion))
    if features.acoustics is not None:
        values.update(_acoustic(features.acoustics))
    values["risk_count"] = len(features.risk_events)
    for kind in RISK_KINDS:
        values[f"risk_{kind}_count"] = sum(1 for e in features.risk_events if e.kind == kind)
    return values


def _sentiment(curve: EmotionCurve) -> dict[str, Value]:
    values: dict[str, Value] = {
        "customer_sentiment_mean": curve.mean("customer"),
        "agent_sentiment_mean": curve.mean("agent"),
        "customer_sentiment_min": curve.minimum("customer"),
        "customer_sentiment_start": curve.customer_start,
        "customer_sentiment_end": curve.customer_end,
        "customer_sentiment_delta": curve.customer_delta,
        "customer_trend": curve.trend,
        "customer_negative_turns": curve.negative_turns,
        "negative_turns_answered": curve.answered_turns,
        "emotion_match_share": (
            curve.answered_turns / curve.negative_turns if curve.negative_turns else None
        ),
    }
    for side, quarters in (("customer", curve.customer_quarters), ("agent", curve.agent_quarters)):
        for index, value in enumerate(quarters, start=1):
            values[f"{side}_sentiment_q{index}"] = value
    return values


def _acoustic(acoustics: tuple[UtteranceAcoustics, ...]) -> dict[str, Value]:
    values: dict[str, Value] = {}
    for side in ("agent", "customer"):
        mine = [a for a in acoustics if a.speaker == side]
        pitches = [a.pitch_hz for a in mine if a.pitch_hz is not None]
        values[f"{side}_pitch_hz"] = statistics.median(pitches) if pitches else None
        energies = [a.energy_dbfs for a in mine]
        values[f"{side}_energy_dbfs"] = statistics.median(energies) if energies else None
        pitch_z = [a.pitch_z for a in mine if a.pitch_z is not None]
        energy_z = [a.energy_z for a in mine if a.energy_z is not None]
        values[f"{side}_max_pitch_z"] = max(pitch_z) if pitch_z else None
        values[f"{side}_max_energy_z"] = max(energy_z) if energy_z else None
        measured = any(a.energy_z is not None for a in mine)
        values[f"{side}_agitated_count"] = sum(a.agitated for a in mine) if measured else None
    return values
