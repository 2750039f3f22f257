"""Stores filled by hand for the review tests: calls, scores and features, no model."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from qa_toolkit.io.metadata import CallMetadata
from qa_toolkit.io.transcripts import parse_text_transcript
from qa_toolkit.rubric import load_rubric
from qa_toolkit.rubric.schema import Rubric
from qa_toolkit.scoring import score_call
from qa_toolkit.scoring.types import CallScore
from qa_toolkit.store import CallRecord, Store

from .conftest import ROOT

CHAT = """agent: Thank you for calling Acme, my name is Sam. How can I help you?
customer: My bill is wrong, I was charged twice.
agent: I'm sorry about that. I understand how frustrating that is. Let me fix it now.
customer: Thank you.
agent: Is there anything else I can help you with? Have a nice day.
"""

RUDE = """agent: yeah what
customer: My bill is wrong, I was charged twice. I want to speak to your manager.
agent: That's your problem, not our department.
customer: This is useless, I will cancel my account.
"""


def default_rubric() -> Rubric:
    """The project's default rubric."""
    return load_rubric(ROOT / "rubrics" / "default.yaml")


def add_call(
    store: Store,
    call_id: str,
    *,
    text: str = CHAT,
    team: str = "billing",
    agent_id: str = "a7",
    day: str = "2026-11-21",
    hour: int = 9,
    rubric: Rubric | None = None,
    score: CallScore | None = None,
    features: dict[str, Any] | None = None,
    with_terms: bool = True,
) -> CallScore:
    """Store one scored call as the batch would; returns its score.

    ``with_terms=False`` stores it as a store from before schema v4 did: without the
    rubric's bands and threshold.
    """
    run = store.start_run("test", ["x"], {})
    start = datetime.fromisoformat(f"{day}T{hour:02d}:30:00")
    meta = CallMetadata(call_id, agent_id=agent_id, team=team, start_time=start, call_date=day)
    call = CallRecord(call_id, f"hash-{call_id}", "text", (f"{call_id}.txt",), meta)
    transcript = parse_text_transcript(text, call_id=call_id)
    store.save_call(run, call)
    store.save_transcript(run, f"t-{call_id}", call, transcript, producer={}, redaction="none")
    used = rubric or default_rubric()
    scored = score or score_call(transcript, used)
    suffix = f"{scored.rubric_id}-{scored.rubric_version}"
    keys = {"transcript": f"t-{call_id}", "features": f"f-{call_id}-{suffix}",
            "score": f"s-{call_id}-{suffix}"}  # fmt: skip
    producers = {"features": {}, "score": {}, "rubric_hash": "h"}
    body = features if features is not None else {"values": {}, "details": {}}
    store.save_score(run, keys, call_id, scored, features=body, producers=producers,
                     terms=used.terms if with_terms else None)  # fmt: skip
    return scored


def store_at(tmp_path: Path) -> Store:
    """A new empty store in ``tmp_path``."""
    return Store(tmp_path / "qa.db")


def qa_group() -> click.Group:
    """The review commands under a ``qa`` group, as the CLI mounts them."""
    from qa_toolkit.cli.review import COMMANDS

    group = click.Group("qa")
    for command in COMMANDS:
        group.add_command(command)
    return group
