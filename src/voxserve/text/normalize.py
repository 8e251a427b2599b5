"""Text normalization: numbers, dates, money, units, symbols and abbreviations become words."""

from __future__ import annotations

import re

from voxserve.text import (
    clean,
    rules_latin,
    rules_money,
    rules_numbers,
    rules_symbols,
    rules_time,
    rules_units,
)
from voxserve.text.rules import Rule, apply_all
from voxserve.text.script import Lang, dominant_lang, to_simplified

RULES = (
    *rules_latin.RULES,
    *rules_time.RULES,
    *rules_money.RULES,
    *rules_units.RULES,
    *rules_numbers.RULES,
    *rules_latin.LATE_RULES,
    *rules_symbols.RULES,
)
"""Every rule, in the order they run: the most specific forms first."""
_WITHOUT_DIGITS = (*rules_latin.RULES, *rules_latin.LATE_RULES, *rules_symbols.RULES)
"""The rules that can match text with no digit (most sentences have none)."""
_DIGIT = re.compile(r"\d")

# A hyphen is kept inside English words (well-known); anywhere else it is a separator.
_LOOSE_HYPHEN = re.compile(r"(?<![A-Za-z])-+|-+(?![A-Za-z])")
_SPACES = re.compile(r"[ \t]+")
_SPACE_BEFORE_PUNCT = re.compile(r" +(?=[,.!?;:)\]，。！？；：、）])")
_LINE_EDGES = re.compile(r" *\n *")


def tidy(text: str) -> str:
    """Collapse runs of spaces and drop spaces before punctuation, keeping line breaks."""
    text = _LOOSE_HYPHEN.sub(" ", text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub("", text)
    return _LINE_EDGES.sub("\n", text).strip(" ")


def rules_for(text: str) -> tuple[Rule, ...]:
    """The rules that can match ``text``, in order."""
    return RULES if _DIGIT.search(text) else _WITHOUT_DIGITS


def expand(text: str, default: Lang) -> str:
    """Rewrite cleaned, Simplified ``text`` into words (see :func:`normalize`)."""
    return tidy(apply_all(rules_for(text), text, default))


def normalize(text: str, lang: str | None = None) -> str:
    """Normalize ``text`` into words an engine can speak, in the language of each part.

    Numbers, dates, times, money, units and symbols are read in the language of the letters
    around them; ``lang`` (``"zh"`` or ``"en"``) is the language for those with no letters
    nearby, by default the language most of the text is in. Traditional characters become
    Simplified and acronyms are spelled (``AI`` → ``A I``). Raises InvalidTextError on
    control characters; returns an empty string when nothing is speakable.
    """
    text = to_simplified(clean.clean(text))
    default: Lang = "en" if lang == "en" else "zh" if lang == "zh" else dominant_lang(text)
    return expand(text, default)
