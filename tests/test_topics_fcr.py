"""First-contact resolution: repeat contacts linked by customer id or a salted hash of a number,
within the window and about the same reason; the ``repeat_contact`` flag; no number stored."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from qa_toolkit.io.metadata import CallMetadata
from qa_toolkit.io.transcripts import parse_text_transcript
from qa_toolkit.review.drivers import analyse_drivers
from qa_toolkit.review.flags import call_flags
from qa_toolkit.rubric import parse_rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.store import CallRecord, Store
from qa_toolkit.topics.contacts import (
    SALT_ENV,
    digits_of,
    metadata_keys,
    transcript_keys,
)
from qa_toolkit.topics.fcr import ContactCall, fcr_by, link_repeats
from qa_toolkit.topics.kpi import kpi_report
from qa_toolkit.topics.service import flag_repeats, run_topics

from .conftest import ROOT

TAXONOMY = ROOT / "taxonomies" / "contact_reasons.yaml"
RUBRIC = parse_rubric("""\
schema: qa-toolkit/rubric@1
id: tiny
version: 1
sections:
  - id: s
    items:
      - {id: apology, detector: phrase.v1, speaker: agent, any: [sorry, 抱歉], points: 5}
""", "tiny.yaml")  # fmt: skip
BILL = "customer: I was charged twice on my bill this month.\nagent: Sorry, I will fix it."
NET = "customer: My internet has been down since this morning.\nagent: Sorry about that."


def _at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 11, day, hour)


def _call(call_id: str, day: int, topic: str, *keys: str, team: str = "t") -> ContactCall:
    return ContactCall(call_id, _at(day), team, "a1", topic, frozenset(keys))


def test_topics_fcr_links_within_window_and_same_topic_only() -> None:
    calls = [
        _call("a", 1, "billing", "k1"),
        _call("b", 3, "billing", "k1"),  # the same customer, same reason, 2 days later
        _call("c", 12, "billing", "k1"),  # 9 days after b: outside the window
        _call("d", 2, "network", "k1"),  # another reason: no repeat of a
        _call("e", 2, "billing", "k2"),  # another customer
        _call("f", 4, "", "k2"),  # no topic: never linked
        _call("g", 5, "", "k2"),
    ]
    links = link_repeats(calls, window_days=7)
    assert set(links) == {"a"}
    assert links["a"].repeat_call_id == "b" and links["a"].gap_s == 2 * 86400
    assert "2.0 days" in links["a"].reason() and "call b" in links["a"].reason()
    assert link_repeats(calls, window_days=10)["b"].repeat_call_id == "c"
    anything = link_repeats(calls, window_days=7, same_topic=False)
    assert anything["a"].repeat_call_id == "d" and anything["f"].repeat_call_id == "g"
    groups = {g.group: g for g in fcr_by(calls, links, lambda c: c.topic_id or "none")}
    assert groups["billing"].calls == 4 and groups["billing"].repeated == 1
    assert groups["billing"].rate == pytest.approx(0.75)
    # c is the last call seen: its window is still open, so the figure is provisional.
    assert groups["billing"].open >= 1


def test_topics_contact_keys_are_salted_hashes_of_normalised_numbers() -> None:
    salt = b"s3cret"
    written = metadata_keys(salt, "CUST-9", {"phone": "+86 138-0013-8000", "team": "x"})
    spoken = transcript_keys(salt, parse_text_transcript(
        "customer: you can call me back on one three eight, double oh one three, eight "
        "thousand... I mean 13800138000", call_id="c"))  # fmt: skip
    assert [k.kind for k in written] == ["customer_id", "phone"]
    assert spoken and spoken[-1].key == written[1].key  # the same number, said or written
    assert all("13800138000" not in k.key and len(k.key) == 32 for k in written + spoken)
    assert metadata_keys(b"other", "CUST-9")[0].key != written[0].key
    redacted = parse_text_transcript("customer: call me on [PHONE]", call_id="r")
    assert transcript_keys(salt, redacted) == []
    assert digits_of("double five oh one 四二") == "550142"


def _add(store: Store, call_id: str, text: str, day: int, *, customer: str = "",
         phone: str = "", agent: str = "a1", team: str = "care") -> None:  # fmt: skip
    run = store.start_run("test", ["x"], {})
    start = _at(day, 10)
    extra = (("phone", phone),) if phone else ()
    meta = CallMetadata(
        call_id,
        agent_id=agent,
        team=team,
        start_time=start,
        customer_id=customer,
        call_date=start.date().isoformat(),
        extra=extra,
    )
    call = CallRecord(call_id, f"h-{call_id}", "text", (f"{call_id}.txt",), meta)
    transcript = parse_text_transcript(text, call_id=call_id)
    store.save_call(run, call)
    store.save_transcript(run, f"t-{call_id}", call, transcript, producer={}, redaction="none")
    score = score_call(transcript, RUBRIC)
    keys = {"transcript": f"t-{call_id}", "features": f"f-{call_id}", "score": f"s-{call_id}"}
    store.save_score(run, keys, call_id, score, features={"values": {}, "details": {}},
                     producers={"features": {}, "score": {}, "rubric_hash": "h"},
                     terms=RUBRIC.terms)  # fmt: skip


def test_topics_repeat_contacts_are_flagged_and_rated_from_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(SALT_ENV, raising=False)
    path = tmp_path / "qa.db"
    with Store(path) as store:
        _add(store, "first", BILL, 2, customer="C1", agent="ann")
        _add(store, "again", BILL, 4, customer="C1", agent="bob")  # repeat of first
        _add(store, "later", BILL, 20, customer="C1")  # 16 days on: not a repeat
        _add(store, "net", NET, 3, customer="C1")  # the same customer, another reason
        _add(store, "p1", BILL, 5, phone="138 0013 8000", agent="cy")
        # The second call's number is only heard in the call, as the customer says it.
        _add(store, "p2", "customer: I was charged twice, my number is 13800138000.\n"
                          "agent: sorry", 6, agent="cy")  # fmt: skip
        _add(store, "other", BILL, 5, customer="C2")
        result = run_topics(store, since="2026-11-01", until="2026-11-30", taxonomy=TAXONOMY)
        assert {c.call_id: c.topic_id for c in result.run.calls}["net"] == "network"
        repeats = {r.call_id: r.repeat_call_id for r in result.repeats}
        assert repeats == {"first": "again", "p1": "p2"}
        kinds = [f.kind for f in call_flags(store, "s-first")]
        assert kinds.count("repeat_contact") == 1
        passes = store.conn.execute("SELECT COUNT(*) FROM flag_runs").fetchone()[0]
        assert len(flag_repeats(store, "2026-11-01", "2026-11-30")) == 2
        assert store.conn.execute("SELECT COUNT(*) FROM flag_runs").fetchone()[0] == passes
        assert "repeat_contact" not in [f.kind for f in call_flags(store, "s-later")]
        reason = next(f.reason for f in call_flags(store, "s-first") if f.kind == "repeat_contact")
        assert "call again" in reason
        report = kpi_report(store, since="2026-11-01", until="2026-11-30")
        fcr = report.kpi("fcr")
        assert fcr.value == pytest.approx(1 - 2 / 7)
        agents = {g.group: g for g in report.fcr_by_agent}
        assert agents["ann"].rate == 0.0 and agents["bob"].rate == 1.0
        assert agents["cy"].repeated == 1 and agents["cy"].calls == 2
        topics = {g.group: g for g in report.fcr_by_topic}
        assert topics["billing"].repeated == 2 and topics["network"].repeated == 0
        drivers = analyse_drivers(store, by="topic")
        assert {g.group for g in drivers.groups} == {"billing", "network"}
    # What topics store holds salted hashes, never the customer id or the number (the calls
    # table keeps the metadata as given, and this test stored the transcripts unredacted).
    with sqlite3.connect(path) as conn:
        keys = [r[0] for r in conn.execute("SELECT contact_key FROM contact_keys")]
        ours = " ".join(
            str(v)
            for table in ("contact_keys", "call_topics", "topics")
            for row in conn.execute(f"SELECT * FROM {table}")
            for v in row
        )
    assert len(keys) >= 6 and all(len(k) == 32 for k in keys)
    assert "13800138000" not in ours and "C1" not in ours and "138 0013" not in ours
    assert "[PHONE]" in ours  # the evidence quote of p2 was redacted before it was kept
    assert Path(f"{path}.salt").stat().st_mode & 0o077 == 0
