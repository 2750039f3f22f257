"""The protocol every ASR engine follows, and the records it returns.

An engine holds one loaded model. ``transcribe`` takes 16 kHz mono float32
samples and returns finished segments (never a lazy generator), so the caller
decides what runs when, and progress is reported through a callback. An engine
that can decode the speech of several signals together in batches (both sides
of a call) also follows :class:`BatchedAsrEngine`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from qa_toolkit.progress import Progress
from qa_toolkit.types import Word

SAMPLE_RATE_HZ = 16_000

# progress(step, completed, total): completed and total in seconds of audio.
Samples = npt.NDArray[np.float32]
# batched: the speech of a call cut at pauses into windows decoded several at a
# time; sequential: the engine's own window-after-window loop.
Decoding = Literal["batched", "sequential"]
DECODINGS: tuple[Decoding, ...] = ("batched", "sequential")


@dataclass(frozen=True, slots=True)
class AsrOptions:
    """Options that change what an engine outputs (part of a transcript's identity).

    Attributes:
        language: ``"en"``, ``"zh"``… or ``None`` to detect it.
        vad: drop non-speech before decoding; Whisper invents text over silence
            and hold music without it.
        word_timestamps: return per-word timing.
        hotwords: domain vocabulary (product and company names) to bias decoding.
        beam_size: beam width; 5 is Whisper's own default.
    """

    language: str | None = None
    vad: bool = True
    word_timestamps: bool = True
    hotwords: tuple[str, ...] = ()
    beam_size: int = 5

    def prompt(self) -> str | None:
        """The hot words as a decoder prompt, or ``None`` when there are none."""
        if not self.hotwords:
            return None
        sep = "、" if self.language == "zh" else ", "
        return sep.join(self.hotwords)


@dataclass(frozen=True, slots=True)
class AsrSegment:
    """One decoded segment; ``confidence`` is exp(mean token log-probability)."""

    start_s: float
    end_s: float
    text: str
    words: tuple[Word, ...] = ()
    confidence: float = 1.0
    no_speech_prob: float = 0.0


@dataclass(frozen=True, slots=True)
class SpeechSignal:
    """A 16 kHz mono signal and where its speech is, found once and shared.

    Attributes:
        samples: the whole signal (times in results are on its timeline).
        ranges: sample ranges ``[start, end)`` to decode, in time order; empty
            when the signal holds no speech.
    """

    samples: Samples
    ranges: tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class AsrResult:
    """Everything an engine says about one signal."""

    segments: tuple[AsrSegment, ...]
    language: str
    language_prob: float = 1.0


class AsrEngine(Protocol):
    """A loaded speech recogniser.

    Attributes:
        name: the engine's registry name (``faster-whisper``, ``openai-whisper``,
            ``transformers``).
        model: the model's name or path as resolved.
        compute_type: numeric precision used (``int8``, ``float32``…).
    """

    name: str
    model: str
    compute_type: str

    def transcribe(
        self, samples: Samples, options: AsrOptions, progress: Progress | None = None
    ) -> AsrResult:
        """Recognise 16 kHz mono float32 ``samples``."""
        ...

    def detect_language(self, samples: Samples) -> tuple[str, float]:
        """The spoken language of ``samples`` (speech only) and its probability."""
        ...


@runtime_checkable
class BatchedAsrEngine(AsrEngine, Protocol):
    """An engine that decodes the given speech of several signals together, in batches."""

    def transcribe_batch(
        self,
        signals: Sequence[SpeechSignal],
        options: AsrOptions,
        progress: Progress | None = None,
    ) -> tuple[AsrResult, ...]:
        """Recognise the speech ``ranges`` of each signal; one result per signal, in order.

        ``options.language`` must be set: the call's language is detected once,
        before decoding.
        """
        ...
