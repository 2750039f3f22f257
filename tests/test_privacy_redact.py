"""Redaction of transcripts (text and words), bleeping of audio, and ``qa redact``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from qa_toolkit.cli.analytics import redact_command
from qa_toolkit.errors import UsageError
from qa_toolkit.io.transcripts import load_transcript
from qa_toolkit.privacy import bleep_audio, pii_intervals, redact
from qa_toolkit.types import AudioSource, Transcript, Utterance, Word

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CARD_WORDS = (
    Word(" my", 1.0, 1.2),
    Word(" card", 1.2, 1.5),
    Word(" is", 1.5, 1.6),
    Word(" 4111", 1.7, 2.1),
    Word(" 1111", 2.2, 2.6),
    Word(" 1111", 2.7, 3.1),
    Word(" 1111.", 3.2, 3.6),
    Word(" Thanks", 4.0, 4.4),
)


def _card_call() -> Transcript:
    said = Utterance(
        "u1", "customer", 1.0, 4.4, "my card is 4111 1111 1111 1111. Thanks", words=CARD_WORDS
    )
    return Transcript("card", (Utterance("u0", "agent", 0.0, 0.9, "Hello."), said))


def test_privacy_redact_text_and_words_keep_timing() -> None:
    call = _card_call()
    out = redact(call)
    said = out.utterances[1]
    assert said.text == "my card is [CARD]. Thanks"
    assert [w.text for w in said.words] == [" my", " card", " is", " [CARD].", " Thanks"]
    tag = said.words[3]
    assert (tag.start_s, tag.end_s) == (1.7, 3.6)
    assert out.utterances[0] is call.utterances[0]  # untouched utterances are shared


def test_privacy_redact_samples_chats() -> None:
    zh = redact(load_transcript(SAMPLES / "chat_zh.txt")).text
    assert "13800138000" not in zh and "11010519491231002X" not in zh
    assert "[PHONE]" in zh and "[ID]" in zh and "[ADDRESS]" in zh and "建国路" not in zh
    en = redact(load_transcript(SAMPLES / "chat_en.txt")).text
    assert "[EMAIL]" in en and "[PHONE]" in en and "[CARD]" in en
    assert "58213" in en  # an order number is not personal data


def test_privacy_redact_kinds_and_chinese_words() -> None:
    words = (
        Word("我的", 0.0, 0.4),
        Word("手机", 0.4, 0.8),
        Word("是", 0.8, 1.0),
        Word("138", 1.0, 1.5),
        Word("0013", 1.5, 2.0),
        Word("8000", 2.0, 2.5),
    )
    call = Transcript(
        "zh", (Utterance("u1", "customer", 0, 2.5, "我的手机是13800138000", words=words),)
    )
    out = redact(call).utterances[0]
    assert out.text == "我的手机是[PHONE]" and out.words[-1] == Word("[PHONE]", 1.0, 2.5)
    assert redact(call, kinds=["EMAIL"]).utterances[0] is call.utterances[0]
    with pytest.raises(UsageError, match="unknown PII kind"):
        redact(call, kinds=["phones"])


def test_privacy_bleep_audio(tmp_path: Path) -> None:
    rate = 16_000
    rng = np.random.default_rng(0)
    speech = (0.05 * rng.standard_normal((2, 5 * rate))).astype(np.float32)
    source = tmp_path / "call.wav"
    soundfile.write(source, speech.T, rate, subtype="PCM_16")
    out = tmp_path / "call.redacted.wav"
    spans = bleep_audio(source, _card_call(), out, pad_s=0.1)
    assert spans == ((pytest.approx(1.6), pytest.approx(3.7), "card"),)
    bleeped, got_rate = soundfile.read(out, dtype="float32", always_2d=True)
    assert got_rate == rate and bleeped.shape == (5 * rate, 2)
    inside = bleeped[int(2.0 * rate) : int(3.0 * rate), 1]
    t = np.arange(int(2.0 * rate), int(3.0 * rate)) / rate
    tone = 0.1 * np.sin(2 * np.pi * 1000.0 * (t - 1.6))
    assert np.max(np.abs(inside - tone)) < 1e-3  # both channels carry the tone
    assert np.allclose(bleeped[:rate, 0], speech[0, :rate], atol=1e-4)  # the rest is untouched


def test_privacy_bleep_needs_timing_and_covers_wordless_utterances(tmp_path: Path) -> None:
    chat = load_transcript(SAMPLES / "chat_en.txt")
    with pytest.raises(UsageError, match="no measured timing"):
        bleep_audio(SAMPLES / "polite_resolved.wav", chat, tmp_path / "x.wav")
    wordless = Transcript("w", (Utterance("u1", "customer", 2.0, 5.0, "card 4111 1111 1111 1111"),))
    assert pii_intervals(wordless) == ((2.0, 5.0, "card"),)


def test_privacy_cli_redacts_transcript(tmp_path: Path) -> None:
    result = CliRunner().invoke(redact_command, [str(SAMPLES / "chat_zh.txt")])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    text = " ".join(u["text"] for u in data["utterances"])
    assert "[ID]" in text and "13800138000" not in text
    out = tmp_path / "r.json"
    only = CliRunner().invoke(
        redact_command, [str(SAMPLES / "chat_en.txt"), "--kinds", "email", "-o", str(out)]
    )
    assert only.exit_code == 0 and "[EMAIL]" in out.read_text() and "[CARD]" not in out.read_text()
    bad = CliRunner().invoke(redact_command, [str(SAMPLES / "chat_en.txt"), "--kinds", "fax"])
    assert bad.exit_code == 2 and "unknown PII kind" in bad.output


def test_privacy_cli_bleeps_audio_with_given_transcript(tmp_path: Path) -> None:
    said = Utterance(
        "u1",
        "customer",
        5.779,
        9.029,
        "call 555-0142",
        words=(Word("call", 5.8, 6.2), Word(" 555-0142", 6.3, 8.9)),
    )
    call = Transcript("long_hold", (said,), "en", source=AudioSource(kind="audio"))
    transcript = tmp_path / "t.json"
    transcript.write_text(json.dumps(call.to_dict()), "utf-8")
    out = tmp_path / "bleeped.wav"
    result = CliRunner().invoke(
        redact_command,
        [str(SAMPLES / "long_hold.wav"), "--transcript", str(transcript), "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "1 spans bleeped" in result.output and out.is_file()
    assert "[PHONE]" in (tmp_path / "bleeped.json").read_text("utf-8")
