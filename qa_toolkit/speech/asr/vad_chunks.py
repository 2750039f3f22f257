"""Keep only the speech of a signal, and map times back to the original timeline.

The engines decode speech with the silences cut out (Whisper invents text over
silence and hold music), then report every time on the call's own timeline.
Speech is found with the Silero VAD model that faster-whisper ships, so all
engines cut the same audio in the same places.

:func:`find_speech` runs the VAD once per signal with fine settings (it splits
at 300 ms pauses, where a speaker change usually falls); diarization uses those
regions as they are, and batched decoding widens them into decoding ranges
(:func:`decode_ranges`), so a mono call's audio goes through the VAD once.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa_toolkit.speech.asr.base import SAMPLE_RATE_HZ, Samples

WINDOW_S = 30.0  # Whisper's receptive field
# Fine VAD settings (see find_speech): a speaker change usually comes with a
# short pause, so split at 300 ms; 100 ms of context each side; drop blips.
_FINE_SILENCE_MS = 300
_FINE_PAD_MS = 100
_FINE_MIN_SPEECH_MS = 200
# Longest region: a region widened by DECODE_PAD_S each side still fits one window.
_FINE_MAX_SPEECH_S = 28.0
# Context kept around speech for recognition, as faster-whisper's own VAD keeps
# (speech_pad_ms=400): Whisper needs a little silence to place word edges.
DECODE_PAD_S = 0.4

Range = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of audio to decode and where its parts came from.

    Attributes:
        samples: the audio to decode (speech chunks joined end to end).
        offsets_s: for each joined chunk, its start in ``samples``.
        origins_s: for each joined chunk, its start in the original signal.
    """

    samples: Samples
    offsets_s: tuple[float, ...]
    origins_s: tuple[float, ...]

    @property
    def duration_s(self) -> float:
        return len(self.samples) / SAMPLE_RATE_HZ

    def to_original(self, time_s: float, *, is_end: bool = False) -> float:
        """Map a time in ``samples`` to the original signal.

        A time that falls exactly on a joint belongs to the chunk before it when
        it ends something (``is_end``) and to the chunk after it otherwise, so a
        word is never stretched across the silence that was cut out.
        """
        search = bisect.bisect_left if is_end else bisect.bisect_right
        index = max(0, search(self.offsets_s, time_s) - 1)
        return round(self.origins_s[index] + time_s - self.offsets_s[index], 3)

    def span_to_original(self, start_s: float, end_s: float) -> tuple[float, float]:
        """Map a word's span to the original signal, both edges by the chunk of its middle.

        The decoder's word edges touch (one word ends where the next begins), so
        a word next to a joint often has one edge on the far side of it; mapping
        each edge on its own would stretch the word over the silence cut there.
        """
        index = max(0, bisect.bisect_right(self.offsets_s, (start_s + end_s) / 2) - 1)
        shift = self.origins_s[index] - self.offsets_s[index]
        return round(start_s + shift, 3), round(end_s + shift, 3)


def speech_ranges(
    samples: Samples, *, vad: bool, max_chunk_s: float = math.inf
) -> list[tuple[int, int]]:
    """Sample ranges ``[start, end)`` to decode: the speech, or the whole signal.

    Args:
        samples: 16 kHz mono float32 audio.
        vad: find speech with Silero VAD; when False, take the whole signal.
        max_chunk_s: longest chunk. VAD splits longer speech at a pause (or
            just before the limit when there is none); without VAD the signal
            is cut every ``max_chunk_s``.

    Returns:
        Ranges in time order; empty when no speech was found.
    """
    if not vad:
        step = len(samples) if math.isinf(max_chunk_s) else int(max_chunk_s * SAMPLE_RATE_HZ)
        step = max(step, 1)
        return [(start, min(start + step, len(samples))) for start in range(0, len(samples), step)]
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    # The library's own defaults (gaps over 2 s are cut, 0.4 s of context kept
    # each side), which the faster-whisper engine uses too.
    options = VadOptions(max_speech_duration_s=max_chunk_s)
    stamps = get_speech_timestamps(samples, options, sampling_rate=SAMPLE_RATE_HZ)
    return [(int(stamp["start"]), int(stamp["end"])) for stamp in stamps]


def find_speech(samples: Samples) -> tuple[Range, ...]:
    """Speech regions of a 16 kHz mono signal, as sample ranges ``[start, end)``.

    One Silero VAD pass with fine settings: regions split at pauses of 300 ms
    or more, 100 ms of context each side, blips under 200 ms dropped, none
    longer than 28 s (longer speech is split at its last short pause).

    Returns:
        Ranges in time order; empty when there is no speech (or under 0.1 s of audio).
    """
    # Silero needs at least one 32 ms frame; anything shorter holds no speech worth a region.
    if len(samples) < SAMPLE_RATE_HZ // 10:
        return ()
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    options = VadOptions(
        min_silence_duration_ms=_FINE_SILENCE_MS,
        speech_pad_ms=_FINE_PAD_MS,
        min_speech_duration_ms=_FINE_MIN_SPEECH_MS,
        max_speech_duration_s=_FINE_MAX_SPEECH_S,
    )
    stamps = get_speech_timestamps(samples, options, sampling_rate=SAMPLE_RATE_HZ)
    return tuple((int(stamp["start"]), int(stamp["end"])) for stamp in stamps)


def decode_ranges(
    regions: Sequence[Range], n_samples: int, pad_s: float = DECODE_PAD_S
) -> list[Range]:
    """Speech regions widened for recognition: ``pad_s`` of context each side.

    A pause between two regions is shared: each side gets at most half of it,
    so ranges never overlap and nothing is decoded twice.
    """
    extra = int((pad_s - _FINE_PAD_MS / 1000) * SAMPLE_RATE_HZ)
    out: list[Range] = []
    for index, (start, end) in enumerate(regions):
        before = start if index == 0 else (start - regions[index - 1][1]) // 2
        after = n_samples - end if index == len(regions) - 1 else (regions[index + 1][0] - end) // 2
        out.append((max(0, start - min(extra, before)), min(n_samples, end + min(extra, after))))
    return out


def join(samples: Samples, ranges: Sequence[Range]) -> Piece:
    """Join the given ranges of ``samples`` into one piece with its time map."""
    offsets: list[float] = []
    origins: list[float] = []
    position = 0
    for start, end in ranges:
        offsets.append(position / SAMPLE_RATE_HZ)
        origins.append(start / SAMPLE_RATE_HZ)
        position += end - start
    audio = (
        np.concatenate([samples[start:end] for start, end in ranges])
        if ranges
        else np.zeros(0, dtype=np.float32)
    )
    return Piece(audio.astype(np.float32, copy=False), tuple(offsets), tuple(origins))


def pack(ranges: Sequence[Range], max_window_s: float = WINDOW_S) -> list[list[Range]]:
    """Group consecutive ranges so each group's joined audio fits one window.

    Used for batched decoding, where every window is decoded independently.
    """
    limit = int(max_window_s * SAMPLE_RATE_HZ)
    groups: list[list[Range]] = []
    size = 0
    for start, end in ranges:
        if groups and size + (end - start) <= limit:
            groups[-1].append((start, end))
            size += end - start
        else:
            groups.append([(start, end)])
            size = end - start
    return groups
