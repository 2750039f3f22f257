"""Transcript formats: JSON v1 round trip, text transcripts in English and Chinese, SRT."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_toolkit.errors import TranscriptFormatError
from qa_toolkit.io.transcripts import (
    load_transcript,
    parse_text_transcript,
    save_transcript,
    to_srt,
    to_text,
)
from qa_toolkit.types import AudioSource, EngineInfo, Transcript, Utterance, Word

from .conftest import SAMPLES


def _transcript() -> Transcript:
    return Transcript(
        call_id="c1",
        utterances=(
            Utterance(
                "u0001",
                "agent",
                0.5,
                2.0,
                "您好，请问有什么可以帮您？",
                0.9,
                (Word("您好", 0.5, 1.0, 0.8),),
            ),
            Utterance("u0002", "customer", 2.5, 4.25, "I want a refund.", 0.7),
        ),
        language="zh",
        duration_s=5.0,
        source=AudioSource(("a.wav",), 2, 8000, 5.0),
        engine=EngineInfo("faster-whisper", "base", "int8", (("vad", "true"),)),
        speaker_source="channel",
    )


def test_transcripts_json_round_trip(tmp_path: Path) -> None:
    original = _transcript()
    path = save_transcript(original, tmp_path / "c1.json")
    assert "您好" in path.read_text("utf-8")  # Chinese stays readable, not \u escapes
    data = json.loads(path.read_text("utf-8"))
    assert data["schema"] == "qa-toolkit/transcript@1"
    assert data["source"] == {
        "kind": "audio",
        "files": ["a.wav"],
        "channels": 2,
        "sample_rate_hz": 8000,
        "duration_s": 5.0,
    }
    assert data["utterances"][0]["words"] == [
        {"text": "您好", "start_s": 0.5, "end_s": 1.0, "prob": 0.8}
    ]
    assert load_transcript(path) == original
    assert Transcript.from_dict(original.to_dict()) == original


def test_transcripts_text_english_with_stamps() -> None:
    t = parse_text_transcript(
        "[00:01] Agent: Thank you for calling.\n"
        "customer: My bill is wrong\n"
        "  and I am upset.\n"
        "\n"
        "# a note for reviewers\n"
        "[01:02] agent: Let me check.\n",
        call_id="chat1",
    )
    assert [u.speaker for u in t.utterances] == ["agent", "customer", "agent"]
    assert t.utterances[0].start_s == 1.0
    assert t.utterances[1].text == "My bill is wrong and I am upset."
    assert t.utterances[2].start_s == 62.0
    assert t.utterances[1].start_s > t.utterances[0].start_s
    assert t.utterances[1].end_s <= 62.0
    assert t.language == "en" and t.source.kind == "text" and t.speaker_source == "given"


def test_transcripts_text_chinese_roles() -> None:
    t = parse_text_transcript("客服：您好，请问有什么可以帮您？\n客户:我要投诉。\n", call_id="zh")
    assert [u.speaker for u in t.utterances] == ["agent", "customer"]
    assert t.utterances[1].text == "我要投诉。"
    assert t.language == "zh"


def test_transcripts_text_bad_first_line_names_the_line() -> None:
    with pytest.raises(TranscriptFormatError, match=r"chat\.txt:2: expected 'agent: …'"):
        parse_text_transcript("\nhello there\n", call_id="x", origin="chat.txt")


def test_transcripts_text_empty() -> None:
    with pytest.raises(TranscriptFormatError, match="holds no turns"):
        parse_text_transcript("# only a comment\n", call_id="x")


def test_transcripts_bad_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"utterances": [\n  {"text": "hi",}\n]}', "utf-8")
    with pytest.raises(TranscriptFormatError, match=r"bad\.json:2:\d+: invalid JSON"):
        load_transcript(path)


def test_transcripts_json_bad_speaker(tmp_path: Path) -> None:
    path = tmp_path / "who.json"
    path.write_text(json.dumps({"utterances": [{"text": "hi", "speaker": "bob"}]}), "utf-8")
    with pytest.raises(TranscriptFormatError, match=r"utterances\[0\]\.speaker is 'bob'"):
        load_transcript(path)


def test_transcripts_json_wrong_schema(tmp_path: Path) -> None:
    path = tmp_path / "v9.json"
    path.write_text(json.dumps({"schema": "qa-toolkit/transcript@9", "utterances": []}), "utf-8")
    with pytest.raises(TranscriptFormatError, match="schema 'qa-toolkit/transcript@9'"):
        load_transcript(path)


def test_transcripts_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TranscriptFormatError, match="no such file"):
        load_transcript(tmp_path / "gone.txt")


def test_transcripts_text_and_srt_output() -> None:
    t = _transcript()
    assert to_text(t).splitlines()[1] == "[00:02] customer: I want a refund."
    srt = to_srt(t)
    assert srt.startswith("1\n00:00:00,500 --> 00:00:02,000\n[agent] 您好")
    assert "2\n00:00:02,500 --> 00:00:04,250\n[customer] I want a refund." in srt


@pytest.mark.parametrize("name", ["chat_en.txt", "chat_zh.txt"])
def test_transcripts_sample_chats_load(name: str) -> None:
    t = load_transcript(SAMPLES / name)
    assert {u.speaker for u in t.utterances} == {"agent", "customer"}
    assert t.call_id == Path(name).stem
    starts = [u.start_s for u in t.utterances]
    assert starts == sorted(starts)
