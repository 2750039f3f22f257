"""Exports round-trip: CSV, Parquet and JSON Lines read back equal the store."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from qa_toolkit.batch import BatchOptions, run_batch
from qa_toolkit.cli.batch import export_command
from qa_toolkit.errors import UsageError
from qa_toolkit.io.export import export
from qa_toolkit.store import Filters, Store

from .batch_helpers import RUBRIC, make_day


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("export")
    make_day(folder / "day", 6)
    run_batch([folder / "day"], RUBRIC, store=folder / "qa.db",
              options=BatchOptions(acoustics=False))  # fmt: skip
    return folder / "qa.db"


def test_export_csv_round_trips(store_path: Path, tmp_path: Path) -> None:
    with Store(store_path) as store:
        rows = export(store, tmp_path / "s.csv", fmt="csv", filters=Filters(team="sales"))
        expected = store.scores(team="sales")
    back = pd.read_csv(tmp_path / "s.csv", keep_default_na=False, dtype={"rubric_version": str})
    assert rows == 3 and list(back.columns) == list(expected.columns)
    for column in ("call_id", "team", "agent_id", "band", "flags", "score_key"):
        assert list(back[column]) == list(expected[column])
    assert back["score"].tolist() == pytest.approx(expected["score"].tolist())
    assert back["flagged"].tolist() == expected["flagged"].tolist()


def test_export_parquet_round_trips(store_path: Path, tmp_path: Path) -> None:
    with Store(store_path) as store:
        export(store, tmp_path / "items.parquet", fmt="parquet", table="items")
        expected = store.items()
    back = pd.read_parquet(tmp_path / "items.parquet")
    pd.testing.assert_frame_equal(back, expected)


def test_export_jsonl_is_the_score_json_with_metadata(store_path: Path, tmp_path: Path) -> None:
    with Store(store_path) as store:
        export(store, tmp_path / "s.jsonl", fmt="jsonl", filters=Filters(flagged=True))
        flagged = store.score_rows(Filters(flagged=True))
        lines = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text("utf-8").splitlines()]
        assert [line["call_id"] for line in lines] == [r.call_id for r in flagged]
        for line, row in zip(lines, flagged, strict=True):
            stored, _ = store.call_score(row.score_key)
            assert {k: v for k, v in line.items() if k not in ("call", "run_id", "scored_at")} == (
                stored.to_dict()
            )
            assert line["call"]["team"] == row.team and line["flags"]


def test_export_cli_filters_and_errors(store_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = runner.invoke(export_command, ["--format", "csv", "--store", str(store_path),
                                         "--table", "flags", "--agent", "agent0"])  # fmt: skip
    assert out.exit_code == 0, out.output
    rows = list(csv.DictReader(out.stdout.splitlines()))
    assert rows and {r["agent_id"] for r in rows} == {"agent0"}
    bad = runner.invoke(export_command, ["--format", "parquet", "--store", str(store_path)])
    assert bad.exit_code == 2 and "Parquet cannot go to stdout" in bad.output
    with Store(store_path) as store, pytest.raises(UsageError, match="unknown table"):
        export(store, "-", fmt="csv", table="calls")
