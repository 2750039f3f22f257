"""Clips, text normalisation and timeline checks shared by the ASR engine tests."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from qa_toolkit.speech.asr.base import SAMPLE_RATE_HZ, AsrOptions, AsrResult

from .conftest import shared

# Under ../shared/data: a 30 s telephone conversation and an AISHELL utterance.
EN_CLIP = ("asr", "en", "sample.wav")
ZH_CLIP = ("asr", "zh", "aishell-BAC009S0724W0121.wav")
ZH_REFERENCE = "广州市房地产中介协会分析"
# Greedy decoding keeps these real-model tests quick on a small CPU.
EN_OPTIONS = AsrOptions(language="en", beam_size=1)


def load_clip(parts: tuple[str, ...]) -> np.ndarray:
    """16 kHz mono float32 samples of a shared sound file (the test skips without it)."""
    import soundfile
    import soxr

    path = shared(*parts)
    audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    return np.asarray(soxr.resample(audio.mean(axis=1), rate, SAMPLE_RATE_HZ), dtype=np.float32)


def words_of(text: str) -> str:
    """Lower-case words without punctuation, for a word error rate."""
    return " ".join(re.sub(r"[^\w' ]+", " ", text.lower()).split())


def hanzi_of(text: str) -> str:
    """Simplified Chinese characters only, for a character error rate."""
    import zhconv

    return "".join(re.findall(r"[\u4e00-\u9fff]", zhconv.convert(text, "zh-cn")))


def joined(result: AsrResult) -> str:
    return " ".join(s.text for s in result.segments)


def base_model() -> Path:
    """The packaged multilingual base model, joined once by the toolkit itself."""
    from qa_toolkit.speech.asr.models import resolve_model

    model = resolve_model("base", allow_download=False)
    assert model.path is not None
    return model.path


def check_timeline(result: AsrResult, duration_s: float, *, scored: bool = False) -> None:
    """Segments and words are ordered, inside the clip, and carry probabilities.

    ``scored`` also requires the probabilities to come from the decoder's scores
    (all above 0, some below 0.99), not a placeholder.
    """
    assert result.segments
    previous_end = 0.0
    for segment in result.segments:
        assert 0.0 <= segment.start_s <= segment.end_s <= duration_s + 0.01
        assert segment.start_s >= previous_end - 0.5
        assert 0.0 < segment.confidence <= 1.0
        assert segment.words
        for word in segment.words:
            assert segment.start_s - 0.5 <= word.start_s <= word.end_s <= segment.end_s + 0.5
            assert (0.0 < word.prob if scored else 0.0 <= word.prob) and word.prob <= 1.0
        previous_end = segment.end_s
    if scored:
        assert any(word.prob < 0.99 for segment in result.segments for word in segment.words)
        assert any(segment.confidence < 0.99 for segment in result.segments)
