"""Calibration sessions in the web app: supervisors run them, their reviewers score blind.

A member's scoring page shows the call (recording, transcript) and each item's
title and hint, never the machine's verdict or another member's: only their own.
The agreement (:func:`qa_toolkit.review.calibration.agreement`) is shown to
supervisors at any time and to members once the session is closed.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request, session
from flask import url_for as _url
from werkzeug.wrappers import Response

from qa_toolkit.review import calibration
from qa_toolkit.web import access, forms, views
from qa_toolkit.web.context import store
from qa_toolkit.web.i18n import chart_words


def sessions_page() -> str:
    """The sessions (a supervisor sees all and may start one; a reviewer theirs)."""
    viewer = access.staff()
    found = calibration.sessions(store(), member=None if viewer.is_supervisor else viewer.name)
    return render_template("calibration.html", sessions=found)


def calibration_create() -> Response:
    """Start a session over calls with reviewers (supervisors)."""
    viewer = access.supervisor()
    calls = [c.strip() for c in forms.field("call_ids", limit=10_000).splitlines() if c.strip()]
    for c in calls:
        forms.call_id(c)
    members = [m.strip() for m in forms.field("members").split(",")]
    found = forms.run(calibration.create_session, forms.field("title", limit=200), calls, members,
                      by=viewer.name)  # fmt: skip
    return redirect(_url("session_page", session_id=found.session_id))


def _session(session_id: str) -> calibration.CalibrationSession:
    if not forms.ID.match(session_id):
        abort(400, "malformed session id")
    return forms.run(calibration.session, session_id)


def session_page(session_id: str) -> str:
    """A session: its calls and each member's progress; the agreement when the viewer may see
    it."""
    viewer = access.staff()
    found = _session(session_id)
    member = viewer.name in found.members
    if not (viewer.is_supervisor or member):
        abort(403, "not a member of this session")
    results = None
    if viewer.is_supervisor or found.closed:
        results = calibration.agreement(store(), session_id)
    mine = calibration.my_verdicts(store(), session_id, viewer.name) if member else {}
    return render_template("session.html", s=found, results=results, member=member, mine=mine)


def score_page(session_id: str, call_id: str) -> str:
    """A member scores one call of the session, blind."""
    viewer = access.staff()
    found = _session(session_id)
    call_id = forms.call_id(call_id)
    if viewer.name not in found.members:
        abort(403, "not a member of this session")
    if call_id not in found.call_ids:
        abort(404, "the call is not in this session")
    view = views.call_view(store(), call_id, raw_allowed=current_app.config["RAW_TEXT"],
                           words=chart_words(session.get("lang", "en")))  # fmt: skip
    if view is None:
        abort(404)
    mine = calibration.my_verdicts(store(), session_id, viewer.name).get(call_id, {})
    return render_template("score_call.html", s=found, v=view, mine=mine)


def calibration_record() -> Response:
    """A member's verdicts on one call's items."""
    viewer = access.staff()
    session_id = forms.an_id("session_id")
    call_id, _ = forms.posted_call()
    verdicts = {key[len("item:"):]: value for key, value in request.form.items()
                if key.startswith("item:") and value}  # fmt: skip
    for item_id, status in verdicts.items():
        if not forms.ID.match(item_id) or status not in ("pass", "fail", "na"):
            abort(400, "bad verdict")
    forms.run(calibration.record_verdicts, session_id, call_id, viewer.name, verdicts)
    return redirect(_url("session_page", session_id=session_id))


def calibration_close() -> Response:
    """Close a session (supervisors)."""
    access.supervisor()
    session_id = forms.an_id("session_id")
    forms.run(calibration.close_session, session_id)
    return redirect(_url("session_page", session_id=session_id))


ROUTES = (
    ("/calibration", sessions_page, ("GET",)),
    ("/calibration/<session_id>", session_page, ("GET",)),
    ("/calibration/<session_id>/call/<path:call_id>", score_page, ("GET",)),
    ("/action/calibration/create", calibration_create, ("POST",)),
    ("/action/calibration/record", calibration_record, ("POST",)),
    ("/action/calibration/close", calibration_close, ("POST",)),
)
