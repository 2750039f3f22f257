"""Keep only the speech of a signal, and map times back to the original timeline.

The PyTorch engines decode speech with the silences cut out (Whisper invents
text over silence and hold music), then report every time on the call's own
timeline. Speech is found with the Silero VAD model that faster-whisper ships,
so all engines cut the same audio in the same places.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from qa_toolkit.speech.asr.base import SAMPLE_RATE_HZ, Samples

WINDOW_S = 30.0  # Whisper's receptive field


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


def join(samples: Samples, ranges: list[tuple[int, int]]) -> Piece:
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


def pack(
    ranges: list[tuple[int, int]], max_window_s: float = WINDOW_S
) -> list[list[tuple[int, int]]]:
    """Group consecutive ranges so each group's joined audio fits one window.

    Used for batched decoding, where every window is decoded independently.
    """
    limit = int(max_window_s * SAMPLE_RATE_HZ)
    groups: list[list[tuple[int, int]]] = []
    size = 0
    for start, end in ranges:
        if groups and size + (end - start) <= limit:
            groups[-1].append((start, end))
            size += end - start
        else:
            groups.append([(start, end)])
            size = end - start
    return groups
