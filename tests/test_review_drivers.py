"""Drivers: a planted effect is recovered, a planted null stays inside its interval."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from qa_toolkit.errors import UsageError
from qa_toolkit.review.drivers import CallRow, analyse_drivers, drivers_from_rows

from .review_helpers import RUDE, add_call, store_at


def _synthetic(n: int = 300, seed: int = 1) -> list[CallRow]:
    rng = random.Random(seed)
    rows = []
    for k in range(n):
        empathy = rng.random() < 0.3  # planted: failing it costs 15 points
        noise_item = rng.random() < 0.4  # planted null
        duration = rng.uniform(60, 900)
        score = 85 - (15 if empathy else 0) - duration / 100 + rng.gauss(0, 5)
        failed = frozenset({"empathy"} if empathy else set()) | (
            {"closing"} if noise_item else set())  # fmt: skip
        lost = tuple(sorted((i, 5.0) for i in failed))
        rows.append(CallRow(f"c{k}", rng.choice(["a", "b"]), score, score < 65, duration,
                            rng.randrange(24), failed, frozenset(), lost))  # fmt: skip
    return rows


def test_review_drivers_recover_a_planted_effect_and_a_null() -> None:
    report = drivers_from_rows(_synthetic(), "team", seed=2)
    effects = {e.factor: e for e in report.effects}
    empathy, closing = effects["failed:empathy"], effects["failed:closing"]
    assert empathy.ci_low < -15 < empathy.ci_high and empathy.ci_high < -10
    assert empathy.adjusted == pytest.approx(-15, abs=2.5)
    assert empathy.dissat_diff is not None and empathy.dissat_diff > 0.3
    assert closing.ci_low < 0 < closing.ci_high
    assert effects["off_hours"].ci_low < 0 < effects["off_hours"].ci_high
    assert report.effects[0].factor == "failed:empathy"
    assert report.pareto[-1][2] == pytest.approx(1.0)
    assert {g.group for g in report.groups} == {"a", "b"}


def test_review_drivers_read_from_the_store(tmp_path: Path) -> None:
    with store_at(tmp_path) as store:
        for n in range(4):
            add_call(store, f"ok{n}", hour=10)
            add_call(store, f"bad{n}", text=RUDE, hour=22, team="night")
        report = analyse_drivers(store, by="hour")
        assert report.calls == 8 and {g.group for g in report.groups} == {"10", "22"}
        assert any(e.factor == "off_hours" and e.diff < 0 for e in report.effects)
        with pytest.raises(UsageError, match="cannot group by"):
            analyse_drivers(store, by="weekday")
