"""The example rubrics in rubrics/: they load, and they tell a good call from a bad one."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_toolkit.cli.scoring import rubric_group
from qa_toolkit.rubric import Rubric, load_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.types import CallScore
from qa_toolkit.types import AudioSource, Transcript, Utterance

RUBRICS = Path(__file__).resolve().parent.parent / "rubrics"
ECOMMERCE = RUBRICS / "ecommerce_aftersales_zh.yaml"
ABCD = RUBRICS / "abcd_procedures.yaml"


def chat(*lines: str, language: str) -> Transcript:
    """A chat from 'a: …' (agent) and 'c: …' (customer) lines; a chat has no timing."""
    role = {"a": "agent", "c": "customer"}
    utts = tuple(
        Utterance(f"u{i}", role[line[0]], 0.0, 0.0, line[3:])  # type: ignore[arg-type]
        for i, line in enumerate(lines)
    )
    return Transcript("chat", utts, language=language, source=AudioSource(kind="text"))


def statuses(score: CallScore) -> dict[str, str]:
    return {item.item_id: item.status for item in score.items}


def test_rubric_examples_validate_with_the_cli() -> None:
    result = CliRunner().invoke(rubric_group, ["validate", str(ECOMMERCE), str(ABCD)])
    assert result.exit_code == 0, result.output
    assert "ecommerce_aftersales_zh v2: 3 sections, 12 items, 5 events" in result.output
    assert "abcd_procedures v1: 3 sections, 10 items, 4 events" in result.output


@pytest.fixture(scope="module")
def ecommerce() -> Rubric:
    return load_rubric(ECOMMERCE)


@pytest.fixture(scope="module")
def abcd() -> Rubric:
    return load_rubric(ABCD)


def test_rubric_ecommerce_good_return_and_refund_call(ecommerce: Rubric) -> None:
    call = chat(
        "c: 你好，我买的鞋子尺码不对，想退货，上次的退款到现在还没到账，我很着急。",
        "a: 亲，您好，很高兴为您服务。麻烦提供一下订单号。",
        "c: 订单号是2026112300123。",
        "a: 非常理解您的心情，给您带来不便真的很抱歉。",
        "a: 您是说鞋子尺码不合适需要退货，上一笔退款也还没到账，对吗？",
        "c: 对。",
        "a: 已经为您提交售后申请，支持七天无理由，运费险会退回运费，快递员明天上门取件。",
        "a: 上一笔退款已经为您加急，1-3个工作日内原路退回到您的支付账户。",
        "c: 好的，谢谢。",
        "a: 请问还有其他问题吗？祝您购物愉快。",
        language="zh",
    )
    score = score_call(call, ecommerce)
    assert score.score == 100.0 and not score.flags
    found = statuses(score)
    assert found["logistics_tracked"] == "na"  # no delivery question in this call
    for item_id in ("return_process_explained", "refund_timeline", "three_step_soothing"):
        assert found[item_id] == "pass"
    evidence = score.item("refund_timeline").evidence[0]
    assert evidence.utterance_id == "u7" and "原路退回" in evidence.quote


def test_rubric_ecommerce_bad_call_names_the_violations(ecommerce: Rubric) -> None:
    call = chat(
        "c: 我的快递一个星期了还没收到，怎么回事？我要退款！",
        "a: 在。",
        "a: 物流的问题你去问快递，跟我们没关系。",
        "c: 你们这什么态度？我要投诉！",
        "a: 退款可以，你先给个好评。",
        "c: 太差了，骗人！",
        language="zh",
    )
    score = score_call(call, ecommerce)
    assert score.score < 20 and "below_threshold" in [f.kind for f in score.flags]
    found = statuses(score)
    for item_id in ("no_shirking", "no_review_inducement", "logistics_tracked", "apology"):
        assert found[item_id] == "fail"
    assert found["return_process_explained"] == "na"
    inducement = score.item("no_review_inducement").evidence[0]
    assert inducement.utterance_id == "u4" and "给个好评" in inducement.reason


def test_rubric_abcd_refund_following_the_procedure(abcd: Rubric) -> None:
    call = chat(
        "a: Hi, thanks for contacting us! How can I help you today?",
        "c: Hi, I want a refund for a jacket, it arrived with a broken zipper.",
        "a: I'm sorry to hear that. Could I have your full name or account ID to pull up your "
        "account?",
        "c: Sure, it's Maya Brooks.",
        "a: Thanks Maya. To validate the purchase, may I have your username, email address and "
        "the order ID?",
        "c: mbrooks1, maya@example.com, order 4402913.",
        "a: Thank you, that all checks out. May I ask the reason for the refund?",
        "c: The zipper broke the first time I used it.",
        "a: I've processed a refund of $64 to your card on file. You should see it in 3 to 5 "
        "business days.",
        "c: Great, thanks!",
        "a: Is there anything else I can help you with today?",
        "c: No, that's all.",
        language="en",
    )
    score = score_call(call, abcd)
    assert score.score == 100.0 and not score.flags
    identity = score.item("identity_verified")
    assert identity.status == "pass" and [e.utterance_id for e in identity.evidence] == ["u4"] * 2
    assert statuses(score)["troubleshooting_steps"] == "na"


def test_rubric_abcd_action_without_verification_fails_the_call(abcd: Rubric) -> None:
    call = chat(
        "a: What do you want?",
        "c: The promo code you sent me is not working, and the price was cheaper yesterday.",
        "a: Prices change, that's not my problem.",
        "c: Can you at least change my shipping address to 12 Oak Street?",
        "a: Done, I've updated the address on your order.",
        "c: Thanks.",
        language="en",
    )
    score = score_call(call, abcd)
    assert score.auto_failed and score.score == 0.0
    assert "critical_failed" in [f.kind for f in score.flags]
    found = statuses(score)
    assert found["identity_verified"] == "fail" and found["account_pulled_up"] == "fail"
    assert found["price_policy_explained"] == "pass"  # "Prices change" is the policy
    assert found["troubleshooting_steps"] == "fail" and found["no_blaming"] == "fail"
    assert found["action_explained"] == "pass"
