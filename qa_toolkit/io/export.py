"""Exports of stored results: CSV, Parquet and JSON Lines, filtered like the DataFrame API.

Tables:

- ``scores``: one row per call (its newest score unless asked for the history), with its
  contact reason (``topic``, from ``qa topics``; empty when none); in JSON Lines each line
  is the full Score JSON with the call's metadata, its topic among them.
- ``items``: one row per call and rubric item, with the evidence as JSON text.
- ``flags``: one row per flag.

CSV and JSON Lines need nothing beyond the standard library; Parquet needs
``pyarrow`` (``pip install 'qa-toolkit[export]'``).
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, fields
from pathlib import Path
from typing import IO, Any

from qa_toolkit.errors import EngineError, UsageError
from qa_toolkit.store import Filters, FlagRow, ItemRow, ScoreRow, Store

FORMATS: tuple[str, ...] = ("csv", "parquet", "jsonl")
TABLES: tuple[str, ...] = ("scores", "items", "flags")
_ROW_TYPES: dict[str, type[Any]] = {"scores": ScoreRow, "items": ItemRow, "flags": FlagRow}
_CALL_KEYS = ("call_id", "call_date", "start_time", "agent_id", "team", "queue", "customer_id",
              "topic")  # fmt: skip


def export(
    store: Store,
    out: str | Path,
    *,
    fmt: str,
    table: str = "scores",
    filters: Filters | None = None,
) -> int:
    """Write a table of stored results to a file (``-`` for stdout; not for Parquet).

    Args:
        store: an open store.
        out: the output path, or ``-``.
        fmt: ``csv``, ``parquet`` or ``jsonl``.
        table: ``scores``, ``items`` or ``flags``.
        filters: which calls (see :class:`~qa_toolkit.store.Filters`).

    Returns:
        The number of rows written.

    Raises:
        UsageError: unknown format or table, Parquet to stdout, or ``out`` is a folder.
        EngineError: Parquet without pyarrow.

    Example:
        >>> export(Store("qa.db"), "day.csv", fmt="csv", filters=Filters(date="2026-11-21"))
        412
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format '{fmt}'", fix=f"choose {', '.join(FORMATS)}")
    if str(out) != "-" and Path(out).is_dir():
        raise UsageError(
            f"{out} is a folder", fix=f"give a file name, e.g. {Path(out) / 'scores'}.{fmt}"
        )
    if table not in TABLES:
        raise UsageError(f"unknown table '{table}'", fix=f"choose {', '.join(TABLES)}")
    rows = _rows(store, table, filters or Filters())
    if fmt == "parquet":
        if str(out) == "-":
            raise UsageError("Parquet cannot go to stdout", fix="pass --out FILE.parquet")
        return _parquet(rows, _ROW_TYPES[table], Path(out))
    with _open(out) as handle:
        if fmt == "csv":
            return _csv(rows, _ROW_TYPES[table], handle)
        if table == "scores":
            return _score_lines(store, rows, handle)
        return _lines(rows, handle)


def _rows(store: Store, table: str, filters: Filters) -> Sequence[Any]:
    if table == "scores":
        return store.score_rows(filters)
    if table == "items":
        return store.item_rows(filters)
    return store.flag_rows(filters)


class _open:  # noqa: N801 - used like open()
    def __init__(self, out: str | Path) -> None:
        self._path = None if str(out) == "-" else Path(out)
        self._handle: IO[str] | None = None

    def __enter__(self) -> IO[str]:
        if self._path is None:
            return sys.stdout
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self._path.open("w", encoding="utf-8", newline="")
        return self._handle

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            self._handle.close()


def _csv(rows: Sequence[Any], kind: type[Any], handle: IO[str]) -> int:
    writer = csv.DictWriter(handle, fieldnames=[f.name for f in fields(kind)])
    writer.writeheader()
    for row in rows:
        writer.writerow(asdict(row))
    return len(rows)


def _lines(rows: Sequence[Any], handle: IO[str]) -> int:
    for row in rows:
        handle.write(json.dumps(asdict(row), ensure_ascii=False) + "\n")
    return len(rows)


def _score_lines(store: Store, rows: Sequence[ScoreRow], handle: IO[str]) -> int:
    """Full Score JSON per call, with the call's metadata and the run that scored it."""
    for row in rows:
        score, _ = store.call_score(row.score_key)
        line = score.to_dict()
        line["call"] = {key: getattr(row, key) for key in _CALL_KEYS}
        line["run_id"] = row.run_id
        line["scored_at"] = row.scored_at
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
    return len(rows)


def _parquet(rows: Sequence[Any], kind: type[Any], out: Path) -> int:
    import importlib.util

    if any(importlib.util.find_spec(m) is None for m in ("pandas", "pyarrow")):
        raise EngineError(
            "Parquet export needs pandas and pyarrow", fix="pip install 'qa-toolkit[export]'"
        )
    import pandas as pd

    out.parent.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame([asdict(r) for r in rows], columns=[f.name for f in fields(kind)])
    frame.to_parquet(out, index=False)
    return len(rows)


__all__ = ["FORMATS", "TABLES", "export"]
