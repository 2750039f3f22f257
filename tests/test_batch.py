"""The daily batch on text transcripts: stored, resumed, isolated failures, rescored, CLI."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from qa_toolkit.batch import BatchOptions, BatchProgress, rescore, run_batch, summary_lines
from qa_toolkit.batch.tasks import AsrSettings
from qa_toolkit.cli.batch import BatchDisplay, batch_command, rescore_command
from qa_toolkit.rubric import load_rubric
from qa_toolkit.store import Filters, Store

from .batch_helpers import RUBRIC, make_day, rubric_v
from .conftest import ROOT, SAMPLES

TINY = BatchOptions(asr=AsrSettings(model="tiny.en", language="en"), acoustics=False)


def _count(store_path: str | Path, table: str) -> int:
    with Store(store_path) as store:
        return int(store.conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def test_batch_stores_every_call_with_metadata_and_summary(tmp_path: Path) -> None:
    ids = make_day(tmp_path / "day", 6)
    events = []
    result = run_batch([tmp_path / "day"], RUBRIC, store=tmp_path / "qa.db", options=TINY,
                       progress=events.append)  # fmt: skip
    assert [o.call_id for o in result.outcomes] == ids
    assert {o.status for o in result.outcomes} == {"done"} and not result.failures
    assert [(e.stage, e.done) for e in events][-1] == ("score", 6)
    # Every rude call (0 and 3) is flagged; the summary says so by team.
    assert result.flagged == 2
    teams = {team for team, _, _ in result.mean_score_by_team()}
    assert teams == {"billing", "sales"}
    assert "6 calls: 6 processed" in next(iter(summary_lines(result)))
    with Store(tmp_path / "qa.db") as store:
        frame = store.scores(date="2026-11-21", team="billing")
        assert sorted(frame["call_id"]) == ["c000", "c002", "c004"]
        assert set(frame["agent_id"]) == {"agent0", "agent2"}


def test_batch_rerun_redoes_nothing(tmp_path: Path, store_location: str) -> None:
    make_day(tmp_path / "day", 4)
    store = store_location
    run_batch([tmp_path / "day"], RUBRIC, store=store, options=TINY)
    again = run_batch([tmp_path / "day"], RUBRIC, store=store, options=TINY)
    assert {o.status for o in again.outcomes} == {"reused"}
    assert _count(store, "transcripts") == 4 and _count(store, "scores") == 4
    # A new call added to the folder is the only one processed.
    (tmp_path / "day" / "late.txt").write_text("agent: Hello\ncustomer: Bye\n", "utf-8")
    third = run_batch([tmp_path / "day"], RUBRIC, store=store, options=TINY)
    done = [o.call_id for o in third.outcomes if o.status == "done"]
    assert done == ["late"] and _count(store, "scores") == 5


def test_batch_bad_files_among_good_are_recorded_and_the_rest_scored(tmp_path: Path) -> None:
    day = tmp_path / "day"
    make_day(day, 3)
    (day / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk" * 10)
    (day / "empty.wav").write_bytes(b"")
    (day / "blank.txt").write_bytes(b"")  # empty too: not a copy of empty.wav
    (day / "broken.json").write_text('{"utterances": [', "utf-8")
    (day / "c000_copy.txt").write_bytes((day / "c000.txt").read_bytes())
    result = run_batch([day], RUBRIC, store=tmp_path / "qa.db", options=TINY)
    status = {o.call_id: o.status for o in result.outcomes}
    assert status == {
        "blank": "failed",
        "broken": "failed",
        "c000": "done",
        "c000_copy": "duplicate",
        "c001": "done",
        "c002": "done",
        "corrupt": "failed",
        "empty": "failed",
    }
    reasons = {o.call_id: o.reason for o in result.failures}
    assert "invalid JSON" in reasons["broken"] and "empty" in reasons["empty"]
    assert "corrupt.wav" in reasons["corrupt"]
    with Store(tmp_path / "qa.db") as store:
        failed = {f.call_id: f.stage for f in store.failure_rows(result.run_id)}
        assert failed == dict.fromkeys(["blank", "broken", "corrupt", "empty"], "transcribe")
        assert len(store.score_rows()) == 3


def test_batch_rescore_applies_a_new_rubric_without_transcribing(tmp_path: Path) -> None:
    make_day(tmp_path / "day", 4)
    store = tmp_path / "qa.db"
    first = run_batch([tmp_path / "day"], RUBRIC, store=store, options=TINY)
    base = load_rubric(RUBRIC).version
    strict = rubric_v(tmp_path, int(base) + 1, flag_below=100)
    result = rescore(strict, store=store)
    assert {o.status for o in result.outcomes} == {"done"}
    assert [o.call_id for o in result.outcomes] == [o.call_id for o in first.outcomes]
    assert _count(store, "transcripts") == 4 and _count(store, "scores") == 8
    with Store(store) as st:
        assert set(st.scores()["rubric_version"]) == {str(int(base) + 1)}
        versions = set(st.scores(rubric_id="default", latest=False)["rubric_version"])
        assert versions == {base, str(int(base) + 1)}
        team = rescore(strict, store=st, filters=Filters(team="sales"))
    assert [o.status for o in team.outcomes] == ["reused", "reused"]


def test_batch_cli_exit_code_summary_and_json(tmp_path: Path) -> None:
    day = tmp_path / "day"
    make_day(day, 3)
    runner = CliRunner()
    args = [str(day), "--rubric", str(RUBRIC), "--store", str(tmp_path / "qa.db"),
            "--model", "tiny.en", "--no-acoustics", "--format", "json"]  # fmt: skip
    ok = runner.invoke(batch_command, args)
    assert ok.exit_code == 0, ok.output
    data = json.loads(ok.stdout.strip().splitlines()[-1])
    assert data["calls"] == 3 and data["failed"] == 0
    assert set(data["mean_score_by_team"]) == {"billing", "sales"}
    assert "3 calls: 3 processed" in ok.stderr
    (day / "bad.json").write_text("{", "utf-8")
    bad = runner.invoke(batch_command, [*args[:-2], "--report", str(tmp_path / "report")])
    assert bad.exit_code == 1
    assert "failed bad (transcribe)" in bad.stderr and "already done" in bad.stderr
    assert (tmp_path / "report" / "index.html").is_file()
    again = runner.invoke(rescore_command, ["--rubric", str(rubric_v(tmp_path, 99)),
                                            "--store", str(tmp_path / "qa.db")])  # fmt: skip
    assert again.exit_code == 0 and "3 calls: 3 processed" in again.stderr


def test_batch_two_batches_write_one_store_at_once(tmp_path: Path, store_location: str) -> None:
    make_day(tmp_path / "east", 12, prefix="e")
    make_day(tmp_path / "west", 12, prefix="w")
    store = store_location
    code = (
        "import sys; from qa_toolkit.batch import run_batch, BatchOptions;"
        "r = run_batch([sys.argv[1]], sys.argv[2], store=sys.argv[3],"
        " options=BatchOptions(acoustics=False)); sys.exit(1 if r.failures else 0)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, str(tmp_path / side), str(RUBRIC),
                          str(store)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
        for side in ("east", "west")
    ]  # fmt: skip
    outputs = [p.communicate(timeout=240)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    with Store(store) as st:
        assert len(st.score_rows()) == 24
        assert len(st.run_rows()) == 2
        if not st.is_server:
            assert st.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_batch_samples_chat_stored_redacted_or_flagged_unredacted(tmp_path: Path) -> None:
    day = tmp_path / "day"
    day.mkdir()
    (day / "chat_en.txt").write_bytes((SAMPLES / "chat_en.txt").read_bytes())
    store = tmp_path / "qa.db"
    run_batch([day], RUBRIC, store=store, options=TINY)
    with Store(store) as st:
        row = st.conn.execute("SELECT redaction, body FROM transcripts").fetchone()
    from qa_toolkit.batch.tasks import redactor

    if redactor() is None:
        assert row["redaction"] == "none"
    else:  # with the privacy module, nothing personal reaches the store by default
        assert row["redaction"].startswith("privacy.redact/")
        assert "@example" not in row["body"] and "[EMAIL]" in row["body"]


def test_batch_display_draws_counts_throughput_and_failures() -> None:
    stream = io.StringIO()
    with BatchDisplay(enabled=True, stream=stream, force=True) as display:
        display(BatchProgress("transcribe", 0, 2, 0, "", "started"))
        display(BatchProgress("transcribe", 1, 2, 0, "a", "done", audio_s=60.0))
        display(BatchProgress("transcribe", 2, 2, 1, "b", "failed", 60.0, "b.wav: is empty"))
    out = stream.getvalue()
    assert "2/2" in out and "real time" in out and "ETA" in out
    assert "failed b (transcribe): b.wav: is empty" in out
    quiet = io.StringIO()
    with BatchDisplay(enabled=True, stream=quiet) as display:  # not a terminal: no bar
        display(BatchProgress("score", 1, 1, 0, "a", "done"))
    assert quiet.getvalue() == ""
