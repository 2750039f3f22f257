"""First-contact resolution: a call is resolved at first contact unless the customer comes back.

Two calls are linked when they share a contact key (:mod:`qa_toolkit.topics.contacts`), the
second starts after the first and within the window (7 days by default), and both have the
same contact reason: a customer who calls about a bill on Monday and about a broken router on
Thursday was not failed by Monday's agent. A call with no topic links to nothing (an unknown
reason is no evidence of the same reason). The earlier call is then *not* resolved at first
contact: it is flagged ``repeat_contact`` and counts against the FCR of its team, agent and
topic.

FCR is the share of calls not followed by a repeat. A call less than a window before the last
call seen may still be followed by one: such calls are counted, and reported apart as
``open``, so a week's figure is known to be provisional.

Example:
    >>> links = link_repeats(calls, window_days=7)
    >>> fcr_by(calls, links, lambda c: c.team)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

DEFAULT_WINDOW_DAYS = 7.0


@dataclass(frozen=True, slots=True)
class ContactCall:
    """A call as FCR sees it."""

    call_id: str
    at: datetime
    team: str
    agent_id: str
    topic_id: str
    keys: frozenset[str]


@dataclass(frozen=True, slots=True)
class RepeatLink:
    """A call (``call_id``) followed by a repeat contact (``repeat_call_id``) ``gap_s`` later."""

    call_id: str
    repeat_call_id: str
    gap_s: float
    topic_id: str

    def reason(self) -> str:
        """Why the call is flagged."""
        days = self.gap_s / 86400
        when = f"{days:.1f} days" if days >= 1 else f"{self.gap_s / 3600:.1f} hours"
        return (f"the same customer called again {when} later about the same reason "
                f"({self.topic_id}): call {self.repeat_call_id}")  # fmt: skip


@dataclass(frozen=True, slots=True)
class FcrGroup:
    """FCR of one group: calls, those followed by a repeat, the rate and the open windows."""

    group: str
    calls: int
    repeated: int
    open: int

    @property
    def rate(self) -> float | None:
        """Share of calls not followed by a repeat (None without calls)."""
        return None if not self.calls else 1.0 - self.repeated / self.calls


def moment(start_time: str | None, call_date: str) -> datetime | None:
    """When a call started (UTC for a time with an offset, else as written); the day's
    midnight when only the day is known; None when neither is."""
    for text in (start_time, call_date):
        if not text:
            continue
        try:
            found = datetime.fromisoformat(text)
        except ValueError:
            continue
        if found.tzinfo is not None:
            found = found.astimezone(timezone.utc).replace(tzinfo=None)
        return found
    return None


def link_repeats(
    calls: Sequence[ContactCall], *, window_days: float = DEFAULT_WINDOW_DAYS,
    same_topic: bool = True,
) -> dict[str, RepeatLink]:  # fmt: skip
    """Each call followed by a repeat contact → the first such repeat.

    Args:
        calls: the calls, each with its keys and topic.
        window_days: how long after a call a contact counts as a repeat.
        same_topic: only a contact about the same reason is a repeat.
    """
    window = timedelta(days=window_days)
    by_key: dict[str, list[ContactCall]] = defaultdict(list)
    for call in sorted(calls, key=lambda c: (c.at, c.call_id)):
        for key in call.keys:
            by_key[key].append(call)
    links: dict[str, RepeatLink] = {}
    for call in calls:
        if same_topic and not call.topic_id:
            continue
        best: ContactCall | None = None
        for key in call.keys:
            for later in by_key[key]:
                if later.at <= call.at or later.call_id == call.call_id:
                    continue
                if later.at - call.at > window:
                    break
                if same_topic and later.topic_id != call.topic_id:
                    continue
                if best is None or (later.at, later.call_id) < (best.at, best.call_id):
                    best = later
                break
        if best is not None:
            gap = (best.at - call.at).total_seconds()
            links[call.call_id] = RepeatLink(call.call_id, best.call_id, gap, call.topic_id)
    return links


def fcr_by(
    calls: Sequence[ContactCall],
    links: Mapping[str, RepeatLink],
    group: Callable[[ContactCall], str],
    *,
    window_days: float = DEFAULT_WINDOW_DAYS,
    seen_until: datetime | None = None,
) -> list[FcrGroup]:
    """FCR per group (team, agent, topic, or one group for all), groups in name order.

    Args:
        calls: the calls to rate.
        links: :func:`link_repeats` over these calls and those after them.
        group: the group of a call.
        window_days: the repeat window (for the open count).
        seen_until: the last moment calls were seen (default: the latest call given).
    """
    last = seen_until or max((c.at for c in calls), default=None)
    window = timedelta(days=window_days)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for call in calls:
        row = counts[group(call) or "(none)"]
        row[0] += 1
        row[1] += call.call_id in links
        row[2] += last is not None and call.call_id not in links and call.at + window > last
    return [FcrGroup(g, n, r, o) for g, (n, r, o) in sorted(counts.items())]


__all__ = [
    "DEFAULT_WINDOW_DAYS",
    "ContactCall",
    "FcrGroup",
    "RepeatLink",
    "fcr_by",
    "link_repeats",
    "moment",
]
