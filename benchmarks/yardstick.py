"""The labelled yardstick: the conversations of ``benchmarks/verdicts/`` as transcripts.

Four sources, each kept where its licence allows:

- ``written``: calls and chats written for the yardstick (``verdicts/conversations/{en,zh}``),
  text transcripts in the product's format, part of this repository;
- ``asr``: the project's sample recordings and two public recordings of
  ``../shared/data`` (Apache-2.0 and MIT), transcribed once by ``qa transcribe`` into
  ``verdicts/transcripts/``;
- ``chat``: the sample chats in ``samples/``;
- ``stc3``: real customer↔helpdesk threads from ``../shared/data/stc3`` (research use): only
  their ids (``verdicts/stc3_ids.txt``) and our labels are kept here; the text is read from
  the data folder, and those conversations are skipped when it is absent.

Run ``python -m benchmarks.yardstick render OUT`` to write every conversation as a numbered,
readable text file for the readers who label them (``docs/labelling-guide.md``).
"""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks.score_eval import STC3_FILES, stc3_transcript
from qa_toolkit.io.transcripts import load_transcript
from qa_toolkit.types import Transcript

ROOT = Path(__file__).resolve().parents[1]
HERE = ROOT / "benchmarks" / "verdicts"
DEFAULT_DATA = ROOT.parent / "shared" / "data"


@dataclass(frozen=True, slots=True)
class Conversation:
    """One labelled conversation: its transcript and where it comes from."""

    call_id: str
    transcript: Transcript
    language: str  # en | zh
    source: str  # written | asr | chat | stc3
    channel: str  # call | chat

    @property
    def timed(self) -> bool:
        """Whether its times come from audio (text transcripts only estimate them)."""
        return self.source == "asr"


def load_yardstick(data: Path = DEFAULT_DATA) -> list[Conversation]:
    """Every yardstick conversation that can be read here, in a stable order."""
    return [*_written(), *_asr(), *_chats(), *_stc3(data)]


def _written() -> list[Conversation]:
    out = []
    for path in sorted((HERE / "conversations").glob("*/*.txt")):
        t = load_transcript(path)
        has_stamps = any(line.startswith("[") for line in path.read_text("utf-8").splitlines())
        channel = "call" if has_stamps else "chat"
        out.append(Conversation(path.stem, t, path.parent.name, "written", channel))
    return out


def _asr() -> list[Conversation]:
    out = []
    for path in sorted((HERE / "transcripts").glob("*.json")):
        t = load_transcript(path, call_id=path.stem)
        out.append(Conversation(path.stem, t, t.language or "en", "asr", "call"))
    return out


def _chats() -> list[Conversation]:
    out = []
    for name in ("chat_en", "chat_zh"):
        t = load_transcript(ROOT / "samples" / f"{name}.txt")
        out.append(Conversation(name, t, name[-2:], "chat", "chat"))
    return out


def stc3_ids() -> list[tuple[str, str]]:
    """(language, dialogue id) of the STC-3 threads in the yardstick."""
    lines = (HERE / "stc3_ids.txt").read_text("utf-8").splitlines()
    pairs = [line.split() for line in lines if line.strip() and not line.startswith("#")]
    return [(code, dialogue_id) for code, dialogue_id in pairs]


def _stc3(data: Path) -> list[Conversation]:
    wanted = stc3_ids()
    out = []
    for code, name in STC3_FILES.items():
        path = data / "stc3" / name
        if not path.is_file():
            continue
        by_id = {str(d["id"]): d for d in json.loads(path.read_text("utf-8"))}
        for lang, dialogue_id in wanted:
            if lang == code and dialogue_id in by_id:
                t = replace(
                    stc3_transcript(by_id[dialogue_id], code), call_id=f"stc3-{code}-{dialogue_id}"
                )
                out.append(Conversation(t.call_id, t, code, "stc3", "chat"))
    return out


def render(conversation: Conversation) -> str:
    """A conversation as the readers see it: a header, then numbered turns."""
    c = conversation
    kind = (
        "phone call transcribed from audio"
        if c.timed
        else (
            "phone call (written transcript, times are stamps only)"
            if c.channel == "call"
            else "chat / helpdesk thread"
        )
    )
    lines = [f"# call_id: {c.call_id}", f"# {kind}; language {c.language}", ""]
    for n, u in enumerate(c.transcript.utterances, start=1):
        when = f"[{_clock(u.start_s)}-{_clock(u.end_s)}] " if c.timed or c.channel == "call" else ""
        lines.append(f"{n:>3}. {when}{u.speaker}: {u.text}")
    return "\n".join(lines) + "\n"


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def merge_parts(reader: str) -> Path:
    """Join a reader's batch files (``labels/parts/<reader>_*.csv``) into one label file."""
    parts = sorted((HERE / "labels" / "parts").glob(f"{reader}_*.csv"))
    rows: dict[str, dict[str, str]] = {}
    header: list[str] = []
    for part in parts:
        with part.open(encoding="utf-8") as f:
            reader_rows = csv.DictReader(f)
            header = header or list(reader_rows.fieldnames or [])
            for row in reader_rows:
                rows[row["call_id"]] = row
    target = HERE / "labels" / f"{reader}.csv"
    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header)
        writer.writeheader()
        writer.writerows(rows[k] for k in sorted(rows))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    sub = parser.add_subparsers(dest="command", required=True)
    out = sub.add_parser("render", help="write each conversation as a text file for readers")
    out.add_argument("folder", type=Path)
    out.add_argument("--data", type=Path, default=DEFAULT_DATA)
    merge = sub.add_parser("merge", help="join each reader's batch files into one label file")
    merge.add_argument("readers", nargs="+")
    args = parser.parse_args()
    if args.command == "merge":
        for name in args.readers:
            print(f"wrote {merge_parts(name)}")
        return
    args.folder.mkdir(parents=True, exist_ok=True)
    conversations = load_yardstick(args.data)
    for c in conversations:
        (args.folder / f"{c.call_id}.txt").write_text(render(c), "utf-8")
    print(f"{len(conversations)} conversations written to {args.folder}")


if __name__ == "__main__":
    main()
