"""The default rubric against human judgements, uncalibrated, and how fast it scores.

STC-3 (``stc3/dev_en.json``, ``dev_cn.json``): real customer↔helpdesk dialogues
(Weibo), each rated by 19 annotators on −2..2 for A (task accomplished) and S
(customer satisfaction); the label is the annotators' mean. Every dialogue is
scored as a text transcript (customer / helpdesk → customer / agent) and we
report, per language, Spearman's ρ of

- the call score with mean A and with mean S,
- the resolution section with mean A,
- the empathy + resolution sections (their weighted mean) with mean S,

and the AUC of (100 − score) for flagging a dissatisfied customer (mean S < 0).
For reference, one annotator against the mean of the other 18 reaches about
0.50 (A) and 0.55 (S).

EPITOME (``epitome/dev_emotional-reactions-reddit.csv``): Reddit support
responses rated 0/1/2 for emotional reactions (warmth, compassion, concern).
The default rubric's empathy items (acknowledge_feelings, apology,
three_step_soothing) are run on the response, without their complaint gate;
we report each item's and their count's accuracy, AUC for level ≥ 1 and
Spearman with the level.

Nothing is trained on the labels. Run:
``.venv/bin/python -m benchmarks.score_eval [--data ../shared/data] [--limit N]``
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_toolkit.rubric import Item, Rubric, load_rubric
from qa_toolkit.rubric.detectors import View, resolve_detector
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.types import CallScore
from qa_toolkit.types import AudioSource, Transcript, Utterance

ROOT = Path(__file__).resolve().parents[1]
STC3_FILES = {"en": "dev_en.json", "zh": "dev_cn.json"}
EPITOME_FILE = "dev_emotional-reactions-reddit.csv"
EMPATHY_ITEMS = ("acknowledge_feelings", "apology", "three_step_soothing")


def ranks(values: Sequence[float]) -> np.ndarray:
    """Ranks from 1, ties sharing their average rank."""
    data = np.asarray(values, dtype=float)
    order = np.argsort(data, kind="mergesort")
    ranked = np.empty(len(data))
    ranked[order] = np.arange(1, len(data) + 1)
    for value in np.unique(data):
        tied = data == value
        ranked[tied] = ranked[tied].mean()
    return ranked


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's ρ (Pearson's r of the tie-averaged ranks); NaN when one side is constant."""
    rx, ry = ranks(x), ranks(y)
    if rx.std() == 0 or ry.std() == 0:
        return float("nan")
    return float(np.corrcoef(rx, ry)[0, 1])


def auc(scores: Sequence[float], positive: Sequence[bool]) -> float:
    """Area under the ROC curve: P(a positive outscores a negative), ties counting half."""
    pos = np.asarray(positive, dtype=bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    r = ranks(scores)
    return float((r[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def stc3_transcript(dialogue: dict[str, object], language: str) -> Transcript:
    """An STC-3 dialogue as a text transcript: one utterance per turn."""
    turns = dialogue["turns"]
    assert isinstance(turns, list)
    role = {"customer": "customer", "helpdesk": "agent"}
    utts = tuple(
        Utterance(f"u{i}", role[t["sender"]], 0.0, 0.0, " ".join(t["utterances"]))  # type: ignore[arg-type]
        for i, t in enumerate(turns)
    )
    return Transcript(str(dialogue["id"]), utts, language, source=AudioSource(kind="text"))


def mean_label(dialogue: dict[str, object], key: str) -> float:
    """The annotators' mean rating (A, S or E)."""
    annotations = dialogue["annotations"]
    assert isinstance(annotations, list)
    return statistics.fmean(a["quality"][key] for a in annotations)


def sections_score(score: CallScore, ids: tuple[str, ...]) -> float:
    """Weighted mean of some sections' scores (those with an applicable item); 50 if none."""
    parts = [s for s in score.sections if s.section_id in ids and s.score is not None]
    total = sum(s.weight for s in parts)
    return sum(s.weight * (s.score or 0.0) for s in parts) / total if total else 50.0


@dataclass
class Stc3Result:
    language: str
    dialogues: int
    seconds: float
    items: list[tuple[str, float, float, float, float]]  # id, pass, n.a. share, ρ(A), ρ(S)
    rho_score_a: float
    rho_score_s: float
    rho_resolution_a: float
    rho_emp_res_s: float
    auc_score: float
    auc_emp_res: float
    dissatisfied: int


def eval_stc3(path: Path, language: str, rubric: Rubric, limit: int | None) -> Stc3Result:
    dialogues = json.loads(path.read_text("utf-8"))[:limit]
    transcripts = [stc3_transcript(d, language) for d in dialogues]
    start = time.perf_counter()
    scores = [score_call(t, rubric) for t in transcripts]
    seconds = time.perf_counter() - start
    a = [mean_label(d, "A") for d in dialogues]
    s = [mean_label(d, "S") for d in dialogues]
    total = [c.score for c in scores]
    resolution = [sections_score(c, ("resolution",)) for c in scores]
    emp_res = [sections_score(c, ("empathy", "resolution")) for c in scores]
    unhappy = [v < 0 for v in s]
    return Stc3Result(
        language,
        len(dialogues),
        seconds,
        _item_table(scores, rubric, a, s),
        spearman(total, a),
        spearman(total, s),
        spearman(resolution, a),
        spearman(emp_res, s),
        auc([100 - v for v in total], unhappy),
        auc([100 - v for v in emp_res], unhappy),
        sum(unhappy),
    )


def _item_table(
    scores: list[CallScore], rubric: Rubric, a: list[float], s: list[float]
) -> list[tuple[str, float, float, float, float]]:
    """Per item: pass and n.a. shares, and ρ of its outcome (fail 0, n.a. ½, pass 1) with A, S."""
    table = []
    value = {"fail": 0.0, "na": 0.5, "pass": 1.0}
    for item in rubric.items:
        statuses = [c.item(item.id).status for c in scores]
        outcome = [value[st] for st in statuses]
        share = statistics.fmean(st == "pass" for st in statuses)
        na = statistics.fmean(st == "na" for st in statuses)
        table.append((item.id, share, na, spearman(outcome, a), spearman(outcome, s)))
    return table


def detect_on_response(item: Item, transcript: Transcript) -> bool:
    """Whether an item's detector passes on the agent's turns (applies_if and anchor aside)."""
    utts = transcript.by_speaker("agent")
    view = View(transcript, utts, "the response", {}, "agent")
    return resolve_detector(item.detector).detect(view, item.options).status == "pass"


@dataclass
class EpitomeRow:
    name: str
    pass_rate: float
    accuracy: float
    auc: float
    rho: float


def eval_epitome(path: Path, rubric: Rubric, limit: int | None) -> tuple[int, list[EpitomeRow]]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))[:limit]
    levels = [int(r["level"]) for r in rows]
    empathic = [lvl >= 1 for lvl in levels]
    items = {i.id: i for i in rubric.items if i.id in EMPATHY_ITEMS}
    passed: dict[str, list[bool]] = {name: [] for name in items}
    for row in rows:
        call = Transcript(
            row["rp_id"],
            (
                Utterance("u0", "customer", 0.0, 0.0, row["seeker_post"]),
                Utterance("u1", "agent", 0.0, 0.0, row["response_post"]),
            ),
            "en",
            source=AudioSource(kind="text"),
        )
        for name, item in items.items():
            passed[name].append(detect_on_response(item, call))
    count = [sum(p[i] for p in passed.values()) for i in range(len(rows))]
    results = [
        _epitome_row(name, [float(v) for v in p], empathic, levels) for name, p in passed.items()
    ]
    results.append(_epitome_row("count of the three", count, empathic, levels))
    return len(rows), results


def _epitome_row(
    name: str, score: Sequence[float], empathic: list[bool], levels: list[int]
) -> EpitomeRow:
    predicted = [v > 0 for v in score]
    accuracy = statistics.fmean(p == e for p, e in zip(predicted, empathic, strict=True))
    return EpitomeRow(
        name, statistics.fmean(predicted), accuracy, auc(score, empathic), spearman(score, levels)
    )


def _print_stc3(results: list[Stc3Result]) -> None:
    print("STC-3 (default rubric, uncalibrated; human: one annotator vs the rest ≈ 0.50 A, 0.55 S)")
    head = f"{'lang':<5}{'n':>6}{'ρ(score,A)':>12}{'ρ(score,S)':>12}{'ρ(res,A)':>10}"
    print(head + f"{'ρ(emp+res,S)':>14}{'AUC S<0':>9}{'AUC e+r':>9}{'ms/call':>9}{'calls/s':>9}")
    for r in results:
        ms = 1000 * r.seconds / r.dialogues
        print(
            f"{r.language:<5}{r.dialogues:>6}{r.rho_score_a:>12.3f}{r.rho_score_s:>12.3f}"
            f"{r.rho_resolution_a:>10.3f}{r.rho_emp_res_s:>14.3f}{r.auc_score:>9.3f}"
            f"{r.auc_emp_res:>9.3f}{ms:>9.2f}{r.dialogues / r.seconds:>9.1f}"
        )
    for r in results:
        print(f"  {r.language}: {r.dissatisfied} of {r.dialogues} dialogues have mean S < 0")


def _print_items(results: list[Stc3Result]) -> None:
    print("\nSTC-3 per item: pass share, n.a. share, ρ of the outcome with A and S")
    for r in results:
        print(f"  {r.language}: {'item':<26}{'pass':>6}{'n.a.':>6}{'ρ(A)':>8}{'ρ(S)':>8}")
        for name, share, na, rho_a, rho_s in r.items:
            print(f"      {name:<26}{share:>6.2f}{na:>6.2f}{rho_a:>8.3f}{rho_s:>8.3f}")


def _print_epitome(n: int, rows: list[EpitomeRow]) -> None:
    print(f"\nEPITOME emotional reactions ({n} responses; target: level ≥ 1)")
    print(f"{'detector':<22}{'pass rate':>10}{'accuracy':>10}{'AUC':>8}{'ρ(level)':>10}")
    for r in rows:
        print(f"{r.name:<22}{r.pass_rate:>10.3f}{r.accuracy:>10.3f}{r.auc:>8.3f}{r.rho:>10.3f}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--rubric", type=Path, default=ROOT / "rubrics" / "default.yaml")
    parser.add_argument("--limit", type=int, default=None, help="first N items of each file")
    parser.add_argument("--items", action="store_true", help="also print STC-3 per rubric item")
    args = parser.parse_args(argv)
    rubric = load_rubric(args.rubric)
    print(f"rubric {rubric.id} v{rubric.version}; data {args.data}\n")
    stc3 = [
        eval_stc3(args.data / "stc3" / name, lang, rubric, args.limit)
        for lang, name in STC3_FILES.items()
        if (args.data / "stc3" / name).is_file()
    ]
    if stc3:
        _print_stc3(stc3)
        if args.items:
            _print_items(stc3)
    else:
        print(f"STC-3 skipped: no {' or '.join(STC3_FILES.values())} in {args.data / 'stc3'}")
    epitome = args.data / "epitome" / EPITOME_FILE
    if epitome.is_file():
        _print_epitome(*eval_epitome(epitome, rubric, args.limit))
    else:
        print(f"\nEPITOME skipped: {epitome} not found")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
