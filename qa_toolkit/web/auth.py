"""Signing in and out, and the guard every request passes first.

Three ways to run the app:

- **Accounts** (``--users FILE``, a users file written by ``qa users add``): a
  sign-in form with name and password (scrypt hashes); the session cookie is
  signed, ``HttpOnly``, ``SameSite=Strict``, ``Secure`` behind an HTTPS proxy,
  and lasts 12 hours. A changed password or role, or a removed user, ends the
  user's sessions at their next request (the file is re-read when it changes).
- **Token** (``--token``, or an old users file of ``name:token`` lines): one
  shared secret, presented once (``?token=``, the form, or ``Authorization:
  Bearer``); a single user acts with the supervisor's rights.
- **Open** on loopback with neither: a single user, for a demo or one person on
  their own machine.

Wrong passwords and tokens count per client address: after 10 in 10 minutes the
address waits (HTTP 429).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from flask import Flask, abort, current_app, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from qa_toolkit.errors import UsageError
from qa_toolkit.store.accounts import Account, Accounts, load_accounts
from qa_toolkit.web import security

logger = logging.getLogger(__name__)

OPEN_ENDPOINTS = ("login", "static", "report_css", "language")


class AccountsFile:
    """A users file, read again whenever it changes on disk (``qa users add`` while serving)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[float, int] = (0.0, 0)
        self._accounts = self._read()

    def _read(self) -> Accounts:
        found = load_accounts(self.path)
        stat = os.stat(self.path)
        self._stamp = (stat.st_mtime, stat.st_size)
        return found

    def current(self) -> Accounts:
        """The accounts as the file holds them now (the last good read if it is broken)."""
        with self._lock:
            try:
                stat = os.stat(self.path)
                if (stat.st_mtime, stat.st_size) != self._stamp:
                    self._accounts = self._read()
            except (OSError, UsageError) as error:
                logger.warning("%s: kept the accounts read before (%s)", self.path, error)
            return self._accounts


def is_accounts_file(path: str | Path) -> bool:
    """Whether a users file is a JSON accounts file (else the older ``name:token`` lines)."""
    return Path(path).read_text("utf-8").lstrip().startswith("{")


def guard(app: Flask) -> Response | None:
    """Sign-in and CSRF checks before any view runs."""
    session.setdefault("csrf", security.new_csrf())
    if app.config["ACCOUNTS"] is not None:
        _check_account(app)
        if not session.get("user") and request.endpoint not in OPEN_ENDPOINTS:
            return _to_login()
    elif app.config["TOKEN"] or app.config["USERS"]:
        found = _token_user(app)
        if found is None and request.endpoint not in OPEN_ENDPOINTS:
            return _to_login()
    if request.method == "POST" and not security.same_token(
        request.form.get("csrf"), session.get("csrf")
    ):
        abort(400, "missing or wrong CSRF token")
    return None


def _to_login() -> Response:
    if request.method == "GET" and request.accept_mimetypes.accept_html:
        return redirect(url_for("login", next=request.full_path.rstrip("?")))
    abort(401)


def _check_account(app: Flask) -> None:
    """A session whose account changed or went away is signed out."""
    name = session.get("user")
    if not name:
        return
    account = app.config["ACCOUNTS"].current().get(str(name))
    if account is None or account.fingerprint != session.get("fp"):
        _fresh_session()


def _token_user(app: Flask) -> str | None:
    """The token user of this session, signing in one that presents a token."""
    if "user" in session:
        return str(session["user"])
    lockout: security.Lockout = app.extensions["qa_lockout"]
    client = request.remote_addr or "?"
    if lockout.blocked(client):
        abort(429, "too many wrong tokens from this address; try again in 10 minutes")
    header = request.headers.get("Authorization", "")
    given = header[7:] if header.startswith("Bearer ") else request.args.get("token", "")
    found = security.match_token(given, app.config["TOKEN"], app.config["USERS"])
    if found is None and given:
        lockout.failed(client)
    if found is not None:
        session["user"] = found
        session["role"] = "supervisor"
    return found


def _fresh_session() -> None:
    """An empty session (a new CSRF token), keeping only the language."""
    language = session.get("lang")
    session.clear()
    session["csrf"] = security.new_csrf()
    if language:
        session["lang"] = language


def _sign_in(account: Account) -> None:
    _fresh_session()
    session.permanent = True
    agent = (account.agent_id or account.name) if account.role == "agent" else ""
    session.update(user=account.name, role=account.role, fp=account.fingerprint, agent=agent)


def login() -> Response | str:
    """The sign-in form: name and password with accounts, the token otherwise."""
    app = current_app
    accounts = app.config["ACCOUNTS"]
    if request.method == "GET":
        return render_template("login.html", with_accounts=accounts is not None)
    lockout: security.Lockout = app.extensions["qa_lockout"]
    client = request.remote_addr or "?"
    if lockout.blocked(client):
        abort(429, "too many failed sign-ins from this address; try again in 10 minutes")
    if accounts is not None:
        account = accounts.current().verify(request.form.get("name", "").strip(),
                                            request.form.get("password", ""))  # fmt: skip
        if account is None:
            lockout.failed(client)
            return _refused()
        _sign_in(account)
    else:
        found = security.match_token(
            request.form.get("token", ""), app.config["TOKEN"], app.config["USERS"]
        )
        if found is None:
            lockout.failed(client)
            return _refused()
        _fresh_session()
        session.update(user=found, role="supervisor")
    target = request.args.get("next", "/")
    # Only a local path: an absolute URL here would be an open redirect.
    return redirect(target if target.startswith("/") and not target.startswith("//") else "/")


def _refused() -> Response:
    page = render_template("login.html", with_accounts=current_app.config["ACCOUNTS"] is not None,
                           refused=True)  # fmt: skip
    return Response(page, status=401, mimetype="text/html")


def logout() -> Response:
    """Sign out (a POST, with the CSRF token) and go to the sign-in form."""
    _fresh_session()
    return redirect(url_for("login"))
