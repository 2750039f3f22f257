"""Reading and writing transcripts: JSON v1, plain text, SRT.

The JSON layout (``qa-toolkit/transcript@1``) is the product's contract and is
documented in the README; its dict form is ``Transcript.to_dict`` /
``Transcript.from_dict`` (:mod:`qa_toolkit.types`), this module reads and writes
the files. Plain text is how chat, e-mail and transcripts from
elsewhere come in: one ``speaker: text`` line per turn (``客服：`` / ``客户：``
too), optionally stamped ``[mm:ss]``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import cast

from qa_toolkit.errors import JSON_TOO_DEEP, TranscriptFormatError
from qa_toolkit.types import (
    FIX_TRANSCRIPT_JSON,
    AudioSource,
    Speaker,
    Transcript,
    Utterance,
    clock,
    plain_text,
    transcript_from_dict,
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
                f"{file}:{error.lineno}:{error.colno}",
                f"invalid JSON ({error.msg})",
                fix=FIX_TRANSCRIPT_JSON,
            ) from error
        except RecursionError:
            raise TranscriptFormatError(
                file, f"JSON {JSON_TOO_DEEP}", fix=FIX_TRANSCRIPT_JSON
            ) from None
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
    for number, line in enumerate(plain_text(text).splitlines(), start=1):
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
    return "\n".join(f"[{clock(u.start_s)}] {u.speaker}: {u.text}" for u in t.utterances) + "\n"


def to_srt(t: Transcript) -> str:
    """SubRip subtitles, the speaker in brackets before each line."""
    blocks = [
        f"{i}\n{_srt_time(u.start_s)} --> {_srt_time(u.end_s)}\n[{u.speaker}] {u.text}\n"
        for i, u in enumerate(t.utterances, start=1)
    ]
    return "\n".join(blocks)


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


def _srt_time(seconds: float) -> str:
    millis = int(round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d},{millis:03d}"


def _last_end(utterances: tuple[Utterance, ...]) -> float:
    return max((u.end_s for u in utterances), default=0.0)
