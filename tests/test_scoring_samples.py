"""The default rubric on the project's sample calls, and the scoring commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_toolkit.cli.scoring import rubric_group, score_command
from qa_toolkit.rubric import Rubric, load_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.types import Transcript, Utterance

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
DEFAULT = str(ROOT / "rubrics" / "default.yaml")


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric(DEFAULT)


def _truth(name: str) -> Transcript:
    """A sample call's reference transcript (what was really said, with times)."""
    path = SAMPLES / f"{name}.truth.json"
    if not path.is_file():
        pytest.skip(f"{path.name} is not in samples/")
    data = json.loads(path.read_text("utf-8"))
    utts = tuple(
        Utterance(f"u{i}", u["speaker"], u["start_s"], u["end_s"], u["text"])
        for i, u in enumerate(data["utterances"])
    )
    return Transcript(data["call_id"], utts, language=data["language"])


def _text_sample(name: str) -> Transcript:
    from qa_toolkit.io.transcripts import load_transcript

    path = SAMPLES / name
    if not path.is_file():
        pytest.skip(f"{name} is not in samples/")
    return load_transcript(path)


def test_scoring_default_rubric_rates_a_good_call_high(rubric: Rubric) -> None:
    score = score_call(_truth("polite_resolved"), rubric)
    assert score.score >= 85 and score.band in ("good", "excellent") and not score.flags
    for item_id in ("greeting", "apology", "need_understood", "solution_offered"):
        assert score.item(item_id).status == "pass", item_id
    # "I'm sorry about that" is an apology, not an acknowledgement of the feeling, and the
    # agent never asks whether anything else is needed (docs/labelling-guide.md).
    assert score.item("acknowledge_feelings").status == "fail"
    assert score.item("nothing_else_needed").status == "fail"


def test_scoring_default_rubric_refund_without_verification_fails_the_call(
    rubric: Rubric,
) -> None:
    # Empathy and resolution are textbook, but "我马上为您退还" refunds without any identity check.
    score = score_call(_truth("zh_billing"), rubric)
    for item_id in ("greeting", "acknowledge_feelings", "three_step_soothing", "solution_offered"):
        assert score.item(item_id).status == "pass", item_id
    identity = score.item("identity_verified")
    assert identity.status == "fail" and score.auto_failed and score.score == 0
    assert "critical_failed" in [f.kind for f in score.flags]


@pytest.mark.parametrize("name", ["rude_unresolved", "zh_escalation_mono"])
def test_scoring_default_rubric_flags_rude_calls(rubric: Rubric, name: str) -> None:
    score = score_call(_truth(name), rubric)
    assert score.score < 50 and "below_threshold" in [f.kind for f in score.flags]
    blaming = score.item("no_blaming")
    assert blaming.status == "fail"
    assert all(e.speaker == "agent" and e.quote for e in blaming.evidence)


def test_scoring_default_rubric_on_escalation_and_hold(rubric: Rubric) -> None:
    escalation = score_call(_truth("escalation_mono"), rubric)
    assert escalation.item("no_unresolved_escalation").status == "fail"
    assert escalation.item("apology").status == "pass"
    hold = score_call(_truth("long_hold"), rubric)
    assert hold.item("hold_etiquette").status == "pass"
    dead_air = hold.item("no_dead_air")
    assert dead_air.status == "fail"
    assert dead_air.evidence[1].reason == "25.0 s with nobody speaking"


def test_scoring_default_rubric_looking_up_an_account_needs_no_identity_check(
    rubric: Rubric,
) -> None:
    call = Transcript(
        "lookup",
        (
            Utterance("u0", "agent", 0.0, 3.0, "Thank you for calling, this is Sam."),
            Utterance("u1", "customer", 3.5, 6.0, "My mobile data stopped working this morning."),
            Utterance("u2", "agent", 6.5, 9.0, "Please hold while I check your account."),
            Utterance("u3", "agent", 15.0, 18.0, "Thank you for holding, the mast nearby is down."),
        ),
        language="en",
    )
    score = score_call(call, rubric)
    # "Please hold while I check your account" is a look-up, not a change.
    assert score.item("identity_verified").status == "na"
    assert not score.auto_failed


@pytest.mark.parametrize(
    ("agent_line", "language", "event"),
    [
        ("Let me pull up your account and check your order.", "en", False),
        ("I can't refund that, I'm afraid.", "en", False),
        ("You can change your address online.", "en", False),
        ("I can see there are no changes on your account.", "en", False),
        ("I'll give you an update on your order tomorrow.", "en", False),
        ("I have cancelled your contract as of today.", "en", True),
        ("I've updated the delivery address on your order.", "en", True),
        ("Your refund is on its way.", "en", True),
        ("我帮您查询一下账户。", "zh", False),
        ("您可以在App里自行修改地址。", "zh", False),
        ("已经为您注销了这个号码。", "zh", True),
        ("我这边为您办理退款。", "zh", True),
        # Advice: the customer would make the change, not the agent.
        ("You are suggested to upgrade the system to the latest version.", "en", False),
        ("建议您到营业厅更换一张新卡。", "zh", False),
    ],
)
def test_scoring_default_rubric_account_action_means_a_change(
    rubric: Rubric, agent_line: str, language: str, event: bool
) -> None:
    customer = "Hi, I need help with my account." if language == "en" else "你好，我想咨询一下。"
    call = Transcript(
        "acct",
        (
            Utterance("u0", "customer", 0.0, 2.0, customer),
            Utterance("u1", "agent", 2.5, 5.0, agent_line),
        ),
        language=language,
    )
    score = score_call(call, rubric)
    # No verification was asked for, so a real change fails the call and a look-up does not.
    assert score.item("identity_verified").status == ("fail" if event else "na")
    assert score.auto_failed is event


def test_scoring_default_rubric_on_chat_samples(rubric: Rubric) -> None:
    en = score_call(_text_sample("chat_en.txt"), rubric)
    zh = score_call(_text_sample("chat_zh.txt"), rubric)
    assert zh.score >= 90 and not zh.auto_failed
    # The English chat never asks "anything else?"; timing items are n.a. in a chat.
    assert en.item("nothing_else_needed").status == "fail"
    assert en.item("no_dead_air").status == "na"
    assert en.item("identity_verified").status == "pass"
    assert en.score >= 75


def test_scoring_cli_score_json(tmp_path: Path) -> None:
    call = tmp_path / "call.txt"
    call.write_text("agent: Hello, thank you for calling.\ncustomer: Bye.\n", "utf-8")
    result = CliRunner().invoke(score_command, [str(call), "--rubric", DEFAULT, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["call_id"] == "call" and data["rubric"]["id"] == "default"
    text = CliRunner().invoke(score_command, [str(call), "-r", DEFAULT, "--fail-on-flag"])
    assert text.exit_code == 3
    assert text.output.startswith("call: ")


def test_scoring_cli_rubric_error_exits_1_with_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "schema: qa-toolkit/rubric@1\nid: b\nversion: 1\nsections:\n"
        "  - {id: s, items: [{id: a, detector: phrse, points: 1}, {id: c, detector: phrase}]}\n",
        "utf-8",
    )
    result = CliRunner().invoke(rubric_group, ["validate", str(bad), DEFAULT])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert (
        f"{bad}:5:39: sections[0].items[0].detector: "
        "unknown detector 'phrse'; did you mean 'phrase'?" in lines
    )
    assert any(
        line.endswith("sections[0].items[1]: give at least one of any, all, n_of, none")
        for line in lines
    )
    assert any(line.startswith(f"{DEFAULT}: ok (default v4") for line in lines)


def test_scoring_cli_rubric_test_and_explain(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "agent: Hello, my name is Ann.\ncustomer: I am angry!\n", "utf-8"
    )
    (tmp_path / "b.txt").write_text("客服：您好，我是小李。\n客户：谢谢。\n", "utf-8")
    result = CliRunner().invoke(rubric_group, ["test", DEFAULT, "--calls", str(tmp_path)])
    assert result.exit_code == 0, result.output
    greeting = next(line for line in result.output.splitlines() if line.startswith("greeting"))
    assert greeting.endswith("2/2 pass")
    # Each verdict comes with its reason, quoted from the call.
    reasons = result.output.split("\n\na: ")[1].splitlines()
    intro = next(line for line in reasons if "self_introduction" in line)
    assert intro.lstrip().startswith("✓") and '"Hello, my name is Ann."' in intro
    explain = CliRunner().invoke(rubric_group, ["explain", DEFAULT, "--language", "zh"])
    assert explain.exit_code == 0 and "开场问候 — 5 pts" in explain.output
    assert "(acknowledge → restate → solve)" in explain.output


def test_rubric_explain_names_the_rubrics_own_steps(tmp_path: Path) -> None:
    rubric = tmp_path / "steps.yaml"
    rubric.write_text(
        """schema: qa-toolkit/rubric@1
id: steps
version: 1
title: Account changes
sections:
  - id: account
    title: Account
    items:
      - id: verify_then_change
        detector: sequence
        speaker: agent
        steps:
          - {id: verify, any: [date of birth]}
          - {id: change, any: [i have changed]}
        points: 10
      - id: quiet
        detector: metric
        feature: longest_silence_s
        max: 8
        points: 5
""",
        "utf-8",
    )
    explain = CliRunner().invoke(rubric_group, ["explain", str(rubric)])
    assert explain.exit_code == 0, explain.output
    assert "sequence.v1: steps said in order (verify → change)" in explain.output
    assert "acknowledge" not in explain.output
    assert "(longest_silence_s ≤ 8)" in explain.output
