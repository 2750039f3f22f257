"""``phrase.v1``: phrases said (any / all / n_of) or never said (none), ASR-tolerant.

Text is normalised first (case, punctuation, full/half width, traditional →
simplified Chinese, contractions), then each phrase is matched exactly or, for
phrases of four characters or more, fuzzily above ``threshold``.
"""

from __future__ import annotations

from pydantic import Field, field_validator, model_validator

from qa_toolkit.rubric.schema import PhraseList, Strict, check_phrases, flatten_phrases
from qa_toolkit.scoring.types import Evidence

from .base import Detection, View, quote_list, register, searched
from .matching import first_hit, hits_per_phrase

# Measured on 25 hand-made ASR-like pairs and 15 near misses
# (tests/asr_phrase_pairs.py): exact matching after normalisation finds 6/25,
# 0.9 finds 22/25 with no false hit, 0.85 finds 24/25 but also hears "thank
# you for calling" in "thank you for holding". On a real 8 kHz call (Whisper
# tiny.en) exact finds 4 of 7 script phrases a listener hears, 0.9 all 7.
DEFAULT_THRESHOLD = 0.9


class NOf(Strict):
    """At least ``n`` of ``phrases``."""

    n: int = Field(gt=0)
    phrases: PhraseList

    @field_validator("phrases")
    @classmethod
    def _phrases(cls, value: PhraseList) -> PhraseList | None:
        return check_phrases(value)

    @model_validator(mode="after")
    def _enough_phrases(self) -> NOf:
        if self.n > len(flatten_phrases(self.phrases)):
            raise ValueError(f"n is {self.n} but only {len(flatten_phrases(self.phrases))} phrases")
        return self


class PhraseOptions(Strict):
    """Options of ``phrase.v1``; every condition given must hold."""

    any: PhraseList | None = None
    all: PhraseList | None = None
    n_of: NOf | None = None
    none: PhraseList | None = None
    fuzzy: bool = True
    threshold: float = Field(default=DEFAULT_THRESHOLD, ge=0.5, le=1.0)

    @field_validator("any", "all", "none")
    @classmethod
    def _phrases(cls, value: PhraseList | None) -> PhraseList | None:
        return check_phrases(value)

    @model_validator(mode="after")
    def _some_condition(self) -> PhraseOptions:
        if self.any is None and self.all is None and self.n_of is None and self.none is None:
            raise ValueError("give at least one of any, all, n_of, none")
        return self

    @property
    def cutoff(self) -> float:
        """The similarity a match needs (1.0 when fuzzy matching is off)."""
        return self.threshold if self.fuzzy else 1.0


Check = tuple[bool, tuple[Evidence, ...]]


@register("phrase", 1, PhraseOptions, "phrases said (any/all/n_of) or never said (none)")
def detect_phrase(view: View, options: PhraseOptions) -> Detection:
    """Pass when every given condition holds; evidence quotes the hits or the window."""
    checks: list[Check] = []
    lang = view.transcript.language
    if options.any is not None:
        checks.append(_check_any(view, flatten_phrases(options.any, lang), options.cutoff))
    if options.all is not None:
        checks.append(_check_n(view, flatten_phrases(options.all, lang), None, options.cutoff))
    if options.n_of is not None:
        phrases = flatten_phrases(options.n_of.phrases, lang)
        checks.append(_check_n(view, phrases, options.n_of.n, options.cutoff))
    if options.none is not None:
        checks.append(_check_none(view, flatten_phrases(options.none, lang), options.cutoff))
    passed = all(ok for ok, _ in checks)
    evidence = tuple(e for ok, ev in checks if ok == passed for e in ev)
    return Detection("pass" if passed else "fail", evidence)


def _check_any(view: View, phrases: tuple[str, ...], cutoff: float) -> Check:
    hit = first_hit(phrases, view.utterances, cutoff)
    if hit:
        return True, (hit.evidence(),)
    return False, (searched(view, f"none of {quote_list(phrases)}"),)


def _check_n(view: View, phrases: tuple[str, ...], n: int | None, cutoff: float) -> Check:
    """All phrases (``n`` is None) or at least ``n`` of them, each anywhere in scope."""
    found = hits_per_phrase(phrases, view.utterances, cutoff)
    need = len(phrases) if n is None else n
    if len(found) >= need:
        return True, tuple(found[p].evidence() for p in phrases if p in found)[:need]
    missing = tuple(p for p in phrases if p not in found)
    gap = f"{len(found)} of the {need} phrases needed; missing {quote_list(missing)}"
    return False, (*(h.evidence() for h in found.values()), searched(view, gap))


def _check_none(view: View, phrases: tuple[str, ...], cutoff: float) -> Check:
    found = hits_per_phrase(phrases, view.utterances, cutoff)
    if found:
        hits = sorted(found.values(), key=lambda h: h.utterance.start_s)
        return False, tuple(h.evidence("said the forbidden phrase") for h in hits)
    reason = f"none of the forbidden {quote_list(phrases)} in {view.description}"
    return True, (Evidence("", "", 0.0, 0.0, "", reason),)
