"""Front end entry point (placeholder implementation; the real one normalizes and splits)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from voxserve.errors import EmptyTextError


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


_HAN = re.compile(r"[\u4e00-\u9fff]")


def prepare(text: str, *, max_unit_chars: int = 80) -> list[Unit]:
    """Normalize ``text`` and split it into units. Raises EmptyTextError if nothing is speakable."""
    units = []
    for piece in re.split(r"(?<=[。！？.!?])\s*", text):
        piece = piece.strip()
        if not re.search(r"\w", piece):
            continue
        lang = "zh" if _HAN.search(piece) else "en"
        units.append(Unit(piece, (Run(piece, lang),), 0.3))
    if not units:
        raise EmptyTextError()
    return units
