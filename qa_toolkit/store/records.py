"""Typed rows read back from the store, and the filters that select them.

One query per kind of row, built from a :class:`Filters` value with bound
parameters; the DataFrame API, the exports and the reports all read through
these, so a filter means the same thing everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import TYPE_CHECKING, Any

from qa_toolkit.scoring.types import (
    CallScore,
    Evidence,
    Flag,
    ItemResult,
    Outcome,
    Predicted,
    SectionScore,
)

if TYPE_CHECKING:
    import pandas as pd

# The newest score of each call (for one rubric when the filter names one).
_LATEST = (
    "s.created_at = (SELECT MAX(s2.created_at) FROM scores s2 WHERE s2.call_id = s.call_id{rubric})"
)


@dataclass(frozen=True, slots=True)
class Filters:
    """Which calls to read; every field given must hold.

    Attributes:
        date: the calls of one day (``2026-11-21``).
        since: calls on or after this day.
        until: calls on or before this day.
        team: one team.
        agent_id: one agent.
        queue: one queue.
        rubric_id: scores from one rubric (else each call's newest score).
        run_id: calls a run processed.
        flagged: only flagged (True) or only unflagged (False) calls.
        call_ids: only these calls.
        latest: each call's newest score only (False: the whole history).
    """

    date: str | None = None
    since: str | None = None
    until: str | None = None
    team: str | None = None
    agent_id: str | None = None
    queue: str | None = None
    rubric_id: str | None = None
    run_id: str | None = None
    flagged: bool | None = None
    call_ids: tuple[str, ...] = ()
    latest: bool = True

    def __post_init__(self) -> None:
        for name in ("date", "since", "until"):
            value = getattr(self, name)
            if value is None:
                continue
            try:
                date.fromisoformat(str(value))
            except ValueError:
                from qa_toolkit.errors import UsageError

                raise UsageError(
                    f"{name} {value!r} is not a day", fix="write it as YYYY-MM-DD, e.g. 2026-11-21"
                ) from None

    @classmethod
    def of(cls, **given: Any) -> Filters:
        """Filters from keyword arguments, turning dates into ISO text.

        Raises:
            UsageError: a keyword that is not a filter.
        """
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(given) - known)
        if unknown:
            from qa_toolkit.errors import UsageError

            raise UsageError(
                f"unknown filter {', '.join(unknown)}",
                fix=f"use some of {', '.join(sorted(known))}",
            )
        clean: dict[str, Any] = {
            k: (v.isoformat() if isinstance(v, date) else v) for k, v in given.items()
        }
        if "call_ids" in clean and clean["call_ids"] is not None:
            clean["call_ids"] = tuple(clean["call_ids"])
        return cls(**{k: v for k, v in clean.items() if v is not None})

    def where(self) -> tuple[str, list[Any]]:
        """The SQL condition over ``c`` (calls) and ``s`` (scores), and its parameters."""
        parts: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("c.call_date = ?", self.date),
            ("c.call_date >= ?", self.since),
            ("c.call_date <= ?", self.until),
            ("c.team = ?", self.team),
            ("c.agent_id = ?", self.agent_id),
            ("c.queue = ?", self.queue),
            ("s.rubric_id = ?", self.rubric_id),
        ):
            if value is not None:
                parts.append(column)
                params.append(value)
        if self.run_id is not None:
            parts.append("c.call_id IN (SELECT call_id FROM run_calls WHERE run_id = ?)")
            params.append(self.run_id)
        if self.flagged is not None:
            parts.append("s.flagged = ?")
            params.append(1 if self.flagged else 0)
        if self.call_ids:
            parts.append(f"c.call_id IN ({', '.join('?' for _ in self.call_ids)})")
            params.extend(self.call_ids)
        if self.latest:
            rubric = " AND s2.rubric_id = ?" if self.rubric_id is not None else ""
            parts.append(_LATEST.format(rubric=rubric))
            if self.rubric_id is not None:
                params.append(self.rubric_id)
        return (" AND ".join(parts) or "1 = 1"), params


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """One scored call with its metadata: a row of ``Store.scores()``."""

    call_id: str
    call_date: str
    start_time: str | None
    agent_id: str
    team: str
    queue: str
    customer_id: str
    kind: str
    duration_s: float | None
    language: str | None
    rubric_id: str
    rubric_version: str
    score: float  # the reviewed score: reviewers' item verdicts in place of the machine's
    auto_score: float  # the machine's score (equal to score until a reviewer changes a verdict)
    raw_score: float
    band: str
    auto_band: str
    auto_failed: bool
    flagged: bool
    flags: str
    run_id: str
    scored_at: str
    score_key: str
    transcript_key: str
    # The outcome estimate of the score (None for scores made before it existed).
    outcome_resolved: float | None = None
    outcome_satisfaction: float | None = None
    # How likely a calibrated call model's rating is low (None without a call model).
    predicted_low: float | None = None
    # The scorer's flags the review cleared, and why ("" when none).
    resolution: str = ""
    # The call's contact reason from ``qa topics`` ("" when none was found or it never ran).
    topic: str = ""


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One rubric item of one scored call: a row of ``Store.items()``."""

    call_id: str
    call_date: str
    agent_id: str
    team: str
    rubric_id: str
    item_id: str
    section_id: str
    title: str
    detector: str
    status: str  # the reviewed verdict: a reviewer's where one was given, else the machine's
    points: float
    max_points: float
    critical: bool
    category: str
    evidence: str
    score_key: str
    auto_status: str = ""  # the machine's verdict
    auto_points: float | None = None
    review: str = ""  # who changed the verdict and why ("" when nobody did)


@dataclass(frozen=True, slots=True)
class FlagRow:
    """One flag raised on a scored call: a row of ``Store.flags()``."""

    call_id: str
    call_date: str
    agent_id: str
    team: str
    rubric_id: str
    kind: str
    reason: str
    score_key: str
    strength: float | None = None  # how sure, for flags read from an estimate


@dataclass(frozen=True, slots=True)
class FailureRow:
    """A call a run could not finish, the stage it stopped at and why."""

    run_id: str
    call_id: str
    stage: str
    error_type: str
    reason: str
    files: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class RunRow:
    """One run of ``qa batch`` or ``qa rescore``."""

    run_id: str
    command: str
    started_at: str
    finished_at: str | None
    status: str
    inputs: str
    rubric_id: str | None
    rubric_version: str | None
    toolkit_version: str
    options: str
    host: str
    calls: int
    failures: int


SCORE_SQL = """
SELECT c.call_id, c.call_date, c.start_time, c.agent_id, c.team, c.queue, c.customer_id, c.kind,
       c.duration_s, c.language, s.rubric_id, s.rubric_version, s.score, s.auto_score,
       s.raw_score, s.band, s.auto_band, s.auto_failed, s.flagged, '' AS flags, s.run_id,
       s.created_at AS scored_at, s.score_key, s.transcript_key,
       json_extract(s.body, '$.outcome.resolved') AS outcome_resolved,
       json_extract(s.body, '$.outcome.satisfaction') AS outcome_satisfaction,
       json_extract(s.body, '$.predicted.low') AS predicted_low, s.resolution,
       COALESCE(ct.topic_id, '') AS topic
FROM effective_scores s JOIN calls c ON c.call_id = s.call_id
LEFT JOIN call_topics ct ON ct.call_id = c.call_id
WHERE {where}
ORDER BY c.call_date, c.call_id, s.created_at
"""

ITEM_SQL = """
SELECT c.call_id, c.call_date, c.agent_id, c.team, s.rubric_id, i.item_id, i.section_id, i.title,
       i.detector, COALESCE(v.status, i.status) AS status, COALESCE(v.points, i.points) AS points,
       i.max_points, i.critical, i.category, i.evidence, s.score_key, i.status AS auto_status,
       i.points AS auto_points, COALESCE(v.review, '') AS review
FROM item_results i JOIN effective_scores s ON s.score_key = i.score_key
JOIN calls c ON c.call_id = s.call_id
LEFT JOIN reviewed_items v ON v.score_key = i.score_key AND v.item_id = i.item_id
WHERE {where}
ORDER BY c.call_id, s.created_at, i.section_id, i.item_id
"""

FLAG_SQL = """
SELECT c.call_id, c.call_date, c.agent_id, c.team, s.rubric_id, f.kind, f.reason, s.score_key,
       f.strength
FROM effective_flags f JOIN effective_scores s ON s.score_key = f.score_key
JOIN calls c ON c.call_id = s.call_id
WHERE {where}
ORDER BY c.call_id, f.position
"""

_BOOLEAN = {"auto_failed", "flagged", "critical"}


def build(kind: type[Any], row: Any) -> Any:
    """A typed row from a database row, turning 0/1 columns into booleans."""
    names = [f.name for f in fields(kind)]
    values = {n: (bool(row[n]) if n in _BOOLEAN else row[n]) for n in names}
    return kind(**values)


def frame(kind: type[Any], rows: Sequence[Any]) -> pd.DataFrame:
    """Typed rows as a DataFrame with one column per field (empty frames keep the columns)."""
    import pandas as pd

    columns = [f.name for f in fields(kind)]
    return pd.DataFrame([asdict(r) for r in rows], columns=columns)


def score_from_body(body: Mapping[str, Any], categories: Mapping[str, str]) -> CallScore:
    """A :class:`CallScore` back from its stored Score JSON and the items' categories."""
    items = tuple(
        ItemResult(
            item_id=i["id"], section_id=i["section"], title=i.get("title", i["id"]),
            detector=i.get("detector", ""), status=i["status"], points=i["points"],
            max_points=i["max_points"], critical=i["critical"],
            evidence=tuple(Evidence(**e) for e in i["evidence"]),
            category=categories.get(i["id"], ""), hint=i.get("hint", ""), value=i.get("value"),
            auto_status=i.get("auto_status"), auto_points=i.get("auto_points"),
            review=i.get("review", ""),
        )
        for i in body["items"]
    )  # fmt: skip
    sections = tuple(
        SectionScore(s["id"], s["title"], s["weight"], s["points"], s["max_points"], s["score"])
        for s in body.get("sections", ())
    )
    return CallScore(
        call_id=body["call_id"],
        rubric_id=body["rubric"]["id"],
        rubric_version=body["rubric"]["version"],
        score=body["score"],
        raw_score=body.get("raw_score", body["score"]),
        band=body["band"],
        auto_failed=body["auto_failed"],
        items=items,
        sections=sections,
        features=tuple(sorted(body.get("features", {}).items())),
        flags=_flags(body.get("flags", ())),
        outcome=Outcome.from_dict(body["outcome"]) if body.get("outcome") else None,
        predicted=Predicted.from_dict(body["predicted"]) if body.get("predicted") else None,
        flag_below=body["rubric"].get("flag_below"),
        auto_score=body.get("auto_score"),
        resolved=_flags(body.get("resolved_flags", ())),
    )


def _flags(data: Sequence[Mapping[str, Any]]) -> tuple[Flag, ...]:
    return tuple(Flag(f["kind"], f["reason"], f.get("strength")) for f in data)


__all__ = ["FailureRow", "Filters", "FlagRow", "ItemRow", "RunRow", "ScoreRow"]
