"""Topic discovery with the real encoder: one topic per reason across languages, seeded, and
stable from day to day in a store; the ``qa topics --format json`` contract."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa_toolkit.cli.main import qa
from qa_toolkit.errors import UsageError
from qa_toolkit.io.metadata import CallMetadata
from qa_toolkit.store import CallRecord, Store
from qa_toolkit.store import topics as topic_sql
from qa_toolkit.topics.discover import find_topics
from qa_toolkit.topics.promote import promote_topic
from qa_toolkit.topics.service import run_topics, topic_of_calls
from qa_toolkit.topics.text import opening
from qa_toolkit.types import Transcript, Utterance

from .conftest import ROOT

# Written for these tests: three reasons, five ways each, in English and in Chinese.
CALLS = {
    "billing": {
        "en": [
            "I was charged twice for the same month.",
            "There is a fee on my bill I don't recognise.",
            "My bill is much higher than usual this time.",
            "You took money from my account twice.",
            "Why am I paying for a service I cancelled last month?",
        ],
        "zh": [
            "这个月的话费被扣了两次。",
            "账单上有一笔我不认识的费用。",
            "这次的账单比平时高了很多。",
            "你们从我卡里重复扣款了。",
            "我上个月已经退订了，为什么还在扣费？",
        ],
    },
    "network": {
        "en": [
            "My internet keeps dropping every few minutes.",
            "There's no mobile signal in my flat.",
            "The broadband has been down since yesterday evening.",
            "Calls cut off as soon as I leave the house.",
            "The wifi is so slow I can't even load a page.",
        ],
        "zh": [
            "家里的网络每隔几分钟就断一次。",
            "我住的地方手机完全没有信号。",
            "宽带从昨天晚上开始就上不了网。",
            "一出门打电话就断线。",
            "网速慢得连网页都打不开。",
        ],
    },
    "delivery": {
        "en": [
            "My parcel still hasn't arrived after two weeks.",
            "The courier says delivered but I got nothing.",
            "Where is my order? It was due on Monday.",
            "The package came damaged and opened.",
            "The tracking number doesn't show any updates.",
        ],
        "zh": [
            "包裹两个星期了还没收到。",
            "快递显示已签收，但我什么都没拿到。",
            "我的订单呢？说好周一送到的。",
            "收到的包裹是破的，还被拆开过。",
            "物流单号一直没有更新。",
        ],
    },
}


def _transcript(call_id: str, said: str, language: str) -> Transcript:
    return Transcript(call_id, (
        Utterance("u1", "agent", 0.0, 2.0, "Thank you for calling Acme, how can I help?"),
        Utterance("u2", "customer", 2.0, 6.0, f"Hello. {said}"),
    ), language=language)  # fmt: skip


def _calls(reasons: tuple[str, ...], prefix: str = "") -> list[Transcript]:
    return [_transcript(f"{prefix}{reason}-{lang}-{n}", said, lang)
            for reason in reasons for lang, texts in CALLS[reason].items()
            for n, said in enumerate(texts)]  # fmt: skip


def _reason(call_id: str) -> str:
    return call_id.split("-")[0].split("_")[-1]


def test_topics_discover_groups_each_reason_across_languages() -> None:
    calls = _calls(("billing", "network", "delivery"))
    run = find_topics([opening(t) for t in calls])
    placed = [t for t in run.topics if t.call_ids]
    assert len(placed) == 3
    for topic in placed:
        reasons = {_reason(c) for c in topic.call_ids}
        languages = {c.split("-")[1] for c in topic.call_ids}
        assert len(reasons) == 1 and languages == {"en", "zh"}, topic.call_ids
        assert topic.name["en"] and topic.name["zh"] and topic.examples
        assert topic.status == "active" and topic.new
    assigned = [c for c in run.calls if c.topic_id is not None]
    assert len(assigned) >= 26  # a straggler or two may sit outside every cluster
    assert all(c.evidence is not None and c.evidence.quote for c in assigned)
    # Seeded: the same calls, in another order, give the same topics.
    again = find_topics([opening(t) for t in reversed(calls)])
    assert again.to_dict() == run.to_dict()


def _save(store: Store, calls: list[Transcript], day: str) -> None:
    run = store.start_run("test", ["x"], {})
    for n, transcript in enumerate(calls):
        meta = CallMetadata(transcript.call_id, agent_id="a1", team="care",
                            start_time=datetime.fromisoformat(f"{day}T09:{n:02d}:00"),
                            call_date=day)  # fmt: skip
        call = CallRecord(transcript.call_id, f"h-{transcript.call_id}", "text", ("x.txt",), meta)
        store.save_call(run, call)
        store.save_transcript(run, f"t-{transcript.call_id}", call, transcript, producer={},
                              redaction="none")  # fmt: skip


def test_topics_new_days_map_onto_stored_topics_and_propose_new_ones(tmp_path: Path) -> None:
    with Store(tmp_path / "qa.db") as store:
        _save(store, _calls(("billing", "network"), "d1_"), "2026-11-20")
        first = run_topics(store, since="2026-11-20")
        ids = {_reason(c.call_id): c.topic_id for c in first.run.calls if c.topic_id}
        assert len(set(ids.values())) == 2 and first.saved == 20
        _save(store, _calls(("billing", "network", "delivery"), "d2_"), "2026-11-21")
        second = run_topics(store, since="2026-11-21")
        by_topic: dict[str | None, set[str]] = {}
        for call in second.run.calls:
            by_topic.setdefault(call.topic_id, set()).add(_reason(call.call_id))
        # Yesterday's reasons keep yesterday's topics ...
        assert by_topic[ids["billing"]] == {"billing"}
        assert by_topic[ids["network"]] == {"network"}
        # ... and the new reason is proposed as a new topic.
        new = [t for t in second.run.topics if t.new]
        assert new and all(t.status == "proposed" for t in new)
        assert {r for t in new for r in map(_reason, t.call_ids)} == {"delivery"}
        stored = topic_of_calls(store, ["d1_billing-en-0", "d2_billing-zh-3", "d2_delivery-en-0"])
        assert stored["d1_billing-en-0"] == stored["d2_billing-zh-3"] == ids["billing"]
        assert stored["d2_delivery-en-0"] in {t.topic_id for t in new} | {""}
        # The proposed topic is promoted into (a copy of) the taxonomy ...
        taxonomy = tmp_path / "reasons.yaml"
        shutil.copy(ROOT / "taxonomies" / "contact_reasons.yaml", taxonomy)
        biggest = max(new, key=lambda t: len(t.call_ids))
        written = promote_topic(store, biggest.topic_id, taxonomy, new_id="parcels")
        assert written.version == "2" and written.ids[-1] == "parcels"
        assert {lang for lang, _ in written.topic("parcels").examples} == {"en", "zh"}
        assert "# Why customers get in touch" in taxonomy.read_text("utf-8")  # comments kept
        rows = {r.topic_id: r for r in topic_sql.topic_rows(store.conn, "discovered")}
        assert rows[biggest.topic_id].status == "promoted"
        assert rows[biggest.topic_id].taxonomy == "contact_reasons@2:parcels"
        with pytest.raises(UsageError, match="already has a topic 'parcels'"):
            promote_topic(store, biggest.topic_id, taxonomy, new_id="parcels")
        # ... and the next run assigns those calls to it by the taxonomy.
        third = run_topics(store, since="2026-11-21", taxonomy=taxonomy)
        moved = {c.topic_id for c in third.run.calls if c.call_id in biggest.call_ids}
        assert moved == {"parcels"}


def test_topics_cli_json_contract(tmp_path: Path) -> None:
    folder = tmp_path / "calls"
    folder.mkdir()
    for call in _calls(("billing", "network", "delivery")):
        said = call.utterances[1].text
        (folder / f"{call.call_id}.txt").write_text(
            f"agent: Thank you for calling.\ncustomer: {said}\n", "utf-8"
        )
    taxonomy = Path(__file__).resolve().parents[1] / "taxonomies" / "contact_reasons.yaml"
    result = CliRunner().invoke(qa, ["topics", str(folder), "--format", "json",
                                     "--taxonomy", str(taxonomy)])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) >= {"topics", "calls"}
    assert len(data["calls"]) == 30
    assert {c["call_id"] for c in data["calls"]} == {p.stem for p in folder.iterdir()}
    known = {t["id"] for t in data["topics"]}
    for call in data["calls"]:
        assert set(call) >= {"call_id", "topic"} and (
            call["topic"] is None or call["topic"] in known
        )
    for topic in data["topics"]:
        assert set(topic) >= {"id", "name", "key_phrases", "calls", "share", "examples"}
        assert set(topic["name"]) == {"en", "zh"} and topic["calls"] >= 1
        assert topic["share"] == pytest.approx(topic["calls"] / 30, abs=1e-4)
    by_id = {c["call_id"]: c["topic"] for c in data["calls"]}
    assert by_id["billing-en-0"] == by_id["billing-zh-0"] == "billing"
    assert by_id["network-en-1"] == by_id["network-zh-1"] == "network"
    text = CliRunner().invoke(qa, ["topics", str(folder)])
    assert text.exit_code == 0 and "30 calls" in text.stdout
