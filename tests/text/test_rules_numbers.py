"""Plain numbers, ranges, fractions, ordinals, arithmetic and codes, in both languages."""

from __future__ import annotations

import pytest

from voxserve.text import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我有2个苹果", "我有两个苹果"),
        ("过了2年", "过了两年"),
        ("共12个", "共十二个"),
        ("102个人", "一百零二个人"),
        ("2号线", "二号线"),
        ("2000人", "两千人"),
        ("1,234,567人", "一百二十三万四千五百六十七人"),
        ("1.2亿人口", "一点二亿人口"),
        ("3万元", "三万元"),
        ("2万元", "两万元"),
        ("圆周率是3.14", "圆周率是三点一四"),
        ("气温-3度", "气温负三度"),
        ("过了10年", "过了十年"),
        ("晚上8点", "晚上八点"),
        ("下午2点", "下午两点"),
    ],
)
def test_mandarin_numbers(text: str, expected: str) -> None:
    assert normalize(text, "zh") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024年", "二零二四年"),
        ("1998年", "一九九八年"),
        ("98年", "九八年"),
        ("90年代", "九零年代"),
        ("2024-2025年", "二零二四到二零二五年"),
    ],
)
def test_mandarin_years_are_read_digit_by_digit(text: str, expected: str) -> None:
    assert normalize(text, "zh") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3-5天", "三到五天"),
        ("3~5天", "三到五天"),
        ("2-3个", "两到三个"),
        ("3/4的人", "四分之三的人"),
        ("1/2", "二分之一"),
        ("第3名", "第三名"),
        ("第2次", "第二次"),
        ("1+1=2", "一加一等于二"),
        ("5-3=2", "五减三等于二"),
        ("6÷2=3", "六除以二等于三"),
    ],
)
def test_mandarin_ranges_fractions_ordinals_arithmetic(text: str, expected: str) -> None:
    assert normalize(text, "zh") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("订单号20240305001", "订单号二零二四零三零五零零一"),
        ("验证码0123", "验证码零一二三"),
        ("尾号1234", "尾号一二三四"),
        ("请拨打110", "请拨打幺幺零"),
        ("房间101", "房间幺零幺"),
        ("编号123456789012", "编号一二三四五六七八九零一二"),
        ("代号007", "代号零零七"),
        ("“26314”号客服", "“二六三一四”号客服"),
        ("请记下15873690。", "请记下一五八七三六九零。"),
        ("10076", "一零零七六"),
        # Quantities stay cardinals: a measure word after, or a word of quantity before.
        ("发电30029度电", "发电三万零二十九度电"),
        ("共有25000人", "共有两万五千人"),
        ("卖了30000。", "卖了三万。"),
        ("人口达到12345", "人口达到一万两千三百四十五"),
    ],
)
def test_mandarin_codes_are_read_digit_by_digit(text: str, expected: str) -> None:
    assert normalize(text, "zh") == expected


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("一支.22口径的手枪", "zh", "一支零点二二口径的手枪"),
        ("a .5 inch gap", "en", "a point five inch gap"),
    ],
)
def test_decimal_without_a_leading_zero(text: str, lang: str, expected: str) -> None:
    assert normalize(text, lang) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I have 2 cats", "I have two cats"),
        (
            "about 1,234,567 people",
            "about one million two hundred thirty-four thousand five hundred sixty-seven people",
        ),
        ("pi is 3.14", "pi is three point one four"),
        ("it fell to -5 today", "it fell to minus five today"),
        ("born in 1999", "born in nineteen ninety-nine"),
        ("in 2005 and 2024", "in two thousand five and twenty twenty-four"),
        (
            "I came 1st, she came 2nd, he came 23rd",
            "I came first, she came second, he came twenty-third",
        ),
        ("pages 3-5", "pages three to five"),
        ("add 3/4 cup", "add three quarters cup"),
        ("1½ cups", "one and one half cups"),
        ("1+1=2 is true", "one plus one equals two is true"),
        ("version 3.10.2", "version three point ten point two"),
        ("account 12345678901", "account one two three four five six seven eight nine zero one"),
    ],
)
def test_english_numbers(text: str, expected: str) -> None:
    assert normalize(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我买了3个iPhone", "我买了三个iPhone"),
        ("I bought 3 iPhones", "I bought three iPhones"),
        ("iPhone 15 Pro卖8999元", "iPhone fifteen Pro卖八千九百九十九元"),
        ("5G网络", "五G网络"),
        ("a 5G network", "a five G network"),
        ("我用GPT-4写代码", "我用G P T 四写代码"),
    ],
)
def test_numbers_take_the_language_of_their_context(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_lang_decides_numbers_with_no_letters_around() -> None:
    assert normalize("42", "zh") == "四十二"
    assert normalize("42", "en") == "forty-two"
