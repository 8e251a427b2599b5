"""Abbreviations, initials, acronyms and web addresses."""

from __future__ import annotations

import pytest

from voxserve.text import normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Smith", "Doctor Smith"),
        ("Mr. and Mrs. Lee", "Mister and Missus Lee"),
        ("fruit, e.g. apples", "fruit, for example apples"),
        ("that is, i.e. this", "that is, that is this"),
        ("apples, pears, etc. are fruit", "apples, pears, et cetera are fruit"),
        ("apples, pears, etc. Then more.", "apples, pears, et cetera. Then more."),
        ("Lakers vs. Celtics", "Lakers versus Celtics"),
        ("No. 5", "number five"),
        ("the U.S. army", "the U S army"),
        ("in the U.S. Then", "in the U S. Then"),
        ("the U.S. Department", "the U S Department"),
        ("Apple Inc. Board", "Apple Incorporated Board"),
        ("Apple Inc. The end", "Apple Incorporated. The end"),
    ],
)
def test_abbreviations(text: str, expected: str) -> None:
    assert normalize(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AI", "A I"),
        ("the CEO", "the C E O"),
        ("GPU", "G P U"),
        ("NBA", "N B A"),
        ("HTML", "H T M L"),
        ("CEOs", "C E O's"),
        ("NASA", "Nasa"),
        ("ASAP", "Asap"),
        ("OK", "okay"),
        ("C++", "C plus plus"),
        ("HELLO WORLD", "hello world"),
        ("I AM SO HAPPY", "i am so happy"),
        ("WiFi", "WiFi"),
    ],
)
def test_acronyms(text: str, expected: str) -> None:
    assert normalize(text, "en") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail john.doe@example.com", "mail john dot doe at example dot com"),
        ("see https://example.com/docs", "see example dot com slash docs"),
        ("www.example.com", "W W W dot example dot com"),
        ("邮件至service@example.com咨询", "邮件至service at example dot com咨询"),
    ],
)
def test_web_addresses(text: str, expected: str) -> None:
    assert normalize(text, "en") == expected
