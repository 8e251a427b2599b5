"""Scripts, context language and Traditional to Simplified conversion."""

from __future__ import annotations

import pytest

from voxserve.text import normalize, prepare
from voxserve.text.script import context_lang, dominant_lang, is_han, is_latin, to_simplified


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("這個軟體很好用", "这个软体很好用"),
        ("臺灣的頭髮", "台湾的头发"),
        ("我們會說話", "我们会说话"),
        ("乾隆皇帝", "乾隆皇帝"),
        ("简体不变", "简体不变"),
        ("English only", "English only"),
    ],
)
def test_traditional_becomes_simplified(text: str, expected: str) -> None:
    assert to_simplified(text) == expected


def test_traditional_keywords_drive_mandarin_rules() -> None:
    # 個 and 號 are the Traditional 个 and 号: conversion runs before numbers are read.
    assert normalize("2個人住2號房", "zh") == "两个人住二号房"
    assert prepare("電話13812345678")[0].runs[0].text == "电话幺三八幺二三四五六七八"


def test_character_classes() -> None:
    assert is_han("中") and is_han("〇") and not is_han("a")
    assert is_latin("é") and is_latin("Z") and not is_latin("×") and not is_latin("3")


@pytest.mark.parametrize(
    ("text", "span", "expected"),
    [
        ("我有3个", (2, 3), "zh"),
        ("I have 3 cats", (7, 8), "en"),
        ("5G网络", (0, 1), "zh"),
        ("a 5G network", (2, 3), "en"),
        ("跑了5km，重2kg", (7, 8), "zh"),
        ("42", (0, 2), "en"),
    ],
)
def test_context_lang(text: str, span: tuple[int, int], expected: str) -> None:
    assert context_lang(text, *span, default="en") == expected


def test_dominant_lang() -> None:
    assert dominant_lang("我用iPhone拍照") == "zh"
    assert dominant_lang("I love 北京 and Shanghai") == "en"
    assert dominant_lang("123") == "zh"
