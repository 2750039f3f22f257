"""What a call is about, as text: the customer's opening turns, without greetings or names.

A contact reason is said near the start and by the customer ("I was charged twice",
"我家宽带断网了"), so topics read the customer's first turns only. The agent's script
("thank you for calling Acme") and the customer's greeting say nothing about the reason, and
company or product names are in every call: both would pull calls together by who they
called rather than why. They are cut before anything is compared:

- greetings at the start of a turn ("hi", "good morning", 您好, 喂);
- social-media mentions (``@Acme Support``), links, check-ins ("我在:…", "I am at …") and
  hashtag marks, for chats and posts;
- redaction tags (``[PHONE]``, ``[NAME]``): the number is not the reason;
- the words of an ``ignore`` list (your company's and products' names).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa_toolkit.nlp.text import fold, is_chinese
from qa_toolkit.types import Transcript, Utterance

# Customer turns read for the reason: the first two say it in nearly every call; later ones
# answer the agent's questions (an account number, a date).
OPENING_TURNS = 2
# Characters of opening text compared; a long chat message keeps its reason up front.
MAX_CHARS = 600

_GREETING = re.compile(
    r"^\s*(?:(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|dear \w+|yes|yeah|ok|okay|"
    r"um+|uh+|erm|well)\b[\s,.!:;~-]*)+|^\s*(?:(?:您好|你好|喂|哈喽|嗨|在吗|亲|早上好|下午好|晚上好|"
    r"客服你好|客服您好|你们好|嗯|啊)[\s，,。.!！:：~～]*)+",
    re.IGNORECASE,
)
_MENTION_EN = re.compile(
    r"@\s?[A-Z0-9][\w'’.&-]*(?:[ \t]+(?:[A-Z0-9][\w'’.&-]*|of|the|in|and|for|&)){0,6}"
)
_MENTION = re.compile(r"@[^\s@,，。:：!！?？;；、]+")
_LINK = re.compile(r"https?://\S+|www\.\S+")
_CHECK_IN = re.compile(r"(?:我在(?:这里)?[:：]\s*\S*|\bI(?: am|'m)(?: here)? at\b:?[^.!?]*$)")
_PLACE_DOT = re.compile(r"\S{1,12}·\S{1,12}(?:\.\.\.|…)?")
_TAG = re.compile(r"\[[A-Z]+\]")
_SPACES = re.compile(r"\s+")
# Chinese sentences are joined without a space.
_CJK_JOIN = re.compile(r"(?<=[\u3000-\u303f\uff00-\uffef\u4e00-\u9fff]) (?=[\u4e00-\u9fff])")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？；;])\s*|\n+")


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence of the customer's opening: cleaned for comparison, and as said."""

    utterance_id: str
    speaker: str
    start_s: float
    end_s: float
    text: str
    quote: str


@dataclass(frozen=True, slots=True)
class Opening:
    """The customer's opening turns of one call, cleaned, and their sentences.

    ``text`` is what discovery embeds; ``sentences`` are what the taxonomy assignment
    compares and quotes as evidence.
    """

    call_id: str
    language: str
    text: str
    sentences: tuple[Sentence, ...]

    @property
    def empty(self) -> bool:
        """Whether nothing is left to read a reason from."""
        return not self.text


def clean(text: str, ignore: Sequence[str] = ()) -> str:
    """The text without greetings, mentions, links, check-ins, redaction tags or ignored names.

    Example:
        >>> clean("Hi, good morning! @Acme Support my bill is wrong [PHONE]", ["acme"])
        'my bill is wrong'
    """
    text = _LINK.sub(" ", text)
    text = _CHECK_IN.sub(" ", text)
    text = _PLACE_DOT.sub(" ", text)
    text = _MENTION_EN.sub(" ", text)
    text = _MENTION.sub(" ", text)
    text = _TAG.sub(" ", text).replace("#", " ")
    for name in ignore:
        if name.strip():
            text = re.sub(re.escape(name.strip()), " ", text, flags=re.IGNORECASE)
    text = _SPACES.sub(" ", text).strip()
    previous = None
    while previous != text:
        previous, text = text, _GREETING.sub("", text).strip()
    return text.strip(" ,.;:~-，。；：、")


def split_sentences(text: str) -> list[str]:
    """A text cut into sentences (both scripts); the whole text when it has no end marks."""
    parts = [p.strip() for p in _SENTENCE_END.split(text)]
    return [p for p in parts if len(p) >= 2] or ([text.strip()] if text.strip() else [])


def customer_turns(transcript: Transcript, turns: int = OPENING_TURNS) -> list[Utterance]:
    """The customer's first turns with something said; the first turns of anyone unlabelled
    when no utterance is the customer's (a mono recording whose roles were not found)."""
    said = [u for u in transcript.utterances if u.text.strip()]
    chosen = [u for u in said if u.speaker == "customer"] or [
        u for u in said if u.speaker == "unknown"
    ]
    return chosen[:turns]


def opening(
    transcript: Transcript, *, turns: int = OPENING_TURNS, ignore: Sequence[str] = ()
) -> Opening:
    """The customer's opening turns, cleaned, with their sentences.

    A turn that is only a greeting ("hello?", 喂，你好) does not count against ``turns``.

    Args:
        transcript: the call.
        turns: how many customer turns with content to read.
        ignore: names to leave out (company, products).

    Returns:
        The opening; ``empty`` when the customer said nothing but greetings.
    """
    sentences: list[Sentence] = []
    used = 0
    for utt in customer_turns(transcript, turns * 3):
        found = _sentences(utt, ignore)
        if not found:
            continue
        sentences.extend(found)
        used += 1
        if used >= turns:
            break
    text = _CJK_JOIN.sub("", " ".join(s.text for s in sentences))[:MAX_CHARS].strip()
    return Opening(transcript.call_id, _language(transcript, text), text, tuple(sentences))


def _sentences(utt: Utterance, ignore: Sequence[str]) -> list[Sentence]:
    found = []
    for said in split_sentences(utt.text):
        text = clean(said, ignore)
        # One or two characters left ("ok", 嗯) carry no reason.
        if len(text) >= 3 or (is_chinese(text) and len(text) >= 2):
            found.append(Sentence(utt.id, utt.speaker, utt.start_s, utt.end_s, text, said.strip()))
    return found


def _language(transcript: Transcript, text: str) -> str:
    language = (transcript.language or "").lower()[:2]
    if language in ("en", "zh"):
        return language
    return "zh" if is_chinese(fold(text)) else "en"
