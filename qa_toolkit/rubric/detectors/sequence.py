"""``sequence.v1``: steps said in order, e.g. the three-step soothing after a complaint.

Each step is a phrase list (``any``) or a regular expression (``pattern``); the
steps must be found in order (a step may share an utterance with the one before
it), each within ``max_gap_turns`` turns of the previous when that is set.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from qa_toolkit.nlp.text import fold
from qa_toolkit.rubric.schema import (
    PhraseList,
    SpeakerScope,
    Strict,
    check_phrases,
    flatten_phrases,
)
from qa_toolkit.scoring.types import Evidence
from qa_toolkit.types import Utterance

from .base import Detection, View, evidence_of, quote_list, register, searched
from .matching import best_in
from .phrase import DEFAULT_THRESHOLD
from .regex import check_compiles, first_match, patterns_of


class Step(Strict):
    """One step of a sequence: phrases (``any``) or a ``pattern``, by a speaker."""

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$")
    any: PhraseList | None = None
    pattern: str | PhraseList | None = None
    speaker: SpeakerScope | None = None

    @field_validator("any")
    @classmethod
    def _phrases(cls, value: PhraseList | None) -> PhraseList | None:
        return check_phrases(value)

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | PhraseList | None) -> str | PhraseList | None:
        if value is not None:
            check_compiles(patterns_of(value))
        return value

    @model_validator(mode="after")
    def _one_way(self) -> Step:
        if (self.any is None) == (self.pattern is None):
            raise ValueError("give exactly one of any or pattern")
        return self


class SequenceOptions(Strict):
    """Options of ``sequence.v1``."""

    steps: list[Step] = Field(min_length=2)
    max_gap_turns: int | None = Field(default=None, gt=0)
    fuzzy: bool = True
    threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0.5, le=1.0)

    @model_validator(mode="after")
    def _unique_steps(self) -> SequenceOptions:
        ids = [s.id for s in self.steps]
        if len(set(ids)) != len(ids):
            raise ValueError("step ids repeat")
        return self


def _step_hit(step: Step, utt: Utterance, cutoff: float) -> Evidence | None:
    if step.speaker not in (None, "any") and utt.speaker != step.speaker:
        return None
    if step.pattern is not None:
        found = first_match(fold(utt.text), patterns_of(step.pattern), ())
        if found is None:
            return None
        return evidence_of(utt, f"step {step.id}: said {found[1]!r}")
    hit = best_in(utt, flatten_phrases(step.any), cutoff)
    return hit.evidence(f"step {step.id}: said") if hit else None


@register("sequence", 1, SequenceOptions, "steps said in order")
def detect_sequence(view: View, options: SequenceOptions) -> Detection:
    """Pass when every step is found after the one before; evidence quotes each step."""
    cutoff = options.threshold if options.fuzzy else 1.0
    utts = view.utterances
    found: list[Evidence] = []
    position = 0
    for step in options.steps:
        limit = len(utts)
        if found and options.max_gap_turns is not None:
            limit = min(limit, position + options.max_gap_turns + 1)
        hit_at = next((i for i in range(position, limit) if _step_hit(step, utts[i], cutoff)), None)
        if hit_at is None:
            return Detection("fail", (*found, _missing(view, step, found)))
        evidence = _step_hit(step, utts[hit_at], cutoff)
        assert evidence is not None  # found just above
        found.append(evidence)
        position = hit_at
    return Detection("pass", tuple(found))


def _missing(view: View, step: Step, found: list[Evidence]) -> Evidence:
    # Phrases are quoted in the call's language first; a pattern is described, never shown raw.
    wanted = (
        quote_list(flatten_phrases(step.any, view.transcript.language))
        if step.any is not None
        else "its pattern"
    )
    after = f" after {found[-1].reason.split(':')[0]}" if found else ""
    return searched(view, f"step {step.id} ({wanted}) not found{after}")
