"""Dates, times, ratios and decades."""

from __future__ import annotations

import pytest

from voxserve.text import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-05", "二零二四年三月五日"),
        ("2024/3/5", "二零二四年三月五日"),
        ("2024.3.5", "二零二四年三月五日"),
        ("2024年3月5日", "二零二四年三月五日"),
        ("2月2日", "二月二日"),
        ("5号见", "五号见"),
        ("2024-03发布", "二零二四年三月发布"),
    ],
)
def test_mandarin_dates(text: str, expected: str) -> None:
    assert normalize(text, "zh") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14:30开会", "十四点三十分开会"),
        ("8:05出发", "八点零五分出发"),
        ("8:00起床", "八点起床"),
        ("2:30见", "两点三十分见"),
        ("14:30:15结束", "十四点三十分十五秒结束"),
        ("时间：8：30", "时间：八点三十分"),
        ("比分3:2", "比分三比二"),
        ("比分测试17:16", "比分测试十七比十六"),
        ("最后打成2:2平", "最后打成二比二平"),
        ("以3:1战胜对手", "以三比一战胜对手"),
        ("16:9的屏幕", "十六比九的屏幕"),
        ("8pm见", "下午八点见"),
    ],
)
def test_mandarin_times_and_ratios(text: str, expected: str) -> None:
    assert normalize(text, "zh") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("at 14:30", "at fourteen thirty"),
        ("at 8:05", "at eight oh five"),
        ("at 8:00", "at eight o'clock"),
        ("at 8 am", "at eight A M"),
        ("at 10:30 p.m. Then", "at ten thirty P M. Then"),
        ("on 2024-03-05", "on March fifth, twenty twenty-four"),
        ("ships on 2024-06-01.", "ships on June first, twenty twenty-four."),
        ("on March 5, 2024", "on March fifth, twenty twenty-four"),
        ("on 5 March 2024", "on the fifth of March, twenty twenty-four"),
        ("on Sept. 1st", "on September first"),
        ("the 1990s", "the nineteen nineties"),
        ("the '90s", "the nineties"),
        ("won 3:2", "won three to two"),
    ],
)
def test_english_dates_and_times(text: str, expected: str) -> None:
    assert normalize(text, "en") == expected
