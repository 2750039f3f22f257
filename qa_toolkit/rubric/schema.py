"""Rubric schema v1 (``qa-toolkit/rubric@1``): the shapes a rubric YAML file may take.

Every model forbids unknown fields, so a typo is an error rather than a
silently ignored option. Detector options are validated by each detector's own
model (see :mod:`qa_toolkit.rubric.detectors`); the loader splits an item's keys
between :class:`ItemSpec` and those options. The validated rubric is a tree of
frozen dataclasses (:class:`Rubric`, :class:`Section`, :class:`Item`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from qa_toolkit.scoring.types import LOWEST_BAND as LOWEST_BAND  # re-exported: the band below all
from qa_toolkit.scoring.types import ScoreTerms, band_of

RUBRIC_SCHEMA = "qa-toolkit/rubric@1"
Id = str
SpeakerScope = Literal["agent", "customer", "any"]

# A title in one language, or per language: {en: Greeting, zh: 开场问候}.
LocalText = str | dict[str, str]
# Phrases for every language in one list, or per language: {en: [...], zh: [...]}.
PhraseList = list[str] | dict[str, list[str]]

_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"


class Strict(BaseModel):
    """Base of every rubric model: unknown fields are errors, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def flatten_phrases(phrases: PhraseList | None, language: str | None = None) -> tuple[str, ...]:
    """All phrases of a plain or per-language list, without blanks.

    With ``language``, that language's phrases come first, so a reason quoting
    "none of …" shows a Chinese call the Chinese phrases.
    """
    if phrases is None:
        return ()
    if isinstance(phrases, dict):
        first = [phrases[language]] if language in phrases else []
        groups = first + [g for lang, g in phrases.items() if lang != language]
    else:
        groups = [phrases]
    return tuple(p for group in groups for p in group if p.strip())


def check_phrases(phrases: PhraseList | None) -> PhraseList | None:
    """Reject empty phrase lists and blank phrases (they would match nothing or everything)."""
    if phrases is None:
        return None
    if not flatten_phrases(phrases):
        raise ValueError("the phrase list is empty")
    groups = phrases.values() if isinstance(phrases, dict) else [phrases]
    if any(not p.strip() for group in groups for p in group):
        raise ValueError("a phrase is blank")
    return phrases


class Window(Strict):
    """Which part of the call an item looks at; every bound given applies.

    ``first_turns`` and ``last_turns`` count the scoped speaker's own turns;
    ``within_turns`` counts every turn after the ``after`` anchor.
    """

    first_s: float | None = Field(default=None, gt=0)
    last_s: float | None = Field(default=None, gt=0)
    first_turns: int | None = Field(default=None, gt=0)
    last_turns: int | None = Field(default=None, gt=0)
    after: Id | None = None
    within_turns: int | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _within_needs_after(self) -> Window:
        if self.within_turns is not None and self.after is None:
            raise ValueError("within_turns needs after: <item or event>")
        return self


class AppliesIf(Strict):
    """When an item applies; otherwise it is n.a. and left out of the total.

    ``topic`` names a contact reason of the taxonomy the rubric's ``taxonomy:`` gives.
    """

    event: Id | None = None
    item: Id | None = None
    topic: Id | None = None
    status: Literal["pass", "fail"] = "pass"

    @model_validator(mode="after")
    def _one_condition(self) -> AppliesIf:
        if sum(x is not None for x in (self.event, self.item, self.topic)) != 1:
            raise ValueError("give exactly one of event, item or topic")
        return self


class ScopeSpec(Strict):
    """Fields shared by items and events: the detector and where it looks."""

    title: LocalText | None = None
    detector: str
    speaker: SpeakerScope = "any"
    window: Window = Field(default_factory=Window)


class EventSpec(ScopeSpec):
    """A named thing that happens in a call (a complaint, an account change).

    Items refer to events in ``applies_if`` and ``window.after``.
    """


class ItemSpec(ScopeSpec):
    """The common fields of a rubric item (detector options come on top)."""

    id: Id = Field(pattern=_ID_PATTERN)
    points: float = Field(ge=0)
    critical: bool = False
    applies_if: AppliesIf | None = None
    category: Literal["agent_skill", "process", "system", "product", ""] = "agent_skill"
    hint: LocalText | None = None


class SectionSpec(Strict):
    """A section's own fields; its items are validated one by one by the loader."""

    id: Id = Field(pattern=_ID_PATTERN)
    title: LocalText | None = None
    weight: float | None = Field(default=None, ge=0)
    items: list[Any] = Field(min_length=1)


class RubricSpec(Strict):
    """The rubric's top level; sections and events are validated one by one."""

    schema_: Literal["qa-toolkit/rubric@1"] = Field(alias="schema")
    id: Id = Field(pattern=_ID_PATTERN)
    version: str | int
    title: LocalText | None = None
    description: LocalText | None = None
    languages: list[str] = Field(default_factory=lambda: ["en"])
    bands: dict[str, float] = Field(default_factory=dict)
    flag_below: float | None = Field(default=None, ge=0, le=100)
    flag_dissatisfied_below: float | None = Field(default=None, ge=-2, le=2)
    # A topic taxonomy (relative to the rubric) for items' applies_if: {topic: …}.
    taxonomy: str | None = None
    events: dict[str, Any] = Field(default_factory=dict)
    sections: list[Any] = Field(min_length=1)

    @field_validator("bands")
    @classmethod
    def _bands_in_range(cls, bands: dict[str, float]) -> dict[str, float]:
        for name, low in bands.items():
            if not 0 <= low <= 100:
                raise ValueError(f"band {name!r} starts at {low}; a band's minimum is 0–100")
        return bands


@dataclass(frozen=True, slots=True)
class Event:
    """A validated event: its detector, resolved to a versioned name, and options."""

    id: str
    title: LocalText
    detector: str
    options: BaseModel
    speaker: SpeakerScope
    window: Window


@dataclass(frozen=True, slots=True)
class Item:
    """A validated rubric item."""

    id: str
    section_id: str
    title: LocalText
    detector: str
    options: BaseModel
    speaker: SpeakerScope
    window: Window
    points: float
    critical: bool
    applies_if: AppliesIf | None
    category: str
    hint: LocalText | None


@dataclass(frozen=True, slots=True)
class Section:
    """A validated section; ``weight`` is resolved (its points when not given)."""

    id: str
    title: LocalText
    weight: float
    items: tuple[Item, ...]


@dataclass(frozen=True, slots=True)
class Rubric:
    """A validated rubric, ready to score calls.

    ``bands`` are (name, minimum score) from the highest minimum down; a score
    below every minimum gets :data:`LOWEST_BAND`. ``order`` lists event and
    item ids so that each comes after those its ``after`` / ``applies_if``
    refer to.
    """

    id: str
    version: str
    title: LocalText
    languages: tuple[str, ...]
    bands: tuple[tuple[str, float], ...]
    flag_below: float | None
    events: tuple[Event, ...]
    sections: tuple[Section, ...]
    order: tuple[str, ...] = ()
    source: str = ""
    flag_dissatisfied_below: float | None = None
    taxonomy: str | None = None  # the topic taxonomy's path, resolved

    @property
    def items(self) -> tuple[Item, ...]:
        """Every item of every section, in rubric order."""
        return tuple(item for section in self.sections for item in section.items)

    def band_for(self, score: float) -> str:
        """The band a score falls in."""
        return band_of(self.bands, score)

    @property
    def terms(self) -> ScoreTerms:
        """The bands and flag threshold a score of this rubric is judged by."""
        return ScoreTerms(self.bands, self.flag_below)


def local_text(text: LocalText | None, language: str = "en", default: str = "") -> str:
    """A title or hint in the wanted language, falling back to English, then any."""
    if text is None:
        return default
    if isinstance(text, str):
        return text
    for lang in (language, "en"):
        if lang in text:
            return text[lang]
    return next(iter(text.values()), default)
