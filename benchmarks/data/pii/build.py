"""Turn the marked-up conversations (``dev.txt``, ``test.txt``) into the JSONL the benchmark reads.

A conversation starts with ``## ID LANGUAGE CHANNEL``; each following line is
one turn, ``agent: …`` / ``customer: …`` (or ``客服：`` / ``客户：``), and every
piece of personal data in it is marked ``[[type:text]]``. Each turn becomes a
record with its plain text and the character offsets of its spans. Run:
``.venv/bin/python benchmarks/data/pii/build.py``
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TYPES = {"name", "address", "phone", "id", "card", "bank", "email", "code", "number"}
SPEAKERS = {"agent": "agent", "customer": "customer", "客服": "agent", "客户": "customer"}
_MARK = re.compile(r"\[\[(\w+):(.+?)\]\]")
_TURN = re.compile(r"^(agent|customer|客服|客户)[:：]\s*(.*)$")


def parse_turn(marked: str) -> tuple[str, list[dict[str, object]]]:
    """The plain text of a marked turn and its spans (start, end, type, text)."""
    text, spans, last = "", [], 0
    for m in _MARK.finditer(marked):
        kind, said = m.group(1), m.group(2)
        if kind not in TYPES:
            raise ValueError(f"unknown span type {kind!r} in: {marked}")
        text += marked[last : m.start()]
        spans.append({"start": len(text), "end": len(text) + len(said), "type": kind,
                      "text": said})  # fmt: skip
        text += said
        last = m.end()
    text += marked[last:]
    if "[[" in text or "]]" in text:
        raise ValueError(f"unclosed mark in: {marked}")
    return text, spans


def convert(source: Path) -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    conversation, language, channel, turn = "", "", "", 0
    for number, line in enumerate(source.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("## "):
            conversation, language, channel = line[3:].split()
            turn = 0
            continue
        m = _TURN.match(line)
        if not m or not conversation:
            raise ValueError(f"{source.name}:{number}: not a turn: {line}")
        text, spans = parse_turn(m.group(2))
        records.append({
            "id": f"{conversation}/{turn}", "conversation": conversation, "turn": turn,
            "speaker": SPEAKERS[m.group(1)], "channel": channel, "language": language,
            "text": text, "spans": spans,
        })  # fmt: skip
        turn += 1
    return records


def main() -> None:
    for name in sys.argv[1:] or ["dev", "test"]:
        source = HERE / f"{name}.txt"
        if not source.is_file():
            continue
        records = convert(source)
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8") as out:
            for record in records:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count = sum(len(r["spans"]) for r in records)  # type: ignore[arg-type]
        print(f"{name}: {len(records)} turns, {count} spans")


if __name__ == "__main__":
    main()
