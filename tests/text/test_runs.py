"""Language runs inside a unit."""

from __future__ import annotations

import pytest

from voxserve.text.runs import clean_en, clean_zh, runs


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我用iPhone拍照", [("zh", "我用"), ("en", "iPhone"), ("zh", "拍照")]),
        ("打开WiFi", [("zh", "打开"), ("en", "WiFi")]),
        ("I love 北京 very much.", [("en", "I love"), ("zh", "北京"), ("en", "very much.")]),
        ("他是C E O。", [("zh", "他是"), ("en", "C E O.")]),
        ("A I和G P U", [("en", "A I"), ("zh", "和"), ("en", "G P U")]),
        ("打开WiFi，然后上网。", [("zh", "打开"), ("en", "WiFi,"), ("zh", "然后上网。")]),
        ("他说“Hello”。", [("zh", "他说"), ("en", '"Hello".')]),
        ("纯中文，没有英文。", [("zh", "纯中文，没有英文。")]),
        ("It's well-known.", [("en", "It's well-known.")]),
    ],
)
def test_runs(text: str, expected: list[tuple[str, str]]) -> None:
    assert runs(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("他说:你好,再见!", "他说：你好，再见！"),
        ("“引号”和《书名》", "引号和书名"),
        ("【重要】请注意", "重要，请注意"),
        ("好的。。。", "好的。"),
        ("等等...", "等等…"),
        ("，开头的标点", "开头的标点"),
        ("什么？！", "什么？"),
        ("表情😀符号", "表情符号"),
    ],
)
def test_mandarin_run_punctuation(text: str, expected: str) -> None:
    assert clean_zh(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello，world。", "Hello, world."),
        ("Wait—what？", "Wait, what?"),
        ("“Quoted”", '"Quoted"'),
        ("spaces   here ,", "spaces here,"),
        ("emoji 😀 here", "emoji here"),
        ("trailing ...", "trailing..."),
    ],
)
def test_english_run_punctuation(text: str, expected: str) -> None:
    assert clean_en(text) == expected


def test_no_run_is_punctuation_only() -> None:
    for lang, text in runs("“，”Hello！“”。你好……（）"):
        assert any(c.isalpha() for c in text), (lang, text)
