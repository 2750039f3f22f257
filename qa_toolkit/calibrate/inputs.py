"""What the call-level model reads from a call: embedding blocks and named scalar inputs.

Training and prediction both go through these functions, so a saved model
sees exactly the inputs it was fitted on.

Embedding blocks pool the sentence embeddings (:mod:`qa_toolkit.nlp.embeddings`)
of each side's turns: ``customer_mean``, ``customer_first``, ``customer_last``,
``agent_mean``, ``agent_last``. Because pooling is linear, a linear model's
prediction splits exactly into one share per utterance, which is the evidence
the ``call_model`` detector quotes.

Scalar inputs are named ``kind:what``: ``feature:<name>`` (the features the
scorer saw), ``item:<id>`` (1 pass, 0 fail, missing when n.a.), ``applies:<id>``
(1 unless n.a.), ``sentiment:<speaker>_<first|last|mean>`` (mean polarity of a
side's first or last two turns, or of all of them) and ``turns:ends_with_customer``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from qa_toolkit.calibrate.metrics import FloatArray
from qa_toolkit.calibrate.strength import Knob, item_strengths
from qa_toolkit.nlp.sentiment import polarity
from qa_toolkit.progress import Progress
from qa_toolkit.rubric.schema import Rubric
from qa_toolkit.scoring.types import CallScore, Status
from qa_toolkit.types import Transcript, Utterance

logger = logging.getLogger(__name__)

BLOCKS: tuple[str, ...] = (
    "customer_mean",
    "customer_first",
    "customer_last",
    "agent_mean",
    "agent_last",
)
SCALAR_KINDS: tuple[str, ...] = ("feature", "item", "applies", "sentiment", "turns")
_SENTIMENT_PARTS = ("first", "last", "mean")
# Two turns, like sentiment.v1 and classifier.v1: one short "ok" says little.
_SENTIMENT_TURNS = 2

FeatureFn = Callable[[Transcript], dict[str, float]]


class Encoder(Protocol):
    """Anything that embeds texts as rows of unit-length vectors (``SentenceEncoder``)."""

    def encode(self, texts: list[str]) -> npt.NDArray[Any]:
        """One row per text."""
        ...


def _turns(transcript: Transcript, speaker: str) -> list[Utterance]:
    return [u for u in transcript.utterances if u.speaker == speaker and u.text.strip()]


def block_weights(
    transcript: Transcript, blocks: Sequence[str] = BLOCKS
) -> list[tuple[Utterance, FloatArray]]:
    """Each spoken utterance with its weight in every block (0 where it plays no part).

    A ``*_mean`` block weighs each of that side's turns 1/n; ``*_first`` and
    ``*_last`` weigh one turn 1.

    Returns:
        (utterance, weights of shape (len(blocks),)) for utterances in some block.
    """
    weights: dict[str, FloatArray] = {}
    by_id: dict[str, Utterance] = {}
    for b, name in enumerate(blocks):
        speaker, _, part = name.partition("_")
        turns = _turns(transcript, speaker)
        chosen = {"mean": turns, "first": turns[:1], "last": turns[-1:]}.get(part)
        if chosen is None:
            raise ValueError(f"unknown embedding block {name!r}; known: {', '.join(BLOCKS)}")
        for utt in chosen:
            by_id[utt.id] = utt
            weights.setdefault(utt.id, np.zeros(len(blocks)))[b] += 1.0 / len(chosen)
    return [(by_id[uid], w) for uid, w in weights.items()]


def utterance_vectors(
    transcript: Transcript, encoder: Encoder, blocks: Sequence[str] = BLOCKS
) -> tuple[list[tuple[Utterance, FloatArray]], FloatArray]:
    """The block weights of each utterance and its embedding (one row each)."""
    weighted = block_weights(transcript, blocks)
    if not weighted:
        return weighted, np.zeros((0, 0))
    vectors = np.asarray(encoder.encode([u.text for u, _ in weighted]), dtype=float)
    return weighted, vectors


def embedding_row(
    transcript: Transcript, encoder: Encoder, blocks: Sequence[str] = BLOCKS, dims: int = 0
) -> FloatArray:
    """The blocks of one call concatenated: shape (len(blocks) * dims,); zeros for an empty side."""
    weighted, vectors = utterance_vectors(transcript, encoder, blocks)
    if not weighted:
        return np.zeros(len(blocks) * dims)
    weights = np.stack([w for _, w in weighted])  # (utterances, blocks)
    return np.asarray((weights.T @ vectors).reshape(-1), dtype=float)


def sentiment_inputs(transcript: Transcript) -> dict[str, float | None]:
    """``sentiment:<speaker>_<part>`` for both sides; ``None`` for a side that said nothing."""
    out: dict[str, float | None] = {}
    for speaker in ("customer", "agent"):
        turns = _turns(transcript, speaker)
        parts = {
            "first": turns[:_SENTIMENT_TURNS],
            "last": turns[-_SENTIMENT_TURNS:],
            "mean": turns,
        }
        for part in _SENTIMENT_PARTS:
            chosen = parts[part]
            value = sum(polarity(u.text) for u in chosen) / len(chosen) if chosen else None
            out[f"sentiment:{speaker}_{part}"] = value
    return out


def status_inputs(statuses: Mapping[str, Status]) -> dict[str, float | None]:
    """``item:<id>`` and ``applies:<id>`` for each item status."""
    out: dict[str, float | None] = {}
    for item_id, status in statuses.items():
        out[f"item:{item_id}"] = None if status == "na" else float(status == "pass")
        out[f"applies:{item_id}"] = float(status != "na")
    return out


def scalar_inputs(
    transcript: Transcript, statuses: Mapping[str, Status], features: Mapping[str, float]
) -> dict[str, float | None]:
    """Every named scalar input of one call (see the module docstring)."""
    out: dict[str, float | None] = {f"feature:{k}": float(v) for k, v in features.items()}
    out.update(status_inputs(statuses))
    out.update(sentiment_inputs(transcript))
    spoken = [u for u in transcript.utterances if u.text.strip()]
    out["turns:ends_with_customer"] = float(bool(spoken) and spoken[-1].speaker == "customer")
    return out


@dataclass(frozen=True, slots=True, eq=False)
class EncodedCall:
    """One call, scored and encoded once, for calibration.

    Attributes:
        transcript: the call.
        score: the rubric's uncalibrated verdict.
        features: the features the scorer saw.
        strengths: item id → detector strength (tunable items; ``None`` when n.a.).
        embedding: the concatenated embedding blocks (empty without an encoder).
        fixed: the scalar inputs that do not depend on item statuses.
    """

    transcript: Transcript
    score: CallScore
    features: Mapping[str, float]
    strengths: Mapping[str, float | None]
    embedding: FloatArray
    fixed: Mapping[str, float | None] = field(default_factory=dict)

    @property
    def call_id(self) -> str:
        """The call's id."""
        return self.transcript.call_id

    def statuses(self) -> dict[str, Status]:
        """Item id → the rubric's status for this call."""
        return {item.item_id: item.status for item in self.score.items}

    def scalars(self, statuses: Mapping[str, Status] | None = None) -> dict[str, float | None]:
        """The scalar inputs, with item statuses replaced where given (tuned thresholds)."""
        out = dict(self.fixed)
        out.update(status_inputs({**self.statuses(), **(statuses or {})}))
        return out


def call_features(transcript: Transcript) -> dict[str, float]:
    """The call's numeric features as the daily batch gives them to the scorer.

    The batch scores with ``extract_features(...).numeric()`` (the sentiment
    model's figures, not the scorer's fast lexicon), so calibration trains on
    the same numbers the calibrated rubric will see there.
    """
    from qa_toolkit.features import extract_features

    return extract_features(transcript).numeric()


def encode_calls(
    transcripts: Iterable[Transcript],
    rubric: Rubric,
    knobs: tuple[Knob, ...],
    *,
    encoder: Encoder | None = None,
    features: FeatureFn | None = None,
    progress: Progress | None = None,
) -> list[EncodedCall]:
    """Score and encode calls once, for every fold of a calibration to reuse.

    Args:
        transcripts: the calls.
        rubric: the rubric being calibrated.
        knobs: its tunable items (:func:`~qa_toolkit.calibrate.strength.tunable_knobs`).
        encoder: a sentence encoder; ``None`` leaves the embedding empty.
        features: computes a call's features (default :func:`call_features`, as
            the batch does); give the function your scoring uses, if another.
        progress: called as ``progress("encode", done, total)``.

    Returns:
        One :class:`EncodedCall` per transcript, in order.
    """
    from qa_toolkit.scoring import score_call  # see strength.item_strengths

    calls = list(transcripts)
    encoded = []
    for done, transcript in enumerate(calls, start=1):
        found = (features or call_features)(transcript)
        score = score_call(transcript, rubric, found)
        strengths = item_strengths(transcript, rubric, knobs, found)
        row = embedding_row(transcript, encoder) if encoder is not None else np.zeros(0)
        seen = dict(score.features)
        fixed = scalar_inputs(transcript, {}, seen)
        encoded.append(EncodedCall(transcript, score, seen, strengths, row, fixed))
        if progress is not None:
            progress("encode", done, len(calls))
    return _pad_embeddings(encoded)


def _pad_embeddings(calls: list[EncodedCall]) -> list[EncodedCall]:
    """Give calls with nothing said the same embedding width as the others (zeros)."""
    width = max((len(c.embedding) for c in calls), default=0)
    return [
        c
        if len(c.embedding) == width
        else EncodedCall(c.transcript, c.score, c.features, c.strengths, np.zeros(width), c.fixed)
        for c in calls
    ]
