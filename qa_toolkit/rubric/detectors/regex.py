"""``regex.v1``: a regular expression found (or not) in the scope, with an exclusion.

Patterns run sentence by sentence on folded text (lower case, half width,
simplified Chinese) with punctuation kept, so ``\\d{4}`` and ``？`` behave as
written. A sentence that matches ``exclude`` does not count; the other
sentences of the same utterance still do ("I'm sorry it is late" does not
hide "my name is Priya" before it).
"""

from __future__ import annotations

import importlib
import re
import sys
from collections.abc import Iterator
from functools import lru_cache
from typing import Any, Literal

import zhconv
from pydantic import field_validator

from qa_toolkit.nlp.text import fold
from qa_toolkit.rubric.schema import PhraseList, Strict, flatten_phrases
from qa_toolkit.scoring.types import Evidence

from .base import Detection, View, evidence_of, register, searched


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> re.Pattern[str]:
    """Compile a rubric pattern the way it is matched (simplified Chinese, any case)."""
    return re.compile(zhconv.convert(pattern, "zh-cn"), re.IGNORECASE)


def check_compiles(patterns: tuple[str, ...]) -> None:
    """Every pattern compiles and cannot backtrack for ever (see :func:`nested_repeat`)."""
    for pattern in patterns:
        try:
            compile_pattern(pattern)
        except re.error as exc:
            raise ValueError(f"pattern {pattern!r} does not compile: {exc}") from None
        if nested_repeat(pattern):
            raise ValueError(
                f"pattern {pattern!r} repeats a group that itself repeats (like (a+)+): on a "
                "turn that almost matches it can take hours; repeat once, e.g. (a+) or (a|b)+"
            )


_PARSER: Any = importlib.import_module("re._parser" if sys.version_info >= (3, 11) else "sre_parse")
_CONSTANTS: Any = importlib.import_module(
    "re._constants" if sys.version_info >= (3, 11) else "sre_constants"
)
_REPEATS = {_CONSTANTS.MAX_REPEAT, _CONSTANTS.MIN_REPEAT}


def nested_repeat(pattern: str) -> bool:
    """Whether an unbounded repeat holds another unbounded repeat: catastrophic backtracking.

    ``(\\w+\\s?)+x$`` or ``^(a+)+$`` try exponentially many ways to split a long
    near-match; one chat turn then hangs a whole batch. Possessive and atomic forms do not
    backtrack and pass.
    """
    return _nested(_PARSER.parse(pattern), inside=False)


def _nested(items: Any, *, inside: bool) -> bool:
    for op, av in items:
        if op in _REPEATS:
            _, high, sub = av
            unbounded = high == _CONSTANTS.MAXREPEAT
            if (unbounded and inside) or _nested(sub, inside=inside or unbounded):
                return True
        elif op == _CONSTANTS.SUBPATTERN and _nested(av[-1], inside=inside):
            return True
        elif op == _CONSTANTS.BRANCH and any(_nested(b, inside=inside) for b in av[1]):
            return True
        elif op in (_CONSTANTS.ASSERT, _CONSTANTS.ASSERT_NOT) and _nested(av[1], inside=inside):
            return True
    return False


def checked_patterns(value: str | PhraseList | None) -> str | PhraseList | None:
    """A ``pattern`` / ``exclude`` field, validated: not empty, and every pattern compiles."""
    if value is not None:
        patterns = patterns_of(value)
        if not patterns:
            raise ValueError("the pattern list is empty")
        check_compiles(patterns)
    return value


class RegexOptions(Strict):
    """Options of ``regex.v1``."""

    pattern: str | PhraseList
    exclude: str | PhraseList | None = None
    expect: Literal["present", "absent"] = "present"

    @field_validator("pattern", "exclude")
    @classmethod
    def _compiles(cls, value: str | PhraseList | None) -> str | PhraseList | None:
        return checked_patterns(value)


def first_match(
    text: str, patterns: tuple[str, ...], excludes: tuple[re.Pattern[str], ...]
) -> tuple[str, str] | None:
    """(pattern, matched text) in the first sentence that matches and is not excluded."""
    for sentence in _sentences(text):
        if any(x.search(sentence) for x in excludes):
            continue
        for pattern in patterns:
            found = compile_pattern(pattern).search(sentence)
            if found:
                return pattern, found.group(0)
    return None


def patterns_of(value: str | PhraseList | None) -> tuple[str, ...]:
    """The patterns of a ``pattern`` or ``exclude`` field: one, a list, or per language."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else flatten_phrases(value)


_SENTENCE_END = re.compile(r"(?<=[.!?;。！？；])\s*")


def _sentences(text: str) -> Iterator[str]:
    return (part for part in _SENTENCE_END.split(text) if part.strip())


@register("regex", 1, RegexOptions, "a regular expression found (or absent), minus exclusions")
def detect_regex(view: View, options: RegexOptions) -> Detection:
    """Pass when a pattern matches an utterance no exclusion matches (or, for
    ``expect: absent``, when none does)."""
    patterns = patterns_of(options.pattern)
    excludes = tuple(compile_pattern(p) for p in patterns_of(options.exclude))
    hits: list[Evidence] = []
    for utt in view.utterances:
        found = first_match(fold(utt.text), patterns, excludes)
        if found:
            pattern, matched = found
            hits.append(evidence_of(utt, f"said {matched!r}"))
    if options.expect == "present":
        if hits:
            return Detection("pass", (hits[0],))
        return Detection(
            "fail", (searched(view, f"nothing matching the item's {_count(patterns)}"),)
        )
    if hits:
        return Detection("fail", tuple(hits[:3]))
    reason = f"nothing matching the item's {_count(patterns)} in {view.description}"
    return Detection("pass", (Evidence("", "", 0.0, 0.0, "", reason),))


def _count(patterns: tuple[str, ...]) -> str:
    # Reasons are read by reviewers: they say what was (not) found, never the raw expression.
    return "pattern" if len(patterns) == 1 else f"{len(patterns)} patterns"
