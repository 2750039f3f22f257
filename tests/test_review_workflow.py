"""The review workflow: transitions, overrides, appeals, audit history and conflicts."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from qa_toolkit.errors import (
    InvalidTransitionError,
    ReviewConflictError,
    ReviewError,
    StaleRubricError,
    UnknownCallError,
    UnknownItemError,
    UsageError,
)
from qa_toolkit.review import (
    decide_appeal,
    file_appeal,
    history,
    item_overrides,
    override_item,
    review_queue,
    review_state,
    set_status,
)
from qa_toolkit.store import Store

from .review_helpers import RUDE, add_call, default_rubric


@pytest.fixture()
def store(store_location: str) -> Store:
    """A store with one rude call, on SQLite and on PostgreSQL."""
    st = Store(store_location)
    add_call(st, "c1", text=RUDE)
    yield st
    st.close()


def test_review_workflow_walks_open_in_review_confirmed(store: Store) -> None:
    assert review_state(store, "c1").status == "open"
    state = set_status(store, "c1", "in_review", reviewer="mei", expected_version=0)
    assert (state.status, state.reviewer, state.version) == ("in_review", "mei", 1)
    state = set_status(store, "c1", "confirmed", reviewer="mei", note="rude", expected_version=1)
    assert (state.status, state.note, state.version) == ("confirmed", "rude", 2)
    assert state.updated_at


def test_review_workflow_rejects_invalid_transitions(store: Store) -> None:
    set_status(store, "c1", "dismissed", reviewer="mei")
    with pytest.raises(InvalidTransitionError, match="dismissed; it cannot go to confirmed"):
        set_status(store, "c1", "confirmed", reviewer="mei")
    with pytest.raises(InvalidTransitionError):
        set_status(store, "c1", "open", reviewer="mei")
    # Reopening goes through in_review; the rejected attempts left no trace.
    assert set_status(store, "c1", "in_review", reviewer="lee").status == "in_review"
    assert [e.status for e in history(store, "c1")] == ["dismissed", "in_review"]


def test_review_workflow_rejects_bad_arguments(store: Store) -> None:
    with pytest.raises(UsageError, match="unknown review status"):
        set_status(store, "c1", "done", reviewer="mei")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="reviewer is required"):
        set_status(store, "c1", "confirmed", reviewer=" ")
    with pytest.raises(UsageError, match="reason is required"):
        override_item(store, "c1", "greeting", "pass", reviewer="mei", reason="")


def test_review_workflow_unknown_call_and_item_are_clear(store: Store) -> None:
    with pytest.raises(UnknownCallError, match="no scored call 'nope'"):
        review_state(store, "nope")
    with pytest.raises(UnknownItemError, match="has no item 'greetng'.*use one of"):
        override_item(store, "c1", "greetng", "pass", reviewer="mei", reason="typo")
    with pytest.raises(UnknownItemError):
        file_appeal(store, "c1", reason="x", item_id="greetng")


def test_review_workflow_refuses_a_call_scored_with_an_older_rubric(store: Store) -> None:
    newer = dataclasses.replace(default_rubric(), version="999")
    with pytest.raises(StaleRubricError, match="scored with rubric default v.*not default v999"):
        set_status(store, "c1", "confirmed", reviewer="mei", rubric=newer)
    with pytest.raises(StaleRubricError):
        override_item(store, "c1", "greeting", "pass", reviewer="m", reason="r", rubric=newer)
    same = default_rubric()
    assert set_status(store, "c1", "confirmed", reviewer="mei", rubric=same).version == 1


def test_review_workflow_override_keeps_the_automatic_result(store: Store) -> None:
    failed = next(i for i in add_call(store, "c2", text=RUDE).items if i.status == "fail")
    done = override_item(store, "c2", failed.item_id, "pass", reviewer="mei", reason="heard it")
    assert (done.auto_status, done.status) == ("fail", "pass")
    assert done.points == done.max_points == failed.max_points and done.auto_points == 0
    override_item(store, "c2", failed.item_id, "na", reviewer="lee", reason="no account action")
    (current,) = item_overrides(store, "c2")
    assert (current.status, current.reviewer, current.auto_status) == ("na", "lee", "fail")
    # The automatic result in the store is untouched.
    row = store.conn.execute(
        "SELECT status FROM item_results WHERE item_id = ? AND score_key LIKE 's-c2-%'",
        (failed.item_id,),
    ).fetchone()
    assert row[0] == "fail"
    assert [e.status for e in history(store, "c2")] == ["pass", "na"]


def test_review_workflow_concurrent_reviews_keep_both(tmp_path: Path, store: Store) -> None:
    # Two reviewers read version 0 in two connections; both decide.
    other = Store(store.location)
    seen_a = review_state(store, "c1").version
    seen_b = review_state(other, "c1").version
    set_status(store, "c1", "confirmed", reviewer="mei", expected_version=seen_a)
    with pytest.raises(ReviewConflictError, match="changed since version 0") as caught:
        set_status(other, "c1", "dismissed", reviewer="lee", expected_version=seen_b)
    other.close()
    assert (caught.value.expected_version, caught.value.current_version) == (0, 1)
    state = review_state(store, "c1")
    assert (state.status, state.reviewer) == ("confirmed", "mei")
    entries = history(store, "c1")
    assert [(e.reviewer, e.status, e.conflict) for e in entries] == [
        ("mei", "confirmed", False),
        ("lee", "dismissed", True),
    ]
    assert entries[1].expected_version == 0


def test_review_workflow_appeal_is_decided_then_locked(store: Store) -> None:
    filed = file_appeal(store, "c1", reason="the customer asked me to skip", item_id="greeting")
    assert (filed.status, filed.agent_id, filed.item_id, filed.final) == (
        "open",
        "a7",
        "greeting",
        False,
    )
    interim = decide_appeal(store, filed.appeal_id, "rejected", reviewer="mei", reason="x",
                            final=False)  # fmt: skip
    assert (interim.status, interim.final) == ("rejected", False)
    done = decide_appeal(store, filed.appeal_id, "upheld", reviewer="lee", reason="audio agrees")
    assert (done.status, done.final, done.reviewer, done.decision_reason) == (
        "upheld", True, "lee", "audio agrees",
    )  # fmt: skip
    with pytest.raises(InvalidTransitionError, match="is final"):
        decide_appeal(store, filed.appeal_id, "rejected", reviewer="boss", reason="no")
    with pytest.raises(ReviewError, match="no appeal"):
        decide_appeal(store, "ap-missing", "rejected", reviewer="boss", reason="no")
    actions = [(e.action, e.status, e.reviewer) for e in history(store, "c1")]
    assert actions == [
        ("appeal_filed", "open", "a7"),
        ("appeal_decided", "rejected", "mei"),
        ("appeal_decided", "upheld", "lee"),
    ]
    assert dict(history(store, "c1")[2].to_dict()["detail"]) == {
        "appeal_id": filed.appeal_id, "final": True,
    }  # fmt: skip


def test_review_workflow_history_is_append_only_and_queue_shows_status(store: Store) -> None:
    set_status(store, "c1", "in_review", reviewer="mei")
    set_status(store, "c1", "confirmed", reviewer="mei")
    versions = [e.version for e in history(store, "c1")]
    assert versions == [1, 2]
    (entry,) = review_queue(store)
    assert (entry.call_id, entry.status, entry.version) == ("c1", "confirmed", 2)
    assert {f.kind for f in entry.flags} >= {"below_threshold"}
    assert review_queue(store, status="open") == ()
    with pytest.raises(UsageError):
        review_queue(store, status="closed")


def test_review_workflow_racing_reviewers_one_wins_the_rest_are_kept_apart(store: Store) -> None:
    # Six reviewers, each in a connection of their own, decide on version 0 at once: the
    # write lock lets exactly one apply; the others are recorded as conflicts.
    import threading

    barrier, outcomes = threading.Barrier(6), []

    def decide(n: int) -> None:
        with Store(store.location) as mine:
            barrier.wait()
            try:
                set_status(mine, "c1", "confirmed", reviewer=f"r{n}", expected_version=0)
                outcomes.append("applied")
            except ReviewConflictError:
                outcomes.append("conflict")

    threads = [threading.Thread(target=decide, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["applied"] + ["conflict"] * 5
    entries = history(store, "c1")
    assert len(entries) == 6 and sum(not e.conflict for e in entries) == 1
    assert review_state(store, "c1").version == 1
