"""Find people's names in English and Chinese call text, and every later mention of them.

Names are found three ways:

- **what the speaker gives away**: "my name is …", "the account is under my
  partner, …", "Mr …", "Hi …,"; 我叫…, 姓…, …先生/女士, 机主是…, 一个叫…的, 小…;
- **spelling**: letters read out ("K-I-N-G", "K I N G") and Chinese character
  spellings (弓长张, 钱包的钱);
- **models**: spaCy's English named-entity model (the ``names`` extra) and
  jieba's part-of-speech tag for person names (``nr``), each kept only where the
  candidate also looks like a name (capitalised; a known surname first).

Within one call every name heard once is a *known* name: its full form, each
part of it (first name, surname; a Chinese given name) and its spelling are
found wherever they are said again (:func:`names_in_texts`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from qa_toolkit.nlp.names import chinese, english
from qa_toolkit.nlp.names.english import EnglishNer, load_english_ner
from qa_toolkit.nlp.names.spans import NameSpan, merge_spans

__all__ = [
    "EnglishNer",
    "KnownNames",
    "NameSpan",
    "asks_for_name",
    "find_names",
    "load_english_ner",
    "names_in_texts",
]


@dataclass(frozen=True, slots=True)
class KnownNames:
    """The names heard so far in one call, in the forms they may come back in."""

    latin: frozenset[str] = field(default_factory=frozenset)
    chinese: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_spans(cls, texts: Sequence[str], found: Sequence[Sequence[NameSpan]]) -> KnownNames:
        """The forms of every name found in ``texts``."""
        latin: set[str] = set()
        han: set[str] = set()
        for text, spans in zip(texts, found, strict=True):
            for span in spans:
                said = text[span.start : span.end]
                latin |= english.name_forms(said)
                han |= chinese.name_forms(said)
        return cls(frozenset(latin), frozenset(han))

    def __bool__(self) -> bool:
        return bool(self.latin or self.chinese)

    def __or__(self, other: KnownNames) -> KnownNames:
        return KnownNames(self.latin | other.latin, self.chinese | other.chinese)


_LATIN_LETTER = re.compile(r"[A-Za-z]")
# The models (spaCy, jieba) read this much of a text: a 700,000-character turn
# took spaCy 40 s and jieba 15 s. Cues, spelling and known names are found in
# all of it; turns of a call are far shorter.
MODEL_READ_CHARS = 20_000
_NAME_QUESTION = re.compile(
    r"\b(?:your|the|full|first|last|sur|family|account holder's) ?name\b|who am i speaking"
    r"|who do i have|who's calling|who is calling|may i ask who|spell (?:that|it|your)"
    r"|怎么称呼|贵姓|姓名|叫什么|名字|哪位|称呼您|机主是谁",
    re.IGNORECASE,
)


def asks_for_name(text: str) -> bool:
    """Whether a turn asks the other side for a name ("who am I speaking with?", 怎么称呼)."""
    return _NAME_QUESTION.search(text) is not None


def find_names(
    text: str,
    *,
    known: KnownNames | None = None,
    ner: EnglishNer | None = None,
    entities: Sequence[tuple[int, int, str]] | None = None,
    answers_name: bool = False,
) -> tuple[NameSpan, ...]:
    """Names in one text (an utterance, a chat line, a quote).

    Args:
        text: English or Chinese text, or both mixed.
        known: names already heard in the same call, found again here.
        ner: the English entity model; without it English names are found only
            from what the speaker gives away, spelling and ``known``.
        entities: the model's entities for ``text`` when already computed
            (``(start, end, label)``); ``ner`` is not asked again.
        answers_name: the text answers a question for a name (:func:`asks_for_name`):
            a short reply that looks like a name ("Carla Menendez.", 白雪) is one.

    Returns:
        Non-overlapping spans in text order.

    Example:
        >>> [s.text for s in find_names("一个叫赵磊的给我办的")]
        ['赵磊']
    """
    if entities is None and ner is not None and _LATIN_LETTER.search(text):
        entities = ner.entities([text[:MODEL_READ_CHARS]])[0]
    spans = [*english.find(text, entities or ()), *chinese.find(text, MODEL_READ_CHARS)]
    if answers_name:
        spans += [*english.answer(text), *chinese.answer(text)]
    # A name said twice in one text ("King, K-I-N-G, King") is found both times.
    known = (known or KnownNames()) | KnownNames.from_spans([text], [merge_spans(text, spans)])
    spans += english.spelled(text, known.latin, spans)
    known |= KnownNames.from_spans([text], [merge_spans(text, spans)])
    spans += english.mentions(text, known.latin)
    spans += chinese.mentions(text, known.chinese)
    return merge_spans(text, spans)


def names_in_texts(
    texts: Sequence[str],
    *,
    ner: EnglishNer | None = None,
    answers: Sequence[bool] | None = None,
) -> tuple[tuple[NameSpan, ...], ...]:
    """Names in the turns of one call, each name found in every turn it is said in.

    Names found in any turn become known names, and all turns are read again
    for them: a first name said before the full name is found too.

    Args:
        texts: the turns.
        ner: the English entity model, if installed.
        answers: for each turn, whether it answers a question for a name.
    """
    replies = list(answers) if answers is not None else [False] * len(texts)
    entities: list[Sequence[tuple[int, int, str]]] = [() for _ in texts]
    if ner is not None:
        latin = [i for i, t in enumerate(texts) if _LATIN_LETTER.search(t)]
        for i, found in zip(
            latin, ner.entities([texts[i][:MODEL_READ_CHARS] for i in latin]), strict=True
        ):
            entities[i] = found
    first = [
        find_names(t, entities=e, answers_name=a)
        for t, e, a in zip(texts, entities, replies, strict=True)
    ]
    known = KnownNames.from_spans(texts, first)
    if not known:
        return tuple(first)
    return tuple(
        find_names(t, known=known, entities=e, answers_name=a)
        for t, e, a in zip(texts, entities, replies, strict=True)
    )
