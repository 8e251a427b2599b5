"""What is spoken, token by token: the one representation phonemize (and timestamps) return.

A token is a stretch of the caller's text and how it is read: one per Han character where the
text maps one to one, one per rewritten span (a number, a date: 36.00元 reads 三十六元), one per
English word. Mandarin readings come from the same reader and the same runs the baker-zh engine
uses; their tones are citation tones (tone sandhi is applied at synthesis).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from voxserve.errors import EmptyTextError
from voxserve.text import clean, pinyin, ssml
from voxserve.text.frontend import Unit, units_of
from voxserve.text.lexicon import Lexicon
from voxserve.text.readings import Reader, g2pm_model, jieba_segmenter
from voxserve.text.script import HAN, HAN_CLASS, LATIN_CLASS
from voxserve.text.trace import Span, Traced, normalize_traced

Phonemizer = Callable[[str], str]
"""An English word -> its phonemes (the engine's phoneme string)."""

_WORD = re.compile(rf"[{HAN_CLASS}]|[{LATIN_CLASS}0-9]+(?:'[{LATIN_CLASS}]+)*")


@dataclass(frozen=True)
class Token:
    """One token of the schema every interface shares (``docs/text-frontend.md``)."""

    text: str
    """The caller's characters for this token."""
    orig_start: int
    orig_end: int
    """Offsets into the caller's text (Python string indexes: code points)."""
    spoken: str
    """What is read, after normalization."""
    lang: str
    """``zh`` or ``en``."""
    pinyin: tuple[str, ...] | None = None
    """One syllable with its tone number (1-5, ü written v) per Han character of ``spoken``."""
    phonemes: str | None = None
    """For English, the phonemes spoken (IPA)."""


def espeak_phonemizer() -> Phonemizer | None:
    """English phonemes from the bundled libespeak-ng (US English), or None without it."""
    from voxserve.engines._espeak_lib import bundled_paths, espeak_library

    if bundled_paths() is None:
        return None
    library = espeak_library()
    return lambda word: library.phonemes(word, "en-us")


def default_tokenizer(max_unit_chars: int = 80) -> Tokenizer:
    """The tokenizer of the shipped front end: jieba, g2pM, rules and overrides; espeak-ng.
    ``max_unit_chars`` is the service's (units are read one by one, as synthesis reads them)."""
    reader = Reader(jieba_segmenter(), g2pm_model())
    return Tokenizer(reader, espeak_phonemizer(), max_unit_chars)


class Tokenizer:
    """Text -> tokens, with a reader for Mandarin and an optional phonemizer for English."""

    def __init__(
        self, reader: Reader, phonemizer: Phonemizer | None = None, max_unit_chars: int = 80
    ) -> None:
        self.reader = reader
        self.phonemizer = phonemizer
        self.max_unit_chars = max_unit_chars

    def tokens(
        self, text: str, lexicon: Lexicon | None = None, first_unit_chars: int | None = None
    ) -> list[Token]:
        """The tokens of ``text`` read with ``lexicon`` (and its first unit cut as a stream's
        is, see :func:`voxserve.text.frontend.prepare`). Raises InvalidTextError or
        EmptyTextError as synthesis does."""
        return self.traced_tokens(text, lexicon, first_unit_chars=first_unit_chars)

    def ssml_tokens(self, document: str, lexicon: Lexicon | None = None) -> list[Token]:
        """The tokens of an SSML document, segment by segment, their offsets into it."""
        found: list[Token] = []
        for segment in ssml.parse(document):
            if clean.speakable(pinyin.strip_marks(segment.text)):
                found += self.traced_tokens(segment.text, lexicon, segment.spans, document)
        if not found:
            raise EmptyTextError("the document has no text to speak")
        return found

    def traced_tokens(
        self,
        text: str,
        lexicon: Lexicon | None = None,
        spans: tuple[Span, ...] | None = None,
        source: str | None = None,
        first_unit_chars: int | None = None,
    ) -> list[Token]:
        """The tokens of ``text``, its characters from ``spans`` of ``source`` (by default,
        ``text`` is its own source)."""
        traced = normalize_traced(text, lexicon, spans)
        text = text if source is None else source
        if not clean.speakable(traced.text):
            raise EmptyTextError()
        units = units_of(traced.text, self.max_unit_chars, first_unit_chars)
        if not units:
            raise EmptyTextError("text has no Chinese or English to speak")
        readings = iter(self._han_readings(units))
        return list(self._tokens(text, traced, readings))

    def _han_readings(self, units: list[Unit]) -> list[str]:
        """The reading of every Han character, in order, read run by run like the engine."""
        found: list[str] = []
        for unit in units:
            for run in unit.runs:
                if run.lang == "zh":
                    pairs = zip(run.text, self.reader.readings(run.text), strict=True)
                    found += [reading for char, reading in pairs if HAN.match(char)]
        return found

    def _tokens(self, text: str, traced: Traced, readings: Iterator[str]) -> Iterator[Token]:
        pending: list[tuple[int, str]] = []  # Han characters of one span: (index, reading)
        for match in _WORD.finditer(traced.text):
            index = match.start()
            if pending and traced.spans[pending[0][0]] != traced.spans[index]:
                yield self._han_token(text, traced, pending)
                pending = []
            if HAN.match(match.group()):
                pending.append((index, next(readings, "")))
                continue
            if pending:
                yield self._han_token(text, traced, pending)
                pending = []
            yield self._word_token(text, traced, match)
        if pending:
            yield self._han_token(text, traced, pending)

    @staticmethod
    def _han_token(text: str, traced: Traced, chars: list[tuple[int, str]]) -> Token:
        start, end = traced.spans[chars[0][0]]
        spoken = "".join(traced.text[index] for index, _ in chars)
        pinyin = tuple(reading for _, reading in chars)
        return Token(text[start:end], start, end, spoken, "zh", pinyin=pinyin)

    def _word_token(self, text: str, traced: Traced, match: re.Match[str]) -> Token:
        spans = traced.spans[match.start() : match.end()]
        start, end = min(s for s, _ in spans), max(e for _, e in spans)
        word = match.group()
        phonemes = self.phonemizer(word) if self.phonemizer else None
        return Token(text[start:end], start, end, word, "en", phonemes=phonemes)
