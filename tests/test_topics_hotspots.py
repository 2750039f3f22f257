"""Complaint hotspots: each topic's volume and outcomes against the previous period; rising
topics by a two-proportion test; periods."""

from __future__ import annotations

import pytest

from qa_toolkit.errors import UsageError
from qa_toolkit.topics.hotspots import hotspot_rows
from qa_toolkit.topics.period import CallFacts, Period, period


def _fact(
    n: int,
    topic: str,
    *,
    day: str = "2026-11-21",
    score: float = 80.0,
    satisfaction: float | None = 0.5,
    escalated: bool | None = False,
) -> CallFacts:
    return CallFacts(f"c{day}{n}", day, 10, "care", "a1", "q", "voice", topic, score,
                     satisfaction, None if satisfaction is None else satisfaction < 0, escalated,
                     300.0, 2.0, 0.0)  # fmt: skip


def _mix(day: str, counts: dict[str, int], **unhappy: bool) -> list[CallFacts]:
    out: list[CallFacts] = []
    for topic, count in counts.items():
        bad = unhappy.get(topic, False)
        out += [_fact(len(out), topic, day=day, score=55.0 if bad else 85.0,
                      satisfaction=-1.0 if bad else 1.0, escalated=bad and k % 2 == 0)
                for k in range(count)]  # fmt: skip
    return out


def test_topics_hotspots_change_against_the_previous_period() -> None:
    before = _mix("2026-11-14", {"billing": 4, "network": 30, "": 6})
    now = _mix("2026-11-21", {"billing": 16, "network": 20, "refund": 2, "": 2}, billing=True)
    rows = {h.topic_id: h for h in hotspot_rows(now, before, {"billing": {"en": "Bills"}})}
    billing = rows["billing"]
    assert (billing.calls, billing.previous_calls, billing.change) == (16, 4, 12)
    assert billing.share == pytest.approx(0.4) and billing.previous_share == pytest.approx(0.1)
    assert billing.share_change == pytest.approx(0.3)
    assert billing.dissatisfied_share == 1.0 and billing.mean_score == 55.0
    assert billing.escalation_rate == pytest.approx(0.5)
    assert billing.z is not None and billing.z > 1.96 and billing.rising
    assert billing.name == {"en": "Bills"}
    assert not rows["network"].rising and rows["network"].change == -10
    assert rows["network"].dissatisfied_share == 0.0
    # Too few calls to call it a trend, however it grew.
    assert rows["refund"].previous_calls == 0 and not rows["refund"].rising
    assert rows["(none)"].calls == 2 and not rows["(none)"].rising
    # Most calls first.
    assert [h.topic_id for h in hotspot_rows(now, before, {})][:2] == ["network", "billing"]


def test_topics_hotspots_unknown_outcomes_stay_unknown() -> None:
    now = [_fact(n, "billing", satisfaction=None, escalated=None) for n in range(3)]
    row = hotspot_rows(now, [], {})[0]
    assert row.dissatisfied_share is None and row.escalation_rate is None
    assert row.z is None and not row.rising and row.previous_share == 0.0


def test_topics_periods() -> None:
    week = period(None, None, "2026-11-21", 7)
    assert week == Period("2026-11-15", "2026-11-21") and week.days == 7
    assert week.previous() == Period("2026-11-08", "2026-11-14")
    assert Period("2026-11-21", "2026-11-21").previous().each_day() == ["2026-11-20"]
    assert str(week) == "2026-11-15 to 2026-11-21"
    with pytest.raises(UsageError, match="is not a day"):
        period("2026-13-01", None, "2026-11-21")
    with pytest.raises(UsageError, match="starts"):
        period("2026-11-22", "2026-11-21", None)
    with pytest.raises(UsageError, match="no calls"):
        period(None, None, None)
