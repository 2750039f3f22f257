"""The supervisor's web app: a Flask application over one store.

Pages are rendered on the server; a little JavaScript moves the audio and
follows playback. Nothing is loaded from another host, and the Content
Security Policy forbids it, so the app works on a closed network.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, g, request, session
from werkzeug.wrappers import Response

from qa_toolkit.store.location import parse_location
from qa_toolkit.web import access, auth, errors, kpi, routes, security
from qa_toolkit.web.i18n import LANGUAGES, bound, translator

_CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'")  # fmt: skip
_STRONG_TOKEN = (
    "use a long random one: python -c 'import secrets; print(secrets.token_urlsafe(24))'"
)


def create_app(
    store_path: str | Path,
    *,
    token: str | None = None,
    users_file: str | Path | None = None,
    raw_text_allowed: bool = False,
    user: str | None = None,
    behind_proxy: bool = False,
) -> Flask:
    """The web app over the store at ``store_path``.

    Args:
        store_path: the store file (must exist: the app never creates one), or a
            PostgreSQL URL.
        token: a shared secret every browser must present once; None for none.
        users_file: a users file (``qa users add``): sign-in with name and password and a
            role per user. An older file of ``name:token`` lines is still read (each name a
            supervisor signing in with their token).
        raw_text_allowed: show transcripts without PII redaction.
        user: without a users file, the one user's name, recorded as the reviewer of every
            action (default: the operating system's user name).
        behind_proxy: served behind a reverse proxy that terminates HTTPS: trust its
            ``X-Forwarded-*`` headers (one hop) and mark the session cookie ``Secure``.

    Returns:
        The Flask application (serve it with ``qa serve`` or any WSGI server).

    Raises:
        UsageError: a weak token, a missing store, or a malformed users file.

    Example:
        >>> app = create_app("qa.db", users_file="users.json")  # doctest: +SKIP
    """
    from qa_toolkit.errors import UsageError

    location = parse_location(store_path)
    if token is not None and security.token_problem(token):
        problem = security.token_problem(token)
        raise UsageError(f"the web token is too weak: {problem}", fix=_STRONG_TOKEN)
    if location.path is not None and not location.path.is_file():
        raise UsageError(f"{location.path}: no such store", fix="run qa batch --store FILE first")
    accounts = legacy = None
    if users_file is not None:
        if auth.is_accounts_file(users_file):
            accounts = auth.AccountsFile(users_file)
        else:
            legacy = security.load_users(users_file)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32), STORE_PATH=location, TOKEN=token,
        ACCOUNTS=accounts, USERS=legacy or {}, SINGLE_USER=user or _os_user(),
        RAW_TEXT=raw_text_allowed, SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_SECURE=behind_proxy,
        SESSION_COOKIE_NAME="qa_session", PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        MAX_CONTENT_LENGTH=64 * 1024,
    )  # fmt: skip
    if behind_proxy:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)  # type: ignore[method-assign]
    app.extensions["qa_lockout"] = security.Lockout()
    _hide_tokens_in_logs()
    _hooks(app)
    errors.register(app)
    routes.register(app)
    kpi.register(app)
    return app


def _os_user() -> str:
    try:
        import getpass

        name = getpass.getuser()
    except Exception:  # no login name (a container without one)
        name = ""
    return name if security.valid_name(name) else "reviewer"


def _hide_tokens_in_logs() -> None:
    """The request log (werkzeug's) shows ``?token=***``, never the token."""
    log = logging.getLogger("werkzeug")
    if not any(isinstance(f, security.HideToken) for f in log.filters):
        log.addFilter(security.HideToken())


def _hooks(app: Flask) -> None:
    @app.before_request
    def _guard() -> Response | None:
        return auth.guard(app)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = _CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        # Pages show calls and reviewers: no copy in a shared cache or the back button.
        if request.endpoint not in ("static", "report_css"):
            response.headers["Cache-Control"] = "no-store"
        # Not "Werkzeug/x Python/y": the versions help an attacker and no one else.
        response.headers["Server"] = "qa-toolkit"
        return response

    @app.teardown_appcontext
    def _close(_: BaseException | None) -> None:
        store = g.pop("store", None)
        if store is not None:
            store.close()

    @app.context_processor
    def _strings() -> dict[str, Any]:
        language = session.get("lang", "en")
        return {"t": translator(language), "lang": language, "languages": LANGUAGES,
                "csrf": session.get("csrf", ""), "viewer": access.optional_viewer(),
                "with_accounts": app.config["ACCOUNTS"] is not None,
                "signed_in": bool(session.get("user")) and bool(
                    app.config["ACCOUNTS"] or app.config["USERS"]),
                **bound(language)}  # fmt: skip
