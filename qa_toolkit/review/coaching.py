"""Coaching around the reviewed calls: assignments, comments, coaching notes, the case library.

- An **assignment** gives a call to a reviewer (one reviewer per call; a new
  assignment replaces the old), listed in their "assigned to me" view.
- A **comment** is a reviewer's remark on a call, optionally at a moment of
  the recording (``at_s``), so it can be played back.
- A **coaching note** goes to an agent, about a call and an item or in
  general; the agent **acknowledges** it once, with an optional reply.
- The **case library** (案例库) keeps calls marked as a good or a bad example,
  with a tag (what it teaches: ``empathy``, ``refund-policy``) and a note;
  it is browsed by tag and exported as CSV or JSON Lines for training.

Who may do which (an agent acknowledges only their own notes, a reviewer
assigns only to themself, …) is the caller's rule: the web app checks roles;
these functions check that what they are given exists and makes sense.

Example:
    >>> note = add_coaching_note("qa.db", "agent7", "Restate the need first",
    ...                          author="mei", call_id="c42", item_id="restate")  # doctest: +SKIP
    >>> acknowledge_note("qa.db", note.note_id, agent_id="agent7")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import json
import math
import sqlite3
import uuid
from dataclasses import asdict, dataclass
from typing import Any, Literal

from qa_toolkit.errors import InvalidTransitionError, ReviewError, UsageError
from qa_toolkit.review.workflow import StoreLike, opened, scored_call
from qa_toolkit.store import coaching as sql
from qa_toolkit.store.connection import transaction, utc_now

Example = Literal["good", "bad"]
EXAMPLES: tuple[Example, ...] = ("good", "bad")
EXPORT_FORMATS = ("csv", "jsonl")
MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class Assignment:
    """A call given to a reviewer."""

    call_id: str
    reviewer: str
    assigned_by: str
    note: str
    created_at: str
    agent_id: str = ""
    team: str = ""
    call_date: str = ""
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The assignment as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Comment:
    """A reviewer's comment on a call, at a moment of it (``at_s``) or on the whole call."""

    comment_id: str
    call_id: str
    author: str
    at_s: float | None
    body: str
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        """The comment as a JSON-ready dict."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class CoachingNote:
    """A coaching note to an agent, and whether (and how) the agent acknowledged it."""

    note_id: str
    agent_id: str
    call_id: str
    item_id: str
    author: str
    body: str
    created_at: str
    acknowledged_at: str = ""
    reply: str = ""

    @property
    def acknowledged(self) -> bool:
        """Whether the agent has acknowledged the note."""
        return bool(self.acknowledged_at)

    def to_dict(self) -> dict[str, Any]:
        """The note as a JSON-ready dict."""
        return {**asdict(self), "acknowledged": self.acknowledged}


@dataclass(frozen=True, slots=True)
class Case:
    """A call in the case library: a good or bad example, with what it teaches."""

    case_id: str
    call_id: str
    example: Example
    tag: str
    note: str
    at_s: float | None
    added_by: str
    created_at: str
    agent_id: str = ""
    team: str = ""
    call_date: str = ""
    language: str = ""
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The case as a JSON-ready dict."""
        return asdict(self)


# ------------------------------------------------------------------ assignments


def assign_call(
    store: StoreLike, call_id: str, reviewer: str, *, by: str, note: str = ""
) -> Assignment:
    """Give a call to a reviewer (replacing an earlier assignment of it).

    Raises:
        UnknownCallError: no scored call has this id.
        UsageError: no reviewer or assigner named.
    """
    _need(reviewer, "reviewer")
    _need(by, "assigned by")
    with opened(store) as st:
        scored_call(st, call_id)
        row = {"call_id": call_id, "reviewer": reviewer.strip(), "assigned_by": by,
               "note": _text(note, "note", required=False), "created_at": utc_now()}  # fmt: skip
        with transaction(st.conn, st.where) as conn:
            sql.assign(conn, row)
        found = assignment(st, call_id)
    assert found is not None
    return found


def unassign_call(store: StoreLike, call_id: str) -> None:
    """Take a call's assignment away (nothing happens when it has none)."""
    with opened(store) as st, transaction(st.conn, st.where) as conn:
        sql.unassign(conn, call_id)


def assignment(store: StoreLike, call_id: str) -> Assignment | None:
    """A call's assignment, or None."""
    with opened(store) as st:
        rows = sql.assignment_rows(st.conn, call_id=call_id)
    return _assignment(rows[0]) if rows else None


def assignments(store: StoreLike, reviewer: str | None = None) -> tuple[Assignment, ...]:
    """The calls assigned (to one reviewer when given), oldest assignment first."""
    with opened(store) as st:
        return tuple(_assignment(r) for r in sql.assignment_rows(st.conn, reviewer=reviewer))


def _assignment(r: sqlite3.Row) -> Assignment:
    return Assignment(r["call_id"], r["reviewer"], r["assigned_by"], r["note"], r["created_at"],
                      r["agent_id"], r["team"], r["call_date"],
                      None if r["score"] is None else float(r["score"]))  # fmt: skip


# ------------------------------------------------------------------ comments


def add_comment(
    store: StoreLike, call_id: str, body: str, *, author: str, at_s: float | None = None
) -> Comment:
    """Comment on a call, at a moment of it (seconds from the start) or on the whole call.

    Raises:
        UnknownCallError: no scored call has this id.
        UsageError: an empty comment, or a moment that is not a time in the call.
    """
    _need(author, "author")
    when = _moment(at_s)
    with opened(store) as st:
        scored_call(st, call_id)
        row = {"comment_id": f"cm-{uuid.uuid4().hex[:10]}", "call_id": call_id,
               "author": author, "at_s": when, "body": _text(body, "comment"),
               "created_at": utc_now()}  # fmt: skip
        with transaction(st.conn, st.where) as conn:
            sql.insert_comment(conn, row)
    return Comment(str(row["comment_id"]), call_id, author, when, str(row["body"]),
                   str(row["created_at"]))  # fmt: skip


def comments(store: StoreLike, call_id: str) -> tuple[Comment, ...]:
    """A call's comments in the order of the call (untimed ones last)."""
    with opened(store) as st:
        rows = sql.comment_rows(st.conn, call_id)
    return tuple(Comment(r["comment_id"], r["call_id"], r["author"],
                         None if r["at_s"] is None else float(r["at_s"]), r["body"],
                         r["created_at"]) for r in rows)  # fmt: skip


# ------------------------------------------------------------------ coaching notes


def add_coaching_note(
    store: StoreLike,
    agent_id: str,
    body: str,
    *,
    author: str,
    call_id: str | None = None,
    item_id: str = "",
) -> CoachingNote:
    """Write a coaching note to an agent (about a call and one of its items, or in general).

    Raises:
        UnknownCallError: the call is not in the store.
        UsageError: an empty note, or a call of another agent.
    """
    _need(agent_id, "agent")
    _need(author, "author")
    with opened(store) as st:
        if call_id:
            call = scored_call(st, call_id)
            if call.agent_id and call.agent_id != agent_id:
                raise UsageError(f"call {call_id!r} is {call.agent_id}'s, not {agent_id}'s",
                                 fix="write the note to the call's agent")  # fmt: skip
        row = {"note_id": f"cn-{uuid.uuid4().hex[:10]}", "agent_id": agent_id,
               "call_id": call_id or None, "item_id": item_id or "", "author": author,
               "body": _text(body, "note"), "created_at": utc_now()}  # fmt: skip
        with transaction(st.conn, st.where) as conn:
            sql.insert_note(conn, row)
    return CoachingNote(str(row["note_id"]), agent_id, call_id or "", item_id or "", author,
                        str(row["body"]), str(row["created_at"]))  # fmt: skip


def acknowledge_note(
    store: StoreLike, note_id: str, *, agent_id: str, reply: str = ""
) -> CoachingNote:
    """The agent acknowledges a coaching note addressed to them (once), with a reply.

    Raises:
        ReviewError: no such note, or the note is addressed to another agent.
        InvalidTransitionError: the note was acknowledged already.
    """
    with opened(store) as st:
        note = coaching_note(st, note_id)
        if note.agent_id != agent_id:
            raise ReviewError(f"note {note_id} is addressed to another agent",
                              fix="an agent acknowledges only their own notes")  # fmt: skip
        with transaction(st.conn, st.where) as conn:
            done = sql.acknowledge_note(conn, note_id, by=agent_id,
                                        reply=_text(reply, "reply", required=False),
                                        when=utc_now())  # fmt: skip
        if not done:
            raise InvalidTransitionError(f"note {note_id} was acknowledged already",
                                         fix="nothing to do")  # fmt: skip
        return coaching_note(st, note_id)


def coaching_note(store: StoreLike, note_id: str) -> CoachingNote:
    """One note by id.

    Raises:
        ReviewError: no such note.
    """
    with opened(store) as st:
        rows = sql.note_rows(st.conn, note_id=note_id)
    if not rows:
        raise ReviewError(f"no coaching note {note_id!r}", fix="check the id")
    return _note(rows[0])


def coaching_notes(
    store: StoreLike, *, agent_id: str | None = None, call_id: str | None = None
) -> tuple[CoachingNote, ...]:
    """Coaching notes, newest first (of one agent, or about one call)."""
    with opened(store) as st:
        return tuple(_note(r) for r in sql.note_rows(st.conn, agent_id=agent_id, call_id=call_id))


def _note(r: sqlite3.Row) -> CoachingNote:
    return CoachingNote(r["note_id"], r["agent_id"], r["call_id"] or "", r["item_id"] or "",
                        r["author"], r["body"], r["created_at"], r["acknowledged_at"] or "",
                        r["reply"] or "")  # fmt: skip


# ------------------------------------------------------------------ case library


def add_case(
    store: StoreLike,
    call_id: str,
    example: str,
    tag: str,
    *,
    by: str,
    note: str = "",
    at_s: float | None = None,
) -> Case:
    """Put a call in the case library as a good or bad example of ``tag``.

    Raises:
        UnknownCallError: no scored call has this id.
        UsageError: ``example`` is not good or bad, or the tag is empty or too long.
    """
    if example not in EXAMPLES:
        raise UsageError(f"unknown example kind {example!r}", fix="use good or bad")
    tag = _text(tag, "tag").lower()
    if len(tag) > 60:
        raise UsageError("a tag has at most 60 characters", fix="use a short tag, e.g. empathy")
    _need(by, "added by")
    with opened(store) as st:
        scored_call(st, call_id)
        row = {"case_id": f"cs-{uuid.uuid4().hex[:10]}", "call_id": call_id, "example": example,
               "tag": tag, "note": _text(note, "note", required=False), "at_s": _moment(at_s),
               "added_by": by, "created_at": utc_now()}  # fmt: skip
        with transaction(st.conn, st.where) as conn:
            sql.insert_case(conn, row)
        return cases(st, call_id=call_id, case_id=str(row["case_id"]))[0]


def remove_case(store: StoreLike, case_id: str) -> None:
    """Take a case out of the library.

    Raises:
        ReviewError: no such case.
    """
    with opened(store) as st, transaction(st.conn, st.where) as conn:
        if not sql.delete_case(conn, case_id):
            raise ReviewError(f"no case {case_id!r}", fix="check the id")


def cases(
    store: StoreLike,
    *,
    tag: str | None = None,
    example: str | None = None,
    call_id: str | None = None,
    case_id: str | None = None,
) -> tuple[Case, ...]:
    """The case library, newest first, by tag, example kind or call."""
    with opened(store) as st:
        rows = sql.case_rows(st.conn, tag=tag, example=example, call_id=call_id)
    found = (_case(r) for r in rows)
    return tuple(c for c in found if case_id is None or c.case_id == case_id)


def case_tags(store: StoreLike) -> tuple[tuple[str, int], ...]:
    """Every tag in the case library, with its number of cases."""
    with opened(store) as st:
        return tuple(sql.case_tags(st.conn))


def _case(r: sqlite3.Row) -> Case:
    return Case(r["case_id"], r["call_id"], r["example"], r["tag"], r["note"],
                None if r["at_s"] is None else float(r["at_s"]), r["added_by"], r["created_at"],
                r["agent_id"], r["team"], r["call_date"], r["language"] or "",
                None if r["score"] is None else float(r["score"]))  # fmt: skip


def export_cases(
    store: StoreLike, fmt: str, *, tag: str | None = None, example: str | None = None
) -> str:
    """The case library as CSV or JSON Lines, each case with its call's transcript.

    The transcript is the stored one, redacted (a transcript stored unredacted is redacted
    for the export), as ``speaker: text`` lines in CSV and as utterances in JSON Lines.

    Raises:
        UsageError: an unknown format.
    """
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"unknown format {fmt!r}", fix=f"use {', '.join(EXPORT_FORMATS)}")
    with opened(store) as st:
        rows = [(c, _utterances(st, c.call_id)) for c in cases(st, tag=tag, example=example)]
    if fmt == "jsonl":
        return "".join(
            json.dumps({"schema": "qa-toolkit/case@1", **c.to_dict(), "utterances": u},
                       ensure_ascii=False) + "\n"
            for c, u in rows
        )  # fmt: skip
    out = io.StringIO()
    names = [*Case.__dataclass_fields__, "transcript"]
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for case, utts in rows:
        text = "\n".join(f"{u['speaker']}: {u['text']}" for u in utts)
        writer.writerow({**case.to_dict(), "transcript": text})
    return out.getvalue()


def _utterances(store: Any, call_id: str) -> list[dict[str, Any]]:
    key = store.call_metadata(call_id).get("transcript_key")
    found = store.load_transcript(str(key)) if key else None
    if found is None:
        return []
    transcript, redaction = found
    if redaction in ("", "none"):
        from qa_toolkit.privacy import redact

        transcript = redact(transcript)
    return [{"speaker": u.speaker, "start_s": u.start_s, "end_s": u.end_s, "text": u.text}
            for u in transcript.utterances]  # fmt: skip


# ------------------------------------------------------------------ helpers


def _need(value: str, name: str) -> None:
    if not value or not value.strip():
        raise UsageError(f"{name} is required", fix=f"give a non-empty {name}")


def _text(value: str, name: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise UsageError(f"the {name} is empty", fix=f"write the {name}")
    if len(value) > MAX_TEXT:
        raise UsageError(f"the {name} has {len(value)} characters, more than {MAX_TEXT}",
                         fix="shorten it")  # fmt: skip
    return value


def _moment(at_s: float | None) -> float | None:
    if at_s is None:
        return None
    if not math.isfinite(at_s) or at_s < 0 or at_s > 86_400:
        raise UsageError(f"{at_s} is not a moment of a call", fix="give seconds from the start")
    return round(float(at_s), 2)
