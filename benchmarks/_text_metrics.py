"""Word and character error rates with the normalisation both systems get.

Chinese references in the shared data spell numbers out (两千四百九十九) while
Whisper writes digits (2499); both sides are mapped to the spoken form before
comparing so neither system is charged for a notation choice. The script is
not folded: a traditional character where the reference (and the user) has a
simplified one is an error.
"""

from __future__ import annotations

import re
import unicodedata

import jiwer

_DIGITS = "零一二三四五六七八九"
_UNITS = ((10**8, "亿"), (10**4, "万"), (1000, "千"), (100, "百"), (10, "十"))


def chinese_number(value: int) -> str:
    """Read an integer the way a Mandarin speaker says it (2499 → 两千四百九十九)."""
    if value < 10:
        return _DIGITS[value]
    for unit, name in _UNITS:
        if value >= unit:
            head, rest = divmod(value, unit)
            spoken = chinese_number(head) + name
            if head == 2 and unit >= 1000:
                spoken = "两" + name
            if rest == 0:
                return spoken
            gap = "零" if rest < unit // 10 else ""
            return spoken + gap + chinese_number(rest)
    return str(value)


def _spoken(value: int) -> str:
    # "10" is said 十, not 一十, at the start of a number.
    spoken = chinese_number(value)
    return spoken[1:] if spoken.startswith("一十") else spoken


def normalise_zh(text: str) -> str:
    """No punctuation or spaces, digits read out, Latin letters upper-case."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\d+", lambda m: _spoken(int(m.group())), text)
    text = re.sub(r"[^\w]", "", text).replace("_", "")
    return text.upper()


def normalise_en(text: str) -> str:
    """Lower case, no punctuation except apostrophes, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w\s']", " ", text)
    return " ".join(text.split())


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate after :func:`normalise_zh`."""
    ref, hyp = normalise_zh(reference), normalise_zh(hypothesis)
    return float(jiwer.cer(ref, hyp or " "))


def wer(reference: str, hypothesis: str) -> float:
    """Word error rate after :func:`normalise_en`."""
    ref, hyp = normalise_en(reference), normalise_en(hypothesis)
    return float(jiwer.wer(ref, hyp or "<empty>"))
