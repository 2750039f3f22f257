"""Taxonomy assignment with the real multilingual encoder: bilingual, with evidence, thresholded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_toolkit.io.transcripts import parse_text_transcript
from qa_toolkit.rubric import parse_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.topics.assign import TopicAssigner
from qa_toolkit.topics.taxonomy import load_taxonomy
from qa_toolkit.topics.text import clean, opening
from qa_toolkit.topics.tuning import tune_threshold

from .conftest import ROOT

SHIPPED = ROOT / "taxonomies" / "contact_reasons.yaml"


@pytest.fixture(scope="module")
def assigner() -> TopicAssigner:
    return TopicAssigner(load_taxonomy(SHIPPED))


def _call(text: str, call_id: str = "c") -> object:
    return parse_text_transcript(text, call_id=call_id)


def test_topics_opening_drops_greetings_mentions_and_names() -> None:
    assert clean("Hi, good morning! @Acme Support my bill is wrong [PHONE]", ["acme"]) == (
        "my bill is wrong"
    )
    assert clean("您好，@中国联通客服 我的宽带断了 我在:中山路") == "我的宽带断了"
    found = opening(
        _call(
            "agent: Thank you for calling Acme.\ncustomer: Hello?\n"
            "customer: Hi. My parcel never arrived. It was due Monday.\n"
            "customer: My order number is 123."
        )
    )  # type: ignore[arg-type]
    # Greetings (a whole turn, or a sentence) are not read, nor is the agent's script; two
    # customer turns with content are.
    assert [s.quote for s in found.sentences] == [
        "My parcel never arrived.",
        "It was due Monday.",
        "My order number is 123.",
    ]
    assert [s.utterance_id for s in found.sentences] == ["u0003", "u0003", "u0004"]
    assert "Acme" not in found.text and found.text.startswith("My parcel never arrived")


def test_topics_assign_same_reason_in_two_languages(assigner: TopicAssigner) -> None:
    calls = [
        _call(
            "agent: How can I help?\ncustomer: Hello, I was charged twice for the same "
            "month and I want to know why.",
            "en",
        ),
        _call(
            "客服：您好，请问有什么可以帮您？\n客户：你好，我这个月的话费被扣了两次，怎么回事？",
            "zh",
        ),
        _call("customer: my internet keeps cutting out since yesterday", "net"),
        _call("客户：我买的冰箱到现在还没送到。", "order"),
    ]
    found = {a.call_id: a for a in assigner.assign_many(calls)}  # type: ignore[arg-type]
    assert found["en"].topic_id == found["zh"].topic_id == "billing"
    assert found["net"].topic_id == "network"
    assert found["order"].topic_id == "order_delivery"
    evidence = found["zh"].evidence
    assert evidence is not None and evidence.speaker == "customer"
    assert evidence.quote == "你好，我这个月的话费被扣了两次，怎么回事？"
    assert "billing" in evidence.reason and f"{found['zh'].similarity:.2f}" in evidence.reason


def test_topics_assign_leaves_a_call_without_a_reason_unassigned(assigner: TopicAssigner) -> None:
    found = assigner.assign(_call("customer: The weather is lovely today, isn't it?"))  # type: ignore[arg-type]
    assert found.topic_id is None and found.similarity < assigner.threshold
    assert found.best is not None  # the closest topic is still reported, for tuning
    empty = assigner.assign(_call("customer: hello?\nagent: hello"))  # type: ignore[arg-type]
    assert empty.topic_id is None and empty.evidence is None


def test_topics_tune_threshold_reports_out_of_fold_accuracy(assigner: TopicAssigner) -> None:
    texts = {
        "billing": [
            "I was charged twice.",
            "我被多扣了一笔钱。",
            "Why is my bill so high?",
            "账单金额不对。",
        ],
        "network": [
            "No signal at home.",
            "家里没有信号。",
            "The internet is down.",
            "宽带断网了。",
        ],
        "other": ["What a nice day.", "今天天气真好。", "I like your logo.", "我喜欢唱歌。"],
    }
    calls, labels = [], {}
    for label, said in texts.items():
        for n, text in enumerate(said):
            call_id = f"{label}{n}"
            calls.append(_call(f"customer: {text}", call_id))
            labels[call_id] = label
    fit = tune_threshold(assigner, calls, labels, folds=3)  # type: ignore[arg-type]
    assert fit.calls == 12 and len(fit.fold_accuracy) == 3
    assert 0.2 <= fit.threshold <= 0.6
    assert fit.accuracy >= fit.majority  # better than always answering the commonest label
    assert 0 < fit.coverage < 1


def test_topics_rubric_item_applies_only_to_its_topic(tmp_path: Path) -> None:
    rubric = parse_rubric(f"""\
schema: qa-toolkit/rubric@1
id: r
version: 1
taxonomy: {SHIPPED}
sections:
  - id: s
    items:
      - id: explains_charge
        detector: phrase.v1
        speaker: agent
        any: [charge, 费用]
        points: 5
        applies_if: {{topic: billing}}
""", "r.yaml")  # fmt: skip
    billing = score_call(parse_text_transcript(
        "customer: I was charged twice on my bill.\nagent: I will remove the charge.",
        call_id="b"), rubric)  # fmt: skip
    other = score_call(
        parse_text_transcript(
            "customer: My internet is down.\nagent: Let me check the line.", call_id="n"
        ),
        rubric,
    )
    assert billing.items[0].status == "pass"
    item = other.items[0]
    assert item.status == "na"
    assert "contact reason is 'billing'" in item.evidence[0].reason
    assert item.evidence[1].quote == "My internet is down." and "network" in item.evidence[1].reason


def test_topics_calibrate_command_writes_the_tuned_threshold(tmp_path: Path) -> None:
    import shutil

    from click.testing import CliRunner

    from qa_toolkit.cli.main import qa

    calls = tmp_path / "calls"
    calls.mkdir()
    said = {"b0": ("I was charged twice.", "billing"), "b1": ("账单金额不对。", "billing"),
            "b2": ("Why is my bill so high?", "billing"), "n0": ("No signal at home.", "network"),
            "n1": ("家里没有信号。", "network"), "n2": ("The internet is down.", "network"),
            "o0": ("What a nice day.", "other"), "o1": ("今天天气真好。", "other"),
            "o2": ("I like your logo.", "other"), "o3": ("我喜欢唱歌。", "")}  # fmt: skip
    for call_id, (text, _) in said.items():
        (calls / f"{call_id}.txt").write_text(f"customer: {text}\n", "utf-8")
    labels = tmp_path / "labels.csv"
    labels.write_text("call_id,topic\n" + "".join(f"{c},{t}\n" for c, (_, t) in said.items()))
    taxonomy = tmp_path / "reasons.yaml"
    shutil.copy(SHIPPED, taxonomy)
    args = ["taxonomy", "calibrate", str(taxonomy), "--labels", str(labels), "--calls",
            str(calls), "--folds", "2"]  # fmt: skip
    shown = CliRunner().invoke(qa, [*args, "--format", "json"])
    assert shown.exit_code == 0, shown.output
    fit = json.loads(shown.stdout)
    assert fit["calls"] == 10 and len(fit["fold_accuracy"]) == 2
    written = CliRunner().invoke(qa, [*args, "--write"])
    assert written.exit_code == 0 and "version raised" in written.stdout
    tuned = load_taxonomy(taxonomy)
    assert tuned.version == "2" and tuned.threshold == pytest.approx(fit["threshold"])
    labels.write_text("call_id,topic\nb0,bills\n")
    bad = CliRunner().invoke(qa, args)
    assert bad.exit_code == 1 and "line 2: unknown topic 'bills'" in bad.stderr
