"""Flag rules beyond the scorer's own: risk events, team outliers and the random sample.

The scorer already flags a call below the rubric's ``flag_below`` and a failed
critical item (:mod:`qa_toolkit.scoring`). These rules need more than one call
(the team) or the analytics features, so they run over the store after a batch:

- **risk**: an escalation request, a cancel or regulator threat, abuse, or a
  strongly negative end (the customer's last smoothed sentiment at or below
  ``negative_end``);
- **outlier**: a score at least ``outlier_sd`` standard deviations below the
  mean of the *other* calls of the same team on the same rubric and version
  (leaving the call out, because with n calls a member can never sit more than
  (n-1)/√n SD from a mean it is part of: with 5 calls, under 1.8);
- **sample**: an unbiased random share of the calls no rule flagged, so a
  reviewer can measure what the flags miss. Each call is drawn on its own from
  a hash of (seed, call id): the same seed picks the same calls whatever the
  order or the day's other calls, and the seed and rate are recorded.

Example:
    >>> run = flag_calls("qa.db", FlagRules(sample_rate=0.02, seed=7))  # doctest: +SKIP
    >>> run.flagged, run.sampled
"""

from __future__ import annotations

import hashlib
import json
import statistics
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from qa_toolkit.errors import UsageError
from qa_toolkit.review.workflow import StoreLike, opened
from qa_toolkit.scoring.types import Flag
from qa_toolkit.store import reviews as sql
from qa_toolkit.store.connection import transaction, utc_now
from qa_toolkit.store.records import Filters
from qa_toolkit.types import clock

DEFAULT_RISK_KINDS: tuple[str, ...] = ("escalation", "cancel", "regulator", "abuse")


@dataclass(frozen=True, slots=True)
class FlagRules:
    """The settings of the review flag rules.

    Attributes:
        outlier_sd: how many SD below the team's mean makes an outlier.
        min_team_calls: the fewest *other* calls of the team needed to judge.
        risk_kinds: the risk event kinds that flag a call.
        negative_end: the customer's end sentiment (-1..1) at or below which a call is flagged.
        sample_rate: share of unflagged calls to sample (0 to 1).
        seed: the sample's seed.
    """

    outlier_sd: float = 2.0
    min_team_calls: int = 5
    risk_kinds: tuple[str, ...] = DEFAULT_RISK_KINDS
    negative_end: float = -0.5
    sample_rate: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.sample_rate <= 1.0:
            raise UsageError(
                f"sample rate {self.sample_rate} is not a share", fix="use 0 to 1 (0.02 = 2%)"
            )
        if self.outlier_sd <= 0 or self.min_team_calls < 2:
            raise UsageError("outlier rule needs outlier_sd > 0 and min_team_calls >= 2")


@dataclass(frozen=True, slots=True)
class TeamScore:
    """One call's score and peer group, the input of the outlier rule."""

    score_key: str
    call_id: str
    team: str
    rubric_id: str
    rubric_version: str
    score: float


@dataclass(frozen=True, slots=True)
class FlagRun:
    """What one pass of :func:`flag_calls` did; ``flag_run_id`` is stored with its flags."""

    flag_run_id: str
    calls: int
    flagged: int
    sampled: int
    rules: FlagRules


def risk_flags(features: Mapping[str, Any], rules: FlagRules = FlagRules()) -> tuple[Flag, ...]:
    """Flags from a call's stored features: risk events and a strongly negative end.

    Args:
        features: the stored features body (``{"values": {...}, "details": {...}}``).
        rules: which kinds count and the negative-end threshold.

    Returns:
        One ``risk_<kind>`` flag per kind found (its first occurrence), then ``negative_end``.
    """
    details = features.get("details") or {}
    flags: dict[str, Flag] = {}
    for event in details.get("risk_events") or ():
        kind = str(event.get("kind", ""))
        if kind in rules.risk_kinds and f"risk_{kind}" not in flags:
            at = clock(float(event.get("start_s", 0.0)))
            flags[f"risk_{kind}"] = Flag(f"risk_{kind}", f"at {at}: {event.get('reason', kind)}")
    end = (features.get("values") or {}).get("customer_sentiment_end")
    if isinstance(end, int | float) and end <= rules.negative_end:
        flags["negative_end"] = Flag(
            "negative_end", f"the customer ends at sentiment {end:.2f} (≤ {rules.negative_end:g})"
        )
    return tuple(flags.values())


def outlier_flags(scores: Sequence[TeamScore], rules: FlagRules = FlagRules()) -> dict[str, Flag]:
    """Calls scoring ``rules.outlier_sd`` SD or more below the rest of their team.

    Peer groups are (team, rubric id, rubric version); calls without a team
    have no peer group and are never outliers.

    Returns:
        Score key → ``outlier`` flag.
    """
    groups: dict[tuple[str, str, str], list[TeamScore]] = defaultdict(list)
    for row in scores:
        if row.team:
            groups[(row.team, row.rubric_id, row.rubric_version)].append(row)
    found: dict[str, Flag] = {}
    for (team, _, _), rows in groups.items():
        for row in rows:
            others = [r.score for r in rows if r.score_key != row.score_key]
            if len(others) < rules.min_team_calls:
                continue
            mean, sd = statistics.fmean(others), statistics.stdev(others)
            if sd > 0 and row.score <= mean - rules.outlier_sd * sd:
                found[row.score_key] = Flag(
                    "outlier",
                    f"score {row.score:.1f} is {(mean - row.score) / sd:.1f} SD below team "
                    f"{team}'s mean {mean:.1f} (SD {sd:.1f}, {len(others)} other calls)",
                )
    return found


def in_sample(call_id: str, rate: float, seed: int) -> bool:
    """Whether a call falls in the random sample: a uniform draw from hash(seed, call id).

    A call's draw does not depend on any other call, so the sample is an
    unbiased Bernoulli(rate) sample that is the same on every re-run.
    """
    digest = hashlib.sha256(f"{seed}:{call_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def flag_calls(
    store: StoreLike, rules: FlagRules = FlagRules(), filters: Filters | None = None
) -> FlagRun:
    """Run the review flag rules over the stored calls' newest scores and store the flags.

    Args:
        store: the store or its path.
        rules: the rule settings (sample rate and seed are recorded with the run).
        filters: which calls (default: all). Outliers compare within the calls chosen.

    Returns:
        What was flagged and sampled.
    """
    with opened(store) as st:
        rows = st.score_rows(filters)
        own = {r.score_key for r in rows if r.flagged}
        features = sql.features_bodies(st.conn, [r.score_key for r in rows])
        teams = [TeamScore(r.score_key, r.call_id, r.team, r.rubric_id, r.rubric_version, r.score)
                 for r in rows]  # fmt: skip
        new: dict[str, list[Flag]] = defaultdict(list)
        for row in rows:
            new[row.score_key].extend(risk_flags(features.get(row.score_key, {}), rules))
        for key, flag in outlier_flags(teams, rules).items():
            new[key].append(flag)
        for row in rows:
            if (
                row.score_key not in own
                and not new[row.score_key]
                and in_sample(row.call_id, rules.sample_rate, rules.seed)
            ):
                new[row.score_key].append(_sample_flag(rules))
        run_id = _save(st, rules, len(rows), new)
    flagged = sum(1 for r in rows if r.score_key in own or new[r.score_key])
    sampled = sum(1 for fl in new.values() if any(f.kind == "sample" for f in fl))
    return FlagRun(run_id, len(rows), flagged, sampled, rules)


def call_flags(store: StoreLike, score_key: str) -> tuple[Flag, ...]:
    """Every flag of a stored score: the scorer's, then the review rules'."""
    with opened(store) as st:
        return tuple(sql.flag_of(row) for row in sql.score_flag_rows(st.conn, [score_key]))


def _sample_flag(rules: FlagRules) -> Flag:
    return Flag(
        "sample",
        f"random sample of unflagged calls (rate {rules.sample_rate:g}, seed {rules.seed})",
    )


def _save(st: Any, rules: FlagRules, calls: int, new: Mapping[str, list[Flag]]) -> str:
    run_id = f"fr-{uuid.uuid4().hex[:10]}"
    now = utc_now()
    flagged = sum(1 for flags in new.values() if flags)
    sampled = sum(1 for flags in new.values() if any(f.kind == "sample" for f in flags))
    run = {"flag_run_id": run_id, "rules": json.dumps(asdict(rules)),
           "sample_rate": rules.sample_rate, "seed": rules.seed, "calls": calls,
           "flagged": flagged, "sampled": sampled, "created_at": now}  # fmt: skip
    with transaction(st.conn, st.where) as conn:
        # A flag already raised on a score keeps its first reason and run.
        sql.record_flag_run(
            conn, run, [(key, f.kind, f.reason) for key, flags in new.items() for f in flags]
        )
    return run_id
