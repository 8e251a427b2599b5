"""Normalization that remembers where every character came from.

``normalize_traced`` produces exactly the text ``frontend.prepare`` speaks, with, for each of its
characters, the span of the caller's text it came from. Each stage runs as it always does; its
output is aligned to its input, so unchanged characters keep their own spans and a rewritten
stretch (36.00元 -> 三十六元) takes the span of what it replaced.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from difflib import SequenceMatcher

from voxserve.text import clean, pinyin, shorthand
from voxserve.text.lexicon import Lexicon
from voxserve.text.normalize import rules_for, tidy
from voxserve.text.rules import Rule, read_match
from voxserve.text.script import HAN, Lang, dominant_lang, to_simplified

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


_RESYNC = 3
"""Characters that must agree before the alignment takes the two texts as back in step."""
_MAX_EDIT = 96
"""The longest stretch a stage rewrites at once (a date, an address, a sum of money read out)."""


def align(source: Traced, out: str) -> Traced:
    """Spans for ``out``, a rewrite of ``source.text``.

    Stages rewrite short stretches and copy the rest, so the texts are walked side by side: equal
    characters keep their spans; at a difference the nearest point where they agree again (the
    fewest characters skipped on both sides) closes the rewritten stretch, whose characters take
    the span of what they replaced. Linear in the text for local rewrites (difflib's matcher is
    quadratic and took seconds on 5,000 characters).
    """
    text, spans = source.text, source.spans
    out_spans: list[Span] = []
    i = j = 0
    while j < len(out):
        if i < len(text) and text[i] == out[j]:
            out_spans.append(spans[i])
            i, j = i + 1, j + 1
            continue
        folded = unicodedata.normalize("NFKC", text[i]) if i < len(text) else ""
        if folded and out.startswith(folded, j):  # a width or compatibility form: ３ -> 3
            out_spans += [spans[i]] * len(folded)
            i, j = i + 1, j + len(folded)
            continue
        skip_in, skip_out = _resync(text, i, out, j)
        if skip_in == skip_out and _all_han(text, i, skip_in) and _all_han(out, j, skip_out):
            out_spans += spans[i : i + skip_in]  # character for character (臺灣 -> 台湾)
        else:
            out_spans += [_covering(spans, i, i + skip_in)] * skip_out
        i, j = i + skip_in, j + skip_out
    return Traced(out, tuple(out_spans))


def _all_han(text: str, start: int, length: int) -> bool:
    return all(HAN.match(char) for char in text[start : start + length])


def _resync(text: str, i: int, out: str, j: int) -> tuple[int, int]:
    """How many characters of ``text`` (from i) and ``out`` (from j) one rewrite replaced."""
    for total in range(1, 2 * _MAX_EDIT + 1):
        for skip_in in range(max(0, total - _MAX_EDIT), min(total, _MAX_EDIT) + 1):
            skip_out = total - skip_in
            a, b = i + skip_in, j + skip_out
            if a > len(text) or b > len(out):
                continue
            if a == len(text) or b == len(out):
                if text[a:] == out[b:]:
                    return skip_in, skip_out
                continue
            if text[a : a + _RESYNC] == out[b : b + _RESYNC]:
                return skip_in, skip_out
    return len(text) - i, len(out) - j  # no agreement again: the rest replaced the rest


def _covering(spans: tuple[Span, ...], start: int, end: int) -> Span:
    if end > start:
        return spans[start][0], spans[end - 1][1]
    # Inserted text: an empty span where it was inserted.
    anchor = spans[start - 1][1] if start else (spans[0][0] if spans else 0)
    return anchor, anchor


def normalize_traced(
    text: str, lexicon: Lexicon | None = None, spans: tuple[Span, ...] | None = None
) -> Traced:
    """``text`` as ``frontend.prepare`` normalizes it (before splitting), with spans.

    Pinyin shorthand (``[行长](hang2 zhang3)``) is taken out first, then ``lexicon`` applied
    (its aliases replace their graphemes; its readings join the text's own); each reading
    follows its Han character in the result as a mark (``voxserve.text.pinyin``). ``spans``
    (one per character of ``text``) say where in a larger source each character came from (an
    SSML segment in its document); by default, ``text`` is the source. Raises InvalidTextError
    (InvalidPinyinError for a bad reading)."""
    traced = Traced.of(text) if spans is None else Traced(text, spans)
    readings: dict[int, str] = {}
    if shorthand.present(text):
        plain, given, sources = shorthand.extract_traced(text)
        traced = Traced(plain, tuple(traced.spans[source] for source in sources))
        readings = {traced.spans[position][0]: reading for position, reading in given.items()}
    if lexicon:
        traced, readings = _with_lexicon(traced, readings, lexicon)
    traced = _normalized(traced)
    return _with_marks(traced, readings) if readings else traced


def _normalized(traced: Traced) -> Traced:
    traced = traced.then(clean.clean).then(to_simplified)
    default = dominant_lang(traced.text)
    for rule in rules_for(traced.text):
        traced = _apply_rule(traced, rule, default)
    return traced.then(tidy)


def _apply_rule(traced: Traced, rule: Rule, default: Lang) -> Traced:
    """``rule`` applied as normalization applies it, each rewrite traced to its own match."""
    edits: list[tuple[int, int, str]] = []

    def read(match: re.Match[str]) -> str:
        reading = read_match(rule, match, default)
        if reading != match.group(0):
            edits.append((match.start(), match.end(), reading))
        return reading

    rule.pattern.sub(read, traced.text)
    return _edited(traced, edits)


def _edited(traced: Traced, edits: list[tuple[int, int, str]], whole: bool = False) -> Traced:
    """``traced`` with each ``(start, end, replacement)`` (in order, not overlapping) made;
    ``whole``: every character of a replacement comes from all it replaced (an alias), else
    what a replacement kept keeps its own span (元 in a sum of money read out)."""
    if not edits:
        return traced
    text: list[str] = []
    spans: list[Span] = []
    cursor = 0
    for start, end, reading in edits:
        text += [traced.text[cursor:start], reading]
        spans += traced.spans[cursor:start]
        matched = Traced(traced.text[start:end], traced.spans[start:end])
        if whole:
            spans += [_covering(matched.spans, 0, len(matched.text))] * len(reading)
        else:
            spans += _matched_spans(matched, reading)
        cursor = end
    text.append(traced.text[cursor:])
    spans += traced.spans[cursor:]
    return Traced("".join(text), tuple(spans))


def _with_lexicon(
    traced: Traced, readings: dict[int, str], lexicon: Lexicon
) -> tuple[Traced, dict[int, str]]:
    """The lexicon's aliases made in ``traced``, and its readings added to ``readings`` (by
    source position; a reading given in the text itself wins)."""
    edits: list[tuple[int, int, str]] = []
    readings = dict(readings)
    for match in lexicon.matcher.finditer(traced.text):
        entry = lexicon.by_grapheme[match.group(0)]
        if entry.alias is not None:
            edits.append((match.start(), match.end(), entry.alias))
            continue
        han = [i for i in range(match.start(), match.end()) if HAN.match(traced.text[i])]
        for i, syllable in zip(han, entry.pinyin or (), strict=True):
            readings.setdefault(traced.spans[i][0], syllable)
    return _edited(traced, edits, whole=True), readings


def _matched_spans(source: Traced, out: str) -> list[Span]:
    """Spans of one rule's reading of one match: what it kept (元 in 36.00元) keeps its span,
    the rest takes the span of what it replaced. A match is short: difflib is cheap here."""
    if not source.text:
        return [_covering(source.spans, 0, 0)] * len(out)
    spans: list[Span] = []
    matcher = SequenceMatcher(None, source.text, out, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            spans += source.spans[i1:i2]
        elif j2 > j1:
            whole = (source.spans[0][0], source.spans[-1][1])
            spans += [_covering(source.spans, i1, i2) if i2 > i1 else whole] * (j2 - j1)
    return spans


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
