"""Learn from human QA labels: tuned thresholds, fitted weights, a call model, measured agreement.

Importing this package registers the ``call_model`` rubric detector; the
estimators (which need scikit-learn) load on first use, so importing it does
not import scikit-learn.

Example:
    >>> from qa_toolkit.calibrate import calibrate, load_labels, save_calibration
    >>> labels = load_labels("labels.csv")  # doctest: +SKIP
    >>> result = calibrate(transcripts, labels, "rubrics/default.yaml")  # doctest: +SKIP
    >>> print(result.report.to_text())  # doctest: +SKIP
    >>> save_calibration(result, "models", "team-a", model_item="satisfaction")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from qa_toolkit.calibrate import detector as _detector  # noqa: F401  (registers call_model.v1)

_LAZY = {
    "calibrate": "qa_toolkit.calibrate.calibration",
    "save_calibration": "qa_toolkit.calibrate.saving",
    "Calibration": "qa_toolkit.calibrate.calibration",
    "CalibrationOptions": "qa_toolkit.calibrate.calibration",
    "load_labels": "qa_toolkit.calibrate.labels",
    "labels_from_rows": "qa_toolkit.calibrate.labels",
    "CallLabel": "qa_toolkit.calibrate.labels",
    "LabelSet": "qa_toolkit.calibrate.labels",
    "AgreementReport": "qa_toolkit.calibrate.report",
    "ItemAgreement": "qa_toolkit.calibrate.report",
    "TargetAgreement": "qa_toolkit.calibrate.report",
    "CallModel": "qa_toolkit.calibrate.call_model",
    "load_call_model": "qa_toolkit.calibrate.call_model",
    "save_call_model": "qa_toolkit.calibrate.call_model",
    "flag_low_prediction": "qa_toolkit.calibrate.detector",
    "ThresholdTuner": "qa_toolkit.calibrate.estimators",
    "ItemWeightRegressor": "qa_toolkit.calibrate.estimators",
    "CallQualityRegressor": "qa_toolkit.calibrate.ridge",
}

if TYPE_CHECKING:
    from qa_toolkit.calibrate.calibration import Calibration, CalibrationOptions, calibrate
    from qa_toolkit.calibrate.call_model import CallModel, load_call_model, save_call_model
    from qa_toolkit.calibrate.detector import flag_low_prediction
    from qa_toolkit.calibrate.estimators import ItemWeightRegressor, ThresholdTuner
    from qa_toolkit.calibrate.labels import CallLabel, LabelSet, labels_from_rows, load_labels
    from qa_toolkit.calibrate.report import AgreementReport, ItemAgreement, TargetAgreement
    from qa_toolkit.calibrate.ridge import CallQualityRegressor
    from qa_toolkit.calibrate.saving import save_calibration

__all__ = [
    "AgreementReport",
    "CallLabel",
    "CallModel",
    "CallQualityRegressor",
    "Calibration",
    "CalibrationOptions",
    "ItemAgreement",
    "ItemWeightRegressor",
    "LabelSet",
    "TargetAgreement",
    "ThresholdTuner",
    "calibrate",
    "flag_low_prediction",
    "labels_from_rows",
    "load_call_model",
    "load_labels",
    "save_calibration",
    "save_call_model",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qa_toolkit.calibrate' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
