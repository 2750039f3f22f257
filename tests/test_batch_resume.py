"""Real audio through the batch with tiny.en: a kill mid-batch and a rerun, and a worker pool."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa_toolkit.batch import BatchOptions, run_batch
from qa_toolkit.batch.tasks import AsrSettings
from qa_toolkit.store import Store

from .batch_helpers import RUBRIC, copy_samples
from .conftest import ROOT

pytestmark = pytest.mark.slow

_AUDIO = ("long_hold.wav", "polite_resolved.wav", "rude_unresolved.agent.wav",
          "rude_unresolved.customer.wav", "chat_en.txt", "chat_zh.txt")  # fmt: skip
_CALLS = ["chat_en", "chat_zh", "long_hold", "polite_resolved", "rude_unresolved"]
TINY = AsrSettings(model="tiny.en", language="en")


def _transcripts(store: Path) -> list[tuple[str, str]]:
    try:
        with sqlite3.connect(store, timeout=30) as conn:
            return list(conn.execute("SELECT call_id, run_id FROM transcripts ORDER BY call_id"))
    except sqlite3.OperationalError:  # not created yet
        return []


def test_batch_resume_after_kill_processes_every_call_once(tmp_path: Path) -> None:
    day = copy_samples(tmp_path / "day", *_AUDIO)
    store = tmp_path / "qa.db"
    code = (
        "import sys; from qa_toolkit.batch import run_batch, BatchOptions;"
        "from qa_toolkit.batch.tasks import AsrSettings;"
        "run_batch([sys.argv[1]], sys.argv[2], store=sys.argv[3], options=BatchOptions("
        "asr=AsrSettings(model='tiny.en', language='en'), acoustics=False))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, str(day), str(RUBRIC), str(store)],
        cwd=ROOT, start_new_session=True, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    # Kill it once the two chats and the first (longest) recording are stored.
    deadline = time.monotonic() + 240
    while len(_transcripts(store)) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    assert proc.poll() is None, "the batch ended before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = dict(_transcripts(store))
    assert 3 <= len(before) < len(_CALLS)

    result = run_batch([day], RUBRIC, store=store, options=BatchOptions(asr=TINY, acoustics=False))
    assert not result.failures and [o.call_id for o in result.outcomes] == _CALLS
    rows = _transcripts(store)
    assert [call for call, _ in rows] == _CALLS  # every call, once
    after = dict(rows)
    assert all(after[c] == run for c, run in before.items())  # nothing finished was redone
    with Store(store) as st:
        runs = st.run_rows()
        assert [r.status for r in runs] == ["running", "done"]  # the killed run never finished
        assert len(st.score_rows()) == len(_CALLS)
        counts = st.conn.execute(
            "SELECT call_id, COUNT(*) FROM scores GROUP BY call_id HAVING COUNT(*) > 1"
        ).fetchall()
        assert counts == []


def test_batch_local_pool_transcribes_stereo_and_two_file_calls(tmp_path: Path) -> None:
    day = copy_samples(tmp_path / "day", *_AUDIO[1:4])
    options = BatchOptions(asr=TINY, workers=2)
    result = run_batch([day], RUBRIC, store=tmp_path / "qa.db", options=options)
    assert [o.status for o in result.outcomes] == ["done", "done"]
    assert result.audio_hours * 3600 == pytest.approx(38.1 + 26.3, abs=0.5)
    # Two transcription workers and the scoring workers, each with its own peak memory.
    assert len(result.worker_peak_mb) >= 2 and all(mb > 50 for _, mb in result.worker_peak_mb)
    with Store(tmp_path / "qa.db") as st:
        speakers = {u.speaker for u in st.transcript("rude_unresolved").utterances}
        assert speakers == {"agent", "customer"}
        features = st.call_score(st.score_rows()[0].score_key)[1]
        assert features["values"]["has_audio"] is True  # pitch and energy from the recording
