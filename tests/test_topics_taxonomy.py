"""The topic taxonomy file: validated like a rubric, every problem with its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_toolkit.cli.main import qa
from qa_toolkit.rubric import parse_rubric
from qa_toolkit.topics.taxonomy import TaxonomyError, load_taxonomy, parse_taxonomy

from .conftest import ROOT

SHIPPED = ROOT / "taxonomies" / "contact_reasons.yaml"

GOOD = """\
schema: qa-toolkit/taxonomy@1
id: reasons
version: 2
languages: [en, zh]
threshold: 0.35
ignore: [Acme]
topics:
  - id: billing
    title: {en: Bills, zh: 账单}
    examples:
      en: [I was charged twice]
      zh: [我被重复扣费了]
"""

BAD = """\
schema: qa-toolkit/taxonomy@1
id: reasons
version: 1
threshold: 1.5
topics:
  - id: billing
    title: {en: Bills, zh: 账单}
    exampels: {en: [charged twice], zh: [扣费]}
  - id: network
    title: {en: Network}
    examples: {en: [no signal], zh: [没有信号]}
  - id: network
    title: {en: Signal, zh: 信号}
    examples: {en: [No signal], zh: [断网]}
"""


def test_topics_taxonomy_shipped_file_is_valid_and_bilingual() -> None:
    taxonomy = load_taxonomy(SHIPPED)
    assert taxonomy.languages == ("en", "zh") and 0 < taxonomy.threshold < 1
    assert len(taxonomy.topics) >= 10 and len(set(taxonomy.ids)) == len(taxonomy.ids)
    for topic in taxonomy.topics:
        languages = {lang for lang, _ in topic.examples}
        assert languages == {"en", "zh"}, topic.id
        assert topic.name("zh") != topic.name("en"), topic.id


def test_topics_taxonomy_reads_the_fields() -> None:
    taxonomy = parse_taxonomy(GOOD, "t.yaml")
    assert (taxonomy.id, taxonomy.version, taxonomy.threshold) == ("reasons", "2", 0.35)
    assert taxonomy.ignore == ("Acme",)
    assert taxonomy.topic("billing").names() == {"en": "Bills", "zh": "账单"}
    assert taxonomy.topic("billing").examples == (("en", "I was charged twice"),
                                                  ("zh", "我被重复扣费了"))  # fmt: skip
    assert len(taxonomy.digest) == 64


def test_topics_taxonomy_errors_name_every_problem_with_line_and_column() -> None:
    with pytest.raises(TaxonomyError) as caught:
        parse_taxonomy(BAD, "bad.yaml")
    lines = str(caught.value).splitlines()
    assert "bad.yaml:4:12: threshold: Input should be less than 1 (got 1.5)" in lines
    assert ("bad.yaml:8:5: topics[0].exampels: unknown field 'exampels'; "
            "did you mean 'examples'?") in lines  # fmt: skip
    assert any(line.startswith("bad.yaml:10:12: topics[1].title: no zh given") for line in lines)
    assert any(line.startswith("bad.yaml:12:9: topics[2].id: topic id 'network' is already used")
               for line in lines)  # fmt: skip
    assert any("bad.yaml:14:15: topics[2].examples: example 'No signal' is also under topics[1]"
               in line for line in lines)  # fmt: skip
    # Problems come in file order, all at once.
    numbers = [int(line.split(":")[1]) for line in lines]
    assert numbers == sorted(numbers) and len(lines) >= 5


def test_topics_taxonomy_yaml_syntax_error_has_a_place() -> None:
    with pytest.raises(TaxonomyError, match=r"^x.yaml:3:\d+: YAML syntax"):
        parse_taxonomy("schema: qa-toolkit/taxonomy@1\nid: [x\nversion: 1\n", "x.yaml")


def test_topics_taxonomy_validate_command(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BAD, "utf-8")
    runner = CliRunner()
    found = runner.invoke(qa, ["taxonomy", "validate", str(SHIPPED), str(bad)])
    assert found.exit_code == 1
    assert f"{SHIPPED}: ok (contact_reasons v1: 11 topics" in found.stdout
    assert f"{bad}:8:5: topics[0].exampels: unknown field" in found.stderr


def test_topics_taxonomy_rubric_topic_condition_is_checked_at_load(tmp_path: Path) -> None:
    rubric = f"""\
schema: qa-toolkit/rubric@1
id: r
version: 1
taxonomy: {SHIPPED}
sections:
  - id: s
    items:
      - id: explains_fee
        detector: phrase.v1
        any: [fee]
        points: 5
        applies_if: {{topic: biling}}
"""
    with pytest.raises(Exception, match=r"r.yaml:12:\d+: sections\[0\].items\[0\].applies_if.topic:"
                       r" no topic 'biling' .*did you mean 'billing'"):  # fmt: skip
        parse_rubric(rubric, "r.yaml")
    without = rubric.replace(f"taxonomy: {SHIPPED}\n", "")
    with pytest.raises(Exception, match="a topic condition needs the rubric's taxonomy"):
        parse_rubric(without, "r.yaml")
    assert parse_rubric(rubric.replace("biling", "billing"), "r.yaml").taxonomy == str(SHIPPED)
