"""Typed records that flow between the stages.

Every record is a frozen dataclass with slots; sequences are tuples so a record
can be hashed, cached and shared between threads without copying. Units are in
the field names (``start_s``, ``sample_rate_hz``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from qa_toolkit.errors import TranscriptFormatError

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
        return transcript_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, object], *, origin: str = "<dict>") -> Transcript:
        """Build a transcript from its JSON dict; ``origin`` names it in errors."""
        return transcript_from_dict(data, origin=origin)


# C0 and C1 control characters other than tab and newline. Speech has none; in a transcript
# someone else wrote they are terminal escapes (colours, cursor moves, a title change) that
# would reach a supervisor's terminal, report or browser as written.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain_text(text: str) -> str:
    """Text without control characters (terminal escapes and the like), tabs and newlines kept."""
    return _CONTROL.sub("", text)


def clock(seconds: float) -> str:
    """``mm:ss`` for a time in a call, truncated to the second it falls in (``03:15``).

    Every place that shows a time (evidence, transcripts, reports, flags) uses
    this, so a quote located at 03:15 in a report is at 03:15 in the text
    transcript and the web page, and the player lands inside that second.
    """
    whole = max(0, int(seconds))
    return f"{whole // 60:02d}:{whole % 60:02d}"


# The Transcript JSON (``qa-toolkit/transcript@1``), the README's contract. It lives with the
# records so that ``Transcript.to_dict`` needs no other module; files and the text formats are
# in :mod:`qa_toolkit.io.transcripts`.
FIX_TRANSCRIPT_JSON = (
    "write it with `qa transcribe --format json` or follow the README's Transcript JSON"
)


def transcript_to_dict(t: Transcript) -> dict[str, Any]:
    """The transcript as a JSON-ready dict (schema ``qa-toolkit/transcript@1``)."""
    return {
        "schema": TRANSCRIPT_SCHEMA,
        "call_id": t.call_id,
        "language": t.language,
        "duration_s": round(t.duration_s, 3),
        "source": {
            "kind": t.source.kind,
            "files": list(t.source.files),
            "channels": t.source.channels,
            "sample_rate_hz": t.source.sample_rate_hz,
            "duration_s": round(t.source.duration_s, 3),
        },
        "engine": _engine_to_dict(t.engine),
        "speaker_source": t.speaker_source,
        "role_confidence": round(t.role_confidence, 3),
        "utterances": [_utterance_to_dict(u) for u in t.utterances],
    }


def transcript_from_dict(data: dict[str, Any], *, origin: str = "<dict>") -> Transcript:
    """Build a :class:`Transcript` from its JSON dict, naming ``origin`` in errors."""
    if not isinstance(data, dict):
        raise TranscriptFormatError(origin, "is not a JSON object", fix=FIX_TRANSCRIPT_JSON)
    schema = data.get("schema", TRANSCRIPT_SCHEMA)
    if schema != TRANSCRIPT_SCHEMA:
        raise TranscriptFormatError(
            origin, f"schema '{schema}' is not '{TRANSCRIPT_SCHEMA}'", fix=FIX_TRANSCRIPT_JSON
        )
    raw_utts = data.get("utterances")
    if not isinstance(raw_utts, list):
        raise TranscriptFormatError(origin, "'utterances' must be a list", fix=FIX_TRANSCRIPT_JSON)
    utterances = tuple(_utterance_from_dict(u, i, origin) for i, u in enumerate(raw_utts))
    try:
        return _transcript_fields(data, utterances, origin)
    except (AttributeError, TypeError, ValueError, OverflowError) as error:
        raise TranscriptFormatError(
            origin, f"has a bad field ({error})", fix=FIX_TRANSCRIPT_JSON
        ) from None


def _transcript_fields(
    data: dict[str, Any], utterances: tuple[Utterance, ...], origin: str
) -> Transcript:
    source = data.get("source") or {}
    if not isinstance(source, dict):
        raise ValueError("'source' must be an object")
    engine = data.get("engine")
    return Transcript(
        # One line: an id with a newline cannot be listed, linked or named as a file.
        call_id=" ".join(plain_text(str(data.get("call_id") or "")).split()) or Path(origin).stem,
        utterances=utterances,
        language=str(data.get("language") or ""),
        duration_s=float(data.get("duration_s") or _last_end(utterances)),
        source=AudioSource(
            files=tuple(str(f) for f in source.get("files") or ()),
            channels=int(source.get("channels") or 0),
            sample_rate_hz=int(source.get("sample_rate_hz") or 0),
            duration_s=float(source.get("duration_s") or 0.0),
            kind="text" if source.get("kind") == "text" else "audio",
        ),
        engine=_engine_from_dict(engine),
        speaker_source=_speaker_source(data.get("speaker_source") or "given"),
        role_confidence=float(data.get("role_confidence", 1.0)),
    )


def _speaker_source(value: object) -> Literal["channel", "diarization", "given"]:
    if value not in ("channel", "diarization", "given"):
        raise ValueError(f"speaker_source {value!r} is not channel, diarization or given")
    return value


def _last_end(utterances: tuple[Utterance, ...]) -> float:
    return max((u.end_s for u in utterances), default=0.0)


def _utterance_to_dict(u: Utterance) -> dict[str, Any]:
    return {
        "id": u.id,
        "speaker": u.speaker,
        "start_s": round(u.start_s, 3),
        "end_s": round(u.end_s, 3),
        "text": u.text,
        "confidence": round(u.confidence, 4),
        "words": [
            {
                "text": w.text,
                "start_s": round(w.start_s, 3),
                "end_s": round(w.end_s, 3),
                "prob": round(w.prob, 4),
            }
            for w in u.words
        ],
    }


def _utterance_from_dict(raw: Any, index: int, origin: str) -> Utterance:
    where = f"utterances[{index}]"
    if not isinstance(raw, dict) or "text" not in raw:
        raise TranscriptFormatError(
            origin, f"{where} needs at least 'text'", fix=FIX_TRANSCRIPT_JSON
        )
    speaker = raw.get("speaker", "unknown")
    if speaker not in SPEAKERS:
        raise TranscriptFormatError(
            origin,
            f"{where}.speaker is {speaker!r}; use agent, customer or unknown",
            fix=FIX_TRANSCRIPT_JSON,
        )
    try:
        words = tuple(
            Word(str(w["text"]), float(w["start_s"]), float(w["end_s"]), float(w.get("prob", 1)))
            for w in raw.get("words", ())
        )
        return Utterance(
            id=str(raw.get("id") or f"u{index + 1:04d}"),
            speaker=speaker,
            start_s=float(raw.get("start_s", 0.0)),
            end_s=float(raw.get("end_s") or raw.get("start_s") or 0.0),
            text=plain_text(str(raw["text"])),
            confidence=float(raw.get("confidence", 1.0)),
            words=words,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise TranscriptFormatError(
            origin, f"{where} has a bad field ({error})", fix=FIX_TRANSCRIPT_JSON
        ) from error


def _engine_to_dict(engine: EngineInfo | None) -> dict[str, Any] | None:
    if engine is None:
        return None
    return {
        "name": engine.name,
        "model": engine.model,
        "compute_type": engine.compute_type,
        "options": dict(engine.options),
    }


def _engine_from_dict(raw: Any) -> EngineInfo | None:
    if not isinstance(raw, dict):
        return None
    options = tuple(sorted((str(k), str(v)) for k, v in (raw.get("options") or {}).items()))
    return EngineInfo(
        str(raw.get("name", "")),
        str(raw.get("model", "")),
        str(raw.get("compute_type", "")),
        options,
    )
