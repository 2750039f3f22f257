"""Item verdicts against readers' labels: the default rubric (v4) beside v2 and the majority.

The yardstick (``benchmarks/yardstick.py``): written calls and chats, the samples and two public
recordings transcribed by ``qa transcribe``, and 80 STC-3 helpdesk threads (read from
``../shared/data`` when present). Two readers labelled every conversation item by item with
``docs/labelling-guide.md``; ``verdicts/labels/gold.csv`` holds the settled item labels (the
format ``qa calibrate --labels`` reads), ``gold_events.csv`` the events, ``unsure.json`` the
verdicts that are not confident (a reader marked them unsure, or the readers disagreed).

Printed: the readers' agreement (accuracy and Cohen's κ per item); then for each rubric, per item
accuracy and κ against gold, overall accuracy (all verdicts, and confident ones only), beside the
per-item majority baseline (always answering the item's commonest gold verdict); per language and
per source; the three events; and speed (model load, calls per second for a 4-minute call).

    .venv/bin/python -m benchmarks.verdicts_eval [--data ../shared/data] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.yardstick import DEFAULT_DATA, HERE, ROOT, Conversation, load_yardstick
from qa_toolkit.rubric import Rubric, load_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.types import Transcript, Utterance

LABELS = HERE / "labels"
RUBRICS = {"v4": ROOT / "rubrics" / "default.yaml", "v2": HERE / "default_v2.yaml"}
EVENTS = {"complaint": "complaint", "account_change": "account_action", "hold": "hold"}


def read_labels(path: Path) -> dict[str, dict[str, str]]:
    """call_id → {column: value} from a label CSV (values lower-cased, ``?`` kept)."""
    with path.open(encoding="utf-8") as f:
        return {
            row["call_id"]: {k: (v or "").strip().lower() for k, v in row.items() if k != "call_id"}
            for row in csv.DictReader(f)
        }


def kappa(a: Sequence[str], b: Sequence[str]) -> float:
    """Cohen's κ of two raters' labels (NaN when chance agreement is total)."""
    n = len(a)
    if n == 0:
        return float("nan")
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return float("nan") if expected >= 1 else (observed - expected) / (1 - expected)


def _plain(value: str) -> str:
    value = value.rstrip("?").strip()
    return {"yes": "pass", "no": "fail", "n/a": "na"}.get(value, value)


@dataclass
class Tally:
    """Predicted and gold verdicts of one group (an item, a language…)."""

    pred: list[str] = field(default_factory=list)
    gold: list[str] = field(default_factory=list)
    sure: list[bool] = field(default_factory=list)

    def add(self, pred: str, gold: str, sure: bool) -> None:
        self.pred.append(pred)
        self.gold.append(gold)
        self.sure.append(sure)

    def accuracy(self, sure_only: bool = False) -> float:
        pairs = [
            (p, g)
            for p, g, s in zip(self.pred, self.gold, self.sure, strict=True)
            if s or not sure_only
        ]
        return sum(p == g for p, g in pairs) / len(pairs) if pairs else float("nan")

    def kappa(self) -> float:
        return kappa(self.pred, self.gold)

    def majority(self) -> float:
        if not self.gold:
            return float("nan")
        return Counter(self.gold).most_common(1)[0][1] / len(self.gold)


def reader_agreement(items: Sequence[str]) -> None:
    """Print the two readers' agreement per item, before settling."""
    a_path, b_path = LABELS / "reader_a.csv", LABELS / "reader_b.csv"
    if not (a_path.is_file() and b_path.is_file()):
        print("reader files not found; agreement not reported")
        return
    a, b = read_labels(a_path), read_labels(b_path)
    common = sorted(set(a) & set(b))
    print(f"\nReaders' agreement on {len(common)} conversations (before settling)")
    print(f"{'item':<26} {'agree':>6} {'kappa':>6}")
    all_a: list[str] = []
    all_b: list[str] = []
    for item in items:
        xa = [_plain(a[c].get(item, "")) for c in common]
        xb = [_plain(b[c].get(item, "")) for c in common]
        pairs = [(x, y) for x, y in zip(xa, xb, strict=True) if x and y]
        if not pairs:
            continue
        pa, pb = [p for p, _ in pairs], [q for _, q in pairs]
        all_a += pa
        all_b += pb
        agree = sum(x == y for x, y in pairs) / len(pairs)
        print(f"{item:<26} {agree:>6.3f} {kappa(pa, pb):>6.3f}")
    overall = sum(x == y for x, y in zip(all_a, all_b, strict=True)) / max(len(all_a), 1)
    print(f"{'all verdicts':<26} {overall:>6.3f} {kappa(all_a, all_b):>6.3f}")


def evaluate(
    rubric: Rubric,
    conversations: Sequence[Conversation],
    gold: dict[str, dict[str, str]],
    unsure: dict[str, set[str]],
) -> dict[str, Tally]:
    """Tallies keyed ``item:<id>``, ``event:<id>``, ``lang:<code>``, ``source:<s>``, ``all``."""
    tallies: dict[str, Tally] = {}
    for c in conversations:
        labels = gold.get(c.call_id)
        if labels is None:
            continue
        score = score_call(c.transcript, rubric)
        sure_items = unsure.get(c.call_id, set())
        for item in score.items:
            truth = _plain(labels.get(item.item_id, ""))
            if not truth:
                continue
            sure = item.item_id not in sure_items
            for key in (f"item:{item.item_id}", f"lang:{c.language}", f"source:{c.source}", "all"):
                tallies.setdefault(key, Tally()).add(item.status, truth, sure)
        happened = _event_statuses(c.transcript, rubric)
        for column, event_id in EVENTS.items():
            truth = _plain(labels.get(column, ""))
            if truth and event_id in happened:
                tallies.setdefault(f"event:{column}", Tally()).add(happened[event_id], truth, True)
    return tallies


def _event_statuses(transcript: Transcript, rubric: Rubric) -> dict[str, str]:
    """Every event's verdict (pass = happened), decided as scoring decides it."""
    from qa_toolkit.scoring.engine import Evaluation  # events are not in the score record

    run = Evaluation(transcript, rubric, {})
    events = {e.id for e in rubric.events}
    for node in rubric.order:
        if node in events:
            run.evaluate(node)
    return {e: ("pass" if run.events[e].status == "pass" else "fail") for e in events}


def print_tallies(name: str, tallies: dict[str, Tally], items: Sequence[str]) -> None:
    print(f"\n{name}: per item against gold")
    print(f"{'item':<26} {'acc':>6} {'kappa':>6} {'major':>6} {'n':>4}")
    for item in items:
        t = tallies.get(f"item:{item}")
        if t:
            print(f"{item:<26} {_row(t)}")
    base = _majority_overall(tallies, items)
    t = tallies["all"]
    print(
        f"{'ALL':<26} {t.accuracy():>6.3f} {t.kappa():>6.3f} {base:>6.3f} {len(t.gold):>4}"
        f"   (confident only: {t.accuracy(sure_only=True):.3f})"
    )
    for prefix in ("lang:", "source:", "event:"):
        for key in sorted(k for k in tallies if k.startswith(prefix)):
            t = tallies[key]
            print(f"  {key:<24} {_row(t)}")


def _row(t: Tally) -> str:
    return f"{t.accuracy():>6.3f} {t.kappa():>6.3f} {t.majority():>6.3f} {len(t.gold):>4}"


def _majority_overall(tallies: dict[str, Tally], items: Sequence[str]) -> float:
    hits = n = 0
    for item in items:
        t = tallies.get(f"item:{item}")
        if t and t.gold:
            hits += Counter(t.gold).most_common(1)[0][1]
            n += len(t.gold)
    return hits / n if n else float("nan")


def speed(rubric: Rubric) -> tuple[float, float, float]:
    """(seconds to load the model and encoder and classify a first sentence in a fresh process,
    calls per second in one process, calls per second in two processes) for a 4-minute call."""
    import subprocess
    import sys
    from concurrent.futures import ProcessPoolExecutor

    code = (
        "import time; t=time.perf_counter();"
        "from qa_toolkit.nlp.behaviour import load_behaviour_model;"
        "m=load_behaviour_model(); m.predict_proba(m.features(['Hello.'], ['']), ['Hello.']);"
        "print(time.perf_counter()-t)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    load_s = float(run.stdout.strip())
    calls = [_four_minute_call(i) for i in range(40)]
    score_call(calls[0], rubric)  # the encoder loaded; every call's text differs
    start = time.perf_counter()
    for t in calls[1:21]:
        score_call(t, rubric)
    one = 20 / (time.perf_counter() - start)
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_score_default, calls[:2]))  # each worker loads the model once
        start = time.perf_counter()
        list(pool.map(_score_default, calls[2:40]))
        two = 38 / (time.perf_counter() - start)
    return load_s, one, two


def _score_default(transcript: Transcript) -> float:
    return score_call(transcript, load_rubric(RUBRICS["v4"])).score


def _four_minute_call(seed: int) -> Transcript:
    """A 4-minute, 60-turn call of varied service sentences (each call's text differs)."""
    agent = [
        "Thank you for calling, this is Sam, how can I help?",
        "I'm sorry to hear that, let me pull up your account.",
        "Could you confirm your date of birth for me?",
        "So the bill for March was charged twice, is that right?",
        "I've refunded the duplicate charge, you'll see it in three days.",
        "Is there anything else I can help you with today?",
    ]
    customer = [
        "Hi, I was charged twice this month and I'm really annoyed.",
        "It's the fourteenth of May, nineteen eighty.",
        "Yes, that's right, both on the same day.",
        "Okay, thanks, that's all I needed.",
    ]
    utts = []
    for i in range(60):
        who = "agent" if i % 2 == 0 else "customer"
        pool = agent if who == "agent" else customer
        text = f"{pool[(i // 2 + seed) % len(pool)]} ({seed}-{i})"
        utts.append(Utterance(f"u{i}", who, i * 4.0, i * 4.0 + 3.5, text))  # type: ignore[arg-type]
    return Transcript(f"speed-{seed}", tuple(utts), "en", duration_s=240.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--no-speed", action="store_true")
    args = parser.parse_args()
    conversations = load_yardstick(args.data)
    gold = read_labels(LABELS / "gold.csv")
    for call_id, events in read_labels(LABELS / "gold_events.csv").items():
        gold.setdefault(call_id, {}).update(events)
    unsure_path = LABELS / "unsure.json"
    unsure = (
        {k: set(v) for k, v in json.loads(unsure_path.read_text("utf-8")).items()}
        if (unsure_path.is_file())
        else {}
    )
    rubrics = {name: load_rubric(path) for name, path in RUBRICS.items()}
    items = [i.id for i in rubrics["v4"].items]
    labelled = [c for c in conversations if c.call_id in gold]
    by_source = Counter(c.source for c in labelled)
    by_lang = Counter(c.language for c in labelled)
    print(f"{len(labelled)} labelled conversations here ({dict(by_source)}; {dict(by_lang)})")
    reader_agreement([*items, *EVENTS])
    figures: dict[str, object] = {}
    for name, rubric in rubrics.items():
        tallies = evaluate(rubric, labelled, gold, unsure)
        print_tallies(f"default rubric {name}", tallies, items)
        figures[name] = {
            k: {"accuracy": t.accuracy(), "kappa": t.kappa(), "n": len(t.gold)}
            for k, t in tallies.items()
        }
        figures[name]["confident"] = tallies["all"].accuracy(sure_only=True)  # type: ignore[index]
        figures[name]["majority"] = _majority_overall(tallies, items)  # type: ignore[index]
    if not args.no_speed:
        load_s, one, two = speed(rubrics["v4"])
        print(
            f"\nspeed: model and encoder ready in {load_s:.2f} s (fresh process); scoring a"
            f" 60-turn, 4-minute call with v4: {one:.1f} calls/s in one process, {two:.1f} in two"
        )
        figures["speed"] = {"load_s": load_s, "calls_per_s": one, "calls_per_s_two": two}
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=float), "utf-8")


if __name__ == "__main__":
    main()
