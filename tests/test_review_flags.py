"""Review flag rules: risk events, team outliers (leave-one-out) and the seeded random sample."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from qa_toolkit.errors import UsageError
from qa_toolkit.review import (
    FlagRules,
    TeamScore,
    flag_calls,
    in_sample,
    outlier_flags,
    review_queue,
)
from qa_toolkit.review.flags import risk_flags

from .review_helpers import add_call, store_at


def _team(scores: list[float], team: str = "t", version: str = "1") -> list[TeamScore]:
    return [TeamScore(f"k{n}", f"c{n}", team, "r", version, s) for n, s in enumerate(scores)]


def test_review_flags_outlier_two_sd_below_the_rest_of_the_team() -> None:
    rows = _team([80, 82, 78, 81, 79, 40])
    found = outlier_flags(rows)
    assert list(found) == ["k5"]
    assert "SD below team t's mean 80.0" in found["k5"].reason


def test_review_flags_outlier_needs_enough_peers_and_same_rubric() -> None:
    assert outlier_flags(_team([80, 82, 78, 40])) == {}  # 3 others < 5
    mixed = _team([80, 82, 78, 81, 79]) + _team([40], version="2")
    assert outlier_flags(mixed) == {}
    assert outlier_flags(_team([80, 82, 78, 81, 79, 40], team="")) == {}
    # Just above the line is not an outlier: mean 80, SD of the others ~1.58.
    assert outlier_flags(_team([80, 82, 78, 81, 79, 77])) == {}


def test_review_flags_sample_is_seeded_unbiased_and_order_free() -> None:
    ids = [f"call-{n}" for n in range(20000)]
    picked = [c for c in ids if in_sample(c, 0.05, seed=3)]
    assert 0.045 < len(picked) / len(ids) < 0.055
    assert picked == [c for c in reversed(ids) if in_sample(c, 0.05, seed=3)][::-1]
    assert picked != [c for c in ids if in_sample(c, 0.05, seed=4)]
    assert not any(in_sample(c, 0.0, seed=3) for c in ids[:100])
    assert all(in_sample(c, 1.0, seed=3) for c in ids[:100])


def test_review_flags_rules_reject_bad_settings() -> None:
    with pytest.raises(UsageError, match="sample rate"):
        FlagRules(sample_rate=5)


def test_review_flags_risk_events_and_negative_end() -> None:
    body = {
        "values": {"customer_sentiment_end": -0.8},
        "details": {"risk_events": [
            {"kind": "escalation", "start_s": 65.0, "reason": "asks for a supervisor"},
            {"kind": "escalation", "start_s": 90.0, "reason": "again"},
            {"kind": "blame", "start_s": 10.0, "reason": "blames"},
        ]},
    }  # fmt: skip
    flags = risk_flags(body)
    assert [f.kind for f in flags] == ["risk_escalation", "negative_end"]
    assert flags[0].reason.startswith("at 01:05")
    assert risk_flags({"values": {"customer_sentiment_end": 0.1}}) == ()


def test_review_flags_stored_run_samples_only_unflagged_calls(tmp_path: Path) -> None:
    with store_at(tmp_path) as store:
        good = add_call(store, "good0")
        for n in range(1, 8):
            add_call(store, f"good{n}", score=dataclasses.replace(good, call_id=f"good{n}"))
        add_call(store, "risky", score=dataclasses.replace(good, call_id="risky"),
                 features={"values": {}, "details": {"risk_events": [
                     {"kind": "cancel", "start_s": 3.0, "reason": "cancel"}]}})  # fmt: skip
        run = flag_calls(store, FlagRules(sample_rate=1.0, seed=9))
        assert (run.calls, run.flagged, run.sampled) == (9, 9, 8)
        kinds = {e.call_id: [f.kind for f in e.flags] for e in review_queue(store)}
        assert kinds["risky"] == ["risk_cancel"]
        assert kinds["good3"] == ["sample"]
        row = store.conn.execute("SELECT sample_rate, seed FROM flag_runs").fetchone()
        assert tuple(row) == (1.0, 9)
        assert {e.call_id for e in review_queue(store, kinds=["risk_cancel"])} == {"risky"}
