"""Scores and the outcome estimate against how STC-3 customers rated their threads.

STC-3 (``../shared/data/stc3``): real customer↔helpdesk threads, each rated by 19
annotators for S (customer satisfaction) and A (task accomplished, i.e.
resolution) on −2..2; the label is the mean. The development half is the first
half of each file, the held-out half the second (the yardstick's 80 threads come
from the development half). Nothing here is trained on the ratings.

Per language and half: Spearman's ρ of the call score and of the outcome
estimate's satisfaction with S; of the resolution section and of the estimated
resolved probability with A; the AUC of a low estimate for a dissatisfied
customer (mean S < 0), and of the review priority (``qa flagged``'s ranking,
from the scorer's own flags and the outcome); the share of threads the scorer
flags; and the precision for S < 0 of the 10 / 20 / 30 % of threads with the
highest priority (the base rate is the precision of picking at random).

    .venv/bin/python -m benchmarks.flag_eval [--data ../shared/data] [--limit N]
"""

from __future__ import annotations

import argparse
import json
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

BUDGETS = (0.1, 0.2, 0.3)


def precision_at(priority: list[float], positive: list[bool], share: float) -> float:
    """Share of positives among the ``share`` of threads with the highest priority."""
    n = max(1, round(len(priority) * share))
    top = np.argsort(-np.asarray(priority), kind="mergesort")[:n]
    return float(np.mean([positive[i] for i in top]))


def evaluate(dialogues: list[dict[str, object]], code: str) -> dict[str, float]:
    rubric = load_rubric(ROOT / "rubrics" / "default.yaml")
    s_mean = [mean_label(d, "S") for d in dialogues]
    a_mean = [mean_label(d, "A") for d in dialogues]
    scores, resolution, satisfied, resolved, priority = [], [], [], [], []
    flagged: list[object] = []
    start = time.perf_counter()
    for d in dialogues:
        t = replace(stc3_transcript(d, code), call_id=f"{code}:{d['id']}")
        result = score_call(t, rubric)
        scores.append(result.score)
        resolution.append(sections_score(result, ("resolution",)))
        assert result.outcome is not None
        satisfied.append(result.outcome.satisfaction)
        resolved.append(result.outcome.resolved)
        priority.append(review_priority(result, result.flags).value)
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
        "flagged_share": float(np.mean([bool(r) for r in flagged])),
        "calls_per_s": len(dialogues) / seconds,
    }
    for share in BUDGETS:
        out[f"precision@{share:.0%}"] = precision_at(priority, unhappy, share)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, help="threads per half and language")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    figures: dict[str, dict[str, float]] = {}
    for code, name in STC3_FILES.items():
        path = args.data / "stc3" / name
        if not path.is_file():
            print(f"{path} not found; nothing to do")
            return
        dialogues = json.loads(path.read_text("utf-8"))
        half = len(dialogues) // 2
        for label, part in (("dev", dialogues[:half]), ("held-out", dialogues[half:])):
            figures[f"{code} {label}"] = evaluate(part[: args.limit], code)
    keys = list(next(iter(figures.values())))
    print(f"{'':<22}" + "".join(f"{k:>14}" for k in figures))
    for key in keys:
        print(f"{key:<22}" + "".join(f"{figures[k][key]:>14.3f}" for k in figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), "utf-8")


if __name__ == "__main__":
    main()
