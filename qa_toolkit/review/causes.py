"""Root causes of a flagged call: what each failed item cost, what would have saved the call.

The counterfactual is exact because the scoring function is known: turning a
failed item into a pass keeps it applicable, so its section's maximum stays and
its earned points rise by the item's points. Each item's gain to the 0–100
score is therefore fixed (section weight share × item points ÷ section
maximum) and gains add up; a failed critical item zeroes the call, so every
one of them must pass. The smallest set is then all failed critical items plus
the largest other gains until the threshold is reached; among sets of that
size it is the one that gains the most. :func:`rescore` recomputes a score from
scratch for any set, and the tests check the shortcut against brute force.

Each cause gets a category: the rubric item's own (``agent_skill``,
``process``, ``system``, ``product``), changed by cues in the transcript near
the item's evidence: the agent's tool being down or slow makes it ``system``,
a delivery or product fault ``product_logistics``, an abusive or unreachable
customer ``customer``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from qa_toolkit.nlp.text import fold
from qa_toolkit.scoring.types import CallScore, Evidence, ItemResult
from qa_toolkit.types import Transcript, Utterance

CATEGORIES: tuple[str, ...] = ("agent_skill", "process", "system", "product_logistics", "customer")
_FROM_RUBRIC = {"agent_skill": "agent_skill", "process": "process", "system": "system",
                "product": "product_logistics", "": "agent_skill"}  # fmt: skip
_EPS = 1e-9
# How far around an item's evidence a cue still explains it (turns, seconds).
_NEAR_TURNS = 2
_NEAR_S = 15.0

_CUES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "system",
        re.compile(
            r"\b(system|computer|tool|screen|app|network|server)s? (is |are |was |were )?"
            r"(down|slow|not working|frozen|crash\w*|loading|unavailable)\b"
            r"|\b(system|network) (issue|problem|outage|error)s?\b"
            r"|系统(很慢|太慢|卡|故障|崩|出错|维护|升级|问题)|网络(不好|故障|问题)|查不到|页面(打不开|卡)"
        ),
    ),  # fmt: skip
    (
        "product_logistics",
        re.compile(
            r"\b(delivery|shipment|parcel|package|courier|order) (is |was |has )?"
            r"(late|delayed|lost|missing|damaged|broken|not arrived|never arrived)\b"
            r"|\b(defect\w*|faulty|out of stock|recall\w*)\b"
            r"|快递|物流|发货|没收到|未收到|缺货|质量问题|坏了|破损|延迟(送|发)"
        ),
    ),  # fmt: skip
    (
        "customer",
        re.compile(
            r"\b(hang(s|ing)? up on|won't give|refuse[sd]? to (give|verify|answer))\b"
            r"|\b(fuck\w*|idiot\w*|moron\w*|shut up)\b"
            r"|不肯(提供|说|告诉)|拒绝(提供|验证)|挂了|傻[逼比]|他妈的|滚"
        ),
    ),  # fmt: skip
)


@dataclass(frozen=True, slots=True)
class RootCause:
    """One failed item of a call, what it cost, and why it happened.

    Attributes:
        item_id: the rubric item.
        section_id: its section.
        title: its title.
        critical: whether failing it failed the whole call.
        points_lost: the item's points lost.
        score_gain: how much the call's 0–100 score (before auto-fail) rises if it passes.
        category: agent_skill, process, system, product_logistics or customer.
        category_reason: where the category came from (the rubric, or the cue heard).
        in_counterfactual: whether it belongs to the smallest set that saves the call.
        evidence: what proves the failure.
    """

    item_id: str
    section_id: str
    title: str
    critical: bool
    points_lost: float
    score_gain: float
    category: str
    category_reason: str
    in_counterfactual: bool
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class Counterfactual:
    """The smallest set of failed items whose passing lifts the call to the threshold.

    ``reachable`` is False when no set does (no item of the call applied);
    ``item_ids`` is empty when the call is already at or above the threshold.
    """

    item_ids: tuple[str, ...]
    score_before: float
    score_after: float
    threshold: float
    reachable: bool


def rescore(score: CallScore, passing: Iterable[str]) -> float:
    """The call's score had the ``passing`` items passed, recomputed from its sections.

    Args:
        score: the call's score.
        passing: ids of failed items to turn into passes.

    Returns:
        The 0–100 score, after auto-fail, as :func:`qa_toolkit.scoring.score_call` would give.
    """
    flipped = set(passing)
    items = [i for i in score.items if i.status != "na"]
    if any(i.critical and i.status == "fail" and i.item_id not in flipped for i in items):
        return 0.0
    total, weights = 0.0, 0.0
    for section in score.sections:
        if section.score is None or section.weight <= 0:
            continue
        gain = sum(i.points_lost for i in items
                   if i.section_id == section.section_id and i.item_id in flipped)  # fmt: skip
        total += section.weight * 100.0 * (section.points + gain) / section.max_points
        weights += section.weight
    return total / weights if weights > 0 else 0.0


def item_gains(score: CallScore) -> dict[str, float]:
    """Each failed item's gain to the call's raw score, were it passed alone."""
    scorable = [s for s in score.sections if s.score is not None and s.weight > 0]
    total = sum(s.weight for s in scorable)
    by_id = {s.section_id: s for s in scorable}
    gains: dict[str, float] = {}
    for item in score.items:
        section = by_id.get(item.section_id)
        if item.status == "fail" and section is not None and total > 0:
            gains[item.item_id] = (
                100.0 * section.weight / total * item.points_lost / section.max_points
            )
    return gains


def counterfactual(score: CallScore, threshold: float) -> Counterfactual:
    """The smallest set of failed items whose passing lifts the call to ``threshold``.

    Ties in size go to the set that gains the most; items are listed by gain, largest first.

    Example:
        >>> counterfactual(score, 70.0).item_ids  # doctest: +SKIP
        ('identity_verified', 'empathy')
    """
    failed = [i for i in score.items if i.status == "fail"]
    gains = item_gains(score)
    if score.score >= threshold - _EPS:
        return Counterfactual((), score.score, score.score, threshold, True)
    chosen = [i.item_id for i in failed if i.critical]
    rest = sorted(
        (i for i in failed if not i.critical),
        key=lambda i: (-gains.get(i.item_id, 0.0), -i.points_lost, i.item_id),
    )
    for item in rest:
        if rescore(score, chosen) >= threshold - _EPS:
            break
        chosen.append(item.item_id)
    after = rescore(score, chosen)
    ranked = tuple(sorted(chosen, key=lambda k: (-gains.get(k, 0.0), k)))
    return Counterfactual(ranked, score.score, after, threshold, after >= threshold - _EPS)


def root_causes(
    score: CallScore, threshold: float, transcript: Transcript | None = None
) -> tuple[RootCause, ...]:
    """Every failed item of a call with its cost, category and counterfactual membership.

    Args:
        score: the call's score.
        threshold: the rubric's ``flag_below`` (the score the call must reach).
        transcript: the call's transcript, for category cues (None: the rubric's category).

    Returns:
        The causes, most score gained first (critical items first of all).
    """
    gains = item_gains(score)
    needed = set(counterfactual(score, threshold).item_ids)
    causes = []
    for item in score.items:
        if item.status != "fail":
            continue
        category, why = categorize(item, transcript)
        causes.append(RootCause(
            item.item_id, item.section_id, item.title, item.critical, item.points_lost,
            gains.get(item.item_id, 0.0), category, why, item.item_id in needed, item.evidence,
        ))  # fmt: skip
    return tuple(sorted(causes, key=lambda c: (not c.critical, -c.score_gain, c.item_id)))


def categorize(item: ItemResult, transcript: Transcript | None = None) -> tuple[str, str]:
    """An item's cause category, and why: a transcript cue near its evidence, else the rubric.

    Returns:
        (category, reason), category one of :data:`CATEGORIES`.
    """
    default = _FROM_RUBRIC.get(item.category, "agent_skill")
    if transcript is None:
        return default, f"rubric category {item.category or 'agent_skill'!r}"
    for utt in _near(item, transcript):
        text = fold(utt.text)
        for category, pattern in _CUES:
            hit = pattern.search(text)
            if hit is not None and category != default:
                return category, f"{utt.speaker} at {utt.start_s:.0f}s: {hit.group(0)!r}"
    return default, f"rubric category {item.category or 'agent_skill'!r}"


def _near(item: ItemResult, transcript: Transcript) -> list[Utterance]:
    """Utterances around the item's evidence; the whole call when it has no location."""
    utts = list(transcript.utterances)
    index = {u.id: n for n, u in enumerate(utts)}
    spots = [index[e.utterance_id] for e in item.evidence if e.utterance_id in index]
    if spots:
        keep = {n for s in spots for n in range(s - _NEAR_TURNS, s + _NEAR_TURNS + 1)}
        return [u for n, u in enumerate(utts) if n in keep]
    spans = [(e.start_s, e.end_s) for e in item.evidence if e.end_s > 0]
    if spans:
        return [u for u in utts if any(_overlaps(u, a, b) for a, b in spans)]
    return utts


def _overlaps(utt: Utterance, start_s: float, end_s: float) -> bool:
    return utt.end_s >= start_s - _NEAR_S and utt.start_s <= end_s + _NEAR_S
