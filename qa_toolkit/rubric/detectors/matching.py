"""Phrase search over utterances, shared by the phrase and sequence detectors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from qa_toolkit.nlp.text import PhraseMatch, find_phrase, normalize
from qa_toolkit.scoring.types import Evidence
from qa_toolkit.types import Utterance

from .base import evidence_of


@dataclass(frozen=True, slots=True)
class Hit:
    """A phrase found in an utterance."""

    utterance: Utterance
    phrase: str
    match: PhraseMatch

    def evidence(self, what: str = "said") -> Evidence:
        """Evidence quoting the utterance, with the phrase and how closely it matched."""
        how = (
            ""
            if self.match.exact
            else f" (fuzzy {self.match.score:.2f}: {self.match.matched.strip()!r})"
        )
        return evidence_of(self.utterance, f"{what} {self.phrase!r}{how}")


def best_in(utt: Utterance, phrases: Iterable[str], threshold: float) -> Hit | None:
    """The closest of ``phrases`` in one utterance, or ``None``."""
    text = normalize(utt.text)
    best: Hit | None = None
    for phrase in phrases:
        found = find_phrase(normalize(phrase), text, threshold=threshold)
        if found and (best is None or found.score > best.match.score):
            best = Hit(utt, phrase, found)
            if found.exact:
                break
    return best


def first_hit(
    phrases: tuple[str, ...], utterances: Iterable[Utterance], threshold: float
) -> Hit | None:
    """The earliest utterance holding any of the phrases, with its closest phrase."""
    for utt in utterances:
        hit = best_in(utt, phrases, threshold)
        if hit:
            return hit
    return None


def hits_per_phrase(
    phrases: tuple[str, ...], utterances: tuple[Utterance, ...], threshold: float
) -> dict[str, Hit]:
    """For each phrase found anywhere, its earliest hit (phrases not found are absent)."""
    found: dict[str, Hit] = {}
    for phrase in phrases:
        hit = first_hit((phrase,), utterances, threshold)
        if hit:
            found[phrase] = hit
    return found
