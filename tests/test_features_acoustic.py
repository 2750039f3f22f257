"""Agitation from pitch and energy on synthetic audio with a known raised voice."""

from __future__ import annotations

import numpy as np
import pytest

from qa_toolkit.features import FeatureOptions, extract_features
from qa_toolkit.io.audio import Audio
from qa_toolkit.types import AudioSource, Transcript, Utterance

pytest.importorskip("librosa", reason="acoustic features need the 'features' extra")

RATE = 16_000


def _voice(f0: float, level: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    # A few harmonics, like a voice; YIN reads the fundamental.
    wave = sum(np.sin(2 * np.pi * f0 * k * t) / k for k in (1, 2, 3))
    return (level * wave).astype(np.float32)


def _call_and_audio() -> tuple[Transcript, Audio]:
    # Agent at 120 Hz, customer at 200 Hz, one second each, half a second apart;
    # the customer's last turn is raised: 300 Hz and four times as loud.
    plan = [("agent", 120, 0.1), ("customer", 200, 0.1)] * 4 + [("customer", 300, 0.4)]
    samples = np.zeros(int(len(plan) * 1.5 * RATE) + RATE, dtype=np.float32)
    utts = []
    for i, (who, f0, level) in enumerate(plan):
        start = i * 1.5
        lo = int(start * RATE)
        samples[lo : lo + RATE] = _voice(f0, level)
        utts.append(Utterance(f"u{i}", who, start, start + 1.0, "words"))  # type: ignore[arg-type]
    audio = Audio("synthetic.wav", samples[None, :], RATE, RATE, "pcm")
    return Transcript("loud", tuple(utts), "en", speaker_source="diarization"), audio


def test_features_acoustic_flags_the_raised_voice() -> None:
    call, audio = _call_and_audio()
    features = extract_features(call, audio, options=FeatureOptions(sentiment="lexicon"))
    assert features.acoustics is not None
    by_id = {a.utterance_id: a for a in features.acoustics}
    assert by_id["u0"].pitch_hz == pytest.approx(120, rel=0.03)
    assert by_id["u1"].pitch_hz == pytest.approx(200, rel=0.03)
    assert by_id["u8"].agitated and by_id["u8"].pitch_z > 2 and by_id["u8"].energy_z > 2
    assert [a.utterance_id for a in features.acoustics if a.agitated] == ["u8"]
    values = features.to_dict()
    assert values["customer_agitated_count"] == 1 and values["agent_agitated_count"] == 0
    assert values["customer_pitch_hz"] == pytest.approx(200, rel=0.03)
    assert values["has_audio"] is True


def test_features_acoustic_stereo_reads_the_speakers_channel() -> None:
    call, mono = _call_and_audio()
    # Put each side on its own channel, as a stereo recording does.
    left = mono.samples[0].copy()
    right = np.zeros_like(left)
    for utt in call.utterances:
        if utt.speaker == "customer":
            lo, hi = int(utt.start_s * RATE), int(utt.end_s * RATE)
            right[lo:hi], left[lo:hi] = left[lo:hi], 0.0
    stereo = Audio("stereo.wav", np.stack([left, right]), RATE, RATE, "pcm")
    features = extract_features(call, stereo, options=FeatureOptions(sentiment="lexicon"))
    assert features.to_dict()["customer_agitated_count"] == 1


def test_features_acoustic_unavailable_is_none_not_zero() -> None:
    call, audio = _call_and_audio()
    values = extract_features(call, options=FeatureOptions(sentiment="lexicon")).to_dict()
    assert values["customer_agitated_count"] is None and values["has_audio"] is False
    chat = Transcript("chat", call.utterances, source=AudioSource(kind="text"))
    # Audio with an untimed transcript cannot be lined up: left out, not zero.
    assert extract_features(chat, audio).acoustics is None
    few = Transcript("few", call.utterances[:3])
    measured = extract_features(few, audio, options=FeatureOptions(sentiment="lexicon"))
    assert measured.to_dict()["customer_agitated_count"] is None  # no baseline from one turn
    assert measured.to_dict()["customer_pitch_hz"] == pytest.approx(200, rel=0.03)
