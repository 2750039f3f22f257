"""Detectors, registered under versioned names (``phrase.v1``).

Importing this package registers the built-in detectors; a plug-in registers
its own with :func:`register`.
"""

from . import (  # noqa: F401  (importing registers them)
    behaviour,
    classifier,
    llm,
    metric,
    outcome,
    phrase,
    regex,
    semantic,
    sentiment,
    sequence,
)
from .base import (
    Detection,
    DetectorInfo,
    View,
    detector_names,
    did_you_mean,
    register,
    resolve_detector,
)

__all__ = [
    "Detection",
    "DetectorInfo",
    "View",
    "detector_names",
    "did_you_mean",
    "register",
    "resolve_detector",
]

# The calibrated call model registers itself as `call_model.v1`.
from qa_toolkit.calibrate import detector as _call_model  # noqa: E402, F401
