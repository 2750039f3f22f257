"""A batch's worker processes exit when the batch's own process is killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = """
import os, sys, time
from qa_toolkit.batch.executors import LocalExecutor

def pid_then_wait(_):
    time.sleep(60)
    return os.getpid()

def worker_pid(_):
    return os.getpid()

if __name__ == "__main__":
    pool = LocalExecutor(2)
    pids = sorted({pid for _, pid in pool.map(worker_pid, list(range(8)))})
    print(" ".join(map(str, pids)), flush=True)
    for _ in pool.map(pid_then_wait, [0, 1]):
        pass
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead for our purpose (it holds no memory).
    status = Path(f"/proc/{pid}/status")
    return not (status.is_file() and "\\nState:\\tZ" in status.read_text())


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_pool_workers_exit_when_the_batch_is_killed(tmp_path: Path) -> None:
    script = tmp_path / "batch.py"
    script.write_text(SCRIPT, "utf-8")
    main = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert main.stdout is not None
    workers = [int(p) for p in main.stdout.readline().split()]
    assert workers and all(_alive(p) for p in workers)
    main.send_signal(signal.SIGKILL)
    main.wait(timeout=10)
    deadline = time.monotonic() + 15
    while any(_alive(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [p for p in workers if _alive(p)]
    for pid in left:  # do not leave them behind if the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == []
