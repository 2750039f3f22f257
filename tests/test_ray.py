"""The batch on Ray: a local Ray instance started by the test runs both stages; then a Ray
cluster (a head and a separate worker node, started with ``ray start``) whose workers write
the results to the store themselves, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa_toolkit.batch import BatchOptions, run_batch
from qa_toolkit.batch.tasks import AsrSettings
from qa_toolkit.store import Store

from .batch_helpers import RUBRIC, copy_samples, make_day
from .conftest import ROOT
from .postgres_server import free_port

pytestmark = pytest.mark.slow


@pytest.fixture
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


def _ray_cli(*args: str) -> None:
    ray_bin = Path(sys.executable).with_name("ray")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    subprocess.run([str(ray_bin), *args], check=True, timeout=180, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip


@pytest.fixture(scope="module")
def ray_cluster(request: pytest.FixtureRequest) -> str:
    """A Ray cluster on this machine: a head and a separate worker node, one CPU each."""
    ray = pytest.importorskip("ray", reason="pip install 'qa-toolkit[ray]'")
    address = f"127.0.0.1:{free_port()}"
    request.addfinalizer(lambda: _ray_cli("stop"))
    _ray_cli("start", "--head", "--port", address.rsplit(":", 1)[1], "--num-cpus", "1",
             "--include-dashboard", "false", "--disable-usage-stats")  # fmt: skip
    _ray_cli("start", "--address", address, "--num-cpus", "1")
    ray.init(address=address, log_to_driver=False)
    try:
        assert sum(1 for node in ray.nodes() if node["Alive"]) == 2
    finally:
        ray.shutdown()  # the batch connects on its own, with --address
    return address


def test_ray_cluster_workers_store_the_results(
    ray_cluster: str, store_location: str, tmp_path: Path
) -> None:
    day = tmp_path / "day"  # on a shared path: every node reads the same files
    make_day(day, 3)
    copy_samples(day, "polite_resolved.wav")
    (day / "corrupt.wav").write_bytes(b"RIFF" + b"\x00" * 40)
    options = BatchOptions(asr=AsrSettings(model="tiny.en", language="en"), executor="ray",
                           address=ray_cluster, acoustics=False)  # fmt: skip
    seen: list[str] = []
    result = run_batch([day], RUBRIC, store=store_location, options=options,
                       progress=lambda e: seen.append(f"{e.stage}:{e.status}"))  # fmt: skip
    status = {o.call_id: o.status for o in result.outcomes}
    assert status == {"c000": "done", "c001": "done", "c002": "done", "corrupt": "failed",
                      "polite_resolved": "done"}  # fmt: skip
    assert seen.count("transcribe:done") == 4 and seen.count("score:done") == 4  # in the driver
    assert [w for w, _ in result.worker_peak_mb if not w.endswith(f":{os.getpid()}")]
    with Store(store_location) as store:
        assert len(store.score_rows()) == 4
        speakers = {u.speaker for u in store.transcript("polite_resolved").utterances}
        assert speakers == {"agent", "customer"}
        assert store.conn.execute("SELECT COUNT(*) FROM claims").fetchone()[0] == 0
    again = run_batch([day], RUBRIC, store=store_location, options=options)
    assert {o.status for o in again.outcomes if o.call_id != "corrupt"} == {"reused"}
