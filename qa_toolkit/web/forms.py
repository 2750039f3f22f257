"""Reading what a request carries: every value is checked before it reaches the store.

Malformed input is a 400 (with which field), an id that is well formed but
absent a 404; a workflow rule that refuses the action (a conflict, a locked
appeal, a step not allowed now) a 409.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from flask import abort, redirect, request
from flask import url_for as _url
from werkzeug.wrappers import Response

from qa_toolkit.errors import QAToolkitError, StoreError
from qa_toolkit.web import security
from qa_toolkit.web.context import store

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")
_CLOCK = re.compile(r"^(?:(\d{1,3}):)?(\d{1,5})(?:\.(\d{1,2}))?$")
MAX_TEXT = 2000


def call_id(value: str) -> str:
    """A call id from a URL or form, checked for shape (400 when malformed)."""
    if not security.valid_call_id(value):
        abort(400, "malformed call id")
    return value


def field(name: str, allowed: Iterable[str] | None = None, *, limit: int = MAX_TEXT) -> str:
    """A required form field, at most ``limit`` characters, one of ``allowed`` when given."""
    value = request.form.get(name, "").strip()
    if not value or len(value) > limit or (allowed is not None and value not in allowed):
        abort(400, f"bad or missing {name}")
    return value


def optional(name: str, *, limit: int = MAX_TEXT) -> str:
    """An optional free-text form field, cut to ``limit`` characters."""
    return request.form.get(name, "").strip()[:limit]


def an_id(name: str, *, required: bool = True) -> str:
    """An item, appeal, note, case or session id from the form."""
    value = request.form.get(name, "").strip()
    if not value and not required:
        return ""
    if not ID.match(value):
        abort(400, f"malformed {name}")
    return value


def version() -> int | None:
    """The workflow version the reviewer's page showed, so a concurrent change is caught."""
    value = request.form.get("version", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        abort(400, "malformed version")
    return int(value)


def seconds(name: str) -> float | None:
    """A moment of the call from ``mm:ss`` (or plain seconds); None when left empty."""
    value = request.form.get(name, "").strip()
    if not value:
        return None
    found = _CLOCK.match(value)
    if not found:
        abort(400, f"{name} must be mm:ss or seconds")
    minutes, secs, cents = found.groups()
    return int(minutes or 0) * 60 + int(secs) + int(cents or 0) / 10 ** len(cents or "0")


def posted_call() -> tuple[str, dict[str, Any]]:
    """The form's call id and the call's stored row (404 when absent)."""
    found = call_id(field("call_id", limit=200))
    try:
        return found, store().call_metadata(found)
    except StoreError:
        abort(404)


def day(name: str) -> str | None:
    """A day (``YYYY-MM-DD``, a real one) from the query string."""
    value = request.args.get(name, "").strip()
    if value and not real_day(value):
        abort(400, f"{name} must be a day, YYYY-MM-DD")
    return value or None


def real_day(value: str) -> bool:
    """Whether ``value`` is a real calendar day written ``YYYY-MM-DD``."""
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def choice(name: str, allowed: Iterable[str]) -> str | None:
    """A query-string value that must be one of ``allowed`` (None when not given)."""
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if value not in allowed:
        abort(400, f"bad value for {name}")
    return value


def page_number() -> int:
    """The ``page`` query value: 1 to 99999."""
    page = request.args.get("page", "1")
    if not (page.isascii() and page.isdigit() and len(page) <= 5) or int(page) == 0:
        abort(400, "bad page")
    return int(page)


def to_call(call: str, anchor: str = "review") -> Response:
    """Back to the call's page, at a section."""
    return redirect(_url("call_page", call_id=call) + f"#{anchor}")


def run(action: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a workflow action: its refusals become a 409 with the reason, a missing call a 404,
    a bad value a 400."""
    from qa_toolkit.errors import UnknownCallError, UsageError

    try:
        return action(store(), *args, **kwargs)
    except UnknownCallError as error:
        abort(404, str(error))
    except UsageError as error:
        abort(400, str(error))
    except QAToolkitError as error:
        abort(409, str(error))
