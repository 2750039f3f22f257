"""Rubric loading: schema v1, line-numbered errors reported all at once, did-you-mean."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_toolkit.errors import RubricError
from qa_toolkit.rubric import load_rubric, parse_rubric
from qa_toolkit.rubric.detectors.behaviour import BehaviourOptions

ROOT = Path(__file__).resolve().parent.parent
HEAD = "schema: qa-toolkit/rubric@1\nid: t\nversion: 1\n"


def _problems(text: str) -> list[str]:
    with pytest.raises(RubricError) as caught:
        parse_rubric(text, "r.yaml")
    return [str(p) for p in caught.value.problems]


def test_rubric_default_loads_with_both_languages() -> None:
    rubric = load_rubric(ROOT / "rubrics" / "default.yaml")
    assert [s.id for s in rubric.sections] == ["script", "empathy", "resolution", "outcome"]
    assert sum(s.weight for s in rubric.sections) == 100
    assert rubric.languages == ("en", "zh")
    greeting = rubric.items[0]
    assert isinstance(greeting.title, dict) and set(greeting.title) == {"en", "zh"}
    assert isinstance(greeting.options, BehaviourOptions)
    assert greeting.detector == "behaviour.v1"
    # Shipped rubrics pin versioned detector names.
    assert all("." in node.detector for node in (*rubric.items, *rubric.events))
    assert rubric.band_for(95) == "excellent" and rubric.band_for(10) == "poor"
    # Events come before the items that refer to them.
    assert rubric.order.index("complaint") < rubric.order.index("three_step_soothing")


def test_rubric_every_problem_at_once_with_line_and_column() -> None:
    text = HEAD + (
        "sections:\n"  # 4
        "  - id: script\n"  # 5
        "    items:\n"  # 6
        "      - id: greeting\n"  # 7
        "        detector: phrse\n"  # 8
        "        any: [hello]\n"  # 9
        "        points: 5\n"  # 10
        "      - id: closing\n"  # 11
        "        detector: phrase\n"  # 12
        "        speaker: agnet\n"  # 13
        "        anyy: [bye]\n"  # 14
        "        window: {firs_s: 3}\n"  # 15
        "        points: 5\n"  # 16
        "      - id: apology\n"  # 17
        "        detector: phrase\n"  # 18
        "        any: [sorry]\n"  # 19
    )
    assert _problems(text) == [
        "r.yaml:8:19: sections[0].items[0].detector: unknown detector 'phrse'; "
        "did you mean 'phrase'?",
        "r.yaml:13:18: sections[0].items[1].speaker: 'agnet' is not one of 'agent', 'customer', "
        "'any'; did you mean 'agent'?",
        "r.yaml:14:9: sections[0].items[1].anyy: unknown field 'anyy'; did you mean 'any'?",
        "r.yaml:15:18: sections[0].items[1].window.firs_s: unknown field 'firs_s'; "
        "did you mean 'first_s'?",
        "r.yaml:17:9: sections[0].items[2].points: required, but missing",
    ]


def test_rubric_references_cycles_and_ids() -> None:
    text = HEAD + (
        "events:\n"  # 4
        "  complaint: {detector: phrase, speaker: customer, any: [angry]}\n"  # 5
        "sections:\n"  # 6
        "  - id: s\n"  # 7
        "    items:\n"  # 8
        "      - {id: a, detector: phrase, any: [x], points: 1, applies_if: {event: complant}}\n"
        "      - {id: b, detector: phrase, any: [x], points: 1, window: {after: c}}\n"  # 10
        "      - {id: c, detector: phrase, any: [x], points: 1, window: {after: b}}\n"  # 11
        "      - {id: a, detector: phrase, any: [x], points: 1, window: {after: nowhere}}\n"
    )
    assert _problems(text) == [
        "r.yaml:9:76: sections[0].items[0].applies_if.event: no event 'complant'; "
        "did you mean 'complaint'?",
        "r.yaml:10:9: sections[0].items[1]: references go round in a circle: b → c → b",
        "r.yaml:12:14: sections[0].items[3].id: id 'a' is already used by sections[0].items[0]; "
        "ids must be unique",
        "r.yaml:12:72: sections[0].items[3].window.after: no item or event 'nowhere'",
    ]


def test_rubric_weights_must_sum_to_100_or_be_absent() -> None:
    items = "    items: [{id: i{n}, detector: phrase, any: [x], points: 1}]\n"
    text = HEAD + "sections:\n"
    text += "  - id: a\n    weight: 60\n" + items.replace("{n}", "1")
    text += "  - id: b\n    weight: 30\n" + items.replace("{n}", "2")
    assert _problems(text) == [
        "r.yaml:5:3: sections: section weights add up to 90; they must add up to 100"
    ]
    mixed = text.replace("    weight: 30\n", "")
    assert _problems(mixed) == [
        "r.yaml:8:5: sections[1]: weight missing; give every section a weight, or none"
    ]


def test_rubric_without_weights_weighs_sections_by_points() -> None:
    text = HEAD + (
        "sections:\n"
        "  - {id: a, items: [{id: x, detector: phrase, any: [x], points: 3}]}\n"
        "  - {id: b, items: [{id: y, detector: phrase, any: [y], points: 7}]}\n"
    )
    rubric = parse_rubric(text)
    assert [s.weight for s in rubric.sections] == [3, 7]


def test_rubric_detector_option_errors() -> None:
    text = HEAD + (
        "sections:\n"  # 4
        "  - id: s\n"  # 5
        "    items:\n"  # 6
        '      - {id: r, detector: regex, pattern: "([a", points: 1}\n'  # 7
        "      - {id: m, detector: metric, feature: longest_silense_s, max: 3, points: 1}\n"  # 8
        "      - {id: q, detector: sequence, steps: [{id: a, any: [x]}], points: 1}\n"  # 9
        "      - {id: p, detector: phrase, points: 1}\n"  # 10
        "      - {id: z, detector: phrase, any: 3, points: x}\n"  # 11
    )
    assert _problems(text) == [
        "r.yaml:7:43: sections[0].items[0].pattern: pattern '([a' does not compile: "
        "unterminated character set at position 1",
        "r.yaml:8:44: sections[0].items[1].feature: unknown feature 'longest_silense_s'; "
        "did you mean 'longest_silence_s'?",
        "r.yaml:9:44: sections[0].items[2].steps: needs at least 2, got 1",
        "r.yaml:10:9: sections[0].items[3]: give at least one of any, all, n_of, none",
        "r.yaml:11:40: sections[0].items[4].any: should be a list or a mapping (got 3)",
        "r.yaml:11:51: sections[0].items[4].points: should be a number (got 'x')",
    ]


def test_rubric_malformed_yaml_names_line_and_column() -> None:
    problems = _problems(HEAD + "sections: [\n  - id: x\n")
    assert len(problems) == 1
    assert problems[0].startswith("r.yaml:5:3: YAML syntax:")


def test_rubric_top_level_problems() -> None:
    assert _problems("") == ["r.yaml:1:1: the file is empty"]
    assert _problems("- a\n- b\n") == [
        "r.yaml:1:1: a rubric is a mapping with schema, id, version and sections"
    ]
    text = "schema: qa-toolkit/rubric@2\nid: t\nversion: 1\nbands: {top: 120}\nsections: []\n"
    assert _problems(text) == [
        "r.yaml:1:9: schema: 'qa-toolkit/rubric@2' is not one of 'qa-toolkit/rubric@1'; "
        "did you mean 'qa-toolkit/rubric@1'?",
        "r.yaml:4:8: bands: band 'top' starts at 120.0; a band's minimum is 0–100",
        "r.yaml:5:11: sections: must not be empty",
    ]


def test_rubric_duplicate_yaml_key_is_reported() -> None:
    text = (
        HEAD
        + "version: 2\nsections:\n"
        + "  - {id: a, items: [{id: x, detector: phrase, any: [x], points: 1}]}\n"
    )
    assert _problems(text) == [
        "r.yaml:4:1: version: duplicate key 'version'; the later one would silently win"
    ]


def test_rubric_missing_file_is_a_rubric_error(tmp_path: Path) -> None:
    with pytest.raises(RubricError) as caught:
        load_rubric(tmp_path / "nope.yaml")
    assert "cannot read the rubric" in str(caught.value)


def test_rubric_error_renders_one_problem_per_line() -> None:
    with pytest.raises(RubricError) as caught:
        parse_rubric(
            HEAD + "sections:\n  - {id: a, items: [{id: x, detector: phrse, points: 1}, 5]}\n",
            "r.yaml",
        )
    lines = str(caught.value).splitlines()
    assert len(lines) == len(caught.value.problems) == 2
    assert all(line.startswith("r.yaml:5:") for line in lines)
