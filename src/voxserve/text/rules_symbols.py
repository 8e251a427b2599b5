"""Symbols read as words (+ = × & @ ...) and the clean-up of symbols nobody reads aloud."""

from __future__ import annotations

import re

from voxserve.text.rules import context_rule
from voxserve.text.script import Lang

_WORDS: dict[str, tuple[str, str]] = {
    "+": ("加", "plus"),
    "=": ("等于", "equals"),
    "×": ("乘", "times"),
    "÷": ("除以", "divided by"),
    "±": ("正负", "plus or minus"),
    "≈": ("约等于", "approximately equals"),
    "≠": ("不等于", "is not equal to"),
    "≤": ("小于等于", "is less than or equal to"),
    "≥": ("大于等于", "is greater than or equal to"),
    "<": ("小于", "is less than"),
    ">": ("大于", "is greater than"),
    "&": ("和", "and"),
    "@": ("艾特", "at"),
}
# Comparison and sum signs are only read between operands; elsewhere they are markup (> quotes).
_BETWEEN_ONLY = frozenset("+=<>")
_OPERAND = re.compile(r"\s*\w")
_OPERAND_BEFORE = re.compile(r"\w\s*$")
# Markup and decoration: Markdown emphasis, code ticks, stray currency or percent signs.
_SILENT = re.compile(r"[*#_`^|\\~$¥€£%‰°/]+")


def _symbol(match: re.Match[str], lang: Lang) -> str:
    symbol = match.group(0)
    if symbol in _BETWEEN_ONLY:
        before = match.string[max(0, match.start() - 3) : match.start()]
        if not (_OPERAND_BEFORE.search(before) and _OPERAND.match(match.string, match.end())):
            return " "
    zh_word, en_word = _WORDS[symbol]
    return zh_word if lang == "zh" else f" {en_word} "


def _per(match: re.Match[str], lang: Lang) -> str:
    return "每" if lang == "zh" else " per "


RULES = (
    context_rule("per", r"(?<=[元块角斤米克升])/(?=[\u4e00-\u9fff])", _per),
    context_rule("symbol", "|".join(re.escape(s) for s in _WORDS), _symbol),
    context_rule("silent", _SILENT.pattern, lambda m, lang: " "),
)
"""Symbol rules; they run after numbers, so symbols inside numbers are already read."""
