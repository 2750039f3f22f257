"""Agent and team pages, and the supervisor's page of users.

An agent's page: their score trend (every call a dot, the mean per day a
line, the threshold dashed), the items they fail most with the share of their
calls, their flags by kind, their coaching notes (acknowledged or not; an
agent acknowledges from here) and their newest calls. An agent sees only
their own page; a team page is for reviewers and supervisors.

With a users file, a supervisor adds users, changes roles and removes users
here as ``qa users`` does: the file is rewritten, and the change reaches
signed-in sessions at their next request.
"""

from __future__ import annotations

from flask import abort, current_app, redirect, render_template, request
from flask import url_for as _url
from werkzeug.wrappers import Response

from qa_toolkit.errors import UsageError
from qa_toolkit.review import coaching
from qa_toolkit.store import accounts as users
from qa_toolkit.web import access, forms, queries, security, svg
from qa_toolkit.web.context import store

_THRESHOLD = 70.0  # the default rubric's flag_below; the line is a guide, not the rule


def _person(kind: str, name: str) -> str:
    if not security.valid_person(name):
        abort(400)
    summary = queries.person_summary(
        store(), team=name if kind == "team" else None, agent_id=name if kind == "agent" else None
    )
    if not summary["calls"]:
        abort(404)
    from flask import session

    from qa_toolkit.web.i18n import translator

    t = translator(session.get("lang", "en"))
    chart = svg.score_trend(summary["points"], summary["days"], threshold=_THRESHOLD,
                            label=t["over_time"], no_data=t["none"])  # fmt: skip
    notes = coaching.coaching_notes(store(), agent_id=name) if kind == "agent" else ()
    return render_template("person.html", kind=kind, name=name, summary=summary, chart=chart,
                           notes=notes)  # fmt: skip


def agent_page(agent_id: str) -> str:
    """An agent's trend, failed items, flags, coaching notes and newest calls."""
    access.may_see_agent(agent_id)
    return _person("agent", agent_id)


def team_page(team: str) -> str:
    """A team's trend, failed items, flags and newest calls."""
    access.staff()
    return _person("team", team)


def _users_file() -> users.Accounts:
    found = current_app.config["ACCOUNTS"]
    if found is None:
        abort(404, "the app runs without a users file (qa serve --users FILE)")
    return found.current()


def users_page() -> str:
    """The users, with a form to add or change one (supervisors, with a users file)."""
    access.supervisor()
    found = _users_file()
    return render_template("users.html", users=sorted(found.by_name.values(), key=lambda a: a.name),
                           roles=users.ROLES)  # fmt: skip


def save_user() -> Response:
    """Add a user, or set an existing user's role (and password, when one is given)."""
    viewer = access.supervisor()
    _users_file()
    path = current_app.config["ACCOUNTS"].path
    name = forms.field("name", limit=80)
    role = forms.field("role", users.ROLES)
    password = request.form.get("password", "")
    try:
        if password:
            users.add_account(path, name, role, password=password,
                              agent_id=forms.optional("agent_id", limit=200))  # fmt: skip
        elif name == viewer.name and role != access.SUPERVISOR:
            abort(409, "a supervisor cannot take away their own supervisor role")
        else:
            users.set_role(path, name, role)
    except UsageError as error:
        abort(400, str(error))
    return redirect(_url("users_page"))


def remove_user() -> Response:
    """Remove a user (not oneself)."""
    viewer = access.supervisor()
    _users_file()
    name = forms.field("name", limit=80)
    if name == viewer.name:
        abort(409, "a supervisor cannot remove themself")
    try:
        users.remove_account(current_app.config["ACCOUNTS"].path, name)
    except UsageError as error:
        abort(404, str(error))
    return redirect(_url("users_page"))


ROUTES = (
    ("/agent/<path:agent_id>", agent_page, ("GET",)),
    ("/team/<path:team>", team_page, ("GET",)),
    ("/users", users_page, ("GET",)),
    ("/action/user", save_user, ("POST",)),
    ("/action/user/remove", remove_user, ("POST",)),
)
