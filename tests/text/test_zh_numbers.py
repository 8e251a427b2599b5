"""Mandarin number readings."""

from __future__ import annotations

import pytest

from voxserve.text import zh_numbers as zh


@pytest.mark.parametrize(
    ("digits", "expected"),
    [
        ("0", "零"),
        ("10", "十"),
        ("15", "十五"),
        ("110", "一百一十"),
        ("1010", "一千零一十"),
        ("2000", "两千"),
        ("20000", "两万"),
        ("22000", "两万两千"),
        ("12000", "一万两千"),
        ("220000", "二十二万"),
        ("200000000", "两亿"),
        ("1,234,567", "一百二十三万四千五百六十七"),
    ],
)
def test_cardinal(digits: str, expected: str) -> None:
    assert zh.number(digits) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.14", "三点一四"),
        ("0.5", "零点五"),
        ("-3.5", "负三点五"),
        ("10.05", "十点零五"),
        ("2.0", "二点零"),
    ],
)
def test_decimal(text: str, expected: str) -> None:
    assert zh.number(text) == expected


def test_trailing_zeros_of_amounts_are_dropped() -> None:
    assert zh.number("12.50", trim_zeros=True) == "十二点五"
    assert zh.number("12.00", trim_zeros=True) == "十二"


def test_digits_read_one_by_one_with_yao_for_phones() -> None:
    assert zh.digits("2024") == "二零二四"
    assert zh.digits("110", yao=True) == "幺幺零"


def test_numbers_beyond_cn2an_are_read_as_digits() -> None:
    assert zh.integer("12345678901234567") == "一二三四五六七八九零一二三四五六七"


@pytest.mark.parametrize(
    ("after", "liang"),
    [("个人", True), ("小时", True), ("公里", True), ("号", False), ("月", False), ("", False)],
)
def test_counts_with_liang(after: str, liang: bool) -> None:
    assert zh.counts_with_liang(after) is liang
