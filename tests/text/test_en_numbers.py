"""English number words."""

from __future__ import annotations

import pytest

from voxserve.text import en_numbers as en


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (21, "twenty-one"),
        (100, "one hundred"),
        (105, "one hundred five"),
        (999, "nine hundred ninety-nine"),
        (1000, "one thousand"),
        (1234, "one thousand two hundred thirty-four"),
        (1_000_001, "one million one"),
        (2_500_000_000, "two billion five hundred million"),
        (-42, "minus forty-two"),
    ],
)
def test_cardinal(n: int, expected: str) -> None:
    assert en.cardinal(n) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "first"),
        (2, "second"),
        (3, "third"),
        (5, "fifth"),
        (8, "eighth"),
        (9, "ninth"),
        (12, "twelfth"),
        (20, "twentieth"),
        (21, "twenty-first"),
        (100, "one hundredth"),
        (103, "one hundred third"),
    ],
)
def test_ordinal(n: int, expected: str) -> None:
    assert en.ordinal(n) == expected


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1999, "nineteen ninety-nine"),
        (1905, "nineteen oh five"),
        (1900, "nineteen hundred"),
        (2000, "two thousand"),
        (2005, "two thousand five"),
        (2010, "twenty ten"),
        (2024, "twenty twenty-four"),
        (1066, "ten sixty-six"),
    ],
)
def test_year(n: int, expected: str) -> None:
    assert en.year(n) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.14", "three point one four"),
        ("0.5", "zero point five"),
        ("-2.05", "minus two point zero five"),
        ("1,234", "one thousand two hundred thirty-four"),
    ],
)
def test_decimal(text: str, expected: str) -> None:
    assert en.decimal(text) == expected


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (1, 2, "one half"),
        (3, 4, "three quarters"),
        (1, 3, "one third"),
        (2, 3, "two thirds"),
        (5, 8, "five eighths"),
    ],
)
def test_fraction(numerator: int, denominator: int, expected: str) -> None:
    assert en.fraction(numerator, denominator) == expected


def test_digits_and_plurals() -> None:
    assert en.digits("042") == "zero four two"
    assert en.plural_word("nineteen ninety") == "nineteen nineties"
