"""Names and addresses without a house number: found, tagged in text and words, bleeped.

Chinese rules use jieba (a dependency) and always run. English rules that need
no model run with a model name that is not installed; the tests that need
spaCy's English model skip where the ``names`` extra is not installed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from qa_toolkit.errors import UsageError
from qa_toolkit.nlp.names import find_names, load_english_ner, names_in_texts
from qa_toolkit.nlp.names.english import INSTALL_HINT
from qa_toolkit.nlp.places import find_places
from qa_toolkit.privacy import (
    PII_KINDS,
    RedactionOptions,
    check_kinds,
    find_pii,
    pii_intervals,
    pii_spans,
    redact,
    redact_text,
)
from qa_toolkit.types import Transcript, Utterance, Word

# A model that is never installed: the English rules alone, as without the `names` extra.
NO_MODEL = RedactionOptions(name_model="qa_toolkit_no_such_spacy_model")


@pytest.fixture(autouse=True)
def _fresh_model_cache() -> Iterator[None]:
    load_english_ner.cache_clear()
    yield
    load_english_ner.cache_clear()


def _call(*turns: tuple[str, str]) -> Transcript:
    utterances = tuple(
        Utterance(f"u{i}", speaker, float(i), i + 0.9, text)  # type: ignore[arg-type]
        for i, (speaker, text) in enumerate(turns)
    )
    return Transcript("call", utterances)


def _texts(transcript: Transcript, options: RedactionOptions | None = None) -> list[str]:
    return [u.text for u in redact(transcript, options=options).utterances]


# ---------------------------------------------------------------- Chinese


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("上周一个叫赵磊的给我办的宽带", "上周一个叫[NAME]的给我办的宽带"),
        ("我叫孙晓梅，身份证号是330106198705122312", "我叫[NAME]，身份证号是[ID]"),
        ("我姓王，三横王。", "我姓[NAME]，[NAME]。"),
        ("机主是张桂兰，弓长张", "机主是[NAME]，[NAME]"),
        ("王先生您好，请问是黄志强先生吗？", "[NAME]先生您好，请问是[NAME]先生吗？"),
        ("您好，我是客服小陈", "您好，我是客服小[NAME]"),
        ("户主是我爸，林国栋，双木林。", "户主是我爸，[NAME]，[NAME]。"),
        ("钱，钱包的钱。", "钱，[NAME]。"),
        ("我们维修主管马建国明天下午可以过去", "我们维修主管[NAME]明天下午可以过去"),
    ],
)
def test_privacy_names_chinese_cues_titles_and_spellings(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "我马上帮您处理，大概一个小时。",
        "这位先生，请问还有其他可以帮您的吗？",
        "明白。请问收件人姓名是？",
        "请问您的姓名和身份证号码？",
        "明天安排师傅上门，谢谢您的耐心。",
        "可是我那张卡已经注销了",
        "您好，我是华润燃气的客服代表",
    ],
)
def test_privacy_names_chinese_words_that_are_no_names(text: str) -> None:
    assert "[NAME]" not in redact_text(text)


def test_privacy_names_a_name_heard_once_is_redacted_in_every_mention() -> None:
    call = _call(
        ("customer", "上周一个叫赵磊的给我办的宽带，到现在都没装好。"),
        ("agent", "理解您的心情。"),
        ("customer", "那个赵磊上次也是这么说的。"),
        ("customer", "我叫郭晓燕，我女儿郭思琪也用这个号。"),
        ("agent", "需要思琪本人带身份证到营业厅办理。"),
    )
    texts = _texts(call)
    assert texts[2] == "那个[NAME]上次也是这么说的。"
    assert texts[4] == "需要[NAME]本人带身份证到营业厅办理。"  # the given name alone
    assert texts[1] == "理解您的心情。"


def test_privacy_names_a_reply_to_a_name_question_is_a_name() -> None:
    call = _call(("agent", "好的，请问怎么称呼？"), ("customer", "白雪"))
    assert _texts(call)[1] == "[NAME]"
    # The same word without the question is left alone: 白雪 is also "snow".
    assert _texts(_call(("customer", "白雪")))[0] == "白雪"


def test_privacy_names_chinese_words_are_tagged_and_bleeped_at_their_times() -> None:
    words = (
        Word("一个", 0.0, 0.3),
        Word("叫", 0.3, 0.5),
        Word("赵", 0.5, 0.8),
        Word("磊", 0.8, 1.1),
        Word("的", 1.1, 1.2),
        Word("办的", 1.2, 1.6),
    )
    said = Utterance("u1", "customer", 0.0, 1.6, "一个叫赵磊的办的", words=words)
    call = Transcript("zh", (said,))
    out = redact(call).utterances[0]
    assert out.text == "一个叫[NAME]的办的"
    assert [w.text for w in out.words] == ["一个", "叫", "[NAME]", "的", "办的"]
    assert (out.words[2].start_s, out.words[2].end_s) == (0.5, 1.1)
    assert pii_intervals(call) == ((0.5, 1.1, "name"),)


def test_privacy_names_chinese_calls_do_not_load_the_english_model() -> None:
    redact(_call(("customer", "我叫王芳，手机13800138000")))
    assert load_english_ner.cache_info().currsize == 0


# ---------------------------------------------------------------- English, rules alone


def test_privacy_names_english_cues_and_spelling_without_the_model() -> None:
    call = _call(
        ("agent", "Thank you for calling Northwind Energy, my name is Marcus."),
        ("customer", "Hi Marcus, my name is Violet King."),
        ("agent", "Could you spell your last name for me?"),
        ("customer", "Sure, it's K-I-N-G, King."),
        ("customer", "The account is under my partner, Siobhan Gallagher."),
        ("agent", "Thank you Ms. Gallagher. I'll need to speak with Siobhan."),
    )
    texts = _texts(call, NO_MODEL)
    assert texts[0] == "Thank you for calling Northwind Energy, my name is [NAME]."
    assert texts[1] == "Hi [NAME], my name is [NAME]."
    assert texts[3] == "Sure, it's [NAME], [NAME]."
    assert texts[4] == "The account is under my partner, [NAME]."
    assert texts[5] == "Thank you Ms. [NAME]. I'll need to speak with [NAME]."


def test_privacy_names_english_spelled_with_spaces_and_first_names_later() -> None:
    call = _call(
        ("customer", "It's Agnieszka Nowak. That's N O W A K."),
        ("agent", "Thanks Agnieszka, and Nowak is spelled as you said."),
    )
    texts = _texts(call, NO_MODEL)
    assert texts == [
        "It's [NAME]. That's [NAME].",
        "Thanks [NAME], and [NAME] is spelled as you said.",
    ]


def test_privacy_names_english_common_words_are_not_names() -> None:
    text = "The final bill is King size. This is Harbour Bank, thanks for calling Redwood Mobile."
    assert redact_text(text, options=NO_MODEL) == text
    # A name that is also a word is redacted where it is the name: capitalised, once known.
    call = _call(
        ("customer", "My name is Bill Grant."), ("agent", "Your final bill, Bill, is paid.")
    )
    assert _texts(call, NO_MODEL)[1] == "Your final bill, [NAME], is paid."


def test_privacy_names_missing_model_logs_once_and_other_kinds_still_work(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="qa_toolkit")
    text = "Anyway my card is 4111 1111 1111 1111 and Oluwaseun Adeyemi will call you back."
    first = redact_text(text, options=NO_MODEL)
    second = redact_text(text, options=NO_MODEL)
    assert first == second
    assert "[CARD]" in first and "4111" not in first
    warnings = [r for r in caplog.records if "not being redacted" in r.getMessage()]
    assert len(warnings) == 1
    assert INSTALL_HINT in warnings[0].getMessage()
    assert INSTALL_HINT == "pip install 'qa-toolkit[names]'"


# ---------------------------------------------------------------- English, with spaCy


def test_privacy_names_english_model_finds_names_without_a_cue() -> None:
    pytest.importorskip("spacy")
    if load_english_ner() is None:
        pytest.skip("no spaCy English model installed (pip install 'qa-toolkit[names]')")
    text = "Okay. So Oluwaseun Adeyemi will call you back tomorrow about the refund."
    assert redact_text(text) == "Okay. So [NAME] will call you back tomorrow about the refund."
    # Without the model that name has no cue and stays.
    assert redact_text(text, options=NO_MODEL) == text


def test_privacy_names_english_model_leaves_company_names() -> None:
    pytest.importorskip("spacy")
    if load_english_ner() is None:
        pytest.skip("no spaCy English model installed (pip install 'qa-toolkit[names]')")
    text = "Thank you for calling Alder Water, Fiona speaking."
    assert redact_text(text) == "Thank you for calling Alder Water, [NAME] speaking."


# ---------------------------------------------------------------- agent's name, kinds


def test_privacy_names_agent_first_name_kept_only_when_asked() -> None:
    call = _call(
        ("agent", "Hello, you've reached Parcelwise, my name is Priya Sharma."),
        ("customer", "Hi Priya, it's Tom Okafor."),
        ("agent", "Thanks Tom."),
    )
    assert _texts(call, NO_MODEL) == [
        "Hello, you've reached Parcelwise, my name is [NAME].",
        "Hi [NAME], it's [NAME].",
        "Thanks [NAME].",
    ]
    keep = RedactionOptions(keep_agent_name=True, name_model=NO_MODEL.name_model)
    assert _texts(call, keep) == [
        "Hello, you've reached Parcelwise, my name is Priya [NAME].",
        "Hi Priya, it's [NAME].",
        "Thanks [NAME].",
    ]
    zh = _call(("agent", "您好，我是客服小陈。"), ("customer", "谢谢小陈，我叫王芳。"))
    assert _texts(zh, RedactionOptions(keep_agent_name=True)) == [
        "您好，我是客服小陈。",
        "谢谢小陈，我叫[NAME]。",
    ]


def test_privacy_names_kind_can_be_chosen_or_left_out() -> None:
    assert "name" in PII_KINDS and check_kinds(["NAME"]) == ("name",)
    text = "我叫王芳，手机13800138000"
    assert redact_text(text, kinds=["phone"]) == "我叫王芳，手机[PHONE]"
    assert redact_text(text, kinds=["[NAME]"]) == "我叫[NAME]，手机13800138000"
    assert [s.kind for s in find_pii(text)] == ["name", "phone"]


def test_privacy_names_pii_spans_read_the_call_as_one() -> None:
    call = _call(("customer", "一个叫赵磊的给我办的"), ("customer", "赵磊说今天来"))
    spans = pii_spans(call)
    assert [[(s.kind, s.text) for s in turn] for turn in spans] == [
        [("name", "赵磊")],
        [("name", "赵磊")],
    ]


def test_privacy_names_english_words_bleeped_where_the_text_is_tagged() -> None:
    words = (
        Word(" my", 1.0, 1.2),
        Word(" name", 1.2, 1.4),
        Word(" is", 1.4, 1.5),
        Word(" Violet", 1.5, 1.9),
        Word(" King.", 1.9, 2.3),
    )
    said = Utterance("u1", "customer", 1.0, 2.3, "my name is Violet King.", words=words)
    call = Transcript("en", (said,))
    out = redact(call, options=NO_MODEL).utterances[0]
    assert out.text == "my name is [NAME]."
    assert [w.text for w in out.words] == [" my", " name", " is", " [NAME]."]
    assert pii_intervals(call, options=NO_MODEL) == ((1.5, 2.3, "name"),)


# ---------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    ("text", "street", "numbered"),
    [
        (
            "There's a leak on Cedar Lane, near the corner with Mill Street.",
            "There's a leak on [ADDRESS], near the corner with [ADDRESS].",
            "There's a leak on Cedar Lane, near the corner with Mill Street.",
        ),
        (
            "It's 42 Larkspur Drive, and the postcode is LS6 2QT.",
            "It's [ADDRESS], and the postcode is [ADDRESS].",
            "It's [ADDRESS], and the postcode is LS6 2QT.",  # a house number: any level
        ),
        ("the zip is 94110", "the zip is [ADDRESS]", "the zip is 94110"),
        ("我住在朝阳区望京西园三区。", "我住在[ADDRESS]。", "我住在朝阳区望京西园三区。"),
        ("对的，金海花园6幢2单元301。", "对的，[ADDRESS]。", "对的，金海花园6幢2单元301。"),
        (
            "地址是杭州市西湖区文三路华星小区",
            "地址是[ADDRESS]",
            "地址是杭州市西湖区文三路华星小区",
        ),
    ],
)
def test_privacy_addresses_without_a_number_follow_the_level(
    text: str, street: str, numbered: str
) -> None:
    assert redact_text(text, options=NO_MODEL) == street
    level = RedactionOptions(address_level="numbered", name_model=NO_MODEL.name_model)
    assert redact_text(text, options=level) == numbered


@pytest.mark.parametrize(
    "text",
    [
        "我不知道，因为线路检修，退款已经原路退回。",
        "我们小区门卫从来不代收的",
        "The booking reference is X7T9QL.",
        "I'm in Leeds this week.",
        "我在南京。",
    ],
)
def test_privacy_addresses_are_not_found_in_ordinary_words(text: str) -> None:
    assert find_places(text) == ()


def test_privacy_addresses_numbered_level_still_redacts_house_numbers() -> None:
    level = RedactionOptions(address_level="numbered", name_model=NO_MODEL.name_model)
    said = "安装地址是北京市朝阳区建国路88号吗"
    assert redact_text(said, options=level) == "安装地址是[ADDRESS]吗"
    with pytest.raises(UsageError, match="unknown address level"):
        RedactionOptions(address_level="house")  # type: ignore[arg-type]


def test_privacy_names_find_names_reads_one_text_and_a_call() -> None:
    assert [s.text for s in find_names("Sure, it's K-I-N-G, King.")] == ["K-I-N-G", "King"]
    found = names_in_texts(["Thanks Nadia.", "my name is Nadia Hussain"])
    assert [[s.text for s in t] for t in found] == [["Nadia"], ["Nadia Hussain"]]
