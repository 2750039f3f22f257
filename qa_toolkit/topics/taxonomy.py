"""The topic taxonomy (``qa-toolkit/taxonomy@1``): contact reasons a team names and keeps.

A taxonomy is YAML, versioned and validated like a rubric, with the same machinery
(:mod:`qa_toolkit.rubric.problems`): every problem is reported at once as
``file:line:col: path: message``, unknown fields get "did you mean".

.. code-block:: yaml

    schema: qa-toolkit/taxonomy@1
    id: contact_reasons
    version: 1
    languages: [en, zh]
    threshold: 0.4          # similarity a call needs to get a topic
    ignore: [Acme]          # names never read as a reason
    topics:
      - id: billing
        title: {en: Bills and charges, zh: 账单与扣费}
        description: {en: A charge the customer disputes, zh: 客户对扣费有异议}
        examples:
          en: [I was charged twice]
          zh: [我被重复扣费了]

Calls are assigned by the meaning of the customer's opening (see
:mod:`qa_toolkit.topics.assign`); nothing is trained.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from qa_toolkit.errors import RubricError, RubricProblem
from qa_toolkit.rubric.problems import Loc, Problems, compose
from qa_toolkit.rubric.schema import (
    LocalText,
    PhraseList,
    Strict,
    check_phrases,
    flatten_phrases,
    local_text,
)

logger = logging.getLogger(__name__)

TAXONOMY_SCHEMA = "qa-toolkit/taxonomy@1"
DEFAULT_THRESHOLD = 0.4
_ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]*$"


class TaxonomyError(RubricError):
    """A taxonomy file is malformed; every problem is listed, one per line, with its place."""


class TopicSpec(Strict):
    """One topic as written in the file."""

    id: str = Field(pattern=_ID_PATTERN)
    title: LocalText
    description: LocalText | None = None
    examples: PhraseList

    @field_validator("examples")
    @classmethod
    def _phrases(cls, value: PhraseList) -> PhraseList:
        checked = check_phrases(value)
        assert checked is not None  # None only for a missing list, which pydantic rejects
        return checked


class TaxonomySpec(Strict):
    """The taxonomy's top level; topics are validated one by one."""

    schema_: Literal["qa-toolkit/taxonomy@1"] = Field(alias="schema")
    id: str = Field(pattern=_ID_PATTERN)
    version: str | int
    title: LocalText | None = None
    description: LocalText | None = None
    languages: list[str] = Field(default_factory=lambda: ["en", "zh"], min_length=1)
    threshold: float = Field(default=DEFAULT_THRESHOLD, gt=0, lt=1)
    ignore: list[str] = Field(default_factory=list)
    topics: list[Any] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class TaxonomyTopic:
    """A validated topic: its titles, description and example phrases by language."""

    id: str
    title: LocalText
    description: LocalText | None
    examples: tuple[tuple[str, str], ...]  # (language, phrase); language "" when not given

    def name(self, language: str = "en") -> str:
        """The title in a language (English, then any, when it has none)."""
        return local_text(self.title, language, self.id)

    def names(self, languages: tuple[str, ...] = ("en", "zh")) -> dict[str, str]:
        """The title in each language."""
        return {lang: self.name(lang) for lang in languages}


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """A validated taxonomy, ready to assign calls."""

    id: str
    version: str
    title: LocalText
    languages: tuple[str, ...]
    threshold: float
    ignore: tuple[str, ...]
    topics: tuple[TaxonomyTopic, ...]
    source: str = ""
    digest: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        """The topic ids, in file order."""
        return tuple(t.id for t in self.topics)

    def topic(self, topic_id: str) -> TaxonomyTopic:
        """A topic by id.

        Raises:
            KeyError: no such topic.
        """
        for found in self.topics:
            if found.id == topic_id:
                return found
        raise KeyError(topic_id)

    def identity(self) -> dict[str, str]:
        """What a stored assignment records of the taxonomy that made it."""
        return {"id": self.id, "version": self.version, "sha256": self.digest}


def parse_taxonomy(text: str, origin: str = "<string>") -> Taxonomy:
    """Parse and validate taxonomy YAML text.

    Raises:
        TaxonomyError: listing every problem, each with line and column.
    """
    try:
        data, marks = compose(text, origin)
    except RubricError as error:
        raise TaxonomyError(list(error.problems)) from None
    problems = Problems(origin, data, marks)
    taxonomy = _build(data, problems)
    if problems.found or taxonomy is None:
        raise TaxonomyError(sorted(problems.found, key=lambda p: (p.line, p.column)))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Taxonomy(**{**_fields(taxonomy), "source": origin, "digest": digest})


def load_taxonomy(path: str | Path) -> Taxonomy:
    """Load and validate a taxonomy file (cached by path and modification time).

    Raises:
        TaxonomyError: the file cannot be read or is invalid; every problem is listed as
            ``file:line:col: path: message``.

    Example:
        >>> taxonomy = load_taxonomy("taxonomies/contact_reasons.yaml")
        >>> taxonomy.ids[:3]
        ('billing', 'network', 'technical_fault')
    """
    file = Path(path)
    try:
        stamp = file.stat().st_mtime_ns
    except OSError as exc:
        raise TaxonomyError(
            [RubricProblem(str(path), 1, 1, "", f"cannot read the taxonomy: {exc.strerror}")]
        ) from None
    return _load(str(path), stamp)


@lru_cache(maxsize=8)
def _load(path: str, stamp: int) -> Taxonomy:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise TaxonomyError(
            [RubricProblem(path, 1, 1, "", f"cannot read the taxonomy: {why}")]
        ) from None
    found = parse_taxonomy(text, path)
    logger.debug("loaded taxonomy %s v%s from %s (%d)", found.id, found.version, path, stamp)
    return found


def _fields(taxonomy: Taxonomy) -> dict[str, Any]:
    return {name: getattr(taxonomy, name) for name in Taxonomy.__dataclass_fields__}


def _build(data: Any, problems: Problems) -> Taxonomy | None:
    if not isinstance(data, dict):
        problems.add((), "a taxonomy is a mapping with schema, id, version and topics")
        return None
    header = problems.validate(TaxonomySpec, data, ())
    raw = data.get("topics")
    languages = tuple(str(x) for x in data.get("languages") or ("en", "zh"))
    topics: list[TaxonomyTopic] = []
    seen: dict[str, int] = {}
    phrases: dict[str, Loc] = {}
    for index, body in enumerate(raw if isinstance(raw, list) else []):
        loc: Loc = ("topics", index)
        topic = _build_topic(body, loc, languages, problems)
        if topic is None:
            continue
        if topic.id in seen:
            problems.add((*loc, "id"), f"topic id {topic.id!r} is already used by "
                                       f"topics[{seen[topic.id]}]; ids must be unique")  # fmt: skip
        seen.setdefault(topic.id, index)
        _check_shared_phrases(topic, loc, phrases, problems)
        topics.append(topic)
    if not isinstance(header, TaxonomySpec) or problems.found:
        return None
    return Taxonomy(
        id=header.id, version=str(header.version), title=header.title or header.id,
        languages=tuple(header.languages), threshold=header.threshold,
        ignore=tuple(n for n in header.ignore if n.strip()), topics=tuple(topics),
    )  # fmt: skip


def _build_topic(
    body: Any, loc: Loc, languages: tuple[str, ...], problems: Problems
) -> TaxonomyTopic | None:
    if not isinstance(body, dict):
        problems.add(loc, "a topic is a mapping with id, title, description and examples")
        return None
    spec = problems.validate(TopicSpec, body, loc)
    if not isinstance(spec, TopicSpec):
        return None
    for field_name, value in (("title", spec.title), ("examples", spec.examples)):
        if isinstance(value, dict):
            missing = [lang for lang in languages if lang not in value]
            if missing:
                why = (
                    f"no {', '.join(missing)} given; the taxonomy's languages are {list(languages)}"
                )
                problems.add((*loc, field_name), why)
    examples = (
        tuple((lang, p) for lang, group in spec.examples.items() for p in group if p.strip())
        if isinstance(spec.examples, dict)
        else tuple(("", p) for p in flatten_phrases(spec.examples))
    )
    return TaxonomyTopic(spec.id, spec.title, spec.description, examples)


def _check_shared_phrases(
    topic: TaxonomyTopic, loc: Loc, seen: dict[str, Loc], problems: Problems
) -> None:
    """The same example under two topics would make the assignment a coin toss."""
    for _, phrase in topic.examples:
        key = " ".join(phrase.lower().split())
        first = seen.setdefault(key, loc)
        if first != loc:
            where = f"topics[{first[1]}]"
            problems.add((*loc, "examples"), f"example {phrase!r} is also under {where}")


__all__ = [
    "DEFAULT_THRESHOLD",
    "TAXONOMY_SCHEMA",
    "Taxonomy",
    "TaxonomyError",
    "TaxonomyTopic",
    "load_taxonomy",
    "parse_taxonomy",
]
