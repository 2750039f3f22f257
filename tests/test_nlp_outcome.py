"""The outcome estimate: how the call ended, from the customer's side and the agent's action."""

from __future__ import annotations

from qa_toolkit.nlp.behaviour import load_behaviour_model
from qa_toolkit.nlp.outcome import estimate_outcome
from qa_toolkit.rubric import load_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.features import compute_features
from qa_toolkit.scoring.types import Outcome
from qa_toolkit.store.records import score_from_body

from .behaviour_helpers import call
from .conftest import ROOT

SOLVED = call(
    "c: My parcel never arrived and I'm really annoyed.",
    "a: I'm so sorry. I have sent a replacement by express, it arrives tomorrow morning.",
    "c: Great, thank you so much, that solves it.",
    "a: You're welcome, have a lovely day.",
)
STUCK = call(
    "c: My parcel never arrived and I'm really annoyed.",
    "a: I have transferred the issue you fed back to relevant staff, please wait patiently.",
    "c: This is the third time, nobody ever calls me back. I want to speak to your manager.",
    "a: Please wait patiently.",
)


def _outcome(transcript):  # type: ignore[no-untyped-def]
    return estimate_outcome(transcript, load_behaviour_model(), compute_features(transcript))


def test_outcome_tells_a_solved_call_from_a_stuck_one() -> None:
    solved, stuck = _outcome(SOLVED), _outcome(STUCK)
    assert solved.resolved > 0.8 and solved.satisfaction > 0.5
    assert stuck.resolved < 0.2 and stuck.satisfaction < -1.0
    # The evidence quotes what moved it: the customer's thanks, the escalation demand.
    assert any("ends satisfied" in e.reason and e.utterance_id == "u0003" for e in solved.evidence)
    assert any("escalat" in e.reason for e in stuck.evidence)
    assert all(-2.0 <= o.satisfaction <= 2.0 for o in (solved, stuck))


def test_outcome_in_the_score_json_and_back_from_the_store() -> None:
    rubric = load_rubric(ROOT / "rubrics" / "default.yaml")
    score = score_call(STUCK, rubric)
    assert score.outcome is not None
    body = score.to_dict()
    assert 0 <= body["outcome"]["resolved"] <= 1 and "signals" in body["outcome"]
    back = score_from_body(body, {})
    assert isinstance(back.outcome, Outcome)
    assert back.outcome.resolved == round(score.outcome.resolved, 3)
    item = score.item("issue_resolved")
    assert item.status == "fail" and item.evidence[0].reason.startswith("estimated resolved ")
    assert score_call(SOLVED, rubric).item("issue_resolved").status == "pass"


def test_outcome_columns_in_the_store_and_exports(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from qa_toolkit.store import Store

    from .review_helpers import RUDE, add_call

    with Store(tmp_path / "qa.db") as store:
        add_call(store, "rude", text=RUDE)
        frame = store.scores()
    row = frame.set_index("call_id").loc["rude"]
    assert 0.0 <= row["outcome_resolved"] < 0.5 and -2.0 <= row["outcome_satisfaction"] < 0.0
