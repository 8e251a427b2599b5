"""Symbols read as words, and decoration that is not read."""

from __future__ import annotations

import pytest

from voxserve.text import normalize


@pytest.mark.parametrize(
    ("text", "lang", "expected"),
    [
        ("3×4", "zh", "三乘四"),
        ("a + b", "en", "a plus b"),
        ("x = y", "en", "x equals y"),
        ("Tom & Jerry", "en", "Tom and Jerry"),
        ("猫&狗", "zh", "猫和狗"),
        ("@张三", "zh", "艾特张三"),
        ("≥90分", "zh", "大于等于九十分"),
        ("±5%", "zh", "正负百分之五"),
        ("约~5分钟", "zh", "约约五分钟"),
        ("~5分钟", "zh", "约五分钟"),
        ("about ~5 minutes", "en", "about about five minutes"),
        ("5元/斤", "zh", "五元每斤"),
        ("#1", "zh", "一号"),
        ("#1 fan", "en", "number one fan"),
        ("**重要**", "zh", "重要"),
        ("#话题#", "zh", "话题"),
    ],
)
def test_symbols(text: str, lang: str, expected: str) -> None:
    assert normalize(text, lang) == expected


def test_quote_marker_is_not_read_as_greater_than() -> None:
    assert normalize("> quoted", "en") == "quoted"
