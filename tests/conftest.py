"""Shared test fixtures: paths to the project's samples and the shared data, and a
scripted engine that follows the ASR engine protocol (a real class, not a mock)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from qa_toolkit.speech.asr.base import AsrOptions, AsrResult, AsrSegment, Progress, Samples
from qa_toolkit.types import Word

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
SHARED_DATA = Path(os.environ.get("QA_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared(*parts: str) -> Path:
    """A file under ../shared/data, skipping the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not present: {path} (see ../shared/data/README.md)")
    return path


def truth(call_id: str) -> dict[str, object]:
    """The ground truth the sample generator wrote for a sample call."""
    data: dict[str, object] = json.loads((SAMPLES / f"{call_id}.truth.json").read_text("utf-8"))
    return data


@dataclass
class ScriptedEngine:
    """An ASR engine whose output is scripted per call, keyed by signal loudness order.

    ``script`` is a function from the samples it receives to the segments to
    return, so a test can answer differently for the agent and customer sides.
    """

    script: Callable[[Samples], Sequence[AsrSegment]]
    language: str = "en"
    name: str = "scripted"
    model: str = "scripted-model"
    compute_type: str = "none"
    calls: list[AsrOptions] = field(default_factory=list)

    def transcribe(
        self, samples: Samples, options: AsrOptions, progress: Progress | None = None
    ) -> AsrResult:
        self.calls.append(options)
        segments = tuple(self.script(samples))
        if progress is not None:
            progress("transcribe", len(samples) / 16000, len(samples) / 16000)
        return AsrResult(segments, options.language or self.language)

    def detect_language(self, samples: Samples) -> tuple[str, float]:
        return self.language, 0.99


def segment(start_s: float, end_s: float, text: str) -> AsrSegment:
    """A segment whose words are spread evenly over its span."""
    tokens = text.split()
    step = (end_s - start_s) / max(len(tokens), 1)
    words = tuple(
        Word(f" {tok}", round(start_s + i * step, 3), round(start_s + (i + 1) * step, 3))
        for i, tok in enumerate(tokens)
    )
    return AsrSegment(start_s, end_s, text, words, confidence=0.9)


def tone(seconds: float, *, hz: float = 220.0, level: float = 0.3, rate: int = 16000) -> Samples:
    """A sine tone, loud enough not to count as silence."""
    t = np.arange(int(seconds * rate), dtype=np.float32) / rate
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)


# ---------------------------------------------------------------- stores on both backends


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A throwaway PostgreSQL server for the session (tests/postgres_server.py); its URL."""
    from .postgres_server import programs, server

    pytest.importorskip("psycopg", reason="pip install 'qa-toolkit[postgres]'")
    if programs() is None:
        pytest.skip("PostgreSQL is not installed (scripts/install_system_deps.sh installs it)")
    with server() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the session's server."""
    from .postgres_server import new_database

    return new_database(postgres_server)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a test's store lives: a new SQLite file, then a new PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "qa.db")
    return str(request.getfixturevalue("postgres_url"))
