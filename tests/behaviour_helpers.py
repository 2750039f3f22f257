"""A keyword behaviour model built by hand, so detector logic is tested without the trained one.

Its embedding weights are zero; each behaviour fires on words through the hashed
n-gram block, so what it decides is plain from the test. The sentence encoder
still runs (the model's features always include it).
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from qa_toolkit.nlp.behaviour import BEHAVIOUR_IDS, NGRAM_BUCKETS, BehaviourModel
from qa_toolkit.types import Transcript, Utterance

KEYWORDS: dict[str, tuple[str, ...]] = {
    "greeting": ("hello",),
    "apology": ("sorry",),
    "acknowledge": ("frustrating",),
    "restate": ("so",),
    "action": ("refunded", "booked"),
    "deflection": ("department",),
    "hold_request": ("moment",),
    "hold_thanks": ("holding",),
    "blaming": ("fault",),
    "complaint": ("broken", "again"),
    "escalation": ("manager",),
    "resolved": ("thanks",),
}


def keyword_model(path: Path) -> Path:
    """Write the keyword model to ``path`` and return it."""
    weights = np.zeros((len(BEHAVIOUR_IDS), 1024), dtype=np.float32)
    grams = np.zeros((len(BEHAVIOUR_IDS), NGRAM_BUCKETS), dtype=np.float32)
    for k, b in enumerate(BEHAVIOUR_IDS):
        # "action" is weighted lower, so a sentence that also names a deflection reads more
        # as the deflection (p≈0.98 against p≈1.0) and `unless` has something to decide.
        weight = 180.0 if b == "action" else 400.0
        for word in KEYWORDS.get(b, ()):
            grams[k, zlib.crc32(f"w:{word}".encode()) % NGRAM_BUCKETS] = weight
    bias = np.full(len(BEHAVIOUR_IDS), -12.0, dtype=np.float32)
    model = BehaviourModel(
        BEHAVIOUR_IDS, weights, bias, [0.5] * len(BEHAVIOUR_IDS), ngram_weights=grams
    )
    return model.save(path)


def call(*lines: str, timed: bool = True) -> Transcript:
    """A call from ``a: …`` (agent) and ``c: …`` (customer) lines, 5 s apart when timed."""
    role = {"a": "agent", "c": "customer"}
    utts = tuple(
        Utterance(f"u{i + 1:04d}", role[line[0]], i * 5.0, i * 5.0 + 4.0, line[3:])  # type: ignore[arg-type]
        for i, line in enumerate(lines)
    )
    return Transcript("call", utts, "en", duration_s=len(lines) * 5.0)
