"""Reading and writing transcripts: JSON v1, plain text, SRT.

The JSON layout (``qa-toolkit/transcript@1``) is the product's contract and is
documented in the README. Plain text is how chat, e-mail and transcripts from
elsewhere come in: one ``speaker: text`` line per turn (``客服：`` / ``客户：``
too), optionally stamped ``[mm:ss]``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, cast

from qa_toolkit.errors import TranscriptFormatError
from qa_toolkit.types import (
    SPEAKERS,
    TRANSCRIPT_SCHEMA,
    AudioSource,
    EngineInfo,
    Speaker,
    Transcript,
    Utterance,
    Word,
)

_AGENT = ("agent", "rep", "representative", "advisor", "客服", "坐席", "座席", "工作人员")
_CUSTOMER = ("customer", "caller", "client", "user", "客户", "用户", "顾客", "来电人")
_ROLE_OF = {name: "agent" for name in _AGENT} | {name: "customer" for name in _CUSTOMER}
_LINE = re.compile(
    r"^\s*(?:\[(?P<stamp>\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)\]\s*)?"
    r"(?P<who>[^\s:：\[\]][^:：]{0,24}?)\s*[:：]\s*(?P<text>.*)$"
)
# Reading pace used to give untimed text transcripts plausible times:
# ~150 English words or ~240 Chinese characters per minute.
_EN_WORDS_PER_S = 2.5
_ZH_CHARS_PER_S = 4.0
_TURN_GAP_S = 0.5


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
        raise TranscriptFormatError(origin, "is not a JSON object", fix=_FIX_JSON)
    schema = data.get("schema", TRANSCRIPT_SCHEMA)
    if schema != TRANSCRIPT_SCHEMA:
        raise TranscriptFormatError(
            origin, f"schema '{schema}' is not '{TRANSCRIPT_SCHEMA}'", fix=_FIX_JSON
        )
    raw_utts = data.get("utterances")
    if not isinstance(raw_utts, list):
        raise TranscriptFormatError(origin, "'utterances' must be a list", fix=_FIX_JSON)
    utterances = tuple(_utterance_from_dict(u, i, origin) for i, u in enumerate(raw_utts))
    source = data.get("source") or {}
    return Transcript(
        call_id=str(data.get("call_id") or Path(origin).stem),
        utterances=utterances,
        language=str(data.get("language") or ""),
        duration_s=float(data.get("duration_s") or _last_end(utterances)),
        source=AudioSource(
            files=tuple(source.get("files", ())),
            channels=int(source.get("channels", 0)),
            sample_rate_hz=int(source.get("sample_rate_hz", 0)),
            duration_s=float(source.get("duration_s", 0.0)),
            kind="text" if source.get("kind") == "text" else "audio",
        ),
        engine=_engine_from_dict(data.get("engine")),
        speaker_source=data.get("speaker_source", "given"),
        role_confidence=float(data.get("role_confidence", 1.0)),
    )


def save_transcript(t: Transcript, path: str | Path) -> Path:
    """Write a transcript as JSON (UTF-8, Chinese kept readable)."""
    out = Path(path)
    out.write_text(json.dumps(t.to_dict(), ensure_ascii=False, indent=2) + "\n", "utf-8")
    return out


def load_transcript(path: str | Path, *, call_id: str | None = None) -> Transcript:
    """Read a transcript: the JSON of ``qa transcribe``, or ``speaker: text`` lines.

    Args:
        path: a ``.json`` transcript or a text file (``.txt``, ``.md``…).
        call_id: overrides the call id (default: the file name without extension).

    Raises:
        TranscriptFormatError: the file is missing or cannot be parsed; the
            message names the file and line.

    Example:
        >>> t = load_transcript("samples/chat_en.txt")  # doctest: +SKIP
        >>> t.utterances[0].speaker
        'agent'
    """
    file = Path(path)
    if not file.is_file():
        raise TranscriptFormatError(file, "no such file", fix="check the path")
    try:
        content = file.read_text("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TranscriptFormatError(file, "is not UTF-8 text", fix="save it as UTF-8") from error
    if file.suffix.lower() == ".json" or content.lstrip().startswith("{"):
        try:
            data = json.loads(content)
        except json.JSONDecodeError as error:
            raise TranscriptFormatError(
                f"{file}:{error.lineno}:{error.colno}", f"invalid JSON ({error.msg})", fix=_FIX_JSON
            ) from error
        t = transcript_from_dict(data, origin=str(file))
    else:
        t = parse_text_transcript(content, call_id=file.stem, origin=str(file))
    if call_id:
        from dataclasses import replace

        t = replace(t, call_id=call_id)
    return t


def parse_text_transcript(text: str, *, call_id: str, origin: str = "<text>") -> Transcript:
    """Parse ``speaker: text`` lines (``[mm:ss]`` stamps optional) into a transcript."""
    turns: list[tuple[Speaker, float | None, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        role = _ROLE_OF.get(match.group("who").strip().lower()) if match else None
        if match and role:
            stamp = _seconds(match.group("stamp")) if match.group("stamp") else None
            turns.append((cast(Speaker, role), stamp, match.group("text").strip()))
        elif turns:  # a wrapped line continues the previous turn
            speaker, stamp, previous = turns[-1]
            turns[-1] = (speaker, stamp, f"{previous} {line.strip()}")
        else:
            raise TranscriptFormatError(
                f"{origin}:{number}",
                f"expected 'agent: …' or 'customer: …' (客服： / 客户：), "
                f"got {line.strip()[:40]!r}",
                fix="start each turn with the speaker's role and a colon",
            )
    if not turns:
        raise TranscriptFormatError(origin, "holds no turns", fix="add 'agent: …' lines")
    utterances = _timed_utterances(turns)
    language = "zh" if any(_is_chinese(u.text) for u in utterances) else "en"
    return Transcript(
        call_id=call_id,
        utterances=utterances,
        language=language,
        duration_s=_last_end(utterances),
        source=AudioSource(files=(origin,), kind="text"),
        speaker_source="given",
    )


def to_text(t: Transcript) -> str:
    """One ``[mm:ss] speaker: text`` line per utterance."""
    return "\n".join(f"[{_clock(u.start_s)}] {u.speaker}: {u.text}" for u in t.utterances) + "\n"


def to_srt(t: Transcript) -> str:
    """SubRip subtitles, the speaker in brackets before each line."""
    blocks = [
        f"{i}\n{_srt_time(u.start_s)} --> {_srt_time(u.end_s)}\n[{u.speaker}] {u.text}\n"
        for i, u in enumerate(t.utterances, start=1)
    ]
    return "\n".join(blocks)


_FIX_JSON = "write it with `qa transcribe --format json` or follow the README's Transcript JSON"


def _timed_utterances(turns: list[tuple[Speaker, float | None, str]]) -> tuple[Utterance, ...]:
    out: list[Utterance] = []
    clock = 0.0
    for index, (speaker, stamp, text) in enumerate(turns):
        start = stamp if stamp is not None else clock
        spoken = _spoken_seconds(text)
        following = next((s for _, s, _ in turns[index + 1 :] if s is not None), None)
        end = start + spoken if following is None else min(start + spoken, following)
        end = max(end, start + 0.1)
        out.append(Utterance(f"u{index + 1:04d}", speaker, round(start, 3), round(end, 3), text))
        clock = end + _TURN_GAP_S
    return tuple(out)


def _spoken_seconds(text: str) -> float:
    chinese = sum(1 for ch in text if _is_chinese(ch))
    words = len(re.sub(r"[\u3400-\u9fff]", " ", text).split())
    return max(0.5, chinese / _ZH_CHARS_PER_S + words / _EN_WORDS_PER_S)


def _is_chinese(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _seconds(stamp: str) -> float:
    parts = [float(p) for p in stamp.split(":")]
    return sum(value * 60**power for power, value in enumerate(reversed(parts)))


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes:02d}:{secs:02d}"


def _srt_time(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


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
            {"text": w.text, "start_s": w.start_s, "end_s": w.end_s, "prob": round(w.prob, 4)}
            for w in u.words
        ],
    }


def _utterance_from_dict(raw: Any, index: int, origin: str) -> Utterance:
    where = f"utterances[{index}]"
    if not isinstance(raw, dict) or "text" not in raw:
        raise TranscriptFormatError(origin, f"{where} needs at least 'text'", fix=_FIX_JSON)
    speaker = raw.get("speaker", "unknown")
    if speaker not in SPEAKERS:
        raise TranscriptFormatError(
            origin, f"{where}.speaker is {speaker!r}; use agent, customer or unknown", fix=_FIX_JSON
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
            text=str(raw["text"]),
            confidence=float(raw.get("confidence", 1.0)),
            words=words,
        )
    except (KeyError, TypeError, ValueError) as error:
        raise TranscriptFormatError(
            origin, f"{where} has a bad field ({error})", fix=_FIX_JSON
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
