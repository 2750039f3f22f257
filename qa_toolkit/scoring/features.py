"""Call features as the rubric's ``metric`` and ``classifier`` detectors read them.

A thin bridge to :mod:`qa_toolkit.features`: the numbers of
:func:`~qa_toolkit.features.extract_features` by name, unknown ones left out
(a detector reads a missing feature as n.a.), and evidence that locates a
feature's value in the call. ``score_call`` computes these itself when it is
given no features, with the fast lexicon sentiment; the analytics stage passes
``extract_features(...).numeric()`` instead, which adds the audio features and
the sentiment model's figures.
"""

from __future__ import annotations

import logging

from qa_toolkit.features import NUMERIC_FEATURES, FeatureOptions, extract_features
from qa_toolkit.features import TIMING_FEATURES as _TIMING
from qa_toolkit.features.locate import locate
from qa_toolkit.features.timing import has_timing
from qa_toolkit.scoring.types import Evidence
from qa_toolkit.types import Transcript

logger = logging.getLogger(__name__)

__all__ = ["FEATURE_NAMES", "TIMING_FEATURES", "compute_features", "has_timing", "locate_feature"]

#: Features a rubric may name (every numeric feature).
FEATURE_NAMES: tuple[str, ...] = NUMERIC_FEATURES
#: Features that need measured timing (n.a. on text transcripts).
TIMING_FEATURES: tuple[str, ...] = _TIMING

_SCORING_OPTIONS = FeatureOptions(sentiment="lexicon")


def compute_features(transcript: Transcript) -> dict[str, float]:
    """Compute the conversation features of one call for scoring.

    Args:
        transcript: the call.

    Returns:
        Feature name → value for every known numeric feature (booleans as
        1.0 / 0.0); timing features only when the transcript has timing.
    """
    return extract_features(transcript, options=_SCORING_OPTIONS).numeric()


def locate_feature(name: str, transcript: Transcript) -> tuple[Evidence, ...]:
    """Where in the call a feature's value comes from, as evidence.

    Args:
        name: a feature name from :data:`FEATURE_NAMES`.
        transcript: the call.

    Returns:
        The longest silence's gap, the slowest reply, the overtalking speech
        (up to three), the holds, the risk events… or ``()`` for whole-call
        features.
    """
    return locate(name, transcript)
