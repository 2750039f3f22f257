"""Scoring math: weights, n.a. left out, critical auto-fail, bands, flags, Score JSON."""

from __future__ import annotations

import json

import pytest

from qa_toolkit.rubric import Rubric, parse_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.types import Transcript, Utterance

RUBRIC = """\
schema: qa-toolkit/rubric@1
id: math
version: 7
bands: {excellent: 90, good: 75}
flag_below: 80
events:
  complaint: {detector: phrase, speaker: customer, any: [angry]}
sections:
  - id: a
    weight: 60
    items:
      - {id: hello, detector: phrase, speaker: agent, any: [hello], points: 5}
      - {id: verify, detector: phrase, speaker: agent, any: [verify], points: 15, critical: true}
  - id: b
    weight: 40
    items:
      - {id: sorry, detector: phrase, any: [sorry], points: 10, applies_if: {event: complaint}}
      - {id: bye, detector: phrase, speaker: agent, any: [bye], points: 10}
"""


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return parse_rubric(RUBRIC)


def make_call(*lines: str, call_id: str = "c1") -> Transcript:
    """A call from 'agent: text' / 'customer: text' lines, two seconds each."""
    utts = []
    for i, line in enumerate(lines):
        speaker, text = line.split(": ", 1)
        utts.append(Utterance(f"u{i}", speaker, 2.0 * i, 2.0 * i + 1.5, text))  # type: ignore[arg-type]
    return Transcript(call_id, tuple(utts))


def test_scoring_weights_and_na_left_out(rubric: Rubric) -> None:
    call = make_call("agent: hello, please verify your name", "customer: sure", "agent: thanks")
    score = score_call(call, rubric)
    assert score.item("sorry").status == "na"
    assert score.item("bye").status == "fail"
    # a: 20/20 = 100 %; b: 0/10 = 0 % (sorry is n.a.); 0.6 * 100 + 0.4 * 0.
    assert [s.score for s in score.sections] == [100.0, 0.0]
    assert score.score == pytest.approx(60.0)
    assert score.band == "poor"
    assert [f.kind for f in score.flags] == ["below_threshold"]


def test_scoring_section_with_only_na_items_gives_its_weight_away() -> None:
    rubric = parse_rubric(
        RUBRIC.replace(
            "      - {id: bye, detector: phrase, speaker: agent, any: [bye], points: 10}\n", ""
        )
    )
    score = score_call(make_call("agent: hello, verify please", "customer: ok"), rubric)
    assert score.sections[1].score is None
    assert score.score == 100.0 and score.band == "excellent" and not score.flags


def test_scoring_critical_failure_fails_the_call(rubric: Rubric) -> None:
    call = make_call("agent: hello", "customer: I am angry", "agent: sorry about that, bye")
    score = score_call(call, rubric)
    assert score.auto_failed
    assert score.raw_score == pytest.approx(0.6 * 25 + 0.4 * 100)
    assert score.score == 0.0 and score.band == "poor"
    kinds = [f.kind for f in score.flags]
    assert kinds == ["critical_failed", "below_threshold"]
    assert score.flags[0].reason.startswith("verify failed at 00:00: none of 'verify'")


def test_scoring_bands(rubric: Rubric) -> None:
    assert [rubric.band_for(s) for s in (100, 90, 89.9, 75, 74.9, 0)] == [
        "excellent",
        "excellent",
        "good",
        "good",
        "poor",
        "poor",
    ]


def test_scoring_to_dict_follows_the_score_json(rubric: Rubric) -> None:
    call = make_call("agent: hello, verify", "customer: I am angry", "agent: sorry", "agent: bye")
    data = score_call(call, rubric).to_dict()
    assert data["schema"] == "qa-toolkit/score@1"
    assert data["call_id"] == "c1"
    assert data["rubric"] == {"id": "math", "version": "7", "flag_below": 80.0}
    assert data["score"] == 100.0 and data["band"] == "excellent" and data["auto_failed"] is False
    item = data["items"][0]
    assert set(item) >= {"id", "section", "status", "points", "max_points", "critical", "evidence"}
    assert set(item["evidence"][0]) == {
        "utterance_id",
        "speaker",
        "start_s",
        "end_s",
        "quote",
        "reason",
    }
    assert data["flags"] == [] and data["root_causes"] == []
    assert data["features"]["turn_count"] == 4
    json.dumps(data)  # JSON-ready


def test_scoring_root_causes_list_points_lost(rubric: Rubric) -> None:
    data = score_call(make_call("agent: hi", "customer: ok"), rubric).to_dict()
    lost = [(r["item_id"], r["points_lost"]) for r in data["root_causes"]]
    assert lost == [("verify", 15.0), ("bye", 10.0), ("hello", 5.0)]


def test_scoring_is_deterministic(rubric: Rubric) -> None:
    call = make_call("agent: hello", "customer: angry!", "agent: sorry, verify, bye")
    first = json.dumps(score_call(call, rubric).to_dict(), sort_keys=True)
    assert all(
        json.dumps(score_call(call, rubric).to_dict(), sort_keys=True) == first for _ in range(3)
    )


def test_scoring_empty_transcript_is_scored_not_crashed(rubric: Rubric) -> None:
    score = score_call(Transcript("empty", ()), rubric)
    assert score.item("hello").status == "fail"
    assert "nothing was said there" in score.item("hello").evidence[0].reason
    assert "empty_transcript" in [f.kind for f in score.flags]


def test_scoring_one_speaker_is_flagged(rubric: Rubric) -> None:
    score = score_call(make_call("agent: hello, verify", "agent: bye"), rubric)
    assert score.item("sorry").status == "na"
    assert ("one_speaker", "only agent heard; roles may be wrong") in [
        (f.kind, f.reason) for f in score.flags
    ]


def test_scoring_features_given_override_computed(rubric: Rubric) -> None:
    score = score_call(make_call("agent: hello"), rubric, features={"turn_count": 99.0})
    assert dict(score.features)["turn_count"] == 99.0


def test_scoring_every_failed_item_has_evidence(rubric: Rubric) -> None:
    for call in (Transcript("e", ()), make_call("customer: angry"), make_call("agent: hi")):
        for item in score_call(call, rubric).items:
            assert item.evidence, item.item_id
