"""Find personal data in English and Chinese text: numbers with checksums, e-mail, addresses.

Numbers are found as *digit runs*: digit groups joined by spaces, dashes or
dots ("4111 1111 1111 1111", "555-0142"), spoken digits ("eight three three
two", "幺三八"), or a mix of both, as ASR writes them. Each run is classified by
what it can be, strictest test first:

- ``id``: an 18-digit Chinese resident ID with a valid birth date and ISO 7064
  MOD 11-2 check digit (15-digit IDs need a valid date and an ID cue word);
- ``card``: 13–19 digits with a card-network prefix and a valid Luhn digit;
- ``phone``: a Chinese mobile (1[3-9] + 9 digits) or landline (0 + area code),
  a North American number (10 digits, or ``555-0142``), or ``+`` and 8–15 digits;
- ``bank``: 8–30 digits after an account cue ("account number", 账号), or an
  IBAN with a valid mod-97 check;
- ``code``: 3–8 digits next to a code cue ("verification code", 验证码, PIN);
- ``number``: any other spoken run of four or more digits.

A number that fails its checksum is *not* tagged as that kind: a mistyped ID
is an order number as far as we can tell, and redacting every long number
would hide the order and ticket numbers a reviewer needs.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

# "name" is found by qa_toolkit.nlp.names, not here; a kind all the same, so spans share a type.
PiiKind = Literal["email", "id", "card", "phone", "bank", "code", "address", "number", "name"]
# The kinds this module finds.
PII_KINDS: tuple[PiiKind, ...] = (
    "email",
    "id",
    "card",
    "phone",
    "bank",
    "code",
    "address",
    "number",
)


@dataclass(frozen=True, slots=True)
class PiiSpan:
    """One piece of personal data: its kind and where it sits in the text."""

    kind: PiiKind
    start: int
    end: int
    text: str

    @property
    def tag(self) -> str:
        """The placeholder that replaces it (``[PHONE]``)."""
        return f"[{self.kind.upper()}]"


_EN_DIGITS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
}
_ZH_DIGITS = dict(zip("零〇一二三四五六七八九幺两", "0012345678912", strict=True))
_REPEAT = {"double": 2, "triple": 3}
_TOKEN = re.compile(
    r"\d{17}[Xx](?![A-Za-z])|(?<![A-Za-z])\d+(?![A-Za-z])|[零〇一二三四五六七八九幺两]"
    r"|\b(?:zero|oh|o|one|two|three|four|five|six|seven|eight|nine|double|triple)\b",
    re.IGNORECASE,
)
_JOINER = re.compile(r"[\s\-.,()/，、]{0,3}")
# Digit groups longer than this stand alone: "13800138000 11010519491231002X"
# is a phone and an ID, not one 29-digit number.
_MAX_JOINED_GROUP = 6

_EMAIL = re.compile(
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
    r"|\b[a-z0-9_-]+(?: dot [a-z0-9_-]+)* at [a-z0-9-]+(?: dot [a-z0-9-]+)*"
    r" dot (?:com|net|org|edu|gov|cn|io|co)\b",
    re.IGNORECASE,
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_ALNUM_CODE = re.compile(
    r"(?:verification|confirmation|security|access|one[- ]time|otp|pin|passcode"
    r"|验证码|校验码|动态码)"
    r"[^A-Za-z0-9]{0,15}(?:is|:|：|是|为)?\s*(?P<code>(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z0-9]{4,10})\b",
    re.IGNORECASE,
)
_STREET = (
    r"Street|St|Road|Rd|Avenue|Ave|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Parkway|Pkwy|Highway|Hwy|Circle|Square|Sq"
)
_EN_ADDRESS = re.compile(
    r"\b\d{1,6}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,4}(?:" + _STREET + r")\b\.?"
    r"(?:,?\s*(?:Apt|Apartment|Suite|Unit|Flat|#)\.?\s*[A-Za-z0-9-]+)?"
    r"(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2})?(?:,?\s*[A-Z]{2}\s+\d{5}(?:-\d{4})?)?"
    r"|\bP\.?\s?O\.?\s+Box\s+\d+\b",
)
_ZH_NUM = r"[0-9０-９一二三四五六七八九十百零〇两]+"
_ZH_ADDRESS = re.compile(
    r"(?:[\u4e00-\u9fff]{2,7}?(?:省|自治区|特别行政区))?"
    r"(?:[\u4e00-\u9fff]{2,7}?[市州盟])?(?:[\u4e00-\u9fff]{1,7}?[区區县縣旗])?"
    r"(?:[\u4e00-\u9fff]{1,9}?(?:镇|鎮|乡|鄉|街道))?"
    r"[\u4e00-\u9fff0-9]{1,12}?(?:路|街|大道|大街|巷|弄|胡同|里|村)"
    r"(?:" + _ZH_NUM + r"段)?(?:" + _ZH_NUM + r"[巷弄])?" + _ZH_NUM + r"[号號]"
    r"(?:" + _ZH_NUM + r"(?:栋|棟|幢|座|号楼|號樓|楼|樓|单元|單元|层|層|室|房|户|戶))*"
)
# Words before a Chinese address that the address pattern would otherwise swallow.
_ZH_ADDRESS_CUE = re.compile(r".*(?:地址是|地址为|地址|住在|住址|寄到|送到|发到|位于|在|是)")

_CUES: dict[str, re.Pattern[str]] = {
    "id": re.compile(r"身份证|证件|id number|id card|identity", re.IGNORECASE),
    "bank": re.compile(
        r"account number|account no|acct|bank account|routing|sort code|"
        r"账号|帐号|账户|帐户|银行卡|卡号|开户",
        re.IGNORECASE,
    ),
    "code": re.compile(
        r"code|verification|otp|one[- ]time|pin\b|passcode|password|cvv|cvc|"
        r"验证码|校验码|动态码|密码|口令|安全码",
        re.IGNORECASE,
    ),
    "phone": re.compile(
        r"phone|mobile|cell|my number|your number|callback number|contact number|call me|"
        r"reach me|电话|手机|号码|联系方式|座机|打给我",
        re.IGNORECASE,
    ),
}


@dataclass(frozen=True, slots=True)
class _DigitRun:
    start: int
    end: int
    digits: str
    spoken: bool
    groups: tuple[str, ...]


def find_pii(text: str, *, kinds: Iterable[str] | None = None) -> tuple[PiiSpan, ...]:
    """Find personal data in one text.

    Args:
        text: an utterance, a chat line, an e-mail (English or Chinese).
        kinds: the kinds to look for (:data:`PII_KINDS`); all by default.

    Returns:
        Non-overlapping spans in text order.

    Example:
        >>> [s.tag for s in find_pii("call me on 13800138000, card 4111 1111 1111 1111")]
        ['[PHONE]', '[CARD]']
    """
    wanted = set(PII_KINDS if kinds is None else kinds)
    candidates = [*_emails(text), *_number_spans(text), *_addresses(text), *_alnum_codes(text)]
    chosen: list[PiiSpan] = []
    # Earlier kinds win an overlap: an e-mail holding digits stays one e-mail.
    for span in sorted(candidates, key=lambda s: (PII_KINDS.index(s.kind), s.start)):
        if span.kind in wanted and not any(
            span.start < c.end and c.start < span.end for c in chosen
        ):
            chosen.append(span)
    return tuple(sorted(chosen, key=lambda s: s.start))


def _emails(text: str) -> list[PiiSpan]:
    return [PiiSpan("email", m.start(), m.end(), m.group()) for m in _EMAIL.finditer(text)]


def _alnum_codes(text: str) -> list[PiiSpan]:
    spans = []
    for m in _ALNUM_CODE.finditer(text):
        spans.append(PiiSpan("code", m.start("code"), m.end("code"), m.group("code")))
    for m in _IBAN.finditer(text):
        if iban_valid(m.group()):
            spans.append(PiiSpan("bank", m.start(), m.end(), m.group()))
    return spans


def _addresses(text: str) -> list[PiiSpan]:
    spans = [PiiSpan("address", m.start(), m.end(), m.group()) for m in _EN_ADDRESS.finditer(text)]
    for m in _ZH_ADDRESS.finditer(text):
        start = m.start()
        cue = _ZH_ADDRESS_CUE.match(m.group())
        if cue and cue.end() < m.end() - 3:
            start += cue.end()
        spans.append(PiiSpan("address", start, m.end(), text[start : m.end()]))
    return spans


def _number_spans(text: str) -> list[PiiSpan]:
    spans = []
    for run in _digit_runs(text):
        kind = classify_digits(run, text)
        if kind is not None:
            # "+86 …" and "(415) …": the prefix belongs to the number.
            start = run.start - 1 if run.start and text[run.start - 1] in "+(（" else run.start
            spans.append(PiiSpan(kind, start, run.end, text[start : run.end]))
    return spans


def _digit_runs(text: str) -> list[_DigitRun]:
    """Groups of digits and digit words, joined across short separators."""
    runs: list[list[re.Match[str]]] = []
    for token in _TOKEN.finditer(text):
        previous = runs[-1][-1] if runs else None
        if (
            previous is not None
            and _JOINER.fullmatch(text[previous.end() : token.start()])
            and _joinable(previous.group(), token.group(), text[previous.end() : token.start()])
        ):
            runs[-1].append(token)
        else:
            runs.append([token])
    return [run for tokens in runs if (run := _to_run(tokens)) is not None]


def _joinable(before: str, after: str, separator: str) -> bool:
    def short(token: str, limit: int = _MAX_JOINED_GROUP) -> bool:
        return not token.isdigit() or len(token) <= limit

    # An area code before a dash joins a longer local number: 010-62345678.
    return (short(before) and short(after)) or (
        "-" in separator and short(before, 4) and short(after, 8)
    )


def _to_run(tokens: list[re.Match[str]]) -> _DigitRun | None:
    words = [t.group().lower() for t in tokens]
    # "oh", "o", "double" at the edges are words, not digits ("oh, one more thing").
    while words and words[0] in ("oh", "o", "double", "triple"):
        tokens, words = tokens[1:], words[1:]
    while words and words[-1] in ("oh", "o", "double", "triple"):
        tokens, words = tokens[:-1], words[:-1]
    if not tokens:
        return None
    digits, groups, repeat = [], [], 1
    for word in words:
        if word in _REPEAT:
            repeat = _REPEAT[word]
            continue
        value = _EN_DIGITS.get(word) or _ZH_DIGITS.get(word) or _ascii_digits(word)
        digits.append(value * repeat)
        groups.append(value * repeat)
        repeat = 1
    spoken = any(not w[0].isdigit() for w in words)
    if spoken and len("".join(digits)) < 4:
        return None
    return _DigitRun(tokens[0].start(), tokens[-1].end(), "".join(digits), spoken, tuple(groups))


def _ascii_digits(token: str) -> str:
    # Full-width and other Unicode digits match \d; int() reads them all.
    return "".join(str(int(c)) if c.isdigit() else c.upper() for c in token)


def classify_digits(run: _DigitRun, text: str) -> PiiKind | None:
    """What a digit run is, from its length, checksum, format and the words around it."""
    d, n = run.digits, len(run.digits)
    before = text[max(0, run.start - 40) : run.start]
    after = text[run.end : run.end + 25]
    if n == 18 and resident_id_valid(d):
        return "id"
    if n in (15, 18) and _looks_like_id(d):
        # A birth date where an ID has one but a failed check: a mistyped ID
        # or another number, never a card or a phone.
        return "id" if n == 15 and _CUES["id"].search(before) else None
    if not d.isdigit():
        return None
    if 13 <= n <= 19 and d[0] in "3456" and luhn_valid(d):
        return "card"
    # Said to be an account number: believe it before guessing a phone from the shape.
    if 8 <= n <= 30 and _CUES["bank"].search(before):
        return "bank"
    if _is_phone(run, text):
        return "phone"
    if 3 <= n <= 8 and (_CUES["code"].search(before[-25:]) or _CUES["code"].search(after)):
        return "code"
    if 7 <= n <= 12 and _CUES["phone"].search(before):
        return "phone"
    return "number" if run.spoken and n >= 4 else None


def _is_phone(run: _DigitRun, text: str) -> bool:
    d, n = run.digits, len(run.digits)
    plus = text[max(0, run.start - 2) : run.start].strip().endswith("+")
    if plus and 8 <= n <= 15:
        return True
    if re.fullmatch(r"(86)?1[3-9]\d{9}", d) or re.fullmatch(r"0[1-9]\d{8,10}", d):
        return True
    if re.fullmatch(r"1?[2-9]\d{2}[2-9]\d{6}", d):
        return True
    # A seven-digit local number only when written like one (555-0142) or spoken.
    local = run.groups[-2:] and [len(g) for g in run.groups] == [3, 4]
    return n == 7 and d[0] in "23456789" and (run.spoken or bool(local))


def luhn_valid(digits: str) -> bool:
    """Whether a number passes the Luhn check (payment cards, most bank cards)."""
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def resident_id_valid(number: str) -> bool:
    """Whether an 18-character Chinese resident ID has a real birth date and check digit."""
    number = number.upper()
    if not re.fullmatch(r"[1-9]\d{16}[\dX]", number) or not _looks_like_id(number):
        return False
    total = sum(int(c) * w for c, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17]


def _looks_like_id(number: str) -> bool:
    """A region code and a plausible birth date where a resident ID has them."""
    if len(number) == 18:
        date = number[6:14]
    elif len(number) == 15:
        date = "19" + number[6:12]
    else:
        return False
    if not date.isdigit() or number[0] not in "12345678":
        return False
    try:
        born = datetime.date(int(date[:4]), int(date[4:6]), int(date[6:8]))
    except ValueError:
        return False
    return 1900 <= born.year <= datetime.date.today().year


def iban_valid(text: str) -> bool:
    """Whether an IBAN passes its ISO 13616 mod-97 check."""
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1
