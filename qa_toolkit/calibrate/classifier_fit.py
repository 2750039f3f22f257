"""A ``classifier.v1`` model for a rating: the rubric's own trained-model detector, no embeddings.

Besides the call model, each rating gets a logistic regression on the inputs
``classifier.v1`` reads (``item:``, ``feature:`` and ``sentiment:``), trained
with "rating ≥ pass_at" as pass and written in that detector's JSON format by
:func:`~qa_toolkit.rubric.detectors.classifier.classifier_from_sklearn`. It
needs no sentence encoder at scoring time and explains itself input by input;
the call model, which reads what was said, agrees better with reviewers.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from qa_toolkit.calibrate.inputs import EncodedCall
from qa_toolkit.calibrate.labels import CallLabel
from qa_toolkit.models.classifier import (
    ClassifierModel,
    TrainingInfo,
    check_input_name,
    classifier_from_sklearn,
)
from qa_toolkit.scoring.types import Status

if TYPE_CHECKING:
    from qa_toolkit.calibrate.calibration import CalibrationOptions

logger = logging.getLogger(__name__)


def classifier_names(names: Sequence[str]) -> list[str]:
    """The scalar inputs ``classifier.v1`` can read (it has no ``applies:`` or ``turns:``)."""
    kept = []
    for name in names:
        try:
            check_input_name(name)
        except ValueError:
            continue
        kept.append(name)
    return kept


def fit_classifier(
    name: str,
    cut: float,
    calls: Sequence[EncodedCall],
    truth: Sequence[CallLabel],
    statuses: Sequence[Mapping[str, Status]],
    names: Sequence[str],
    opts: CalibrationOptions,
    source: str = "",
) -> ClassifierModel | None:
    """A logistic regression for "``name`` ≥ ``cut``", or ``None`` with too few labels of a kind.

    Args:
        name: the rating.
        cut: its pass mark.
        calls: the calls, scored and encoded.
        truth: their labels.
        statuses: each call's item statuses (thresholds tuned).
        names: the scalar inputs seen in training (filtered to those the detector reads).
        opts: the calibration options (``min_target_labels``).
        source: where the labels came from, for the model's metadata.
    """
    import sklearn
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows = [k for k, label in enumerate(truth) if label.target(name) is not None]
    passed = [float(truth[k].target(name) or 0.0) >= cut for k in rows]
    inputs = classifier_names(names)
    if len(rows) < opts.min_target_labels or len(set(passed)) < 2 or not inputs:
        return None
    X = _filled([calls[k].scalars(statuses[k]) for k in rows], inputs)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(X, np.array(passed, dtype=int))
    training = TrainingInfo(
        trained_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        samples=len(rows),
        target=f"{name} >= {cut:g}",
        source=source,
        sklearn_version=sklearn.__version__,
        notes=f"logistic regression on {len(inputs)} item, feature and sentiment inputs",
    )
    return classifier_from_sklearn(model, inputs, name=f"{name} classifier", training=training)


def _filled(values: Sequence[Mapping[str, float | None]], names: Sequence[str]) -> np.ndarray:
    """Rows of inputs; a missing one takes the column mean, as the detector fills it."""
    X = np.array([[math.nan if (v := row.get(n)) is None else v for n in names] for row in values])
    with np.errstate(all="ignore"):
        means = np.nan_to_num(np.nanmean(X, axis=0)) if len(X) else np.zeros(len(names))
    return np.where(np.isnan(X), means, X)


def classifier_probability(
    model: ClassifierModel, call: EncodedCall, statuses: Mapping[str, Status]
) -> float:
    """The model's p(pass) for one call, computed as the ``classifier`` detector does."""
    values = call.scalars(statuses)
    probability, _ = model.predict({spec.name: values.get(spec.name) for spec in model.inputs})
    return probability


def with_metrics(model: ClassifierModel, metrics: Mapping[str, Any]) -> ClassifierModel:
    """The same model with cross-validated metrics in its training metadata."""
    from dataclasses import replace

    found = tuple(sorted((k, float(v)) for k, v in metrics.items() if not math.isnan(float(v))))
    return replace(model, training=replace(model.training, metrics=found))
