"""Find the calls in files and folders, pairing one-file-per-side recordings.

A call is one of:
- one recording (stereo or mono);
- two recordings of the same call, one per side, named ``<call>.agent.wav`` and
  ``<call>.customer.wav`` (also ``_agent`` / ``-agent``; ``caller`` for
  customer), or ``agent.wav`` and ``customer.wav``/``caller.wav`` alone in a folder;
- a text or JSON transcript (chat, e-mail, a call transcribed elsewhere).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qa_toolkit.io.audio import AUDIO_SUFFIXES

TRANSCRIPT_SUFFIXES = frozenset({".txt", ".json"})
_SIDE = re.compile(r"^(?P<call>.*?)(?:^|[._-])(?P<side>agent|customer|caller)$", re.IGNORECASE)
# Files that sit beside recordings but are not calls.
_IGNORED = re.compile(r"(\.truth\.json|README\.\w+|\.meta\.json|metadata\.(csv|json))$", re.I)


@dataclass(frozen=True, slots=True)
class CallInput:
    """One call to process: a recording, two sides, or a transcript."""

    call_id: str
    path: Path | None = None
    agent: Path | None = None
    customer: Path | None = None

    @property
    def is_transcript(self) -> bool:
        return self.path is not None and self.path.suffix.lower() in TRANSCRIPT_SUFFIXES

    @property
    def files(self) -> tuple[Path, ...]:
        return tuple(p for p in (self.path, self.agent, self.customer) if p is not None)


def find_calls(inputs: Iterable[str | Path], *, transcripts: bool = True) -> list[CallInput]:
    """Expand files and folders (recursively) into calls, sorted by call id.

    Args:
        inputs: files and folders.
        transcripts: include ``.txt`` / ``.json`` transcripts found in folders.

    Returns:
        The calls; a file named explicitly is always included, even a missing
        one, so that the caller reports it.
    """
    files: list[Path] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if _wanted(p, transcripts))
        else:
            files.append(path)
    return _pair(files)


def _wanted(path: Path, transcripts: bool) -> bool:
    if path.name.startswith(".") or _IGNORED.search(path.name):
        return False
    # A link to a file that is gone is kept, so the batch reports it instead of skipping it.
    dangling = path.is_symlink() and not path.exists()
    if not path.is_file() and not dangling:
        return False
    suffix = path.suffix.lower()
    return suffix in AUDIO_SUFFIXES or (transcripts and suffix in TRANSCRIPT_SUFFIXES)


def _pair(files: list[Path]) -> list[CallInput]:
    sides: dict[tuple[Path, str], dict[str, Path]] = {}
    calls: list[CallInput] = []
    for file in dict.fromkeys(files):  # keeps order, drops duplicates
        match = _SIDE.match(file.stem) if file.suffix.lower() in AUDIO_SUFFIXES else None
        if match is None:
            calls.append(CallInput(file.stem, path=file))
            continue
        call = match.group("call") or file.parent.name
        side = "agent" if match.group("side").lower() == "agent" else "customer"
        sides.setdefault((file.parent, call), {})[side] = file
    for (_, call), pair in sides.items():
        if len(pair) == 2:
            calls.append(CallInput(call, agent=pair["agent"], customer=pair["customer"]))
        else:  # one side alone is still a call; roles come from diarization
            calls.extend(CallInput(f.stem, path=f) for f in pair.values())
    return sorted(calls, key=lambda c: (c.call_id, str(c.files[0])))
