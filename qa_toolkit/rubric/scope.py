"""Apply an item's scope (speaker, window, anchor) to a call, and say it in words."""

from __future__ import annotations

import math

from qa_toolkit.features.timing import has_timing
from qa_toolkit.rubric.schema import SpeakerScope, Window
from qa_toolkit.types import Transcript, Utterance, clock

# A text transcript (a chat, or a call typed with or without [mm:ss] stamps)
# has turns but no measured times: its times are estimates. One rule serves
# every such transcript, in scores, evidence and features alike: a time window
# counts one turn per 5 s, about the length of a short service-call turn, so
# "first 30 s" becomes the conversation's first 6 turns. Rubrics that should
# read the same on chats and calls use turn windows (first_turns, last_turns).
SECONDS_PER_TURN = 5.0

_WHO = {"agent": "the agent's", "customer": "the customer's", "any": "the call's"}


def select(
    transcript: Transcript,
    speaker: SpeakerScope,
    window: Window,
    anchor: Utterance | None = None,
) -> tuple[tuple[Utterance, ...], str]:
    """The utterances an item looks at, and a description for its evidence.

    Args:
        transcript: the call.
        speaker: whose turns count (``any`` for everyone's).
        window: the time and turn bounds; every bound given applies.
        anchor: the utterance that ``window.after`` resolved to, if any.

    Returns:
        The utterances in scope, in call order, and the scope in words
        ("the agent's first 30 s").
    """
    utts = transcript.utterances
    clauses: list[str] = []
    if window.after is not None and anchor is not None:
        utts, clause = _after(utts, window, anchor, has_timing(transcript))
        clauses.append(clause)
    timed = has_timing(transcript)
    utts, time_clauses = _time_bounds(transcript, utts, window, timed)
    clauses += time_clauses
    if speaker != "any":
        utts = tuple(u for u in utts if u.speaker == speaker)
    if window.first_turns is not None:
        utts = utts[: window.first_turns]
        clauses.append(f"first {_turns(window.first_turns)}")
    if window.last_turns is not None:
        utts = utts[-window.last_turns :]
        clauses.append(f"last {_turns(window.last_turns)}")
    who = _WHO[speaker]
    if not clauses:
        return utts, "the whole call" if speaker == "any" else f"{who} turns"
    return utts, f"{who} {' and '.join(clauses)}"


def _turns(n: int) -> str:
    return "turn" if n == 1 else f"{n} turns"


def _after(
    utts: tuple[Utterance, ...], window: Window, anchor: Utterance, timed: bool
) -> tuple[tuple[Utterance, ...], str]:
    index = next((i for i, u in enumerate(utts) if u.id == anchor.id), -1)
    # With two channels, the other side's turn may start before the anchor yet
    # be spoken over it and after it (ASR segments merge pauses), so a turn
    # that is still going when the anchor starts counts as after it.
    following = tuple(
        u
        for i, u in enumerate(utts)
        if u.id != anchor.id
        and (i > index or (timed and u.speaker != anchor.speaker and u.end_s > anchor.start_s))
    )
    if window.within_turns is not None:
        following = following[: window.within_turns]
        n = window.within_turns
        span = f"{n} turn{'s' if n > 1 else ''} after"
    else:
        span = "turns after"
    at = clock(anchor.start_s) if timed else f"turn {index + 1}"
    return following, f"{span} {window.after!r} ({at})"


def _time_bounds(
    transcript: Transcript, utts: tuple[Utterance, ...], window: Window, timed: bool
) -> tuple[tuple[Utterance, ...], list[str]]:
    clauses: list[str] = []
    everything = transcript.utterances
    if window.first_s is not None:
        if timed:
            start = min(u.start_s for u in everything)
            utts = tuple(u for u in utts if u.start_s < start + window.first_s)
            clauses.append(f"first {window.first_s:g} s")
        else:
            keep = {u.id for u in everything[: math.ceil(window.first_s / SECONDS_PER_TURN)]}
            utts = tuple(u for u in utts if u.id in keep)
            clauses.append(f"first {window.first_s:g} s (text: first {len(keep)} turns)")
    if window.last_s is not None:
        if timed:
            end = max(u.end_s for u in everything)
            utts = tuple(u for u in utts if u.end_s > end - window.last_s)
            clauses.append(f"last {window.last_s:g} s")
        else:
            n = math.ceil(window.last_s / SECONDS_PER_TURN)
            keep = {u.id for u in everything[-n:]}
            utts = tuple(u for u in utts if u.id in keep)
            clauses.append(f"last {window.last_s:g} s (text: last {len(keep)} turns)")
    return utts, clauses
