"""The review actions: status, an item's verdict, appeals and their decisions.

Every action goes through :mod:`qa_toolkit.review.workflow` (via
:mod:`qa_toolkit.web.actions`), as the signed-in user: reviewers and
supervisors review and override; an agent appeals their own calls (staff may
record an appeal for the call's agent); only a supervisor decides an appeal.
"""

from __future__ import annotations

from flask import abort
from werkzeug.wrappers import Response

from qa_toolkit.web import access, actions, forms
from qa_toolkit.web.context import store


def set_status() -> Response:
    """Move the call's flag to a new review status."""
    viewer = access.staff()
    call_id, _ = forms.posted_call()
    status = forms.field("status", actions.FLAG_STATUSES)
    comment = forms.optional("comment")
    _act(actions.set_flag_status, call_id, status, viewer.name, comment, forms.version())
    return forms.to_call(call_id)


def override() -> Response:
    """A reviewer's verdict on one item, with a reason (the form beside the item)."""
    viewer = access.staff()
    call_id, _ = forms.posted_call()
    item_id = forms.an_id("item_id")
    status = forms.field("status", actions.ITEM_STATUSES)
    reason = forms.field("reason")
    _act(actions.override_item, call_id, item_id, status, viewer.name, reason, forms.version())
    return forms.to_call(call_id, f"item-{item_id}")


def appeal() -> Response:
    """File an appeal against the call's result or one item: the call's agent, or staff on
    the agent's behalf."""
    viewer = access.viewer()
    call_id, meta = forms.posted_call()
    access.may_open_call(meta)
    item_id = forms.an_id("item_id", required=False)
    agent = viewer.agent_id if viewer.is_agent else str(meta.get("agent_id") or "")
    _act(actions.file_appeal, call_id, agent, forms.field("reason"), item_id)
    return forms.to_call(call_id, "appeals")


def decide() -> Response:
    """Decide an appeal (supervisors)."""
    viewer = access.supervisor()
    call_id, _ = forms.posted_call()
    appeal_id = forms.an_id("appeal_id")
    decision = forms.field("decision", actions.DECISIONS)
    comment = forms.field("comment")
    found = actions.appeals(store(), call_id)
    if not any(a.get("appeal_id") == appeal_id for a in found):
        abort(404, "no such appeal on this call")
    _act(actions.decide_appeal, appeal_id, decision, viewer.name, comment)
    return forms.to_call(call_id, "appeals")


def _act(action: object, *args: object) -> None:
    try:
        forms.run(action, *args)  # type: ignore[arg-type]
    except actions.WorkflowMissing as missing:  # pragma: no cover - the workflow is installed
        abort(501, str(missing))


ROUTES = (
    ("/action/status", set_status, ("POST",)),
    ("/action/override", override, ("POST",)),
    ("/action/appeal", appeal, ("POST",)),
    ("/action/decide", decide, ("POST",)),
)
