"""The web app's pages and actions; every input is checked before it reaches the store."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from flask import (
    Flask,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
)
from flask import url_for as _url
from werkzeug.wrappers import Response

from qa_toolkit.errors import QAToolkitError, StoreError
from qa_toolkit.web import actions, queries, security, views
from qa_toolkit.web.context import store
from qa_toolkit.web.i18n import LANGUAGES

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


def register(app: Flask) -> None:
    """Add every route to ``app``."""
    for rule, view, methods in (
        ("/", queue_page, ("GET",)),
        ("/login", login, ("GET", "POST")),
        ("/lang/<code>", language, ("GET",)),
        ("/call/<path:call_id>", call_page, ("GET",)),
        ("/audio/<path:call_id>/<int:index>", audio, ("GET",)),
        ("/action/status", set_status, ("POST",)),
        ("/action/override", override, ("POST",)),
        ("/action/appeal", appeal, ("POST",)),
        ("/action/decide", decide, ("POST",)),
        ("/agent/<path:agent_id>", agent_page, ("GET",)),
        ("/team/<path:team>", team_page, ("GET",)),
        ("/report.css", report_css, ("GET",)),
    ):
        app.add_url_rule(rule, view.__name__, view, methods=list(methods))


def report_css() -> Any:
    """The static report's stylesheet, so the web pages and the report draw alike."""
    from flask import send_file

    return send_file(Path(__file__).resolve().parents[1] / "report" / "templates" / "report.css")


def _choice(name: str, allowed: Any) -> str | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if value not in allowed:
        abort(400, f"bad value for {name}")
    return value


def _date(name: str) -> str | None:
    value = request.args.get(name, "").strip()
    if value and not _real_day(value):
        abort(400, f"{name} must be a day, YYYY-MM-DD")
    return value or None


def _real_day(value: str) -> bool:
    if not _DATE.match(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _choices() -> dict[str, list[str]]:
    # Read once per request: both the validation and the filter menus need them.
    if "choices" not in g:
        g.choices = queries.choices(store())
    found: dict[str, list[str]] = g.choices
    return found


def _query() -> queries.QueueQuery:
    known = _choices()
    page = request.args.get("page", "1")
    if not (page.isascii() and page.isdigit() and len(page) <= 5) or int(page) == 0:
        abort(400, "bad page")
    return queries.QueueQuery(
        since=_date("since"), until=_date("until"), team=_choice("team", known["teams"]),
        agent_id=_choice("agent", known["agents"]), kind=_choice("kind", known["kinds"]),
        band=_choice("band", queries.BANDS), status=_choice("status", actions.FLAG_STATUSES),
        sort=_choice("sort", queries.SORTS) or "priority",
        descending=request.args.get("desc") == "1", page=int(page),
    )  # fmt: skip


def queue_page() -> str:
    """The flagged queue with filters, sort, paging and the day's numbers."""
    query = _query()
    found = queries.queue(store(), query)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "queue.html", page=found, query=query, day=queries.day_numbers(store()),
        choices=_choices(), bands=queries.BANDS,
        statuses=actions.FLAG_STATUSES, sorts=tuple(queries.SORTS), args=args,
    )  # fmt: skip


def login() -> Response | str:
    """Ask for the token (needed only when the app is exposed)."""
    if request.method == "POST":
        found = security.match_token(
            request.form.get("token", ""), current_app.config["TOKEN"], current_app.config["USERS"]
        )
        if found is None:
            abort(401)
        session["user"] = found
        target = request.args.get("next", "/")
        # Only a local path: an absolute URL here would be an open redirect.
        return redirect(target if target.startswith("/") and not target.startswith("//") else "/")
    return render_template("login.html")


def language(code: str) -> Response:
    """Switch the interface language and go back where the user was."""
    if code not in LANGUAGES:
        abort(400)
    session["lang"] = code
    back = request.referrer or "/"
    return redirect(back if back.startswith(request.host_url) else "/")


def _call_id(call_id: str) -> str:
    if not security.valid_call_id(call_id):
        abort(400, "malformed call id")
    return call_id


def call_page(call_id: str) -> str:
    """A call: audio, transcript lanes, failed items with evidence, causes, features, actions."""
    try:
        view = views.call_view(
            store(), _call_id(call_id), raw_allowed=current_app.config["RAW_TEXT"]
        )
    except StoreError:
        abort(404)
    if view is None:
        abort(404)
    return render_template(
        "call.html", v=view, state=_state(call_id), overrides=actions.overrides(store(), call_id),
        history=actions.history(store(), call_id), appeals=actions.appeals(store(), call_id),
        flag_statuses=actions.FLAG_STATUSES, item_statuses=actions.ITEM_STATUSES,
        decisions=actions.DECISIONS, reviewer=_reviewer_default(),
    )  # fmt: skip


def _state(call_id: str) -> dict[str, Any]:
    try:
        return actions.review_state(store(), call_id)
    except (actions.WorkflowMissing, QAToolkitError):
        return {"status": "open", "version": "", "reviewer": ""}


def audio(call_id: str, index: int) -> Response:
    """A call's recording, by its position among the call's files: never by a path."""
    try:
        files = views.audio_files(store(), _call_id(call_id))
    except StoreError:
        abort(404)
    if not 0 <= index < len(files) or not Path(files[index]).is_file():
        abort(404)
    # conditional=True answers Range requests, which the browser needs to seek.
    return send_file(Path(files[index]).resolve(), conditional=True)


def _reviewer_default() -> str:
    return str(session.get("user") or session.get("reviewer") or "")


def _reviewer() -> str:
    """The acting reviewer: the logged-in user, else the name typed in the form."""
    if session.get("user"):
        return str(session["user"])
    name = request.form.get("reviewer", "").strip()
    if not security.valid_name(name):
        abort(400, "a reviewer name is required")
    session["reviewer"] = name
    return name


def _version() -> int | None:
    """The workflow version the reviewer's page showed, so a concurrent change is caught."""
    value = request.form.get("version", "")
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 9):
        abort(400, "malformed version")
    return int(value)


def _form(name: str, allowed: Any = None, *, limit: int = 2000) -> str:
    value = request.form.get(name, "").strip()
    if not value or len(value) > limit or (allowed is not None and value not in allowed):
        abort(400, f"bad or missing {name}")
    return value


def _posted_call() -> str:
    call_id = _call_id(_form("call_id", limit=200))
    try:
        store().call_metadata(call_id)
    except StoreError:
        abort(404)
    return call_id


def _run(call_id: str, action: Any, *args: Any) -> Response:
    try:
        action(store(), *args)
    except actions.WorkflowMissing as missing:
        abort(501, str(missing))
    except QAToolkitError as error:
        # Not allowed from this state, a conflict, a locked appeal: say so, keep the page.
        abort(409, str(error))
    return redirect(_url("call_page", call_id=call_id) + "#review")


def set_status() -> Response:
    """Move the call's flag to a new review status."""
    call_id = _posted_call()
    status = _form("status", actions.FLAG_STATUSES)
    comment = request.form.get("comment", "")[:2000]
    return _run(call_id, actions.set_flag_status, call_id, status, _reviewer(), comment, _version())


def override() -> Response:
    """Override one item's result, with a reason."""
    call_id = _posted_call()
    item_id = _form("item_id", limit=100)
    if not _ID.match(item_id):
        abort(400, "malformed item id")
    status = _form("status", actions.ITEM_STATUSES)
    reason = _form("reason")
    return _run(
        call_id, actions.override_item, call_id, item_id, status, _reviewer(), reason, _version()
    )


def appeal() -> Response:
    """File an agent's appeal against the call's result."""
    call_id = _posted_call()
    item_id = request.form.get("item_id", "").strip()
    if item_id and not _ID.match(item_id):
        abort(400, "malformed item id")
    agent = str(store().call_metadata(call_id)["agent_id"])
    return _run(call_id, actions.file_appeal, call_id, agent, _form("reason"), item_id)


def decide() -> Response:
    """Decide an appeal."""
    call_id = _posted_call()
    appeal_id = _form("appeal_id", limit=100)
    if not _ID.match(appeal_id):
        abort(400, "malformed appeal id")
    decision = _form("decision", actions.DECISIONS)
    comment = request.form.get("comment", "")[:2000]
    return _run(call_id, actions.decide_appeal, appeal_id, decision, _reviewer(), comment)


def _person(kind: str, name: str) -> str:
    if not security.valid_person(name):
        abort(400)
    from qa_toolkit.report import charts

    summary = queries.person_summary(
        store(), team=name if kind == "team" else None, agent_id=name if kind == "agent" else None
    )
    if not summary["calls"]:
        abort(404)
    days = summary["days"]
    chart = charts.columns("scores-over-time", [d for d, _, _ in days], [m for _, m, _ in days],
                           label="mean score per day")  # fmt: skip
    return render_template("person.html", kind=kind, name=name, summary=summary, chart=chart)


def agent_page(agent_id: str) -> str:
    """An agent's scores over time and the items they fail most."""
    return _person("agent", agent_id)


def team_page(team: str) -> str:
    """A team's scores over time and the items it fails most."""
    return _person("team", team)
