"""The reviewer's actions, written through the review workflow of :mod:`qa_toolkit.review`.

The web app keeps no review tables and no workflow rules of its own: every
status change, override, appeal and decision goes through
``qa_toolkit.review.workflow`` so the CLI, notebooks and the web agree on what is
allowed and on the history. Until a function exists there, the action raises
:class:`WorkflowMissing` and the page says it is not available yet.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from qa_toolkit.store import Store

FLAG_STATUSES = ("open", "in_review", "confirmed", "dismissed")
ITEM_STATUSES = ("pass", "fail", "na")
DECISIONS = ("upheld", "rejected")


class WorkflowMissing(Exception):
    """The review workflow does not (yet) provide a function the web app needs."""

    def __init__(self, name: str) -> None:
        super().__init__(f"waiting for qa_toolkit.review.workflow.{name}")
        self.name = name


def workflow_function(name: str) -> Callable[..., Any]:
    """A function of ``qa_toolkit.review.workflow`` by name.

    Raises:
        WorkflowMissing: the module or the function is not there.
    """
    try:
        module = importlib.import_module("qa_toolkit.review.workflow")
    except ImportError as error:
        raise WorkflowMissing(name) from error
    found = getattr(module, name, None)
    if not callable(found):
        raise WorkflowMissing(name)
    return found


def review_state(store: Store, call_id: str) -> dict[str, Any]:
    """The call's review state (status, reviewer, version) as a dict for the template."""
    return _as_dict(workflow_function("review_state")(store, call_id))


def set_flag_status(
    store: Store, call_id: str, status: str, reviewer: str, comment: str, version: int | None
) -> None:
    """Move a call's flag to ``status`` (open, in_review, confirmed, dismissed)."""
    workflow_function("set_status")(
        store, call_id, status, reviewer=reviewer, note=comment, expected_version=version
    )


def override_item(
    store: Store,
    call_id: str,
    item_id: str,
    status: str,
    reviewer: str,
    reason: str,
    version: int | None,
) -> None:
    """Override one item's result; the workflow keeps the automatic one beside it."""
    workflow_function("override_item")(
        store, call_id, item_id, status, reviewer=reviewer, reason=reason,
        expected_version=version,
    )  # fmt: skip


def file_appeal(store: Store, call_id: str, agent_id: str, reason: str, item_id: str) -> None:
    """File an agent's appeal against a call's result (or one item of it)."""
    workflow_function("file_appeal")(
        store, call_id, reason=reason, agent_id=agent_id or None, item_id=item_id or None
    )


def decide_appeal(store: Store, appeal_id: str, decision: str, reviewer: str, comment: str) -> None:
    """Decide an appeal (upheld or rejected); the decision is final."""
    workflow_function("decide_appeal")(
        store, appeal_id, decision, reviewer=reviewer, reason=comment
    )


def history(store: Store, call_id: str) -> list[dict[str, Any]]:
    """The call's review history, oldest first (empty while the workflow is missing)."""
    try:
        return [_as_dict(e) for e in workflow_function("history")(store, call_id)]
    except WorkflowMissing:
        return []


def appeals(store: Store, call_id: str) -> list[dict[str, Any]]:
    """The call's appeals (empty while the workflow is missing)."""
    try:
        return [_as_dict(a) for a in workflow_function("appeals")(store, call_id=call_id)]
    except WorkflowMissing:
        return []


def overrides(store: Store, call_id: str) -> dict[str, dict[str, Any]]:
    """Item id → the reviewer's current override of it."""
    try:
        found = workflow_function("item_overrides")(store, call_id)
    except WorkflowMissing:
        return {}
    return {o.item_id: _as_dict(o) for o in found}


def _as_dict(entry: Any) -> dict[str, Any]:
    if isinstance(entry, dict):
        return entry
    to_dict = getattr(entry, "to_dict", None)
    if callable(to_dict):
        return dict(to_dict())
    return {name: getattr(entry, name) for name in getattr(entry, "__slots__", ())}
