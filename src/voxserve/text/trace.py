"""Normalization that remembers where every character came from.

``normalize_traced`` produces exactly the text ``frontend.prepare`` speaks, with, for each of its
characters, the span of the caller's text it came from. Each stage runs as it always does; its
output is aligned to its input (difflib), so unchanged characters keep their own spans and a
rewritten stretch (36.00元 -> 三十六元) takes the span of what it replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import partial

from voxserve.text import clean, pinyin, shorthand
from voxserve.text.normalize import rules_for, tidy
from voxserve.text.rules import apply
from voxserve.text.script import HAN, dominant_lang, to_simplified

Span = tuple[int, int]


@dataclass(frozen=True)
class Traced:
    """Text and, per character, the ``[start, end)`` span of the original it came from."""

    text: str
    spans: tuple[Span, ...]

    @classmethod
    def of(cls, text: str) -> Traced:
        return cls(text, tuple((i, i + 1) for i in range(len(text))))

    def then(self, stage: Callable[[str], str]) -> Traced:
        """This text through ``stage``, its spans carried across."""
        out = stage(self.text)
        return self if out == self.text else align(self, out)


def align(source: Traced, out: str) -> Traced:
    """Spans for ``out``, a rewrite of ``source.text``."""
    spans: list[Span] = []
    matcher = SequenceMatcher(None, source.text, out, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            spans += source.spans[i1:i2]
        elif j2 > j1:
            spans += [_covering(source.spans, i1, i2)] * (j2 - j1)
    return Traced(out, tuple(spans))


def _covering(spans: tuple[Span, ...], start: int, end: int) -> Span:
    if end > start:
        return spans[start][0], spans[end - 1][1]
    # Inserted text: an empty span where it was inserted.
    anchor = spans[start - 1][1] if start else (spans[0][0] if spans else 0)
    return anchor, anchor


def normalize_traced(text: str) -> Traced:
    """``text`` as ``frontend.prepare`` normalizes it (before splitting), with spans.

    Pinyin shorthand (``[行长](hang2 zhang3)``) is taken out first; each reading it gives
    follows its Han character in the result as a mark (``voxserve.text.pinyin``). Raises
    InvalidTextError (InvalidPinyinError for a bad reading)."""
    traced = Traced.of(text)
    readings: dict[int, str] = {}
    if shorthand.present(text):
        plain, given = shorthand.extract(text)
        traced = align(traced, plain)
        readings = {traced.spans[position][0]: reading for position, reading in given.items()}
    traced = _normalized(traced)
    return _with_marks(traced, readings) if readings else traced


def _normalized(traced: Traced) -> Traced:
    traced = traced.then(clean.clean).then(to_simplified)
    default = dominant_lang(traced.text)
    for rule in rules_for(traced.text):
        traced = traced.then(partial(apply, rule, default=default))
    return traced.then(tidy)


def _with_marks(traced: Traced, readings: dict[int, str]) -> Traced:
    """``traced`` with a reading mark after each Han character whose source has a reading."""
    text: list[str] = []
    spans: list[Span] = []
    for index, (char, span) in enumerate(zip(traced.text, traced.spans, strict=True)):
        text.append(char)
        spans.append(span)
        # Characters rewritten together (臺灣 -> 台湾) share a span: the k-th reads its k-th.
        k = 0
        while index - k > 0 and traced.spans[index - k - 1] == span:
            k += 1
        reading = readings.get(span[0] + k) if HAN.match(char) else None
        if reading is not None and span[1] - span[0] > k:
            text.append(pinyin.mark(reading))
            spans.append(span)
    return Traced("".join(text), tuple(spans))
