"""Detectors, registered under versioned names (``phrase.v1``).

Importing this package registers the built-in detectors; a plug-in registers
its own with :func:`register`. The calibrated call model (``call_model.v1``,
in :mod:`qa_toolkit.calibrate.detector`) registers when a detector name is
first resolved.
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
    register,
    resolve_detector,
)

__all__ = [
    "Detection",
    "DetectorInfo",
    "View",
    "detector_names",
    "register",
    "resolve_detector",
]
