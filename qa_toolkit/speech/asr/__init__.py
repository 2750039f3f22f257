"""Speech recognition engines behind one protocol, and where their models come from.

``load_engine`` returns a loaded engine, cached per process so a batch worker
loads each model once; model ``auto`` gives a :class:`RoutedEngine` that
decodes English with the English-only model and other languages with the
multilingual one (:mod:`qa_toolkit.speech.asr.routing`). Engines other than
faster-whisper need PyTorch weights;
when the model found locally is a CTranslate2 one (the packaged models are), it
is converted once, losslessly, into the cache folder.
"""

from __future__ import annotations

import functools
from typing import Literal

from qa_toolkit.errors import EngineError, UsageError
from qa_toolkit.speech.asr.base import AsrEngine, AsrOptions, AsrResult, AsrSegment
from qa_toolkit.speech.asr.models import ResolvedModel, cache_dir, list_models, resolve_model
from qa_toolkit.speech.asr.routing import AUTO, RoutedEngine, auto_route

EngineName = Literal["faster-whisper", "openai-whisper", "transformers"]
ENGINES: tuple[str, ...] = ("faster-whisper", "openai-whisper", "transformers")

__all__ = [
    "ENGINES",
    "AsrEngine",
    "AsrOptions",
    "AsrResult",
    "AsrSegment",
    "ResolvedModel",
    "RoutedEngine",
    "list_models",
    "load_engine",
    "resolve_model",
]


@functools.lru_cache(maxsize=4)
def load_engine(
    engine: str = "faster-whisper",
    model: str | None = None,
    *,
    device: str = "cpu",
    compute_type: str | None = None,
) -> AsrEngine:
    """Load (once per process) an ASR engine with a model.

    Args:
        engine: ``faster-whisper`` (default), ``openai-whisper`` or ``transformers``.
        model: a model name (``base``, ``tiny.en``, ``large-v3``) or path; None
            picks the best installed one; ``auto`` routes each language to its
            model (see :mod:`qa_toolkit.speech.asr.routing`).
        device: ``cpu`` or ``cuda``.
        compute_type: faster-whisper precision; defaults to int8 on CPU and
            float16 on GPU.

    Raises:
        UsageError: unknown engine name.
        EngineError: the engine's library is not installed.
        ModelNotFoundError: the model cannot be found.
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown engine '{engine}'", fix=f"choose one of {', '.join(ENGINES)}")
    if model == AUTO:
        precision = compute_type or _precision(device)

        def load(name: str) -> AsrEngine:
            return load_engine(engine, name, device=device, compute_type=compute_type)

        return RoutedEngine(auto_route(), load, name=engine, compute_type=precision)
    resolved = resolve_model(model)
    loaded = _load(engine, resolved, device, compute_type)
    if resolved.origin == "package":
        # Report "base" rather than the cache folder it was joined into.
        loaded.model = resolved.name
    return loaded


def _load(engine: str, resolved: ResolvedModel, device: str, compute_type: str | None) -> AsrEngine:
    if engine == "faster-whisper":
        from qa_toolkit.speech.asr.faster_whisper import FasterWhisperEngine

        precision = compute_type or _precision(device)
        return FasterWhisperEngine(resolved.ref, device=device, compute_type=precision)
    if engine == "openai-whisper":
        _require("whisper", "openai-whisper")
        from qa_toolkit.speech.asr.openai_whisper import OpenAIWhisperEngine

        return OpenAIWhisperEngine(_torch_model(resolved, "openai-whisper"), device=device)
    if engine == "transformers":
        _require("transformers", "transformers")
        from qa_toolkit.speech.asr.transformers_engine import TransformersWhisperEngine

        return TransformersWhisperEngine(_torch_model(resolved, "transformers"), device=device)
    raise UsageError(f"unknown engine '{engine}'", fix=f"choose one of {', '.join(ENGINES)}")


def _precision(device: str) -> str:
    return "int8" if device == "cpu" else "float16"


def _torch_model(resolved: ResolvedModel, fmt: str) -> str:
    """A model reference the PyTorch engines can load, converting CTranslate2 weights."""
    if resolved.path is None or resolved.format == fmt:
        return resolved.ref
    if resolved.format != "ctranslate2":
        raise UsageError(
            f"model {resolved.path} is in {resolved.format} format, which the {fmt} engine "
            "cannot load",
            fix="pass a CTranslate2 folder or a model in the engine's own format",
        )
    from qa_toolkit.speech.asr.convert import converted_model

    return str(converted_model(resolved.path, fmt, cache_dir() / "converted"))


def _require(module: str, extra: str) -> None:
    import importlib.util

    if importlib.util.find_spec(module) is None:
        raise EngineError(
            f"the {extra} engine needs the '{module}' package",
            fix=f"pip install 'qa-toolkit[{extra}]'",
        )
