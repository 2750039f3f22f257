"""Drivers across calls: what goes with low scores and unhappy customers.

Everything here is **association, not cause**: a failed item that goes with
low scores may be a symptom of hard calls rather than their reason. For each
failed item, risk event kind, off-hours and repeat contact (the ``repeat_contact``
flag of ``qa topics``: the customer called back about the same reason) we report
the raw difference in mean score (and in the share of dissatisfied customers, where the sentiment
at the end of the call is below 0) between calls with and without it, a
percentile-bootstrap 95% interval, and beside it a difference adjusted for call
duration: the mean of the differences within duration tertiles, weighted by
the calls in each, so that "long calls score lower" does not pass for an
item's effect. The Pareto lists the points lost per item, largest first.

Example:
    >>> report = analyse_drivers("qa.db", since="2026-11-01", by="team")  # doctest: +SKIP
    >>> report.effects[0]
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from qa_toolkit.errors import UsageError
from qa_toolkit.review.workflow import StoreLike, opened
from qa_toolkit.store.records import Filters
from qa_toolkit.store.reviews import features_bodies, score_flag_rows
from qa_toolkit.store.topics import call_topic_rows

GroupBy = Literal["team", "agent", "queue", "hour", "topic"]
GROUP_BY: tuple[GroupBy, ...] = ("team", "agent", "queue", "hour", "topic")
# The review flag ``qa topics`` raises on a call the customer called back about.
REPEAT_KIND = "repeat_contact"
# Working hours for the off-hours comparison (local time of the call's start).
WORK_START_H, WORK_END_H = 9, 18
_MIN_ARM = 3  # fewest calls on each side to report an effect


@dataclass(frozen=True, slots=True)
class CallRow:
    """One call as the driver analysis sees it."""

    call_id: str
    group: str
    score: float
    dissatisfied: bool | None
    duration_s: float | None
    hour: int | None
    failed: frozenset[str]
    risks: frozenset[str]
    points_lost: tuple[tuple[str, float], ...]
    repeat: bool = False  # followed by a repeat contact: not resolved at first contact


@dataclass(frozen=True, slots=True)
class Effect:
    """The association of one factor with the score (and with dissatisfaction).

    ``diff`` is mean score with the factor minus without; ``ci_low``/``ci_high``
    its bootstrap 95% interval; ``adjusted`` the duration-adjusted difference
    (None when duration is unknown); ``dissat_diff`` the difference in the share
    of dissatisfied customers (None when sentiment is unknown).
    """

    factor: str
    n_with: int
    n_without: int
    diff: float
    ci_low: float
    ci_high: float
    adjusted: float | None
    dissat_diff: float | None


@dataclass(frozen=True, slots=True)
class GroupSummary:
    """One group's calls, mean score and share of dissatisfied customers."""

    group: str
    calls: int
    mean_score: float
    dissatisfied_share: float | None


@dataclass(frozen=True, slots=True)
class DriverReport:
    """The result of :func:`analyse_drivers`."""

    by: str
    calls: int
    groups: tuple[GroupSummary, ...]
    effects: tuple[Effect, ...]
    pareto: tuple[tuple[str, float, float], ...]
    note: str = "associations, not causes; intervals are 95% percentile bootstrap"


def effect(
    rows: Sequence[CallRow], has: Callable[[CallRow], bool], factor: str, *,
    resamples: int = 1000, seed: int = 0,
) -> Effect | None:  # fmt: skip
    """The raw and duration-adjusted score difference for one factor; None if an arm is small."""
    yes = [r.score for r in rows if has(r)]
    no = [r.score for r in rows if not has(r)]
    if len(yes) < _MIN_ARM or len(no) < _MIN_ARM:
        return None
    diff = statistics.fmean(yes) - statistics.fmean(no)
    rng = random.Random(seed)
    boots = sorted(
        statistics.fmean(rng.choices(yes, k=len(yes)))
        - statistics.fmean(rng.choices(no, k=len(no)))
        for _ in range(resamples)
    )
    low, high = boots[int(0.025 * resamples)], boots[int(0.975 * resamples) - 1]
    return Effect(factor, len(yes), len(no), diff, low, high, _adjusted(rows, has),
                  _dissat_diff(rows, has))  # fmt: skip


def _adjusted(rows: Sequence[CallRow], has: Callable[[CallRow], bool]) -> float | None:
    timed = sorted((r for r in rows if r.duration_s is not None), key=lambda r: r.duration_s or 0)
    if len(timed) < 3 * _MIN_ARM:
        return None
    third = len(timed) // 3
    strata = (timed[:third], timed[third : 2 * third], timed[2 * third :])
    total, weight = 0.0, 0
    for stratum in strata:
        yes = [r.score for r in stratum if has(r)]
        no = [r.score for r in stratum if not has(r)]
        if yes and no:
            total += len(stratum) * (statistics.fmean(yes) - statistics.fmean(no))
            weight += len(stratum)
    return total / weight if weight else None


def _dissat_diff(rows: Sequence[CallRow], has: Callable[[CallRow], bool]) -> float | None:
    known = [r for r in rows if r.dissatisfied is not None]
    yes = [float(bool(r.dissatisfied)) for r in known if has(r)]
    no = [float(bool(r.dissatisfied)) for r in known if not has(r)]
    if not yes or not no:
        return None
    return statistics.fmean(yes) - statistics.fmean(no)


def drivers_from_rows(rows: Sequence[CallRow], by: str = "team", *, seed: int = 0) -> DriverReport:
    """The driver analysis of calls already read (see :func:`analyse_drivers`)."""
    groups: dict[str, list[CallRow]] = defaultdict(list)
    for row in rows:
        groups[row.group].append(row)
    summaries = tuple(
        GroupSummary(g, len(rs), statistics.fmean(r.score for r in rs), _share(rs))
        for g, rs in sorted(groups.items())
    )
    effects: list[Effect] = []
    for item in sorted({i for r in rows for i in r.failed}):
        found = effect(rows, lambda r, i=item: i in r.failed, f"failed:{item}", seed=seed)  # type: ignore[misc]
        effects.extend([found] if found else [])
    for kind in sorted({k for r in rows for k in r.risks}):
        found = effect(rows, lambda r, k=kind: k in r.risks, f"risk:{kind}", seed=seed)  # type: ignore[misc]
        effects.extend([found] if found else [])
    off = effect([r for r in rows if r.hour is not None], _off_hours, "off_hours", seed=seed)
    effects.extend([off] if off else [])
    repeat = effect(rows, lambda r: r.repeat, REPEAT_KIND, seed=seed)
    effects.extend([repeat] if repeat else [])
    lost: dict[str, float] = defaultdict(float)
    for row in rows:
        for item, points in row.points_lost:
            lost[item] += points
    total = sum(lost.values()) or 1.0
    pareto, running = [], 0.0
    for item, points in sorted(lost.items(), key=lambda kv: -kv[1]):
        running += points
        pareto.append((item, points, running / total))
    ordered = sorted(effects, key=lambda e: e.diff)
    return DriverReport(by, len(rows), summaries, tuple(ordered), tuple(pareto))


def analyse_drivers(
    store: StoreLike,
    *,
    by: str = "team",
    since: str | None = None,
    until: str | None = None,
    seed: int = 0,
) -> DriverReport:
    """Which failed items, risk events, off-hours and repeat contacts go with low scores.

    Args:
        store: the store or its path.
        by: ``team``, ``agent``, ``queue``, ``hour`` (of the call's start) or ``topic`` (the
            contact reason ``qa topics`` stored).
        since: calls on or after this day.
        until: calls on or before this day.
        seed: the bootstrap's seed.

    Raises:
        UsageError: an unknown ``by``.
    """
    if by not in GROUP_BY:
        raise UsageError(f"cannot group by {by!r}", fix=f"use one of {', '.join(GROUP_BY)}")
    return drivers_from_rows(read_rows(store, by, Filters.of(since=since, until=until)), by,
                             seed=seed)  # fmt: skip


def read_rows(store: StoreLike, by: str, filters: Filters) -> list[CallRow]:
    """The newest score of each call with its failed items, risks and timing."""
    with opened(store) as st:
        scores = st.score_rows(filters)
        failed: dict[str, dict[str, float]] = defaultdict(dict)
        for item in st.item_rows(filters):
            if item.status == "fail":
                failed[item.score_key][item.item_id] = item.max_points - item.points
        bodies = features_bodies(st.conn, [s.score_key for s in scores])
        topics = call_topic_rows(st.conn, [s.call_id for s in scores]) if by == "topic" else {}
        repeats = {r["score_key"] for r in score_flag_rows(st.conn, [s.score_key for s in scores])
                   if r["kind"] == REPEAT_KIND}  # fmt: skip
        out = []
        for s in scores:
            feats = bodies.get(s.score_key, {})
            end = (feats.get("values") or {}).get("customer_sentiment_end")
            risks = frozenset(e.get("kind", "") for e in (feats.get("details") or {}).get(
                "risk_events") or ())  # fmt: skip
            hour = int(s.start_time[11:13]) if s.start_time and len(s.start_time) >= 13 else None
            topic = topics[s.call_id].topic_id if s.call_id in topics else ""
            group = {"team": s.team, "agent": s.agent_id, "queue": s.queue, "topic": topic,
                     "hour": "" if hour is None else f"{hour:02d}"}[by] or "(none)"  # fmt: skip
            lost = failed.get(s.score_key, {})
            out.append(CallRow(
                s.call_id, group, s.score, None if end is None else end < 0, s.duration_s, hour,
                frozenset(lost), risks, tuple(sorted(lost.items())), s.score_key in repeats,
            ))  # fmt: skip
    return out


def _off_hours(row: CallRow) -> bool:
    return row.hour is not None and not WORK_START_H <= row.hour < WORK_END_H


def _share(rows: Sequence[CallRow]) -> float | None:
    known = [r.dissatisfied for r in rows if r.dissatisfied is not None]
    return sum(1 for k in known if k) / len(known) if known else None
