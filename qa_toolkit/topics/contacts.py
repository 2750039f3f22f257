"""Who called: salted hashes that link a customer's calls without keeping who they are.

A repeat contact is the same customer calling again. What says "the same customer":

- the ``customer_id`` of the call's metadata (from the PBX or CRM export);
- a phone or account number in the metadata (columns such as ``phone``, ``caller_id``,
  ``ani``, ``account``, 主叫号码, 账号);
- a phone, account or card number the customer says in the call.

Each becomes a key: HMAC-SHA-256 of the normalised value under a secret salt, cut to 32 hex
digits. The store keeps only keys; a key cannot be turned back into the number without the
salt, and without it a guess cannot be checked either (an unsalted hash of an 11-digit phone
number falls to a brute force in minutes). Numbers heard in a call are redacted before the
batch stores the transcript, so they are read from the raw text: ``qa topics`` reading text
transcripts (INPUTS), or a transcript stored without redaction. The salt comes from
``$QA_CONTACT_SALT``, else from a file beside the store (``<store>.salt``, created on first
use, readable by its owner only). Keep that file with the store and out of exports: a new salt
gives new keys, and calls hashed under the old one no longer link.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qa_toolkit.errors import UsageError
from qa_toolkit.nlp.pii import find_pii
from qa_toolkit.types import Transcript

SALT_ENV = "QA_CONTACT_SALT"
_KEY_HEX = 32
_PHONE_FIELDS = frozenset(
    """phone phone_number telephone tel mobile cell caller caller_id callerid caller_number ani
    msisdn from from_number calling_number 主叫 主叫号码 来电号码 电话 电话号码 手机 手机号
    手机号码 联系电话""".split()
)
_ACCOUNT_FIELDS = frozenset(
    """account account_number account_no account_id acct card_number 账号 账户 卡号
    银行卡号 户号""".split()
)
_SPOKEN = {
    "zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
    "零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3", "四": "4",
    "五": "5", "六": "6", "七": "7", "八": "8", "九": "9",
}  # fmt: skip
_TOKEN = re.compile(r"[a-z]+|[零〇一幺二两三四五六七八九]|\d", re.IGNORECASE)
_REPEAT = {"double": 2, "triple": 3}


@dataclass(frozen=True, slots=True)
class ContactKey:
    """One salted key of a call: ``kind`` customer_id, phone or account; ``source`` metadata
    or transcript."""

    key: str
    kind: str
    source: str


def contact_salt(store_path: str | Path | None = None) -> bytes:
    """The salt: ``$QA_CONTACT_SALT``, else ``<store>.salt`` (created, mode 0600, if missing).

    A PostgreSQL store has no file beside it, and every machine writing it must hash
    with the same salt: it needs ``$QA_CONTACT_SALT`` (pass None).

    Raises:
        UsageError: no store file and no ``$QA_CONTACT_SALT``.
        OSError: the salt file cannot be created or read.
    """
    given = os.environ.get(SALT_ENV, "")
    if given:
        return given.encode("utf-8")
    if store_path is None:
        raise UsageError(
            "no salt for hashing customers' contact keys on a PostgreSQL store",
            fix=f"set ${SALT_ENV} to one secret, the same on every machine that writes it",
        )
    path = Path(f"{store_path}.salt")
    if not path.exists():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
    return path.read_text("ascii").strip().encode("ascii")


def digits_of(text: str) -> str:
    """The digits in a written or spoken number ("double five 0142", 幺三八 → "550142"…)."""
    out: list[str] = []
    repeat = 1
    for token in _TOKEN.findall(text):
        lower = token.lower()
        if lower in _REPEAT:
            repeat = _REPEAT[lower]
            continue
        digit = str(int(token)) if token.isdigit() else _SPOKEN.get(lower)
        if digit is None:
            repeat = 1
            continue
        out.append(digit * repeat)
        repeat = 1
    return "".join(out)


def normalise_number(digits: str) -> str:
    """A number as it is compared: a Chinese country code (86, 0086) dropped from a mobile."""
    if re.fullmatch(r"(?:00)?861[3-9]\d{9}", digits):
        return digits[-11:]
    return digits


def hash_key(salt: bytes, namespace: str, value: str) -> str:
    """The salted key of one value (``namespace`` keeps a customer id apart from a number)."""
    message = f"{namespace}:{value.strip().lower()}".encode()
    return hmac.new(salt, message, hashlib.sha256).hexdigest()[:_KEY_HEX]


def metadata_keys(
    salt: bytes, customer_id: str, extra: Mapping[str, Any] | None = None
) -> list[ContactKey]:
    """Keys from a call's metadata: its customer id and any phone or account column."""
    keys = []
    if customer_id.strip():
        keys.append(ContactKey(hash_key(salt, "customer", customer_id), "customer_id", "metadata"))
    for name, value in (extra or {}).items():
        field = str(name).strip().lower().replace(" ", "_").replace("-", "_")
        kind = "phone" if field in _PHONE_FIELDS else "account" if field in _ACCOUNT_FIELDS else ""
        digits = normalise_number(digits_of(str(value)))
        if kind and len(digits) >= 5:
            keys.append(ContactKey(hash_key(salt, "number", digits), kind, "metadata"))
    return keys


def transcript_keys(salt: bytes, transcript: Transcript) -> list[ContactKey]:
    """Keys from the phone, account and card numbers the customer says (raw text only: a
    redacted transcript has ``[PHONE]`` where the number was)."""
    keys = []
    for utt in transcript.utterances:
        if utt.speaker == "agent":
            continue
        for span in find_pii(utt.text, kinds=("phone", "bank", "card")):
            digits = normalise_number(digits_of(span.text))
            if len(digits) >= 5:
                kind = "phone" if span.kind == "phone" else "account"
                keys.append(ContactKey(hash_key(salt, "number", digits), kind, "transcript"))
    return keys


def unique(keys: Iterable[ContactKey]) -> list[ContactKey]:
    """Keys without repeats, the first of each kept."""
    seen: dict[str, ContactKey] = {}
    for key in keys:
        seen.setdefault(key.key, key)
    return list(seen.values())


__all__ = [
    "SALT_ENV",
    "ContactKey",
    "contact_salt",
    "digits_of",
    "hash_key",
    "metadata_keys",
    "normalise_number",
    "transcript_keys",
    "unique",
]
