"""English number words: cardinals, ordinals, decimals, years, fractions, digit strings.

American style: no "and" inside numbers (one hundred five), hyphenated tens (twenty-one).
"""

from __future__ import annotations

_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ("", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion")
_IRREGULAR_ORDINALS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_FRACTION_NAMES = {2: ("half", "halves"), 4: ("quarter", "quarters")}


def _below_hundred(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def _below_thousand(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    words = [f"{_ONES[hundreds]} hundred"] if hundreds else []
    if rest:
        words.append(_below_hundred(rest))
    return " ".join(words)


def cardinal(n: int) -> str:
    """``1234`` → one thousand two hundred thirty-four; negative numbers say minus."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n == 0:
        return "zero"
    if n >= 1000 ** len(_SCALES):
        return digits(str(n))
    words: list[str] = []
    for scale in range(len(_SCALES) - 1, -1, -1):
        group = n // 1000**scale % 1000
        if group:
            words.append(_below_thousand(group) + (f" {_SCALES[scale]}" if scale else ""))
    return " ".join(words)


def ordinal_word(words: str) -> str:
    """Turn the last word of a cardinal into its ordinal: twenty-one → twenty-first."""
    head, sep, last = words.rpartition(" ")
    stem, hyphen, tail = last.rpartition("-")
    if tail in _IRREGULAR_ORDINALS:
        tail = _IRREGULAR_ORDINALS[tail]
    elif tail.endswith("y"):
        tail = tail[:-1] + "ieth"
    else:
        tail += "th"
    return head + sep + stem + hyphen + tail


def ordinal(n: int) -> str:
    """``21`` → twenty-first."""
    return ordinal_word(cardinal(n))


def digits(text: str) -> str:
    """Read digits one by one: ``042`` → zero four two."""
    return " ".join(_ONES[int(c)] for c in text if c.isdigit())


def decimal(text: str) -> str:
    """Read a signed decimal as written: ``-3.14`` → minus three point one four."""
    sign = "minus " if text.startswith("-") else ""
    whole, _, fraction = text.lstrip("+-").replace(",", "").partition(".")
    words = cardinal(int(whole or "0"))
    if fraction:
        words += " point " + digits(fraction)
    return sign + words


def year(n: int) -> str:
    """Read a year as people say it: 1999 → nineteen ninety-nine, 2005 → two thousand five."""
    if not 1000 <= n <= 9999 or n % 1000 == 0 or 2000 <= n <= 2009:
        return cardinal(n)
    century, rest = divmod(n, 100)
    if rest == 0:
        return f"{cardinal(century)} hundred"
    if rest < 10:
        return f"{cardinal(century)} oh {_ONES[rest]}"
    return f"{cardinal(century)} {_below_hundred(rest)}"


def plural_word(words: str) -> str:
    """Pluralize the last word of a number reading: nineteen ninety → nineteen nineties."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith("x"):
        return words + "es"
    return words + "s"


def fraction(numerator: int, denominator: int) -> str:
    """``3/4`` → three quarters, ``1/2`` → one half, ``5/8`` → five eighths."""
    singular, plural = _FRACTION_NAMES.get(denominator, ("", ""))
    if not singular:
        singular = ordinal(denominator)
        plural = singular + "s"
    return f"{cardinal(numerator)} {singular if numerator == 1 else plural}"
