"""Error pages: styled like the app, in the user's language, with a way back.

Each page says what happened in plain words (its heading, translated), the
detail the server gave (which check refused the request), and links back:
to the page the user came from when it is this app's, and home. A 409 (the
call changed meanwhile, or the step is not allowed now) links to the call
again, so the reviewer sees the change before acting. A 500 never shows the
exception: it is logged.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

logger = logging.getLogger(__name__)

CODES = (400, 401, 403, 404, 405, 409, 413, 429, 500, 501)


def register(app: Flask) -> None:
    """Render every HTTP error (and any unexpected exception) as the error page."""
    app.register_error_handler(HTTPException, _page)
    app.register_error_handler(Exception, _crash)


def _back() -> str:
    """Where "back" goes: the referring page when it is this app's, else home."""
    referrer = request.referrer or ""
    if referrer.startswith(request.host_url) and referrer != request.url:
        return referrer
    return "/"


def _page(error: HTTPException) -> tuple[str, int]:
    code = error.code or 500
    detail = "" if code == 500 else (error.description or "")
    call_id = request.form.get("call_id", "") if request.method == "POST" else ""
    html = render_template("error.html", code=code, detail=detail, back=_back(),
                           call_id=call_id if code == 409 else "")  # fmt: skip
    return html, code


def _crash(error: Exception) -> tuple[str, int]:
    if isinstance(error, HTTPException):  # pragma: no cover - routed to _page by Flask
        return _page(error)
    logger.exception("unexpected error on %s %s", request.method, request.path)
    return _page(InternalServerError())
