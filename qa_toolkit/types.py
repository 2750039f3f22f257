"""Typed records that flow between the stages.

Every record is a frozen dataclass with slots; sequences are tuples so a record
can be hashed, cached and shared between threads without copying. Units are in
the field names (``start_s``, ``sample_rate_hz``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Speaker = Literal["agent", "customer", "unknown"]
SpeakerSource = Literal["channel", "diarization", "given"]

SPEAKERS: tuple[Speaker, ...] = ("agent", "customer", "unknown")
TRANSCRIPT_SCHEMA = "qa-toolkit/transcript@1"


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word (or Chinese character run) with its timing."""

    text: str
    start_s: float
    end_s: float
    prob: float = 1.0


@dataclass(frozen=True, slots=True)
class Utterance:
    """One turn of one speaker: what was said, by whom, when."""

    id: str
    speaker: Speaker
    start_s: float
    end_s: float
    text: str
    confidence: float = 1.0
    words: tuple[Word, ...] = ()

    @property
    def duration_s(self) -> float:
        return max(0.0, self.end_s - self.start_s)


@dataclass(frozen=True, slots=True)
class AudioSource:
    """Where a transcript came from: the file(s) and their format before decoding."""

    files: tuple[str, ...] = ()
    channels: int = 0
    sample_rate_hz: int = 0
    duration_s: float = 0.0
    kind: Literal["audio", "text"] = "audio"


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """What produced a transcript: engine name, model and options that change output."""

    name: str
    model: str
    compute_type: str = ""
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Transcript:
    """A speaker-labelled transcript of one call.

    ``speaker_source`` says how the roles were found: one speaker per channel or
    file (``channel``), clustering of a mono recording (``diarization``), or
    written in the input (``given``). ``role_confidence`` is 1.0 for channel and
    given roles and the role assignment's own estimate for diarization.
    """

    call_id: str
    utterances: tuple[Utterance, ...]
    language: str = ""
    duration_s: float = 0.0
    source: AudioSource = field(default_factory=AudioSource)
    engine: EngineInfo | None = None
    speaker_source: SpeakerSource = "given"
    role_confidence: float = 1.0

    @property
    def text(self) -> str:
        """All utterances joined, one per line, as ``speaker: text``."""
        return "\n".join(f"{u.speaker}: {u.text}" for u in self.utterances)

    def by_speaker(self, speaker: Speaker) -> tuple[Utterance, ...]:
        """The utterances of one speaker, in time order."""
        return tuple(u for u in self.utterances if u.speaker == speaker)

    def to_dict(self) -> dict[str, object]:
        """The transcript as a JSON-ready dict (schema ``qa-toolkit/transcript@1``)."""
        from qa_toolkit.transcripts import transcript_to_dict

        return transcript_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object], *, origin: str = "<dict>") -> Transcript:
        """Build a transcript from its JSON dict; ``origin`` names it in errors."""
        from qa_toolkit.transcripts import transcript_from_dict

        return transcript_from_dict(data, origin=origin)
