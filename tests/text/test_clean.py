"""Input checks and Unicode folding."""

from __future__ import annotations

import pytest

from voxserve.errors import InvalidTextError
from voxserve.text.clean import check, clean, speakable


@pytest.mark.parametrize(
    ("text", "codepoint", "position"),
    [
        ("Hello\x07world", "U+0007", 5),
        ("\x00", "U+0000", 0),
        ("abc\x1b[31m", "U+001B", 3),
        ("你好\x7f", "U+007F", 2),
        ("C1\x85control", "U+0085", 2),
    ],
)
def test_control_characters_are_rejected_with_their_position(
    text: str, codepoint: str, position: int
) -> None:
    with pytest.raises(InvalidTextError) as raised:
        check(text)
    assert raised.value.param == "text"
    assert codepoint in raised.value.message
    assert f"position {position}" in raised.value.message


def test_lone_surrogate_is_rejected() -> None:
    with pytest.raises(InvalidTextError, match="surrogate"):
        check("abc\ud800")


def test_tabs_and_line_breaks_are_allowed() -> None:
    assert clean("A\tB\r\nC\rD") == "A B\nC\nD"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ＡＢＣ１２３", "ABC123"),
        ("１２％", "12%"),
        ("36.5℃", "36.5°C"),
        ("你好，世界！", "你好，世界！"),
        ("zero\u200bwidth\ufeff", "zerowidth"),
        ("don’t", "don't"),
        ("1½", "1 1/2"),
    ],
)
def test_folding(text: str, expected: str) -> None:
    assert clean(text) == expected


def test_hard_wrapped_english_lines_are_joined() -> None:
    assert clean("a sentence that\nwraps here") == "a sentence that wraps here"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", False), ("  \n ", False), ("。！？", False), ("😀🎉", False), ("a", True), ("7", True)],
)
def test_speakable(text: str, expected: bool) -> None:
    assert speakable(text) is expected
