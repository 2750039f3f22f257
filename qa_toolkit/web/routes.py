"""The web app's pages: the flagged queue, search over every call, a call, its audio.

The review, coaching, calibration and people pages are in their own modules; this
one registers them all. Every input is checked (:mod:`qa_toolkit.web.forms`)
and every page checks the viewer's role (:mod:`qa_toolkit.web.access`).
"""

from __future__ import annotations

from collections.abc import Callable
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
from markupsafe import Markup
from werkzeug.wrappers import Response

from qa_toolkit.errors import QAToolkitError, StoreError
from qa_toolkit.web import (
    access,
    actions,
    auth,
    calibration_routes,
    coaching_routes,
    forms,
    people,
    queries,
    review_routes,
    search_index,
    views,
)
from qa_toolkit.web.context import store
from qa_toolkit.web.i18n import LANGUAGES, chart_words

Route = tuple[str, Callable[..., Any], tuple[str, ...]]


def register(app: Flask) -> None:
    """Add every route to ``app``."""
    app.extensions["qa_search"] = search_index.IndexState()
    own: list[Route] = [
        ("/", queue_page, ("GET",)),
        ("/search", search_page, ("GET",)),
        ("/login", auth.login, ("GET", "POST")),
        ("/logout", auth.logout, ("POST",)),
        ("/lang/<code>", language, ("GET",)),
        ("/call/<path:call_id>", call_page, ("GET",)),
        ("/audio/<path:call_id>/<int:index>", audio, ("GET",)),
        ("/report.css", report_css, ("GET",)),
    ]
    for rule, view, methods in (*own, *review_routes.ROUTES, *coaching_routes.ROUTES,
                                *calibration_routes.ROUTES, *people.ROUTES):  # fmt: skip
        handler: Any = view
        app.add_url_rule(rule, view.__name__, handler, methods=list(methods))


def report_css() -> Any:
    """The static report's stylesheet, so the web pages and the report draw alike."""
    return send_file(Path(__file__).resolve().parents[1] / "report" / "templates" / "report.css")


def _choices() -> dict[str, list[str]]:
    # Read once per request: both the validation and the filter menus need them.
    if "choices" not in g:
        g.choices = queries.choices(store())
    found: dict[str, list[str]] = g.choices
    return found


def _query(*, search: bool, agent: str | None) -> queries.QueueQuery:
    known = _choices()
    said = request.args.get("text", "").strip()[:200]
    like = request.args.get("q", "").strip()[:200]
    return queries.QueueQuery(
        since=forms.day("since"), until=forms.day("until"),
        team=forms.choice("team", known["teams"]),
        agent_id=agent or forms.choice("agent", known["agents"]),
        kind=forms.choice("kind", known["kinds"]), band=forms.choice("band", queries.BANDS),
        status=forms.choice("status", actions.FLAG_STATUSES),
        sort=forms.choice("sort", queries.SORTS) or ("date" if search else "priority"),
        descending=request.args.get("desc", "1" if search and "sort" not in request.args
                                    else "") == "1",
        page=forms.page_number(),
        flagged_only=not search or request.args.get("flagged") == "1",
        call_like=like or None, said=search_index.query_text(said) or None,
    )  # fmt: skip


def queue_page() -> Response | str:
    """The flagged queue with filters, sort, paging and the day's numbers (staff); an agent
    goes to their own page."""
    viewer = access.viewer()
    if viewer.is_agent:
        return redirect(_url("agent_page", agent_id=viewer.agent_id))
    query = _query(search=False, agent=None)
    return _listing("queue", query)


def search_page() -> str:
    """Every scored call, found by id, agent, team, days, words said, band, flag or status.
    An agent searches only their own calls."""
    viewer = access.viewer()
    query = _query(search=True, agent=viewer.agent_id if viewer.is_agent else None)
    if query.said:
        search_index.refresh(store(), current_app.extensions["qa_search"])
    return _listing("search", query)


def _listing(mode: str, query: queries.QueueQuery) -> str:
    """The queue or the search page. Its content is rendered once per question, viewer kind,
    language and store state (kept as the counts are): twenty supervisors on the same queue
    share one rendering until a call, score or review is written."""
    viewer = access.viewer()
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    said, like = request.args.get("text", ""), request.args.get("q", "")
    question = ("listing", mode, query, session.get("lang", "en"), viewer.is_agent,
                viewer.is_staff, tuple(sorted(args.items())), said, like,
                request.script_root)  # fmt: skip

    def body() -> Markup:
        found = queries.queue(store(), query)
        return Markup(render_template(
            "queue_body.html", mode=mode, page=found, query=query,
            day=queries.day_numbers(store()), choices=_choices(), bands=queries.BANDS,
            statuses=actions.FLAG_STATUSES, sorts=tuple(queries.SORTS), args=args, said=said,
            like=like,
        ))  # fmt: skip

    return render_template(
        "queue.html", mode=mode, body=queries.cached(store(), question, body, shelf="pages")
    )


def language(code: str) -> Response:
    """Switch the interface language and go back where the user was."""
    if code not in LANGUAGES:
        abort(400)
    session["lang"] = code
    back = request.referrer or "/"
    return redirect(back if back.startswith(request.host_url) else "/")


def call_page(call_id: str) -> str:
    """A call: audio, timeline, transcript lanes, score card with review controls beside each
    item, causes, comments, coaching, the case library, features, review and history."""
    from qa_toolkit.review import coaching

    call_id = forms.call_id(call_id)
    try:
        meta = store().call_metadata(call_id)
    except StoreError:
        abort(404)
    viewer = access.may_open_call(meta)
    comments = coaching.comments(store(), call_id) if viewer.is_staff else ()
    words = chart_words(session.get("lang", "en"))
    view = views.call_view(store(), call_id, raw_allowed=current_app.config["RAW_TEXT"],
                           words=words, comments=comments)  # fmt: skip
    if view is None:
        abort(404)
    notes = coaching.coaching_notes(store(), call_id=call_id)
    return render_template(
        "call.html", v=view, state=_state(call_id), overrides=actions.overrides(store(), call_id),
        history=actions.history(store(), call_id), appeals=actions.appeals(store(), call_id),
        flag_statuses=actions.FLAG_STATUSES, item_statuses=actions.ITEM_STATUSES,
        decisions=actions.DECISIONS, comments=comments, notes=notes,
        cases=coaching.cases(store(), call_id=call_id) if viewer.is_staff else (),
        assignment=coaching.assignment(store(), call_id),
    )  # fmt: skip


def _state(call_id: str) -> dict[str, Any]:
    try:
        return actions.review_state(store(), call_id)
    except (actions.WorkflowMissing, QAToolkitError):
        return {"status": "open", "version": "", "reviewer": ""}


def audio(call_id: str, index: int) -> Response:
    """A call's recording, by its position among the call's files: never by a path."""
    call_id = forms.call_id(call_id)
    try:
        meta = store().call_metadata(call_id)
        files = views.audio_files(store(), call_id)
    except StoreError:
        abort(404)
    access.may_open_call(meta)
    if not 0 <= index < len(files) or not Path(files[index]).is_file():
        abort(404)
    # conditional=True answers Range requests, which the browser needs to seek.
    return send_file(Path(files[index]).resolve(), conditional=True)
