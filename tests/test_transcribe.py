"""The transcription pipeline with a scripted engine: layouts, roles, bleed, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from qa_toolkit.errors import AudioError, UsageError
from qa_toolkit.speech.asr.base import AsrSegment, Samples
from qa_toolkit.speech.transcribe import transcribe
from qa_toolkit.types import Transcript, Word

from .conftest import ScriptedEngine, segment, tone

RATE = 16000
# What each side says, keyed by when it starts speaking (seconds).
LINES = {
    0.0: "Thank you for calling Acme how can I help",
    2.0: "My internet is down",
    4.0: "Let me fix that for you",
    6.0: "Thanks",
}


def _talk(spans: list[tuple[float, float]], seconds: float = 8.0, level: float = 0.3) -> Samples:
    out = np.zeros(int(seconds * RATE), dtype=np.float32)
    for start, end in spans:
        burst = tone(end - start, hz=200 + 100 * start, level=level)
        out[int(start * RATE) : int(start * RATE) + len(burst)] = burst
    return out


def _heard(samples: Samples) -> list[AsrSegment]:
    """Segments for every loud stretch of the signal, texts from LINES."""
    out = []
    for start in LINES:
        chunk = samples[int(start * RATE) : int((start + 1.5) * RATE)]
        if chunk.size and np.sqrt(np.mean(chunk**2)) > 0.05:
            out.append(segment(start, start + 1.5, LINES[start]))
    return out


AGENT = [(0.0, 1.5), (4.0, 5.5)]
CUSTOMER = [(2.0, 3.5), (6.0, 7.5)]


def _write(path: Path, *channels: Samples, rate: int = RATE) -> Path:
    sf.write(path, np.stack(channels, axis=1), rate, subtype="PCM_16")
    return path


def test_transcribe_two_files_roles_from_files(tmp_path: Path) -> None:
    agent = _write(tmp_path / "c9.agent.wav", _talk(AGENT))
    customer = _write(tmp_path / "c9.customer.wav", _talk(CUSTOMER))
    t = transcribe(agent=agent, customer=customer, asr=ScriptedEngine(_heard))
    assert [(u.speaker, u.text) for u in t.utterances] == [
        ("agent", LINES[0.0]),
        ("customer", LINES[2.0]),
        ("agent", LINES[4.0]),
        ("customer", LINES[6.0]),
    ]
    assert [u.id for u in t.utterances] == ["u0001", "u0002", "u0003", "u0004"]
    assert t.call_id == "c9" and t.speaker_source == "channel"
    assert t.source.files == (str(agent), str(customer)) and t.source.channels == 2
    assert t.engine is not None and t.engine.name == "scripted"


def test_transcribe_equals_its_json_read_back(tmp_path: Path) -> None:
    """What the decoder gives has more digits than the JSON keeps; the transcript has the JSON's."""

    def precise(samples: Samples) -> list[AsrSegment]:
        out = []
        for seg in _heard(samples):
            words = tuple(
                Word(w.text, w.start_s + 1 / 7000, w.end_s + 1 / 9000, 0.3410663902759552)
                for w in seg.words
            )
            out.append(AsrSegment(seg.start_s + 1 / 3000, seg.end_s, seg.text, words, 0.87654321))
        return out

    agent = _write(tmp_path / "c8.agent.wav", _talk(AGENT))
    customer = _write(tmp_path / "c8.customer.wav", _talk(CUSTOMER))
    t = transcribe(agent=agent, customer=customer, asr=ScriptedEngine(precise))
    first = t.utterances[0].words[0]
    assert first.prob == 0.3411 and first.start_s == round(first.start_s, 3)
    assert Transcript.from_dict(t.to_dict()) == t


@pytest.mark.parametrize("agent_channel", [0, 1])
def test_transcribe_stereo_channel_choice(tmp_path: Path, agent_channel: int) -> None:
    sides = [_talk(AGENT), _talk(CUSTOMER)]
    if agent_channel == 1:
        sides.reverse()
    path = _write(tmp_path / "call.wav", *(side[::2] for side in sides), rate=8000)
    t = transcribe(path, agent_channel=agent_channel, asr=ScriptedEngine(_heard))
    assert [u.speaker for u in t.utterances] == ["agent", "customer", "agent", "customer"]
    assert t.utterances[0].text == LINES[0.0]
    assert t.source.sample_rate_hz == 8000 and t.duration_s == pytest.approx(8.0, abs=0.01)


def test_transcribe_drops_bleed_from_the_other_channel(tmp_path: Path) -> None:
    # The agent's words leak into the customer's microphone 30 dB down.
    leak = _talk(AGENT, level=0.3 * 10 ** (-30 / 20))
    customer = _talk(CUSTOMER) + leak
    path = _write(tmp_path / "leaky.wav", _talk(AGENT), customer)

    def hears_leak(samples: Samples) -> list[AsrSegment]:
        heard = _heard(samples)
        if samples is not None and np.abs(samples[:RATE]).max() < 0.05:  # customer side
            heard.append(segment(0.0, 1.5, LINES[0.0]))  # Whisper transcribes the echo
        return sorted(heard, key=lambda s: s.start_s)

    t = transcribe(path, asr=ScriptedEngine(hears_leak))
    assert [u.speaker for u in t.utterances] == ["agent", "customer", "agent", "customer"]


def test_transcribe_merges_a_turn_split_by_whisper(tmp_path: Path) -> None:
    def split(samples: Samples) -> list[AsrSegment]:
        if np.abs(samples[:RATE]).max() > 0.05:
            return [
                segment(0.0, 0.7, "Thank you for calling."),
                segment(1.0, 1.5, "How can I help"),
            ]
        return [segment(2.0, 3.5, "Hi")]

    path = _write(tmp_path / "turn.wav", _talk([(0.0, 1.5)]), _talk([(2.0, 3.5)]))
    t = transcribe(path, asr=ScriptedEngine(split))
    assert [u.text for u in t.utterances] == ["Thank you for calling. How can I help", "Hi"]
    assert len(t.utterances[0].words) == 8


def test_transcribe_fake_stereo_is_not_duplicated(tmp_path: Path) -> None:
    signal = _talk(AGENT + CUSTOMER)
    path = _write(tmp_path / "fake.wav", signal, signal * 0.5)
    t = transcribe(path, asr=ScriptedEngine(_heard))
    said = " ".join(u.text for u in t.utterances)
    assert all(said.count(line) == 1 for line in LINES.values())  # once, not once per channel
    assert t.speaker_source == "diarization"


def test_transcribe_one_side_silent(tmp_path: Path) -> None:
    path = _write(tmp_path / "one.wav", _talk(AGENT), np.zeros(8 * RATE, dtype=np.float32))
    t = transcribe(path, asr=ScriptedEngine(_heard))
    assert {u.speaker for u in t.utterances} == {"agent"}


def test_transcribe_silence_only_is_a_clear_error(tmp_path: Path) -> None:
    silent = np.zeros(8 * RATE, dtype=np.float32)
    path = _write(tmp_path / "silent.wav", silent, silent)
    with pytest.raises(AudioError, match=r"silent\.wav: is silent; check"):
        transcribe(path, asr=ScriptedEngine(_heard))


def test_transcribe_no_speech_recognised(tmp_path: Path) -> None:
    path = _write(tmp_path / "music.wav", _talk(AGENT), _talk(CUSTOMER))
    with pytest.raises(AudioError, match=r"music\.wav: holds no speech"):
        transcribe(path, asr=ScriptedEngine(lambda s: []))


def test_transcribe_language_forced_or_detected(tmp_path: Path) -> None:
    path = _write(tmp_path / "zh.wav", _talk(AGENT), _talk(CUSTOMER))
    engine = ScriptedEngine(_heard, language="zh")
    t = transcribe(path, asr=engine)
    assert t.language == "zh" and {o.language for o in engine.calls} == {"zh"}
    t = transcribe(path, language="en", hotwords=("Acme",), asr=engine)
    assert t.language == "en" and engine.calls[-1].hotwords == ("Acme",)


def test_transcribe_mandarin_output_is_simplified(tmp_path: Path) -> None:
    def traditional(samples: Samples) -> list[AsrSegment]:
        if np.abs(samples[:RATE]).max() > 0.05:
            return [segment(0.0, 1.5, "您好, 歡迎致電安科電信")]
        return [segment(2.0, 3.5, "我要投訴!")]

    path = _write(tmp_path / "zh.wav", _talk([(0.0, 1.5)]), _talk([(2.0, 3.5)]))
    t = transcribe(path, language="zh", asr=ScriptedEngine(traditional, language="zh"))
    assert [u.text for u in t.utterances] == ["您好，欢迎致电安科电信", "我要投诉！"]


def test_transcribe_usage_errors(tmp_path: Path) -> None:
    engine = ScriptedEngine(_heard)
    with pytest.raises(UsageError, match="needs both --agent and --customer"):
        transcribe(agent=tmp_path / "a.wav", asr=engine)
    with pytest.raises(UsageError, match="not both"):
        transcribe(tmp_path / "x.wav", agent=tmp_path / "a.wav", asr=engine)
    english = ScriptedEngine(_heard, model="tiny.en")
    with pytest.raises(UsageError, match="only knows English.*--model base"):
        transcribe(tmp_path / "x.wav", language="zh", asr=english)


def test_transcribe_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match=r"gone\.wav: no such file"):
        transcribe(tmp_path / "gone.wav", asr=ScriptedEngine(_heard))
