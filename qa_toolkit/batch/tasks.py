"""What a batch worker does with one call, and the keys that say whether it is done already.

Two stages, one after the other on the same workers; a worker drops its speech
model (and hands the memory back) before it scores its first call:

- ``transcribe_task``: audio → transcript (or a text transcript read), redacted
  before it leaves the worker;
- ``analyse_task``: transcript (+ audio for pitch and energy) → features → score.

Each stage's output is keyed by a hash of its input and of everything that
changes that output (engine, model, options, rubric id, version and text,
toolkit version). A task never raises: it returns a :class:`TaskResult` with
the reason it failed, so one bad call cannot stop a batch.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import hashlib
import json
import logging
import os
import socket
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from qa_toolkit.batch.budget import time_budget
from qa_toolkit.errors import QAToolkitError
from qa_toolkit.io.discover import CallInput
from qa_toolkit.scoring.types import CallScore
from qa_toolkit.types import Transcript

if TYPE_CHECKING:
    from qa_toolkit.io.audio import Audio
    from qa_toolkit.rubric import Rubric
    from qa_toolkit.speech.asr.base import AsrEngine

logger = logging.getLogger(__name__)

_CHUNK = 1 << 20
NO_REDACTION = "none"


@dataclass(frozen=True, slots=True)
class AsrSettings:
    """How calls are transcribed; every field changes the transcript, so all are in its key.

    ``model`` None or ``auto`` decodes English with the English-only model and
    other languages with the multilingual one (as installed); a name or path
    decodes every call with that model.
    """

    engine: str = "faster-whisper"
    model: str | None = None
    language: str | None = None
    vad: bool = True
    hotwords: tuple[str, ...] = ()
    agent_channel: int = 0
    device: str = "cpu"

    def identity(self, model_name: str) -> dict[str, Any]:
        """The producer identity of a transcript, with the model resolved to its name.

        With the per-language choice the name says which model decodes which
        language (``auto(en=tiny.en,other=base)``), or is the one model's name
        when only one is installed; so changing the choice re-transcribes and
        keeping it does not.
        """
        from qa_toolkit import __version__
        from qa_toolkit.speech.asr.routing import auto_route, is_auto

        return {
            "stage": "transcribe",
            "engine": self.engine,
            "model": auto_route().describe() if is_auto(self.model) else model_name,
            "language": self.language or "auto",
            "vad": self.vad,
            "hotwords": list(self.hotwords),
            "agent_channel": self.agent_channel,
            "compute": "int8" if self.device == "cpu" else "float16",
            "toolkit": __version__,
        }


@dataclass(frozen=True, slots=True)
class RubricSource:
    """A rubric as text, so a worker on another machine can parse it without the file."""

    text: str
    origin: str
    base_dir: str
    digest: str

    @classmethod
    def from_path(cls, path: str | Path) -> RubricSource:
        """Read a rubric file (validate it with :meth:`load` before fanning out)."""
        from qa_toolkit.errors import RubricError, RubricProblem

        file = Path(path)
        try:
            text = file.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problem = RubricProblem(str(file), 1, 1, "", f"cannot read the rubric: {error}")
            raise RubricError([problem]) from None
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        return cls(text, str(file), str(file.parent.resolve()), digest)

    def load(self) -> Rubric:
        """The parsed rubric, cached per process by content."""
        return _parsed_rubric(self.text, self.origin, self.base_dir, self.digest)


@dataclass(frozen=True, slots=True)
class TranscribeTask:
    """One call to transcribe (or read, for a text transcript)."""

    call: CallInput
    asr: AsrSettings
    redact: bool
    threads: int = 0
    budget_s: float | None = None


@dataclass(frozen=True, slots=True)
class AnalyseTask:
    """One transcript to turn into features and a score."""

    call_id: str
    transcript: Transcript
    files: tuple[str, ...]
    rubric: RubricSource
    acoustics: bool = True
    budget_s: float | None = None


@dataclass(frozen=True, slots=True)
class TaskResult:
    """What a task produced, or why it failed, and what it cost the worker."""

    call_id: str
    transcript: Transcript | None = None
    redaction: str = NO_REDACTION
    score: CallScore | None = None
    features: Mapping[str, Any] = field(default_factory=dict)
    features_producer: str = ""
    error_type: str = ""
    reason: str = ""
    worker: str = ""
    peak_rss_mb: float = 0.0
    seconds: float = 0.0
    stored: bool = False  # the worker wrote it to the store (see qa_toolkit.batch.remote)

    @property
    def ok(self) -> bool:
        return not self.reason


# ---------------------------------------------------------------- keys


def stage_key(*parts: Any) -> str:
    """A stable key from JSON-able parts (sha256, 40 hex digits)."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def input_hash(call: CallInput) -> str:
    """The content hash of a call's files, with the role each file plays.

    Raises:
        OSError: a file cannot be read.
    """
    digest = hashlib.sha256()
    roles = (("file", call.path), ("agent", call.agent), ("customer", call.customer))
    for role, path in roles:
        if path is None:
            continue
        digest.update(role.encode())
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


# The features stage's name in producer identities, and so in every stored features key: an
# identity, not an import path. It must not change when modules move, or every stored call
# would be analysed again.
FEATURES_PRODUCER = "qa_toolkit.features"


def text_identity() -> dict[str, Any]:
    """The producer identity of a transcript read from text."""
    from qa_toolkit import __version__

    return {"stage": "read-text", "toolkit": __version__}


def features_identity(acoustics: bool) -> dict[str, Any]:
    """The producer identity of the features stage."""
    from qa_toolkit import __version__

    return {"stage": "features", "module": FEATURES_PRODUCER, "acoustics": acoustics,
            "toolkit": __version__}  # fmt: skip


def score_identity(rubric_id: str, rubric_version: str, rubric_digest: str) -> dict[str, Any]:
    """The producer identity of a score."""
    from qa_toolkit import __version__

    return {"stage": "score", "rubric": rubric_id, "version": str(rubric_version),
            "rubric_sha256": rubric_digest, "toolkit": __version__}  # fmt: skip


def redaction_identity(wanted: bool) -> str:
    """``privacy.redact/r<rules>`` when redaction is wanted and installed, else ``none``.

    The rules' number (:data:`qa_toolkit.privacy.RULES`) changes when redaction finds more
    kinds of personal data; a transcript stored under older rules is then redacted again.
    """
    if not wanted or redactor() is None:
        return NO_REDACTION
    from qa_toolkit.privacy import RULES

    return f"privacy.redact/r{RULES}"


def redactor() -> Callable[[Transcript], Transcript] | None:
    """The toolkit's PII redaction, or None where the privacy module is not there."""
    import importlib

    try:
        # Imported by name: the privacy module may not be part of every install.
        module = importlib.import_module("qa_toolkit.privacy")
    except ImportError:
        return None
    redact = getattr(module, "redact", None)
    return cast("Callable[[Transcript], Transcript] | None", redact)


# ---------------------------------------------------------------- tasks


def transcribe_task(task: TranscribeTask) -> TaskResult:
    """Transcribe (or read) one call and redact it; never raises."""
    started = time.perf_counter()
    try:
        with time_budget(task.budget_s, f"transcribing call {task.call.call_id}"):
            transcript = _transcribe(task)
            redaction = redaction_identity(task.redact)
            if redaction != NO_REDACTION:
                redact = redactor()
                assert redact is not None
                transcript = redact(transcript)
        return _finish(
            TaskResult(task.call.call_id, transcript=transcript, redaction=redaction), started
        )
    except Exception as error:  # one bad call must not stop the batch
        return _finish(_failure(task.call.call_id, error), started)


def analyse_task(task: AnalyseTask) -> TaskResult:
    """Compute one call's features and score; never raises."""
    from qa_toolkit.scoring import score_call

    started = time.perf_counter()
    # A worker reused from the transcription stage (Ray, or this process) lets its model go.
    release_engines()
    try:
        with time_budget(task.budget_s, f"scoring call {task.call_id}"):
            rubric = task.rubric.load()
            audio = _audio_for(task) if task.acoustics else None
            body, numeric = call_features(task.transcript, audio)
            score = score_call(task.transcript, rubric, numeric)
        result = TaskResult(
            task.call_id, score=score, features=body, features_producer=FEATURES_PRODUCER
        )
        return _finish(result, started)
    except Exception as error:  # one bad call must not stop the batch
        return _finish(_failure(task.call_id, error), started)


def call_features(
    transcript: Transcript, audio: Audio | None = None
) -> tuple[dict[str, Any], dict[str, float]]:
    """The call's features as stored (JSON-ready) and as the rubric reads them (numbers)."""
    try:
        from qa_toolkit.features import extract_features
    except ImportError:
        from qa_toolkit.scoring.features import compute_features

        simple = compute_features(transcript)
        return {"values": dict(simple), "details": {}}, simple
    found = extract_features(transcript, audio)
    return {"values": found.to_dict(), "details": found.details()}, found.numeric()


def _transcribe(task: TranscribeTask) -> Transcript:
    from qa_toolkit.io.transcripts import load_transcript
    from qa_toolkit.speech.transcribe import transcribe

    call = task.call
    if call.is_transcript:
        assert call.path is not None
        return load_transcript(call.path, call_id=call.call_id)
    settings = task.asr
    return transcribe(
        call.path,
        agent=call.agent,
        customer=call.customer,
        language=settings.language,
        agent_channel=settings.agent_channel,
        vad=settings.vad,
        hotwords=settings.hotwords,
        call_id=call.call_id,
        asr=engine_for(settings, task.threads),
    )


@functools.lru_cache(maxsize=2)
def engine_for(settings: AsrSettings, threads: int = 0) -> AsrEngine:
    """The worker's engine, loaded once per process.

    With ``threads`` set, faster-whisper gets that many decoding threads so
    that N workers on N cores do not each start one thread per core. With the
    per-language choice, each model loads when a call first needs it.
    """
    from qa_toolkit.speech.asr import load_engine
    from qa_toolkit.speech.asr.routing import AUTO, RoutedEngine, auto_route, is_auto

    if settings.engine != "faster-whisper" or threads <= 0:
        model = AUTO if is_auto(settings.model) else settings.model
        return load_engine(settings.engine, model, device=settings.device)
    if is_auto(settings.model):
        compute = "int8" if settings.device == "cpu" else "float16"
        return RoutedEngine(
            auto_route(),
            lambda name: _threaded_engine(settings, name, threads),
            compute_type=compute,
        )
    return _threaded_engine(settings, settings.model, threads)


def _threaded_engine(settings: AsrSettings, model: str | None, threads: int) -> AsrEngine:
    from qa_toolkit.speech.asr.faster_whisper import FasterWhisperEngine
    from qa_toolkit.speech.asr.models import resolve_model

    resolved = resolve_model(model)
    compute = "int8" if settings.device == "cpu" else "float16"
    loaded = FasterWhisperEngine(
        resolved.ref, device=settings.device, compute_type=compute, cpu_threads=threads
    )
    if resolved.origin == "package":
        loaded.model = resolved.name  # as load_engine reports it
    return loaded


def release_engines() -> None:
    """Drop the loaded speech models of this process (before the scoring stage)."""
    from qa_toolkit.speech.asr import load_engine

    if engine_for.cache_info().currsize == 0 and load_engine.cache_info().currsize == 0:
        return
    engine_for.cache_clear()
    load_engine.cache_clear()
    gc.collect()
    if sys.platform.startswith("linux"):
        # glibc keeps freed memory for reuse; trimming hands the model's pages back to the
        # system (measured: 250 -> 140 MiB after Whisper base), as a new process would.
        try:
            ctypes.CDLL("libc.so.6").malloc_trim(0)
        except (OSError, AttributeError):  # musl or another libc: nothing to trim
            pass


def _audio_for(task: AnalyseTask) -> Audio | None:
    """The call's audio for pitch and energy: one file, or the two sides as two channels."""
    import importlib.util

    from qa_toolkit.io.audio import AUDIO_SUFFIXES, load_audio

    files = [f for f in task.files if Path(f).suffix.lower() in AUDIO_SUFFIXES]
    if not files or importlib.util.find_spec("librosa") is None:
        return None
    if len(files) == 1:
        return load_audio(files[0])
    import numpy as np

    sides = [load_audio(f) for f in files[:2]]
    length = max(a.samples.shape[1] for a in sides)
    channels = [np.pad(a.mono(), (0, length - a.samples.shape[1])) for a in sides]
    return replace(sides[0], samples=np.stack(channels).astype(np.float32))


@functools.lru_cache(maxsize=4)
def _parsed_rubric(text: str, origin: str, base_dir: str, digest: str) -> Rubric:
    from qa_toolkit.rubric.loader import parse_rubric

    return parse_rubric(text, origin, base_dir)


def _failure(call_id: str, error: Exception) -> TaskResult:
    if isinstance(error, QAToolkitError):
        reason = str(error)
    else:
        logger.debug("call %s failed", call_id, exc_info=error)
        reason = f"unexpected {type(error).__name__}: {error}"
    return TaskResult(call_id, error_type=type(error).__name__, reason=reason)


def _finish(result: TaskResult, started: float) -> TaskResult:
    return replace(
        result,
        worker=f"{socket.gethostname()}:{os.getpid()}",
        peak_rss_mb=peak_rss_mb(),
        seconds=time.perf_counter() - started,
    )


def peak_rss_mb() -> float:
    """This process's peak resident memory in MiB (0 where the OS does not say)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0.0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
