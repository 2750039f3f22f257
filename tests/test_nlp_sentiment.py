"""Utterance sentiment (qa_toolkit.nlp.sentiment)."""

from __future__ import annotations

from qa_toolkit.nlp.sentiment import en_lexicon_polarity, polarity, zh_polarity


def test_nlp_sentiment_english_signs() -> None:
    assert polarity("This is ridiculous, I am really angry and frustrated.") < -0.3
    assert polarity("Great, thank you so much, that was really helpful!") > 0.3
    assert polarity("") == 0.0


def test_nlp_sentiment_chinese_signs_and_negation() -> None:
    assert zh_polarity("我非常生气，你们的服务太差了，我要投诉！") < -0.5
    assert zh_polarity("好的，谢谢，问题解决了，非常满意。") > 0.5
    assert zh_polarity("我不生气") > 0
    assert zh_polarity("不满意") < 0
    assert polarity("好的，谢谢。") > 0  # routed to the Chinese lexicon


def test_nlp_sentiment_traditional_chinese_is_folded() -> None:
    assert zh_polarity("我對服務不滿意，太失望了") < -0.3


def test_nlp_sentiment_english_lexicon_negation() -> None:
    assert en_lexicon_polarity("not happy at all") < 0
    assert en_lexicon_polarity("thanks, that is great") > 0
    assert -1.0 <= en_lexicon_polarity("bad " * 50) <= 1.0
