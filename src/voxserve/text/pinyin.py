"""Pinyin syllables given by callers, and the marks that carry them to the engine.

A caller's reading (``hang2``) is checked against the syllables of Mandarin (every reading in
pypinyin's character table) and the tones 1-5. Once checked, a reading travels inside the
normalized text as one private-use character placed right after the Han character it reads, so
it survives splitting, takes part in cache keys, and needs no second channel to the workers.
Readers (``voxserve.text.readings``) apply and remove the marks; engines that do not read pinyin
get the text with the marks stripped.
"""

from __future__ import annotations

import re
from functools import cache

from pypinyin.contrib.tone_convert import to_normal
from pypinyin.pinyin_dict import pinyin_dict

from voxserve.errors import InvalidPinyinError

MARK_FIRST = 0xE000
MARK_CLASS = "\ue000-\uf8ff"
MARKS = re.compile(f"[{MARK_CLASS}]")
_SYLLABLE = re.compile(r"^([a-zü]+)([1-5])$")


@cache
def _syllables() -> tuple[str, ...]:
    """Every syllable of Mandarin without its tone (``zhong``, ``lv``), sorted."""
    bases = set()
    for readings in pinyin_dict.values():
        for reading in readings.split(","):
            base = to_normal(reading, v_to_u=False)
            if re.fullmatch("[a-z]+", base):
                bases.add(base)
    return tuple(sorted(bases))


@cache
def _index() -> dict[str, int]:
    return {base: i for i, base in enumerate(_syllables())}


def parse(syllable: str, *, param: str = "text") -> str:
    """``syllable`` checked and written the way readers write it (lower case, ü as v).
    Raises InvalidPinyinError naming it."""
    written = syllable.strip().lower().replace("ü", "v").replace("u:", "v")
    match = _SYLLABLE.match(written)
    if match is None:
        raise InvalidPinyinError(syllable, "a syllable needs a tone number 1-5 (hang2)", param)
    if match.group(1) not in _index():
        raise InvalidPinyinError(syllable, "not a Mandarin syllable", param)
    return written


def mark(reading: str) -> str:
    """The private-use character that carries ``reading`` (already parsed)."""
    base, tone = reading[:-1], int(reading[-1])
    return chr(MARK_FIRST + _index()[base] * 5 + tone - 1)


def unmark(char: str) -> str:
    """The reading a mark carries."""
    offset = ord(char) - MARK_FIRST
    return f"{_syllables()[offset // 5]}{offset % 5 + 1}"


def strip_marks(text: str) -> str:
    """``text`` without reading marks (for engines that do not read pinyin)."""
    return MARKS.sub("", text)
