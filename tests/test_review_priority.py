"""The review priority: the queue ranks flagged calls by severity × confidence, within a budget."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_toolkit.cli.review import flagged_command
from qa_toolkit.errors import UsageError
from qa_toolkit.review import FlagRules, flag_calls, review_queue
from qa_toolkit.review.priority import review_priority
from qa_toolkit.scoring.types import Flag, Outcome
from qa_toolkit.store import Store

from .review_helpers import CHAT, RUDE, add_call, default_rubric


def test_priority_takes_the_strongest_reason() -> None:
    from qa_toolkit.io.transcripts import parse_text_transcript
    from qa_toolkit.scoring import score_call

    score = score_call(parse_text_transcript(CHAT, call_id="c"), default_rubric())
    low = replace(score, score=50.0, outcome=Outcome(0.9, 1.5, (), ()))
    below = (Flag("below_threshold", "score 50.0 is below 70"),)
    assert review_priority(low, below).reason == "low score: 50.0"
    # Low score 0.35, a likely-happy outcome 0.9 × 0.125, combined as independent evidence.
    assert review_priority(low, below).value == pytest.approx(
        1 - 0.65 * (1 - 0.9 * 0.125), abs=1e-3
    )
    unhappy = replace(low, outcome=Outcome(0.1, -1.8, (), ()))
    rank = review_priority(unhappy, below)
    assert rank.reason.startswith("likely dissatisfied")
    assert rank.value == pytest.approx(1 - 0.65 * (1 - 0.9 * 0.95), abs=1e-3)
    assert rank.value > review_priority(low, below).value
    critical = (*below, Flag("critical_failed", "identity_verified failed at 00:12"))
    assert review_priority(unhappy, critical).value == 1.0


def test_review_queue_ranks_and_keeps_the_sample_within_a_budget(tmp_path: Path) -> None:
    path = tmp_path / "qa.db"
    with Store(path) as store:
        add_call(store, "polite", hour=8)
        add_call(store, "rude", text=RUDE, hour=9)
        add_call(store, "rude2", text=RUDE.replace("useless", "a joke"), hour=10)
    flag_calls(path, FlagRules(sample_rate=1.0, seed=3))  # every unflagged call is sampled
    entries = review_queue(path)
    assert {e.call_id for e in entries} == {"polite", "rude", "rude2"}
    assert entries[0].call_id.startswith("rude") and entries[0].priority >= 0.8
    assert [e.priority for e in entries] == sorted((e.priority for e in entries), reverse=True)
    assert all(e.priority_reason for e in entries)
    # A budget of one call: the top priority, and the random sample on top of it.
    within = review_queue(path, budget=1)
    assert [e.call_id for e in within][0] == entries[0].call_id
    assert {e.call_id for e in within} == {entries[0].call_id, "polite"}
    assert len(review_queue(path, budget=0.34)) == 2  # a share of the 3 scored calls: 1, + sample
    for bad in (0, -3, 2.5):
        with pytest.raises(UsageError):
            review_queue(path, budget=bad)


def test_flagged_cli_budget_errors_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "qa.db"
    with Store(path) as store:
        add_call(store, "rude", text=RUDE)
    ok = CliRunner().invoke(flagged_command, ["--store", str(path), "--review-budget", "0.5"])
    assert ok.exit_code == 0 and "rude" in ok.output and "prio" in ok.output
    bad = CliRunner().invoke(flagged_command, ["--store", str(path), "--review-budget", "0"])
    assert bad.exit_code == 2 and "selects no call" in bad.output
