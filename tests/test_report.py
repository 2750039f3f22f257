"""The Markdown report and the score summary over several calls."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from qa_toolkit.cli import qa
from qa_toolkit.io.transcripts import load_transcript, parse_text_transcript
from qa_toolkit.report import markdown_report, summarise
from qa_toolkit.rubric import load_rubric
from qa_toolkit.scoring import score_call

from .conftest import ROOT, SAMPLES

RUDE = """agent: Yeah, what is it?
customer: My internet has been down for two days.
agent: That's not our department. You should have read the contract.
customer: I want to speak to your manager.
"""


def _scores() -> list:
    rubric = load_rubric(ROOT / "rubrics" / "default.yaml")
    rude = parse_text_transcript(RUDE, call_id="rude")
    return [score_call(t, rubric) for t in (rude, load_transcript(SAMPLES / "chat_en.txt"))]


def test_report_summary_counts() -> None:
    scores = _scores()
    summary = summarise(scores)
    assert summary.calls == 2 and summary.flagged == 1
    assert summary.mean_score == round((scores[0].score + scores[1].score) / 2, 1)
    failed = dict(summarise(scores, top=20).most_failed)
    assert failed["empathy.no_blaming"] == 1 and "resolution.solution_offered" in failed


def test_report_markdown_lists_lowest_first_with_evidence() -> None:
    text = markdown_report(_scores())
    table = text.index("| rude |"), text.index("| chat_en |")
    assert table[0] < table[1]
    assert "## rude:" in text and "## chat_en" not in text  # only flagged calls get details
    assert "You should have read the contract." in text
    assert "[turn 3 agent]" in text  # a text transcript's evidence is located by turn


def test_report_cli_writes_the_report(tmp_path: Path) -> None:
    (tmp_path / "rude.txt").write_text(RUDE, "utf-8")
    report = tmp_path / "report.md"
    result = CliRunner().invoke(
        qa,
        [
            "score",
            str(tmp_path / "rude.txt"),
            str(SAMPLES / "chat_zh.txt"),
            "-r",
            str(ROOT / "rubrics/default.yaml"),
            "--report",
            str(report),
        ],
    )
    assert result.exit_code == 0, result.output
    assert report.read_text("utf-8").startswith("# QA report\n\n2 calls")
    assert "2 scored" in result.stderr and "1 flagged" in result.stderr
