"""Reader: text -> one citation reading per Han character, decided in context."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from pypinyin import Style
from pypinyin.constants import PHRASES_DICT
from pypinyin.contrib.neutral_tone import NeutralToneWith5Mixin
from pypinyin.converter import DefaultConverter
from pypinyin.core import Pinyin

from voxserve.text import pinyin
from voxserve.text.readings import rules
from voxserve.text.readings.model import PolyphoneModel
from voxserve.text.readings.overrides import OVERRIDES
from voxserve.text.readings.segmenter import Segmenter
from voxserve.text.script import HAN_CLASS

_HAN_OR_OTHER = re.compile(f"[{HAN_CLASS}]+|[^{HAN_CLASS}]+")
_HAN_CHARS = re.compile(f"[{HAN_CLASS}]")

Table = Mapping[str, Sequence[str]]
"""Word -> one reading per character."""


class _Converter(NeutralToneWith5Mixin, DefaultConverter):
    """pypinyin converter writing the neutral tone as 5, the way Baker's labels do."""


class Reader:
    """Decides the reading of every character of a run of Han characters (see the package doc)."""

    def __init__(
        self,
        segmenter: Segmenter | None = None,
        model: PolyphoneModel | None = None,
        overrides: Table = OVERRIDES,
    ) -> None:
        self.segmenter = segmenter
        self.model = model
        self.overrides = overrides
        self._pinyin = Pinyin(_Converter())

    def readings(self, run: str, tables: Sequence[Table] = ()) -> list[str]:
        """One reading (``zhong4``, ü written ``v``) per character of ``run``; "" for a
        character that has none (punctuation, Latin, digits, a Han character pypinyin lacks).

        Give a whole sentence: the model and the segmenter read the context around each
        character. ``tables`` are applied after the built-in overrides, the last one winning.
        """
        if pinyin.MARKS.search(run):
            return self._marked(run, tables)
        readings, open_positions = self._words(run)
        for position, reading in rules.decide(run, open_positions).items():
            readings[position] = reading
        for table in (self.overrides, *tables):
            _apply(table, run, readings)
        return readings

    def _marked(self, text: str, tables: Sequence[Table]) -> list[str]:
        """Readings of text holding reading marks: each mark decides the character before it
        (over every other stage) and reads as "" itself."""
        kept: list[int] = []  # index in text of each character that is not a mark
        given: dict[int, str] = {}  # index in kept -> the reading its mark gives
        for index, char in enumerate(text):
            if not pinyin.MARKS.match(char):
                kept.append(index)
            elif kept:
                given[len(kept) - 1] = pinyin.unmark(char)
        plain = self.readings("".join(text[i] for i in kept), tables)
        readings = [""] * len(text)
        for position, index in enumerate(kept):
            readings[index] = given.get(position, plain[position])
        return readings

    def _words(self, run: str) -> tuple[list[str], set[int]]:
        """Dictionary and model readings, and the positions outside dictionary phrases."""
        words = list(self.segmenter(run)) if self.segmenter else [run]
        predicted = self.model(run) if self.model else [None] * len(run)
        readings: list[str] = []
        open_positions: set[int] = set()
        for word in words:
            start = len(readings)
            readings += self.dictionary(word)
            if len(word) > 1 and word in PHRASES_DICT:
                continue
            open_positions.update(range(start, start + len(word)))
            for offset, reading in enumerate(predicted[start : start + len(word)]):
                if reading:
                    readings[start + offset] = reading
        return readings, open_positions

    def dictionary(self, text: str) -> list[str]:
        """pypinyin's reading of each character of ``text`` (its phrase dictionary first)."""
        readings: list[str] = []
        for match in _HAN_OR_OTHER.finditer(text):
            run = match.group()
            readings += self._han(run) if _HAN_CHARS.match(run) else [""] * len(run)
        return readings

    def _han(self, run: str) -> list[str]:
        items = self._pinyin.pinyin(run, style=Style.TONE3, errors="ignore")
        if len(items) == len(run):
            return [item[0] for item in items]
        # A character without a reading was dropped and alignment is lost: go one at a time.
        if len(run) == 1:
            return [""]
        return [self._han(char)[0] for char in run]


def _apply(table: Table, run: str, readings: list[str]) -> None:
    """Overwrite the readings of ``table``'s words in ``run``, longest match first."""
    if not table:
        return
    longest = max(len(word) for word in table)
    position = 0
    while position < len(run):
        for length in range(min(longest, len(run) - position), 0, -1):
            fixed = table.get(run[position : position + length])
            if fixed is not None:
                readings[position : position + length] = fixed
                position += length
                break
        else:
            position += 1
