"""Reading human QA labels from CSV and JSON, with every problem reported at once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_toolkit.calibrate.labels import labels_from_rows, load_labels
from qa_toolkit.errors import LabelFileError

ITEMS = ("greeting", "solution", "closing")


def test_calibrate_labels_read_csv(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text(
        "call_id,greeting,item:solution,score,satisfaction\n"
        "a,pass,fail,85,4\n"
        "b,no,,60.5,\n"
        "c,n/a,1,,2\n",
        encoding="utf-8",
    )
    labels = load_labels(path, item_ids=ITEMS)
    first, second, third = labels.labels
    assert first.item("greeting") == "pass" and first.item("solution") == "fail"
    assert first.target("score") == 85.0 and first.target("satisfaction") == 4.0
    assert second.item("greeting") == "fail" and second.item("solution") is None
    assert second.target("satisfaction") is None
    assert third.item("greeting") == "na" and third.item("solution") == "pass"
    assert labels.item_ids == ("greeting", "solution")
    assert labels.target_names == ("score", "satisfaction")


def test_calibrate_labels_read_nested_json_and_jsonl(tmp_path: Path) -> None:
    rows = [{"call_id": "a", "items": {"closing": "pass"}, "score": 70}]
    (tmp_path / "l.json").write_text(json.dumps({"labels": rows}), encoding="utf-8")
    (tmp_path / "l.jsonl").write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")
    for name in ("l.json", "l.jsonl"):
        label = load_labels(tmp_path / name, item_ids=ITEMS).labels[0]
        assert label.item("closing") == "pass" and label.target("score") == 70.0


def test_calibrate_labels_report_every_problem_with_its_row() -> None:
    rows = [
        {"call_id": "a", "greting": "pass", "solution": "maybe", "score": "high"},
        {"call_id": "a", "greting": "fail", "solution": "pass", "score": "70"},
        {"call_id": "", "greting": "pass", "solution": "pass", "score": "1"},
    ]
    with pytest.raises(LabelFileError) as caught:
        labels_from_rows(rows, origin="labels.csv", item_ids=ITEMS)
    message = str(caught.value)
    assert "column 'greting' is not a rubric item; did you mean 'greeting'?" in message
    assert "column 'score' is neither an item nor numeric" in message
    assert "row 1: solution = 'maybe'; use pass, fail or na" in message
    assert "row 2: call 'a' repeats row 1" in message
    assert "row 3: no call_id" in message
    assert message.startswith("labels.csv: ")


def test_calibrate_labels_need_a_call_id_column_and_readable_json(tmp_path: Path) -> None:
    with pytest.raises(LabelFileError, match="no 'call_id' column"):
        labels_from_rows([{"id": "a", "score": 1}])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(LabelFileError, match="not JSON"):
        load_labels(bad)
    with pytest.raises(LabelFileError, match="cannot read"):
        load_labels(tmp_path / "missing.csv")


def test_calibrate_labels_without_a_rubric_guess_item_columns() -> None:
    labels = labels_from_rows([{"call_id": "a", "hello": "yes", "csat": "3"}])
    assert labels.labels[0].item("hello") == "pass"
    assert labels.labels[0].target("csat") == 3.0
