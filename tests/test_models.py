"""Model resolution: explicit paths, packaged models, the joined base model, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_toolkit.errors import ModelNotFoundError
from qa_toolkit.speech.asr.models import list_models, resolve_model


def test_models_packaged_tiny_en() -> None:
    model = resolve_model("tiny.en")
    assert model.origin == "package" and model.path is not None
    assert (model.path / "model.bin").stat().st_size > 50_000_000


def test_models_base_is_joined_once_into_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QA_TOOLKIT_CACHE", str(tmp_path))
    first = resolve_model("base")
    assert first.path is not None and first.path.is_relative_to(tmp_path)
    assert {p.name for p in first.path.iterdir()} >= {"model.bin", "config.json", "tokenizer.json"}
    stamp = (first.path / "model.bin").stat().st_mtime_ns
    second = resolve_model("base")
    assert second.path == first.path
    assert (second.path / "model.bin").stat().st_mtime_ns == stamp  # reused, not rewritten
    assert not list(tmp_path.glob("models/.*.tmp"))  # no half-written folder left


def test_models_default_prefers_multilingual_base() -> None:
    assert resolve_model(None).name == "base"


def test_models_explicit_path(tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    folder.mkdir()
    (folder / "model.bin").write_bytes(b"\0")
    model = resolve_model(str(folder))
    assert (model.origin, model.format, model.path) == ("path", "ctranslate2", folder.resolve())


def test_models_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="does not exist"):
        resolve_model(str(tmp_path / "nothing"))
    with pytest.raises(ModelNotFoundError, match="does not hold a Whisper model"):
        resolve_model(str(tmp_path))


def test_models_unknown_name_without_download() -> None:
    with pytest.raises(ModelNotFoundError, match="'large-v3' is not installed.*qa models"):
        resolve_model("large-v3", allow_download=False)
    assert resolve_model("large-v3").origin == "download"


def test_models_list_includes_both_packages() -> None:
    names = {m.name for m in list_models() if m.origin == "package"}
    assert names == {"tiny.en", "base"}
