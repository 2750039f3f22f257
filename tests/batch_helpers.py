"""Days of calls for the batch tests: text transcripts with metadata, made by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

from .conftest import ROOT, SAMPLES

RUBRIC = ROOT / "rubrics" / "default.yaml"

_GOOD = """agent: Thank you for calling Acme, my name is Sam. How can I help you today?
customer: Hi, my order {n} arrived broken and I am upset.
agent: I'm so sorry, I understand how frustrating that is.
agent: So you received the order damaged, is that right?
customer: Yes.
agent: Can I confirm your name to verify your account?
customer: Jane Doe.
agent: I will send a replacement today and refund the shipping. Anything else I can help with?
customer: No, thank you, that solves it.
agent: Thank you for calling, have a great day.
"""
_RUDE = """agent: Yeah, what is it?
customer: My internet has been down for {n} days.
agent: That's not our department. You should have read the contract.
customer: I want to speak to your manager.
agent: Call back another time.
"""


def make_day(folder: Path, calls: int, *, prefix: str = "c", hour: int = 9) -> list[str]:
    """Write ``calls`` distinct text calls and a metadata.csv; return their ids."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = []
    rows = ["call_id,agent_id,team,queue,start_time"]
    for n in range(calls):
        call_id = f"{prefix}{n:03d}"
        text = (_RUDE if n % 3 == 0 else _GOOD).format(n=f"{prefix}{n}")
        (folder / f"{call_id}.txt").write_text(text, "utf-8")
        team = ("billing", "sales")[n % 2]
        rows.append(f"{call_id},agent{n % 4},{team},q1,2026-11-21T{(hour + n) % 24:02d}:15:00")
        ids.append(call_id)
    (folder / "metadata.csv").write_text("\n".join(rows) + "\n", "utf-8")
    return ids


def copy_samples(folder: Path, *names: str) -> Path:
    """Copy sample recordings (and chats) into a day folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy(SAMPLES / name, folder / name)
    return folder


def rubric_v(folder: Path, version: int, *, flag_below: int | None = None) -> Path:
    """The default rubric with another version (and threshold): a rubric change."""
    text = RUBRIC.read_text("utf-8")
    lines = []
    for line in text.splitlines():
        if line.startswith("version:"):
            line = f"version: {version}"
        elif line.startswith("flag_below:") and flag_below is not None:
            line = f"flag_below: {flag_below}"
        lines.append(line)
    out = folder / f"default_v{version}.yaml"
    out.write_text("\n".join(lines) + "\n", "utf-8")
    return out
