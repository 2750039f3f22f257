"""Golden Score JSON: fixed hand-built calls scored with the default rubric.

The expected output is committed in ``tests/data/golden_score.json``. A change
to the scoring engine, a detector, the default rubric or the Score JSON layout
that alters any field (a status, a point, an evidence quote or reason, a
feature value, a flag) makes this test fail with a diff. When the change is
intended, regenerate the file and review its diff before committing::

    QA_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_scoring_golden.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from qa_toolkit.rubric import load_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.types import Transcript, Utterance, Word

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "data" / "golden_score.json"
DEFAULT = ROOT / "rubrics" / "default.yaml"


def _utt(i: int, speaker: str, start_s: float, end_s: float, text: str) -> Utterance:
    """An utterance whose words are spread evenly over its span (as ASR would time them)."""
    tokens = text.split()
    step = (end_s - start_s) / len(tokens)
    words = tuple(
        Word(tok, round(start_s + k * step, 3), round(start_s + (k + 1) * step, 3))
        for k, tok in enumerate(tokens)
    )
    return Utterance(f"u{i}", speaker, start_s, end_s, text, 0.9, words)  # type: ignore[arg-type]


def golden_calls() -> tuple[Transcript, ...]:
    """An English call with a complaint, a hold and a refund; a rude Chinese call."""
    en = [
        ("agent", 0.0, 3.5, "Thank you for calling Northwind, my name is Omar."),
        ("customer", 4.0, 9.0, "Hi. I was charged twice for my order and I'm really annoyed."),
        ("agent", 9.4, 13.0, "I'm sorry to hear that, I understand how frustrating that is."),
        ("agent", 13.2, 17.0, "Could you confirm your full name and the order number?"),
        ("customer", 17.5, 20.0, "Dana Whitfield, order 77812."),
        ("agent", 20.5, 23.0, "Thank you. Please hold while I check."),
        ("agent", 36.0, 41.0, "Thank you for holding. So you were charged twice for one order."),
        ("customer", 41.5, 42.5, "Yes, exactly."),
        ("agent", 43.0, 49.0, "I have refunded the second charge, you will see it in three days."),
        ("customer", 49.5, 51.0, "Great, thank you so much."),
        ("agent", 51.5, 55.0, "Is there anything else I can help you with? Have a great day."),
    ]
    zh = [
        ("customer", 0.0, 4.0, "喂，我的宽带又断了，这都第三次了，我要投诉！"),
        ("agent", 4.5, 6.0, "这个不归我们管。"),
        ("customer", 6.5, 8.0, "那我找谁？"),
        ("agent", 8.2, 10.0, "你自己打别的电话吧。"),
        ("customer", 10.5, 12.0, "太差了，我要投诉你！"),
    ]
    return (
        Transcript("golden_en", tuple(_utt(i, *u) for i, u in enumerate(en)), language="en"),
        Transcript("golden_zh", tuple(_utt(i, *u) for i, u in enumerate(zh)), language="zh"),
    )


def _scores() -> dict[str, Any]:
    rubric = load_rubric(DEFAULT)
    calls = {call.call_id: score_call(call, rubric).to_dict() for call in golden_calls()}
    # Through JSON and back, so tuples and floats compare as they are stored.
    loaded: dict[str, Any] = json.loads(json.dumps(calls, ensure_ascii=False))
    return loaded


def test_scoring_golden_score_json() -> None:
    actual = _scores()
    if os.environ.get("QA_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(actual, ensure_ascii=False, indent=2) + "\n"
        GOLDEN.write_text(text, encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(actual) == sorted(expected)
    for call_id, score in expected.items():
        assert actual[call_id] == score, f"{call_id} differs from {GOLDEN.name}"


def test_scoring_golden_is_deterministic() -> None:
    assert _scores() == _scores()
