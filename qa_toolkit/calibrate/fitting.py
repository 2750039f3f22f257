"""One calibration fit: thresholds, then weights, then call models, on a set of calls.

Used for every fold of the cross-validation and for the final fit on all
labelled calls, so what is measured is what is saved.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from qa_toolkit.calibrate.call_model import CallModel, Target, call_model_from_estimator
from qa_toolkit.calibrate.classifier_fit import fit_classifier
from qa_toolkit.calibrate.classifier_fit import with_metrics as classifier_with_metrics
from qa_toolkit.calibrate.estimators import ItemWeightRegressor, ThresholdTuner
from qa_toolkit.calibrate.inputs import BLOCKS, EncodedCall
from qa_toolkit.calibrate.labels import CallLabel
from qa_toolkit.calibrate.ridge import CallQualityRegressor
from qa_toolkit.calibrate.rubric_out import RubricChanges, rounded_weights
from qa_toolkit.calibrate.strength import Knob
from qa_toolkit.models.classifier import ClassifierModel
from qa_toolkit.rubric import Rubric
from qa_toolkit.scoring.types import Status

if TYPE_CHECKING:
    from qa_toolkit.calibrate.calibration import CalibrationOptions
    from qa_toolkit.calibrate.report import AgreementReport

logger = logging.getLogger(__name__)

CLASSIFIER_ROW = "classifier.v1"


@dataclass(frozen=True, slots=True)
class FittedCalibration:
    """What one fit learned.

    Attributes:
        thresholds: item id → (option, value before, value after) for each tuned item.
        points: item id → fitted points (empty when no overall score was labelled).
        section_weights: section id → fitted weight, summing to 100 (empty likewise).
        models: rating → its call model.
        classifiers: rating → a ``classifier.v1`` model of "rating ≥ pass_at".
    """

    thresholds: Mapping[str, tuple[str, float, float]] = field(default_factory=dict)
    points: Mapping[str, float] = field(default_factory=dict)
    section_weights: Mapping[str, float] = field(default_factory=dict)
    models: Mapping[str, CallModel] = field(default_factory=dict)
    classifiers: Mapping[str, ClassifierModel] = field(default_factory=dict)

    def changes(
        self, version: str = "", model_item: tuple[str, str, str] | None = None
    ) -> RubricChanges:
        """The rubric changes this fit implies."""
        thresholds = {k: (option, after) for k, (option, _, after) in self.thresholds.items()}
        return RubricChanges(
            thresholds, dict(self.points), dict(self.section_weights), model_item, version
        )

    def with_metrics(self, report: AgreementReport) -> FittedCalibration:
        """The same fit with each call model's cross-validated agreement in its metadata."""
        models = {}
        for name, model in self.models.items():
            row = next(
                (t for t in report.targets if t.target == name and t.predictor == "call model"),
                None,
            )
            metrics = {} if row is None else _metrics(row.spearman, row.mae, row.auc)
            metrics["folds"] = float(report.folds)
            models[name] = replace(model, training={**model.training, "metrics": metrics})
        classifiers = {}
        for name, classifier in self.classifiers.items():
            row = next(
                (t for t in report.targets if t.target == name and t.predictor == CLASSIFIER_ROW),
                None,
            )
            metrics = {} if row is None else {"spearman_cv": row.spearman, "auc_cv": row.auc}
            classifiers[name] = classifier_with_metrics(classifier, metrics)
        return replace(self, models=models, classifiers=classifiers)

    def to_dict(self) -> dict[str, Any]:
        """What was fitted, as a JSON-ready dict (the models by their target and size)."""
        return {
            "thresholds": {
                k: {"option": o, "before": b, "after": round(a, 4)}
                for k, (o, b, a) in self.thresholds.items()
            },
            "points": {k: round(v, 2) for k, v in self.points.items()},
            "section_weights": dict(self.section_weights),
            "models": {
                k: {
                    "inputs": len(m.inputs),
                    "blocks": list(m.blocks),
                    "alpha": m.training.get("alpha"),
                }
                for k, m in self.models.items()
            },
            "classifiers": {k: {"inputs": len(c.inputs)} for k, c in self.classifiers.items()},
        }


def _metrics(rho: float, mae: float | None, auc: float) -> dict[str, float]:
    found = {"spearman_cv": rho, "mae_cv": mae if mae is not None else math.nan, "auc_low_cv": auc}
    return {k: round(v, 4) for k, v in found.items() if not math.isnan(v)}


def fit_calibration(
    calls: Sequence[EncodedCall],
    truth: Sequence[CallLabel],
    rubric: Rubric,
    knobs: tuple[Knob, ...],
    pass_at: Mapping[str, float],
    opts: CalibrationOptions,
    meta: Mapping[str, Any],
) -> FittedCalibration:
    """Fit thresholds, weights and call models on some labelled calls.

    Args:
        calls: the calls, scored and encoded.
        truth: their labels, in the same order.
        rubric: the rubric as written.
        knobs: its tunable items.
        pass_at: rating → the cut between a good and a poor call.
        opts: the calibration options.
        meta: metadata stored with each call model.

    Returns:
        What was learned; thresholds, weights or models are left out when too
        few labels support them.
    """
    thresholds = _tune(calls, truth, knobs, opts)
    statuses = [tuned_statuses(c, knobs, thresholds) for c in calls]
    points, weights = _fit_weights(truth, rubric, statuses, opts)
    models, classifiers = {}, {}
    names = scalar_names(calls, statuses)
    for name, cut in pass_at.items():
        model = _fit_model(name, cut, calls, truth, statuses, rubric, opts, meta)
        if model is not None:
            models[name] = model
        source = str(meta.get("source", ""))
        classifier = fit_classifier(name, cut, calls, truth, statuses, names, opts, source)
        if classifier is not None:
            classifiers[name] = classifier
    logger.debug(
        "fitted on %d calls: %d thresholds, %d weights, models for %s",
        len(calls),
        len(thresholds),
        len(weights),
        ", ".join(models) or "nothing",
    )
    return FittedCalibration(thresholds, points, weights, models, classifiers)


def _tune(
    calls: Sequence[EncodedCall],
    truth: Sequence[CallLabel],
    knobs: tuple[Knob, ...],
    opts: CalibrationOptions,
) -> dict[str, tuple[str, float, float]]:
    tuned = {}
    for knob in knobs:
        rows = [
            (strength, human)
            for call, label in zip(calls, truth, strict=True)
            if (human := label.item(knob.item_id)) in ("pass", "fail")
            and (strength := call.strengths.get(knob.item_id)) is not None
        ]
        humans = {h for _, h in rows}
        if len(rows) < opts.min_tune_labels or len(humans) < 2:
            continue
        tuner = ThresholdTuner(low=knob.low, high=knob.high, prior=knob.prior)
        tuner.fit([[s] for s, _ in rows], [h for _, h in rows])
        threshold = _toward_pass(tuner.threshold_, knob.low)
        tuned[knob.item_id] = (knob.option, knob.current, knob.option_value(threshold))
    return tuned


def _toward_pass(threshold: float, low: float | None) -> float:
    """The threshold cut to four decimals, rounded down so no call it passed now fails.

    The tuner may put it exactly on the weakest passing strength; rounding up
    (0.970588 → 0.9706) would fail that very call.
    """
    out = math.floor(round(threshold * 10_000, 6)) / 10_000
    return out if low is None else max(out, low)


def tuned_statuses(
    call: EncodedCall, knobs: tuple[Knob, ...], thresholds: Mapping[str, tuple[str, float, float]]
) -> dict[str, Status]:
    """The call's item statuses with tuned thresholds applied to the detector strengths."""
    statuses = call.statuses()
    for knob in knobs:
        strength = call.strengths.get(knob.item_id)
        if knob.item_id not in thresholds or strength is None:
            continue
        after = thresholds[knob.item_id][2]
        statuses[knob.item_id] = "pass" if strength >= knob.sign * after else "fail"
    return statuses


def _fit_weights(
    truth: Sequence[CallLabel],
    rubric: Rubric,
    statuses: Sequence[Mapping[str, Status]],
    opts: CalibrationOptions,
) -> tuple[dict[str, float], dict[str, float]]:
    """Points and section weights fitted to the overall ``score``; empty without enough scores."""
    sections = [s for s in rubric.sections if s.weight > 0]
    items = [(i, s_index) for s_index, s in enumerate(sections) for i in s.items if i.points > 0]
    critical = [i.id for i in rubric.items if i.critical]
    rows = [
        (st, label.target("score"))
        for st, label in zip(statuses, truth, strict=True)
        if label.target("score") is not None and not any(st.get(c) == "fail" for c in critical)
    ]
    if len(rows) < opts.min_target_labels or not items:
        return {}, {}
    value = {"pass": 1.0, "fail": 0.0, "na": math.nan}
    X = np.array([[value[st.get(item.id, "na")] for item, _ in items] for st, _ in rows])
    y = np.array([float(score or 0.0) for _, score in rows])
    model = ItemWeightRegressor(
        sections=[s for _, s in items],
        initial_points=[item.points for item, _ in items],
        initial_weights=[s.weight for s in sections],
        regularization=opts.regularization,
    ).fit(X, y)
    points = {item.id: float(p) for (item, _), p in zip(items, model.points_, strict=True)}
    fitted = dict(zip((s.id for s in sections), model.section_weights_, strict=True))
    every = [fitted.get(s.id, s.weight) for s in rubric.sections]
    return points, dict(zip((s.id for s in rubric.sections), rounded_weights(every), strict=True))


def target_range(truth: Sequence[CallLabel], name: str) -> tuple[float, float]:
    """The lowest and highest value of a rating; 0–100 for ``score``."""
    if name == "score":
        return 0.0, 100.0
    values = [v for label in truth if (v := label.target(name)) is not None]
    return (min(values), max(values)) if values else (0.0, 1.0)


def _fit_model(
    name: str,
    cut: float,
    calls: Sequence[EncodedCall],
    truth: Sequence[CallLabel],
    statuses: Sequence[Mapping[str, Status]],
    rubric: Rubric,
    opts: CalibrationOptions,
    meta: Mapping[str, Any],
) -> CallModel | None:
    rows = [k for k, label in enumerate(truth) if label.target(name) is not None]
    if len(rows) < opts.min_target_labels:
        return None
    chosen = [calls[k] for k in rows]
    names = scalar_names(chosen, [statuses[k] for k in rows])
    # Embeddings count only when the options name their encoder: the model file must say
    # which one to load when it predicts.
    width = len(chosen[0].embedding) if opts.embedding is not None else 0
    blocks = BLOCKS if width else ()
    X = np.hstack(
        [
            np.array([c.embedding[:width] for c in chosen]).reshape(len(chosen), width),
            _scalar_matrix(chosen, [statuses[k] for k in rows], names),
        ]
    )
    y = np.array([float(truth[k].target(name) or 0.0) for k in rows])
    estimator = CallQualityRegressor(alpha=opts.alpha, raw_columns=width, random_state=opts.seed)
    estimator.fit(X, y)
    low, high = target_range(truth, name)
    training = {
        **meta,
        "samples": len(rows),
        "alpha": float(estimator.alpha_),
        "rubric": f"{rubric.id} v{rubric.version}",
        "notes": f"ridge on {len(blocks)} embedding blocks and {len(names)} scalar inputs",
    }
    return call_model_from_estimator(
        estimator,
        names,
        target=Target(name, low, high, min(max(cut, low), high)),
        blocks=blocks,
        embedding_model=opts.embedding if blocks else None,
        block_means=X[:, :width].mean(axis=0),
        name=f"{name} model",
        training=training,
    )


def scalar_names(
    calls: Sequence[EncodedCall], statuses: Sequence[Mapping[str, Status]]
) -> list[str]:
    """Every scalar input some call has a value for, sorted."""
    found: set[str] = set()
    for call, st in zip(calls, statuses, strict=True):
        found.update(k for k, v in call.scalars(st).items() if v is not None)
    return sorted(found)


def _scalar_matrix(
    calls: Sequence[EncodedCall], statuses: Sequence[Mapping[str, Status]], names: Sequence[str]
) -> np.ndarray:
    rows = []
    for call, st in zip(calls, statuses, strict=True):
        values = call.scalars(st)
        rows.append([math.nan if (v := values.get(n)) is None else v for n in names])
    return np.array(rows, dtype=float).reshape(len(calls), len(names))


def model_matrix(
    calls: Sequence[EncodedCall], statuses: Sequence[Mapping[str, Status]], model: CallModel
) -> np.ndarray:
    """The input matrix a fitted call model expects: its embedding blocks, then its scalars."""
    width = model.block_coefs.size
    embedding = np.array([c.embedding if width else np.zeros(0) for c in calls]).reshape(
        len(calls), width
    )
    scalars = _scalar_matrix(calls, statuses, [i.name for i in model.inputs])
    return np.hstack([embedding, scalars])
