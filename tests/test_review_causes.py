"""Root causes: exact minimal counterfactual (checked by brute force) and cause categories."""

from __future__ import annotations

import itertools
import random

import pytest

from qa_toolkit.io.transcripts import parse_text_transcript
from qa_toolkit.review.causes import (
    CATEGORIES,
    categorize,
    counterfactual,
    item_gains,
    rescore,
    root_causes,
)
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.types import CallScore, Evidence, ItemResult, SectionScore

from .review_helpers import RUDE, default_rubric


def _item(item_id: str, section: str, points: float, status: str, critical: bool = False,
          category: str = "agent_skill", utterance_id: str = "u1") -> ItemResult:  # fmt: skip
    evidence = (Evidence(utterance_id, "agent", 1.0, 2.0, "q", "why"),)
    got = points if status == "pass" else 0.0
    return ItemResult(item_id, section, item_id, "phrase", status, got, points, critical,  # type: ignore[arg-type]
                      evidence, category)  # fmt: skip


def _score(items: list[ItemResult], weights: dict[str, float]) -> CallScore:
    """A CallScore computed the way the scorer does (sections, weights, auto-fail)."""
    sections = []
    for sid, weight in weights.items():
        mine = [i for i in items if i.section_id == sid and i.status != "na"]
        earned, possible = sum(i.points for i in mine), sum(i.max_points for i in mine)
        value = 100.0 * earned / possible if possible > 0 else None
        sections.append(SectionScore(sid, sid, weight, earned, possible, value))
    scorable = [s for s in sections if s.score is not None and s.weight > 0]
    total = sum(s.weight for s in scorable)
    raw = sum(s.weight * (s.score or 0) for s in scorable) / total if total else 0.0
    failed = any(i.critical and i.status == "fail" for i in items)
    return CallScore("c", "r", "1", 0.0 if failed else raw, raw, "x", failed, tuple(items),
                     tuple(sections), (), ())  # fmt: skip


def _brute_force(score: CallScore, threshold: float) -> tuple[int, float]:
    """Smallest size of a saving set, and the best score a set of that size reaches."""
    failed = [i.item_id for i in score.items if i.status == "fail"]
    for size in range(len(failed) + 1):
        reached = [rescore(score, c) for c in itertools.combinations(failed, size)]
        good = [r for r in reached if r >= threshold - 1e-9]
        if good:
            return size, max(good)
    return -1, 0.0


def _random_score(rng: random.Random) -> CallScore:
    weights = {f"s{n}": float(rng.choice([0, 10, 20, 30])) for n in range(rng.randint(1, 3))}
    items = [
        _item(f"i{n}", rng.choice(list(weights)), float(rng.choice([1, 2, 5, 10])),
              rng.choice(["pass", "fail", "fail", "na"]), critical=rng.random() < 0.15)
        for n in range(rng.randint(1, 7))
    ]  # fmt: skip
    return _score(items, weights)


def test_review_causes_counterfactual_matches_brute_force() -> None:
    rng = random.Random(6)
    checked = 0
    for _ in range(400):
        score = _random_score(rng)
        threshold = rng.choice([50.0, 70.0, 90.0, 100.0])
        found = counterfactual(score, threshold)
        size, best = _brute_force(score, threshold)
        if size < 0:
            assert not found.reachable
            continue
        checked += 1
        assert found.reachable and len(found.item_ids) == size
        assert found.score_after == pytest.approx(best)
        assert rescore(score, found.item_ids) >= threshold - 1e-9
    assert checked > 200


def test_review_causes_rescore_agrees_with_the_scorer() -> None:
    transcript = parse_text_transcript(RUDE, call_id="r")
    score = score_call(transcript, default_rubric())
    assert rescore(score, ()) == pytest.approx(score.score)
    failed = [i.item_id for i in score.items if i.status == "fail"]
    assert rescore(score, failed) == pytest.approx(100.0)
    gains = item_gains(score)
    non_critical = [k for k in failed if not score.item(k).critical]
    if not score.auto_failed and non_critical:
        one = non_critical[0]
        assert rescore(score, [one]) == pytest.approx(score.raw_score + gains[one])


def test_review_causes_critical_items_are_always_in_the_counterfactual() -> None:
    items = [_item("verify", "s", 5, "fail", critical=True), _item("greet", "s", 5, "fail"),
             _item("close", "s", 10, "pass")]  # fmt: skip
    score = _score(items, {"s": 1.0})
    found = counterfactual(score, 70.0)
    assert found.item_ids == ("verify",) and found.score_after == pytest.approx(75.0)
    causes = root_causes(score, 70.0)
    assert [(c.item_id, c.in_counterfactual) for c in causes] == [
        ("verify", True),
        ("greet", False),
    ]
    assert causes[0].score_gain == pytest.approx(25.0)


def test_review_causes_ranks_by_points_and_stops_when_passing() -> None:
    items = [_item("a", "s", 2, "fail"), _item("b", "s", 10, "fail"), _item("c", "s", 5, "fail"),
             _item("d", "s", 3, "pass")]  # fmt: skip
    score = _score(items, {"s": 1.0})  # 3/20 = 15
    assert counterfactual(score, 70.0).item_ids == ("b", "c")  # b alone 13/20 = 65; b+c 90
    assert counterfactual(score, 65.0).item_ids == ("b",)
    assert counterfactual(score, 10.0).item_ids == ()


def test_review_causes_unreachable_when_nothing_applied() -> None:
    score = _score([_item("a", "s", 5, "na")], {"s": 1.0})
    assert not counterfactual(score, 70.0).reachable


@pytest.mark.parametrize(
    ("rubric_category", "text", "expected"),
    [
        ("agent_skill", "agent: sorry, hold on\ncustomer: ok", "agent_skill"),
        ("process", "agent: please hold\ncustomer: ok", "process"),
        ("product", "agent: hello\ncustomer: hi", "product_logistics"),
        ("process", "agent: sorry, my system is down right now\ncustomer: ok", "system"),
        ("agent_skill", "customer: my package is lost\nagent: I see", "product_logistics"),
        ("agent_skill", "customer: 我的快递一直没收到\nagent: 好的", "product_logistics"),
        ("process", "agent: 不好意思，系统很慢\ncustomer: 好", "system"),
        ("agent_skill", "agent: may I have your ID\ncustomer: I refuse to give that", "customer"),
    ],
)
def test_review_causes_category_mapping(rubric_category: str, text: str, expected: str) -> None:
    transcript = parse_text_transcript(text, call_id="c")
    first = transcript.utterances[0].id
    item = _item("x", "s", 5, "fail", category=rubric_category, utterance_id=first)
    category, why = categorize(item, transcript)
    assert category == expected and category in CATEGORIES
    assert why
    assert categorize(item)[0] == {"product": "product_logistics"}.get(
        rubric_category, rubric_category
    )


def test_review_causes_cue_far_from_the_evidence_does_not_count() -> None:
    lines = ["agent: my system is down"] + [f"customer: line {n}" for n in range(8)]
    transcript = parse_text_transcript("\n".join(lines), call_id="c")
    item = _item("x", "s", 5, "fail", utterance_id=transcript.utterances[-1].id)
    assert categorize(item, transcript)[0] == "agent_skill"
