"""Normalise and match text the way a listener would, in English and Chinese.

ASR output and chat transcripts differ from a rubric's phrase in ways a person
ignores: case, punctuation, full-width Latin (``ｈｅｌｌｏ``), traditional
characters, contractions, a misheard letter. :func:`normalize` folds the first
ones away; :func:`find_phrase` tolerates the rest with a fuzzy threshold.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import zhconv
from rapidfuzz import fuzz

logger = logging.getLogger(__name__)

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{_CJK}]")
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")
_SPACES = re.compile(r"\s+")
_LATIN = re.compile(r"[a-z0-9]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_NEGATORS = frozenset({"not", "no", "never", "cannot", "nothing", "dont", "didnt", "wont"})
_ZH_NEGATORS = ("不", "没", "别", "未")

# Whisper and chat users write these either way; fold to one spelling so that
# "I'm sorry" in a rubric matches "I am sorry" in a call.
_CONTRACTIONS = {
    "i'm": "i am",
    "you're": "you are",
    "we're": "we are",
    "they're": "they are",
    "it's": "it is",
    "that's": "that is",
    "what's": "what is",
    "there's": "there is",
    "can't": "cannot",
    "won't": "will not",
    "don't": "do not",
    "doesn't": "does not",
    "didn't": "did not",
    "isn't": "is not",
    "aren't": "are not",
    "wasn't": "was not",
    "hasn't": "has not",
    "haven't": "have not",
    "couldn't": "could not",
    "wouldn't": "would not",
    "shouldn't": "should not",
    "i'll": "i will",
    "we'll": "we will",
    "you'll": "you will",
    "i've": "i have",
    "we've": "we have",
    "i'd": "i would",
    "let's": "let us",
}
_CONTRACTION_RE = re.compile(r"\b(" + "|".join(map(re.escape, _CONTRACTIONS)) + r")\b")

# The honorific 您 and the plain 你 are the same word to a listener, and ASR
# picks either; folding them keeps "您好" and "你好" one phrase.
_ZH_VARIANTS = str.maketrans({"您": "你"})

# Below these lengths a fuzzy match is mostly noise ("we could" ~ "we would",
# "hi" ~ "his"), so short phrases must match exactly. A Chinese character
# carries about as much as a short English word, hence the different bounds.
MIN_FUZZY_CHARS = 12
MIN_FUZZY_CJK_CHARS = 4


def fold(text: str) -> str:
    """Fold width, case and script, keeping punctuation (for regular expressions).

    Args:
        text: any text.

    Returns:
        NFKC-normalised (full-width Latin and digits become half-width),
        lower-cased text with traditional Chinese converted to simplified.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    # Curly apostrophes come from chat clients and some ASR engines.
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    if _CJK_RE.search(text):
        text = zhconv.convert(text, "zh-cn")
    return text


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Normalise text for phrase matching.

    Folds as :func:`fold` does, expands common English contractions, folds
    您 to 你, turns punctuation into spaces and drops spaces between Chinese
    characters (Chinese ASR inserts them at random).

    Args:
        text: any text.

    Returns:
        The normalised text: single spaces, no punctuation.

    Example:
        >>> normalize("您好，歡迎致電！ I'M Michelle.")
        '你好 欢迎致电 i am michelle'
    """
    text = _CONTRACTION_RE.sub(lambda m: _CONTRACTIONS[m.group(1)], fold(text))
    text = text.translate(_ZH_VARIANTS)
    chars = [" " if unicodedata.category(c)[0] in "PSZC" and c != "'" else c for c in text]
    text = "".join(chars).replace("'", "")
    text = _SPACES.sub(" ", text).strip()
    return _SPACE_BETWEEN_CJK.sub("", text)


def is_chinese(text: str) -> bool:
    """Whether a text is mostly Chinese: at least as many characters as Latin words."""
    cjk = len(_CJK_RE.findall(text))
    latin_words = len(_LATIN_WORD.findall(text))
    return cjk > 0 and cjk >= latin_words


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    """Where a phrase was found in a normalised text and how closely.

    Attributes:
        score: 1.0 for an exact match, the fuzzy similarity (0–1) otherwise.
        start: first character of the match in the normalised text.
        end: one past its last character.
        matched: the normalised text that matched.
    """

    score: float
    start: int
    end: int
    matched: str

    @property
    def exact(self) -> bool:
        return self.score >= 1.0


@lru_cache(maxsize=8192)
def _boundary_pattern(phrase: str) -> re.Pattern[str]:
    # Latin words must match whole ("hi" is not in "this"); Chinese has no spaces.
    return re.compile(r"(?<![a-z0-9])" + re.escape(phrase) + r"(?![a-z0-9])")


def _min_fuzzy(phrase: str) -> int:
    return MIN_FUZZY_CJK_CHARS if _CJK_RE.search(phrase) else MIN_FUZZY_CHARS


def find_phrase(phrase: str, text: str, *, threshold: float = 1.0) -> PhraseMatch | None:
    """Find a normalised phrase in a normalised text, exactly or fuzzily.

    Args:
        phrase: the phrase, already passed through :func:`normalize`.
        text: the text to search, already passed through :func:`normalize`.
        threshold: the lowest similarity (0–1) that counts; 1.0 means exact only.
            Phrases shorter than ``MIN_FUZZY_CHARS`` (``MIN_FUZZY_CJK_CHARS``
            for Chinese) always match exactly.

    Returns:
        The best match, or ``None`` when nothing reaches the threshold.
    """
    if not phrase or not text:
        return None
    hit = _boundary_pattern(phrase).search(text)
    if hit:
        return PhraseMatch(1.0, hit.start(), hit.end(), hit.group(0))
    if threshold >= 1.0 or len(phrase) < _min_fuzzy(phrase):
        return None
    if len(text) < len(phrase):
        # partial_ratio would slide the phrase over the short text and call a
        # fragment ("thank you") a full match of "thank you for calling".
        score = fuzz.ratio(phrase, text) / 100.0
        return PhraseMatch(score, 0, len(text), text) if score >= threshold else None
    aligned = fuzz.partial_ratio_alignment(phrase, text, score_cutoff=threshold * 100.0)
    if aligned is None:
        return None
    start, end = _whole_words(text, aligned.dest_start, aligned.dest_end)
    matched = text[start:end].strip()
    # Rescore on whole words: the alignment may stop inside a word, and
    # "is there anything i" is closer to "is there anything else" than the
    # "is there anything i can" a listener hears.
    score = fuzz.ratio(phrase, matched) / 100.0
    if score < threshold or _adds_negation(phrase, matched):
        return None
    return PhraseMatch(score, start, end, matched)


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span so that it neither starts nor ends inside a Latin word."""
    while 0 < start < len(text) and _LATIN.match(text[start - 1]) and _LATIN.match(text[start]):
        start -= 1
    while 0 < end < len(text) and _LATIN.match(text[end - 1]) and _LATIN.match(text[end]):
        end += 1
    return start, end


def _adds_negation(phrase: str, matched: str) -> bool:
    """Whether the match says "not" where the phrase does not ("i do not understand")."""
    words = set(matched.split())
    if (words & _NEGATORS) - set(phrase.split()):
        return True
    return any(ch in matched and ch not in phrase for ch in _ZH_NEGATORS)


def shorten(text: str, limit: int = 160) -> str:
    """Cut a quote to ``limit`` characters, marking the cut with an ellipsis."""
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_CLAUSE_END = re.compile(r"[.!?;,。！？；，]+")


def clauses(text: str) -> list[str]:
    """The text cut at sentence and clause punctuation (both scripts); the whole text if none.

    The ``semantic`` detector compares each clause with its examples, so "sorry for the wait,
    your refund is on its way" matches an apology and a next step separately.
    """
    parts = [p.strip() for p in _CLAUSE_END.split(text)]
    return [p for p in parts if len(p) >= 2] or [text]
