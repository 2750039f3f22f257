"""Who is asking, and what their role lets them do: every check runs on the server.

The viewer is the signed-in account (``--users FILE``), or, when the app runs
for one person (on loopback, or with ``--token``), the single user named at
start with the supervisor's rights. Their name is recorded as the reviewer of
every action: no form asks for a name.

=========== =========================================================================
role        may
=========== =========================================================================
agent       open their own calls and agent page (read-only), appeal their results,
            acknowledge coaching notes addressed to them
reviewer    every call and page; review, override, comment, assign calls to
            themself, write coaching notes, keep the case library, score calibration
            sessions they are in
supervisor  all of that; decide appeals, assign calls to anyone, run calibration
            sessions, manage users
=========== =========================================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, session

AGENT, REVIEWER, SUPERVISOR = "agent", "reviewer", "supervisor"
STAFF = (REVIEWER, SUPERVISOR)


@dataclass(frozen=True, slots=True)
class Viewer:
    """The person behind a request."""

    name: str
    role: str
    agent_id: str = ""  # for an agent: the agent id their calls carry

    @property
    def is_agent(self) -> bool:
        """Whether the viewer sees only their own calls."""
        return self.role == AGENT

    @property
    def is_staff(self) -> bool:
        """Reviewers and supervisors."""
        return self.role in STAFF

    @property
    def is_supervisor(self) -> bool:
        """Supervisors."""
        return self.role == SUPERVISOR


def viewer() -> Viewer:
    """The viewer of the current request (401 when nobody is signed in)."""
    if session.get("user"):
        return Viewer(str(session["user"]), str(session.get("role", REVIEWER)),
                      str(session.get("agent", "")))  # fmt: skip
    if current_app.config["ACCOUNTS"] is None and not current_app.config["USERS"]:
        return Viewer(current_app.config["SINGLE_USER"], SUPERVISOR)
    abort(401)


def optional_viewer() -> Viewer | None:
    """The viewer, or None before sign-in (the login and error pages)."""
    if session.get("user"):
        return viewer()
    if current_app.config["ACCOUNTS"] is None and not current_app.config["USERS"]:
        return viewer()
    return None


def require(*roles: str) -> Viewer:
    """The viewer, when their role is one of ``roles``; 403 otherwise."""
    found = viewer()
    if found.role not in roles:
        abort(403, f"needs the role {' or '.join(roles)}")
    return found


def staff() -> Viewer:
    """The viewer, when a reviewer or supervisor."""
    return require(*STAFF)


def supervisor() -> Viewer:
    """The viewer, when a supervisor."""
    return require(SUPERVISOR)


def may_open_call(meta: dict[str, Any]) -> Viewer:
    """The viewer, when they may see this call (an agent: only their own); 403 otherwise."""
    found = viewer()
    if found.is_agent and str(meta.get("agent_id", "")) != found.agent_id:
        abort(403, "an agent sees only their own calls")
    return found


def may_see_agent(agent_id: str) -> Viewer:
    """The viewer, when they may see this agent's page."""
    found = viewer()
    if found.is_agent and agent_id != found.agent_id:
        abort(403, "an agent sees only their own page")
    return found
