"""Call metadata: who handled a call, for which team and queue, when, for which customer.

Call centres export this beside the recordings in one of three ways, all read here:

- a sidecar table per folder, ``metadata.csv`` or ``metadata.json``, one row per
  call keyed by ``call_id`` or file name (a deeper folder's table wins over a
  shallower one's);
- a sidecar per call, ``<call>.meta.json``;
- the file name itself, read with a pattern such as
  ``{agent_id}_{date}_{time}_{call_id}``.

Precedence, highest first: per-call sidecar, folder table, explicit ``--metadata``
file, filename pattern. A row that cannot be read is reported as a problem with
its file and line, and the batch goes on without it.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from qa_toolkit.errors import JSON_TOO_DEEP, MetadataError
from qa_toolkit.io.discover import CallInput

logger = logging.getLogger(__name__)

FIELDS: tuple[str, ...] = ("agent_id", "team", "queue", "start_time", "customer_id")
# Column names seen in PBX and workforce-management exports, mapped to ours.
_ALIASES = {
    "call_id": "call_id", "call": "call_id", "id": "call_id", "file": "call_id",
    "filename": "call_id", "file_name": "call_id", "recording": "call_id",
    "agent_id": "agent_id", "agent": "agent_id", "agent_name": "agent_id", "坐席": "agent_id",
    "team": "team", "group": "team", "团队": "team", "班组": "team",
    "queue": "queue", "skill": "queue", "队列": "queue",
    "start_time": "start_time", "start": "start_time", "started_at": "start_time",
    "datetime": "start_time", "timestamp": "start_time", "开始时间": "start_time",
    "customer_id": "customer_id", "customer": "customer_id", "客户": "customer_id",
}  # fmt: skip
_TABLES = ("metadata.csv", "metadata.json")
_PER_CALL = ".meta.json"
_DATE_IN_NAME = re.compile(r"(?<!\d)(20\d{2})-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?!\d)")
_PATTERN_FIELD = re.compile(r"\{([A-Za-z_*][A-Za-z0-9_]*|\*)\}")
_PATTERN_NAMES = frozenset({*FIELDS, "call_id", "date", "time", "*"})
_PATTERN_REGEX = {
    "date": r"\d{4}-?\d{2}-?\d{2}",
    "time": r"\d{2}[-:.]?\d{2}(?:[-:.]?\d{2})?",
    "*": r".*?",
}


@dataclass(frozen=True, slots=True)
class CallMetadata:
    """What is known about a call besides its recording.

    ``start_time`` is as the source gave it (naive local time, or with its
    offset); ``call_date`` is its date, or the date read from a folder or file
    name (``recordings/2026-11-21/``), or the file's modification date.
    """

    call_id: str
    agent_id: str = ""
    team: str = ""
    queue: str = ""
    start_time: datetime | None = None
    customer_id: str = ""
    call_date: str = ""
    sources: tuple[str, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The metadata as a JSON-ready dict."""
        return {
            "call_id": self.call_id,
            "agent_id": self.agent_id,
            "team": self.team,
            "queue": self.queue,
            "start_time": self.start_time.isoformat() if self.start_time else None,
            "customer_id": self.customer_id,
            "call_date": self.call_date,
            "sources": list(self.sources),
            "extra": dict(self.extra),
        }


@dataclass(frozen=True, slots=True)
class MetadataProblem:
    """A metadata row or file that could not be used, and where it is."""

    origin: str
    line: int
    message: str

    def __str__(self) -> str:
        return (
            f"{self.origin}:{self.line}: {self.message}"
            if self.line
            else (f"{self.origin}: {self.message}")
        )


Row = dict[str, str]


def read_metadata(
    calls: Sequence[CallInput],
    inputs: Iterable[str | Path] = (),
    *,
    pattern: str | None = None,
    extra_files: Sequence[str | Path] = (),
) -> tuple[dict[str, CallMetadata], tuple[MetadataProblem, ...]]:
    """Find and read the metadata of each call.

    Args:
        calls: the calls, from :func:`qa_toolkit.io.discover.find_calls`.
        inputs: the folders searched; their ``metadata.csv|json`` tables (at any
            depth) are read.
        pattern: a filename pattern such as ``{agent_id}_{date}_{time}_{call_id}``.
        extra_files: metadata tables named explicitly (``--metadata``).

    Returns:
        Call id → metadata (every call has an entry), and the problems found.

    Raises:
        MetadataError: the pattern names an unknown field.

    Example:
        >>> meta, problems = read_metadata(find_calls(["day/"]), ["day/"])  # doctest: +SKIP
        >>> meta["c001"].team
        'billing'
    """
    problems: list[MetadataProblem] = []
    matcher = compile_pattern(pattern) if pattern else None
    tables = _folder_tables(inputs, problems)
    explicit: dict[str, Row] = {}
    for file in extra_files:
        explicit.update(_read_table(Path(file), problems))
    found = {call.call_id: _for_call(call, tables, explicit, matcher, problems) for call in calls}
    if matcher is not None and calls:
        matched = sum(1 for m in found.values() if "pattern" in m.sources)
        if matched < len(calls):
            problems.append(
                MetadataProblem("--name-pattern", 0, f"matched {matched} of {len(calls)} files")
            )
    return found, tuple(problems)


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Turn ``{field}`` placeholders into a regular expression over a file's stem.

    Raises:
        MetadataError: a placeholder that is not a known field.
    """
    parts: list[str] = []
    position = 0
    seen: set[str] = set()
    for match in _PATTERN_FIELD.finditer(pattern):
        name = match.group(1)
        if name not in _PATTERN_NAMES or (name in seen and name != "*"):
            known = ", ".join(sorted(_PATTERN_NAMES - {"*"}))
            raise MetadataError(
                f"filename pattern {pattern!r}: {{{name}}} is unknown or repeated",
                fix=f"use each of {known} at most once, and {{*}} for anything else",
            )
        seen.add(name)
        parts.append(re.escape(pattern[position : match.start()]))
        regex = _PATTERN_REGEX.get(name, r".+?")
        parts.append(regex if name == "*" else f"(?P<{name}>{regex})")
        position = match.end()
    parts.append(re.escape(pattern[position:]))
    return re.compile("^" + "".join(parts) + "$")


def parse_start_time(value: str) -> datetime:
    """Read a start time: ISO 8601 (``2026-11-21 09:15[:00][+08:00]``) or Unix seconds.

    Raises:
        ValueError: the value is neither.
    """
    text = value.strip()
    if re.fullmatch(r"\d{9,10}(\.\d+)?", text):
        return datetime.fromtimestamp(float(text), tz=timezone.utc)
    return datetime.fromisoformat(text.replace("/", "-").replace("Z", "+00:00"))


# ---------------------------------------------------------------- reading


def _folder_tables(
    inputs: Iterable[str | Path], problems: list[MetadataProblem]
) -> dict[Path, dict[str, Row]]:
    tables: dict[Path, dict[str, Row]] = {}
    for root in inputs:
        base = Path(root)
        if not base.is_dir():
            continue
        for name in _TABLES:
            for file in sorted(base.rglob(name)):
                tables.setdefault(file.parent.resolve(), {}).update(_read_table(file, problems))
    return tables


def _read_table(file: Path, problems: list[MetadataProblem]) -> dict[str, Row]:
    """Rows of a CSV or JSON table keyed by call id (or file name)."""
    try:
        text = file.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        problems.append(MetadataProblem(str(file), 0, f"cannot be read ({error})"))
        return {}
    if file.suffix.lower() == ".json":
        return _json_rows(text, str(file), problems)
    return _csv_rows(text, str(file), problems)


def _read_sidecar(file: Path, call_id: str, problems: list[MetadataProblem]) -> Row:
    """One call's ``<call>.meta.json``: a single object, the call id implied."""
    try:
        data = json.loads(file.read_text("utf-8-sig"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        problems.append(MetadataProblem(str(file), 0, f"cannot be read ({error})"))
        return {}
    except RecursionError:
        problems.append(MetadataProblem(str(file), 0, f"JSON {JSON_TOO_DEEP}"))
        return {}
    if not isinstance(data, dict):
        problems.append(MetadataProblem(str(file), 1, "must be a JSON object"))
        return {}
    rows: dict[str, Row] = {}
    text_row = {str(k): "" if v is None else str(v) for k, v in data.items()}
    _add_row(rows, {**text_row, "call_id": call_id}, str(file), 1, problems)
    return next(iter(rows.values()), {})


def _csv_rows(text: str, origin: str, problems: list[MetadataProblem]) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    reader = csv.DictReader(text.splitlines())
    if not reader.fieldnames or not any(_field(n) == "call_id" for n in reader.fieldnames):
        problems.append(MetadataProblem(origin, 1, "no call_id (or file) column in the header"))
        return rows
    for raw in reader:
        line = reader.line_num
        if None in raw or any(v is None for v in raw.values()):
            problems.append(
                MetadataProblem(origin, line, "has a different number of fields than the header")
            )
            continue
        _add_row(rows, raw, origin, line, problems)
    return rows


def _json_rows(text: str, origin: str, problems: list[MetadataProblem]) -> dict[str, Row]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        problems.append(MetadataProblem(origin, error.lineno, f"invalid JSON ({error.msg})"))
        return {}
    except RecursionError:
        problems.append(MetadataProblem(origin, 0, f"JSON {JSON_TOO_DEEP}"))
        return {}
    if isinstance(data, dict):  # {call_id: {...}} as well as a list of rows
        data = [{"call_id": key, **value} for key, value in data.items() if isinstance(value, dict)]
    rows: dict[str, Row] = {}
    if not isinstance(data, list):
        problems.append(MetadataProblem(origin, 1, "must be a list of rows or an object by call"))
        return rows
    for index, raw in enumerate(data):
        if not isinstance(raw, dict):
            problems.append(MetadataProblem(origin, 0, f"row {index} is not an object"))
            continue
        text_row = {str(k): "" if v is None else str(v) for k, v in raw.items()}
        _add_row(rows, text_row, origin, index + 1, problems)
    return rows


def _add_row(
    rows: dict[str, Row],
    raw: Mapping[str, str],
    origin: str,
    line: int,
    problems: list[MetadataProblem],
) -> None:
    row = {_field(k): v.strip() for k, v in raw.items() if k}
    key = row.pop("call_id", "")
    if not key:
        problems.append(MetadataProblem(origin, line, "has no call_id; row skipped"))
        return
    if row.get("start_time"):
        try:
            parse_start_time(row["start_time"])
        except ValueError:
            problems.append(
                MetadataProblem(origin, line, f"start_time {row['start_time']!r} is not a date")
            )
            row.pop("start_time")
    row["_source"] = f"{origin}:{line}"
    # A call is looked up by its id; a row keyed by file name (a.wav) finds it too.
    rows[Path(key).stem if Path(key).suffix else key] = row


def _field(name: str) -> str:
    key = name.strip().lower().replace(" ", "_").replace("-", "_")
    return _ALIASES.get(key, key)


# ---------------------------------------------------------------- one call


def _for_call(
    call: CallInput,
    tables: Mapping[Path, dict[str, Row]],
    explicit: Mapping[str, Row],
    matcher: re.Pattern[str] | None,
    problems: list[MetadataProblem],
) -> CallMetadata:
    layers: list[tuple[str, Row]] = []
    if matcher is not None:
        match = matcher.match(call.call_id)
        if match is not None:
            layers.append(("pattern", _from_pattern(match.groupdict())))
    if call.call_id in explicit:
        layers.append(("metadata file", explicit[call.call_id]))
    folder = call.files[0].parent.resolve()
    # Shallow folders first, so that the table nearest the call wins.
    for table_dir in sorted(tables, key=lambda p: len(p.parts)):
        if (folder == table_dir or table_dir in folder.parents) and call.call_id in tables[
            table_dir
        ]:
            layers.append(("folder table", tables[table_dir][call.call_id]))
    own = call.files[0].parent / f"{call.call_id}{_PER_CALL}"
    if own.is_file():
        layers.append(("sidecar", _read_sidecar(own, call.call_id, problems)))
    return _merge(call, layers)


def _from_pattern(groups: Mapping[str, str | None]) -> Row:
    row = {k: v for k, v in groups.items() if v and k not in ("date", "time", "call_id")}
    day, clock = groups.get("date"), groups.get("time")
    if day:
        digits = re.sub(r"\D", "", day)
        stamp = f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}"
        if clock:
            hms = (re.sub(r"\D", "", clock) + "00")[:6]
            stamp += f"T{hms[:2]}:{hms[2:4]}:{hms[4:6]}"
        row["start_time"] = stamp
    return row


def _merge(call: CallInput, layers: Sequence[tuple[str, Row]]) -> CallMetadata:
    values: dict[str, str] = {}
    sources: list[str] = []
    for name, row in layers:
        sources.append("pattern" if name == "pattern" else row.get("_source", name))
        values.update({k: v for k, v in row.items() if v})
    start = None
    if values.get("start_time"):
        try:
            start = parse_start_time(values["start_time"])
        except ValueError:
            start = None  # already reported where the row was read
    extra = tuple(
        sorted((k, v) for k, v in values.items() if k not in FIELDS and not k.startswith("_"))
    )
    meta = CallMetadata(
        call.call_id,
        agent_id=values.get("agent_id", ""),
        team=values.get("team", ""),
        queue=values.get("queue", ""),
        start_time=start,
        customer_id=values.get("customer_id", ""),
        sources=tuple(sources),
        extra=extra,
    )
    return replace(meta, call_date=_call_date(call, start))


def _call_date(call: CallInput, start: datetime | None) -> str:
    """The call's day: its start time, a date in its path, or the file's modification date."""
    if start is not None:
        return start.date().isoformat()
    first = call.files[0]
    for name in (first.stem, *(p.name for p in first.parents)):
        found = _DATE_IN_NAME.search(name)
        if found:
            try:
                return date(*(int(g) for g in found.groups())).isoformat()
            except ValueError:
                continue
    try:
        return datetime.fromtimestamp(first.stat().st_mtime).date().isoformat()
    except OSError:
        return ""


__all__ = [
    "FIELDS",
    "CallMetadata",
    "MetadataProblem",
    "compile_pattern",
    "parse_start_time",
    "read_metadata",
]
