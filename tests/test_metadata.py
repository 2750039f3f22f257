"""Call metadata from sidecar tables, per-call sidecars and file-name patterns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_toolkit.errors import MetadataError
from qa_toolkit.io.discover import find_calls
from qa_toolkit.io.metadata import compile_pattern, parse_start_time, read_metadata


def _touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("agent: hello\ncustomer: hi\n", "utf-8")


def test_metadata_reads_a_csv_table_and_reports_bad_rows(tmp_path: Path) -> None:
    _touch(tmp_path, "c1.txt", "c2.txt", "c3.txt")
    (tmp_path / "metadata.csv").write_text(
        "call_id,agent,team,queue,start_time,customer_id,site\n"
        "c1,a7,billing,q1,2026-11-21 09:15:00,cust9,lyon\n"
        "c2,a8,sales,q2,not a date,cust3,paris\n"
        "c3,a9,sales\n"
        ",a1,x,y,2026-11-21,z,w\n",
        "utf-8",
    )
    calls = find_calls([tmp_path])
    meta, problems = read_metadata(calls, [tmp_path])
    c1 = meta["c1"]
    assert (c1.agent_id, c1.team, c1.queue, c1.customer_id) == ("a7", "billing", "q1", "cust9")
    assert c1.start_time is not None and c1.start_time.hour == 9
    assert c1.call_date == "2026-11-21" and dict(c1.extra) == {"site": "lyon"}
    assert meta["c2"].team == "sales" and meta["c2"].start_time is None
    messages = [str(p) for p in problems]
    assert any("metadata.csv:3:" in m and "not a date" in m for m in messages)
    assert any("metadata.csv:4:" in m and "number of fields" in m for m in messages)
    assert any("metadata.csv:5:" in m and "no call_id" in m for m in messages)
    assert meta["c3"].team == ""  # its row was unreadable: no metadata, still a call


def test_metadata_json_table_per_call_sidecar_and_precedence(tmp_path: Path) -> None:
    day = tmp_path / "2026-11-21"
    _touch(day / "east", "c1.txt", "c2.txt")
    (day / "metadata.json").write_text(
        json.dumps([{"file": "c1.txt", "team": "outer"}, {"call_id": "c2", "team": "outer"}]),
        "utf-8",
    )
    (day / "east" / "metadata.json").write_text(json.dumps({"c1": {"team": "inner"}}), "utf-8")
    (day / "east" / "c2.meta.json").write_text(json.dumps({"agent_id": "own"}), "utf-8")
    meta, problems = read_metadata(find_calls([day]), [day])
    assert problems == ()
    assert meta["c1"].team == "inner"  # the nearer table wins
    assert (meta["c2"].team, meta["c2"].agent_id) == ("outer", "own")
    # No start time anywhere: the day comes from the folder name.
    assert meta["c1"].call_date == "2026-11-21"


def test_metadata_from_a_filename_pattern(tmp_path: Path) -> None:
    _touch(tmp_path, "a17_20261121_143005_c100.txt", "odd-name.txt")
    pattern = "{agent_id}_{date}_{time}_{*}"
    meta, problems = read_metadata(find_calls([tmp_path]), [tmp_path], pattern=pattern)
    found = meta["a17_20261121_143005_c100"]
    assert found.agent_id == "a17"
    assert found.start_time is not None and found.start_time.isoformat() == "2026-11-21T14:30:05"
    assert [str(p) for p in problems] == ["--name-pattern: matched 1 of 2 files"]


def test_metadata_pattern_errors_name_the_field() -> None:
    with pytest.raises(MetadataError, match=r"\{agnet\} is unknown"):
        compile_pattern("{agnet}_{call_id}")
    assert compile_pattern("{team}-{call_id}").match("sales-c1") is not None


def test_metadata_start_time_formats() -> None:
    assert parse_start_time("2026/11/21 08:00").hour == 8
    assert parse_start_time("2026-11-21T08:00:00Z").utcoffset() is not None
    assert parse_start_time("1795248000").year == 2026
    with pytest.raises(ValueError):
        parse_start_time("yesterday")
