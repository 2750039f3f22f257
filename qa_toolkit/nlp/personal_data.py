"""One text's personal data: numbers, e-mail and addresses, places, and names, without overlaps.

:func:`combine_spans` puts together what the finders of :mod:`qa_toolkit.nlp`
find in a text: :func:`qa_toolkit.nlp.pii.find_pii` first (numbers with
checksums, e-mail, addresses with a house number), then the addresses without
a number of :func:`qa_toolkit.nlp.places.find_places`, then people's names
(:mod:`qa_toolkit.nlp.names`). What comes first wins an overlap, and address
parts said one after another become one address. :class:`RedactionOptions`
says how far it goes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from qa_toolkit.errors import UsageError
from qa_toolkit.nlp import pii
from qa_toolkit.nlp.names import NameSpan
from qa_toolkit.nlp.pii import PiiKind, PiiSpan
from qa_toolkit.nlp.places import find_places

# Names come from qa_toolkit.nlp.names: the number and address finder does not look for them.
NAME: PiiKind = "name"
PII_KINDS: tuple[PiiKind, ...] = (*pii.PII_KINDS, NAME)
AddressLevel = Literal["numbered", "street"]
ADDRESS_LEVELS: tuple[AddressLevel, ...] = ("numbered", "street")


@dataclass(frozen=True, slots=True)
class RedactionOptions:
    """How far redaction goes beyond numbers and e-mail.

    Attributes:
        address_level: ``"street"`` (default) also redacts addresses without a
            house number (street, estate and building names, postcodes, 省/市/区
            chains); ``"numbered"`` only those with a house number.
        keep_agent_name: keep the first name an agent introduces themself with
            ("my name is Priya", 我是小陈), wherever the call says it; the
            surname and everyone else's names are still redacted. Off by default.
        name_model: the spaCy English pipeline for names (a package or a path);
            by default ``en_core_web_sm``, else the ``names`` extra's mirror of it.
    """

    address_level: AddressLevel = "street"
    keep_agent_name: bool = False
    name_model: str | None = None

    def __post_init__(self) -> None:
        if self.address_level not in ADDRESS_LEVELS:
            raise UsageError(
                f"unknown address level {self.address_level!r}",
                fix=f"use one of: {', '.join(ADDRESS_LEVELS)}",
            )


DEFAULT_OPTIONS = RedactionOptions()

# Between two parts of one address: commas, and a town between commas ("…Park, Gateshead, NE8 3DA").
_ADDRESS_GAP = re.compile(r"[\s,，、]*(?:[A-Z][a-z]+(?: [A-Z][a-z]+)?,\s*)?")


def combine_spans(
    text: str,
    wanted: tuple[PiiKind, ...],
    options: RedactionOptions,
    names: Sequence[NameSpan] | None,
) -> tuple[PiiSpan, ...]:
    """Numbers and e-mail first, then addresses without a number, then names; no overlaps."""
    chosen = list(pii.find_pii(text, kinds=[k for k in wanted if k != NAME]))
    if "address" in wanted and options.address_level == "street":
        for start, end in find_places(text):
            # A ZIP code after "zip code" is an address, not the code the cue suggests.
            chosen = [s for s in chosen if not _inside_as_number(s, start, end)]
            _add(chosen, PiiSpan("address", start, end, text[start:end]))
    for name in names or ():
        _add(chosen, PiiSpan(NAME, name.start, name.end, name.text))
    return merge_addresses(text, sorted(chosen, key=lambda s: s.start))


def _inside_as_number(span: PiiSpan, start: int, end: int) -> bool:
    return span.kind in ("code", "number") and start <= span.start and span.end <= end


def _add(chosen: list[PiiSpan], span: PiiSpan) -> None:
    if not any(span.start < c.end and c.start < span.end for c in chosen):
        chosen.append(span)


def merge_addresses(text: str, spans: list[PiiSpan]) -> tuple[PiiSpan, ...]:
    """Address parts said one after another ("21 Kingsley Road, B13 9JX") as one address."""
    out: list[PiiSpan] = []
    for span in spans:
        last = out[-1] if out else None
        if (
            last is not None
            and last.kind == span.kind == "address"
            and _ADDRESS_GAP.fullmatch(text[last.end : span.start])
        ):
            out[-1] = PiiSpan("address", last.start, span.end, text[last.start : span.end])
        else:
            out.append(span)
    return tuple(out)


_HAN = re.compile(r"[\u4e00-\u9fff]")


def keep_agent_name(
    speakers: Sequence[str], names: Sequence[Sequence[NameSpan] | None]
) -> list[Sequence[NameSpan] | None]:
    """The names with the agent's self-introduced first name left out, wherever it is said.

    Args:
        speakers: the speaker of each of the first ``len(speakers)`` texts.
        names: the names found in each text (more texts may follow the spoken ones).
    """
    kept: set[str] = set()
    for speaker, found in zip(speakers, names, strict=False):
        if speaker == "agent":
            for span in found or ():
                if span.self_intro:
                    kept.add(_first_name(span.text))
    kept.discard("")
    if not kept:
        return list(names)
    return [None if n is None else _without(n, kept) for n in names]


def _first_name(said: str) -> str:
    if _HAN.search(said) is not None:
        # 小陈 leaves 陈 (a nickname is all the agent gives); 宋佳 leaves the given name 佳.
        return said if len(said) == 1 else said[1:]
    return said.split()[0].lower() if said.split() else ""


def _without(spans: Sequence[NameSpan], kept: set[str]) -> tuple[NameSpan, ...]:
    out = []
    for span in spans:
        said = span.text
        if said.lower() in kept:
            continue
        first = said.split()[0] if " " in said else ""
        if first.lower() in kept:  # "Priya Sharma": the surname still goes
            cut = len(first) + 1
            out.append(NameSpan(span.start + cut, span.end, said[cut:], span.self_intro))
        elif _HAN.search(said) is not None and len(said) > 1 and said[1:] in kept:
            out.append(NameSpan(span.start, span.start + 1, said[:1], span.self_intro))
        else:
            out.append(span)
    return tuple(out)
