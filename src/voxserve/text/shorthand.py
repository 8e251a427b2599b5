"""Pinyin shorthand in plain text: ``[行长](hang2 zhang3)`` reads 行长 as hang2 zhang3.

The shape is the Markdown link that Kokoro and misaki use for pronunciations. A bracket is only
taken as a reading when what follows it in parentheses looks like pinyin (words of letters, at
least one with a tone number); anything else (a real Markdown link) is left as written. A reading
that looks like pinyin but is not (an unknown syllable, a tone of 6, one syllable too many) is an
error that names it.
"""

from __future__ import annotations

import re

from voxserve.errors import InvalidPinyinError
from voxserve.text import pinyin
from voxserve.text.script import HAN

_READING = re.compile(r"\[(?P<chars>[^\[\]\n]{1,64})\]\((?P<pinyin>[^()\n]{1,400})\)")
_PINYIN_LIKE = re.compile(r"\s*[A-Za-züÜ:]+\d?(?:[\s,]+[A-Za-züÜ:]+\d?)*\s*")


def present(text: str) -> bool:
    """Whether ``text`` may hold a reading (cheap: most text has no ``](``)."""
    return "](" in text


def extract(text: str) -> tuple[str, dict[int, str]]:
    """``text`` with its readings taken out, and the reading of each Han character they named
    (by position in the returned text). Raises InvalidPinyinError."""
    plain, readings, _ = extract_traced(text)
    return plain, readings


def extract_traced(text: str) -> tuple[str, dict[int, str], list[int]]:
    """:func:`extract`, and for each character of the returned text its index in ``text``."""
    readings: dict[int, str] = {}
    out: list[str] = []
    sources: list[int] = []
    cursor = 0
    for match in _READING.finditer(text):
        given = match["pinyin"]
        if not _PINYIN_LIKE.fullmatch(given) or not re.search(r"\d", given):
            continue
        chars = match["chars"]
        syllables = [pinyin.parse(s) for s in re.split(r"[\s,]+", given.strip())]
        positions = [i for i, char in enumerate(chars) if HAN.match(char)]
        if len(syllables) != len(positions):
            raise InvalidPinyinError(
                given, f"{len(syllables)} syllables for {len(positions)} Han characters ({chars})"
            )
        out.append(text[cursor : match.start()])
        sources += range(cursor, match.start())
        start = len(sources)
        readings |= {start + i: s for i, s in zip(positions, syllables, strict=True)}
        out.append(chars)
        sources += range(match.start("chars"), match.end("chars"))
        cursor = match.end()
    out.append(text[cursor:])
    sources += range(cursor, len(text))
    return "".join(out), readings, sources
