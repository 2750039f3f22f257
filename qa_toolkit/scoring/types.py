"""Records the scoring engine returns: evidence, item results, section and call scores.

Frozen dataclasses with slots and tuples, like every record that flows between
stages; ``CallScore.to_dict`` writes the Score JSON (``qa-toolkit/score@1``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from qa_toolkit.types import clock

Status = Literal["pass", "fail", "na"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "na")
SCORE_SCHEMA = "qa-toolkit/score@1"


@dataclass(frozen=True, slots=True)
class Evidence:
    """What decided an item: an utterance (or a stretch of the call) and why.

    ``utterance_id`` is empty when the evidence is about the whole call or a
    gap between utterances (a silence), and ``speaker`` is then ``""``.
    """

    utterance_id: str
    speaker: str
    start_s: float
    end_s: float
    quote: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """The evidence as a JSON-ready dict."""
        return {
            "utterance_id": self.utterance_id,
            "speaker": self.speaker,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "quote": self.quote,
            "reason": self.reason,
        }

    def where(self, timed: bool = True) -> str:
        """Where it sits: ``03:15`` in a call with measured times, ``turn 4`` in a text transcript.

        A text transcript's times are estimates, so its evidence is located by
        turn (the utterance ids of a text transcript count turns: ``u0004``).
        Empty for evidence about the whole call.
        """
        if not self.utterance_id and self.end_s <= 0:
            return ""
        if timed:
            return clock(self.start_s)
        digits = self.utterance_id.lstrip("u")
        return f"turn {int(digits)}" if digits.isdigit() else self.utterance_id


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One rubric item scored on one call."""

    item_id: str
    section_id: str
    title: str
    detector: str
    status: Status
    points: float
    max_points: float
    critical: bool
    evidence: tuple[Evidence, ...]
    category: str = ""
    hint: str = ""  # what would have made it pass, in the call's language
    value: float | None = None  # the number behind the verdict (an estimate, a prediction)
    # Set when a reviewer's verdict (an override, an upheld appeal) replaced the machine's:
    # the machine's status and points, and who changed it and why.
    auto_status: Status | None = None
    auto_points: float | None = None
    review: str = ""

    @property
    def points_lost(self) -> float:
        """Points the call lost on this item (0 for n.a.; a graded item can lose some)."""
        return 0.0 if self.status == "na" else self.max_points - self.points

    def to_dict(self) -> dict[str, Any]:
        """The item as a JSON-ready dict (one entry of the Score JSON's ``items``)."""
        return {
            "id": self.item_id,
            "section": self.section_id,
            "title": self.title,
            "detector": self.detector,
            "status": self.status,
            "points": self.points,
            "max_points": self.max_points,
            "critical": self.critical,
            "hint": self.hint,
            "value": None if self.value is None else round(self.value, 4),
            "evidence": [e.to_dict() for e in self.evidence],
            **(
                {"auto_status": self.auto_status, "auto_points": self.auto_points,
                 "review": self.review}
                if self.auto_status is not None
                else {}
            ),
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class SectionScore:
    """A section's result: percentage of the applicable points, and its weight.

    ``score`` is ``None`` when every item of the section was n.a.; the section
    is then left out of the call's total and its weight goes to the others.
    """

    section_id: str
    title: str
    weight: float
    points: float
    max_points: float
    score: float | None

    def to_dict(self) -> dict[str, Any]:
        """The section as a JSON-ready dict."""
        return {
            "id": self.section_id,
            "title": self.title,
            "weight": self.weight,
            "points": self.points,
            "max_points": self.max_points,
            "score": None if self.score is None else round(self.score, 2),
        }


# Flags read from estimates (they carry a strength): see qa_toolkit.scoring.
DISSATISFIED_KIND = "likely_dissatisfied"
LOW_PREDICTION_KIND = "low_predicted_rating"


@dataclass(frozen=True, slots=True)
class Flag:
    """Why a call needs a person's attention (``kind`` is a stable machine name).

    ``strength`` (0–1) says how sure the toolkit is, for flags read from an
    estimate (``likely_dissatisfied``, ``low_predicted_rating``); ``None`` means
    the flag is a plain fact (a failed critical item, a score below the line).
    """

    kind: str
    reason: str
    strength: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The flag as a JSON-ready dict."""
        out: dict[str, Any] = {"kind": self.kind, "reason": self.reason}
        if self.strength is not None:
            out["strength"] = round(self.strength, 3)
        return out


@dataclass(frozen=True, slots=True)
class Predicted:
    """A calibrated call model's prediction for the call (from the rubric's call-model item).

    Attributes:
        item_id: the ``call_model.v1`` item.
        value: the predicted rating, on the model's scale.
        low: how likely the rating is low, 0–1: 0.5 at the model's pass mark, 1 at the
            bottom of its scale, 0 at the top (the review queue ranks by it).
    """

    item_id: str
    value: float
    low: float

    def to_dict(self) -> dict[str, Any]:
        """The prediction as a JSON-ready dict (the Score JSON's ``predicted``)."""
        return {"item": self.item_id, "value": round(self.value, 4), "low": round(self.low, 4)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Predicted:
        """Read the Score JSON's ``predicted`` back."""
        return cls(str(data["item"]), float(data["value"]), float(data["low"]))


@dataclass(frozen=True, slots=True)
class Outcome:
    """The estimated outcome of a call.

    Attributes:
        resolved: probability that the customer's issue was resolved (0–1).
        satisfaction: estimated customer satisfaction on −2..2 (STC-3's scale:
            −2 very dissatisfied, 0 neutral, 2 very satisfied).
        signals: (name, value) of every signal, for analysis.
        evidence: the signals that moved the estimate most, each quoting its utterance.
    """

    resolved: float
    satisfaction: float
    signals: tuple[tuple[str, float], ...]
    evidence: tuple[Evidence, ...]

    def to_dict(self) -> dict[str, Any]:
        """The outcome as a JSON-ready dict (the Score JSON's ``outcome``)."""
        return {
            "resolved": round(self.resolved, 3),
            "satisfaction": round(self.satisfaction, 2),
            "signals": {k: round(v, 3) for k, v in self.signals},
            "evidence": [e.to_dict() for e in self.evidence],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outcome:
        """Read the Score JSON's ``outcome`` back."""
        return cls(
            float(data["resolved"]),
            float(data["satisfaction"]),
            tuple((str(k), float(v)) for k, v in dict(data.get("signals", {})).items()),
            tuple(Evidence(**e) for e in data.get("evidence", ())),
        )


LOWEST_BAND = "poor"


def band_of(bands: tuple[tuple[str, float], ...], score: float) -> str:
    """The band a score falls in: the first (name, minimum) it reaches, from the highest down.

    A score below every minimum gets :data:`LOWEST_BAND`.
    """
    for name, low in bands:
        if score >= low:
            return name
    return LOWEST_BAND


@dataclass(frozen=True, slots=True)
class ScoreTerms:
    """What a score's band and flags were judged by, besides its items: the rubric's bands
    (name, minimum score, highest first) and its ``flag_below``.

    The store keeps them with each score, so a reviewer's verdicts re-band and re-flag the
    call by the rubric it was scored with, even when that file has changed or moved since.
    """

    bands: tuple[tuple[str, float], ...]
    flag_below: float | None

    def band_for(self, score: float) -> str:
        """The band a score falls in."""
        return band_of(self.bands, score)

    def to_dict(self) -> dict[str, Any]:
        """The terms as a JSON-ready dict."""
        return {"bands": [[name, low] for name, low in self.bands], "flag_below": self.flag_below}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ScoreTerms | None:
        """Read :meth:`to_dict` back; None for an empty dict (a score stored without terms)."""
        if not data or "bands" not in data:
            return None
        bands = tuple((str(name), float(low)) for name, low in data["bands"])
        below = data.get("flag_below")
        return cls(bands, None if below is None else float(below))


@dataclass(frozen=True, slots=True)
class CallScore:
    """A call scored against a rubric.

    ``score`` is 0–100 after auto-fail (a failed critical item sets it to 0);
    ``raw_score`` is the weighted score before auto-fail, kept so a reviewer
    sees what the call would have scored.

    A score read from the store is the *reviewed* score: reviewers' item verdicts
    (overrides, upheld appeals) replace the machine's, and ``score``, ``band``,
    ``auto_failed`` and the scorer's ``flags`` follow from them. ``auto_score`` is
    then the machine's score (equal to ``score`` until a reviewer changes a verdict),
    and ``resolved`` the scorer's flags the review cleared, each with why. A score
    fresh from the engine has neither.
    """

    call_id: str
    rubric_id: str
    rubric_version: str
    score: float
    raw_score: float
    band: str
    auto_failed: bool
    items: tuple[ItemResult, ...]
    sections: tuple[SectionScore, ...]
    features: tuple[tuple[str, float], ...]
    flags: tuple[Flag, ...]
    outcome: Outcome | None = None
    predicted: Predicted | None = None
    flag_below: float | None = None  # the rubric's threshold: below it, a call is flagged
    auto_score: float | None = None
    resolved: tuple[Flag, ...] = ()

    @property
    def reviewed(self) -> bool:
        """Whether a reviewer's verdict replaced any of the machine's."""
        return any(i.auto_status is not None for i in self.items)

    @property
    def timed(self) -> bool:
        """Whether the call had measured times (audio), so evidence is located by time."""
        return dict(self.features).get("has_timing", 1.0) > 0

    def item(self, item_id: str) -> ItemResult:
        """The result of one item by id.

        Raises:
            KeyError: when the rubric has no such item.
        """
        for result in self.items:
            if result.item_id == item_id:
                return result
        raise KeyError(item_id)

    def to_dict(self) -> dict[str, Any]:
        """The Score JSON (``qa-toolkit/score@1``) as a dict.

        Returns:
            ``call_id``, ``rubric {id, version}``, ``score``, ``band``,
            ``auto_failed``, ``items``, ``sections``, ``features``, ``flags``,
            ``root_causes`` (failed items, most points lost first) and, when
            estimated, ``outcome`` (resolved probability, satisfaction −2..2);
            with a calibrated call model, ``predicted`` (its item, value and
            how likely the rating is low). A stored score adds ``auto_score``
            (the machine's) and ``resolved_flags`` (flags the review cleared).
        """
        failed = sorted((i for i in self.items if i.status == "fail"), key=lambda i: -i.points_lost)
        return {
            "schema": SCORE_SCHEMA,
            "call_id": self.call_id,
            "rubric": {
                "id": self.rubric_id,
                "version": self.rubric_version,
                **({"flag_below": self.flag_below} if self.flag_below is not None else {}),
            },
            "score": round(self.score, 2),
            "raw_score": round(self.raw_score, 2),
            "band": self.band,
            "auto_failed": self.auto_failed,
            "items": [i.to_dict() for i in self.items],
            "sections": [s.to_dict() for s in self.sections],
            "features": {name: value for name, value in self.features},
            "flags": [f.to_dict() for f in self.flags],
            "root_causes": [
                {
                    "item_id": i.item_id,
                    "category": i.category,
                    "points_lost": i.points_lost,
                    "evidence": [e.to_dict() for e in i.evidence],
                }
                for i in failed
            ],
            **({"outcome": self.outcome.to_dict()} if self.outcome is not None else {}),
            **({"predicted": self.predicted.to_dict()} if self.predicted is not None else {}),
            **(
                {"auto_score": round(self.auto_score, 2),
                 "resolved_flags": [f.to_dict() for f in self.resolved]}
                if self.auto_score is not None
                else {}
            ),
        }  # fmt: skip
