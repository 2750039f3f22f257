"""The command line's one error boundary: every command reports a toolkit error the same way."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from qa_toolkit.cli import qa
from qa_toolkit.errors import StoreError


def test_every_command_reports_an_error_as_one_error_line(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere" / "qa.db")
    bad_rubric = tmp_path / "bad.yaml"
    bad_rubric.write_text("schema: qa-toolkit/rubric@1\nid: b\nversion: 1\nsections: []\n")
    transcript = tmp_path / "c.txt"
    transcript.write_text("agent: hello\ncustomer: hi\n", "utf-8")
    not_a_store = tmp_path / "notes.db"
    not_a_store.write_text("not a database, just text " * 100, "utf-8")
    runs = {
        "flagged": ["flagged", "-s", missing],
        "show": ["show", "x", "-s", missing],
        "review": ["review", "x", "-s", missing, "--status", "confirmed", "--reviewer", "m"],
        "export": ["export", "--store", str(not_a_store), "--format", "csv"],
        "report": ["report", "--store", str(not_a_store), "--out", str(tmp_path / "r")],
        "redact": ["redact", str(transcript), "--kinds", "nonsense"],
    }
    for name, args in runs.items():
        result = CliRunner().invoke(qa, args)
        assert result.exit_code in (1, 2), (name, result.output)
        lines = result.stderr.strip().splitlines()
        assert lines and lines[-1].startswith("error: "), (name, result.stderr)
        assert "Traceback" not in result.output, name
    # A rubric's problems are listed one per line as file:line:col: path: message.
    rubric = CliRunner().invoke(qa, ["score", str(transcript), "-r", str(bad_rubric)])
    assert rubric.exit_code == 1
    assert rubric.stderr.startswith(f"{bad_rubric}:4:") and "sections" in rubric.stderr


def test_debug_lets_the_toolkit_error_through_for_its_traceback(tmp_path: Path) -> None:
    missing = str(tmp_path / "nowhere" / "qa.db")
    for args in (["flagged", "-s", missing], ["show", "x", "-s", missing]):
        result = CliRunner().invoke(qa, ["--debug", *args])
        assert isinstance(result.exception, StoreError), args
        assert "no such store" in str(result.exception)
    # A command that only reads a store does not create one where there was none.
    assert not Path(missing).parent.exists()
