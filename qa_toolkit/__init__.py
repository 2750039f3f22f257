"""qa-toolkit: quality inspection and speech analytics for customer-service calls.

Importing the package is light: records and errors load at once, everything
that touches a model (transcription, diarization, scoring models) loads on first
use, so ``import qa_toolkit`` never imports torch, CTranslate2 or transformers.

Example:
    >>> import qa_toolkit as qa
    >>> t = qa.transcribe("samples/polite_resolved.wav")  # doctest: +SKIP
    >>> t.by_speaker("agent")[0].text  # doctest: +SKIP
    'Thank you for calling Acme Telecom…'
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from qa_toolkit.errors import (
    AudioError,
    EngineError,
    ModelNotFoundError,
    QAToolkitError,
    TranscriptFormatError,
    UsageError,
)
from qa_toolkit.types import AudioSource, EngineInfo, Transcript, Utterance, Word

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())

# Public name -> module that defines it, imported on first access.
_LAZY = {
    "transcribe": "qa_toolkit.speech.transcribe",
    "load_transcript": "qa_toolkit.io.transcripts",
    "save_transcript": "qa_toolkit.io.transcripts",
    "load_audio": "qa_toolkit.io.audio",
    "load_engine": "qa_toolkit.speech.asr",
    "list_models": "qa_toolkit.speech.asr.models",
    "resolve_model": "qa_toolkit.speech.asr.models",
    "find_calls": "qa_toolkit.io.discover",
    "load_rubric": "qa_toolkit.rubric",
    "score_call": "qa_toolkit.scoring",
    "CallScore": "qa_toolkit.scoring.types",
    "ItemResult": "qa_toolkit.scoring.types",
    "Evidence": "qa_toolkit.scoring.types",
    "Flag": "qa_toolkit.scoring.types",
    "RubricError": "qa_toolkit.errors",
    "extract_features": "qa_toolkit.features",
    "CallFeatures": "qa_toolkit.features",
    "redact": "qa_toolkit.privacy",
    "find_pii": "qa_toolkit.privacy",
    "bleep_audio": "qa_toolkit.privacy",
    "Store": "qa_toolkit.store",
    "Filters": "qa_toolkit.store",
    "run_batch": "qa_toolkit.batch",
    "rescore": "qa_toolkit.batch",
    "BatchOptions": "qa_toolkit.batch",
    "AsrSettings": "qa_toolkit.batch.tasks",
    "write_report": "qa_toolkit.report",
    "markdown_report": "qa_toolkit.report",
}

if TYPE_CHECKING:
    from qa_toolkit.batch import BatchOptions, rescore, run_batch
    from qa_toolkit.batch.tasks import AsrSettings
    from qa_toolkit.errors import RubricError
    from qa_toolkit.features import CallFeatures, extract_features
    from qa_toolkit.io.audio import load_audio
    from qa_toolkit.io.discover import find_calls
    from qa_toolkit.io.transcripts import load_transcript, save_transcript
    from qa_toolkit.privacy import bleep_audio, find_pii, redact
    from qa_toolkit.report import markdown_report, write_report
    from qa_toolkit.rubric import load_rubric
    from qa_toolkit.scoring import score_call
    from qa_toolkit.scoring.types import CallScore, Evidence, Flag, ItemResult
    from qa_toolkit.speech.asr import load_engine
    from qa_toolkit.speech.asr.models import list_models, resolve_model
    from qa_toolkit.speech.transcribe import transcribe
    from qa_toolkit.store import Filters, Store

__all__ = [
    "AsrSettings",
    "AudioError",
    "CallScore",
    "Evidence",
    "Filters",
    "Flag",
    "ItemResult",
    "RubricError",
    "Store",
    "AudioSource",
    "BatchOptions",
    "CallFeatures",
    "EngineError",
    "EngineInfo",
    "ModelNotFoundError",
    "QAToolkitError",
    "Transcript",
    "TranscriptFormatError",
    "UsageError",
    "Utterance",
    "Word",
    "__version__",
    "bleep_audio",
    "extract_features",
    "find_pii",
    "find_calls",
    "list_models",
    "load_audio",
    "load_engine",
    "load_rubric",
    "load_transcript",
    "markdown_report",
    "redact",
    "rescore",
    "resolve_model",
    "run_batch",
    "save_transcript",
    "score_call",
    "transcribe",
    "write_report",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'qa_toolkit' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
