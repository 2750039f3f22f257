"""Complaint hotspots: per contact reason, how many call, how it changed, and how it went.

For each topic of a period, beside the period before it (the same number of days just
before): volume and share of the calls, the change in both, the share of dissatisfied
customers (estimated satisfaction below 0, or the ``likely_dissatisfied`` flag), the mean
score, and the escalation rate (calls where the customer asked for a supervisor or to
complain: the ``escalation`` risk event of the stored features).

A topic is *rising* when its share grew by a two-proportion z-test at the 5% level
(z ≥ 1.96) and it has at least ``min_calls`` calls now: a topic going from 1 call to 3
doubles without meaning anything.

Example:
    >>> report = hotspots("qa.db", since="2026-11-15", until="2026-11-21")  # doctest: +SKIP
    >>> [(h.topic_id, h.calls, h.rising) for h in report.rows][:3]
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa_toolkit.review.workflow import StoreLike, opened
from qa_toolkit.store import topics as topic_sql
from qa_toolkit.topics.period import CallFacts, Period, facts_now_and_before, mean, share

UNASSIGNED = "(none)"
MIN_CALLS = 5
_Z_RISING = 1.96


@dataclass(frozen=True, slots=True)
class Hotspot:
    """One topic over the period, beside the period before (``previous_*``)."""

    topic_id: str
    name: Mapping[str, str]
    calls: int
    share: float
    previous_calls: int
    previous_share: float
    dissatisfied_share: float | None
    mean_score: float | None
    escalation_rate: float | None
    z: float | None
    rising: bool

    @property
    def change(self) -> int:
        """Calls now minus calls in the period before."""
        return self.calls - self.previous_calls

    @property
    def share_change(self) -> float:
        """Share now minus share before (percentage points / 100)."""
        return self.share - self.previous_share


@dataclass(frozen=True, slots=True)
class HotspotReport:
    """The hotspots of a period, most calls first."""

    period: Period
    previous: Period
    calls: int
    previous_calls: int
    rows: tuple[Hotspot, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "period": {"since": self.period.since, "until": self.period.until},
            "previous": {"since": self.previous.since, "until": self.previous.until},
            "calls": self.calls, "previous_calls": self.previous_calls,
            "topics": [
                {"id": h.topic_id, "name": dict(h.name), "calls": h.calls,
                 "share": round(h.share, 4), "previous_calls": h.previous_calls,
                 "previous_share": round(h.previous_share, 4), "change": h.change,
                 "share_change": round(h.share_change, 4),
                 "dissatisfied_share": _round(h.dissatisfied_share),
                 "mean_score": _round(h.mean_score, 2),
                 "escalation_rate": _round(h.escalation_rate), "z": _round(h.z, 2),
                 "rising": h.rising}
                for h in self.rows
            ],
        }  # fmt: skip


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def hotspot_rows(
    now: Sequence[CallFacts],
    before: Sequence[CallFacts],
    names: Mapping[str, Mapping[str, str]],
    *,
    min_calls: int = MIN_CALLS,
) -> list[Hotspot]:
    """Hotspots from the calls of two periods (see :func:`hotspots`)."""
    groups: dict[str, list[CallFacts]] = defaultdict(list)
    for fact in now:
        groups[fact.topic_id or UNASSIGNED].append(fact)
    earlier: dict[str, int] = defaultdict(int)
    for fact in before:
        earlier[fact.topic_id or UNASSIGNED] += 1
    total, previous_total = len(now), len(before)
    rows = []
    for topic in sorted(set(groups) | set(earlier)):
        calls = groups.get(topic, [])
        z = _z(len(calls), total, earlier[topic], previous_total)
        rows.append(Hotspot(
            topic, names.get(topic, {"en": topic, "zh": topic}), len(calls),
            len(calls) / total if total else 0.0, earlier[topic],
            earlier[topic] / previous_total if previous_total else 0.0,
            share([c.dissatisfied for c in calls]), mean([c.score for c in calls]),
            share([c.escalated for c in calls]), z,
            z is not None and z >= _Z_RISING and len(calls) >= min_calls
            and topic != UNASSIGNED,
        ))  # fmt: skip
    return sorted(rows, key=lambda h: (-h.calls, h.topic_id))


def _z(now: int, total: int, before: int, previous_total: int) -> float | None:
    """Two-proportion z statistic of the share now against the share before."""
    if not total or not previous_total:
        return None
    pooled = (now + before) / (total + previous_total)
    spread = math.sqrt(pooled * (1 - pooled) * (1 / total + 1 / previous_total))
    if spread == 0:
        return None
    return (now / total - before / previous_total) / spread


def topic_names(store: StoreLike) -> dict[str, dict[str, str]]:
    """Topic id → its name in each language, as stored."""
    with opened(store) as st:
        return {t.topic_id: dict(t.name) for t in topic_sql.topic_rows(st.conn)}


def hotspots(
    store: StoreLike,
    *,
    since: str | None = None,
    until: str | None = None,
    days: int = 7,
    min_calls: int = MIN_CALLS,
) -> HotspotReport:
    """The complaint hotspots of a period (the ``days`` up to the last call by default).

    Raises:
        UsageError: a bad day, or a store without calls.
    """
    with opened(store) as st:
        chosen, now, before = facts_now_and_before(st, since, until, days)
        names = topic_names(st)
    rows = hotspot_rows(now, before, names, min_calls=min_calls)
    return HotspotReport(chosen, chosen.previous(), len(now), len(before), tuple(rows))


__all__ = ["Hotspot", "HotspotReport", "hotspot_rows", "hotspots", "topic_names"]
