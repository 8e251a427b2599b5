"""Rewrite rules: a pattern and a reading per language, chosen by the match's surroundings."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from voxserve.text.script import Lang, context_lang

Reader = Callable[[re.Match[str]], str | None]
"""Reads one match aloud; None leaves the match as it is (a later rule may take it)."""

NUM = r"(?<!\d)\d+(?:,\d{3}(?!\d))*(?:\.\d+)?"
"""A number as written: digits, optional thousands commas, optional decimals.

It never starts inside a run of digits, which also keeps matching linear on long digit strings.
"""
SIGNED = rf"(?:(?<![0-9A-Za-z.])-)?{NUM}"
"""A number with a minus sign where the hyphen cannot be a range or a joiner (GPT-4, 3-5)."""
DASH = r"(?:~|–|—|-(?!\s*-))"
"""Range separators: 3-5, 3~5, 3–5."""
# ``\b`` sees no boundary between a Latin letter and a Han character (both are word
# characters), so ASCII word edges are spelled out.
WORD_START = r"(?<![A-Za-z0-9])"
WORD_END = r"(?![A-Za-z0-9])"


# After an abbreviation (U.S., etc., Inc.) a capitalized word may be a name (the U.S. Army) or
# a new sentence; these words almost always start one.
_STARTERS = (
    "The This That These Those There Then It It's We I He She They You But And So Or In On At "
    "A An If When What How Why Who Our My His Her Their Its As After Before However Also Now "
    "Today Please Thanks Thank Yes No"
)
_NEW_SENTENCE = re.compile(
    rf"\s*$|\s*\n|\s*[\u4e00-\u9fff]|\s+(?:{'|'.join(_STARTERS.split())})(?![A-Za-z])"
)


def ends_sentence(match: re.Match[str]) -> bool:
    """Whether an abbreviation's full stop at the end of ``match`` also ends a sentence."""
    return _NEW_SENTENCE.match(match.string, match.end()) is not None


@dataclass(frozen=True)
class Rule:
    """A pattern and how to read its matches in a Mandarin and in an English context."""

    name: str
    pattern: re.Pattern[str]
    zh: Reader
    en: Reader


LangReader = Callable[[re.Match[str], Lang], str | None]
"""Reads one match in the given language."""


def context_rule(name: str, pattern: str, read: LangReader, flags: int = 0) -> Rule:
    """A rule whose one reader takes the language as an argument."""
    return Rule(name, re.compile(pattern, flags), lambda m: read(m, "zh"), lambda m: read(m, "en"))


def latin_rule(name: str, pattern: str, reader: Reader, flags: int = 0) -> Rule:
    """A rule for Latin-script text, read the same way whatever surrounds it."""
    return Rule(name, re.compile(pattern, flags), reader, reader)


def _latin_edge(char: str) -> bool:
    return char.isascii() and char.isalnum()


def spaced(match: re.Match[str], words: str) -> str:
    """``words`` with a space wherever an English word of it would touch a letter or digit."""
    if not words:
        return words
    text, start, end = match.string, match.start(), match.end()
    before = " " if start > 0 and _latin_edge(text[start - 1]) and _latin_edge(words[0]) else ""
    after = " " if end < len(text) and _latin_edge(text[end]) and _latin_edge(words[-1]) else ""
    return before + words + after


def read_match(rule: Rule, match: re.Match[str], default: Lang) -> str:
    """What ``rule`` makes of one match, in the language of its context (the match itself when
    the rule leaves it)."""
    lang = context_lang(match.string, match.start(), match.end(), default)
    reading = (rule.zh if lang == "zh" else rule.en)(match)
    return match.group(0) if reading is None else spaced(match, reading)


def apply(rule: Rule, text: str, default: Lang) -> str:
    """Rewrite every match of ``rule`` in ``text`` in the language of its context."""
    return rule.pattern.sub(lambda match: read_match(rule, match, default), text)


def apply_all(rules: Sequence[Rule], text: str, default: Lang) -> str:
    """Apply ``rules`` in order (earlier rules take the longer, more specific forms)."""
    for rule in rules:
        text = apply(rule, text, default)
    return text
