"""The agreement report: how closely the toolkit agrees with human reviewers.

Every number is measured on calls the models were not fitted on (the
out-of-fold predictions of a K-fold cross-validation), beside the same number
for the rubric as written. An item whose calibrated kappa stays below the
agreement floor, or that has too few labels to tell, is marked *not
calibrated*, so a team can keep it out of automatic publishing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qa_toolkit.calibrate.metrics import (
    accuracy,
    cohen_kappa,
    confusion_matrix,
    mean_absolute_error,
    roc_auc,
    spearman,
)
from qa_toolkit.scoring.types import STATUSES, Status

# Landis & Koch call 0.41-0.60 "moderate" agreement; below it a reviewer
# would overturn too many automatic verdicts to publish them unchecked.
DEFAULT_FLOOR = 0.4
# Fewer labels than this give a kappa whose 95% interval spans most of 0-1.
MIN_ITEM_LABELS = 20


@dataclass(frozen=True, slots=True)
class ItemAgreement:
    """One rubric item against the reviewers' pass / fail / n.a.

    Attributes:
        item_id: the item.
        labels: how many human labels the numbers rest on.
        kappa: Cohen's kappa of the calibrated rubric (NaN when undefined).
        accuracy: share of calls where the calibrated rubric gave the human's status.
        confusion: rows human pass / fail / na, columns the toolkit's.
        kappa_before: Cohen's kappa of the rubric as written.
        accuracy_before: accuracy of the rubric as written.
        threshold: (option, value before, value after) when the threshold was tuned.
        calibrated: kappa reached the floor on enough labels.
        note: why the item is not calibrated, if it is not.
    """

    item_id: str
    labels: int
    kappa: float
    accuracy: float
    confusion: tuple[tuple[int, ...], ...]
    kappa_before: float
    accuracy_before: float
    threshold: tuple[str, float, float] | None
    calibrated: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The item's agreement as a JSON-ready dict."""
        return {
            "item_id": self.item_id,
            "labels": self.labels,
            "kappa": _num(self.kappa),
            "accuracy": _num(self.accuracy),
            "confusion": {
                "order": list(STATUSES),
                "rows_human_columns_toolkit": [list(r) for r in self.confusion],
            },
            "kappa_before": _num(self.kappa_before),
            "accuracy_before": _num(self.accuracy_before),
            "threshold": None
            if self.threshold is None
            else dict(zip(("option", "before", "after"), self.threshold, strict=True)),
            "calibrated": self.calibrated,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class TargetAgreement:
    """One predictor of a numeric human rating.

    Attributes:
        target: the rating (``score``, ``satisfaction``…).
        predictor: what predicts it (``rubric as written``, ``calibrated rubric``, ``call model``).
        labels: how many calls carry the rating.
        spearman: rank agreement with the rating.
        mae: mean absolute error, where the predictor is on the rating's scale.
        auc: ROC AUC of a low prediction for a rating below ``pass_at``.
        pass_at: the cut that defines a low rating.
    """

    target: str
    predictor: str
    labels: int
    spearman: float
    mae: float | None
    auc: float
    pass_at: float

    def to_dict(self) -> dict[str, Any]:
        """The agreement as a JSON-ready dict."""
        return {
            "target": self.target,
            "predictor": self.predictor,
            "labels": self.labels,
            "spearman": _num(self.spearman),
            "mae": None if self.mae is None else _num(self.mae),
            "auc_low": _num(self.auc),
            "pass_at": self.pass_at,
        }


@dataclass(frozen=True, slots=True)
class AgreementReport:
    """Cross-validated agreement of the calibrated toolkit with human labels."""

    calls: int
    folds: int
    floor: float
    items: tuple[ItemAgreement, ...]
    targets: tuple[TargetAgreement, ...]
    notes: tuple[str, ...] = ()

    @property
    def not_calibrated(self) -> tuple[str, ...]:
        """Items to keep out of automatic publishing."""
        return tuple(i.item_id for i in self.items if not i.calibrated)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict (``qa-toolkit/agreement@1``)."""
        return {
            "schema": "qa-toolkit/agreement@1",
            "calls": self.calls,
            "folds": self.folds,
            "floor": self.floor,
            "items": [i.to_dict() for i in self.items],
            "targets": [t.to_dict() for t in self.targets],
            "not_calibrated": list(self.not_calibrated),
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        """The report as a readable table."""
        lines = [
            f"Agreement with human labels: {self.calls} calls, {self.folds}-fold cross-validation "
            "(every number on calls the models were not fitted on)",
        ]
        if self.items:
            lines.append(
                f"\n{'item':<28}{'labels':>7}{'kappa':>8}{'(before)':>9}{'acc':>7}"
                f"{'(before)':>9}  threshold        status"
            )
            lines += [_item_line(i) for i in self.items]
        if self.targets:
            lines.append(
                f"\n{'rating':<14}{'predictor':<22}{'labels':>7}{'Spearman':>10}{'MAE':>8}"
                f"{'AUC low':>9}"
            )
            lines += [_target_line(t) for t in self.targets]
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _num(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 4)


def _fmt(value: float | None, width: int, digits: int = 3) -> str:
    if value is None or math.isnan(value):
        return f"{'n/a':>{width}}"
    return f"{value:>{width}.{digits}f}"


def _item_line(i: ItemAgreement) -> str:
    tuned = "" if i.threshold is None else f"{i.threshold[1]:g} → {i.threshold[2]:g}"
    status = "calibrated" if i.calibrated else f"NOT CALIBRATED ({i.note})"
    return (
        f"{i.item_id:<28}{i.labels:>7}{_fmt(i.kappa, 8)}{_fmt(i.kappa_before, 9)}"
        f"{_fmt(i.accuracy, 7, 2)}{_fmt(i.accuracy_before, 9, 2)}  {tuned:<16} {status}"
    )


def _target_line(t: TargetAgreement) -> str:
    return (
        f"{t.target:<14}{t.predictor:<22}{t.labels:>7}{_fmt(t.spearman, 10)}"
        f"{_fmt(t.mae, 8, 2)}{_fmt(t.auc, 9)}"
    )


def item_agreement(
    item_id: str,
    human: Sequence[Status],
    calibrated: Sequence[Status],
    before: Sequence[Status],
    *,
    threshold: tuple[str, float, float] | None = None,
    floor: float = DEFAULT_FLOOR,
    min_labels: int = MIN_ITEM_LABELS,
) -> ItemAgreement:
    """Compare one item's statuses with the reviewers'.

    Args:
        item_id: the item.
        human: the reviewers' statuses.
        calibrated: the calibrated rubric's statuses on the same calls (out of fold).
        before: the rubric-as-written statuses on the same calls.
        threshold: (option, before, after) when tuned.
        floor: the kappa an item needs to count as calibrated.
        min_labels: the labels an item needs to count as calibrated.

    Returns:
        The item's agreement.
    """
    kappa = cohen_kappa(human, calibrated, STATUSES)
    note = ""
    if len(human) < min_labels:
        note = f"{len(human)} labels, {min_labels} needed"
    elif math.isnan(kappa):
        note = "kappa undefined: one status only"
    elif kappa < floor:
        note = f"kappa {kappa:.2f} < {floor:g}"
    return ItemAgreement(
        item_id,
        len(human),
        kappa,
        accuracy(human, calibrated),
        confusion_matrix(human, calibrated, STATUSES),
        cohen_kappa(human, before, STATUSES),
        accuracy(human, before),
        threshold,
        calibrated=not note,
        note=note,
    )


def target_agreement(
    target: str,
    predictor: str,
    truth: Sequence[float],
    predicted: Sequence[float],
    *,
    pass_at: float,
    same_scale: bool,
) -> TargetAgreement:
    """Compare predictions of a numeric rating with the reviewers' values.

    Args:
        target: the rating's name.
        predictor: what made the predictions.
        truth: the reviewers' ratings.
        predicted: the predictions on the same calls (out of fold).
        pass_at: a rating below it is low (the AUC's positive class).
        same_scale: whether the predictions are on the rating's scale (for MAE).
    """
    low = [t < pass_at for t in truth]
    return TargetAgreement(
        target,
        predictor,
        len(truth),
        spearman(predicted, truth),
        mean_absolute_error(truth, predicted) if same_scale else None,
        roc_auc([-p for p in predicted], low),
        pass_at,
    )
