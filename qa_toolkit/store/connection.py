"""Opening a store safely: WAL, a busy timeout, and the schema brought up to date.

A store is a SQLite file or a PostgreSQL database (:mod:`qa_toolkit.store.location`);
on PostgreSQL the connection is a :class:`~qa_toolkit.store.postgres.PgConnection`,
which reads the same SQL and queues writers the same way.

On SQLite, WAL lets the web app and reports read while a batch writes; two writers (two
batches, or a batch and a reviewer) queue on the write lock for up to
``timeout_s`` instead of failing. Every write runs in one ``BEGIN IMMEDIATE``
transaction, so a killed process or a full disk leaves no half-written call.
"""

from __future__ import annotations

import logging
import random
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import cast

from qa_toolkit.errors import SchemaVersionError, StoreError
from qa_toolkit.store import postgres
from qa_toolkit.store.location import StoreLocation, parse_location
from qa_toolkit.store.postgres import PgConnection
from qa_toolkit.store.schema import MIGRATIONS, SCHEMA_VERSION, Migration

logger = logging.getLogger(__name__)

_FIX_NEWER = "upgrade qa-toolkit (pip install -U qa-toolkit), or use another --store"


def utc_now() -> str:
    """Now, as ISO 8601 text in UTC with microseconds (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _open(path: Path, timeout_s: float) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=timeout_s, isolation_level=None)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL is safe from corruption in WAL mode; a power cut may lose the
        # last calls, which the next run redoes.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError:
        conn.close()
        raise
    return conn


def _not_a_store(path: Path, error: Exception) -> StoreError:
    return StoreError(
        f"{path}: cannot be opened as a store ({error})",
        fix="pass --store with a new file name, or the path of a qa-toolkit store",
    )


def connect(
    where: Path | str | StoreLocation,
    *,
    timeout_s: float,
    migrations: tuple[Migration, ...] = MIGRATIONS,
    create: bool = True,
) -> sqlite3.Connection:
    """Open (creating if needed and ``create``) a store and migrate it to the current schema.

    Raises:
        StoreError: the file is not a SQLite database or cannot be opened, or does not
            exist and ``create`` is false; the server cannot be reached or refuses us.
        SchemaVersionError: the store is newer than this toolkit, or not a store.
    """
    location = parse_location(where)
    if location.is_server:
        return _connect_server(location, timeout_s=timeout_s, migrations=migrations,
                               create=create)  # fmt: skip
    assert location.path is not None
    path = location.path
    if not create and not path.is_file():
        raise StoreError(
            f"{path}: no such store",
            fix="check the path, or run `qa batch … --store FILE` to create one",
        )
    if not create and not _is_sqlite(path):
        # SQLite would take an empty or foreign file and turn it into a store.
        raise StoreError(
            f"{path}: is not a qa-toolkit store", fix="pass the store a batch wrote (--store)"
        )
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn = _open(path, timeout_s)
            break
        except sqlite3.OperationalError as error:
            # Switching a new file to WAL takes a lock the busy timeout does not wait for: two
            # batches creating one store at once meet here. Wait and try again.
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise _not_a_store(path, error) from error
            time.sleep(0.05 + random.random() * 0.1)
        except sqlite3.DatabaseError as error:
            raise _not_a_store(path, error) from error
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    if str(mode).lower() != "wal":
        logger.warning("%s: journal mode is %s, not WAL (a network drive?)", path, mode)
    migrate(conn, path, migrations)
    return conn


def _connect_server(
    location: StoreLocation, *, timeout_s: float, migrations: tuple[Migration, ...], create: bool
) -> sqlite3.Connection:
    pg = postgres.connect(location, timeout_s=timeout_s)
    # PgConnection answers the part of sqlite3.Connection's interface the store uses
    # (execute, executemany, in_transaction, close; rows by name and position).
    conn = cast(sqlite3.Connection, pg)
    try:
        if not create and current_version(conn, location) == 0:
            raise StoreError(
                f"{location.display}: holds no qa-toolkit store yet",
                fix=f"run `qa batch … --store {location.display}` to create one",
            )
        migrate(conn, location, migrations)
    except BaseException:
        pg.close()
        raise
    return conn


def is_server(conn: object) -> bool:
    """Whether a store connection is PostgreSQL's (else SQLite's)."""
    return isinstance(conn, PgConnection)


@contextmanager
def transaction(conn: sqlite3.Connection, origin: object) -> Iterator[sqlite3.Connection]:
    """One write transaction that takes the write lock first (so writers queue, not deadlock).

    Raises:
        StoreError: the write failed (disk full, locked past the timeout); nothing
            of it was kept.
    """
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        raise _store_error(origin, error) from error
    try:
        yield conn
    except BaseException as error:
        _rollback(conn)
        if isinstance(error, sqlite3.OperationalError):
            raise _store_error(origin, error) from error
        raise
    else:
        try:
            conn.execute("COMMIT")
        except sqlite3.OperationalError as error:
            _rollback(conn)
            raise _store_error(origin, error) from error


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite may already have rolled back on its own (a full disk, an I/O error).
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _store_error(origin: object, error: sqlite3.OperationalError) -> StoreError:
    text = str(error)
    if "full" in text:
        fix = "free disk space and run the command again; finished calls are kept"
    elif "locked" in text or "busy" in text:
        fix = "another process held the store too long; run again when it is done"
    elif "permission denied" in text:  # a server's user without rights on the database
        fix = (
            "connect as the database's owner, or grant the user its tables and schema "
            "(GRANT ALL ON SCHEMA public TO the user)"
        )
    else:
        fix = "check the file's permissions and free space"
    return StoreError(f"{origin}: write failed ({text}); nothing of it was kept", fix=fix)


def current_version(conn: sqlite3.Connection, origin: object) -> int:
    """The store's schema version; 0 for an empty file.

    Raises:
        SchemaVersionError: the file holds tables but no version (not a store).
    """
    listing = (
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        if is_server(conn)
        else "SELECT name FROM sqlite_master WHERE type = 'table'"
    )
    tables = {row[0] for row in conn.execute(listing)}
    if "schema_version" not in tables:
        if tables:
            raise SchemaVersionError(
                f"{origin}: is a database but not a qa-toolkit store "
                f"(it has tables {', '.join(sorted(tables)[:5])} and no schema_version)",
                fix="pass --store with a new file name or an empty database",
            )
        return 0
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0] or 0)


def migrate(
    conn: sqlite3.Connection, origin: object, migrations: tuple[Migration, ...] = MIGRATIONS
) -> int:
    """Apply the migrations a store lacks, all in one transaction.

    Returns:
        The schema version the store is at now.

    Raises:
        SchemaVersionError: the store is newer than this toolkit knows.
    """
    from qa_toolkit import __version__

    latest = migrations[-1].version if migrations else SCHEMA_VERSION
    # An up-to-date store (nearly every open: each web request opens one) is only read:
    # taking the write lock here would make readers queue behind a batch's writes.
    if current_version(conn, origin) == latest:
        return latest
    with transaction(conn, origin):
        version = current_version(conn, origin)
        if version > latest:
            raise SchemaVersionError(
                f"{origin}: store schema v{version} is newer than this qa-toolkit "
                f"{__version__} reads (v{latest})",
                fix=_FIX_NEWER,
            )
        for step in migrations:
            if step.version <= version:
                continue
            logger.info("%s: migrating to schema v%d (%s)", origin, step.version, step.description)
            for statement in step.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, applied_at, toolkit_version, description) "
                "VALUES (?, ?, ?, ?)",
                (step.version, utc_now(), __version__, step.description),
            )
            version = step.version
    return version
