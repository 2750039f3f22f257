"""Mandarin output clean-up: simplified script and Chinese punctuation.

Whisper's multilingual models often answer Mandarin in traditional characters
and with ASCII punctuation between Chinese characters. Scoring, search and
character error all expect simplified text with full-width punctuation.
"""

from __future__ import annotations

import re

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAS_CJK = re.compile(f"[{_CJK}]")
_HALF_TO_FULL = {",": "，", "?": "？", "!": "！", ":": "：", ";": "；"}
# ASCII punctuation touching a CJK character on the left becomes full-width.
_PUNCT_AFTER_CJK = re.compile(f"(?<=[{_CJK}])\\s*([,?!:;])\\s*")
_PERIOD_AFTER_CJK = re.compile(f"(?<=[{_CJK}])\\s*\\.(?!\\d)\\s*")
_SPACE_BETWEEN_CJK = re.compile(f"(?<=[{_CJK}，。？！：；])\\s+(?=[{_CJK}])")


def has_cjk(text: str) -> bool:
    """True when ``text`` holds at least one Chinese character."""
    return _HAS_CJK.search(text) is not None


def to_simplified(text: str) -> str:
    """Convert traditional characters to simplified ones (script only, no vocabulary)."""
    if not has_cjk(text):
        return text
    import zhconv

    return str(zhconv.convert(text, "zh-hans"))


def normalise_punctuation(text: str) -> str:
    """Use full-width punctuation after Chinese characters; drop spaces between them."""
    if not has_cjk(text):
        return text
    text = _PUNCT_AFTER_CJK.sub(lambda m: _HALF_TO_FULL[m.group(1)], text)
    text = _PERIOD_AFTER_CJK.sub("。", text)
    return _SPACE_BETWEEN_CJK.sub("", text).strip()


def clean_mandarin(text: str) -> str:
    """Simplified script and Chinese punctuation, in one call."""
    return normalise_punctuation(to_simplified(text))
