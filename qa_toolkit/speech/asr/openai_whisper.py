"""The openai-whisper engine: OpenAI's reference PyTorch implementation.

Slower than faster-whisper on a CPU, but it is the implementation the others are
measured against, and it runs on any device PyTorch supports. The packaged
models are CTranslate2 weights; :func:`qa_toolkit.speech.asr.convert.converted_model`
turns them into an openai-whisper checkpoint once, losslessly.
"""

from __future__ import annotations

import base64
import gzip
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np

from qa_toolkit.errors import EngineError, ModelNotFoundError
from qa_toolkit.speech.asr.base import (
    SAMPLE_RATE_HZ,
    AsrOptions,
    AsrResult,
    AsrSegment,
    Progress,
    Samples,
)
from qa_toolkit.speech.asr.faster_whisper import ZH_PROMPT
from qa_toolkit.speech.asr.vad_chunks import Piece, join, speech_ranges
from qa_toolkit.types import Word

logger = logging.getLogger(__name__)


class OpenAIWhisperEngine:
    """A loaded openai-whisper model.

    Args:
        model_path_or_name: an openai-whisper checkpoint (``.pt``), a CTranslate2
            model folder (converted once into the toolkit's cache), or a name
            openai-whisper knows (``tiny``, ``base``…; needs network once).
        device: ``cpu``, ``cuda``, ``cuda:1``…; on a GPU it decodes in float16.

    Raises:
        EngineError: openai-whisper or PyTorch is not installed.
        ModelNotFoundError: the model cannot be found or read.

    Example:
        >>> engine = OpenAIWhisperEngine("/cache/tiny.en.pt")
        >>> result = engine.transcribe(samples, AsrOptions(language="en"))
    """

    name = "openai-whisper"

    def __init__(self, model_path_or_name: str, device: str = "cpu") -> None:
        self.model = model_path_or_name
        self.device = device
        self.compute_type = "float16" if device.startswith("cuda") else "float32"
        self._model = _load(model_path_or_name, device)

    @property
    def multilingual(self) -> bool:
        """Whether the model knows languages other than English."""
        return bool(self._model.is_multilingual)

    def transcribe(
        self, samples: Samples, options: AsrOptions, progress: Progress | None = None
    ) -> AsrResult:
        """Recognise 16 kHz mono float32 ``samples``; see :class:`AsrOptions`.

        Raises:
            EngineError: decoding failed (the message names the cause).
        """
        total_s = len(samples) / SAMPLE_RATE_HZ
        if progress is not None:
            progress("transcribe", 0.0, total_s)
        piece = join(samples, speech_ranges(samples, vad=options.vad))
        if piece.duration_s == 0.0:
            return AsrResult((), options.language or "en", 0.0)
        language, language_prob = self._language(piece.samples, options.language)
        try:
            raw = self._model.transcribe(piece.samples, **self._decode_options(options, language))
        except (RuntimeError, ValueError) as error:
            raise EngineError(
                f"openai-whisper failed on {total_s:.1f} s of audio ({error})",
                fix="check the audio is 16 kHz mono float32, or try the faster-whisper engine",
            ) from error
        segments = tuple(_to_segment(seg, piece) for seg in raw["segments"])
        if progress is not None:
            progress("transcribe", total_s, total_s)
        return AsrResult(segments, language, language_prob)

    def detect_language(self, samples: Samples) -> tuple[str, float]:
        """The spoken language of the first 30 s of ``samples`` and its probability."""
        return self._language(samples, None)

    def _language(self, samples: Samples, forced: str | None) -> tuple[str, float]:
        if forced is not None:
            return forced, 1.0
        if not self.multilingual:
            return "en", 1.0
        import whisper

        audio = whisper.pad_or_trim(samples)
        mel = whisper.log_mel_spectrogram(audio, self._model.dims.n_mels).to(self._model.device)
        _, probs = self._model.detect_language(mel)
        language = max(probs, key=probs.get)
        return str(language), float(probs[language])

    def _decode_options(self, options: AsrOptions, language: str) -> dict[str, Any]:
        prompts = [ZH_PROMPT if language == "zh" else None, options.prompt()]
        return {
            "language": language if self.multilingual else None,
            "task": "transcribe",
            "beam_size": options.beam_size if options.beam_size > 1 else None,
            "word_timestamps": options.word_timestamps,
            "initial_prompt": " ".join(p for p in prompts if p) or None,
            # Conditioning on earlier text lets one hallucination repeat for minutes.
            "condition_on_previous_text": False,
            "fp16": self.compute_type == "float16",
            "verbose": None,
        }


def _load(model: str, device: str) -> Any:
    try:
        import whisper
    except ImportError as error:
        raise EngineError(
            "the openai-whisper engine needs the 'openai-whisper' package",
            fix="pip install 'qa-toolkit[openai-whisper]'",
        ) from error
    path = Path(model)
    if path.is_dir():
        from qa_toolkit.speech.asr.convert import converted_model
        from qa_toolkit.speech.asr.models import cache_dir

        path = converted_model(path, "openai-whisper", cache_dir() / "converted")
    try:
        if path.is_file():
            return _load_checkpoint(path, device)
        return whisper.load_model(model, device=device)
    except (RuntimeError, OSError, KeyError, ValueError) as error:
        raise ModelNotFoundError(
            f"openai-whisper could not load model '{model}' ({error})",
            fix="pass a checkpoint converted by qa_toolkit.speech.asr.convert or a CTranslate2 "
            "folder; "
            "names like 'base' need network to download once",
        ) from error


def _load_checkpoint(path: Path, device: str) -> Any:
    """Load a checkpoint as ``whisper.load_model`` does, plus its alignment heads."""
    import torch
    from whisper.model import ModelDimensions, Whisper

    checkpoint = torch.load(path, map_location=device, weights_only=True)
    dims = ModelDimensions(**checkpoint["dims"])
    model = Whisper(dims)
    model.load_state_dict(checkpoint["model_state_dict"])
    heads = checkpoint.get("alignment_heads")
    if heads:
        # Word timing follows the heads that track the audio; without this,
        # openai-whisper would average every head of the upper decoder half.
        mask = np.zeros((dims.n_text_layer, dims.n_text_head), dtype=bool)
        for layer, head in heads:
            mask[layer, head] = True
        model.set_alignment_heads(base64.b85encode(gzip.compress(mask.tobytes())))
    return model.to(device)


def _to_segment(seg: dict[str, Any], piece: Piece) -> AsrSegment:
    words = tuple(
        Word(
            str(w["word"]),
            piece.to_original(float(w["start"])),
            piece.to_original(float(w["end"]), is_end=True),
            round(float(w["probability"]), 4),
        )
        for w in seg.get("words") or ()
    )
    return AsrSegment(
        start_s=piece.to_original(float(seg["start"])),
        end_s=piece.to_original(float(seg["end"]), is_end=True),
        text=str(seg["text"]).strip(),
        words=words,
        confidence=round(math.exp(float(seg["avg_logprob"])), 4),
        no_speech_prob=float(seg["no_speech_prob"]),
    )
