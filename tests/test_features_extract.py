"""extract_features end to end: names, docs, sample calls, scoring and ``qa analyze``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_toolkit.cli.analytics import analyze_command
from qa_toolkit.features import ALL_SPECS, FEATURE_KEYS, FeatureOptions, extract_features
from qa_toolkit.io.audio import load_audio
from qa_toolkit.io.transcripts import load_transcript
from qa_toolkit.rubric import parse_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.features import FEATURE_NAMES, compute_features, locate_feature
from qa_toolkit.types import Transcript, Utterance

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
LEXICON = FeatureOptions(sentiment="lexicon")


def truth_call(name: str) -> Transcript:
    """A sample call's transcript from its truth file (measured times, given roles)."""
    data = json.loads((SAMPLES / f"{name}.truth.json").read_text("utf-8"))
    utts = tuple(
        Utterance(f"u{i}", u["speaker"], u["start_s"], u["end_s"], u["text"])
        for i, u in enumerate(data["utterances"], 1)
    )
    source = "diarization" if data["layout"] == "mono" else "channel"
    return Transcript(name, utts, data["language"], speaker_source=source)  # type: ignore[arg-type]


def test_features_names_are_stable_and_documented() -> None:
    values = extract_features(truth_call("long_hold"), options=LEXICON).to_dict()
    assert tuple(values) == FEATURE_KEYS and len(set(FEATURE_KEYS)) == len(FEATURE_KEYS)
    # The names the default rubric and older classifiers use stay.
    for name in (
        "longest_silence_s",
        "agent_overtalk_count",
        "agent_words_per_min",
        "silence_share",
        "first_response_s",
        "turn_count",
        "has_timing",
    ):
        assert name in FEATURE_NAMES
    docs = (ROOT / "docs" / "analytics.md").read_text("utf-8")
    missing = [s.name for s in ALL_SPECS if f"`{s.name}`" not in docs]
    assert not missing, f"docs/analytics.md does not describe {missing}"
    json.dumps(values)  # JSON-ready


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("long_hold", {"hold_count": 1, "hold_request_count": 1, "risk_count": 0}),
        ("polite_resolved", {"risk_count": 0, "hold_count": 0, "overtalk_count": 0}),
        ("rude_unresolved", {"risk_blame_count": 1, "risk_deflect_count": 2}),
        ("escalation_mono", {"risk_escalation_count": 1, "risk_cancel_count": 1}),
        ("zh_escalation_mono", {"risk_escalation_count": 3, "risk_deflect_count": 2}),
        ("zh_billing", {"risk_count": 0, "customer_trend": "improving"}),
    ],
)
def test_features_sample_calls(name: str, expected: dict[str, object]) -> None:
    values = extract_features(truth_call(name), options=LEXICON).to_dict()
    for key, value in expected.items():
        assert values[key] == value, key
    assert values["duration_s"] > 20 and 0 < values["agent_talk_share"] < 1


def test_features_sample_hold_and_audio() -> None:
    pytest.importorskip("librosa", reason="acoustic features need the 'features' extra")
    call = truth_call("long_hold")
    features = extract_features(call, load_audio(SAMPLES / "long_hold.wav"), options=LEXICON)
    values = features.to_dict()
    assert values["longest_hold_s"] == pytest.approx(25.0, abs=0.01)
    assert values["has_audio"] is True
    assert 60 < values["agent_pitch_hz"] < 400 and 60 < values["customer_pitch_hz"] < 400
    assert values["agent_agitated_count"] == 0


def test_features_chats_have_text_features_only() -> None:
    for name, language in (("chat_en.txt", "en"), ("chat_zh.txt", "zh")):
        values = extract_features(load_transcript(SAMPLES / name), options=LEXICON).to_dict()
        assert values["language"] == language and values["has_timing"] is False
        assert values["longest_silence_s"] is None and values["agent_pitch_hz"] is None
        assert values["customer_trend"] in ("improving", "stable")
        assert values["turn_count"] == 13


def test_features_mixed_language_call() -> None:
    call = Transcript(
        "mix",
        (
            Utterance("u1", "customer", 0, 2, "Hi, my 宽带 is down again, 太慢了"),
            Utterance("u2", "agent", 2.5, 4, "您好，请稍等"),
            Utterance("u3", "customer", 5, 6, "OK thanks"),
        ),
    )
    values = extract_features(call, options=LEXICON).to_dict()
    assert values["language"] == "mixed" and values["hold_request_count"] == 1


def test_features_feed_scoring_with_evidence() -> None:
    call = truth_call("long_hold")
    features = compute_features(call)
    assert features["hold_count"] == 1.0 and "customer_trend" not in features
    assert "agent_pitch_hz" not in features  # unknown is left out, not 0
    evidence = locate_feature("longest_hold_s", call)
    assert (
        evidence[0].utterance_id == "u3" and "after the agent asked to hold" in evidence[0].reason
    )
    rubric = parse_rubric(
        "schema: qa-toolkit/rubric@1\nid: t\nversion: 1\nsections:\n  - id: s\n    items:\n"
        "      - {id: holds, detector: metric, feature: hold_count, max: 0, points: 1}\n"
        "      - {id: no_escalation, detector: metric, feature: risk_escalation_count, max: 0,"
        " points: 1}\n"
    )
    score = score_call(truth_call("escalation_mono"), rubric)
    item = score.item("no_escalation")
    assert item.status == "fail" and item.evidence[1].speaker == "customer"
    assert score_call(call, rubric).item("holds").status == "fail"


def test_features_cli_analyze(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        analyze_command,
        [str(SAMPLES / "chat_zh.txt"), "--format", "json", "--details", "--sentiment", "lexicon"],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["features"]["longest_silence_s"] is None
    assert data["emotion_curve"] and "risk_events" in data
    text = runner.invoke(
        analyze_command,
        [str(SAMPLES / "chat_en.txt"), str(SAMPLES / "chat_zh.txt"), "--sentiment", "lexicon"],
    )
    assert text.exit_code == 0 and "customer_trend" in text.output and "–" in text.output
    rude = tmp_path / "rude.txt"
    rude.write_text(
        "customer: I want to speak to your manager, call me on 555-0142\n"
        "agent: That's not our department.\n",
        "utf-8",
    )
    out = runner.invoke(
        analyze_command, [str(rude), "--format", "json", "--details", "--sentiment", "lexicon"]
    )
    events = json.loads(out.output)["risk_events"]
    assert [e["kind"] for e in events] == ["escalation", "deflect"]
    assert "555-0142" not in out.output and "[PHONE]" in out.output  # redacted by default
