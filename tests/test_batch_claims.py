"""Claims: batches sharing one store (SQLite or PostgreSQL) never do a call twice, lose none,
respect a live batch's claim and take over a dead one's."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

from qa_toolkit.batch import BatchOptions, BatchProgress, run_batch
from qa_toolkit.batch.types import CLAIMED_ELSEWHERE, BatchResult, summary_lines
from qa_toolkit.store import Store
from qa_toolkit.store.claims import (
    claim_call,
    claim_calls,
    claims,
    release_claim,
    release_run,
    renew_claims,
)

from .batch_helpers import RUBRIC, make_day
from .conftest import ROOT

OPTIONS = BatchOptions(acoustics=False)
T0 = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)


def _minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: the pid names no process now
    return proc.pid


def _statuses(result: BatchResult) -> dict[str, str]:
    return {o.call_id: o.status for o in result.outcomes}


def _done_once(store_location: str, ids: list[str], runs: int) -> None:
    """Every call transcribed and scored by exactly one run, and no claim left behind."""
    with Store(store_location) as store:
        rows = store.conn.execute("SELECT run_id, call_id, status FROM run_calls").fetchall()
        done = Counter(str(r[1]) for r in rows if r[2] == "done")
        assert done == Counter(ids)  # one "done" per call, over all runs
        assert {str(r[2]) for r in rows} <= {"done", "reused", CLAIMED_ELSEWHERE}
        assert len({str(r[0]) for r in rows}) == runs
        per_call = store.conn.execute(
            "SELECT call_id, COUNT(*) FROM scores GROUP BY call_id"
        ).fetchall()
        assert sorted((str(r[0]), int(r[1])) for r in per_call) == [(i, 1) for i in ids]
        assert len(store.conn.execute("SELECT call_id FROM transcripts").fetchall()) == len(ids)
        assert claims(store) == []


def test_claims_live_claim_held_expired_one_taken_over(store_location: str) -> None:
    with Store(store_location) as store:
        first = claim_call(store, "c1", "h1", "run-a", lease_s=600, now=T0)
        assert (first.run_id, first.expires_at) == ("run-a", "2026-11-21T09:10:00.000000+00:00")
        # Another run, while the lease lasts: run-a keeps it.
        assert claim_call(store, "c1", "h1", "run-b", now=_minutes(9)).run_id == "run-a"
        assert not release_claim(store, "run-b", "c1")  # not run-b's to release
        assert renew_claims(store, "run-a", lease_s=600, now=_minutes(9)) == 1
        assert claim_call(store, "c1", "h1", "run-b", now=_minutes(11)).run_id == "run-a"
        # run-a stopped renewing (it died): once the lease is over, run-b takes the call.
        taken = claim_call(store, "c1", "h1", "run-b", now=_minutes(20), worker="host-b:7")
        assert (taken.run_id, taken.worker) == ("run-b", "host-b:7")
        assert not release_claim(store, "run-a", "c1")
        assert release_claim(store, "run-b", "c1")
        assert claims(store) == []


def test_claims_of_a_process_gone_from_this_host_are_taken_at_once(store_location: str) -> None:
    gone = f"{socket.gethostname()}:{_dead_pid()}"
    elsewhere = "another-host:1"
    with Store(store_location) as store:
        claim_calls(store, [("c1", "h1")], "run-dead", worker=gone, now=T0)
        claim_calls(store, [("c2", "h2")], "run-far", worker=elsewhere, now=T0)
        held = claim_calls(store, [("c1", "h1"), ("c2", "h2"), ("c3", "h3")], "run-new",
                           now=_minutes(1))  # fmt: skip
        assert {c: h.run_id for c, h in held.items()} == {
            "c1": "run-new",  # its process is gone: no need to wait for the lease
            "c2": "run-far",  # another host's process: its lease decides
            "c3": "run-new",
        }
        assert release_run(store, "run-new") == 2
        assert [c.call_id for c in claims(store)] == ["c2"]


def test_batch_skips_a_call_a_live_batch_holds_and_takes_it_once_expired(
    store_location: str, tmp_path: Path
) -> None:
    ids = make_day(tmp_path / "day", 6)
    with Store(store_location) as store:  # another batch, on another host, is working on c001
        claim_call(store, "c001", "its-hash", "run-other", worker="host-b:42")
    first = run_batch([tmp_path / "day"], RUBRIC, store=store_location, options=OPTIONS)
    assert _statuses(first) == {i: CLAIMED_ELSEWHERE if i == "c001" else "done" for i in ids}
    skipped = next(o for o in first.outcomes if o.call_id == "c001")
    assert skipped.reason.startswith("claimed elsewhere: run run-other (host-b:42) until ")
    assert not first.failures
    assert "1 claimed elsewhere (another batch has them)" in next(iter(summary_lines(first)))
    with Store(store_location) as store:
        assert [(c.call_id, c.run_id) for c in claims(store)] == [("c001", "run-other")]
        assert len(store.score_rows()) == 5
        # host-b crashed: its lease runs out (written here as a lease that ended).
        claim_call(store, "c001", "its-hash", "run-other", worker="host-b:42", lease_s=-1)
    second = run_batch([tmp_path / "day"], RUBRIC, store=store_location, options=OPTIONS)
    assert _statuses(second) == {i: "done" if i == "c001" else "reused" for i in ids}
    _done_once(store_location, ids, runs=2)


def test_batch_started_while_another_runs_shares_the_day(
    store_location: str, tmp_path: Path
) -> None:
    ids = make_day(tmp_path / "day", 20)
    results: list[BatchResult] = []

    def start_second(event: BatchProgress) -> None:
        # Run B whole while run A holds the claims of the calls it is working on.
        if event.stage == "transcribe" and event.done == 1 and not results:
            results.append(run_batch([tmp_path / "day"], RUBRIC, store=store_location,
                                     options=OPTIONS))  # fmt: skip

    first = run_batch([tmp_path / "day"], RUBRIC, store=store_location, options=OPTIONS,
                      progress=start_second)  # fmt: skip
    second = results[0]
    a, b = Counter(_statuses(first).values()), Counter(_statuses(second).values())
    assert b[CLAIMED_ELSEWHERE] >= 1 and b["done"] >= 1  # B left A's calls, did others
    assert a["done"] + b["done"] == len(ids)
    assert a["reused"] == b["done"]  # A found B's calls finished when it reached them
    assert not first.failures and not second.failures
    _done_once(store_location, ids, runs=2)


_BATCH = (
    "import sys; from qa_toolkit.batch import run_batch, BatchOptions;"
    "r = run_batch([sys.argv[1]], sys.argv[2], store=sys.argv[3],"
    " options=BatchOptions(acoustics=False)); sys.exit(1 if r.failures else 0)"
)


def test_batch_two_processes_at_once_do_every_call_once(
    store_location: str, tmp_path: Path
) -> None:
    ids = make_day(tmp_path / "day", 40)
    Store(store_location).close()  # the schema first, so both start on the calls at once
    procs = [
        subprocess.Popen([sys.executable, "-c", _BATCH, str(tmp_path / "day"), str(RUBRIC),
                          store_location], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # fmt: skip
    errors = [p.communicate(timeout=240)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errors
    _done_once(store_location, ids, runs=2)
