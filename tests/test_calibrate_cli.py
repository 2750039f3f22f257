"""``qa calibrate`` in-process: the report on stdout, files written, clear errors."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

pytest.importorskip("sklearn")

from qa_toolkit.cli.calibrate import calibrate_command  # noqa: E402
from tests.test_calibrate_support import labelled_calls, write_rubric  # noqa: E402


def _write_calls(folder: Path) -> Path:
    """The hand-built labelled calls as text transcripts, and their labels as CSV."""
    calls, rows = labelled_calls(40)
    transcripts = folder / "calls"
    transcripts.mkdir()
    for call in calls:
        text = "\n".join(f"{u.speaker}: {u.text}" for u in call.utterances)
        (transcripts / f"{call.call_id}.txt").write_text(text + "\n", encoding="utf-8")
    (transcripts / "ignored.wav").write_bytes(b"RIFF")
    labels = folder / "labels.csv"
    with labels.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return labels


def test_calibrate_cli_reports_and_writes(tmp_path: Path) -> None:
    labels = _write_calls(tmp_path)
    rubric = write_rubric(tmp_path)
    out = tmp_path / "models"
    args = [
        "--labels", str(labels), "--rubric", str(rubric), "--calls", str(tmp_path / "calls"),
        "--embedding", "none", "--folds", "4", "--out", str(out), "--name", "t",
        "--model-item", "satisfaction", "--format", "json", "--quiet",
    ]  # fmt: skip
    result = CliRunner().invoke(calibrate_command, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["calls"] == 40 and report["folds"] == 4
    assert {i["item_id"] for i in report["items"]} == {"greeting", "solution"}
    assert "skipped 1 audio files" in result.stderr
    assert (out / "t.rubric.yaml").is_file() and (out / "t.satisfaction.json").is_file()
    assert f"wrote {out / 't.agreement.json'}" in result.stderr


def test_calibrate_cli_text_report(tmp_path: Path) -> None:
    labels = _write_calls(tmp_path)
    args = [
        "-l", str(labels), "-r", str(write_rubric(tmp_path)), "-c", str(tmp_path / "calls"),
        "--embedding", "none", "--folds", "3", "--no-save", "--quiet",
    ]  # fmt: skip
    result = CliRunner().invoke(calibrate_command, args)
    assert result.exit_code == 0, result.output
    assert "greeting" in result.stdout and "calibrated rubric" in result.stdout


def test_calibrate_cli_errors(tmp_path: Path) -> None:
    labels = _write_calls(tmp_path)
    rubric = write_rubric(tmp_path)
    runner = CliRunner()
    missing = runner.invoke(calibrate_command, ["-l", str(labels), "-r", str(rubric)])
    assert missing.exit_code == 2 and "--calls" in missing.output
    bad = tmp_path / "bad.csv"
    bad.write_text("call_id,greting\nc00,pass\n", encoding="utf-8")
    args = ["-l", str(bad), "-r", str(rubric), "-c", str(tmp_path / "calls"), "--no-save"]
    result = runner.invoke(calibrate_command, args)
    assert result.exit_code == 1
    assert "did you mean 'greeting'?" in result.stderr
    good = ["-l", str(labels), "-r", str(rubric), "-c", str(tmp_path / "calls")]
    usage = runner.invoke(calibrate_command, [*good, "--pass-at", "satisfaction"])
    assert usage.exit_code == 2 and "RATING=NUMBER" in usage.stderr


def test_calibrate_cli_reads_calls_from_the_store(tmp_path: Path) -> None:
    from qa_toolkit.io.metadata import CallMetadata
    from qa_toolkit.store import CallRecord, Store

    labels = _write_calls(tmp_path)
    calls, _ = labelled_calls(40)
    with Store(tmp_path / "qa.db") as store:
        run = store.start_run("test", ["calls"], {})
        for call in calls:
            record = CallRecord(
                call.call_id, f"h-{call.call_id}", "text", (), CallMetadata(call.call_id)
            )
            store.save_call(run, record)
            store.save_transcript(
                run, f"t-{call.call_id}", record, call, producer={}, redaction="none"
            )
    args = [
        "-l", str(labels), "-r", str(write_rubric(tmp_path)), "--store", str(tmp_path / "qa.db"),
        "--embedding", "none", "--folds", "3", "--no-save", "--quiet", "--format", "json",
    ]  # fmt: skip
    result = CliRunner().invoke(calibrate_command, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["calls"] == 40
