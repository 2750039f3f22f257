"""Coaching: assignments, timed comments, coaching notes and acknowledgement, the case library
and its export, redaction of the workspace's free text, and search over what calls say."""

from __future__ import annotations

import csv
import io
import json

import pytest

from qa_toolkit.errors import InvalidTransitionError, ReviewError, UnknownCallError, UsageError
from qa_toolkit.review import coaching
from qa_toolkit.store import CallRecord, Store
from qa_toolkit.types import Transcript, Utterance

pytest.importorskip("flask", reason="pip install qa-toolkit[web]")

from qa_toolkit.web import queries, search_index  # noqa: E402
from qa_toolkit.web.demo import seed_store  # noqa: E402


@pytest.fixture()
def store(store_location: str) -> str:
    """12 demo calls, every fifth in Mandarin (call-00004, call-00009), on both backends."""
    seed_store(store_location, 12, chinese_every=5)
    return store_location


def test_coaching_assignment_replaces_and_lists_per_reviewer(store: str) -> None:
    coaching.assign_call(store, "call-00001", "mei", by="wu", note="listen to the close")
    coaching.assign_call(store, "call-00002", "mei", by="wu")
    coaching.assign_call(store, "call-00001", "li", by="wu")  # reassigned
    assert [a.call_id for a in coaching.assignments(store, "mei")] == ["call-00002"]
    (moved,) = coaching.assignments(store, "li")
    assert (moved.call_id, moved.assigned_by, moved.agent_id, moved.score) == (
        "call-00001", "wu", "agent1", 60.0,
    )  # fmt: skip
    coaching.unassign_call(store, "call-00002")
    assert coaching.assignment(store, "call-00002") is None
    with pytest.raises(UnknownCallError):
        coaching.assign_call(store, "no-such-call", "mei", by="wu")


def test_coaching_comments_in_call_order_untimed_last(store: str) -> None:
    coaching.add_comment(store, "call-00001", "overall: rushed", author="mei")
    coaching.add_comment(store, "call-00001", "hand-off here", author="mei", at_s=17.25)
    coaching.add_comment(store, "call-00001", "good greeting", author="li", at_s=1.0)
    found = coaching.comments(store, "call-00001")
    assert [(c.at_s, c.body) for c in found] == [
        (1.0, "good greeting"), (17.25, "hand-off here"), (None, "overall: rushed"),
    ]  # fmt: skip
    for bad in (dict(body=" "), dict(body="x", at_s=-1.0), dict(body="x", at_s=float("nan")),
                dict(body="x" * 2001)):  # fmt: skip
        with pytest.raises(UsageError):
            coaching.add_comment(store, "call-00001", author="mei", **bad)  # type: ignore[arg-type]


def test_coaching_note_acknowledged_once_by_its_agent(store: str) -> None:
    note = coaching.add_coaching_note(store, "agent1", "Say when the fix arrives", author="mei",
                                      call_id="call-00001", item_id="resolution")  # fmt: skip
    with pytest.raises(UsageError, match="agent1's"):
        coaching.add_coaching_note(store, "agent2", "x", author="mei", call_id="call-00001")
    with pytest.raises(ReviewError, match="another agent"):
        coaching.acknowledge_note(store, note.note_id, agent_id="agent2")
    done = coaching.acknowledge_note(store, note.note_id, agent_id="agent1", reply="will do")
    assert done.acknowledged and done.reply == "will do" and done.item_id == "resolution"
    with pytest.raises(InvalidTransitionError):
        coaching.acknowledge_note(store, note.note_id, agent_id="agent1")
    assert [n.note_id for n in coaching.coaching_notes(store, call_id="call-00001")] == [
        note.note_id
    ]


def test_coaching_case_library_browse_and_export(store: str) -> None:
    coaching.add_case(store, "call-00000", "bad", "Blame", by="mei", note="passes it on", at_s=9)
    coaching.add_case(store, "call-00004", "good", "greeting", by="mei")
    with pytest.raises(UsageError):
        coaching.add_case(store, "call-00001", "ugly", "x", by="mei")
    assert coaching.case_tags(store) == (("blame", 1), ("greeting", 1))
    (bad,) = coaching.cases(store, tag="blame")
    assert (bad.call_id, bad.example, bad.at_s, bad.agent_id) == (
        "call-00000",
        "bad",
        9.0,
        "agent0",
    )
    lines = coaching.export_cases(store, "jsonl").splitlines()
    rows = [json.loads(line) for line in lines]
    assert {r["call_id"] for r in rows} == {"call-00000", "call-00004"}
    chinese = next(r for r in rows if r["call_id"] == "call-00004")
    assert chinese["language"] == "zh" and chinese["schema"] == "qa-toolkit/case@1"
    said = " ".join(u["text"] for u in chinese["utterances"])
    assert "13800138000" not in said and "[PHONE]" in said  # stored raw, exported redacted
    table = list(csv.DictReader(io.StringIO(coaching.export_cases(store, "csv", example="bad"))))
    assert [r["call_id"] for r in table] == ["call-00000"]
    assert table[0]["transcript"].startswith("agent: Thank you for calling")
    with pytest.raises(UsageError):
        coaching.export_cases(store, "xlsx")


def test_coaching_redaction_reaches_the_workspace_text(store: str) -> None:
    coaching.add_comment(store, "call-00001", "customer said call 415-555-0199", author="mei")
    note = coaching.add_coaching_note(store, "agent1", "never read back 4111 1111 1111 1111",
                                      author="mei", call_id="call-00001")  # fmt: skip
    coaching.add_case(store, "call-00001", "bad", "privacy", by="mei", note="mail a@b.example")
    from qa_toolkit.privacy import redact_text, redact_transcript_json

    with Store(store) as st:
        search_index.refresh(st, search_index.IndexState())
        counts = st.scrub(transcript_fn=redact_transcript_json, text_fn=redact_text,
                          redaction="default", call_ids=["call-00001"])  # fmt: skip
        texts = [r[0] for r in st.conn.execute("SELECT text FROM call_text")]
    assert counts.rows >= 3
    assert "415-555-0199" not in coaching.comments(store, "call-00001")[0].body
    assert "4111" not in coaching.coaching_note(store, note.note_id).body
    assert "a@b.example" not in coaching.cases(store, call_id="call-00001")[0].note
    assert len(texts) == 11  # the scrubbed call's index row is dropped, to be read again


def test_coaching_search_by_words_finds_unflagged_calls_and_masks_numbers(store: str) -> None:
    state = search_index.IndexState()
    with Store(store) as st:
        assert search_index.refresh(st, state) == 12
        assert search_index.refresh(st, state) == 0  # up to date (and within the interval)

        def find(words: str, **more: object) -> list[str]:
            query = queries.QueueQuery(
                flagged_only=False, sort="call", said=search_index.query_text(words), **more
            )  # type: ignore[arg-type]
            return [r.call_id for r in queries.queue(st, query).rows]

        chinese = ["call-00004", "call-00009"]
        assert find("经理") == chinese  # call-00004 scores 100: not in the flagged queue
        assert find("經理") == chinese  # traditional characters find simplified
        assert find("SPEAK TO YOUR") == [f"call-{n:05d}" for n in range(12) if n not in (4, 9)]
        assert find("13800138000") == [] and find("415-555") == []  # raw numbers not indexed
        assert find("[phone]") == [f"call-{n:05d}" for n in range(12)]
        assert find("100%") == []  # % is a character, not a wildcard
        like = queries.QueueQuery(flagged_only=False, sort="call", call_like="call_0000")
        assert queries.queue(st, like).total == 0  # _ is a character too
        # A call with a new transcript is indexed again before the next search by words.
        record = CallRecord("call-00000", "h-new", "text", ("/x.txt",), _meta(st, "call-00000"))
        said = Transcript("call-00000", (Utterance("u0", "customer", 0, 2, "refund please"),))
        st.save_transcript("r", "t-new", record, said, producer={}, redaction="default")
        assert search_index.refresh(st, state, force=True) == 1
        assert find("refund") == ["call-00000"]


def _meta(st: Store, call_id: str) -> object:
    from qa_toolkit.io.metadata import CallMetadata

    row = st.call_metadata(call_id)
    return CallMetadata(call_id, agent_id=row["agent_id"], team=row["team"],
                        call_date=row["call_date"])  # fmt: skip
