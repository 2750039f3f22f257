"""The review commands in-process: queue, drill-down, review, override, appeal, drivers."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from .review_helpers import RUDE, add_call, qa_group, store_at


def test_review_cli_walks_a_flagged_call(tmp_path: Path) -> None:
    with store_at(tmp_path) as store:
        add_call(store, "bad", text=RUDE)
        add_call(store, "good")
    db = str(tmp_path / "qa.db")
    qa = qa_group()
    run = CliRunner().invoke
    listed = run(qa, ["flagged", "-s", db, "--format", "json"])
    assert listed.exit_code == 0 and json.loads(listed.stdout.splitlines()[0])["call_id"] == "bad"
    shown = run(qa, ["show", "bad", "-s", db, "--threshold", "70"])
    assert shown.exit_code == 0 and "would pass (≥ 70) with:" in shown.stdout
    done = run(qa, ["review", "bad", "-s", db, "--status", "confirmed", "--reviewer", "mei"])
    assert done.exit_code == 0 and "confirmed by mei (version 1)" in done.stdout
    stale = run(qa, ["review", "bad", "-s", db, "--status", "in_review", "--reviewer", "lee",
                        "--expect-version", "0"])  # fmt: skip
    assert stale.exit_code == 1 and "recorded as a conflict" in stale.output
    bad_item = run(qa, ["override", "bad", "nope", "-s", db, "--status", "pass",
                           "--reason", "r", "--reviewer", "mei"])  # fmt: skip
    assert bad_item.exit_code == 2 and "has no item 'nope'" in bad_item.output
    filed = run(qa, ["appeal", "bad", "-s", db, "--item", "greeting", "--reason", "noise"])
    assert filed.exit_code == 0, filed.output
    appeal_id = filed.stdout.split()[1]
    decided = run(qa, ["appeal", "decide", appeal_id, "-s", db, "--decision", "rejected",
                          "--reason", "heard", "--reviewer", "mei"])  # fmt: skip
    assert decided.exit_code == 0 and "rejected (final)" in decided.stdout
    unknown = run(qa, ["show", "nope", "-s", db])
    assert unknown.exit_code == 2 and "no scored call 'nope'" in unknown.output
    drivers = run(qa, ["drivers", "-s", db, "--by", "team"])
    assert drivers.exit_code == 0 and "associations, not causes" in drivers.stdout
