"""Risk events: moments a supervisor must see, each with the quote that proves it.

Customer side: asks for a supervisor or to escalate (找你们领导, 我要投诉),
threatens to cancel, threatens a regulator, the media or a lawyer (12315, 消协),
swears or insults. Agent side: blames the customer, or passes them to another
department ("that's not our department", 这个不归我们管); an agent who swears
is an abuse event too.

Patterns run on folded text (lower case, simplified Chinese, half-width), so
traditional characters and full-width letters match. A trigger right after a
negation ("I don't want to cancel", 不想投诉) does not count: customers say that
too when they are satisfied.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

from qa_toolkit.nlp.text import fold, shorten
from qa_toolkit.scoring.types import Evidence
from qa_toolkit.types import Transcript, Utterance

logger = logging.getLogger(__name__)

RiskKind = Literal["escalation", "cancel", "regulator", "abuse", "blame", "deflect"]
RISK_KINDS: tuple[RiskKind, ...] = (
    "escalation",
    "cancel",
    "regulator",
    "abuse",
    "blame",
    "deflect",
)


@dataclass(frozen=True, slots=True)
class _Rule:
    kind: RiskKind
    speakers: tuple[str, ...]
    pattern: re.Pattern[str]
    reason: str


def _rule(kind: RiskKind, speakers: tuple[str, ...], reason: str, *alternatives: str) -> _Rule:
    return _Rule(kind, speakers, re.compile("|".join(alternatives)), reason)


_CUSTOMER = ("customer", "unknown")
_AGENT = ("agent", "unknown")
_ANYONE = ("agent", "customer", "unknown")

_RULES: tuple[_Rule, ...] = (
    _rule(
        "escalation",
        _CUSTOMER,
        "the customer asks for a supervisor or to escalate",
        r"\b(speak|talk) (to|with) (your|a|the) (manager|supervisor|boss|superior)",
        r"\b(get|want|need) (me )?(your|a|the) (manager|supervisor|boss)\b",
        r"\bescalat(e|ing|ion)\b",
        r"\b(file|make|lodge|raise) a (formal )?complaint\b",
        r"\bi (want|would like|wish) to complain\b",
        r"找(你们|您们)?(的)?(领导|经理|主管|上级|负责人)|叫(你们)?(领导|经理|主管)|我要投诉|我要举报|投诉(你|您)",
        r"(升级|上报)(处理|投诉)",
    ),
    _rule(
        "cancel",
        _CUSTOMER,
        "the customer threatens to cancel or leave",
        r"\b(cancel|close|terminate) (my|the|this) "
        r"(account|contract|subscription|service|plan|order)",
        r"\b(switch|switching|go|going|move|moving) to (another|a different|your) "
        r"(provider|company|competitor|carrier|bank)",
        r"\bcancel(l)?(ing)? (it|everything)\b",
        r"销户|注销|退订|解约|取消(套餐|业务|订单|服务|合约)|携号转网|换(别|其他)的?(运营商|公司|银行)|不用(你们)?的?了",
    ),
    _rule(
        "regulator",
        _CUSTOMER,
        "the customer threatens a regulator, the media or legal action",
        r"\b(fcc|ftc|bbb|better business bureau|ombudsman|regulator|trading standards"
        r"|attorney general)\b",
        r"\b(lawyer|attorney|sue|suing|lawsuit|legal action|small claims court"
        r"|the press|the media)\b",
        r"12315|12321|消协|消费者协会|工信部|银保监|银监会|市场监管|工商局|媒体|曝光|律师|起诉|法院|打官司|报警",
    ),
    _rule(
        "abuse",
        _ANYONE,
        "swearing or an insult",
        r"\b(fuck\w*|shit\w*|bullshit|damn you|bastard\w*|asshole\w*|bitch\w*|idiot\w*|moron\w*|"
        r"stupid (people|company|service|idiot|bot)|dumb(ass)?|crap)\b",
        r"傻[逼bB比]|他妈的|妈的|操你|滚蛋|滚开|你有病|神经病|白痴|废物|蠢货|去死|王八蛋|混蛋|垃圾(公司|客服|服务)",
    ),
    _rule(
        "blame",
        _AGENT,
        "the agent blames the customer",
        r"\b(that is|that's|it is|it's) (your|all your) (own )?(fault|problem|mistake)\b",
        r"\byou should (have|'ve) (read|checked|known|called|done)\b",
        r"\byou (did|didn't|did not|must have) .{0,20}(wrong|properly|correctly|right)\b",
        r"\b(nothing to do with us|not our fault|your own fault)\b",
        r"(是|都是)(你|您)(自己)?的(问题|错|责任)|(你|您)自己(的)?(问题|没看|没注意|操作)|怪(你|您)自己|(你|您)(应该|早该)(先)?(看|问|检查)",
    ),
    _rule(
        "deflect",
        _AGENT,
        "the agent passes the customer to someone else",
        r"\b(not|isn't|is not) (our|my) (department|problem|responsibility|job|area)\b",
        r"\b(call|contact|ask|try) (the other|another|a different) "
        r"(department|team|number|company)\b",
        r"\b(there is|there's) nothing (i|we) can do\b",
        r"\bi can'?t help you( with that)?\b|\bi cannot help you\b",
        r"不归(我们|我)管|不是(我们|我)(这边|部门)?(负责|管)|(我们|我)(这边)?管不了|(你|您)(去)?找(别的|其他|相关)?(部门|人|厂家|快递)|(没有|没)办法帮(你|您)|爱莫能助",
    ),
)

_NEGATION = re.compile(
    r"(\b(don't|do not|didn't|did not|won't|will not|not|never|no need to)\s+(\w+\s+){0,2}$)"
    r"|(不想|不要|不用|不会|没有|没想|不打算|并不|不是要)\s*$"
)


@dataclass(frozen=True, slots=True)
class RiskEvent:
    """One risk event and the utterance that proves it."""

    kind: RiskKind
    evidence: Evidence

    def to_dict(self) -> dict[str, Any]:
        """The event as a JSON-ready dict: ``kind`` plus the evidence's fields."""
        return {"kind": self.kind, **self.evidence.to_dict()}


def find_risk_events(transcript: Transcript) -> tuple[RiskEvent, ...]:
    """Find the risk events of a call, at most one per kind per utterance.

    Args:
        transcript: the call, from audio or text.

    Returns:
        The events in call order.

    Example:
        >>> t = Transcript("c", (Utterance("u1", "customer", 0, 2, "我要投诉！"),))
        >>> [e.kind for e in find_risk_events(t)]
        ['escalation']
    """
    events = []
    for utt in transcript.utterances:
        text = fold(utt.text)
        for rule in _RULES:
            if utt.speaker not in rule.speakers:
                continue
            hit = _first_hit(rule.pattern, text)
            if hit is not None:
                reason = f"{rule.reason}: {text[hit[0] : hit[1]]!r}"
                events.append(RiskEvent(rule.kind, _evidence(utt, reason)))
    logger.debug("%s: %d risk events", transcript.call_id, len(events))
    return tuple(events)


def _first_hit(pattern: re.Pattern[str], text: str) -> tuple[int, int] | None:
    for found in pattern.finditer(text):
        if not _NEGATION.search(text[max(0, found.start() - 30) : found.start()]):
            return found.start(), found.end()
    return None


def _evidence(utt: Utterance, reason: str) -> Evidence:
    return Evidence(utt.id, utt.speaker, utt.start_s, utt.end_s, shorten(utt.text), reason)
