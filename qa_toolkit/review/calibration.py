"""Reviewer calibration sessions: several reviewers score the same calls blind.

A supervisor picks calls and reviewers; each reviewer gives every item of every
call a verdict (pass, fail, n.a.) without seeing the others' or the machine's.
The session then shows, per item, how far the reviewers agree with each other
(Cohen's kappa for two reviewers, Fleiss' kappa for more, beside the plain share
of agreeing pairs) and with the machine (each reviewer's verdicts against the
machine's: share agreeing and Cohen's kappa), and per reviewer their agreement
with the machine over all items, so a reviewer who reads the rubric differently
shows.

Kappa is undefined (NaN, shown as "–") when chance agreement is already total,
e.g. everyone passed the item on every call; the share agreeing still says
something there. With a handful of calls kappa moves a lot from one call to the
next: the number of calls is shown beside it.

Example:
    >>> s = create_session("qa.db", "June", ["c1", "c2"], ["mei", "wu"], by="li")  # doctest: +SKIP
    >>> record_verdicts("qa.db", s.session_id, "c1", "mei", {"greeting": "pass"})  # doctest: +SKIP
    >>> agreement("qa.db", s.session_id).items[0].kappa  # doctest: +SKIP
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from qa_toolkit.calibrate.metrics import cohen_kappa
from qa_toolkit.errors import InvalidTransitionError, ReviewError, UnknownItemError, UsageError
from qa_toolkit.review.workflow import StoreLike, opened, scored_call
from qa_toolkit.scoring.types import STATUSES
from qa_toolkit.store import calibration as sql
from qa_toolkit.store.connection import transaction, utc_now
from qa_toolkit.store.reviews import item_ids

MAX_CALLS = 50
MAX_MEMBERS = 20


@dataclass(frozen=True, slots=True)
class CalibrationSession:
    """A calibration session: its calls, its reviewers, and how far each has got."""

    session_id: str
    title: str
    created_by: str
    created_at: str
    closed_at: str
    call_ids: tuple[str, ...]
    members: tuple[str, ...]
    done: tuple[tuple[str, int], ...]  # (reviewer, calls they gave every item a verdict)

    @property
    def closed(self) -> bool:
        """Whether the session is closed (verdicts are final and everyone sees the results)."""
        return bool(self.closed_at)

    def to_dict(self) -> dict[str, Any]:
        """The session as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ItemAgreement:
    """How the reviewers of a session agree on one item.

    Attributes:
        item_id: the item.
        title: its title (as the first call's score has it).
        calls: calls where every reviewer gave the item a verdict (the kappa's subjects).
        raters: reviewers in the session.
        method: ``cohen`` (two reviewers) or ``fleiss`` (more).
        kappa: agreement among the reviewers beyond chance (NaN: undefined).
        agreement: share of agreeing reviewer pairs over those calls.
        machine_agreement: share of reviewer verdicts equal to the machine's.
        machine_kappa: Cohen's kappa of the reviewer verdicts against the machine's.
        machine_fail: calls where the machine failed the item.
    """

    item_id: str
    title: str
    calls: int
    raters: int
    method: str
    kappa: float
    agreement: float
    machine_agreement: float
    machine_kappa: float
    machine_fail: int

    def to_dict(self) -> dict[str, Any]:
        """The item's agreement as a JSON-ready dict (NaN as None)."""
        return {k: _json_number(v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class ReviewerAgreement:
    """One reviewer against the machine over every item of the session."""

    reviewer: str
    verdicts: int
    machine_agreement: float
    machine_kappa: float

    def to_dict(self) -> dict[str, Any]:
        """The reviewer's agreement as a JSON-ready dict (NaN as None)."""
        return {k: _json_number(v) for k, v in asdict(self).items()}


@dataclass(frozen=True, slots=True)
class SessionAgreement:
    """A session's agreement: per item, per reviewer, and every item pooled."""

    session: CalibrationSession
    items: tuple[ItemAgreement, ...]
    reviewers: tuple[ReviewerAgreement, ...]
    overall_kappa: float
    overall_agreement: float

    def to_dict(self) -> dict[str, Any]:
        """The agreement as a JSON-ready dict."""
        return {"session": self.session.to_dict(), "items": [i.to_dict() for i in self.items],
                "reviewers": [r.to_dict() for r in self.reviewers],
                "overall_kappa": _json_number(self.overall_kappa),
                "overall_agreement": _json_number(self.overall_agreement)}  # fmt: skip


# ------------------------------------------------------------------ sessions


def create_session(
    store: StoreLike, title: str, call_ids: Sequence[str], members: Sequence[str], *, by: str
) -> CalibrationSession:
    """Start a session over calls (their newest scores) with at least two reviewers.

    Raises:
        UnknownCallError: a call is not in the store.
        UsageError: no title, fewer than two reviewers, no call, or too many.
    """
    calls = list(dict.fromkeys(c.strip() for c in call_ids if c.strip()))
    people = sorted({m.strip() for m in members if m.strip()})
    if not title.strip():
        raise UsageError("a calibration session needs a title", fix="name it, e.g. 'June week 2'")
    if not 1 <= len(calls) <= MAX_CALLS:
        raise UsageError(f"a session takes 1 to {MAX_CALLS} calls, not {len(calls)}",
                         fix="pick the calls to score together")  # fmt: skip
    if not 2 <= len(people) <= MAX_MEMBERS:
        raise UsageError(f"a session takes 2 to {MAX_MEMBERS} reviewers, not {len(people)}",
                         fix="name the reviewers who score the calls")  # fmt: skip
    with opened(store) as st:
        keyed = [(c, scored_call(st, c).score_key) for c in calls]
        session_id = f"cal-{uuid.uuid4().hex[:10]}"
        row = {"session_id": session_id, "title": title.strip()[:200], "created_by": by,
               "created_at": utc_now()}  # fmt: skip
        with transaction(st.conn, st.where) as conn:
            sql.insert_session(conn, row, keyed, people)
        return session(st, session_id)


def session(store: StoreLike, session_id: str) -> CalibrationSession:
    """One session by id.

    Raises:
        ReviewError: no such session.
    """
    with opened(store) as st:
        rows = sql.session_rows(st.conn, session_id=session_id)
        if not rows:
            raise ReviewError(f"no calibration session {session_id!r}", fix="check the id")
        return _session(st, rows[0])


def sessions(store: StoreLike, *, member: str | None = None) -> tuple[CalibrationSession, ...]:
    """Every session, newest first (those a reviewer is in, when given)."""
    with opened(store) as st:
        return tuple(_session(st, r) for r in sql.session_rows(st.conn, member=member))


def _session(st: Any, row: Any) -> CalibrationSession:
    calls = sql.session_calls(st.conn, row["session_id"])
    members = sql.session_members(st.conn, row["session_id"])
    needed = {c: _item_ids(st, k) for c, k in calls}
    given: dict[tuple[str, str], set[str]] = defaultdict(set)
    for v in sql.verdict_rows(st.conn, row["session_id"]):
        given[(v["reviewer"], v["call_id"])].add(v["item_id"])
    done = tuple((m, sum(1 for c in needed if needed[c] <= given[(m, c)])) for m in members)
    return CalibrationSession(row["session_id"], row["title"], row["created_by"],
                              row["created_at"], row["closed_at"] or "",
                              tuple(c for c, _ in calls), tuple(members), done)  # fmt: skip


def close_session(store: StoreLike, session_id: str) -> CalibrationSession:
    """Close a session: no more verdicts; its members see the agreement.

    Raises:
        ReviewError: no such session.
        InvalidTransitionError: it is closed already.
    """
    with opened(store) as st:
        session(st, session_id)
        with transaction(st.conn, st.where) as conn:
            changed = sql.close_session(conn, session_id, utc_now())
        if not changed:
            raise InvalidTransitionError(f"session {session_id} is closed already",
                                         fix="start a new session")  # fmt: skip
        return session(st, session_id)


# ------------------------------------------------------------------ verdicts


def record_verdicts(
    store: StoreLike,
    session_id: str,
    call_id: str,
    reviewer: str,
    verdicts: Mapping[str, str],
) -> None:
    """A member's verdicts on a call's items (replacing their earlier ones).

    Raises:
        ReviewError: no such session, or the reviewer is not in it, or the call is not.
        InvalidTransitionError: the session is closed.
        UnknownItemError: an item the call's score does not have.
        UsageError: a verdict other than pass, fail, na.
    """
    with opened(store) as st:
        found = session(st, session_id)
        if found.closed:
            raise InvalidTransitionError(
                f"session {session_id} is closed", fix="verdicts are final once a session closes"
            )
        if reviewer not in found.members:
            raise ReviewError(f"{reviewer} is not a member of session {session_id}",
                              fix="only the session's reviewers score its calls")  # fmt: skip
        keys = dict(sql.session_calls(st.conn, session_id))
        if call_id not in keys:
            raise ReviewError(f"call {call_id!r} is not in session {session_id}",
                              fix="score the session's calls")  # fmt: skip
        known = _item_ids(st, keys[call_id])
        for item_id, status in verdicts.items():
            if item_id not in known:
                raise UnknownItemError(f"call {call_id!r} has no item {item_id!r}",
                                       fix=f"use one of {', '.join(sorted(known))}")  # fmt: skip
            if status not in STATUSES:
                raise UsageError(f"unknown verdict {status!r}", fix="use pass, fail or na")
        now = utc_now()
        with transaction(st.conn, st.where) as conn:
            sql.save_verdicts(conn, [(session_id, call_id, reviewer, i, s, now)
                                     for i, s in verdicts.items()])  # fmt: skip


def my_verdicts(store: StoreLike, session_id: str, reviewer: str) -> dict[str, dict[str, str]]:
    """One reviewer's own verdicts in a session: call id → item id → status (blind: nobody
    else's)."""
    out: dict[str, dict[str, str]] = defaultdict(dict)
    with opened(store) as st:
        for v in sql.verdict_rows(st.conn, session_id, reviewer=reviewer):
            out[v["call_id"]][v["item_id"]] = v["status"]
    return dict(out)


# ------------------------------------------------------------------ agreement


def agreement(store: StoreLike, session_id: str) -> SessionAgreement:
    """How the session's reviewers agree with each other and with the machine.

    Raises:
        ReviewError: no such session.
    """
    with opened(store) as st:
        found = session(st, session_id)
        machine: dict[str, dict[str, str]] = {}
        titles: dict[str, str] = {}
        for call_id, key in sql.session_calls(st.conn, session_id):
            score, _ = st.call_score(key, reviewed=False)
            machine[call_id] = {i.item_id: i.status for i in score.items}
            for i in score.items:
                titles.setdefault(i.item_id, i.title)
        given: dict[str, dict[str, dict[str, str]]] = defaultdict(lambda: defaultdict(dict))
        for v in sql.verdict_rows(st.conn, session_id):
            given[v["item_id"]][v["call_id"]][v["reviewer"]] = v["status"]
    members = found.members
    items = tuple(_item_agreement(i, titles[i], given[i], machine, members) for i in titles)
    pooled = [(c, i, r, s) for i in given for c in given[i] for r, s in given[i][c].items()]
    reviewers = tuple(_reviewer_agreement(m, pooled, machine) for m in members)
    complete = [[given[i][c][m] for m in members] for i in given for c in given[i]
                if all(m in given[i][c] for m in members)]  # fmt: skip
    return SessionAgreement(found, items, reviewers, _kappa_among(complete),
                            _pair_agreement(complete))  # fmt: skip


def _item_agreement(
    item_id: str,
    title: str,
    by_call: Mapping[str, Mapping[str, str]],
    machine: Mapping[str, Mapping[str, str]],
    members: Sequence[str],
) -> ItemAgreement:
    complete = [[by_call[c][m] for m in members] for c in by_call
                if all(m in by_call[c] for m in members)]  # fmt: skip
    pairs = [(s, machine[c][item_id]) for c in by_call for s in by_call[c].values()
             if item_id in machine.get(c, {})]  # fmt: skip
    return ItemAgreement(
        item_id, title, len(complete), len(members), "cohen" if len(members) == 2 else "fleiss",
        _kappa_among(complete), _pair_agreement(complete), _share_equal(pairs),
        _kappa_pairs(pairs), sum(1 for c in machine if machine[c].get(item_id) == "fail"),
    )  # fmt: skip


def _reviewer_agreement(
    reviewer: str, pooled: Sequence[tuple[str, str, str, str]],
    machine: Mapping[str, Mapping[str, str]],
) -> ReviewerAgreement:  # fmt: skip
    pairs = [(s, machine[c][i]) for c, i, r, s in pooled if r == reviewer and i in machine[c]]
    return ReviewerAgreement(reviewer, len(pairs), _share_equal(pairs), _kappa_pairs(pairs))


def _kappa_among(ratings: Sequence[Sequence[str]]) -> float:
    """Cohen's kappa for two raters per subject, Fleiss' kappa for more; NaN for none."""
    if not ratings:
        return float("nan")
    if len(ratings[0]) == 2:
        return cohen_kappa([r[0] for r in ratings], [r[1] for r in ratings], STATUSES)
    return fleiss_kappa(ratings, STATUSES)


def fleiss_kappa(ratings: Sequence[Sequence[str]], labels: Sequence[str]) -> float:
    """Fleiss' kappa: agreement of a fixed number of raters per subject beyond chance.

    Args:
        ratings: one row per subject, each with the same number (≥ 2) of labels.
        labels: the categories.

    Returns:
        kappa (1 perfect, 0 chance, below 0 worse); NaN with no subjects, or when chance
        agreement is already total (every label the same category).

    Example:
        >>> round(fleiss_kappa([["a", "a", "a"], ["b", "b", "a"]], ["a", "b"]), 3)
        0.25
    """
    if not ratings:
        return float("nan")
    n = len(ratings[0])
    if n < 2 or any(len(r) != n for r in ratings):
        raise ValueError("Fleiss' kappa needs the same number (at least 2) of raters per subject")
    counts = [[row.count(label) for label in labels] for row in ratings]
    subjects = len(ratings)
    shares = [sum(c[j] for c in counts) / (subjects * n) for j in range(len(labels))]
    observed = sum((sum(x * x for x in c) - n) / (n * (n - 1)) for c in counts) / subjects
    chance = sum(p * p for p in shares)
    if chance >= 1.0 - 1e-12:
        return float("nan")
    return (observed - chance) / (1.0 - chance)


def _pair_agreement(ratings: Sequence[Sequence[str]]) -> float:
    """Share of agreeing rater pairs over all subjects (NaN for none)."""
    agree = total = 0
    for row in ratings:
        for a in range(len(row)):
            for b in range(a + 1, len(row)):
                agree += row[a] == row[b]
                total += 1
    return agree / total if total else float("nan")


def _share_equal(pairs: Sequence[tuple[str, str]]) -> float:
    return sum(a == b for a, b in pairs) / len(pairs) if pairs else float("nan")


def _kappa_pairs(pairs: Sequence[tuple[str, str]]) -> float:
    if not pairs:
        return float("nan")
    return cohen_kappa([a for a, _ in pairs], [b for _, b in pairs], STATUSES)


def _item_ids(st: Any, score_key: str) -> set[str]:
    return set(item_ids(st.conn, score_key))


def _json_number(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value
