"""Detectors, registered under versioned names (``phrase.v1``).

Importing this package registers the built-in detectors; a plug-in registers
its own with :func:`register`.
"""

from . import metric, phrase, regex, semantic, sentiment, sequence  # noqa: F401  (registers)
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
