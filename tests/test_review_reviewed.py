"""The reviewed score is the score: overrides and upheld appeals re-total the call everywhere.

The calls are the project's samples, stored by a real batch: ``long_hold`` (its truth
transcript) fails the critical ``identity_verified`` item and scores 0; ``chat_en`` passes.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner

from qa_toolkit.batch import BatchOptions, run_batch
from qa_toolkit.cli.main import qa
from qa_toolkit.review import decide_appeal, file_appeal, override_item, review_queue
from qa_toolkit.review.causes import rescore
from qa_toolkit.review.reviewed import verdicts_in_force
from qa_toolkit.review.workflow import history
from qa_toolkit.scoring.totals import Verdict, with_verdicts
from qa_toolkit.scoring.types import ScoreTerms
from qa_toolkit.store import Store
from qa_toolkit.store.connection import connect
from qa_toolkit.store.schema import MIGRATIONS, SCHEMA_VERSION, TABLES

from .conftest import SAMPLES
from .review_helpers import add_call, default_rubric, store_at
from .test_review_causes import _random_score

HOLD = "long_hold.truth"  # the call id of samples/long_hold.truth.json
ITEM = "identity_verified"
WHY = "verified by the IVR before the call reached the agent"


@pytest.fixture(scope="module")
def batched(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("reviewed")
    run_batch([SAMPLES / "long_hold.truth.json", SAMPLES / "chat_en.txt"],
              default_rubric().source, store=folder / "qa.db",
              options=BatchOptions(acoustics=False))  # fmt: skip
    with Store(folder / "qa.db") as store:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return folder / "qa.db"


@pytest.fixture()
def db(batched: Path, tmp_path: Path) -> str:
    """A fresh copy of the batched store for each test."""
    shutil.copy(batched, tmp_path / "qa.db")
    return str(tmp_path / "qa.db")


def _run(*args: str) -> Any:
    done = CliRunner().invoke(qa, list(args))
    assert done.exit_code == 0, done.output
    return done


def _show(db: str, call_id: str = HOLD) -> dict[str, Any]:
    shown: dict[str, Any] = json.loads(_run("show", call_id, "-s", db, "--format", "json").stdout)
    return shown


def _queued(db: str) -> list[str]:
    listed = _run("flagged", "-s", db, "--format", "json").stdout.splitlines()
    return [json.loads(line)["call_id"] for line in listed]


def _machine(db: str, call_id: str = HOLD) -> Any:
    """The machine's score of a call, as the batch stored it."""
    with Store(db) as store:
        key = store.scores(call_ids=[call_id]).iloc[0]["score_key"]
        return store.call_score(key, reviewed=False)[0]


def test_reviewed_override_is_the_score_in_show_export_scores_and_queue(db: str) -> None:
    machine = _machine(db)
    assert machine.score == 0.0 and machine.auto_failed and HOLD in _queued(db)
    expected = rescore(machine, [ITEM])  # the counterfactual's own arithmetic, not the engine's
    assert expected > 70

    _run("override", HOLD, ITEM, "-s", db, "--status", "pass", "--reason", WHY,
         "--reviewer", "mei")  # fmt: skip

    shown = _show(db)["score"]
    assert shown["score"] == pytest.approx(expected, abs=0.01) and shown["auto_score"] == 0.0
    assert shown["band"] == default_rubric().band_for(expected) == "good"
    assert shown["auto_failed"] is False and shown["flags"] == []
    item = next(i for i in shown["items"] if i["id"] == ITEM)
    assert (item["status"], item["auto_status"]) == ("pass", "fail")
    assert item["review"] == f"override of {ITEM} by mei: {WHY}"
    resolved = {f["kind"]: f["reason"] for f in shown["resolved_flags"]}
    assert resolved["below_threshold"] == (
        f"reviewed score {expected:.1f} ≥ 70 after override of {ITEM} by mei"
    )
    assert set(resolved) == {"critical_failed", "below_threshold"}
    # The queue: the call cleared the threshold and had no other flag, so it left.
    assert HOLD not in _queued(db)
    assert review_queue(db) == ()
    # The store's rows: the reviewed score, the machine's beside it, the machine's row kept.
    with Store(db) as store:
        row = store.scores(call_ids=[HOLD]).iloc[0]
        assert row["score"] == pytest.approx(expected) and row["auto_score"] == 0.0
        assert (row["band"], row["auto_band"], bool(row["flagged"])) == ("good", "poor", False)
        assert "below_threshold: reviewed score" in row["resolution"] and row["flags"] == ""
        assert store.scores(flagged=True).empty
        items = store.items(call_ids=[HOLD])
        verdict = items[items["item_id"] == ITEM].iloc[0]
        assert (verdict["status"], verdict["auto_status"], verdict["points"]) == (
            "pass",
            "fail",
            10,
        )
        assert store.call_score(row["score_key"], reviewed=False)[0].score == 0.0
    text = _run("show", HOLD, "-s", db).stdout
    assert f"score {expected:.1f} (good) (machine 0.0)" in text
    assert f"resolved below_threshold: reviewed score {expected:.1f} ≥ 70" in text


def test_reviewed_score_travels_in_every_export(db: str, tmp_path: Path) -> None:
    _run("override", HOLD, ITEM, "-s", db, "--status", "pass", "--reason", WHY,
         "--reviewer", "mei")  # fmt: skip
    expected = rescore(_machine(db), [ITEM])
    for fmt in ("csv", "parquet", "jsonl"):
        _run("export", "-s", db, "--format", fmt, "--out", str(tmp_path / f"s.{fmt}"))
    with (tmp_path / "s.csv").open(encoding="utf-8") as handle:
        rows = {r["call_id"]: r for r in csv.DictReader(handle)}
    assert float(rows[HOLD]["score"]) == pytest.approx(expected)
    assert float(rows[HOLD]["auto_score"]) == 0.0 and rows[HOLD]["band"] == "good"
    assert float(rows["chat_en"]["score"]) == float(rows["chat_en"]["auto_score"]) == 95.0
    frame = pd.read_parquet(tmp_path / "s.parquet").set_index("call_id")
    assert frame.loc[HOLD, "score"] == pytest.approx(expected)
    assert frame.loc[HOLD, "auto_score"] == 0.0 and not frame.loc[HOLD, "flagged"]
    lines = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text("utf-8").splitlines()]
    line = next(x for x in lines if x["call_id"] == HOLD)
    assert line["score"] == pytest.approx(expected, abs=0.01) and line["auto_score"] == 0.0
    assert line["band"] == "good" and line["flags"] == []


def test_reviewed_override_reverted_leaves_the_machine_score(db: str) -> None:
    override_item(db, HOLD, ITEM, "pass", reviewer="mei", reason=WHY)
    assert HOLD not in _queued(db)
    override_item(db, HOLD, ITEM, "fail", reviewer="lee", reason="the IVR does not verify")
    shown = _show(db)["score"]
    assert shown["score"] == shown["auto_score"] == 0.0 and shown["band"] == "poor"
    assert {f["kind"] for f in shown["flags"]} == {"critical_failed", "below_threshold"}
    assert shown["resolved_flags"] == [] and HOLD in _queued(db)
    # Both overrides stay in the history, the machine's verdict beside each.
    overrides = [e for e in history(db, HOLD) if e.action == "override"]
    assert [(e.reviewer, e.status) for e in overrides] == [("mei", "pass"), ("lee", "fail")]


def test_reviewed_override_that_fails_a_passing_call_joins_the_queue(db: str) -> None:
    assert "chat_en" not in _queued(db)
    override_item(db, "chat_en", ITEM, "fail", reviewer="mei", reason="never asked for the PIN")
    shown = _show(db, "chat_en")["score"]
    assert (shown["score"], shown["auto_score"], shown["band"]) == (0.0, 95.0, "poor")
    kinds = [f["kind"] for f in shown["flags"]]
    assert kinds == ["critical_failed", "below_threshold"]
    assert shown["flags"][0]["reason"] == (
        f"{ITEM} failed on review: override of {ITEM} by mei: never asked for the PIN"
    )
    assert shown["flags"][1]["reason"] == (
        f"score 0.0 is below 70 (on review: override of {ITEM} by mei)"
    )
    entry = next(e for e in review_queue(db) if e.call_id == "chat_en")
    assert (entry.call_id, entry.score, entry.auto_score) == ("chat_en", 0.0, 95.0)
    assert entry.priority == 1.0  # a failed critical item tops the queue


def test_reviewed_upheld_appeal_re_totals_and_a_rejected_one_changes_nothing(db: str) -> None:
    before = _show(db)["score"]
    denied = file_appeal(db, HOLD, item_id=ITEM, reason="the IVR checked the caller")
    decide_appeal(db, denied.appeal_id, "rejected", reviewer="wu", reason="it did not")
    after = _show(db)["score"]
    assert after["score"] == after["auto_score"] == before["score"] == 0.0
    assert after["flags"] == before["flags"] and HOLD in _queued(db)

    upheld = file_appeal(db, HOLD, item_id=ITEM, reason="the IVR log shows the PIN")
    _run("appeal", "decide", upheld.appeal_id, "-s", db, "--decision", "upheld",
         "--reason", "the log confirms it", "--reviewer", "wu")  # fmt: skip
    shown = _show(db)["score"]
    expected = rescore(_machine(db), [ITEM])
    assert shown["score"] == pytest.approx(expected, abs=0.01) and shown["auto_score"] == 0.0
    assert shown["band"] == "good" and HOLD not in _queued(db)
    resolved = {f["kind"]: f["reason"] for f in shown["resolved_flags"]}
    assert resolved["below_threshold"].endswith(
        f"after upheld appeal {upheld.appeal_id} on {ITEM} by wu"
    )


def test_reviewed_interim_upheld_then_rejected_takes_the_verdict_back(db: str) -> None:
    appeal = file_appeal(db, HOLD, item_id=ITEM, reason="the IVR log shows the PIN")
    decide_appeal(db, appeal.appeal_id, "upheld", reviewer="wu", reason="looks so", final=False)
    assert _show(db)["score"]["score"] > 70
    decide_appeal(db, appeal.appeal_id, "rejected", reviewer="wu", reason="log was another call")
    shown = _show(db)["score"]
    assert shown["score"] == shown["auto_score"] == 0.0 and HOLD in _queued(db)


def test_reviewed_conflicting_override_is_not_applied_and_shown_apart(db: str) -> None:
    override_item(db, HOLD, ITEM, "pass", reviewer="mei", reason=WHY)
    stale = CliRunner().invoke(qa, ["override", HOLD, ITEM, "-s", db, "--status", "fail",
                                    "--reason", "no", "--reviewer", "lee",
                                    "--expect-version", "0"])  # fmt: skip
    assert stale.exit_code == 1 and "recorded as a conflict" in stale.output
    assert _show(db)["score"]["score"] > 70  # the stale override did not apply
    lines = _run("show", HOLD, "-s", db).stdout.splitlines()
    applied = next(x for x in lines if "history v1" in x)
    conflict = next(x for x in lines if "lee" in x and "history" in x)
    assert "CONFLICT" not in applied
    assert "CONFLICT, not applied (expected v0)" in conflict
    assert [e["conflict"] for e in _show(db)["history"]] == [False, True]


def test_reviewed_score_matches_the_counterfactuals_arithmetic() -> None:
    # Passing failed items by verdict re-totals exactly as the counterfactual's rescore does.
    rng = random.Random(15)
    terms = ScoreTerms((("good", 75.0),), 70.0)
    checked = 0
    for _ in range(300):
        score = _random_score(rng)
        failed = [i.item_id for i in score.items if i.status == "fail"]
        chosen = [f for f in failed if rng.random() < 0.5]
        verdicts = {f: Verdict(f, "pass", f"override of {f} by t") for f in chosen}
        reviewed = with_verdicts(score, verdicts, terms)
        assert reviewed.score == pytest.approx(rescore(score, chosen))
        assert reviewed.auto_score == score.score
        assert reviewed.reviewed == bool(chosen)
        # A re-totalled call is banded by the terms; an untouched one keeps the machine's band.
        assert reviewed.band == (terms.band_for(reviewed.score) if chosen else score.band)
        checked += bool(chosen)
    assert checked > 100


def test_reviewed_verdicts_follow_the_log() -> None:
    from qa_toolkit.review.records import AuditEntry

    def entry(n: int, action: str, status: str, appeal: str = "", conflict: bool = False,
              item: str = "a") -> AuditEntry:  # fmt: skip
        detail = (("appeal_id", json.dumps(appeal)),) if appeal else ()
        return AuditEntry(f"r{n}", "c", "k", action, item, "mei", status, "", n, None, conflict,
                          detail, f"t{n}")  # fmt: skip

    log = [
        entry(1, "override", "fail"),
        entry(2, "appeal_decided", "upheld", "ap1"),  # interim: passes a
        entry(3, "override", "na", conflict=True),  # lost a race: never in force
        entry(4, "override", "pass", item="b"),
        entry(5, "appeal_decided", "rejected", "ap1"),  # takes ap1's verdict back
    ]
    found = verdicts_in_force(log, "k")
    assert {k: v.status for k, v in found.items()} == {"a": "fail", "b": "pass"}
    assert list(found) == ["a", "b"]  # oldest given first
    assert verdicts_in_force(log, "another-score") == {}


def test_reviewed_an_older_store_migrates_and_reviews_by_default_terms(tmp_path: Path) -> None:
    # A store written before v4 (no terms, no reviewed tables) is migrated on open.
    with store_at(tmp_path / "new") as store:
        add_call(store, "old", text=_OLD_CALL, with_terms=False)
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    v3 = tmp_path / "v3.db"
    connect(v3, timeout_s=5, migrations=MIGRATIONS[:3]).close()
    _copy_v3_rows(tmp_path / "new" / "qa.db", v3)
    with Store(v3) as store:
        assert store.schema_version == SCHEMA_VERSION  # v4 and every migration after it
        names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
        assert set(TABLES) | {"effective_scores", "effective_flags"} <= names
        row = store.scores().iloc[0]
        assert row["score"] == row["auto_score"] and row["resolution"] == ""
    machine = _machine(str(v3), "old")
    override_item(v3, "old", "identity_verified", "pass", reviewer="mei", reason="checked")
    shown = _show(str(v3), "old")["score"]
    expected = rescore(machine, ["identity_verified"])
    assert shown["score"] == pytest.approx(expected, abs=0.01) and shown["auto_score"] == 0.0
    # No terms stored and no rubric file in the run: the default bands and threshold 70.
    assert shown["band"] == default_rubric().band_for(expected)


# Identity is never checked before the refund: the critical item fails, nothing else does much.
_OLD_CALL = """agent: Thank you for calling Acme, my name is Sam. How can I help you?
customer: I was charged twice, please refund the second charge.
agent: I'm sorry about that, I understand how annoying that is.
agent: So you were charged twice this month, is that right?
customer: Yes.
agent: I have refunded the second charge to your card. Is there anything else I can help with?
customer: No, thank you, that solves it.
agent: Thank you for calling, have a great day.
"""


def _copy_v3_rows(source: Path, target: Path) -> None:
    """Copy every row of the v1–v3 tables from a current store into a v3 one."""
    conn = connect(target, timeout_s=5, migrations=MIGRATIONS[:3])
    conn.execute("ATTACH DATABASE ? AS src", (str(source),))
    for table in ("runs", "calls", "transcripts", "features", "scores", "item_results", "flags"):
        columns = ", ".join(r[1] for r in conn.execute(f"PRAGMA main.table_info({table})"))
        conn.execute(f"INSERT INTO main.{table} ({columns}) SELECT {columns} FROM src.{table}")
    conn.execute("DETACH DATABASE src")
    conn.close()


def test_reviewed_copies_are_purged_with_the_rest(tmp_path: Path) -> None:
    # The reviewed score repeats the evidence quotes and holds the reviewer's reason: `qa purge`
    # must redact them too.
    card = "4111 1111 1111 1111"
    (tmp_path / "c1.txt").write_text(
        "agent: Thank you for calling Acme, my name is Sam.\n"
        f"customer: My card {card} was charged twice.\n"
        "agent: I have refunded the second charge.\n",
        "utf-8",
    )
    db = tmp_path / "qa.db"
    run_batch([tmp_path / "c1.txt"], default_rubric().source, store=db,
              options=BatchOptions(store_unredacted=True, acoustics=False))  # fmt: skip
    override_item(db, "c1", ITEM, "pass", reviewer="mei", reason=f"the card {card} was verified")
    with Store(db) as store:
        stored = store.conn.execute(
            "SELECT r.body || i.review FROM reviewed_scores r JOIN reviewed_items i "
            "ON i.score_key = r.score_key"
        ).fetchone()[0]
    assert stored.count(card) >= 2  # a quote and the reviewer's reason
    assert _run("purge", "--store", str(db))
    files = [db, db.with_name("qa.db-wal")]
    assert not any(card.encode() in f.read_bytes() for f in files if f.exists())
    shown = _show(str(db), "c1")["score"]
    item = next(i for i in shown["items"] if i["id"] == ITEM)
    assert item["auto_status"] == "fail" and "[CARD]" in item["review"]
