"""Normalisation and ASR-tolerant phrase matching (qa_toolkit.nlp.text)."""

from __future__ import annotations

import pytest

from qa_toolkit.nlp.text import find_phrase, fold, is_chinese, normalize, shorten
from qa_toolkit.rubric.detectors.phrase import DEFAULT_THRESHOLD

# Hand-made ASR-like pairs: a rubric phrase and an utterance a person hears it
# in, garbled the way ASR or chat clients garble it (misheard letters,
# homophones, traditional characters, full width, 您/你, split words). The
# first is real Whisper tiny.en output on an 8 kHz call.
POSITIVES: tuple[tuple[str, str], ...] = (
    (
        "is there anything else i can help you with",
        "Pleasure, is that anything else I can help you with?",
    ),
    ("thank you for calling", "Thank you for colling Platinum Motors."),
    ("thank you for calling", "Thanks you for calling Acme."),
    ("i'm sorry for the inconvenience", "Of course, I'm so sorry for the inconvenience."),
    ("have a great day", "Have a grate day!"),
    ("can i put you on hold", "Can I put you on a hold for a moment?"),
    ("thank you for your patience", "Thank you for you patience."),
    ("is there anything else", "Is there anything elts?"),
    ("i understand how frustrating", "I understand how frustrated that is."),
    ("thank you for holding", "Thank you for hold in."),
    ("what was your last name", "What was you last name?"),
    ("looking forward to seeing you", "We're looking forward to see you soon."),
    ("thank you for contacting", "Thank you for contact in Acme."),
    ("thank you for calling", "ＴＨＡＮＫ ＹＯＵ ＦＯＲ ＣＡＬＬＩＮＧ"),
    ("很高兴为您服务", "你好，很高興為你服務"),
    ("感谢您的耐心等待", "感谢你的耐心等侍"),
    ("还有什么可以帮您", "还有什么可以帮你的吗"),
    ("非常理解您的心情", "非常理解您的心晴"),
    ("给您带来不便", "給您帶來不變"),
    ("请问还有其他问题吗", "请问还有其它问题吗"),
    ("祝您生活愉快", "祝你生活愉快！"),
    ("请您稍等", "请您稍 等"),
    ("欢迎致电", "歡迎致電"),
    ("感谢您的来电", "感谢您的来店"),
    ("身份证后四位", "身份证后4位"),
)
# Near misses that must not count as saying the phrase.
NEGATIVES: tuple[tuple[str, str], ...] = (
    ("thank you for calling", "Thank you for holding."),
    ("is there anything else", "Is there anything I can do to stop this?"),
    ("i understand", "I don't understand what you mean."),
    ("have a great day", "I had a great time."),
    ("we will refund", "We will not refund that."),
    ("sorry for the inconvenience", "Sorry for the interruption."),
    ("can i put you on hold", "Can I put you through?"),
    ("thank you for your patience", "Thank you for your purchase."),
    ("let me put you on hold", "Let me put you through to billing."),
    ("what was your last name", "What was your last order?"),
    ("非常理解您的心情", "我非常不理解你们的做法"),
    ("很高兴为您服务", "很不高兴"),
    ("感谢您的来电", "感谢您的耐心"),
    ("祝您生活愉快", "祝您工作顺利"),
    ("还有什么可以帮您", "还有什么可以说的"),
)


def _found(pairs: tuple[tuple[str, str], ...], threshold: float) -> int:
    return sum(1 for p, u in pairs if find_phrase(normalize(p), normalize(u), threshold=threshold))


def test_nlp_fuzzy_matching_finds_what_exact_matching_misses() -> None:
    exact = _found(POSITIVES, 1.0)
    fuzzy = _found(POSITIVES, DEFAULT_THRESHOLD)
    # Measured: exact 6/25, fuzzy at 0.9 22/25 (see phrase.DEFAULT_THRESHOLD).
    assert exact <= 8
    assert fuzzy >= 21
    assert _found(NEGATIVES, DEFAULT_THRESHOLD) == 0


def test_nlp_normalize_folds_width_case_script_and_punctuation() -> None:
    assert normalize("您好，歡迎致電！ I'M Michelle.") == "你好欢迎致电 i am michelle"
    assert normalize("ＨＥＬＬＯ， 很 高 兴") == "hello 很高兴"
    assert normalize("We can't  help—sorry") == "we cannot help sorry"


def test_nlp_fold_keeps_punctuation_for_regex() -> None:
    assert fold("請問，ＡＢＣ？") == "请问,abc?"


def test_nlp_exact_match_respects_word_boundaries() -> None:
    assert find_phrase("hi", "this is it") is None
    assert find_phrase("hi", "oh hi there") is not None
    assert find_phrase(normalize("您好"), normalize("你好"), threshold=1.0) is not None


def test_nlp_short_phrases_never_match_fuzzily() -> None:
    assert find_phrase("we could", "we would", threshold=0.5) is None
    assert find_phrase("稍等", "稍候", threshold=0.5) is None


def test_nlp_fuzzy_match_reports_score_and_span() -> None:
    text = normalize("Pleasure, is that anything else I can help you with?")
    match = find_phrase(
        normalize("is there anything else i can help you with"), text, threshold=0.9
    )
    assert match is not None
    assert not match.exact
    assert match.matched == "is that anything else i can help you with"
    assert text[match.start : match.end].strip() == match.matched


def test_nlp_phrase_longer_than_text_is_not_a_match() -> None:
    assert find_phrase("thank you for calling", "thank you", threshold=0.8) is None


@pytest.mark.parametrize(
    ("text", "chinese"),
    [("你好 hello", True), ("hello there 你", False), ("", False), ("123", False)],
)
def test_nlp_is_chinese(text: str, chinese: bool) -> None:
    assert is_chinese(text) is chinese


def test_nlp_shorten_marks_the_cut() -> None:
    assert shorten("a" * 10, 5) == "aaaa…"
    assert shorten("  short ") == "short"
