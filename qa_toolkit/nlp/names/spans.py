"""The record a name finder returns, and how overlapping finds become one."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class NameSpan:
    """A person's name in a text.

    ``self_intro`` is set where the speaker gives their own name ("my name is
    …", "this is … speaking", 我是…, 我叫…): an agent's introduction.
    """

    start: int
    end: int
    text: str
    self_intro: bool = False


def merge_spans(text: str, spans: Iterable[NameSpan]) -> tuple[NameSpan, ...]:
    """Overlapping spans, and spans with only spaces between them, as one span each."""
    merged: list[NameSpan] = []
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if span.end <= span.start:
            continue
        touches = bool(merged) and (
            span.start <= merged[-1].end or not text[merged[-1].end : span.start].strip(" ")
        )
        if touches:
            last = merged[-1]
            end = max(last.end, span.end)
            merged[-1] = NameSpan(
                last.start, end, text[last.start : end], last.self_intro or span.self_intro
            )
        else:
            merged.append(span)
    return tuple(merged)
