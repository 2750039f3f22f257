"""``behaviour.v1`` in rubrics: any, none, steps, unless, pattern, or_feature, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_toolkit.errors import RubricError
from qa_toolkit.rubric import Rubric, parse_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.types import CallScore

from .behaviour_helpers import call, keyword_model

HEAD = """schema: qa-toolkit/rubric@1
id: t
version: 1
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return keyword_model(tmp_path_factory.mktemp("model") / "kw.json")


def _rubric(model: Path, body: str) -> Rubric:
    text = HEAD + body.replace("MODEL", str(model))
    return parse_rubric(text, origin="t.yaml")


def _status(score: CallScore, item: str) -> str:
    return score.item(item).status


def test_behaviour_any_passes_on_the_first_utterance_and_quotes_the_sentence(model: Path) -> None:
    rubric = _rubric(
        model,
        """
events:
  complaint: {detector: behaviour.v1, speaker: customer, any: [complaint], model: MODEL}
sections:
  - id: s
    items:
      - {id: apology, detector: behaviour.v1, speaker: agent, points: 5, model: MODEL,
         applies_if: {event: complaint}, window: {after: complaint}, any: [apology]}
""",
    )
    good = score_call(call("c: My phone is broken.", "a: Hello. I am so sorry to hear it."), rubric)
    item = good.item("apology")
    assert item.status == "pass"
    assert item.evidence[0].utterance_id == "u0002"
    assert "apology (apologises), p=1.00" in item.evidence[0].reason
    assert "'I am so sorry to hear it.'" in item.evidence[0].reason  # the deciding sentence
    bad = score_call(call("c: My phone is broken.", "a: Hello. What is the model?"), rubric)
    assert _status(bad, "apology") == "fail"
    assert "no utterance showing apology" in bad.item("apology").evidence[0].reason
    calm = score_call(call("c: I have a question.", "a: Hello."), rubric)
    assert _status(calm, "apology") == "na"


def test_behaviour_none_fails_on_each_utterance_that_shows_it(model: Path) -> None:
    rubric = _rubric(
        model,
        """
sections:
  - id: s
    items:
      - {id: no_blaming, detector: behaviour.v1, speaker: agent, points: 5, model: MODEL,
         none: [blaming]}
""",
    )
    rude = score_call(call("c: Hi.", "a: That is your fault.", "a: Also your fault."), rubric)
    assert _status(rude, "no_blaming") == "fail"
    assert [e.utterance_id for e in rude.item("no_blaming").evidence] == ["u0002", "u0003"]
    fine = score_call(call("c: Hi.", "a: Hello."), rubric)
    assert _status(fine, "no_blaming") == "pass"


def test_behaviour_steps_in_order_and_unless(model: Path) -> None:
    rubric = _rubric(
        model,
        """
sections:
  - id: s
    items:
      - id: soothing
        detector: behaviour.v1
        speaker: agent
        model: MODEL
        points: 10
        steps:
          - {id: acknowledge, any: [acknowledge, apology]}
          - {id: restate, any: [restate]}
          - {id: solve, any: [action]}
      - {id: solution, detector: behaviour.v1, speaker: agent, points: 10, model: MODEL,
         any: [action], unless: [deflection]}
""",
    )
    ordered = call("c: It is broken again.", "a: Sorry, that is frustrating.",
                   "a: So the screen died?", "a: I have booked a repair.")  # fmt: skip
    score = score_call(ordered, rubric)
    assert _status(score, "soothing") == "pass"
    assert [e.reason.split(":")[0] for e in score.item("soothing").evidence] == [
        "step acknowledge", "step restate", "step solve"]  # fmt: skip
    wrong_order = call("c: It is broken.", "a: I have booked a repair.", "a: Sorry.", "a: So?")
    missing = score_call(wrong_order, rubric).item("soothing")
    assert missing.status == "fail" and "step solve" in missing.evidence[-1].reason
    # An utterance that reads more as a deflection than as an action does not count.
    passed_on = score_call(call("c: Hi.", "a: Refunded by the department department."), rubric)
    assert _status(passed_on, "solution") == "fail"
    assert "not counted: reads as deflection" in passed_on.item("solution").evidence[1].reason


def test_behaviour_pattern_and_feature_conditions(model: Path) -> None:
    rubric = _rubric(
        model,
        """
events:
  change: {detector: behaviour.v1, speaker: agent, any: [action], model: MODEL,
           pattern: ["\\\\brefund"], exclude: ["\\\\byou can\\\\b"]}
  hold: {detector: behaviour.v1, speaker: agent, any: [hold_request], model: MODEL,
         or_feature: {name: hold_count, min: 1}}
sections:
  - id: s
    items:
      - {id: after_change, detector: behaviour.v1, speaker: agent, points: 5, model: MODEL,
         applies_if: {event: change}, any: [greeting]}
      - {id: after_hold, detector: behaviour.v1, speaker: agent, points: 5, model: MODEL,
         applies_if: {event: hold}, any: [greeting]}
""",
    )
    refund = score_call(call("c: Hi.", "a: Hello, I have refunded the fee."), rubric)
    assert _status(refund, "after_change") == "pass"
    booking = score_call(call("c: Hi.", "a: Hello, I have booked it."), rubric)
    assert _status(booking, "after_change") == "na"  # an action, but not on the pattern
    self_service = score_call(call("c: Hi.", "a: Hello, you can get it refunded online."), rubric)
    assert _status(self_service, "after_change") == "na"
    # A 40 s silence with no words is still a hold: the timing says so.
    silent = call("c: Hi.", "a: Hello.")
    gap = type(silent)(silent.call_id, (silent.utterances[0],
                       type(silent.utterances[1])("u0002", "agent", 45.0, 48.0, "Hello.")),
                       "en", duration_s=48.0)  # fmt: skip
    assert _status(score_call(gap, rubric), "after_hold") == "pass"
    assert _status(score_call(call("c: Hi.", "a: Hello."), rubric), "after_hold") == "na"


def test_behaviour_unknown_name_lists_the_valid_ones_with_position(model: Path) -> None:
    with pytest.raises(RubricError) as error:
        _rubric(
            model,
            """
sections:
  - id: s
    items:
      - {id: a, detector: behaviour.v1, points: 5, any: [apologie]}
""",
        )
    text = str(error.value)
    assert text.startswith("t.yaml:8:")
    assert "unknown behaviour 'apologie'; did you mean 'apology'?" in text
    assert "valid: greeting, self_intro" in text


def test_behaviour_options_reject_mixed_modes(model: Path) -> None:
    with pytest.raises(RubricError, match="give exactly one of any, none, steps"):
        _rubric(
            model,
            """
sections:
  - id: s
    items:
      - {id: a, detector: behaviour.v1, points: 5, any: [apology], none: [blaming]}
""",
        )
    with pytest.raises(RubricError, match="unless goes with any"):
        _rubric(
            model,
            """
sections:
  - id: s
    items:
      - {id: a, detector: behaviour.v1, points: 5, none: [blaming], unless: [apology]}
""",
        )


def test_behaviour_strength_is_the_probability_for_calibration(model: Path) -> None:
    from qa_toolkit.calibrate.strength import item_strengths, tunable_knobs

    rubric = _rubric(
        model,
        """
sections:
  - id: s
    items:
      - {id: apology, detector: behaviour.v1, speaker: agent, points: 5, model: MODEL,
         any: [apology]}
      - {id: no_blaming, detector: behaviour.v1, speaker: agent, points: 5, model: MODEL,
         none: [blaming], threshold: 0.6}
      - {id: solution, detector: behaviour.v1, speaker: agent, points: 5, model: MODEL,
         any: [action], unless: [deflection]}
""",
    )
    knobs = {k.item_id: k for k in tunable_knobs(rubric)}
    assert set(knobs) == {"apology", "no_blaming"}  # `unless` is not a single threshold
    assert knobs["apology"].current == 0.5 and knobs["no_blaming"].sign == -1
    strengths = item_strengths(call("c: Hi.", "a: So sorry.", "a: Your fault."), rubric,
                               tuple(knobs.values()))  # fmt: skip
    assert strengths["apology"] is not None and strengths["apology"] > 0.99
    assert strengths["no_blaming"] is not None and strengths["no_blaming"] < -0.99


def test_text_transcripts_count_turns_in_windows_and_evidence(model: Path) -> None:
    from qa_toolkit.io.transcripts import parse_text_transcript

    rubric = _rubric(
        model,
        """
sections:
  - id: s
    items:
      - {id: greeting, detector: behaviour.v1, speaker: agent, points: 5, model: MODEL,
         window: {first_s: 10}, any: [greeting]}
""",
    )
    # Stamps say the greeting came at 00:05, but a text transcript's times are estimates:
    # first 10 s means its first 2 turns, and the evidence names the turn.
    late = "[00:00] customer: Hi.\n[00:02] agent: One sec.\n[00:05] agent: Hello there.\n"
    score = score_call(parse_text_transcript(late, call_id="late"), rubric)
    item = score.item("greeting")
    assert item.status == "fail" and "(text: first 2 turns)" in item.evidence[0].reason
    assert not score.timed and item.evidence[0].where(score.timed) == "turn 2"
