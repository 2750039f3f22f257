"""PII detection: valid numbers are found, checksum failures are not tagged as their kind."""

from __future__ import annotations

import pytest

from qa_toolkit.nlp.pii import find_pii, iban_valid, luhn_valid, resident_id_valid


def _found(text: str) -> list[tuple[str, str]]:
    return [(s.kind, s.text) for s in find_pii(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("My phone is 555-0142 if you need it.", [("phone", "555-0142")]),
        ("call me at (415) 555-0132", [("phone", "(415) 555-0132")]),
        ("my mobile +86 138 0013 8000", [("phone", "+86 138 0013 8000")]),
        ("手机13800138000，谢谢", [("phone", "13800138000")]),
        ("座机010-62345678", [("phone", "010-62345678")]),
        (
            "my number is eight three three two two two two",
            [("phone", "eight three three two two two two")],
        ),
        ("幺三八零零一三八零零零", [("phone", "幺三八零零一三八零零零")]),
        ("身份证号是11010519491231002X。", [("id", "11010519491231002X")]),
        ("card 4111 1111 1111 1111, not store credit", [("card", "4111 1111 1111 1111")]),
        ("Amex 3782 822463 10005 please", [("card", "3782 822463 10005")]),
        ("my account number is 12345678901", [("bank", "12345678901")]),
        ("银行账号 6217 0000 1234 5678 901", [("bank", "6217 0000 1234 5678 901")]),
        ("my IBAN is GB82 WEST 1234 5698 7654 32", [("bank", "GB82 WEST 1234 5698 7654 32")]),
        ("the verification code is 482913", [("code", "482913")]),
        ("验证码是4829，请查收", [("code", "4829")]),
        ("your PIN is one two three four", [("code", "one two three four")]),
        ("Order 58213, anna.lee@example.com.", [("email", "anna.lee@example.com")]),
        ("it's anna dot lee at example dot com", [("email", "anna dot lee at example dot com")]),
        (
            "I live at 1600 Pennsylvania Avenue, Washington, DC 20500",
            [("address", "1600 Pennsylvania Avenue, Washington, DC 20500")],
        ),
        ("请问安装地址是北京市朝阳区建国路88号吗？", [("address", "北京市朝阳区建国路88号")]),
        (
            "我住在上海市浦东新区世纪大道100号2栋301室",
            [("address", "上海市浦东新区世纪大道100号2栋301室")],
        ),
        ("臺北市信義區信義路五段7號", [("address", "臺北市信義區信義路五段7號")]),
        ("it was nine nine four one", [("number", "nine nine four one")]),
    ],
)
def test_privacy_pii_found(text: str, expected: list[tuple[str, str]]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "card 4111 1111 1111 1112 please",  # Luhn fails
        "身份证号是110105194912310021",  # check digit fails (X is right)
        "身份证号是110105194913310028",  # month 13
        "my IBAN is GB82 WEST 1234 5698 7654 33",  # mod-97 fails
        "Order 58213 arrived on 2024-11-21",
        "it happened 3 times in 2023",
        "oh one more thing",
        "the service hotline 10010 is busy",
        "I waited 45 minutes",
        "ticket 123-4567",  # no North American number starts with 1
        "order number 12345678",
    ],
)
def test_privacy_pii_invalid_is_not_tagged(text: str) -> None:
    assert _found(text) == []


def test_privacy_pii_checksums() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert resident_id_valid("11010519491231002X") and resident_id_valid("11010519491231002x")
    assert not resident_id_valid("110105194912310021")
    assert iban_valid("GB82WEST12345698765432") and not iban_valid("GB82WEST12345698765433")


def test_privacy_pii_failed_id_is_not_a_card_either() -> None:
    # An ID-shaped number with a bad check digit that happens to pass Luhn.
    candidates = (f"44010619900101{n:03d}{c}" for n in range(1000) for c in "0123456789")
    number = next(c for c in candidates if luhn_valid(c) and not resident_id_valid(c))
    assert _found(f"号码 {number}") == []


def test_privacy_pii_kinds_filter_and_order() -> None:
    text = "13800138000，身份证号是11010519491231002X，邮箱 a@b.cn"
    assert [s.kind for s in find_pii(text)] == ["phone", "id", "email"]
    assert [s.kind for s in find_pii(text, kinds=["id"])] == ["id"]
    assert [s.tag for s in find_pii(text)] == ["[PHONE]", "[ID]", "[EMAIL]"]
