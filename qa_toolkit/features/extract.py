"""``extract_features``: every conversation feature of one call in one typed record.

Text-only inputs get the text features (turns, sentiment, risk events) and
``None`` for the rest; a transcript with measured times adds the talk metrics;
the decoded audio adds pitch and energy. Nothing unknown is ever reported as 0.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qa_toolkit.features.acoustic import UtteranceAcoustics, utterance_acoustics
from qa_toolkit.features.emotion import EmotionCurve, emotion_curve
from qa_toolkit.features.options import FeatureOptions
from qa_toolkit.features.risk import RiskEvent, find_risk_events
from qa_toolkit.features.specs import FEATURE_KEYS
from qa_toolkit.features.timing import TalkMetrics, has_timing, is_hold_request, talk_metrics
from qa_toolkit.io.audio import Audio
from qa_toolkit.nlp.text import is_chinese
from qa_toolkit.types import Transcript, Utterance

logger = logging.getLogger(__name__)

FEATURES_SCHEMA = "qa-toolkit/features@1"
Value = float | int | str | bool | None


@dataclass(frozen=True, slots=True)
class CallFeatures:
    """The conversation features of one call.

    Attributes:
        call_id: the call.
        language: ``en``, ``zh`` or ``mixed``.
        speaker_source: how speakers were told apart (``channel``,
            ``diarization``, ``given``).
        turn_count: utterances with text.
        agent_turns: the agent's.
        customer_turns: the customer's.
        hold_request_count: agent utterances asking the caller to hold.
        talk: the timing features, ``None`` without measured timing.
        emotion: the emotion curve.
        acoustics: pitch and energy per utterance, ``None`` without audio.
        risk_events: escalation, cancel, regulator, abuse, blame, deflect,
            each with evidence.
        options: the thresholds used.
    """

    call_id: str
    language: str
    speaker_source: str
    turn_count: int
    agent_turns: int
    customer_turns: int
    hold_request_count: int
    talk: TalkMetrics | None
    emotion: EmotionCurve
    acoustics: tuple[UtteranceAcoustics, ...] | None
    risk_events: tuple[RiskEvent, ...]
    options: FeatureOptions = field(default_factory=FeatureOptions)

    @property
    def has_timing(self) -> bool:
        return self.talk is not None

    @property
    def has_audio(self) -> bool:
        return self.acoustics is not None

    def to_dict(self) -> dict[str, Value]:
        """Every feature by its stable name (:data:`FEATURE_KEYS` order), ``None`` when unknown.

        Returns:
            A flat JSON-ready dict; the per-turn curve, the acoustics per
            utterance and the risk events' evidence are in :meth:`details`.
        """
        from qa_toolkit.features.summary import flat_values

        values = flat_values(self)
        return {key: values.get(key) for key in FEATURE_KEYS}

    def numeric(self) -> dict[str, float]:
        """The known number features as floats (booleans as 1.0 / 0.0), for rubric scoring."""
        out: dict[str, float] = {}
        for key, value in self.to_dict().items():
            if isinstance(value, bool):
                out[key] = 1.0 if value else 0.0
            elif isinstance(value, int | float):
                out[key] = float(value)
        return out

    def details(self) -> dict[str, Any]:
        """The features behind the flat ones: curve points, quarters, acoustics, risk events."""
        return {
            "schema": FEATURES_SCHEMA,
            "emotion_curve": [p.to_dict() for p in self.emotion.points],
            "unanswered_negative_turns": [e.to_dict() for e in self.emotion.unanswered],
            "acoustics": None if self.acoustics is None else [a.to_dict() for a in self.acoustics],
            "risk_events": [e.to_dict() for e in self.risk_events],
        }


def extract_features(
    transcript: Transcript,
    audio: Audio | None = None,
    *,
    options: FeatureOptions | None = None,
    sentiment: Callable[[str], float] | None = None,
) -> CallFeatures:
    """Compute every conversation feature of one call.

    Args:
        transcript: the call, from audio or text.
        audio: its decoded recording; adds pitch, energy and agitation.
        options: thresholds (dead air, hold, overtalk, agitation…).
        sentiment: a polarity function (text → -1..1) to use instead of the
            scorer named by ``options.sentiment``.

    Returns:
        The call's features; ``to_dict()`` gives them flat by name.

    Example:
        >>> from qa_toolkit.io.transcripts import load_transcript
        >>> f = extract_features(load_transcript("samples/chat_en.txt"))  # doctest: +SKIP
        >>> f.to_dict()["customer_trend"], f.to_dict()["longest_silence_s"]  # doctest: +SKIP
        ('improving', None)
    """
    opts = options or FeatureOptions()
    utts = tuple(u for u in transcript.utterances if u.text.strip())
    spoken = Transcript(
        transcript.call_id,
        utts,
        transcript.language,
        transcript.duration_s,
        transcript.source,
        transcript.engine,
        transcript.speaker_source,
        transcript.role_confidence,
    )
    timed = has_timing(spoken)
    curve = emotion_curve(spoken, _polarities(utts, opts, sentiment), timed=timed, options=opts)
    return CallFeatures(
        call_id=transcript.call_id,
        language=_language(spoken),
        speaker_source=transcript.speaker_source,
        turn_count=len(utts),
        agent_turns=sum(1 for u in utts if u.speaker == "agent"),
        customer_turns=sum(1 for u in utts if u.speaker == "customer"),
        hold_request_count=sum(1 for u in utts if u.speaker == "agent" and is_hold_request(u.text)),
        talk=talk_metrics(spoken, opts),
        emotion=curve,
        acoustics=_acoustics(spoken, audio, timed, opts),
        risk_events=find_risk_events(spoken),
        options=opts,
    )


def _polarities(
    utts: tuple[Utterance, ...], options: FeatureOptions, scorer: Callable[[str], float] | None
) -> list[float]:
    if scorer is not None:
        return [scorer(u.text) for u in utts]
    from qa_toolkit.nlp.sentiment_model import sentiment_polarities

    return sentiment_polarities([u.text for u in utts], options.sentiment)


def _acoustics(
    transcript: Transcript, audio: Audio | None, timed: bool, options: FeatureOptions
) -> tuple[UtteranceAcoustics, ...] | None:
    if audio is None:
        return None
    if not timed:
        logger.warning(
            "%s: audio given but the transcript has no measured timing; "
            "acoustic features are left out",
            transcript.call_id,
        )
        return None
    return utterance_acoustics(transcript, audio, options)


def _language(transcript: Transcript) -> str:
    """``zh``, ``en`` or ``mixed`` from the utterances' scripts; the transcript's own if empty."""
    if not transcript.utterances:
        return transcript.language
    chinese = sum(1 for u in transcript.utterances if is_chinese(u.text))
    share = chinese / len(transcript.utterances)
    if 0.2 <= share <= 0.8:
        return "mixed"
    return "zh" if share > 0.8 else "en"
