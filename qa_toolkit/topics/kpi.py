"""The service KPIs of a period beside the period before: what a contact centre is run on.

- **FCR**: share of calls not followed by a repeat contact about the same reason
  (:mod:`qa_toolkit.topics.fcr`);
- **escalation rate**: share of calls where the customer asked for a supervisor or to
  complain (the ``escalation`` risk event);
- **estimated satisfaction**: the mean outcome estimate (−2..2), and the share of customers
  likely dissatisfied;
- **average handle time**: the mean call length (talk and hold; after-call work is not seen);
- **first-response latency**: the mean time from the customer's first turn to the agent's reply;
- **hold time**: the mean time on hold per call;
- volume by hour and by channel, and the topic table (:mod:`qa_toolkit.topics.hotspots`).

Each figure comes with its value per day over both periods, for a chart.

Example:
    >>> report = kpi_report("qa.db", since="2026-11-15", until="2026-11-21")  # doctest: +SKIP
    >>> [(k.key, k.value, k.previous) for k in report.kpis]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from qa_toolkit.review.workflow import StoreLike, opened
from qa_toolkit.store import topics as topic_sql
from qa_toolkit.topics.fcr import (
    DEFAULT_WINDOW_DAYS,
    ContactCall,
    FcrGroup,
    RepeatLink,
    fcr_by,
    link_repeats,
    moment,
)
from qa_toolkit.topics.hotspots import Hotspot, hotspot_rows, topic_names
from qa_toolkit.topics.period import CallFacts, Period, facts_now_and_before, mean, share


@dataclass(frozen=True, slots=True)
class Kpi:
    """One KPI now and in the period before, and its value on each day of both.

    ``better`` says which way is good (``up`` or ``down``); ``unit`` is ``%`` (a share
    0..1, shown as a percentage), ``s`` (seconds) or ``""``.
    """

    key: str
    label: str
    value: float | None
    previous: float | None
    unit: str
    better: str
    daily: tuple[tuple[str, float | None], ...] = ()

    @property
    def change(self) -> float | None:
        """Now minus before (None when either is unknown)."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def improved(self) -> bool | None:
        """Whether the change goes the good way (None without a change)."""
        if not self.change:
            return None
        return (self.change > 0) == (self.better == "up")


@dataclass(frozen=True, slots=True)
class KpiReport:
    """The KPIs of a period and the period before, with volume, FCR groups and topics."""

    period: Period
    previous: Period
    calls: int
    previous_calls: int
    kpis: tuple[Kpi, ...]
    by_hour: tuple[tuple[int, int], ...]  # (calls now, calls before) per hour 0..23
    by_channel: tuple[tuple[str, int, int], ...]
    topics: tuple[Hotspot, ...]
    fcr_open: int
    fcr_by_team: tuple[FcrGroup, ...]
    fcr_by_agent: tuple[FcrGroup, ...]
    fcr_by_topic: tuple[FcrGroup, ...]
    repeats: tuple[RepeatLink, ...] = ()

    def kpi(self, key: str) -> Kpi:
        """A KPI by key.

        Raises:
            KeyError: no such KPI.
        """
        for found in self.kpis:
            if found.key == key:
                return found
        raise KeyError(key)


_MEASURES: tuple[tuple[str, str, str, str, Callable[[Sequence[CallFacts]], float | None]], ...] = (
    ("escalation", "Escalation rate", "%", "down", lambda c: share([f.escalated for f in c])),
    ("satisfaction", "Estimated satisfaction (−2..2)", "", "up",
     lambda c: mean([f.satisfaction for f in c])),
    ("dissatisfied", "Likely dissatisfied", "%", "down",
     lambda c: share([f.dissatisfied for f in c])),
    ("handle", "Average handle time", "s", "down", lambda c: mean([f.handle_s for f in c])),
    ("first_response", "First-response latency", "s", "down",
     lambda c: mean([f.first_response_s for f in c])),
    ("hold", "Hold time per call", "s", "down", lambda c: mean([f.hold_s for f in c])),
    ("score", "Mean QA score", "", "up", lambda c: mean([f.score for f in c])),
)  # fmt: skip


def kpi_report(
    store: StoreLike,
    *,
    since: str | None = None,
    until: str | None = None,
    days: int = 7,
    window_days: float = DEFAULT_WINDOW_DAYS,
) -> KpiReport:
    """The KPIs of a period (the ``days`` up to the last call by default) and the one before.

    Raises:
        UsageError: a bad day, or a store without calls.
    """
    with opened(store) as st:
        chosen, now, earlier = facts_now_and_before(st, since, until, days)
        before = chosen.previous()
        names = topic_names(st)
        horizon = datetime.fromisoformat(chosen.until) + timedelta(days=window_days + 1)
        contacts = topic_sql.contact_rows(st.conn, before.since, horizon.date().isoformat())
    return build_report(chosen, now, earlier, contacts, names, window_days=window_days)


def build_report(
    chosen: Period,
    now: Sequence[CallFacts],
    earlier: Sequence[CallFacts],
    contacts: Sequence[topic_sql.ContactRow],
    names: dict[str, dict[str, str]],
    *,
    window_days: float = DEFAULT_WINDOW_DAYS,
) -> KpiReport:
    """The report from calls already read (see :func:`kpi_report`)."""
    before = chosen.previous()
    calls = [c for c in (_contact(r) for r in contacts) if c is not None]
    links = link_repeats(calls, window_days=window_days)
    days = {r.call_id: r.call_date for r in contacts}
    in_now = [c for c in calls if chosen.since <= days[c.call_id] <= chosen.until]
    last = max((c.at for c in calls), default=None)
    fcr_all = fcr_by(in_now, links, lambda c: "all", window_days=window_days, seen_until=last)
    kpis = [_fcr_kpi(calls, days, links, chosen, before, window_days, last)]
    series = _by_day(list(earlier) + list(now), [*before.each_day(), *chosen.each_day()])
    for key, label, unit, better, measure in _MEASURES:
        daily = tuple((day, measure(facts)) for day, facts in series)
        kpis.append(Kpi(key, label, measure(now), measure(earlier), unit, better, daily))
    volume = tuple((day, float(len(facts))) for day, facts in series)
    kpis.insert(0, Kpi("calls", "Calls", float(len(now)), float(len(earlier)), "", "none",
                       volume))  # fmt: skip
    hours_now = Counter(f.hour for f in now if f.hour is not None)
    hours_before = Counter(f.hour for f in earlier if f.hour is not None)
    channels_now, channels_before = Counter(f.channel for f in now), Counter(
        f.channel for f in earlier)  # fmt: skip
    return KpiReport(
        chosen, before, len(now), len(earlier), tuple(kpis),
        tuple((hours_now[h], hours_before[h]) for h in range(24)),
        tuple((ch, channels_now[ch], channels_before[ch])
              for ch in sorted(set(channels_now) | set(channels_before))),
        tuple(hotspot_rows(now, earlier, names)),
        fcr_all[0].open if fcr_all else 0,
        tuple(fcr_by(in_now, links, lambda c: c.team, window_days=window_days, seen_until=last)),
        tuple(fcr_by(in_now, links, lambda c: c.agent_id, window_days=window_days,
                     seen_until=last)),
        tuple(fcr_by(in_now, links, lambda c: c.topic_id, window_days=window_days,
                     seen_until=last)),
        tuple(links[c.call_id] for c in in_now if c.call_id in links),
    )  # fmt: skip


def contact_call(row: topic_sql.ContactRow) -> ContactCall | None:
    """A stored call as FCR reads it; None when it has no time or no key."""
    return _contact(row)


def _contact(row: topic_sql.ContactRow) -> ContactCall | None:
    at = moment(row.start_time, row.call_date)
    if at is None or not row.keys:
        return None
    return ContactCall(row.call_id, at, row.team, row.agent_id, row.topic_id, frozenset(row.keys))


def _fcr_kpi(
    calls: Sequence[ContactCall],
    days: dict[str, str],
    links: dict[str, RepeatLink],
    chosen: Period,
    before: Period,
    window_days: float,
    last: datetime | None,
) -> Kpi:
    def rate(chosen_days: set[str]) -> float | None:
        rated = [c for c in calls if days[c.call_id] in chosen_days]
        groups = fcr_by(rated, links, lambda c: "all", window_days=window_days, seen_until=last)
        return groups[0].rate if groups else None

    daily = tuple((d, rate({d})) for d in [*before.each_day(), *chosen.each_day()])
    return Kpi("fcr", "First-contact resolution", rate(set(chosen.each_day())),
               rate(set(before.each_day())), "%", "up", daily)  # fmt: skip


def _by_day(facts: Sequence[CallFacts], days: Sequence[str]) -> list[tuple[str, list[CallFacts]]]:
    grouped: dict[str, list[CallFacts]] = {d: [] for d in days}
    for fact in facts:
        if fact.day in grouped:
            grouped[fact.day].append(fact)
    return [(d, grouped[d]) for d in days]


__all__ = ["Kpi", "KpiReport", "build_report", "contact_call", "kpi_report"]
