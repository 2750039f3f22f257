"""A call's speech as windows laid end to end, for decoding several windows at a time.

Sequential decoding walks a signal one 30 s window after another, each window
starting where the previous one's last timestamp fell. Batched decoding instead
cuts the speech of every signal of a call (both sides of a two-file call) at
pauses into windows of at most 30 s and decodes them independently, a batch at a
time. This module lays those windows out on one *tape* (the engine hands the
tape and the windows' places on it to the decoder) and maps what the decoder
says back to each signal's own timeline.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa_toolkit.speech.asr.base import SAMPLE_RATE_HZ, AsrSegment, Samples, SpeechSignal
from qa_toolkit.speech.asr.vad_chunks import WINDOW_S, Piece, Range, join, pack
from qa_toolkit.types import Word


@dataclass(frozen=True, slots=True)
class Window:
    """Joined speech of one signal that fits one decoder window.

    Attributes:
        signal: index of the signal it comes from.
        piece: its audio and the map back to the signal's timeline.
        start: its first sample on the tape.
        ranges: the signal's sample ranges joined into it.
    """

    signal: int
    piece: Piece
    start: int
    ranges: tuple[Range, ...] = ()

    @property
    def start_s(self) -> float:
        return self.start / SAMPLE_RATE_HZ

    @property
    def end_s(self) -> float:
        return (self.start + len(self.piece.samples)) / SAMPLE_RATE_HZ


@dataclass(frozen=True, slots=True)
class Tape:
    """Every window of a call, end to end, and the signals' lengths."""

    samples: Samples
    windows: tuple[Window, ...]
    durations_s: tuple[float, ...]

    @property
    def speech_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE_HZ

    def index_at(self, time_s: float) -> int:
        """The index of the window that holds ``time_s`` on the tape."""
        starts = [w.start_s for w in self.windows]
        return max(0, bisect.bisect_right(starts, time_s) - 1)

    def window_at(self, time_s: float) -> Window:
        """The window that holds ``time_s`` on the tape."""
        return self.windows[self.index_at(time_s)]

    def to_signal(self, segment: AsrSegment) -> tuple[int, AsrSegment]:
        """A decoded segment (tape times) as its signal's index and a segment on its timeline.

        The window is the one holding the segment's middle, so a start rounded
        to just before its window's first sample still finds it.
        """
        window = self.window_at((segment.start_s + segment.end_s) / 2)
        limit = self.durations_s[window.signal]

        def at(time_s: float, *, is_end: bool = False) -> float:
            local = max(0.0, time_s - window.start_s)
            return min(limit, window.piece.to_original(local, is_end=is_end))

        words = []
        for word in segment.words:
            start, end = window.piece.span_to_original(
                max(0.0, word.start_s - window.start_s), max(0.0, word.end_s - window.start_s)
            )
            start = min(limit, max(0.0, start))
            words.append(Word(word.text, start, min(limit, max(start, end)), word.prob))
        start_s = words[0].start_s if words else at(segment.start_s)
        end_s = words[-1].end_s if words else at(segment.end_s, is_end=True)
        mapped = AsrSegment(
            start_s,
            max(start_s, end_s),
            segment.text,
            tuple(words),
            segment.confidence,
            segment.no_speech_prob,
        )
        return window.signal, mapped


def lay_out(signals: Sequence[SpeechSignal], window_s: float = WINDOW_S) -> Tape:
    """Cut each signal's speech ranges into windows and lay them end to end.

    Consecutive ranges of one signal share a window while their joined length
    fits ``window_s``; a window never mixes two signals.
    """
    windows: list[Window] = []
    pieces: list[Samples] = []
    position = 0
    for index, signal in enumerate(signals):
        for group in pack(signal.ranges, window_s):
            piece = join(signal.samples, group)
            windows.append(Window(index, piece, position, tuple(group)))
            pieces.append(piece.samples)
            position += len(piece.samples)
    audio = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)
    durations = tuple(len(s.samples) / SAMPLE_RATE_HZ for s in signals)
    return Tape(audio.astype(np.float32, copy=False), tuple(windows), durations)


def missed(window: Window, segments: Sequence[AsrSegment], min_s: float) -> tuple[Range, ...]:
    """Speech of ``window`` before its first decoded word or after its last (signal timeline).

    Batched windows are decoded without the sequential loop's seeking, and now
    and then the decoder starts past a window's first words or stops before its
    end; the VAD says speech was there, so a stretch of at least ``min_s`` gets
    a second try. (Gaps between words are left alone: word times there are too
    loose to tell a skipped phrase from a slow one.)
    """
    words = [w for seg in segments for w in seg.words]
    if not words:
        return _long(window.ranges, min_s)
    first = int(min(w.start_s for w in words) * SAMPLE_RATE_HZ)
    last = int(max(w.end_s for w in words) * SAMPLE_RATE_HZ)
    head = [(s, min(e, first)) for s, e in window.ranges if s < first]
    tail = [(max(s, last), e) for s, e in window.ranges if e > last]
    return _long(head, min_s) + _long(tail, min_s)


def _long(ranges: Sequence[Range], min_s: float) -> tuple[Range, ...]:
    """The ranges of a head or tail when together they hold at least ``min_s``."""
    total = sum(e - s for s, e in ranges) / SAMPLE_RATE_HZ
    return tuple(ranges) if ranges and total >= min_s else ()
