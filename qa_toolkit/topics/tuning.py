"""Tune a taxonomy's threshold on calls a team labelled, with cross-validated accuracy.

A labelled call is right when its assignment equals its label: the topic, or no topic for a
call labelled ``other`` (none of the taxonomy's reasons). The threshold trades coverage (how
many calls get a topic) against accuracy. :func:`tune_threshold` picks the threshold with the
best accuracy on the labelled calls, and reports its accuracy *out of fold*: for each of k
folds the threshold is chosen on the other folds and scored on this one, so the figure is what
a new day's calls can expect, not what the threshold was fitted to.

Labels are a CSV with ``call_id`` and ``topic`` columns (``other`` or empty: no topic).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_toolkit.errors import LabelFileError
from qa_toolkit.topics.assign import Assignment, TopicAssigner
from qa_toolkit.topics.text import Opening
from qa_toolkit.types import Transcript

NO_TOPIC = "other"
GRID = tuple(round(0.2 + 0.01 * n, 2) for n in range(41))  # 0.20 .. 0.60


@dataclass(frozen=True, slots=True)
class ThresholdFit:
    """The tuned threshold and how well it does.

    ``accuracy`` and ``coverage`` are out of fold (mean over folds); ``current_accuracy`` is the
    accuracy at the threshold the assigner had, on the same calls, for comparison;
    ``majority`` the accuracy of always answering the most common label.
    """

    threshold: float
    accuracy: float
    coverage: float
    current_threshold: float
    current_accuracy: float
    majority: float
    calls: int
    folds: int
    fold_accuracy: tuple[float, ...]

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""
        return {
            "threshold": self.threshold, "accuracy": round(self.accuracy, 4),
            "coverage": round(self.coverage, 4), "current_threshold": self.current_threshold,
            "current_accuracy": round(self.current_accuracy, 4),
            "majority": round(self.majority, 4), "calls": self.calls, "folds": self.folds,
            "fold_accuracy": [round(a, 4) for a in self.fold_accuracy],
        }  # fmt: skip


def load_labels(path: str | Path, known: Sequence[str]) -> dict[str, str]:
    """Call id → topic (``other`` for none) from a CSV with ``call_id`` and ``topic``.

    Raises:
        LabelFileError: the file is missing, has no such columns, or names unknown topics.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise LabelFileError(path, [f"cannot read it ({error.strerror})"]) from None
    if not rows or not {"call_id", "topic"} <= set(rows[0]):
        raise LabelFileError(path, ["needs the columns call_id and topic"],
                             fix="write a header line: call_id,topic")  # fmt: skip
    labels, problems = {}, []
    for line, row in enumerate(rows, start=2):
        topic = (row.get("topic") or "").strip() or NO_TOPIC
        if topic != NO_TOPIC and topic not in known:
            problems.append(f"line {line}: unknown topic {topic!r}")
        labels[(row.get("call_id") or "").strip()] = topic
    if problems:
        raise LabelFileError(path, problems[:10], fix=f"use one of {', '.join(known)} or other")
    return labels


def _correct(found: Sequence[Assignment], labels: Sequence[str], threshold: float) -> np.ndarray:
    predicted = [a.best if a.best is not None and a.similarity >= threshold else NO_TOPIC
                 for a in found]  # fmt: skip
    return np.asarray([p == y for p, y in zip(predicted, labels, strict=True)])


def _best(found: Sequence[Assignment], labels: Sequence[str], grid: Sequence[float]) -> float:
    scores = [float(_correct(found, labels, t).mean()) for t in grid]
    return grid[int(np.argmax(scores))]


def tune_threshold(
    assigner: TopicAssigner,
    calls: Sequence[Transcript | Opening],
    labels: Mapping[str, str],
    *,
    folds: int = 5,
    seed: int = 0,
    grid: Sequence[float] = GRID,
) -> ThresholdFit:
    """The threshold with the best accuracy on labelled calls, with its out-of-fold accuracy.

    Raises:
        LabelFileError: fewer than ``2 * folds`` of the calls are labelled.
    """
    chosen = [c for c in calls if c.call_id in labels]
    if len(chosen) < 2 * folds:
        raise LabelFileError("labels", [f"{len(chosen)} labelled calls found; need at least "
                                        f"{2 * folds}"], fix="label more calls")  # fmt: skip
    found = assigner.assign_many(chosen)
    truth = [labels[c.call_id] for c in chosen]
    order = list(range(len(chosen)))
    random.Random(seed).shuffle(order)
    parts = [order[n::folds] for n in range(folds)]
    accuracy, coverage = [], []
    for held in parts:
        rest = [i for i in order if i not in set(held)]
        cut = _best([found[i] for i in rest], [truth[i] for i in rest], grid)
        right = _correct([found[i] for i in held], [truth[i] for i in held], cut)
        accuracy.append(float(right.mean()))
        coverage.append(float(np.mean([found[i].similarity >= cut for i in held])))
    common = max(set(truth), key=truth.count)
    return ThresholdFit(
        _best(found, truth, grid), float(np.mean(accuracy)), float(np.mean(coverage)),
        assigner.threshold, float(_correct(found, truth, assigner.threshold).mean()),
        truth.count(common) / len(truth), len(chosen), folds, tuple(accuracy),
    )  # fmt: skip


__all__ = ["GRID", "NO_TOPIC", "ThresholdFit", "load_labels", "tune_threshold"]
