"""Front end entry point: text in, synthesis units with language runs out.

``prepare`` checks the text, folds it to one Unicode form, converts Traditional characters to
Simplified, normalizes numbers, symbols and abbreviations in the language of their context,
splits into units no longer than ``max_unit_chars`` and cuts each unit into language runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from voxserve.errors import EmptyTextError
from voxserve.text import clean, pinyin, runs, shorthand, split
from voxserve.text.lexicon import Lexicon
from voxserve.text.normalize import expand
from voxserve.text.script import dominant_lang, to_simplified
from voxserve.text.trace import normalize_traced


@dataclass(frozen=True)
class Run:
    """A stretch of one language inside a unit, normalized and ready for an engine."""

    text: str
    lang: str  # "zh" or "en"


@dataclass(frozen=True)
class Unit:
    """One synthesis unit (a sentence, or a clause of a long sentence)."""

    text: str
    runs: tuple[Run, ...]
    pause_after: float
    """Seconds of silence after this unit at neutral prosody (follows its punctuation)."""
    boundary: str = "sentence"
    """What ends the unit: ``paragraph``, ``sentence``, ``clause`` or ``word`` (a forced cut)."""


def _units(pieces: list[split.Piece]) -> list[Unit]:
    units: list[Unit] = []
    for piece in pieces:
        found = tuple(Run(text, lang) for lang, text in runs.runs(piece.text))
        if found:
            units.append(Unit(piece.text, found, piece.pause, piece.boundary))
        elif units and piece.pause > units[-1].pause_after:
            # A piece with nothing to say (a stray quote or bracket) still ends its sentence.
            last = units[-1]
            units[-1] = Unit(last.text, last.runs, piece.pause, piece.boundary)
    return units


def units_of(
    normalized: str, max_unit_chars: int, first_unit_chars: int | None = None
) -> list[Unit]:
    """Split normalized text into units with their language runs (``prepare``'s last step)."""
    return _units(split.split(normalized, max_unit_chars, first_unit_chars))


def prepare(
    text: str,
    *,
    max_unit_chars: int = 80,
    lexicon: Lexicon | None = None,
    first_unit_chars: int | None = None,
) -> list[Unit]:
    """Normalize ``text`` (applying ``lexicon``) and split it into units of at most
    ``max_unit_chars`` characters; a first unit longer than ``first_unit_chars`` is cut after
    its first clause.

    Raises InvalidTextError for control characters (InvalidPinyinError for a bad reading in
    pinyin shorthand) and EmptyTextError when nothing in the text can be spoken (empty,
    whitespace, punctuation, emoji or symbols only, or no Chinese or English at all).
    """
    if lexicon or shorthand.present(text):
        # Readings given in the text ride along as marks (see voxserve.text.pinyin).
        normalized = normalize_traced(text, lexicon).text
        speakable = clean.speakable(pinyin.strip_marks(normalized))
    else:
        text = clean.clean(text)
        speakable = clean.speakable(text)
        if speakable:
            text = to_simplified(text)
            normalized = expand(text, dominant_lang(text))
    if not speakable:
        raise EmptyTextError()
    units = units_of(normalized, max_unit_chars, first_unit_chars)
    if not units:
        raise EmptyTextError("text has no Chinese or English to speak")
    return units
