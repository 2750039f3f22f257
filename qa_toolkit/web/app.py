"""The supervisor's web app: a Flask application over one store.

Pages are rendered on the server; a little JavaScript moves the audio and
follows playback. Nothing is loaded from another host, and the Content
Security Policy forbids it, so the app works on a closed network.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, abort, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from qa_toolkit.web import routes, security
from qa_toolkit.web.i18n import LANGUAGES, translator

_CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; style-src 'self'; "
        "script-src 'self'; frame-ancestors 'none'; form-action 'self'")  # fmt: skip
_OPEN_ENDPOINTS = ("login", "static", "report_css")
_STRONG_TOKEN = (
    "use a long random one: python -c 'import secrets; print(secrets.token_urlsafe(24))'"
)


def create_app(
    store_path: str | Path,
    *,
    token: str | None = None,
    users_file: str | Path | None = None,
    raw_text_allowed: bool = False,
) -> Flask:
    """The web app over the store at ``store_path``.

    Args:
        store_path: the store file (must exist: the app never creates one).
        token: a shared secret every request must present once; None for none.
        users_file: ``name:token`` lines; a user's token also names the reviewer.
        raw_text_allowed: show transcripts without PII redaction.

    Returns:
        The Flask application (serve it with ``qa serve`` or any WSGI server).

    Example:
        >>> app = create_app("qa.db", token="a-long-random-secret")  # doctest: +SKIP
    """
    path = Path(store_path)
    for given in (token,) if token is not None else ():
        problem = security.token_problem(given)
        if problem:
            from qa_toolkit.errors import UsageError

            raise UsageError(f"the web token is too weak: {problem}", fix=_STRONG_TOKEN)
    if not path.is_file():
        from qa_toolkit.errors import UsageError

        raise UsageError(f"{path}: no such store", fix="run qa batch --store FILE first")
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32), STORE_PATH=str(path), TOKEN=token,
        USERS=security.load_users(users_file) if users_file else {},
        RAW_TEXT=raw_text_allowed, SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict", MAX_CONTENT_LENGTH=64 * 1024,
    )  # fmt: skip
    app.extensions["qa_lockout"] = security.Lockout()
    _hide_tokens_in_logs()
    _hooks(app)
    routes.register(app)
    return app


def _hide_tokens_in_logs() -> None:
    """The request log (werkzeug's) shows ``?token=***``, never the token."""
    log = logging.getLogger("werkzeug")
    if not any(isinstance(f, security.HideToken) for f in log.filters):
        log.addFilter(security.HideToken())


def _hooks(app: Flask) -> None:
    @app.before_request
    def _guard() -> Response | None:
        session.setdefault("csrf", security.new_csrf())
        if (app.config["TOKEN"] or app.config["USERS"]) and "user" not in session:
            lockout: security.Lockout = app.extensions["qa_lockout"]
            client = request.remote_addr or "?"
            if lockout.blocked(client):
                abort(429, "too many wrong tokens from this address; try again in 10 minutes")
            found = _presented_user(app)
            if found is None and _token_presented():
                lockout.failed(client)
            if found is None and request.endpoint not in _OPEN_ENDPOINTS:
                if request.method == "GET" and request.accept_mimetypes.accept_html:
                    return redirect(url_for("login", next=request.full_path))
                abort(401)
            if found is not None:
                session["user"] = found
        if request.method == "POST" and not security.same_token(
            request.form.get("csrf"), session.get("csrf")
        ):
            abort(400, "missing or wrong CSRF token")
        return None

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
                "csrf": session.get("csrf", ""), "user": session.get("user")}  # fmt: skip


def _token_presented() -> bool:
    return bool(
        request.headers.get("Authorization", "").startswith("Bearer ")
        or request.args.get("token")
        or (request.endpoint == "login" and request.method == "POST" and request.form.get("token"))
    )


def _presented_user(app: Flask) -> str | None:
    header = request.headers.get("Authorization", "")
    given = header[7:] if header.startswith("Bearer ") else request.args.get("token", "")
    return security.match_token(given, app.config["TOKEN"], app.config["USERS"])
