"""Money, percentages and phone numbers."""

from __future__ import annotations

import pytest

from voxserve.text import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("¥12.50", "十二点五元"),
        ("￥100", "一百元"),
        ("12.5元", "十二点五元"),
        ("¥2", "两元"),
        ("$3", "三美元"),
        ("US$20", "二十美元"),
        ("HK$100", "一百港元"),
        ("€5", "五欧元"),
        ("£3.5", "三点五英镑"),
        ("$2万", "两万美元"),
        ("100USD", "一百美元"),
        ("100 RMB", "一百元"),
        ("¥12.50元", "十二点五元"),
        ("余额为负14.60元", "余额为负十四点六元"),
        ("消费36.00元", "消费三十六元"),
        ("2.00元", "两元"),
        ("2万元", "两万元"),
        ("12.50美元", "十二点五美元"),
        ("100块钱", "一百块钱"),
    ],
)
def test_mandarin_money(text: str, expected: str) -> None:
    assert normalize(text, "zh") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$3.50", "three dollars fifty cents"),
        ("$1", "one dollar"),
        ("$0.99", "ninety-nine cents"),
        ("$1.01", "one dollar one cent"),
        ("$3.5 million", "three point five million dollars"),
        ("$5k", "five thousand dollars"),
        ("€20", "twenty euros"),
        ("£3.50", "three pounds fifty pence"),
        ("-$5", "minus five dollars"),
    ],
)
def test_english_money(text: str, expected: str) -> None:
    assert normalize(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("增长了35%", "zh", "增长了百分之三十五"),
        ("下降-5%", "zh", "下降负百分之五"),
        ("3.5%", "zh", "百分之三点五"),
        ("微涨0.70%", "zh", "微涨百分之零点七"),
        ("30.60%", "zh", "百分之三十点六"),
        ("3%-5%", "zh", "百分之三到百分之五"),
        ("3-5%", "zh", "百分之三到百分之五"),
        ("12‰", "zh", "千分之十二"),
        ("50%", "en", "fifty percent"),
        ("3-5%", "en", "three to five percent"),
    ],
)
def test_percentages(text: str, lang: str, expected: str) -> None:
    assert normalize(text, lang) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("电话13812345678", "电话幺三八幺二三四五六七八"),
        ("138-1234-5678", "幺三八幺二三四五六七八"),
        ("+86 138 1234 5678", "加八六幺三八幺二三四五六七八"),
        ("座机010-12345678", "座机零幺零幺二三四五六七八"),
        ("客服400-123-4567", "客服四零零幺二三四五六七"),
    ],
)
def test_mandarin_phone_numbers(text: str, expected: str) -> None:
    assert normalize(text, "zh") == expected


def test_english_phone_number_keeps_its_groups() -> None:
    assert normalize("call 555-123-4567", "en") == (
        "call five five five, one two three, four five six seven"
    )
