"""Conversation analytics: talk metrics, the emotion curve, agitation and risk events.

Example:
    >>> from qa_toolkit.features import extract_features
    >>> from qa_toolkit.io.transcripts import load_transcript
    >>> features = extract_features(load_transcript("samples/chat_zh.txt"))  # doctest: +SKIP
    >>> features.to_dict()["agent_talk_share"] is None  # a chat has no timing  # doctest: +SKIP
    True

Every feature is listed, with its unit and source, in
:mod:`qa_toolkit.features.specs` and ``docs/analytics.md``.
"""

from __future__ import annotations

from qa_toolkit.features.acoustic import UtteranceAcoustics
from qa_toolkit.features.emotion import EmotionCurve, SentimentPoint, emotion_curve
from qa_toolkit.features.extract import FEATURES_SCHEMA, CallFeatures, extract_features
from qa_toolkit.features.options import FeatureOptions
from qa_toolkit.features.risk import RiskEvent, find_risk_events
from qa_toolkit.features.specs import (
    ACOUSTIC_FEATURES,
    ALL_SPECS,
    FEATURE_KEYS,
    NUMERIC_FEATURES,
    TIMING_FEATURES,
    FeatureSpec,
)
from qa_toolkit.features.timing import TalkMetrics, has_timing

__all__ = [
    "ACOUSTIC_FEATURES",
    "ALL_SPECS",
    "FEATURES_SCHEMA",
    "FEATURE_KEYS",
    "NUMERIC_FEATURES",
    "TIMING_FEATURES",
    "CallFeatures",
    "EmotionCurve",
    "FeatureOptions",
    "FeatureSpec",
    "RiskEvent",
    "SentimentPoint",
    "TalkMetrics",
    "UtteranceAcoustics",
    "emotion_curve",
    "extract_features",
    "find_risk_events",
    "has_timing",
]
