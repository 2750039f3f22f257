"""Where a store lives: a SQLite file (the embedded default) or a PostgreSQL database.

Every ``--store`` option, the ``QA_STORE`` environment variable and ``Store(...)``
take the same text: a file path, or a ``postgresql://user[:password]@host[:port]/database``
URL (``postgres://`` too). Text that looks like a URL with any other scheme is an
error, never a file name: ``mysql://…`` does not quietly become a folder called
``mysql:`` holding a SQLite file.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from qa_toolkit.errors import StoreError

ENV_VAR = "QA_STORE"
DEFAULT = "qa.db"
POSTGRES_SCHEMES = ("postgresql", "postgres")
# A scheme followed by "://": what an operator types for a server. A Windows drive
# ("C:\\calls\\qa.db") has no "//" after its colon.
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """A parsed store location.

    Attributes:
        kind: ``sqlite`` or ``postgresql``.
        path: the SQLite file (None for PostgreSQL).
        url: the PostgreSQL URL as given, password included (None for SQLite).
    """

    kind: str
    path: Path | None = None
    url: str | None = None

    @property
    def is_server(self) -> bool:
        return self.kind == "postgresql"

    @property
    def display(self) -> str:
        """What messages name: the file, or the URL with any password masked."""
        if self.path is not None:
            return str(self.path)
        return _masked(self.url or "")

    @property
    def key(self) -> str:
        """A stable name for this store (the resolved file; the URL without password)."""
        if self.path is not None:
            return str(self.path.resolve())
        return _masked(self.url or "")

    def __str__(self) -> str:
        return self.display


def parse_location(value: str | Path | StoreLocation | None = None) -> StoreLocation:
    """A store location from ``--store`` text, a path, or ``QA_STORE`` (then ``qa.db``) when None.

    Raises:
        StoreError: a URL whose scheme is not PostgreSQL's, or a PostgreSQL URL without
            a host or database name.
    """
    if isinstance(value, StoreLocation):
        return value
    if value is None:
        value = os.environ.get(ENV_VAR) or DEFAULT
    if isinstance(value, Path):
        return StoreLocation("sqlite", path=value)
    text = value.strip()
    found = _URL.match(text)
    if found is None:
        if not text:
            raise StoreError("the store location is empty", fix="pass --store FILE or URL")
        return StoreLocation("sqlite", path=Path(text))
    scheme = found.group(1).lower()
    if scheme == "sqlite":  # sqlite:///relative.db or sqlite:////absolute.db
        return StoreLocation("sqlite", path=Path(text[len("sqlite:///") :]))
    if scheme not in POSTGRES_SCHEMES:
        raise StoreError(
            f"{_masked(text)}: stores are SQLite files or PostgreSQL databases, not {scheme}://",
            fix="pass a file path, or postgresql://user@host:5432/database",
        )
    parts = urlsplit(text)
    if not parts.hostname and "host=" not in parts.query:
        raise StoreError(
            f"{_masked(text)}: names no server",
            fix="write postgresql://user@host:5432/database",
        )
    if not parts.path.strip("/"):
        raise StoreError(
            f"{_masked(text)}: names no database",
            fix="add the database after the host: postgresql://user@host:5432/qa",
        )
    return StoreLocation("postgresql", url=text)


def _masked(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))
