"""Assignments, comments, coaching notes and the case library in the web app.

Who may: a reviewer assigns calls to themself, a supervisor to anyone (and
takes any assignment away, as may its reviewer); reviewers and supervisors
comment, write coaching notes and keep the case library; an agent
acknowledges the coaching notes addressed to them. All through
:mod:`qa_toolkit.review.coaching`.
"""

from __future__ import annotations

from flask import Response as FlaskResponse
from flask import abort, redirect, render_template, request
from flask import url_for as _url
from werkzeug.wrappers import Response

from qa_toolkit.review import coaching
from qa_toolkit.web import access, forms, queries
from qa_toolkit.web.context import store


def assign() -> Response:
    """Give the call to a reviewer (to oneself unless a supervisor)."""
    viewer = access.staff()
    call_id, _ = forms.posted_call()
    reviewer = request.form.get("reviewer", "").strip() or viewer.name
    if not viewer.is_supervisor and reviewer != viewer.name:
        abort(403, "a reviewer assigns calls only to themself")
    from qa_toolkit.web.security import valid_name

    if not valid_name(reviewer):
        abort(400, "bad reviewer name")
    forms.run(coaching.assign_call, call_id, reviewer, by=viewer.name,
              note=forms.optional("note"))  # fmt: skip
    return forms.to_call(call_id, "assignment")


def unassign() -> Response:
    """Take the call's assignment away (its reviewer or a supervisor)."""
    viewer = access.staff()
    call_id, _ = forms.posted_call()
    found = coaching.assignment(store(), call_id)
    if found is not None and not viewer.is_supervisor and found.reviewer != viewer.name:
        abort(403, "only the assigned reviewer or a supervisor takes an assignment away")
    forms.run(coaching.unassign_call, call_id)
    return forms.to_call(call_id, "assignment")


def assigned_page() -> str:
    """The calls assigned to the viewer (a supervisor may ask for everyone's: ``?all=1``)."""
    viewer = access.staff()
    everyone = viewer.is_supervisor and request.args.get("all") == "1"
    rows = coaching.assignments(store(), None if everyone else viewer.name)
    return render_template("assigned.html", rows=rows, everyone=everyone)


def comment() -> Response:
    """A comment on the call, at a moment of it or on the whole call."""
    viewer = access.staff()
    call_id, _ = forms.posted_call()
    forms.run(coaching.add_comment, call_id, forms.field("body"), author=viewer.name,
              at_s=forms.seconds("at"))  # fmt: skip
    return forms.to_call(call_id, "comments")


def note() -> Response:
    """A coaching note to the call's agent (or, from the agent page, to an agent)."""
    viewer = access.staff()
    call_id = request.form.get("call_id", "").strip()
    if call_id:
        call_id, meta = forms.posted_call()
        agent_id = str(meta.get("agent_id") or "")
    else:
        agent_id = forms.field("agent_id", limit=200)
        if agent_id not in queries.choices(store())["agents"]:
            abort(404, "no such agent")
    item_id = forms.an_id("item_id", required=False)
    forms.run(coaching.add_coaching_note, agent_id, forms.field("body"), author=viewer.name,
              call_id=call_id or None, item_id=item_id)  # fmt: skip
    if call_id:
        return forms.to_call(call_id, "coaching")
    return redirect(_url("agent_page", agent_id=agent_id) + "#coaching")


def acknowledge() -> Response:
    """The agent acknowledges a coaching note addressed to them."""
    viewer = access.require(access.AGENT)
    note_id = forms.an_id("note_id")
    found = forms.run(coaching.acknowledge_note, note_id, agent_id=viewer.agent_id,
                      reply=forms.optional("reply"))  # fmt: skip
    if request.form.get("back") == "call" and found.call_id:
        return forms.to_call(found.call_id, "coaching")
    return redirect(_url("agent_page", agent_id=viewer.agent_id) + "#coaching")


def add_case() -> Response:
    """Put the call in the case library as a good or bad example."""
    viewer = access.staff()
    call_id, _ = forms.posted_call()
    forms.run(coaching.add_case, call_id, forms.field("example", coaching.EXAMPLES),
              forms.field("tag", limit=60), by=viewer.name, note=forms.optional("note"),
              at_s=forms.seconds("at"))  # fmt: skip
    return forms.to_call(call_id, "cases")


def remove_case() -> Response:
    """Take a case out of the library."""
    access.staff()
    forms.run(coaching.remove_case, forms.an_id("case_id"))
    back = request.form.get("call_id", "").strip()
    if back:
        return forms.to_call(forms.call_id(back), "cases")
    return redirect(_url("cases_page"))


def cases_page() -> str:
    """The case library, by tag and example kind, with the export links."""
    access.staff()
    tag = request.args.get("tag", "").strip()[:60] or None
    example = forms.choice("example", coaching.EXAMPLES)
    rows = coaching.cases(store(), tag=tag, example=example)
    return render_template("cases.html", rows=rows, tags=coaching.case_tags(store()), tag=tag,
                           example=example, examples=coaching.EXAMPLES)  # fmt: skip


def export_cases() -> FlaskResponse:
    """The case library (as filtered) as CSV or JSON Lines, each case with its transcript."""
    access.staff()
    fmt = forms.choice("format", coaching.EXPORT_FORMATS) or "csv"
    tag = request.args.get("tag", "").strip()[:60] or None
    example = forms.choice("example", coaching.EXAMPLES)
    body = forms.run(coaching.export_cases, fmt, tag=tag, example=example)
    kind = "text/csv" if fmt == "csv" else "application/x-ndjson"
    response = FlaskResponse(body, mimetype=kind)
    response.headers["Content-Disposition"] = f'attachment; filename="case-library.{fmt}"'
    return response


ROUTES = (
    ("/action/assign", assign, ("POST",)),
    ("/action/unassign", unassign, ("POST",)),
    ("/assigned", assigned_page, ("GET",)),
    ("/action/comment", comment, ("POST",)),
    ("/action/note", note, ("POST",)),
    ("/action/acknowledge", acknowledge, ("POST",)),
    ("/action/case", add_case, ("POST",)),
    ("/action/case/remove", remove_case, ("POST",)),
    ("/cases", cases_page, ("GET",)),
    ("/cases/export", export_cases, ("GET",)),
)
