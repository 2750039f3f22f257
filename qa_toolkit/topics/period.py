"""The scored calls of a period with what the KPIs and hotspots read, and periods themselves.

One record per call (:class:`CallFacts`), read once from the store: its day, hour and
channel, handle time, first-response latency, hold time, score, estimated satisfaction,
whether the customer asked to escalate, and its contact reason.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from qa_toolkit.errors import UsageError
from qa_toolkit.review.workflow import StoreLike, opened
from qa_toolkit.scoring.types import DISSATISFIED_KIND
from qa_toolkit.store import topics as topic_sql
from qa_toolkit.store.records import Filters
from qa_toolkit.store.reviews import features_bodies


@dataclass(frozen=True, slots=True)
class Period:
    """Days from ``since`` to ``until`` (inclusive)."""

    since: str
    until: str

    @property
    def days(self) -> int:
        """How many days it spans."""
        return (date.fromisoformat(self.until) - date.fromisoformat(self.since)).days + 1

    def previous(self) -> Period:
        """The period of the same length just before."""
        start = date.fromisoformat(self.since)
        return Period((start - timedelta(days=self.days)).isoformat(),
                      (start - timedelta(days=1)).isoformat())  # fmt: skip

    def each_day(self) -> list[str]:
        """Every day of the period."""
        start = date.fromisoformat(self.since)
        return [(start + timedelta(days=n)).isoformat() for n in range(self.days)]

    def __str__(self) -> str:
        return self.since if self.since == self.until else f"{self.since} to {self.until}"


def period(since: str | None, until: str | None, last_day: str | None, days: int = 1) -> Period:
    """The period asked for: ``since``..``until``, or the ``days`` ending on the last day seen.

    Raises:
        UsageError: a day that is not a day, a period that ends before it starts, or no
            calls to date it from.
    """
    for name, value in (("since", since), ("until", until)):
        if value is not None:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise UsageError(f"{name} {value!r} is not a day",
                                 fix="write it as YYYY-MM-DD") from None  # fmt: skip
    end = until or last_day
    if end is None:
        raise UsageError("the store has no calls", fix="run qa batch --store FILE first")
    start = since or (date.fromisoformat(end) - timedelta(days=days - 1)).isoformat()
    if start > end:
        raise UsageError(f"the period starts ({start}) after it ends ({end})",
                         fix="give --since before --until")  # fmt: skip
    return Period(start, end)


@dataclass(frozen=True, slots=True)
class CallFacts:
    """One scored call with the figures the KPIs read (None where unknown)."""

    call_id: str
    day: str
    hour: int | None
    team: str
    agent_id: str
    queue: str
    channel: str
    topic_id: str
    score: float
    satisfaction: float | None
    dissatisfied: bool | None
    escalated: bool | None
    handle_s: float | None
    first_response_s: float | None
    hold_s: float | None
    score_key: str = ""


def facts_now_and_before(
    store: StoreLike, since: str | None, until: str | None, days: int
) -> tuple[Period, list[CallFacts], list[CallFacts]]:
    """The chosen period (the ``days`` up to the store's last call by default), its calls'
    facts and those of the period before it.

    Raises:
        UsageError: a bad day, or a store without calls.
    """
    with opened(store) as st:
        chosen = period(since, until, topic_sql.last_call_day(st.conn), days)
        return chosen, read_facts(st, chosen), read_facts(st, chosen.previous())


def read_facts(store: StoreLike, chosen: Period) -> list[CallFacts]:
    """The scored calls of a period (each call's newest score)."""
    with opened(store) as st:
        rows = st.score_rows(Filters(since=chosen.since, until=chosen.until))
        bodies = features_bodies(st.conn, [r.score_key for r in rows])
        topics = topic_sql.call_topic_rows(st.conn, [r.call_id for r in rows])
        meta = topic_sql.call_metadata_rows(st.conn, [r.call_id for r in rows])
    out = []
    for r in rows:
        values: Mapping[str, Any] = (bodies.get(r.score_key) or {}).get("values") or {}
        found = topics.get(r.call_id)
        flagged = DISSATISFIED_KIND in r.flags.split("; ")
        sat = r.outcome_satisfaction
        dissatisfied = None if sat is None and not flagged else bool(flagged or (sat or 0) < 0)
        escalations = values.get("risk_escalation_count")
        out.append(CallFacts(
            r.call_id, r.call_date, _hour(r.start_time), r.team, r.agent_id, r.queue,
            _channel(r.kind, meta.get(r.call_id, {})), found.topic_id if found else "", r.score,
            sat, dissatisfied, None if escalations is None else escalations > 0,
            _number(values.get("duration_s")) or r.duration_s,
            _number(values.get("first_response_latency_s", values.get("first_response_s"))),
            _number(values.get("hold_s")), r.score_key,
        ))  # fmt: skip
    return out


def _hour(start_time: str | None) -> int | None:
    if not start_time or len(start_time) < 13 or not start_time[11:13].isdigit():
        return None
    return int(start_time[11:13])


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _channel(kind: str, meta: Mapping[str, Any]) -> str:
    """The metadata's ``channel`` column when given, else voice (audio) or text."""
    extra = (meta.get("metadata") or {}).get("extra") or {}
    given = str(extra.get("channel", "")).strip().lower()
    if given:
        return given
    return "text" if (meta.get("kind") or kind) == "text" else "voice"


def mean(values: Sequence[float | None]) -> float | None:
    """The mean of the known values; None when none is known."""
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def share(values: Sequence[bool | None]) -> float | None:
    """The share of true among the known values; None when none is known."""
    known = [v for v in values if v is not None]
    return sum(1 for v in known if v) / len(known) if known else None


__all__ = ["CallFacts", "Period", "mean", "period", "read_facts", "share"]
