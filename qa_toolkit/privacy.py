"""PII redaction for transcripts and audio, English and Chinese.

:func:`redact` replaces personal data in every utterance's text *and* words
with typed tags (``[PHONE]``, ``[ID]``, ``[CARD]``, ``[BANK]``, ``[EMAIL]``,
``[ADDRESS]``, ``[CODE]``, ``[NUMBER]``, ``[NAME]``). The words covered by one
piece of data merge into one tag word that keeps their start and end times, so
the recording can be bleeped at exactly those moments (:func:`bleep_audio`).

Detection combines :func:`qa_toolkit.nlp.pii.find_pii` (numbers, e-mail,
addresses with a house number; checksums decide IDs, cards and IBANs),
:func:`qa_toolkit.nlp.places.find_places` (addresses without a house number,
at ``address_level="street"``) and :mod:`qa_toolkit.nlp.names` (people's
names). A name heard once in a call is redacted wherever the call says it
again, in part (a first name, a surname) or spelled out.

Redaction is the default for everything the toolkit stores or exports; keep
the raw text only where it is explicitly asked for.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from qa_toolkit.errors import UsageError
from qa_toolkit.nlp import pii as _pii
from qa_toolkit.nlp.names import (
    EnglishNer,
    NameSpan,
    asks_for_name,
    find_names,
    load_english_ner,
    names_in_texts,
)
from qa_toolkit.nlp.personal_data import (
    ADDRESS_LEVELS,
    DEFAULT_OPTIONS,
    NAME,
    PII_KINDS,
    AddressLevel,
    RedactionOptions,
    combine_spans,
    keep_agent_name,
)
from qa_toolkit.nlp.pii import PiiKind, PiiSpan
from qa_toolkit.speech.asr.chinese import has_cjk
from qa_toolkit.types import Transcript, Utterance, Word

logger = logging.getLogger(__name__)

# What the redaction finds, as a number stored with every redacted transcript
# (``privacy.redact/r<RULES>``): a transcript redacted under older rules is redacted again,
# in place, when a batch meets it. 1: numbers, e-mail, numbered addresses; 2: people's
# names and addresses without a house number.
RULES = 2

__all__ = [
    "ADDRESS_LEVELS",
    "PII_KINDS",
    "AddressLevel",
    "PiiKind",
    "PiiSpan",
    "RedactionOptions",
    "bleep_audio",
    "find_pii",
    "pii_intervals",
    "pii_spans",
    "redact",
]

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


def redact(
    transcript: Transcript,
    *,
    kinds: Iterable[str] | None = None,
    options: RedactionOptions | None = None,
) -> Transcript:
    """Replace personal data in a transcript's text and words with typed tags.

    Args:
        transcript: the call.
        kinds: the PII kinds to redact (:data:`PII_KINDS`); all by default.
        options: address level, the agent's name, the name model.

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
    found = _call_spans(transcript, wanted, options or DEFAULT_OPTIONS)
    utterances = tuple(
        _redact_utterance(u, *spans) for u, spans in zip(transcript.utterances, found, strict=True)
    )
    utterances = _across_turns(utterances, wanted)
    redacted = sum(1 for a, b in zip(utterances, transcript.utterances, strict=True) if a is not b)
    logger.debug("%s: redacted %d utterances", transcript.call_id, redacted)
    return replace(transcript, utterances=utterances)


def redact_text(
    text: str, *, kinds: Iterable[str] | None = None, options: RedactionOptions | None = None
) -> str:
    """One free text (a quote, a reason, a comment) with its personal data replaced by tags."""
    return _replace_spans(text, find_pii(text, kinds=kinds, options=options))


def redact_transcript_json(body: dict[str, Any]) -> dict[str, Any]:
    """A Transcript JSON body, redacted (for stores that keep transcripts as JSON)."""
    return redact(Transcript.from_dict(body)).to_dict()


def find_pii(
    text: str,
    *,
    kinds: Iterable[str] | None = None,
    options: RedactionOptions | None = None,
) -> tuple[PiiSpan, ...]:
    """Find personal data in one text, names and addresses without a number included.

    Args:
        text: an utterance, a chat line, a quote (English or Chinese).
        kinds: the kinds to look for (:data:`PII_KINDS`); all by default.
        options: address level and name model.

    Returns:
        Non-overlapping spans in text order.

    Example:
        >>> [s.tag for s in find_pii("my name is Violet King, call me on 07700 900461")]
        ['[NAME]', '[PHONE]']
    """
    wanted = check_kinds(kinds)
    options = options or DEFAULT_OPTIONS
    names = None
    if NAME in wanted:
        names = find_names(text, ner=_ner(options) if _worth_ner(text) else None)
    return combine_spans(text, wanted, options, names)


def _ner(options: RedactionOptions) -> EnglishNer | None:
    return load_english_ner(options.name_model)


def _worth_ner(text: str) -> bool:
    """Whether a text has English words for the entity model to read."""
    return len(_ENGLISH_WORD.findall(text)) >= 2


_ENGLISH_WORD = re.compile(r"[A-Za-z]{2,}")


def pii_spans(
    transcript: Transcript,
    *,
    kinds: Iterable[str] | None = None,
    options: RedactionOptions | None = None,
) -> tuple[tuple[PiiSpan, ...], ...]:
    """The personal data in each utterance's text, read as one call (names known across turns).

    Returns:
        One tuple of spans per utterance, in the transcript's order.
    """
    found = _call_spans(transcript, check_kinds(kinds), options or DEFAULT_OPTIONS)
    return tuple(text_spans for text_spans, _ in found)


def _call_spans(
    transcript: Transcript, wanted: tuple[PiiKind, ...], options: RedactionOptions
) -> list[tuple[tuple[PiiSpan, ...], tuple[PiiSpan, ...]]]:
    """(spans in the text, spans in the joined words) of every utterance."""
    utts = transcript.utterances
    joined = [_joined(u.words)[0] if u.words else "" for u in utts]
    texts = [u.text for u in utts] + joined
    names: Sequence[Sequence[NameSpan] | None] = [None] * len(texts)
    if NAME in wanted:
        ner = _ner(options) if any(_worth_ner(t) for t in texts) else None
        answers = _answers_name(utts)
        names = list(names_in_texts(texts, ner=ner, answers=answers + answers))
        if options.keep_agent_name:
            names = keep_agent_name([u.speaker for u in utts], names)
    spans = [combine_spans(t, wanted, options, n) for t, n in zip(texts, names, strict=True)]
    return list(zip(spans[: len(utts)], spans[len(utts) :], strict=True))


def _answers_name(utts: Sequence[Utterance]) -> list[bool]:
    """Whether each turn follows the other side's question for a name."""
    out = []
    for i, utt in enumerate(utts):
        asked = [u for u in utts[max(0, i - 2) : i] if u.speaker != utt.speaker]
        out.append(bool(asked) and asks_for_name(asked[-1].text))
    return out


def _redact_utterance(
    utt: Utterance, spans: tuple[PiiSpan, ...], word_spans: tuple[PiiSpan, ...]
) -> Utterance:
    words = utt.words
    if utt.words and word_spans:
        joined, offsets = _joined(utt.words)
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
        found = [s for s in _pii.find_pii(joined, kinds=kinds) if s.start < cut < s.end]
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
    transcript: Transcript,
    *,
    kinds: Iterable[str] | None = None,
    options: RedactionOptions | None = None,
) -> tuple[tuple[float, float, PiiKind], ...]:
    """When personal data is spoken: (start_s, end_s, kind) from the word timestamps.

    The spans are those :func:`redact` tags in the words, so the bleeps and the
    tags agree. An utterance that holds personal data but has no word timing is
    covered whole: better a longer bleep than a spoken card number.
    """
    wanted = check_kinds(kinds)
    found: list[tuple[float, float, PiiKind]] = []
    every = _call_spans(transcript, wanted, options or DEFAULT_OPTIONS)
    for utt, (text_spans, word_spans) in zip(transcript.utterances, every, strict=True):
        if not utt.words:
            for span in text_spans:
                logger.warning("%s: no word timing; bleeping the whole utterance", utt.id)
                found.append((utt.start_s, utt.end_s, span.kind))
                break
            continue
        _, offsets = _joined(utt.words)
        for span in word_spans:
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
    options: RedactionOptions | None = None,
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
        options: address level, the agent's name, the name model (as :func:`redact`).

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
    for start, end, kind in pii_intervals(transcript, kinds=kinds, options=options):
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
