"""Real Whisper models on real audio: roles, Mandarin script, the 8 kHz call.

Uses the packaged models (tiny.en for English, multilingual base for Mandarin)
installed by the setup command; nothing is downloaded.
"""

from __future__ import annotations

import pytest
import zhconv

from qa_toolkit.speech.asr import load_engine
from qa_toolkit.speech.transcribe import transcribe
from qa_toolkit.types import Transcript

from .conftest import SAMPLES, shared, truth

pytestmark = pytest.mark.slow


def _side_agreement(t: Transcript, call_id: str) -> float:
    """Share of scripted lines whose overlapping transcript speech has the right speaker."""
    lines = truth(call_id)["utterances"]
    assert isinstance(lines, list)
    right = 0
    for line in lines:
        overlap: dict[str, float] = {}
        for u in t.utterances:
            shared_s = min(u.end_s, line["end_s"]) - max(u.start_s, line["start_s"])
            if shared_s > 0:
                overlap[u.speaker] = overlap.get(u.speaker, 0.0) + shared_s
        if overlap and max(overlap, key=overlap.__getitem__) == line["speaker"]:
            right += 1
    return right / len(lines)


@pytest.fixture(scope="module")
def tiny() -> object:
    return load_engine("faster-whisper", "tiny.en")


@pytest.fixture(scope="module")
def base() -> object:
    return load_engine("faster-whisper", "base")


def test_real_stereo_roles_from_channels(tiny: object) -> None:
    t = transcribe(SAMPLES / "polite_resolved.wav", asr=tiny)  # type: ignore[arg-type]
    assert t.speaker_source == "channel" and t.language == "en"
    assert _side_agreement(t, "polite_resolved") == 1.0
    assert "for calling" in t.utterances[0].text.lower()  # espeak's "thank" is often missed
    assert t.utterances[0].speaker == "agent"
    assert all(u.words for u in t.utterances)  # word timestamps on by default


def test_real_two_files_roles_from_files(tiny: object) -> None:
    t = transcribe(
        agent=SAMPLES / "rude_unresolved.agent.wav",
        customer=SAMPLES / "rude_unresolved.customer.wav",
        asr=tiny,  # type: ignore[arg-type]
    )
    assert t.call_id == "rude_unresolved"
    assert _side_agreement(t, "rude_unresolved") == 1.0


def test_real_mono_diarization_puts_lines_on_the_right_side(tiny: object) -> None:
    t = transcribe(SAMPLES / "escalation_mono.wav", asr=tiny)  # type: ignore[arg-type]
    assert t.speaker_source == "diarization"
    assert _side_agreement(t, "escalation_mono") >= 0.9
    assert 0.0 < t.role_confidence <= 1.0


def test_real_long_hold_has_no_invented_text(tiny: object) -> None:
    t = transcribe(SAMPLES / "long_hold.wav", asr=tiny)  # type: ignore[arg-type]
    scripted = truth("long_hold")["utterances"]
    assert isinstance(scripted, list)
    hold_start = max(
        u["end_s"]
        for u in scripted
        if "hold" in u["text"].lower() and "thank" not in u["text"].lower()
    )
    hold_end = min(u["start_s"] for u in scripted if u["start_s"] > hold_start)
    inside = [u for u in t.utterances if u.start_s > hold_start + 1 and u.end_s < hold_end - 1]
    assert inside == []  # VAD keeps Whisper from transcribing the hold


def test_real_mandarin_is_simplified_with_chinese_punctuation(base: object) -> None:
    t = transcribe(SAMPLES / "zh_billing.wav", asr=base)  # type: ignore[arg-type]
    assert t.language == "zh"
    text = "".join(u.text for u in t.utterances)
    assert text == zhconv.convert(text, "zh-hans")
    assert any(mark in text for mark in "，。？！")
    # Segment edges move a little between runs on CPU; 7 of the 8 lines is the floor seen.
    assert _side_agreement(t, "zh_billing") >= 0.875


def test_real_mandarin_clip_simplified(base: object) -> None:
    clip = shared("asr", "zh", "aishell-BAC009S0724W0121.wav")
    t = transcribe(clip, language="zh", asr=base)  # type: ignore[arg-type]
    text = "".join(u.text for u in t.utterances)
    assert text == zhconv.convert(text, "zh-hans")
    assert "广州" in text


def test_real_8khz_call_agent_and_customer(tiny: object) -> None:
    folder = shared("calls", "auto_repairs_40")
    t = transcribe(agent=folder / "agent.wav", customer=folder / "caller.wav", asr=tiny)  # type: ignore[arg-type]
    assert t.call_id == "auto_repairs_40" and t.source.sample_rate_hz == 8000
    assert t.utterances[0].speaker == "agent"
    assert "thank you for calling" in t.utterances[0].text.lower()
    customer = " ".join(u.text.lower() for u in t.by_speaker("customer"))
    agent = " ".join(u.text.lower() for u in t.by_speaker("agent"))
    assert "jack" in customer and "two weeks ago" in customer
    assert "appointment" in agent and "two weeks ago" not in agent
    # No line appears on both sides (crosstalk is not transcribed twice).
    agent_texts = {u.text for u in t.by_speaker("agent")}
    assert not agent_texts & {u.text for u in t.by_speaker("customer")}
