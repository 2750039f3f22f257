"""Who may sign in to the web app: a users file of names, roles and password hashes.

The file is JSON (``qa-toolkit/users@1``), written by ``qa users add`` and read
by ``qa serve --users FILE``; it never holds a password, only its scrypt hash
(standard library, no extra package). Three roles:

- ``agent``: their own calls only (``agent_id`` links the account to the calls'
  agent), read-only; may appeal a result and acknowledge a coaching note.
- ``reviewer``: every call; reviews, overrides, comments, assignments to
  themselves, coaching notes, the case library, calibration.
- ``supervisor``: a reviewer who also decides appeals, assigns calls to anyone,
  runs calibration sessions and manages users.

Example:
    >>> add_account("users.json", "mei", "reviewer", password="a long passphrase")  # doctest: +SKIP
    >>> load_accounts("users.json").verify("mei", "a long passphrase").role  # doctest: +SKIP
    'reviewer'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from qa_toolkit.errors import UsageError

Role = Literal["agent", "reviewer", "supervisor"]
ROLES: tuple[Role, ...] = ("agent", "reviewer", "supervisor")
SCHEMA = "qa-toolkit/users@1"
MIN_PASSWORD_CHARS = 10
# scrypt's cost: about 50 ms and 16 MiB per check on a small server. Slow enough that a
# stolen file resists guessing, fast enough for a sign-in form.
_N, _R, _P = 2**14, 8, 1
_NAME = re.compile(r"^[^\x00-\x1f\x7f<>:\s/\\]{1,80}$")


@dataclass(frozen=True, slots=True)
class Account:
    """One user of the web app.

    Attributes:
        name: the sign-in name, recorded as the reviewer of every action they take.
        role: ``agent``, ``reviewer`` or ``supervisor``.
        password_hash: ``scrypt$N$r$p$salt$hash`` (base64), never the password.
        agent_id: for an agent, the agent id their calls carry (default: the name).
    """

    name: str
    role: Role
    password_hash: str
    agent_id: str = ""

    @property
    def fingerprint(self) -> str:
        """A short digest of the role and hash: a session signed before a password or role
        change no longer matches it, so such a change signs the user out everywhere."""
        text = f"{self.role}\0{self.password_hash}\0{self.agent_id}"
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        """The account as stored in the users file."""
        out = {"name": self.name, "role": self.role, "password": self.password_hash}
        if self.agent_id:
            out["agent_id"] = self.agent_id
        return out


class Accounts:
    """The accounts of one users file, by name."""

    def __init__(self, accounts: tuple[Account, ...] = ()) -> None:
        self.by_name = {a.name: a for a in accounts}

    def __len__(self) -> int:
        return len(self.by_name)

    def get(self, name: str) -> Account | None:
        """The account called ``name``, or None."""
        return self.by_name.get(name)

    def verify(self, name: str, password: str) -> Account | None:
        """The account when ``password`` is its password, else None.

        An unknown name costs the same scrypt work as a known one, so the time a
        refusal takes does not tell which names exist.
        """
        found = self.by_name.get(name)
        stored = found.password_hash if found else _DUMMY_HASH
        ok = check_password(password, stored)
        return found if ok and found is not None else None


def valid_user_name(name: str) -> bool:
    """Whether ``name`` can be a user name (no spaces, colons, slashes or markup)."""
    return bool(_NAME.match(name))


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """The scrypt hash of a password, as the users file stores it."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a stored hash (constant-time comparison)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r),
                             p=int(p), dklen=len(expected))  # fmt: skip
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


_DUMMY_HASH = hash_password("not a password", salt=b"\0" * 16)


def password_problem(password: str) -> str | None:
    """Why a password is too weak, or None."""
    if len(password) < MIN_PASSWORD_CHARS or not password.strip():
        return f"a password needs at least {MIN_PASSWORD_CHARS} characters"
    if len(set(password)) < 5:
        return "a password needs at least 5 different characters"
    return None


def load_accounts(path: str | Path) -> Accounts:
    """Read a users file.

    Raises:
        UsageError: the file is missing, not a users file, or an entry is malformed;
            the message names the file and the entry.
    """
    source = Path(path)
    try:
        data = json.loads(source.read_text("utf-8"))
    except FileNotFoundError:
        raise UsageError(
            f"{source}: no such users file",
            fix="create it: qa users add NAME --role R --users FILE",
        ) from None
    except (OSError, ValueError) as error:
        raise UsageError(
            f"{source}: not a users file ({error})", fix="write it with qa users add"
        ) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise UsageError(f"{source}: not a users file (expected schema {SCHEMA})",
                         fix="write it with qa users add")  # fmt: skip
    accounts = []
    for n, entry in enumerate(data.get("users") or []):
        accounts.append(_account(source, n, entry))
    return Accounts(tuple(accounts))


def _account(source: Path, n: int, entry: Any) -> Account:
    where = f"{source}: users[{n}]"
    if not isinstance(entry, dict):
        raise UsageError(f"{where}: expected an object", fix="write it with qa users add")
    name, role = str(entry.get("name", "")), str(entry.get("role", ""))
    if not valid_user_name(name):
        raise UsageError(f"{where}.name: {name!r} is not a valid user name",
                         fix="use letters, digits and ._@- (no spaces or colons)")  # fmt: skip
    if role not in ROLES:
        raise UsageError(f"{where}.role: unknown role {role!r}", fix=f"use {', '.join(ROLES)}")
    hashed = str(entry.get("password", ""))
    if not hashed.startswith("scrypt$") or hashed.count("$") != 5:
        raise UsageError(f"{where}.password: not a password hash",
                         fix=f"set it again: qa users add {name} --role {role}")  # fmt: skip
    return Account(name, role, hashed, str(entry.get("agent_id", "") or ""))


def save_accounts(path: str | Path, accounts: Accounts) -> None:
    """Write a users file atomically (a new file renamed over the old), readable by its owner
    only."""
    target = Path(path)
    body = {"schema": SCHEMA, "users": [a.to_dict() for a in accounts.by_name.values()]}
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(body, out, ensure_ascii=False, indent=1)
            out.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def add_account(
    path: str | Path, name: str, role: str, *, password: str, agent_id: str = ""
) -> Account:
    """Add a user to a users file (created when missing), or replace their role and password.

    Raises:
        UsageError: a bad name, role or weak password.
    """
    if not valid_user_name(name):
        raise UsageError(f"{name!r} is not a valid user name",
                         fix="use letters, digits and ._@- (no spaces or colons)")  # fmt: skip
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}", fix=f"use {', '.join(ROLES)}")
    problem = password_problem(password)
    if problem:
        raise UsageError(f"the password is too weak: {problem}", fix="choose a longer passphrase")
    accounts = load_accounts(path) if Path(path).exists() else Accounts()
    account = Account(name, role, hash_password(password), agent_id if role == "agent" else "")
    accounts.by_name[name] = account
    save_accounts(path, accounts)
    return account


def set_role(path: str | Path, name: str, role: str) -> Account:
    """Change a user's role.

    Raises:
        UsageError: no such user, or an unknown role.
    """
    accounts = load_accounts(path)
    found = accounts.get(name)
    if found is None:
        raise UsageError(f"{path}: no user {name!r}", fix="list them with qa users list")
    if role not in ROLES:
        raise UsageError(f"unknown role {role!r}", fix=f"use {', '.join(ROLES)}")
    changed = replace(found, role=role)
    accounts.by_name[name] = changed
    save_accounts(path, accounts)
    return changed


def remove_account(path: str | Path, name: str) -> None:
    """Remove a user from a users file.

    Raises:
        UsageError: no such user.
    """
    accounts = load_accounts(path)
    if accounts.by_name.pop(name, None) is None:
        raise UsageError(f"{path}: no user {name!r}", fix="list them with qa users list")
    save_accounts(path, accounts)
