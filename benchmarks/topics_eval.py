"""Contact reasons against one reader's labels on STC-3 dev: discovery and taxonomy assignment.

Data: STC-3 dev (``stc3/dev_en.json``, ``dev_cn.json``: real customer↔helpdesk Weibo threads;
the 808 English threads are translations of Chinese ones with the same ids). Labels:
``benchmarks/data/topics/labels.csv`` (ids and labels only; the texts stay in the shared data),
130 threads labelled by contact reason by one reader following
``benchmarks/data/topics/README.md``, each labelled thread read in both languages.

Reported:

- **discovery** (:func:`qa_toolkit.topics.discover.find_topics`, no taxonomy, default
  options) over all 2,596 dev threads (each language version a call), scored on the labelled
  ones per language: purity, NMI and adjusted Rand index against the labels, beside a chance
  baseline (the same topic sizes, shuffled: mean of 20 shuffles); and how often the English
  and the Chinese version of a thread land in the same topic (all 808 pairs, and the labelled);
- **taxonomy assignment** (``taxonomies/contact_reasons.yaml`` at its shipped threshold):
  accuracy (a thread labelled ``other`` is right when left unassigned), coverage (share
  assigned) and accuracy on the assigned, per language, beside the majority label; and the
  threshold that ``qa taxonomy calibrate`` would tune on these labels with its 5-fold
  out-of-fold accuracy (shown, not shipped: nothing is tuned on STC-3);
- a sweep of discovery's ``merge_similarity`` (sensitivity only; the default was not chosen
  from it).

Run: ``.venv/bin/python -m benchmarks.topics_eval [--data ../shared/data] [--no-sweep]``
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.score_eval import stc3_transcript
from qa_toolkit.topics.assign import TopicAssigner
from qa_toolkit.topics.discover import DiscoveryOptions, find_topics
from qa_toolkit.topics.taxonomy import load_taxonomy
from qa_toolkit.topics.text import opening
from qa_toolkit.topics.tuning import NO_TOPIC, tune_threshold
from qa_toolkit.types import Transcript

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "benchmarks" / "data" / "topics" / "labels.csv"
SECOND = ROOT / "benchmarks" / "data" / "topics" / "second_reading.csv"
TAXONOMY = ROOT / "taxonomies" / "contact_reasons.yaml"
FILES = {"en": "dev_en.json", "zh": "dev_cn.json"}


def read_labels(path: Path) -> dict[str, str]:
    """Thread id → label."""
    with path.open(encoding="utf-8") as handle:
        return {row["id"]: row["label"] for row in csv.DictReader(handle)}


def load_threads(data: Path) -> list[Transcript]:
    """Every dev thread in each language, as a transcript ``<id>-<lang>``."""
    out = []
    for language, name in FILES.items():
        for thread in json.loads((data / "stc3" / name).read_text("utf-8")):
            found = stc3_transcript(thread, language)
            out.append(replace(found, call_id=f"{found.call_id}-{language}"))
    return out


def purity(truth: Sequence[str], found: Sequence[str]) -> float:
    """Share of threads in their topic's commonest label."""
    pairs = Counter(zip(found, truth, strict=True))
    best: dict[str, int] = {}
    for (topic, _), n in pairs.items():
        best[topic] = max(best.get(topic, 0), n)
    return sum(best.values()) / len(truth)


def _scores(truth: Sequence[str], found: Sequence[str]) -> tuple[float, float, float]:
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    return (purity(truth, found), float(normalized_mutual_info_score(truth, found)),
            float(adjusted_rand_score(truth, found)))  # fmt: skip


def _chance(truth: Sequence[str], found: Sequence[str]) -> tuple[float, float, float]:
    rng = random.Random(0)
    runs = []
    for _ in range(20):
        shuffled = list(found)
        rng.shuffle(shuffled)
        runs.append(_scores(truth, shuffled))
    return tuple(float(np.mean([r[i] for r in runs])) for i in range(3))  # type: ignore[return-value]


def discovery(
    threads: Sequence[Transcript], labels: dict[str, str], options: DiscoveryOptions
) -> dict[str, object]:
    """Discovery over every thread, scored on the labelled ones."""
    started = time.perf_counter()
    run = find_topics([opening(t) for t in threads], options=options)
    seconds = time.perf_counter() - started
    topic = {c.call_id: str(c.topic_id) for c in run.calls}
    out: dict[str, object] = {"topics": len(run.topics), "seconds": round(seconds, 1),
                              "unassigned": sum(c.topic_id is None for c in run.calls)}  # fmt: skip
    for language in FILES:
        ids = sorted(labels)
        truth = [labels[i] for i in ids]
        found = [topic[f"{i}-{language}"] for i in ids]
        out[language] = {"scores": _scores(truth, found), "chance": _chance(truth, found)}
    english = [c.split("-")[0] for c in topic if c.endswith("-en")]
    out["same_topic_all"] = float(np.mean([topic[f"{i}-en"] == topic[f"{i}-zh"] for i in english]))
    out["same_topic_labelled"] = float(np.mean([topic[f"{i}-en"] == topic[f"{i}-zh"]
                                                for i in labels]))  # fmt: skip
    out["names"] = [(t.topic_id, len(t.call_ids), t.name["en"], t.name["zh"]) for t in run.topics]
    return out


def assignment(threads: Sequence[Transcript], labels: dict[str, str]) -> dict[str, object]:
    """The shipped taxonomy's assignment of the labelled threads, per language."""
    assigner = TopicAssigner(load_taxonomy(TAXONOMY))
    out: dict[str, object] = {"threshold": assigner.threshold}
    by_id = {t.call_id: t for t in threads}
    for language in FILES:
        chosen = [by_id[f"{i}-{language}"] for i in sorted(labels)]
        found = assigner.assign_many(chosen)
        truth = [labels[t.call_id.rsplit("-", 1)[0]] for t in chosen]
        predicted = [a.topic_id or NO_TOPIC for a in found]
        right = [p == y for p, y in zip(predicted, truth, strict=True)]
        assigned = [r for r, a in zip(right, found, strict=True) if a.topic_id is not None]
        common = Counter(truth).most_common(1)[0]
        relabelled = {t.call_id: truth[n] for n, t in enumerate(chosen)}
        fit = tune_threshold(assigner, chosen, relabelled, folds=5)
        out[language] = {
            "accuracy": float(np.mean(right)), "coverage": len(assigned) / len(right),
            "accuracy_assigned": float(np.mean(assigned)) if assigned else None,
            "majority": (common[0], common[1] / len(truth)),
            "tuned": (fit.threshold, fit.accuracy, fit.coverage),
            "confused": Counter((y, p) for p, y in zip(predicted, truth, strict=True)
                                if p != y).most_common(4),
        }  # fmt: skip
    return out


def _row(name: str, values: Sequence[float]) -> str:
    return f"| {name} | " + " | ".join(f"{v:.3f}" for v in values) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--no-sweep", action="store_true", help="skip the merge sweep")
    args = parser.parse_args()
    if not (args.data / "stc3" / "dev_en.json").exists():
        raise SystemExit(f"STC-3 not found under {args.data} (see ../shared/data/README.md)")
    labels = read_labels(LABELS)
    second = read_labels(SECOND)
    agree = sum(labels[i] == v for i, v in second.items())
    print(f"labels: {len(labels)} threads x 2 languages; {Counter(labels.values()).most_common()}")
    print(f"second reading by the same reader: {agree}/{len(second)} the same "
          "(a self-consistency check, not agreement between readers)")  # fmt: skip
    threads = load_threads(args.data)
    found = discovery(threads, labels, DiscoveryOptions())
    print(f"\ndiscovery: {len(threads)} threads -> {found['topics']} topics in "
          f"{found['seconds']} s; {found['unassigned']} unassigned")  # fmt: skip
    print("| language | purity | NMI | ARI | chance purity | chance NMI | chance ARI |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for language in FILES:
        part = found[language]
        assert isinstance(part, dict)
        print(_row(language, [*part["scores"], *part["chance"]]))
    print(f"English and Chinese version in the same topic: {found['same_topic_all']:.3f} of all "
          f"808 threads, {found['same_topic_labelled']:.3f} of the labelled")  # fmt: skip
    for name in found["names"]:  # type: ignore[attr-defined]
        print("   ", *name)
    assigned = assignment(threads, labels)
    print(f"\ntaxonomy assignment at the shipped threshold {assigned['threshold']}:")
    print("| language | accuracy | coverage | accuracy (assigned) | majority | "
          "tuned threshold | tuned accuracy (5-fold) | tuned coverage |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for language in FILES:
        part = assigned[language]
        assert isinstance(part, dict)
        tuned = part["tuned"]
        print(
            f"| {language} | {part['accuracy']:.3f} | {part['coverage']:.3f} | "
            f"{part['accuracy_assigned']:.3f} | {part['majority'][1]:.3f} "
            f"({part['majority'][0]}) | {tuned[0]:.2f} | {tuned[1]:.3f} | {tuned[2]:.3f} |"
        )
        print(f"    most confused (label, answer): {part['confused']}")
    if args.no_sweep:
        return
    print("\nsensitivity of discovery to merge_similarity (not used to choose the default):")
    for merge in (0.3, 0.4, 0.5, 0.6):
        sweep = discovery(threads, labels, DiscoveryOptions(merge_similarity=merge))
        en, zh = sweep["en"], sweep["zh"]
        assert isinstance(en, dict) and isinstance(zh, dict)
        print(
            f"  {merge}: {sweep['topics']} topics; NMI en {en['scores'][1]:.3f} zh "
            f"{zh['scores'][1]:.3f}; same topic {sweep['same_topic_all']:.3f}"
        )


if __name__ == "__main__":
    main()
