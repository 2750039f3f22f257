"""PII redaction for transcripts and audio, English and Chinese.

:func:`redact` replaces personal data in every utterance's text *and* words
with typed tags (``[PHONE]``, ``[ID]``, ``[CARD]``, ``[BANK]``, ``[EMAIL]``,
``[ADDRESS]``, ``[CODE]``, ``[NUMBER]``). The words covered by one piece of
data merge into one tag word that keeps their start and end times, so the
recording can be bleeped at exactly those moments (:func:`bleep_audio`).
Detection is :func:`qa_toolkit.nlp.pii.find_pii` (checksums decide IDs, cards
and IBANs; see there).

Redaction is the default for everything the toolkit stores or exports; keep
the raw text only where it is explicitly asked for.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from qa_toolkit.errors import UsageError
from qa_toolkit.nlp.pii import PII_KINDS, PiiKind, PiiSpan, find_pii
from qa_toolkit.speech.asr.chinese import has_cjk
from qa_toolkit.types import Transcript, Utterance, Word

logger = logging.getLogger(__name__)

__all__ = ["PII_KINDS", "PiiKind", "PiiSpan", "bleep_audio", "find_pii", "pii_intervals", "redact"]

# Bleeps start and stop a little outside the words: word boundaries from ASR
# are off by tens of milliseconds, and a clipped first digit is still heard.
BLEEP_PAD_S = 0.1
BLEEP_TONE_HZ = 1000.0
# About -20 dBFS: clearly a bleep, not loud enough to hurt on headphones.
BLEEP_LEVEL = 0.1


def check_kinds(kinds: Iterable[str] | None) -> tuple[PiiKind, ...]:
    """Validate PII kind names (case-insensitive, ``PHONE`` or ``phone``).

    Raises:
        UsageError: a name is not one of :data:`PII_KINDS`.
    """
    if kinds is None:
        return PII_KINDS
    chosen = []
    for kind in kinds:
        name = kind.strip().strip("[]").lower()
        if name not in PII_KINDS:
            raise UsageError(
                f"unknown PII kind {kind!r}", fix=f"use some of: {', '.join(PII_KINDS)}"
            )
        chosen.append(next(k for k in PII_KINDS if k == name))
    return tuple(chosen)


def redact(transcript: Transcript, *, kinds: Iterable[str] | None = None) -> Transcript:
    """Replace personal data in a transcript's text and words with typed tags.

    Args:
        transcript: the call.
        kinds: the PII kinds to redact (:data:`PII_KINDS`); all by default.

    Returns:
        A new transcript; utterances without personal data are the same objects.

    Raises:
        UsageError: an unknown kind was named.

    Example:
        >>> said = Utterance("u1", "customer", 0, 3, "my card is 4111 1111 1111 1111")
        >>> redact(Transcript("c", (said,))).utterances[0].text
        'my card is [CARD]'
    """
    wanted = check_kinds(kinds)
    utterances = _across_turns(tuple(_redact_utterance(u, wanted) for u in transcript.utterances),
                               wanted)  # fmt: skip
    redacted = sum(1 for a, b in zip(utterances, transcript.utterances, strict=True) if a is not b)
    logger.debug("%s: redacted %d utterances", transcript.call_id, redacted)
    return replace(transcript, utterances=utterances)


def redact_text(text: str, *, kinds: Iterable[str] | None = None) -> str:
    """One free text (a quote, a reason, a comment) with its personal data replaced by tags."""
    return _replace_spans(text, find_pii(text, kinds=check_kinds(kinds)))


def redact_transcript_json(body: dict[str, Any]) -> dict[str, Any]:
    """A Transcript JSON body, redacted (for stores that keep transcripts as JSON)."""
    return redact(Transcript.from_dict(body)).to_dict()


def _redact_utterance(utt: Utterance, kinds: tuple[PiiKind, ...]) -> Utterance:
    spans = find_pii(utt.text, kinds=kinds)
    words, word_spans = utt.words, tuple[PiiSpan, ...]()
    if utt.words:
        joined, offsets = _joined(utt.words)
        word_spans = find_pii(joined, kinds=kinds)
        if word_spans:
            words = _redact_words(utt.words, offsets, joined, word_spans)
    if not spans and not word_spans:
        return utt
    return replace(utt, text=_replace_spans(utt.text, spans), words=words)


# A number read out in two breaths ("4111 1111" … "1111 1111", "415 555" … "2671") is split
# over two turns of the same speaker. The digits that end one turn and begin the next are read
# together; a span across the join is personal data in both turns.
_DIGIT = (
    r"(?:\d|[零〇一二三四五六七八九幺两]"
    r"|\b(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)\b)"
)
_TAIL = re.compile(rf"{_DIGIT}(?:[\s\-.,，]*{_DIGIT})*[\s.,，]*$", re.IGNORECASE)
_HEAD = re.compile(rf"^\s*{_DIGIT}(?:[\s\-.,，]*{_DIGIT})*", re.IGNORECASE)
_SAME_BREATH_S = 15.0


def _across_turns(
    utterances: tuple[Utterance, ...], kinds: tuple[PiiKind, ...]
) -> tuple[Utterance, ...]:
    out = list(utterances)
    last_of: dict[str, int] = {}
    for i, utt in enumerate(out):
        j = last_of.get(utt.speaker)
        last_of[utt.speaker] = i
        if j is None or i - j > 2 or utt.start_s - out[j].end_s > _SAME_BREATH_S:
            continue
        tail, head = _TAIL.search(out[j].text), _HEAD.search(utt.text)
        if not tail or not head:
            continue
        joined = f"{tail.group(0).rstrip()} {head.group(0).lstrip()}"
        cut = len(tail.group(0).rstrip())
        found = [s for s in find_pii(joined, kinds=kinds) if s.start < cut < s.end]
        if found:
            tag = found[0].tag
            out[j] = _retag(out[j], tail.start(), len(out[j].text), tag, end=True)
            out[i] = _retag(utt, 0, head.end(), tag, end=False)
    return tuple(out)


def _retag(utt: Utterance, start: int, stop: int, tag: str, *, end: bool) -> Utterance:
    """The utterance with ``text[start:stop]`` and the digit words at that end as ``tag``."""
    text = (utt.text[:start].rstrip() + " " + tag).strip() if end else tag + utt.text[stop:]
    words = list(utt.words)
    taken = []
    for k in range(len(words) - 1, -1, -1) if end else range(len(words)):
        if not _HEAD.fullmatch(words[k].text.strip(" ,.，")):
            break
        taken.append(k)
    if taken:
        first, last = min(taken), max(taken)
        merged = words[first : last + 1]
        words[first : last + 1] = [
            Word(tag, merged[0].start_s, max(w.end_s for w in merged), min(w.prob for w in merged))
        ]
    return replace(utt, text=text, words=tuple(words))


def _replace_spans(text: str, spans: tuple[PiiSpan, ...]) -> str:
    parts, last = [], 0
    for span in spans:
        parts.append(text[last : span.start])
        parts.append(span.tag)
        last = span.end
    parts.append(text[last:])
    return "".join(parts)


def _joined(words: tuple[Word, ...]) -> tuple[str, list[tuple[int, int]]]:
    """The words as one text (as ``speech.turns.join_words`` writes it), and each offset."""
    text, offsets = "", []
    for word in words:
        piece = word.text
        needs_space = (
            text
            and not piece[:1].isspace()
            and not text[-1:].isspace()
            and not (has_cjk(text[-1]) or has_cjk(piece[:1]))
        )
        if needs_space:
            text += " "
        offsets.append((len(text), len(text) + len(piece)))
        text += piece
    return text, offsets


def _redact_words(
    words: tuple[Word, ...], offsets: list[tuple[int, int]], joined: str, spans: tuple[PiiSpan, ...]
) -> tuple[Word, ...]:
    out: list[Word] = []
    index = 0
    for span in spans:
        covered = [i for i, (a, b) in enumerate(offsets) if a < span.end and span.start < b]
        if not covered:
            continue
        first, last = covered[0], covered[-1]
        out.extend(words[index:first])
        prefix = joined[offsets[first][0] : max(offsets[first][0], span.start)]
        suffix = joined[min(offsets[last][1], span.end) : offsets[last][1]]
        merged = words[first : last + 1]
        out.append(
            Word(
                prefix + span.tag + suffix,
                merged[0].start_s,
                max(w.end_s for w in merged),
                min(w.prob for w in merged),
            )
        )
        index = last + 1
    out.extend(words[index:])
    return tuple(out)


def pii_intervals(
    transcript: Transcript, *, kinds: Iterable[str] | None = None
) -> tuple[tuple[float, float, PiiKind], ...]:
    """When personal data is spoken: (start_s, end_s, kind) from the word timestamps.

    An utterance that holds personal data but has no word timing is covered
    whole: better a longer bleep than a spoken card number.
    """
    wanted = check_kinds(kinds)
    found: list[tuple[float, float, PiiKind]] = []
    for utt in transcript.utterances:
        if not utt.words:
            for span in find_pii(utt.text, kinds=wanted):
                logger.warning("%s: no word timing; bleeping the whole utterance", utt.id)
                found.append((utt.start_s, utt.end_s, span.kind))
                break
            continue
        joined, offsets = _joined(utt.words)
        for span in find_pii(joined, kinds=wanted):
            covered = [i for i, (a, b) in enumerate(offsets) if a < span.end and span.start < b]
            if covered:
                start = utt.words[covered[0]].start_s
                end = max(utt.words[i].end_s for i in covered)
                found.append((start, end, span.kind))
    return tuple(sorted(found))


def bleep_audio(
    audio_path: str | Path,
    transcript: Transcript,
    out_path: str | Path,
    *,
    kinds: Iterable[str] | None = None,
    pad_s: float = BLEEP_PAD_S,
) -> tuple[tuple[float, float, PiiKind], ...]:
    """Write a copy of a recording with a tone over every spoken piece of personal data.

    Every channel is bleeped: on a two-channel call the other side's
    microphone often picks the number up too.

    Args:
        audio_path: the recording the transcript was made from.
        transcript: its transcript, with measured (ideally word) timing.
        out_path: the WAV file to write (16 kHz, 16-bit, the recording's channels).
        kinds: the PII kinds to bleep; all by default.
        pad_s: seconds added before and after each span.

    Returns:
        The bleeped intervals (start_s, end_s, kind), padding included.

    Raises:
        UsageError: the transcript has no measured timing (a text transcript).
        AudioError: the recording cannot be read.
    """
    import soundfile

    from qa_toolkit.features.timing import has_timing
    from qa_toolkit.io.audio import load_audio

    if not has_timing(transcript):
        raise UsageError(
            f"{transcript.call_id}: the transcript has no measured timing, so the audio "
            "cannot be bleeped",
            fix="transcribe the recording (qa transcribe) and redact that transcript",
        )
    audio = load_audio(audio_path)
    samples = audio.samples.copy()
    rate = audio.sample_rate_hz
    bleeped = []
    for start, end, kind in pii_intervals(transcript, kinds=kinds):
        lo = max(0, round((start - pad_s) * rate))
        hi = min(samples.shape[1], round((end + pad_s) * rate))
        if hi <= lo:
            continue
        t = np.arange(hi - lo, dtype=np.float32) / rate
        samples[:, lo:hi] = BLEEP_LEVEL * np.sin(2 * np.pi * BLEEP_TONE_HZ * t)
        bleeped.append((lo / rate, hi / rate, kind))
    soundfile.write(str(out_path), samples.T, rate, subtype="PCM_16")
    logger.info("%s: %d spans bleeped into %s", transcript.call_id, len(bleeped), out_path)
    return tuple(bleeped)
