"""Redaction against a labelled personal-data set: precision and recall per type and language.

The set (``benchmarks/data/pii/``, see its README) is call-centre turns in
English and Chinese, calls and chats, written for this project with every
name, number, e-mail and address marked. ``dev`` was written before the name
and street detectors; ``test`` after them, and was not used to tune them.

Each conversation becomes a transcript and goes through
:func:`qa_toolkit.privacy.pii_spans` as one call (so a name heard in one turn
is known in the next). Two systems are scored:

- ``before``: the number, e-mail and house-number address finder alone
  (:func:`qa_toolkit.nlp.pii.find_pii`), as redaction was before names;
- ``toolkit``: what :func:`qa_toolkit.privacy.redact` does by default.

Per split, system, language and type: ``gold`` and ``found`` spans,
``P`` (found spans that overlap a gold span of the same type), ``R`` (gold
spans overlapped by a found span of the same type), and ``masked`` (gold spans
whose every character is under some tag, whatever its type: what a reader of
the redacted text can no longer see). Run:
``.venv/bin/python -m benchmarks.redaction_eval [--split dev|test] [--errors]``
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa_toolkit.nlp.pii import find_pii as find_numbers
from qa_toolkit.privacy import pii_spans
from qa_toolkit.types import Speaker, Transcript, Utterance

DATA = Path(__file__).resolve().parent / "data" / "pii"
SPLITS = ("dev", "test")
TYPES = ("name", "address", "phone", "id", "card", "bank", "email", "code", "number")


@dataclass(frozen=True)
class Turn:
    conversation: str
    speaker: str
    language: str
    text: str
    gold: tuple[tuple[int, int, str], ...]


Found = tuple[tuple[int, int, str], ...]
System = Callable[[Sequence[Turn]], list[Found]]


def load_turns(split: str) -> list[Turn]:
    """The turns of one split, in conversation order."""
    turns = []
    for line in (DATA / f"{split}.jsonl").read_text("utf-8").splitlines():
        row = json.loads(line)
        gold = tuple((s["start"], s["end"], s["type"]) for s in row["spans"])
        turns.append(Turn(row["conversation"], row["speaker"], row["language"], row["text"], gold))
    return turns


def _conversations(turns: Sequence[Turn]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = defaultdict(list)
    for i, turn in enumerate(turns):
        grouped[turn.conversation].append(i)
    return grouped


def before(turns: Sequence[Turn]) -> list[Found]:
    return [tuple((s.start, s.end, str(s.kind)) for s in find_numbers(t.text)) for t in turns]


def toolkit(turns: Sequence[Turn]) -> list[Found]:
    out: list[Found] = [() for _ in turns]
    for conversation, indexes in _conversations(turns).items():
        utterances = tuple(
            Utterance(f"u{k}", _speaker(turns[i].speaker), float(k), k + 0.5, turns[i].text)
            for k, i in enumerate(indexes)
        )
        found = pii_spans(Transcript(conversation, utterances, turns[indexes[0]].language))
        for i, spans in zip(indexes, found, strict=True):
            out[i] = tuple((s.start, s.end, str(s.kind)) for s in spans)
    return out


def _speaker(role: str) -> Speaker:
    return "agent" if role == "agent" else "customer"


SYSTEMS: dict[str, System] = {"before": before, "toolkit": toolkit}


@dataclass
class Count:
    gold: int = 0
    found: int = 0
    right: int = 0  # found spans that overlap gold of their type
    hit: int = 0  # gold spans overlapped by a found span of their type
    masked: int = 0

    def add(self, other: Count) -> None:
        self.gold += other.gold
        self.found += other.found
        self.right += other.right
        self.hit += other.hit
        self.masked += other.masked


def _overlap(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _is_masked(text: str, gold: tuple[int, int, str], found: Found) -> bool:
    covered = set()
    for start, end, _ in found:
        covered.update(range(start, end))
    return all(i in covered or text[i].isspace() for i in range(gold[0], gold[1]))


def score(turns: Sequence[Turn], found: Sequence[Found]) -> dict[tuple[str, str], Count]:
    """Counts per (language, type)."""
    counts: dict[tuple[str, str], Count] = defaultdict(Count)
    for turn, spans in zip(turns, found, strict=True):
        for g in turn.gold:
            c = counts[turn.language, g[2]]
            c.gold += 1
            c.hit += any(_overlap(g, f) and f[2] == g[2] for f in spans)
            c.masked += _is_masked(turn.text, g, spans)
        for f in spans:
            c = counts[turn.language, f[2]]
            c.found += 1
            c.right += any(_overlap(g, f) and f[2] == g[2] for g in turn.gold)
    return counts


def errors(turns: Sequence[Turn], found: Sequence[Found]) -> list[str]:
    """Each missed and each wrong span, with its turn."""
    lines = []
    for turn, spans in zip(turns, found, strict=True):
        for g in turn.gold:
            if not any(_overlap(g, f) and f[2] == g[2] for f in spans):
                lines.append(f"miss  {g[2]:8} {turn.text[g[0] : g[1]]!r:30} in {turn.text}")
        for f in spans:
            if not any(_overlap(g, f) and f[2] == g[2] for g in turn.gold):
                lines.append(f"wrong {f[2]:8} {turn.text[f[0] : f[1]]!r:30} in {turn.text}")
    return lines


def _ratio(a: int, b: int) -> str:
    return f"{a / b:6.3f}" if b else "     -"


def _print(split: str, system: str, counts: dict[tuple[str, str], Count]) -> None:
    for language in ("en", "zh"):
        total = Count()
        for kind in TYPES:
            c = counts.get((language, kind))
            if c is None:
                continue
            total.add(c)
            print(
                f"{split:5} {system:8} {language:3} {kind:8} {c.gold:5} {c.found:6} "
                f"{_ratio(c.right, c.found)} {_ratio(c.hit, c.gold)} {_ratio(c.masked, c.gold)}"
            )
        print(
            f"{split:5} {system:8} {language:3} {'all':8} {total.gold:5} {total.found:6} "
            f"{_ratio(total.right, total.found)} {_ratio(total.hit, total.gold)} "
            f"{_ratio(total.masked, total.gold)}",
            flush=True,
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=SPLITS, action="append", help="default: both")
    parser.add_argument("--system", choices=tuple(SYSTEMS), action="append")
    parser.add_argument("--errors", action="store_true", help="list the misses and wrong spans")
    args = parser.parse_args(argv)
    print(f"{'split':5} {'system':8} {'':3} {'type':8} {'gold':>5} {'found':>6} "
          f"{'P':>6} {'R':>6} {'masked':>6}")  # fmt: skip
    # Load the name models once before any timing (spaCy takes seconds to load).
    toolkit([Turn("warm-up", "customer", "en", "my name is Ann Lee, 我叫王芳", ())])
    for split in args.split or SPLITS:
        if not (DATA / f"{split}.jsonl").is_file():
            print(f"skipping {split}: {DATA / f'{split}.jsonl'} not found")
            continue
        turns = load_turns(split)
        for name in args.system or SYSTEMS:
            started = time.perf_counter()
            found = SYSTEMS[name](turns)
            ms = (time.perf_counter() - started) * 1000 / len(turns)
            _print(split, name, score(turns, found))
            print(f"{split:5} {name:8} {len(turns)} turns, {ms:.1f} ms per turn")
            if args.errors and name == "toolkit":
                print("\n".join(errors(turns, found)))


if __name__ == "__main__":
    main()
