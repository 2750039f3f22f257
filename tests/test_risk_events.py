"""Risk events in English and Chinese, with negation and speaker checks."""

from __future__ import annotations

import pytest

from qa_toolkit.features.risk import find_risk_events
from qa_toolkit.types import Transcript, Utterance


def _kinds(speaker: str, text: str) -> list[str]:
    call = Transcript("r", (Utterance("u1", speaker, 1.0, 3.0, text),))  # type: ignore[arg-type]
    return [e.kind for e in find_risk_events(call)]


@pytest.mark.parametrize(
    ("speaker", "text", "kind"),
    [
        ("customer", "I want to speak to your manager right now.", "escalation"),
        ("customer", "Please escalate this.", "escalation"),
        ("customer", "我要投诉！", "escalation"),
        ("customer", "那你找你们领导来！", "escalation"),
        ("customer", "叫你們經理出來", "escalation"),  # traditional characters
        ("customer", "If this is not fixed today, I will cancel my contract.", "cancel"),
        ("customer", "我要销户", "cancel"),
        ("customer", "I'm reporting you to the FCC.", "regulator"),
        ("customer", "我要打12315", "regulator"),
        ("customer", "我去消协告你们", "regulator"),
        ("customer", "This is bullshit.", "abuse"),
        ("agent", "You idiot.", "abuse"),
        ("customer", "你们这些傻逼", "abuse"),
        ("agent", "That's your own fault.", "blame"),
        ("agent", "You should have read the contract.", "blame"),
        ("agent", "这是你自己的问题", "blame"),
        ("agent", "That's not our department.", "deflect"),
        ("agent", "Well, there is nothing I can do about it.", "deflect"),
        ("agent", "这个不归我们管。", "deflect"),
        ("agent", "你去找别的部门吧。", "deflect"),
    ],
)
def test_risk_event_found(speaker: str, text: str, kind: str) -> None:
    assert kind in _kinds(speaker, text)


@pytest.mark.parametrize(
    ("speaker", "text"),
    [
        ("customer", "I don't want to cancel my account, just fix it."),
        ("customer", "我不想投诉，只想解决问题。"),
        ("customer", "Thanks, you have been very helpful."),
        (
            "agent",
            "I want to speak to your manager",
        ),  # an agent asking is not a customer escalating
        ("customer", "That's not our department."),  # the customer is not passing anyone on
        ("agent", "I can escalate this for you."),
        ("customer", "Can you check my account balance?"),
    ],
)
def test_risk_event_not_found(speaker: str, text: str) -> None:
    assert _kinds(speaker, text) == []


def test_risk_event_evidence() -> None:
    call = Transcript(
        "r",
        (
            Utterance("u1", "customer", 0.0, 2.0, "Hello."),
            Utterance(
                "u2",
                "customer",
                5.0,
                9.5,
                "I want to speak to a supervisor, and I will cancel my plan.",
            ),
        ),
    )
    events = find_risk_events(call)
    assert [e.kind for e in events] == ["escalation", "cancel"]
    first = events[0].to_dict()
    assert first["utterance_id"] == "u2" and first["speaker"] == "customer"
    assert (first["start_s"], first["end_s"]) == (5.0, 9.5)
    assert first["quote"].startswith("I want to speak") and "supervisor" in first["reason"]
