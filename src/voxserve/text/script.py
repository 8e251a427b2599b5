"""Scripts of characters, the language a number's surroundings speak, and Traditional → Simplified.

Numbers and symbols have no language of their own: ``3`` is 三 beside Han characters and
"three" inside English. :func:`context_lang` decides from the nearest letters around a match.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

import opencc

Lang = Literal["zh", "en"]

HAN_CLASS = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff"
LATIN_CLASS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
HAN = re.compile(f"[{HAN_CLASS}]")
_LATIN_WORD = re.compile(f"[{LATIN_CLASS}]+")

# Context never crosses a sentence end or a line: the previous sentence says nothing about this one.
_STOPS = frozenset("。！？!?\n")
# Full-width punctuation is written only in Chinese text.
_ZH_PUNCTUATION = frozenset("，、；：（）《》「」『』【】")
# How far to look for a letter; beyond this the text's dominant language decides.
_REACH = 40


def is_han(char: str) -> bool:
    """Whether ``char`` is a Han (CJK ideograph) character."""
    code = ord(char)
    return (
        0x4E00 <= code <= 0x9FFF
        or 0x3400 <= code <= 0x4DBF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x2FFFF
        or code == 0x3007
    )


def is_latin(char: str) -> bool:
    """Whether ``char`` is a Latin letter (ASCII or accented, as in café or naïve)."""
    if char.isascii():
        return char.isalpha()
    code = ord(char)
    return (0xC0 <= code <= 0x24F and code not in (0xD7, 0xF7)) or 0x1E00 <= code <= 0x1EFF


def script_of(char: str) -> Lang | None:
    """``zh`` for Han, ``en`` for Latin letters, None for anything else."""
    if is_han(char):
        return "zh"
    if is_latin(char):
        return "en"
    return None


def dominant_lang(text: str) -> Lang:
    """The language most of ``text`` is written in (Han characters against Latin words)."""
    han = len(HAN.findall(text))
    words = len(_LATIN_WORD.findall(text))
    return "en" if words > han else "zh"


def _token_end(text: str, i: int, step: int) -> int:
    """The index just past the Latin token at ``i`` in direction ``step`` (hyphens included)."""
    while 0 <= i < len(text) and (is_latin(text[i]) or text[i] == "-"):
        i += step
    return i


def _glued_to_digit(text: str, i: int, step: int) -> bool:
    """Whether the Latin token at ``i`` touches a digit: a unit or model name (5km, GPT4)."""
    before = i - step
    if 0 <= before < len(text) and text[before] == "-":
        before -= step
    after = _token_end(text, i, step)
    return any(0 <= j < len(text) and text[j].isdigit() for j in (before, after))


def _nearest(text: str, i: int, step: int) -> tuple[Lang, int] | None:
    """The language of the nearest letter from ``i`` in direction ``step``, and its distance.

    Latin tokens glued to digits (the G of 5G, the km of 5km) are skipped: they are written
    the same way in Chinese and English text and say nothing about the language around them.
    """
    start = i
    while 0 <= i < len(text) and abs(i - start) <= _REACH:
        char = text[i]
        if char in _STOPS or (char == "." and text[i + 1 : i + 2].isspace()):
            return None
        if char in _ZH_PUNCTUATION:
            return "zh", abs(i - start)
        if is_latin(char) and _glued_to_digit(text, i, step):
            i = _token_end(text, i, step)
            continue
        lang = script_of(char)
        if lang is not None:
            return lang, abs(i - start)
        i += step
    return None


def context_lang(text: str, start: int, end: int, default: Lang) -> Lang:
    """The language of the span ``text[start:end]`` judged by the letters around it.

    A Han character touching the span wins (measure words, units: ``3个``, ``第3``); otherwise
    the nearer of the nearest letters on each side, the right one on a tie (a number's unit or
    noun follows it), and ``default`` when no letter is near.
    """
    if (start > 0 and is_han(text[start - 1])) or (end < len(text) and is_han(text[end])):
        return "zh"
    left = _nearest(text, start - 1, -1)
    right = _nearest(text, end, 1)
    if left is None and right is None:
        return default
    if left is None or (right is not None and right[1] <= left[1]):
        assert right is not None
        return right[0]
    return left[0]


@functools.cache
def _t2s() -> opencc.OpenCC:
    # Built on first use, once per process: importing the package stays cheap.
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """``text`` with Traditional characters converted to Simplified (OpenCC ``t2s``)."""
    if not HAN.search(text):
        return text
    converted: str = _t2s().convert(text)
    return converted
