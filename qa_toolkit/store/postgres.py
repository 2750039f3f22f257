"""The PostgreSQL side of the store: a connection that speaks the SQL the store writes.

The store's SQL is written once, in the subset SQLite and PostgreSQL share (see
:mod:`qa_toolkit.store.schema`). :class:`PgConnection` wraps a psycopg 3 connection
so that the rest of the store uses it exactly like a ``sqlite3.Connection``:

- ``?`` placeholders become ``%s``; ``LIKE`` becomes ``ILIKE`` (SQLite's ``LIKE``
  ignores ASCII case; searches must match alike on both);
- ``json_extract(col, '$.a.b')`` reads the JSON text as ``jsonb``: numbers as numbers,
  true/false as 1/0, anything else NULL, as SQLite gives them to the store;
- ``BEGIN IMMEDIATE`` (SQLite: take the write lock now) becomes ``BEGIN`` plus a
  transaction-scoped advisory lock, so writers queue one after another exactly as
  they do on SQLite and a read-check-write (the review workflow's version check, a
  claim) cannot interleave with another writer's; readers never wait (MVCC);
- rows answer by column name and by position; NUMERIC results (``AVG``) come back
  as floats and Python booleans go in as 0/1, matching the schema's conventions;
- psycopg's errors are raised as the matching ``sqlite3`` exception classes, with
  PostgreSQL's message, so the store's error handling is written once.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from qa_toolkit.errors import StoreError

if TYPE_CHECKING:
    import psycopg

    from qa_toolkit.store.location import StoreLocation

# The key of the advisory lock every write transaction takes ("qa-t" in ASCII).
WRITE_LOCK = 0x71612D74
_JSON = re.compile(r"json_extract\(\s*([\w.]+)\s*,\s*'\$\.([\w.]+)'\s*\)")
_PRAGMA_COLUMNS = re.compile(r"^\s*PRAGMA\s+table_info\((\w+)\)\s*$", re.IGNORECASE)
_LIKE = re.compile(r"\bLIKE\b")
_FIX_INSTALL = "pip install 'qa-toolkit[postgres]' (psycopg 3)"


def connect(location: StoreLocation, *, timeout_s: float) -> PgConnection:
    """Open a connection to the server named by ``location``.

    Raises:
        StoreError: psycopg is missing, or the server cannot be reached, refuses the
            user or password, or has no such database (one line naming the host and
            the fix).
    """
    try:
        import psycopg
        from psycopg.types.numeric import FloatLoader
    except ImportError as error:
        where = location.display
        raise StoreError(f"{where}: PostgreSQL needs psycopg", fix=_FIX_INSTALL) from error
    assert location.url is not None
    try:
        raw = psycopg.connect(
            location.url, autocommit=True, connect_timeout=max(1, int(min(timeout_s, 30)))
        )
    except psycopg.OperationalError as error:
        raise _connect_error(location, error) from error
    # AVG and SUM over integers are NUMERIC in PostgreSQL; the store works in floats.
    raw.adapters.register_loader("numeric", FloatLoader)
    # A write waits for another writer's lock up to the timeout, as on SQLite.
    raw.execute(f"SET lock_timeout = {int(timeout_s * 1000)}")
    return PgConnection(raw, location)


def _connect_error(location: StoreLocation, error: Exception) -> StoreError:
    from urllib.parse import urlsplit

    parts = urlsplit(location.url or "")
    host = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    database, user = parts.path.strip("/"), parts.username or "(your login)"
    text = " ".join(str(error).split())
    if "does not exist" in text and "database" in text:
        server = f"-h {parts.hostname or 'localhost'} -p {parts.port or 5432}"
        reason = f"has no database '{database}'"
        fix = f"create it: createdb {server} -U {user} {database}"
    elif "password" in text or "authentication" in text:
        reason = f"refused user {user} (wrong password or no such role)"
        fix = "check the user and password (in the URL, PGPASSWORD or ~/.pgpass)"
    elif "role" in text and "does not exist" in text:
        reason, fix = f"has no role {user}", "create the role, or put another user in the URL"
    else:
        reason = "cannot be reached"
        fix = "check the host and port, and that the server is running and accepts TCP"
    return StoreError(f"PostgreSQL at {host} {reason} ({text[:160]})", fix=fix)


class PgConnection:
    """A psycopg connection with the ``sqlite3.Connection`` surface the store uses."""

    def __init__(self, raw: psycopg.Connection[Any], location: StoreLocation) -> None:
        self.raw = raw
        self.location = location

    # ------------------------------------------------------------ what the store calls

    def execute(self, sql: str, params: Sequence[Any] | Iterable[Any] = ()) -> PgCursor:
        special = self._special(sql)
        if special is not None:
            return special
        query, values = translate(sql), _values(params)
        cursor = self.raw.cursor(row_factory=_row_factory)
        with _as_sqlite_errors(self.location):
            cursor.execute(query, values if values or "%s" in query else None)
        return PgCursor(cursor)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PgCursor:
        query = translate(sql)
        cursor = self.raw.cursor(row_factory=_row_factory)
        with _as_sqlite_errors(self.location):
            cursor.executemany(query, [_values(r) for r in rows])
        return PgCursor(cursor)

    @property
    def in_transaction(self) -> bool:
        from psycopg.pq import TransactionStatus

        return bool(self.raw.info.transaction_status != TransactionStatus.IDLE)

    def close(self) -> None:
        self.raw.close()

    def _special(self, sql: str) -> PgCursor | None:
        word = sql.strip().upper()
        if word == "BEGIN IMMEDIATE":
            with _as_sqlite_errors(self.location):
                self.raw.execute("BEGIN")
                self.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            return PgCursor(None)
        columns = _PRAGMA_COLUMNS.match(sql)
        if columns is not None:
            cursor = self.raw.cursor(row_factory=_row_factory)
            cursor.execute(
                "SELECT ordinal_position - 1 AS cid, column_name AS name FROM "
                "information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = %s ORDER BY ordinal_position",
                (columns.group(1).lower(),),
            )
            return PgCursor(cursor)
        return None


class PgCursor:
    """A query's result, read like a ``sqlite3.Cursor``."""

    def __init__(self, cursor: psycopg.Cursor[Any] | None) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return -1 if self._cursor is None else int(self._cursor.rowcount)

    def fetchone(self) -> Any:
        if self._cursor is None or self._cursor.description is None:
            return None
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        if self._cursor is None or self._cursor.description is None:
            return []
        return list(self._cursor.fetchall())

    def fetchmany(self, size: int) -> list[Any]:
        if self._cursor is None or self._cursor.description is None:
            return []
        return list(self._cursor.fetchmany(size))

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())


class Row(tuple[Any, ...]):
    """A row read by position, by column name, or as a mapping (like ``sqlite3.Row``)."""

    __slots__ = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._index[key])
            except KeyError:
                lowered = {k.lower(): v for k, v in self._index.items()}
                if key.lower() in lowered:
                    return tuple.__getitem__(self, lowered[key.lower()])
                raise IndexError(f"no such column: {key}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


@lru_cache(maxsize=512)
def _row_class(names: tuple[str, ...]) -> type[Row]:
    return type("Row", (Row,), {"__slots__": (), "_index": {n: i for i, n in enumerate(names)}})


def _row_factory(cursor: Any) -> Any:
    if cursor.description is None:
        return tuple
    cls = _row_class(tuple(c.name for c in cursor.description))
    return cls


def _values(params: Sequence[Any] | Iterable[Any]) -> list[Any]:
    return [int(v) if isinstance(v, bool) else v for v in params]


@lru_cache(maxsize=2048)
def translate(sql: str) -> str:
    """The store's shared-subset SQL as PostgreSQL reads it (see the module docstring)."""
    sql = _JSON.sub(_json_read, sql)
    out: list[str] = []
    quoted = False
    chunk: list[str] = []

    def flush() -> None:
        text = "".join(chunk)
        out.append(text if quoted else _LIKE.sub("ILIKE", text))
        chunk.clear()

    for char in sql:
        if char == "'":
            if not quoted:
                flush()
                quoted = True
                chunk.append(char)
                continue
            chunk.append(char)
            flush()
            quoted = False
            continue
        if char == "%":
            chunk.append("%%")
        elif char == "?" and not quoted:
            chunk.append("%s")
        else:
            chunk.append(char)
    flush()
    return "".join(out)


def _json_read(found: re.Match[str]) -> str:
    column, path = found.group(1), "{" + ",".join(found.group(2).split(".")) + "}"
    value = f"(({column})::jsonb #> '{path}')"
    return (
        f"(CASE jsonb_typeof({value}) WHEN 'number' THEN ({value} #>> '{{}}')::double precision "
        f"WHEN 'boolean' THEN (CASE WHEN ({value} #>> '{{}}')::boolean THEN 1 ELSE 0 END) END)"
    )


@contextmanager
def _as_sqlite_errors(location: StoreLocation) -> Iterator[None]:
    """Raise psycopg's errors as the sqlite3 classes the store already handles."""
    import psycopg

    try:
        yield
    except psycopg.Error as error:
        text = " ".join(str(error).split())
        if isinstance(error, psycopg.errors.LockNotAvailable):
            raise sqlite3.OperationalError(f"database is locked ({text})") from error
        if isinstance(error, psycopg.errors.DiskFull):
            raise sqlite3.OperationalError(f"database or disk is full ({text})") from error
        if isinstance(error, psycopg.IntegrityError):
            raise sqlite3.IntegrityError(text) from error
        if isinstance(error, psycopg.OperationalError):
            raise sqlite3.OperationalError(f"{location.display}: {text}") from error
        if isinstance(error, psycopg.ProgrammingError | psycopg.DataError):
            raise sqlite3.OperationalError(text) from error
        raise sqlite3.DatabaseError(text) from error
