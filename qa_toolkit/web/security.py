"""Who may use the web app, and what a request may carry.

Served on 127.0.0.1 with neither a token nor a users file, anyone on the
machine may use it (as with a notebook server); the reviewer then types a
name. With a token every request needs it once (a ``?token=`` link, a form, or
an ``Authorization: Bearer`` header), and a users file (``name:token`` per line)
also fixes the reviewer's name, so history cannot be written under another's.
"""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import threading
import time
from pathlib import Path

from qa_toolkit.errors import UsageError

# Call ids come from file names: letters of any script, digits and punctuation,
# but never a path separator or a control character.
_CALL_ID = re.compile(r"^[^\x00-\x1f\x7f/\\]{1,200}$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f<>]{1,80}$")
# Agent and team names come from metadata files: shown escaped, so any printable text is fine.
_PERSON = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def valid_call_id(value: str) -> bool:
    """Whether ``value`` can be a call id (it may still be absent from the store)."""
    return bool(_CALL_ID.match(value)) and value not in (".", "..")


def valid_person(value: str) -> bool:
    """Whether ``value`` can be an agent or team name from call metadata (any printable text)."""
    return bool(_PERSON.match(value)) and bool(value.strip())


def valid_name(value: str) -> bool:
    """Whether ``value`` is acceptable as a reviewer's name."""
    return bool(_NAME.match(value.strip()))


def load_users(path: str | Path) -> dict[str, str]:
    """Token → user name, from a file of ``name:token`` lines (``#`` starts a comment).

    Raises:
        UsageError: a line without a name or with a token shorter than 16 characters.
    """
    users: dict[str, str] = {}
    lines = Path(path).read_text("utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, _, token = line.partition(":")
        if not valid_name(name) or token_problem(token.strip()) is not None:
            raise UsageError(
                f"{path}:{number}: expected 'name:token' with a token of 16+ chars",
                fix="fix the line, e.g. 'li.wei:' followed by a long random token",
            )
        users[token.strip()] = name.strip()
    return users


def match_token(given: str, token: str | None, users: dict[str, str]) -> str | None:
    """The user a presented token belongs to (``""`` for the shared token), else None."""
    if not given:
        return None
    # compare_digest on every candidate, so timing does not tell which prefix matched.
    found: str | None = None
    if token is not None and hmac.compare_digest(given.encode(), token.encode()):
        found = ""
    for candidate, name in users.items():
        if hmac.compare_digest(given.encode(), candidate.encode()):
            found = name
    return found


def new_csrf() -> str:
    """A fresh CSRF token for a session."""
    return secrets.token_urlsafe(24)


def same_token(given: str | None, expected: str | None) -> bool:
    """Whether a form's CSRF token is the session's."""
    return bool(given and expected) and hmac.compare_digest(str(given), str(expected))


MIN_TOKEN_CHARS = 16
MIN_TOKEN_DISTINCT = 8


def token_problem(token: str) -> str | None:
    """Why a token is too weak to guard the app, or None when it is strong enough.

    At least 16 characters, not blank, and at least 8 different characters: "aaaa…" or 16
    spaces would pass a length check and fall to the first guess.
    """
    if len(token) < MIN_TOKEN_CHARS or not token.strip():
        return f"a token needs at least {MIN_TOKEN_CHARS} characters"
    if len(set(token)) < MIN_TOKEN_DISTINCT:
        return f"a token needs at least {MIN_TOKEN_DISTINCT} different characters"
    return None


class Lockout:
    """Wrong tokens per client address: after ``limit`` in ``window_s``, the address waits.

    Guessing a 16-character token at the hundreds of tries a second a small server answers
    is hopeless already; the lockout keeps it so on any server, and makes a guessing client
    visible (HTTP 429) instead of silent.
    """

    def __init__(self, limit: int = 10, window_s: float = 600.0) -> None:
        self.limit, self.window_s = limit, window_s
        self._failures: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def blocked(self, client: str, now: float | None = None) -> bool:
        """Whether the client has used up its wrong tries for now."""
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = [t for t in self._failures.get(client, ()) if now - t < self.window_s]
            self._failures[client] = recent
            return len(recent) >= self.limit

    def failed(self, client: str, now: float | None = None) -> None:
        """Count one wrong token from the client."""
        now = time.monotonic() if now is None else now
        with self._lock:
            self._failures.setdefault(client, []).append(now)


class HideToken(logging.Filter):
    """Masks ``token=…`` in log records (the request line of a ``?token=`` link)."""

    _TOKEN = re.compile(r"(token=)[^&\s\"']+")

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.args = tuple(
                self._TOKEN.sub(r"\1***", a) if isinstance(a, str) else a
                for a in (record.args if isinstance(record.args, tuple) else (record.args,))
            )
        record.msg = self._TOKEN.sub(r"\1***", str(record.msg))
        return True
