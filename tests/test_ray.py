"""The batch on Ray: a local Ray instance started by the test runs both stages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa_toolkit.batch import BatchOptions, run_batch
from qa_toolkit.batch.tasks import AsrSettings
from qa_toolkit.store import Store

from .batch_helpers import RUBRIC, copy_samples, make_day

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def ray() -> Iterator[Any]:
    ray = pytest.importorskip("ray", reason="pip install 'qa-toolkit[ray]'")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def test_ray_executor_runs_the_batch_on_a_local_instance(ray: Any, tmp_path: Path) -> None:
    day = tmp_path / "day"
    make_day(day, 4)
    copy_samples(day, "polite_resolved.wav")
    (day / "corrupt.wav").write_bytes(b"RIFF" + b"\x00" * 40)
    options = BatchOptions(asr=AsrSettings(model="tiny.en", language="en"), executor="ray",
                           acoustics=False)  # fmt: skip
    result = run_batch([day], RUBRIC, store=tmp_path / "qa.db", options=options)
    status = {o.call_id: o.status for o in result.outcomes}
    assert status == {"c000": "done", "c001": "done", "c002": "done", "c003": "done",
                      "corrupt": "failed", "polite_resolved": "done"}  # fmt: skip
    # Text is read here; the recording and the scoring went to Ray's worker processes.
    workers = [w for w, _ in result.worker_peak_mb if not w.endswith(f":{os.getpid()}")]
    assert workers
    assert ray.is_initialized()  # the executor joined the test's Ray and left it running
    with Store(tmp_path / "qa.db") as store:
        assert len(store.score_rows()) == 5
        speakers = {u.speaker for u in store.transcript("polite_resolved").utterances}
        assert speakers == {"agent", "customer"}
    again = run_batch([day], RUBRIC, store=tmp_path / "qa.db", options=options)
    assert {o.status for o in again.outcomes if o.call_id != "corrupt"} == {"reused"}
