"""The web queue's read model at small scale, on both backends: ranked rows kept up to date,
pages that follow on from each other in the right order, and counts that follow writes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

pytest.importorskip("flask", reason="pip install qa-toolkit[web]")

from qa_toolkit.review.priority import stored_priorities  # noqa: E402
from qa_toolkit.store import Filters, Store  # noqa: E402
from qa_toolkit.store.connection import transaction, utc_now  # noqa: E402
from qa_toolkit.store.reviews import record_flag_run  # noqa: E402
from qa_toolkit.web import queries  # noqa: E402
from qa_toolkit.web.demo import TERMS, seed_store  # noqa: E402

CALLS = 170  # three pages of flagged calls


def _flag(store: Store, flags: list[tuple[str, str, str]], at: str, run: str = "fr-1") -> None:
    row = {"flag_run_id": run, "rules": "{}", "sample_rate": 0.0, "seed": 0, "calls": 1,
           "flagged": len(flags), "sampled": 0, "created_at": at}  # fmt: skip
    with transaction(store.conn, store.path) as conn:
        record_flag_run(conn, row, flags)


def _key(store: Store, call_id: str) -> str:
    found = queries.latest_score_key(store, call_id)
    assert found is not None
    return found


def _expected(store: Store) -> list[str]:
    """The flagged calls ranked independently: each call's newest score as reviewed, its
    priority from its stored numbers and flags, highest first, then by call id."""
    rows = store.score_rows(Filters(flagged=True))
    ranks = stored_priorities(
        store.conn,
        [(r.score_key, r.score, r.outcome_resolved, r.outcome_satisfaction, r.predicted_low)
         for r in rows],
    )  # fmt: skip
    return [r.call_id for r in sorted(rows, key=lambda r: (-ranks[r.score_key].value, r.call_id))]


def _all_pages(store: Store, query: queries.QueueQuery) -> list[str]:
    first = queries.queue(store, query)
    ids = [r.call_id for r in first.rows]
    for page in range(2, first.pages + 1):
        ids += [r.call_id for r in queries.queue(store, replace(query, page=page)).rows]
    return ids


@pytest.fixture()
def store(store_location: str) -> Store:
    seed_store(store_location, CALLS)
    with Store(store_location) as opened:
        # Review-rule flags of several strengths, so priorities differ beyond the demo's few.
        flags = [(_key(opened, f"call-{n:05d}"), kind, "rule")
                 for n, kind in ((4, "risk_escalation"), (7, "outlier"), (10, "sample"),
                                 (55, "risk_cancel"), (100, "outlier"))]  # fmt: skip
        _flag(opened, flags, utc_now())
    reopened = Store(store_location)
    yield reopened
    reopened.close()


def test_web_scale_pages_follow_the_priority_order(store: Store) -> None:
    expected = _expected(store)
    first = queries.queue(store, queries.QueueQuery())
    assert first.total == len(expected) > 2 * queries.PAGE_SIZE
    assert first.pages == -(-len(expected) // queries.PAGE_SIZE)
    assert _all_pages(store, queries.QueueQuery()) == expected
    backwards = _all_pages(store, queries.QueueQuery(descending=True))
    assert backwards == expected[::-1]
    # Each row's priority is its reason's, and they never rise down the page.
    values = [r.priority for r in first.rows]
    assert values == sorted(values, reverse=True) and first.rows[0].why


def test_web_scale_filters_and_counts_match_a_direct_count(store: Store) -> None:
    page = queries.queue(store, queries.QueueQuery(team="sales", kind="escalation"))
    rows = [r for r in store.score_rows(Filters(flagged=True, team="sales"))
            if "escalation" in store.score_brief(r.score_key)[1]]  # fmt: skip
    assert page.total == len(rows) and {r.call_id for r in page.rows} <= {r.call_id for r in rows}
    everything = queries.queue(store, queries.QueueQuery())
    flags = store.flag_rows(Filters(flagged=True))
    direct = {kind: sum(1 for f in flags if f.kind == kind) for kind in {f.kind for f in flags}}
    assert dict(everything.kind_counts) == direct
    # A page past the end shows the last page.
    last = queries.queue(store, queries.QueueQuery(page=99))
    assert last.page == everything.pages and last.rows


def test_web_scale_search_pages_newest_first(store: Store) -> None:
    query = queries.QueueQuery(flagged_only=False, sort="date", descending=True)
    ids = _all_pages(store, query)
    calls = {r.call_id: r.call_date for r in store.score_rows()}
    assert sorted(ids) == sorted(calls)
    assert ids == sorted(calls, key=lambda c: (calls[c], c), reverse=True)


def test_web_scale_ranks_follow_new_scores_and_flags(store: Store) -> None:
    before = _all_pages(store, queries.QueueQuery())
    last = before[-1]
    # A review-rule flag on the lowest-ranked call moves it up.
    _flag(store, [(_key(store, last), "risk_abuse", "shouting")], utc_now(), run="fr-2")
    after = queries.queue(store, queries.QueueQuery())
    moved = _all_pages(store, queries.QueueQuery())
    assert moved == _expected(store) and moved.index(last) < before.index(last)
    # A newer score that passes takes the call out of the queue, and the total follows.
    scored, _ = store.call_score(_key(store, last))
    good = replace(scored, score=100.0, raw_score=100.0, band="excellent", flags=())
    keys = {"transcript": f"t{int(last[5:])}", "features": "f-new", "score": "s-new"}
    run_id = store.start_run("rescore", [], {})
    store.save_score(run_id, keys, last, good, features={}, terms=TERMS,
                     producers={"features": {}, "score": {}, "rubric_hash": "x"})  # fmt: skip
    rescored = queries.queue(store, queries.QueueQuery())
    assert last not in _all_pages(store, queries.QueueQuery())
    assert rescored.total == after.total - 1
    assert _all_pages(store, queries.QueueQuery()) == _expected(store)


def test_web_scale_a_late_commit_is_still_ranked(store: Store) -> None:
    queries.queue(store, queries.QueueQuery())
    mark = store.conn.execute("SELECT value FROM queue_rank_state WHERE name = 'mark'")
    ranked_at = str(mark.fetchone()[0])
    # A writer that took its time before waiting for the lock commits after the last look.
    late = (datetime.fromisoformat(ranked_at) - timedelta(seconds=30)).isoformat()
    call = _expected(store)[-1]
    _flag(store, [(_key(store, call), "risk_regulator", "ombudsman")], late, run="fr-3")
    # No newest write time moved: the next look over the window (every few seconds) finds it.
    assert queries.refresh_ranks(store, force=True) == 1
    ranked = _all_pages(store, queries.QueueQuery())
    assert ranked == _expected(store) and ranked.index(call) < len(ranked) - 1


def test_web_scale_server_connections_are_kept_between_requests(store: Store) -> None:
    from qa_toolkit.web import create_app

    app = create_app(store.location.url or str(store.location.path), user="mei")
    client = app.test_client()
    for _ in range(3):
        assert client.get("/").status_code == 200
    pool = app.extensions.get("qa_store_pool")
    if store.is_server:
        assert pool is not None and len(pool.idle) == 1  # one connection served all three
        assert not pool.idle[0].conn.in_transaction
    else:
        assert pool is None  # a SQLite connection belongs to its thread: one per request


@pytest.mark.parametrize("walk_most", [0, 10**9])
def test_web_scale_search_by_words_finds_the_same_calls_either_way(
    store: Store, walk_most: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 0: always the semi-join; a billion: always walk the order (on PostgreSQL; SQLite walks).
    from qa_toolkit.web import search_index

    monkeypatch.setattr(queries, "WALK_MOST", walk_most)
    search_index.refresh(store, search_index.IndexState(), force=True)
    rare = ("call-00003", "call-00077", "call-00160")
    with transaction(store.conn, store.where) as conn:
        conn.executemany(
            "UPDATE call_text SET text = text || ' the zebrafish tank' WHERE call_id = ?",
            [(c,) for c in rare],
        )
    calls = [str(r[0]) for r in store.conn.execute("SELECT call_id FROM call_text")]
    assert len(calls) == CALLS
    for word, expected in (("replacement", calls), ("zebrafish", rare)):
        query = queries.QueueQuery(flagged_only=False, sort="date", descending=True, said=word)
        ids = _all_pages(store, query)
        assert sorted(ids) == sorted(expected)
        assert queries.queue(store, query).total == len(expected)
