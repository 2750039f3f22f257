"""Human QA labels: per call, item statuses and numeric ratings, read from CSV or JSON.

A label file has one row per call: ``call_id``, then any of

- an item column per rubric item (``greeting`` or ``item:greeting``) holding
  ``pass`` / ``fail`` / ``na`` (also ``yes``/``no``, ``1``/``0``, ``n/a``; a
  blank cell means the reviewer did not judge that item);
- numeric columns, the *targets*: ``score`` (the reviewer's overall score,
  0–100), ``satisfaction`` (a CSAT or survey rating on any scale), or any other
  rating a team keeps.

CSV (``.csv``, ``.tsv``), a JSON list of such objects (items may also sit in a
nested ``"items": {...}``), or JSON Lines. Every problem in the file is
reported at once, each with its row.
"""

from __future__ import annotations

import csv
import json
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_toolkit.errors import JSON_TOO_DEEP, LabelFileError, did_you_mean
from qa_toolkit.scoring.types import Status

logger = logging.getLogger(__name__)

CALL_ID = "call_id"
ITEM_PREFIX = "item:"
_STATUS_WORDS: dict[str, Status] = {
    "pass": "pass",
    "passed": "pass",
    "yes": "pass",
    "y": "pass",
    "true": "pass",
    "fail": "fail",
    "failed": "fail",
    "no": "fail",
    "n": "fail",
    "false": "fail",
    "na": "na",
    "n/a": "na",
    "n.a.": "na",
    "not applicable": "na",
}
_NUMERIC_STATUS: dict[str, Status] = {"1": "pass", "0": "fail", "1.0": "pass", "0.0": "fail"}
_FIX = "see 'Label files' in docs/calibration.md"


@dataclass(frozen=True, slots=True)
class CallLabel:
    """A reviewer's judgement of one call.

    Attributes:
        call_id: the call it judges.
        items: (item id, status) for each item the reviewer judged.
        targets: (name, value) for each numeric rating (``score``, ``satisfaction``…).
    """

    call_id: str
    items: tuple[tuple[str, Status], ...] = ()
    targets: tuple[tuple[str, float], ...] = ()

    def item(self, item_id: str) -> Status | None:
        """The reviewer's status for an item, or ``None`` when not judged."""
        return dict(self.items).get(item_id)

    def target(self, name: str) -> float | None:
        """A numeric rating, or ``None`` when the row has none."""
        return dict(self.targets).get(name)


@dataclass(frozen=True, slots=True)
class LabelSet:
    """The labels of a file, one per call, in file order."""

    labels: tuple[CallLabel, ...]
    origin: str = "<labels>"

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Every item judged in at least one row, in first-seen order."""
        return tuple(dict.fromkeys(i for label in self.labels for i, _ in label.items))

    @property
    def target_names(self) -> tuple[str, ...]:
        """Every numeric rating present in at least one row."""
        return tuple(dict.fromkeys(t for label in self.labels for t, _ in label.targets))

    def by_call(self) -> dict[str, CallLabel]:
        """Labels keyed by call id."""
        return {label.call_id: label for label in self.labels}


def load_labels(path: str | Path, *, item_ids: Sequence[str] | None = None) -> LabelSet:
    """Read a label file (CSV, TSV, JSON list or JSON Lines).

    Args:
        path: the file.
        item_ids: the rubric's item ids; a column named after one is an item
            column, and a column of statuses that names none is reported with
            the closest id. Without them, a column of statuses is an item.

    Returns:
        The labels.

    Raises:
        LabelFileError: naming every problem with its row.

    Example:
        >>> labels = load_labels("labels.csv", item_ids=[i.id for i in rubric.items])
        >>> labels.labels[0].item("greeting"), labels.labels[0].target("score")
        ('pass', 85.0)
    """
    origin = Path(path)
    try:
        text = origin.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise LabelFileError(path, [f"cannot read the labels: {why}"], fix=_FIX) from None
    rows = _rows(text, origin)
    return labels_from_rows(rows, origin=str(path), item_ids=item_ids)


def _rows(text: str, origin: Path) -> list[dict[str, Any]]:
    suffix = origin.suffix.lower()
    if suffix in (".csv", ".tsv"):
        dialect = "excel-tab" if suffix == ".tsv" else "excel"
        reader = csv.DictReader(text.splitlines(), dialect=dialect)
        rows = [dict(row) for row in reader]
        width = len(reader.fieldnames or ())
        # DictReader fills a short row with None and keeps a long row's extras under None.
        ragged = [
            f"row {n}: {sum(v is not None for k, v in row.items() if k is not None)} of "
            f"{width} columns" + (" and more values than columns" if None in row else "")
            for n, row in enumerate(rows, start=1)
            if None in row or any(v is None for v in row.values())
        ]
        if ragged:
            raise LabelFileError(origin, ragged, fix=_FIX)
        return rows
    try:
        if suffix == ".jsonl":
            data: Any = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise LabelFileError(origin, [problem], fix=_FIX) from None
    except RecursionError:
        raise LabelFileError(origin, [f"JSON {JSON_TOO_DEEP}"], fix=_FIX) from None
    if isinstance(data, Mapping) and isinstance(data.get("labels"), list):
        data = data["labels"]
    if not isinstance(data, list) or not all(isinstance(row, Mapping) for row in data):
        raise LabelFileError(origin, ["expected a list of objects, one per call"], fix=_FIX)
    return [_flatten(row) for row in data]


def _flatten(row: Mapping[str, Any]) -> dict[str, Any]:
    """Lift a nested ``items`` mapping into ``item:<id>`` columns."""
    flat = {k: v for k, v in row.items() if k != "items"}
    nested = row.get("items")
    if isinstance(nested, Mapping):
        flat.update((f"{ITEM_PREFIX}{k}", v) for k, v in nested.items())
    return flat


def labels_from_rows(
    rows: Iterable[Mapping[str, Any]],
    *,
    origin: str = "<labels>",
    item_ids: Sequence[str] | None = None,
) -> LabelSet:
    """Build labels from rows already read (a DataFrame's records, a store query).

    Args:
        rows: one mapping per call with ``call_id`` and item / numeric columns.
        origin: a name for error messages.
        item_ids: the rubric's item ids (see :func:`load_labels`).

    Returns:
        The labels.

    Raises:
        LabelFileError: naming every problem with its row (rows count from 1).
    """
    table = list(rows)
    problems: list[str] = []
    if not table:
        raise LabelFileError(origin, ["no rows"], fix=_FIX)
    kinds = _column_kinds(table, item_ids, problems)
    labels: list[CallLabel] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(table, start=1):
        label = _label(row, number, kinds, problems)
        if label is None:
            continue
        if label.call_id in seen:
            problems.append(
                f"row {number}: call {label.call_id!r} repeats row {seen[label.call_id]}"
            )
            continue
        seen[label.call_id] = number
        labels.append(label)
    if problems:
        raise LabelFileError(origin, problems, fix=_FIX)
    logger.debug("read %d labels from %s", len(labels), origin)
    return LabelSet(tuple(labels), origin)


def _column_kinds(
    table: list[Mapping[str, Any]], item_ids: Sequence[str] | None, problems: list[str]
) -> dict[str, tuple[str, str]]:
    """Column name → (``item`` or ``target``, the item id or target name)."""
    columns = list(dict.fromkeys(k for row in table for k in row))
    if CALL_ID not in columns:
        problems.append(f"no {CALL_ID!r} column (columns: {', '.join(map(str, columns))})")
    known = set(item_ids or ())
    kinds: dict[str, tuple[str, str]] = {}
    for column in columns:
        if column == CALL_ID:
            continue
        name = str(column).removeprefix(ITEM_PREFIX)
        values = [_text(row.get(column)) for row in table]
        filled = [v for v in values if v != ""]
        statuses = all(v.lower() in _STATUS_WORDS or v in _NUMERIC_STATUS for v in filled)
        if name in known or str(column).startswith(ITEM_PREFIX):
            if item_ids is not None and name not in known:
                hint = did_you_mean(name, list(known))
                problems.append(f"column {column!r}: the rubric has no item {name!r}{hint}")
            kinds[str(column)] = ("item", name)
        elif all(_number(v) is not None for v in filled):
            kinds[str(column)] = ("target", name)
        elif statuses and item_ids is None:
            kinds[str(column)] = ("item", name)
        else:
            hint = did_you_mean(name, list(known)) if statuses else ""
            why = "is not a rubric item" if statuses else "is neither an item nor numeric"
            problems.append(f"column {column!r} {why}{hint}")
    return kinds


def _label(
    row: Mapping[str, Any], number: int, kinds: dict[str, tuple[str, str]], problems: list[str]
) -> CallLabel | None:
    call_id = _text(row.get(CALL_ID))
    if not call_id:
        problems.append(f"row {number}: no call_id")
        return None
    items: list[tuple[str, Status]] = []
    targets: list[tuple[str, float]] = []
    for column, (kind, name) in kinds.items():
        value = _text(row.get(column))
        if value == "":
            continue
        if kind == "item":
            status = _STATUS_WORDS.get(value.lower()) or _NUMERIC_STATUS.get(value)
            if status is None:
                problems.append(f"row {number}: {column} = {value!r}; use pass, fail or na")
                continue
            items.append((name, status))
        else:
            number_value = _number(value)
            if number_value is None:
                problems.append(f"row {number}: {column} = {value!r} is not a number")
                continue
            if name == "score" and not 0 <= number_value <= 100:
                problems.append(f"row {number}: score = {value} is outside 0–100")
                continue
            targets.append((name, number_value))
    return CallLabel(call_id, tuple(items), tuple(targets))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "pass" if value else "fail"
    if isinstance(value, float) and math.isnan(value):
        return ""
    return str(value).strip()


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None
