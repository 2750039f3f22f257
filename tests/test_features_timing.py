"""Talk metrics on hand-built calls whose answers are worked out by hand."""

from __future__ import annotations

import pytest

from qa_toolkit.features import FeatureOptions, extract_features
from qa_toolkit.features.timing import speech_units
from qa_toolkit.types import AudioSource, Transcript, Utterance, Word


def _call(*rows: tuple[str, float, float, str], **kwargs: object) -> Transcript:
    utts = tuple(Utterance(f"u{i}", s, a, b, t) for i, (s, a, b, t) in enumerate(rows, 1))  # type: ignore[arg-type]
    return Transcript("hand", utts, "en", **kwargs)  # type: ignore[arg-type]


# Worked out by hand in the comments; every timing feature is checked below.
CALL = _call(
    ("agent", 0.0, 4.0, "Thank you for calling, how can I help?"),  # 8 words
    ("customer", 4.5, 10.0, "My internet is down again and I am really angry."),  # 10
    ("agent", 9.0, 12.0, "I am sorry, please hold while I check."),  # 8; interrupts 9-10
    ("agent", 42.0, 46.0, "Thank you for holding, I have reset your line."),  # 9; 30 s hold before
    ("customer", 47.0, 49.0, "Great, it works now, thanks."),  # 5
    ("agent", 49.2, 52.0, "Is there anything else?"),  # 4
    ("customer", 51.0, 53.0, "No, that's all."),  # 3; interrupts 51-52
    ("agent", 56.0, 58.0, "Goodbye."),  # 1
)
EXPECTED = {
    "duration_s": 58.0,
    "talk_s": 23.3,  # 0-4, 4.5-12, 42-46, 47-49, 49.2-53, 56-58
    "agent_talk_s": 15.8,
    "customer_talk_s": 9.5,
    "agent_talk_share": 15.8 / 25.3,
    "customer_talk_share": 9.5 / 25.3,
    "silence_s": 34.7,  # gaps 0.5, 30, 1.0, 0.2, 3.0
    "silence_share": 34.7 / 58,
    "longest_silence_s": 30.0,
    "dead_air_s": 33.0,  # gaps of 2 s or more
    "dead_air_share": 33.0 / 58,
    "dead_air_count": 2,
    "long_silence_count": 1,
    "hold_count": 1,
    "hold_s": 30.0,
    "longest_hold_s": 30.0,
    "overtalk_s": 2.0,
    "overtalk_count": 2,
    "agent_overtalk_count": 1,
    "customer_overtalk_count": 1,
    "agent_overtalk_s": 1.0,
    "customer_overtalk_s": 1.0,
    "agent_words_per_min": 30 / 15.8 * 60,
    "customer_words_per_min": 18 / 9.5 * 60,
    "first_response_s": 0.0,
    "first_response_latency_s": 0.0,  # the agent cut in, so no wait
    "mean_response_latency_s": 3.2 / 3,  # 0, 0.2, 3.0
    "max_response_latency_s": 3.0,
}


def test_features_timing_every_metric_by_hand() -> None:
    values = extract_features(CALL, options=FeatureOptions(sentiment="lexicon")).to_dict()
    for name, expected in EXPECTED.items():
        assert values[name] == pytest.approx(expected), name
    assert values["turn_count"] == 8 and values["agent_turns"] == 5
    assert values["customer_turns"] == 3 and values["hold_request_count"] == 1
    assert values["has_timing"] is True


def test_features_timing_is_unknown_not_zero_for_text() -> None:
    chat = _call(
        *[
            (s, a, b, t)
            for s, a, b, t in [(u.speaker, u.start_s, u.end_s, u.text) for u in CALL.utterances]
        ],
        source=AudioSource(kind="text"),
    )
    values = extract_features(chat, options=FeatureOptions(sentiment="lexicon")).to_dict()
    for name in EXPECTED:
        assert values[name] is None, name
    assert values["has_timing"] is False and values["hold_request_count"] == 1


def test_features_timing_order_and_overlap_do_not_matter() -> None:
    shuffled = Transcript("hand", tuple(reversed(CALL.utterances)), "en")
    a = extract_features(CALL, options=FeatureOptions(sentiment="lexicon")).to_dict()
    b = extract_features(shuffled, options=FeatureOptions(sentiment="lexicon")).to_dict()
    assert all(a[k] == pytest.approx(b[k]) for k in EXPECTED)
    # The same speaker's overlapping turns are counted once.
    doubled = _call(("agent", 0, 4, "hello there"), ("agent", 2, 6, "hello again"))
    assert extract_features(doubled).to_dict()["agent_talk_s"] == pytest.approx(6.0)


def test_features_timing_one_speaker_and_no_speech() -> None:
    alone = _call(("customer", 0, 3, "Hello? Is anyone there?"), ("customer", 10, 12, "Hello?"))
    values = extract_features(alone, options=FeatureOptions(sentiment="lexicon")).to_dict()
    assert values["customer_talk_share"] == 1.0 and values["agent_talk_share"] == 0.0
    assert values["first_response_s"] is None and values["mean_response_latency_s"] is None
    assert values["agent_words_per_min"] is None
    empty = extract_features(Transcript("empty", ()), options=FeatureOptions(sentiment="lexicon"))
    assert empty.to_dict()["duration_s"] is None and empty.to_dict()["turn_count"] == 0
    blank = _call(("agent", 0, 2, "   "))
    assert extract_features(blank).to_dict()["turn_count"] == 0


def test_features_timing_unannounced_long_silence_is_a_hold() -> None:
    call = _call(("agent", 0, 2, "Okay."), ("agent", 40, 42, "Right, done."))
    values = extract_features(call, options=FeatureOptions(sentiment="lexicon")).to_dict()
    assert values["hold_count"] == 1 and values["hold_request_count"] == 0
    short = _call(("agent", 0, 2, "One moment please."), ("agent", 3, 5, "Done."))
    assert extract_features(short).to_dict()["hold_count"] == 0  # a 1 s pause is no hold


def test_features_timing_words_split_runs_and_chinese_rate() -> None:
    words = (Word("so", 0.0, 0.4), Word("the", 5.0, 5.3), Word("router", 5.3, 6.0))
    call = Transcript(
        "w",
        (
            Utterance("u1", "customer", 0.0, 6.0, "so the router", words=words),
            Utterance("u2", "agent", 1.0, 3.0, "Let me check."),
        ),
    )
    values = extract_features(call, options=FeatureOptions(sentiment="lexicon")).to_dict()
    assert values["overtalk_count"] == 0 and values["customer_talk_s"] == pytest.approx(1.4)
    zh = _call(("customer", 0, 2, "我要投诉你们"), ("agent", 2.5, 4.5, "您好"))
    assert extract_features(zh).to_dict()["customer_words_per_min"] == pytest.approx(180.0)
    assert speech_units("I'm calling about 套餐") == 5


def test_features_timing_options_change_thresholds() -> None:
    strict = FeatureOptions(min_gap_s=0.4, long_silence_s=2.5, sentiment="lexicon")
    values = extract_features(CALL, options=strict).to_dict()
    assert values["dead_air_count"] == 4  # 0.5, 30, 1.0 and 3.0
    assert values["long_silence_count"] == 2
