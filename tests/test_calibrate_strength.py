"""Detector strengths mirror the detectors: at the rubric's own threshold they give its verdict."""

from __future__ import annotations

import pytest

from qa_toolkit.calibrate.strength import item_strengths, tunable_knobs
from qa_toolkit.rubric import parse_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.types import AudioSource, Transcript, Utterance

RUBRIC = """\
schema: qa-toolkit/rubric@1
id: s
version: 1
events:
  complaint: {detector: phrase, speaker: customer, any: [not working]}
sections:
  - id: s
    items:
      - {id: hello, detector: phrase, speaker: agent, window: {first_turns: 1},
         any: [thank you for calling acme], points: 1}
      - {id: all_of, detector: phrase, speaker: agent, all: [my name is, how can i help], points: 1}
      - {id: rude, detector: phrase, speaker: agent, none: [that is not my problem], points: 1}
      - {id: sorry, detector: semantic, speaker: agent, applies_if: {event: complaint},
         examples: [I am sorry about that], threshold: 0.5, points: 1}
      - {id: turns, detector: metric, feature: turn_count, max: 4, points: 1}
      - {id: mood, detector: sentiment, speaker: customer, negative_below: -0.3, points: 1}
      - {id: strict, detector: phrase, speaker: agent, any: [goodbye], fuzzy: false, points: 1}
"""

CALLS = [
    [("agent", "thank you for calling acne, my name is bo, how can i help"),
     ("customer", "my router is not working"), ("agent", "i am so sorry to hear that"),
     ("customer", "thanks, great")],
    [("agent", "hello"), ("customer", "what is my balance"),
     ("agent", "that is not my problem"), ("customer", "this is terrible"), ("agent", "bye")],
    [("agent", "thank you for calling acme, my name is al"),
     ("customer", "it is not working again"), ("agent", "that's not my problem")],
]  # fmt: skip


def _call(turns: list[tuple[str, str]]) -> Transcript:
    utts = tuple(Utterance(f"u{i}", s, 0.0, 0.0, t) for i, (s, t) in enumerate(turns))  # type: ignore[arg-type]
    return Transcript("c", utts, "en", source=AudioSource(kind="text"))


def test_calibrate_strength_knobs_cover_the_tunable_items() -> None:
    knobs = {k.item_id: k for k in tunable_knobs(parse_rubric(RUBRIC))}
    assert set(knobs) == {"hello", "all_of", "rude", "sorry", "turns", "mood"}
    assert (knobs["rude"].sign, knobs["rude"].option) == (-1.0, "threshold")
    assert (knobs["turns"].option, knobs["turns"].prior) == ("max", -4.0)
    assert knobs["mood"].option == "negative_below"


@pytest.mark.parametrize("turns", CALLS)
def test_calibrate_strength_agrees_with_the_detector(turns: list[tuple[str, str]]) -> None:
    rubric = parse_rubric(RUBRIC)
    knobs = tunable_knobs(rubric)
    call = _call(turns)
    score = score_call(call, rubric)
    strengths = item_strengths(call, rubric, knobs)
    for knob in knobs:
        status = score.item(knob.item_id).status
        strength = strengths[knob.item_id]
        if strength is None:
            assert status == "na", knob.item_id
        else:
            assert (strength >= knob.prior) == (status == "pass"), knob.item_id
