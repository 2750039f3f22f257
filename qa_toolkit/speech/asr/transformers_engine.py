"""The transformers engine: Hugging Face's Whisper, the route to batched GPU decoding.

On one CPU it is the slowest engine; its use is a GPU, where ``batch_size``
windows of speech are decoded at once. The packaged CTranslate2 weights are
converted once, losslessly, by :func:`qa_toolkit.speech.asr.convert.converted_model`.

With ``batch_size=1`` the speech is decoded as one long signal, window after
window, as openai-whisper does. With a larger batch, speech is packed into
independent windows of at most 30 s that are decoded side by side: faster on a
GPU, at the price of no context across window edges.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

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
from qa_toolkit.speech.asr.vad_chunks import WINDOW_S, Piece, join, pack, speech_ranges
from qa_toolkit.types import Word

logger = logging.getLogger(__name__)

# A pass that starts this close to the end of its audio has nothing left to hear:
# Whisper fills such tails with "Thank you." and the like.
_TAIL_S = 0.3
_WINDOW_FRAMES = 3000  # log-mel frames in Whisper's 30 s window
# openai-whisper's thresholds for skipping a window as silence.
_LOGPROB_THRESHOLD = -1.0
_NO_SPEECH_THRESHOLD = 0.6


class TransformersWhisperEngine:
    """A loaded Hugging Face Whisper model.

    Args:
        model_path_or_name: a Hugging Face Whisper folder, or a CTranslate2
            model folder (converted once into the toolkit's cache).
        device: ``cpu``, ``cuda``, ``cuda:1``…; GPUs decode in float16.
        batch_size: windows decoded at once; above 1, speech is cut into
            independent windows of at most 30 s.

    Raises:
        EngineError: transformers or PyTorch is not installed.
        ModelNotFoundError: the model cannot be found or read.

    Example:
        >>> engine = TransformersWhisperEngine("/cache/base-hf", device="cuda", batch_size=16)
        >>> result = engine.transcribe(samples, AsrOptions(language="zh"))
    """

    name = "transformers"

    def __init__(self, model_path_or_name: str, device: str = "cpu", batch_size: int = 1) -> None:
        if batch_size < 1:
            raise EngineError(
                f"batch_size must be at least 1, not {batch_size}", fix="pass 1 or more"
            )
        self.model = model_path_or_name
        self.device = device
        self.batch_size = batch_size
        self.compute_type = "float16" if device.startswith("cuda") else "float32"
        self._model, self._processor = _load(model_path_or_name, device, self.compute_type)
        self.multilingual = bool(getattr(self._model.generation_config, "is_multilingual", False))

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
        pieces = self._pieces(samples, options.vad)
        if not pieces:
            return AsrResult((), options.language or "en", 0.0)
        language, language_prob = self._language(pieces[0].samples, options.language)
        segments: list[AsrSegment] = []
        for start in range(0, len(pieces), self.batch_size):
            batch = pieces[start : start + self.batch_size]
            try:
                segments.extend(self._decode(batch, options, language))
            except (RuntimeError, ValueError) as error:
                raise EngineError(
                    f"transformers failed on {total_s:.1f} s of audio ({error})",
                    fix="check the audio is 16 kHz mono float32, or try the faster-whisper engine",
                ) from error
            if progress is not None:
                done = batch[-1].to_original(batch[-1].duration_s, is_end=True)
                progress("transcribe", min(done, total_s), total_s)
        if progress is not None:
            progress("transcribe", total_s, total_s)
        return AsrResult(tuple(segments), language, language_prob)

    def detect_language(self, samples: Samples) -> tuple[str, float]:
        """The spoken language of the first 30 s of ``samples`` and its probability."""
        return self._language(samples, None)

    def _pieces(self, samples: Samples, vad: bool) -> list[Piece]:
        if self.batch_size == 1:
            ranges = speech_ranges(samples, vad=vad)
            return [join(samples, ranges)] if ranges else []
        ranges = speech_ranges(samples, vad=vad, max_chunk_s=WINDOW_S)
        return [join(samples, group) for group in pack(ranges)]

    def _features(self, audio: list[Samples]) -> tuple[Any, Any]:
        import torch

        longest_s = max(len(a) for a in audio) / SAMPLE_RATE_HZ
        # Audio over 30 s goes in whole (transformers then seeks through it as
        # openai-whisper does); shorter audio is padded to Whisper's 30 s window.
        extra = {"padding": "longest", "truncation": False} if longest_s > WINDOW_S else {}
        inputs = self._processor.feature_extractor(
            audio,
            sampling_rate=SAMPLE_RATE_HZ,
            return_tensors="pt",
            return_attention_mask=True,
            **extra,
        )
        features, mask = inputs.input_features, inputs.attention_mask
        if len(audio) > 1 and features.shape[-1] <= _WINDOW_FRAMES:
            # One frame more makes transformers treat the batch as long-form,
            # where each window stops at its own length (from the mask) instead
            # of decoding the padding up to 30 s, which invents text there.
            features = torch.nn.functional.pad(features, (0, 1))
            mask = torch.nn.functional.pad(mask, (0, 1))
        return features.to(self._model.device, self._model.dtype), mask.to(self._model.device)

    def _language(self, samples: Samples, forced: str | None) -> tuple[str, float]:
        if forced is not None:
            return forced, 1.0
        if not self.multilingual:
            return "en", 1.0
        import torch

        features, _ = self._features([samples[: int(WINDOW_S * SAMPLE_RATE_HZ)]])
        config = self._model.generation_config
        codes = {int(i): token.strip("<|>") for token, i in config.lang_to_id.items()}
        start = torch.tensor([[config.decoder_start_token_id]], device=self._model.device)
        with torch.inference_mode():
            logits = self._model(input_features=features, decoder_input_ids=start).logits[0, -1]
        ids = torch.tensor(sorted(codes), device=logits.device)
        probs = torch.softmax(logits[ids].float(), dim=-1)
        best = int(torch.argmax(probs))
        return codes[int(ids[best])], float(probs[best])

    def _generate_options(self, options: AsrOptions, language: str) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "return_timestamps": True,
            # Per-segment tokens, times and scores; the logprob threshold below
            # makes transformers keep the scores.
            "return_segments": True,
            "return_token_timestamps": options.word_timestamps,
            "num_beams": options.beam_size,
            # One pass at temperature 0: sampling fallbacks multiply CPU time, and
            # the no-speech and tail checks catch what they would fix.
            "temperature": 0.0,
            "condition_on_prev_tokens": False,
            "logprob_threshold": _LOGPROB_THRESHOLD,
            "no_speech_threshold": _NO_SPEECH_THRESHOLD,
        }
        if self.multilingual:
            kwargs.update(language=language, task="transcribe")
        prompt = " ".join(
            p for p in (ZH_PROMPT if language == "zh" else None, options.prompt()) if p
        )
        if prompt:
            ids = self._processor.get_prompt_ids(prompt, return_tensors="pt")
            kwargs["prompt_ids"] = ids.to(self._model.device)
        return kwargs

    def _decode(self, batch: list[Piece], options: AsrOptions, language: str) -> list[AsrSegment]:
        import torch

        features, mask = self._features([piece.samples for piece in batch])
        with torch.inference_mode():
            output = self._model.generate(
                features, attention_mask=mask, **self._generate_options(options, language)
            )
        out: list[AsrSegment] = []
        for piece, raw_segments in zip(batch, output["segments"], strict=True):
            for raw in raw_segments:
                segment = self._to_segment(raw, piece, options.word_timestamps)
                if segment is not None:
                    out.append(segment)
        return out

    def _to_segment(self, raw: dict[str, Any], piece: Piece, with_words: bool) -> AsrSegment | None:
        start_s, end_s = float(raw["start"]), min(float(raw["end"]), piece.duration_s)
        tokens = [int(t) for t in raw["tokens"]]
        text = self._processor.tokenizer.decode(tokens, skip_special_tokens=True).strip()
        if not text or start_s >= piece.duration_s - _TAIL_S:
            return None
        logprobs = _token_logprobs(raw, tokens)
        words = (
            _words(self._processor.tokenizer, raw, tokens, logprobs, piece) if with_words else ()
        )
        start, end = piece.to_original(start_s), piece.to_original(max(end_s, start_s), is_end=True)
        if words:
            # Small models often predict whole-second segment timestamps; the
            # word alignment is finer, so segments span their words (as
            # openai-whisper and faster-whisper do with word timestamps).
            start, end = words[0].start_s, max(words[-1].end_s, words[0].start_s)
        return AsrSegment(
            start_s=start,
            end_s=end,
            text=text,
            words=words,
            confidence=round(math.exp(_mean_logprob(raw, logprobs)), 4),
        )


def _load(model: str, device: str, compute_type: str) -> tuple[Any, Any]:
    try:
        import torch
        from transformers import WhisperForConditionalGeneration, WhisperProcessor
    except ImportError as error:
        raise EngineError(
            "the transformers engine needs the 'transformers' and 'torch' packages",
            fix="pip install 'qa-toolkit[transformers]'",
        ) from error
    path = Path(model)
    if (path / "model.bin").is_file():
        from qa_toolkit.speech.asr.convert import converted_model
        from qa_toolkit.speech.asr.models import cache_dir

        path = converted_model(path, "transformers", cache_dir() / "converted")
    try:
        network: Any = WhisperForConditionalGeneration.from_pretrained(
            str(path),
            dtype=getattr(torch, compute_type),
            # Word timing reads cross-attention weights, which only eager attention returns.
            attn_implementation="eager",
            # Never reach for the hub: the toolkit works offline, and a typo in
            # a path should fail here rather than start a download.
            local_files_only=True,
        )
        processor = WhisperProcessor.from_pretrained(str(path), local_files_only=True)
    except (OSError, ValueError) as error:
        raise ModelNotFoundError(
            f"transformers could not load Whisper model '{model}' ({error})",
            fix="pass a folder written by qa_toolkit.speech.asr.convert.to_transformers or a "
            "CTranslate2 model folder",
        ) from error
    return network.to(device).eval(), processor


def _token_logprobs(raw: dict[str, Any], tokens: list[int]) -> list[float] | None:
    """Each token's log-probability, from the scores transformers kept for the pass."""
    import torch

    result = raw.get("result") or {}
    scores, sequence = result.get("scores"), result.get("sequences")
    if scores is None or sequence is None or "idxs" not in raw:
        return None
    # The pass's sequence starts with its decoder prompt (previous text, start,
    # language, task); one score was kept per token generated after it.
    offset = len(sequence) - len(scores)
    first, last = (int(i) - offset for i in raw["idxs"])
    if first < 0 or last > len(scores) or last - first != len(tokens):
        return None
    # Greedy search keeps logits, beam search log-probabilities of the chosen
    # beam; log_softmax turns either into log-probabilities.
    steps = torch.stack([scores[i].reshape(-1) for i in range(first, last)]).float()
    picked = steps.log_softmax(dim=-1).gather(1, torch.tensor(tokens, device=steps.device)[:, None])
    return [float(v) for v in picked[:, 0]]


def _mean_logprob(raw: dict[str, Any], logprobs: list[float] | None) -> float:
    if logprobs:
        return sum(logprobs) / len(logprobs)
    result = raw.get("result") or {}
    score = result.get("sequences_scores")
    # Beam search keeps only the length-normalised sum: the mean token log-probability.
    return float(score) if score is not None else 0.0


def _words(
    tokenizer: Any,
    raw: dict[str, Any],
    tokens: list[int],
    logprobs: list[float] | None,
    piece: Piece,
) -> tuple[Word, ...]:
    """Group tokens into words, timed by transformers' cross-attention alignment."""
    stamps = raw.get("token_timestamps")
    if stamps is None:
        return ()
    # transformers' time for a token is where it ends (where the next one begins).
    times = [float(t) for t in stamps]
    timestamp_begin = int(tokenizer.convert_tokens_to_ids("<|0.00|>"))
    spans = _word_spans(tokenizer, tokens, timestamp_begin)
    ends = [times[last] for _, _, last in spans]
    starts = [times[first - 1] if first > 0 else float(raw["start"]) for _, first, _ in spans]
    if spans:
        # Cross-attention timing is loose at the edges: the first word would
        # start at the segment's opening timestamp and the last can run into
        # the next window. Cap word length as openai-whisper does (twice the
        # median word, at most 1.4 s).
        durations = sorted(e - s for s, e in zip(starts, ends, strict=True) if e > s)
        longest = 2 * min(durations[len(durations) // 2] if durations else 0.7, 0.7)
        starts[0] = max(starts[0], ends[0] - longest)
        ends = [min(end, start + longest) for start, end in zip(starts, ends, strict=True)]
    words = []
    for (text, first, last), start, end in zip(spans, starts, ends, strict=True):
        prob = math.exp(sum(logprobs[first : last + 1]) / (last + 1 - first)) if logprobs else 1.0
        words.append(
            Word(
                text,
                piece.to_original(start),
                piece.to_original(max(start, end), is_end=True),
                round(prob, 4),
            )
        )
    return tuple(words)


def _word_spans(
    tokenizer: Any, tokens: list[int], timestamp_begin: int
) -> list[tuple[str, int, int]]:
    """(text, first token, last token) of each word.

    A word starts at a token that begins with a space; Chinese has no spaces,
    so there each token that completes characters is its own word.
    """
    spans: list[tuple[str, int, int]] = []
    pending: list[int] = []
    for index, token in enumerate(tokens):
        if token >= timestamp_begin:
            continue
        pending.append(index)
        text = tokenizer.decode([tokens[i] for i in pending])
        if "\ufffd" in text:
            continue  # a character split across tokens: wait for the rest of it
        if spans and not text.startswith(" ") and text.strip() and _joins(spans[-1][0], text):
            prev_text, first, _ = spans[-1]
            spans[-1] = (prev_text + text, first, index)
        elif text.strip():
            spans.append((text, pending[0], index))
        pending = []
    return spans


def _joins(previous: str, text: str) -> bool:
    """Whether a token without a leading space continues the previous word."""
    if text[0].isascii() and (text[0].isalnum() or text[0] in "'.,!?:;%)-\""):
        return previous[-1].isascii()
    # Chinese punctuation attaches to the character before it.
    return not text[0].isalnum()
