"""Who may use the web app, and what a request may carry.

Served on 127.0.0.1 with neither a token nor a users file, anyone on the
machine may use it (as with a notebook server); the reviewer then types a
name. With a token every request needs it once (a ``?token=`` link, a form, or
an ``Authorization: Bearer`` header), and a users file (``name:token`` per line)
also fixes the reviewer's name, so history cannot be written under another's.
"""

from __future__ import annotations

import hmac
import re
import secrets
from pathlib import Path

from qa_toolkit.errors import UsageError

# Call ids come from file names: letters of any script, digits and punctuation,
# but never a path separator or a control character.
_CALL_ID = re.compile(r"^[^\x00-\x1f\x7f/\\]{1,200}$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f<>]{1,80}$")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


def valid_call_id(value: str) -> bool:
    """Whether ``value`` can be a call id (it may still be absent from the store)."""
    return bool(_CALL_ID.match(value)) and value not in (".", "..")


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
        if not valid_name(name) or len(token.strip()) < 16:
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
