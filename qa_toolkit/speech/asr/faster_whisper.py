"""The default engine: faster-whisper (CTranslate2), int8 on CPU.

It runs the same Whisper weights as openai-whisper about four times faster on a
CPU. The library yields segments lazily while it decodes; this engine drains
that generator, reporting progress as it goes, and returns finished records.

Two ways to decode: ``transcribe`` runs the library's sequential loop over one
signal (with its own VAD); ``transcribe_batch`` decodes the given speech of
several signals as independent windows, ``batch_size`` at a time, through the
library's ``BatchedInferencePipeline`` (see :mod:`qa_toolkit.speech.asr.batched`).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from typing import Any

from qa_toolkit.errors import EngineError, ModelNotFoundError
from qa_toolkit.speech.asr.base import (
    SAMPLE_RATE_HZ,
    AsrOptions,
    AsrResult,
    AsrSegment,
    Progress,
    Samples,
    SpeechSignal,
)
from qa_toolkit.speech.asr.batched import Tape, Window, lay_out, missed
from qa_toolkit.speech.asr.vad_chunks import Range
from qa_toolkit.types import Word

logger = logging.getLogger(__name__)

# Whisper base answers Mandarin in traditional characters about half the time.
# A short simplified sentence as prompt nudges it towards simplified script and
# punctuation; longer prompts get copied into the transcript (measured on the
# AISHELL clip: a 25-character prompt tripled its character error). The text is
# converted to simplified afterwards in any case.
ZH_PROMPT = "以下是普通话的句子。"
# Windows decoded in one batch. Measured with base on 2 cores (16 windows of
# the 8 kHz call): 8 at a time took 24.7 s and peaked at 1.27 GB, 16 at a time
# 23.9 s and 1.86 GB; a batch worker's memory matters more than those 3%.
BATCH_SIZE = 8
# Speech this long that a batched window's words leave out (before the first
# word, after the last, a range with none) gets a second pass (see
# batched.missed); shorter stretches are breaths and clicks as often as words.
MISSED_S = 1.0
# Whisper's own rules, which the library's sequential loop applies and its
# batched pipeline does not: text that compresses this well is a decoding loop
# (decode again, with temperature fallback); a window the model thinks silent
# and whose text it doubts is dropped.
_LOOP_COMPRESSION = 2.4
_NO_SPEECH_PROB = 0.6
_DOUBTFUL_LOGPROB = -1.0


class FasterWhisperEngine:
    """A loaded faster-whisper model.

    Args:
        model: a model folder (CTranslate2) or a name the library can download.
        device: ``cpu``, ``cuda`` or ``auto``.
        compute_type: ``int8`` (CPU default), ``float16`` (GPU), ``int8_float16``…
        cpu_threads: threads for one decode; 0 lets CTranslate2 choose.
        batch_size: windows decoded together by :meth:`transcribe_batch`.
    """

    name = "faster-whisper"

    def __init__(
        self,
        model: str,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 0,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError as error:  # pragma: no cover - it is a core dependency
            raise EngineError(
                "faster-whisper is not installed", fix="pip install faster-whisper"
            ) from error
        self.model = model
        self.compute_type = compute_type
        self.batch_size = batch_size
        threads = cpu_threads or min(4, os.cpu_count() or 1)
        try:
            self._model = WhisperModel(
                model, device=device, compute_type=compute_type, cpu_threads=threads
            )
        except Exception as error:
            where = "from its folder" if os.path.isdir(model) else "locally or download it"
            raise ModelNotFoundError(
                f"faster-whisper could not load model '{model}' {where} ({_first_line(error)})",
                fix="run `qa models` to see the local models, or pass --model PATH; "
                "names like 'small' need network to download once",
            ) from error

    def transcribe(
        self, samples: Samples, options: AsrOptions, progress: Progress | None = None
    ) -> AsrResult:
        """Recognise 16 kHz mono float32 ``samples``; see :class:`AsrOptions`."""
        total_s = len(samples) / SAMPLE_RATE_HZ
        segments, info = self._model.transcribe(samples, **_library_options(options))
        out = []
        for seg in segments:
            out.append(_to_segment(seg))
            if progress is not None:
                progress("transcribe", min(float(seg.end), total_s), total_s)
        if progress is not None:
            progress("transcribe", total_s, total_s)
        return AsrResult(tuple(out), str(info.language), float(info.language_probability))

    def transcribe_batch(
        self,
        signals: Sequence[SpeechSignal],
        options: AsrOptions,
        progress: Progress | None = None,
    ) -> tuple[AsrResult, ...]:
        """Recognise the speech ranges of each signal, windows of all of them batched together.

        Raises:
            ValueError: ``options.language`` is not set (detect it first).
        """
        if options.language is None:
            raise ValueError("batched decoding needs the language; detect it first")
        found: list[list[AsrSegment]] = [[] for _ in signals]
        again: list[list[Range]] = [[] for _ in signals]
        for window, segments in self._decode_tape(lay_out(signals), options, progress):
            found[window.signal].extend(segments)
            again[window.signal].extend(missed(window, segments, MISSED_S))
        if any(again):
            logger.debug("decoding %d missed stretches of speech again", sum(map(len, again)))
            retry = [SpeechSignal(s.samples, tuple(r)) for s, r in zip(signals, again, strict=True)]
            for window, segments in self._decode_tape(lay_out(retry), options, None):
                found[window.signal].extend(segments)
        return tuple(
            AsrResult(tuple(sorted(segs, key=lambda s: s.start_s)), options.language)
            for segs in found
        )

    def _decode_tape(
        self, tape: Tape, options: AsrOptions, progress: Progress | None
    ) -> list[tuple[Window, list[AsrSegment]]]:
        """Each window with its segments on its signal's timeline, in tape order."""
        if not tape.windows:
            return []
        from faster_whisper import BatchedInferencePipeline

        # Half a sample more, so that the library's int(seconds * rate) lands on our sample.
        clips = [
            {
                "start": (w.start + 0.5) / SAMPLE_RATE_HZ,
                "end": (w.start + len(w.piece.samples) + 0.5) / SAMPLE_RATE_HZ,
            }
            for w in tape.windows
        ]
        pipeline = BatchedInferencePipeline(self._model)
        segments, _ = pipeline.transcribe(
            tape.samples,
            clip_timestamps=clips,
            batch_size=self.batch_size,
            **_batched_options(options),
        )
        decoded: list[list[Any]] = [[] for _ in tape.windows]
        for seg in segments:
            index = tape.index_at((float(seg.start) + float(seg.end)) / 2)
            decoded[index].append(seg)
            if progress is not None:
                done_s = tape.windows[index].end_s
                progress("transcribe", min(done_s, tape.speech_s), tape.speech_s)
        if progress is not None:
            progress("transcribe", tape.speech_s, tape.speech_s)
        return [
            (window, self._segments(tape, window, raw, options))
            for window, raw in zip(tape.windows, decoded, strict=True)
        ]

    def _segments(
        self, tape: Tape, window: Window, raw: list[Any], options: AsrOptions
    ) -> list[AsrSegment]:
        """A window's library segments on its signal's timeline (decoded again if it loops)."""
        if any(float(seg.compression_ratio) > _LOOP_COMPRESSION for seg in raw):
            return self._redecode(tape, window, options)
        return [tape.to_signal(_to_segment(seg))[1] for seg in raw if not _doubtful(seg)]

    def _redecode(self, tape: Tape, window: Window, options: AsrOptions) -> list[AsrSegment]:
        """Decode one window again through the sequential loop, which falls back on temperature."""
        logger.debug("a batched window repeats itself; decoding it again sequentially")
        library = _library_options(options) | {"vad_filter": False}
        segments, _ = self._model.transcribe(window.piece.samples, **library)
        return [tape.to_signal(_shifted(_to_segment(seg), window.start_s))[1] for seg in segments]

    def detect_language(self, samples: Samples) -> tuple[str, float]:
        """The spoken language of ``samples`` and its probability (speech only)."""
        if self._model.model.is_multilingual is False:
            return "en", 1.0
        language, prob, _ = self._model.detect_language(
            samples, vad_filter=True, language_detection_segments=2
        )
        return str(language), float(prob)


def _library_options(options: AsrOptions) -> dict[str, Any]:
    prompt = ZH_PROMPT if options.language == "zh" else None
    return {
        "language": options.language,
        "beam_size": options.beam_size,
        "word_timestamps": options.word_timestamps,
        # The library's own VAD settings: splitting at shorter pauses raised the
        # word error on the telephone sample (tiny.en 0.12 -> 0.17). Turns are
        # cut afterwards at word gaps instead (turns.split_at_pauses).
        "vad_filter": options.vad,
        "initial_prompt": prompt,
        "hotwords": options.prompt(),
        # Conditioning on earlier text lets one hallucination repeat for minutes.
        "condition_on_previous_text": False,
    }


def _batched_options(options: AsrOptions) -> dict[str, Any]:
    return {
        "language": options.language,
        "beam_size": options.beam_size,
        "word_timestamps": options.word_timestamps,
        "initial_prompt": ZH_PROMPT if options.language == "zh" else None,
        "hotwords": options.prompt(),
        # One segment per window, cut into turns afterwards at word gaps. With
        # timestamp tokens the decoder often stopped before a full window's end
        # (on the 8 kHz call, 20 of the caller's 288 words lost after the second
        # pass); without them it sometimes starts past a window's first words,
        # which the second pass (see MISSED_S) mostly recovers.
        "without_timestamps": True,
    }


def _shifted(segment: AsrSegment, by_s: float) -> AsrSegment:
    """A window's segment placed on the tape."""
    words = tuple(Word(w.text, w.start_s + by_s, w.end_s + by_s, w.prob) for w in segment.words)
    return AsrSegment(
        segment.start_s + by_s,
        segment.end_s + by_s,
        segment.text,
        words,
        segment.confidence,
        segment.no_speech_prob,
    )


def _doubtful(seg: Any) -> bool:
    return (
        float(seg.no_speech_prob) > _NO_SPEECH_PROB and float(seg.avg_logprob) < _DOUBTFUL_LOGPROB
    )


def _to_segment(seg: Any) -> AsrSegment:
    words = tuple(
        Word(str(w.word), round(float(w.start), 3), round(float(w.end), 3), float(w.probability))
        for w in (seg.words or ())
    )
    return AsrSegment(
        start_s=round(float(seg.start), 3),
        end_s=round(float(seg.end), 3),
        text=str(seg.text).strip(),
        words=words,
        confidence=round(math.exp(float(seg.avg_logprob)), 4),
        no_speech_prob=float(seg.no_speech_prob),
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
