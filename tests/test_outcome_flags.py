"""Scores and flags that follow how the call ended: graded outcome items, likely_dissatisfied,
flag strengths kept in the store, and the priority in qa show, the web queue and the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_toolkit.errors import RubricError
from qa_toolkit.io.transcripts import parse_text_transcript
from qa_toolkit.review.flags import call_flags
from qa_toolkit.review.priority import priority_of
from qa_toolkit.rubric import parse_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.types import Flag
from qa_toolkit.store import Store

from .review_helpers import CHAT, RUDE, add_call, default_rubric, qa_group, store_at

GRADED = """schema: qa-toolkit/rubric@1
id: graded
version: 1
flag_dissatisfied_below: -1.0
sections:
  - id: outcome
    items:
      - id: resolved
        detector: outcome.v1
        measure: resolved
        min: 0.5
        graded: true
        full: 0.8
        points: 10
      - id: satisfied
        detector: outcome.v1
        measure: satisfaction
        min: 0
        graded: true
        points: 10
"""


def test_graded_outcome_items_earn_the_estimates_share_of_points() -> None:
    rubric = parse_rubric(GRADED, "graded.yaml")
    for text in (CHAT, RUDE):
        score = score_call(parse_text_transcript(text, call_id="c"), rubric)
        assert score.outcome is not None
        resolved, satisfied = score.item("resolved"), score.item("satisfied")
        assert resolved.value == pytest.approx(score.outcome.resolved)
        assert satisfied.value == pytest.approx(score.outcome.satisfaction)
        assert resolved.points == pytest.approx(
            round(10 * min(1.0, score.outcome.resolved / 0.8), 1)
        )
        assert satisfied.points == pytest.approx(
            round(10 * (score.outcome.satisfaction + 2) / 4, 1)
        )
        assert "graded:" in resolved.evidence[0].reason
        assert score.to_dict()["items"][0]["value"] == pytest.approx(resolved.value, abs=1e-4)
    good = score_call(parse_text_transcript(CHAT, call_id="good"), rubric)
    bad = score_call(parse_text_transcript(RUDE, call_id="bad"), rubric)
    # The score moves with the ending, not only across the pass marks.
    assert good.score > bad.score + 40
    assert not [f for f in good.flags if f.kind == "likely_dissatisfied"]
    flag = next(f for f in bad.flags if f.kind == "likely_dissatisfied")
    assert flag.strength is not None and 0.75 < flag.strength <= 1.0
    assert "below -1" in flag.reason and flag.to_dict()["strength"] == round(flag.strength, 3)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("full: 0.8", "full needs graded: true"),
        ("graded: true\n        full: 0", "above the scale's bottom"),
    ],
)
def test_graded_outcome_options_are_checked(options: str, message: str) -> None:
    text = GRADED.replace("graded: true\n        full: 0.8", options)
    with pytest.raises(RubricError) as caught:
        parse_rubric(text, "bad.yaml")
    assert any(message in str(p) for p in caught.value.problems)


def test_default_rubric_scores_follow_the_outcome() -> None:
    rubric = default_rubric()
    good = score_call(parse_text_transcript(CHAT, call_id="good"), rubric)
    bad = score_call(parse_text_transcript(RUDE, call_id="bad"), rubric)
    outcome = next(s for s in good.sections if s.section_id == "outcome")
    assert outcome.weight == 40
    assert good.item("customer_satisfied").status == "pass"
    assert bad.item("customer_satisfied").status == "fail"
    assert {"below_threshold", "likely_dissatisfied"} <= {f.kind for f in bad.flags}


def test_flag_strength_is_stored_and_read_back(tmp_path: Path) -> None:
    with store_at(tmp_path) as store:
        scored = add_call(store, "bad", text=RUDE)
        key = store.score_rows()[0].score_key
    expected = next(f for f in scored.flags if f.kind == "likely_dissatisfied")
    with Store(tmp_path / "qa.db") as store:
        read = {f.kind: f for f in call_flags(store, key)}
        assert read["likely_dissatisfied"].strength == pytest.approx(expected.strength)
        assert read["below_threshold"].strength is None
        frame = store.flags()
        row = frame[frame["kind"] == "likely_dissatisfied"].iloc[0]
        assert row["strength"] == pytest.approx(expected.strength)
        assert store.schema_version >= 3  # v3 added the strength; later versions keep it


def test_a_call_models_prediction_replaces_the_estimate_in_the_priority() -> None:
    below = [Flag("below_threshold", "score 40.0 is below 70")]
    low = [*below, Flag("low_predicted_rating", "predicted satisfaction -1.2 < 0", 0.6)]
    unhappy = priority_of(40.0, 0.05, -1.9, below)
    assert unhappy.reason.startswith("likely")
    # With a model, its prediction ranks the call: the estimate and the low score step aside.
    predicted_fine = priority_of(40.0, 0.05, -1.9, below, predicted_low=0.1)
    assert predicted_fine.value == pytest.approx(0.95 * 0.1, abs=1e-3)
    predicted_low = priority_of(40.0, 0.05, -1.9, low, predicted_low=0.8)
    assert predicted_low.value == pytest.approx(0.95 * 0.8, abs=1e-3)
    assert predicted_low.reason.startswith("predicted low rating (80% likely): predicted")
    # A low prediction flagged from outside a rubric counts by its strength.
    outside = priority_of(90.0, None, None, [Flag("low_predicted_rating", "low", 0.5)])
    assert outside.value == pytest.approx(0.95 * 0.5, abs=1e-3)


def test_qa_show_prints_the_priority_and_the_outcome(tmp_path: Path) -> None:
    with store_at(tmp_path) as store:
        add_call(store, "bad", text=RUDE)
    db = str(tmp_path / "qa.db")
    shown = CliRunner().invoke(qa_group(), ["show", "bad", "-s", db])
    assert shown.exit_code == 0, shown.output
    assert "  priority 0." in shown.stdout and "likely" in shown.stdout
    assert "outcome (estimated): resolved" in shown.stdout
    as_json = CliRunner().invoke(qa_group(), ["show", "bad", "-s", db, "--format", "json"])
    detail = json.loads(as_json.stdout)
    assert 0.5 < detail["priority"]["value"] <= 1.0 and detail["priority"]["reason"]
    assert detail["score"]["outcome"]["satisfaction"] < -1


def test_web_queue_ranks_by_priority_and_shows_the_outcome(tmp_path: Path) -> None:
    pytest.importorskip("flask", reason="pip install qa-toolkit[web]")
    from qa_toolkit.web import create_app

    with store_at(tmp_path) as store:
        add_call(store, "mild", text=CHAT.replace("Thank you.", "Okay, whatever."))
        add_call(store, "bad", text=RUDE)
        add_call(store, "zz-bad", text=RUDE.replace("useless", "a joke"))
    client = create_app(tmp_path / "qa.db").test_client()
    html = client.get("/").get_data(as_text=True)
    assert 'class="num priority"' in html
    flagged = [c for c in ("bad", "zz-bad", "mild") if f">{c}</a>" in html]
    positions = [html.index(f">{c}</a>") for c in flagged]
    assert positions == sorted(positions) and flagged[:2] == ["bad", "zz-bad"]
    by_score = client.get("/?sort=score&desc=1").get_data(as_text=True)
    assert by_score.index(">bad</a>") > 0
    page = client.get("/call/bad").get_data(as_text=True)
    assert 'id="outcome"' in page and 'id="priority"' in page and "(−2..2)" in page


def test_report_table_puts_the_calls_most_worth_hearing_first(tmp_path: Path) -> None:
    from qa_toolkit.report import write_report

    with store_at(tmp_path) as store:
        add_call(store, "good")
        add_call(store, "bad", text=RUDE)
    with Store(tmp_path / "qa.db") as store:
        index = write_report(store, tmp_path / "report", date="2026-11-21")
        html = index.read_text("utf-8")
        page = (tmp_path / "report" / "calls").glob("bad*.html")
        call_html = next(page).read_text("utf-8")
    assert ">priority</th>" in html and ">satisfaction</th>" in html
    table = html[html.index('<th data-sort="text">call</th>') :]
    assert table.index(">bad</a>") < table.index(">good</a>")
    assert "resolved (estimated)" in call_html
