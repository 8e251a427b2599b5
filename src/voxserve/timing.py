"""When each spoken item of a text is heard: marks that travel with a unit's samples.

An *item* is what a timestamp can name: one Han character, or one word of Latin letters and
digits (the same pieces :mod:`voxserve.text.tokens` builds tokens from). Engines report, for the
text they were given, one ``(start, end)`` pair of sample indexes per item, in order; the pipeline
moves them along as it resamples, trims, joins and pads, so that a rendered unit carries the
marks of its own samples. Engines that cannot say when they spoke an item get an estimate
(:func:`estimate`): the voiced span shared out by the items' lengths.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voxserve.text.script import HAN, HAN_CLASS, LATIN_CLASS
from voxserve.types import PCM

ITEM = re.compile(rf"[{HAN_CLASS}]|[{LATIN_CLASS}0-9]+(?:'[{LATIN_CLASS}]+)*")
"""One spoken item: a Han character or a word (an apostrophe may join its parts)."""

Marks = npt.NDArray[np.int64]
"""``[n, 2]`` sample indexes: where each item starts and ends."""

NO_MARKS: Marks = np.zeros((0, 2), dtype=np.int64)
_SILENCE = 10.0 ** (-40.0 / 20.0)
_HEADER = struct.Struct("<I")


def items(text: str) -> list[str]:
    """The spoken items of ``text``, in order."""
    return ITEM.findall(text)


def item_weight(item: str) -> float:
    """How long an item takes to say, relative to a Han character (for estimates)."""
    if HAN.match(item):
        return 1.0
    # An English word of n letters takes about as long as n/3.5 Mandarin syllables.
    return max(1.0, len(item) / 3.5)


def estimate(text: str, pcm: PCM) -> Marks:
    """Marks for the items of ``text`` shared out over the voiced span of ``pcm`` by weight."""
    found = items(text)
    if not found:
        return NO_MARKS
    loud = np.flatnonzero(np.abs(pcm) > _SILENCE)
    first, last = (int(loud[0]), int(loud[-1]) + 1) if loud.size else (0, len(pcm))
    return spread(found, first, last)


def spread(found: list[str], start: int, end: int) -> Marks:
    """Marks for ``found`` items laid end to end over ``start..end`` in proportion to weight."""
    weights = np.asarray([item_weight(i) for i in found], dtype=np.float64)
    edges = start + np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum() * (end - start)
    bounds = np.round(edges).astype(np.int64)
    return np.stack([bounds[:-1], bounds[1:]], axis=1)


def rescale(marks: Marks, factor: float, length: int) -> Marks:
    """Marks after the samples were stretched by ``factor`` to ``length`` samples."""
    if factor == 1.0:
        return np.clip(marks, 0, length)
    return np.clip(np.round(marks * factor).astype(np.int64), 0, length)


def shift(marks: Marks, offset: int, length: int) -> Marks:
    """Marks after ``offset`` samples were added before (or cut from, if negative) the audio,
    kept inside ``0..length``."""
    return np.clip(marks + offset, 0, length)


@dataclass(frozen=True)
class Timed:
    """Samples and the marks of the items spoken in them."""

    pcm: PCM
    marks: Marks
    measured: bool = True
    """The engine measured the marks (False: estimated from the text and the voiced span)."""

    def pack(self) -> bytes:
        """One byte string: the number of marks, the marks, the float32 samples."""
        marks = np.ascontiguousarray(self.marks, dtype="<i8")
        head = _HEADER.pack(len(marks) * 2 + (0 if self.measured else 1))
        return b"".join((head, marks.tobytes(), np.ascontiguousarray(self.pcm, "<f4").tobytes()))

    @classmethod
    def unpack(cls, data: bytes | memoryview) -> Timed:
        """The inverse of :meth:`pack`."""
        (head,) = _HEADER.unpack_from(data)
        count, estimated = divmod(head, 2)
        end = _HEADER.size + count * 8 * 2
        view = memoryview(data)  # slices of a view share the buffer: no copy of the samples
        marks = np.frombuffer(view[_HEADER.size : end], dtype="<i8").reshape(count, 2)
        pcm = np.frombuffer(view[end:], dtype="<f4").astype(np.float32, copy=False)
        return cls(pcm, marks.astype(np.int64), measured=not estimated)


@dataclass(frozen=True)
class WordStart:
    """An engine's report that a word of its text began at a sample."""

    text_start: int
    text_end: int
    sample: int


def from_word_starts(text: str, starts: list[WordStart], pcm: PCM) -> Marks:
    """Marks for the items of ``text`` from where an engine said each of its words began.

    A word runs until the next word begins, less the silence at its end; the items inside one
    word (the characters of a Mandarin word) share it out by weight; an item no word covers
    belongs to the word before it. Without any start, the marks are estimated.
    """
    found = list(ITEM.finditer(text))
    ordered = sorted(starts, key=lambda w: w.sample)
    if not found or not ordered:
        return estimate(text, pcm)
    owners: list[int] = []
    owner = 0
    for item in found:
        at = item.start()
        owner = next((k for k, w in enumerate(ordered) if w.text_start <= at < w.text_end), owner)
        owners.append(owner)
    marks = np.zeros((len(found), 2), dtype=np.int64)
    for k, word in enumerate(ordered):
        members = [i for i, o in enumerate(owners) if o == k]
        if not members:
            continue
        begin = min(word.sample, len(pcm))
        limit = ordered[k + 1].sample if k + 1 < len(ordered) else len(pcm)
        end = voiced_end(pcm, begin, min(max(limit, begin), len(pcm)))
        marks[members] = spread([found[i].group() for i in members], begin, end)
    return marks


def voiced_end(pcm: PCM, start: int, end: int) -> int:
    """The sample after the last one above the silence threshold in ``start..end`` (``start``
    when none is)."""
    loud = np.flatnonzero(np.abs(pcm[start:end]) > _SILENCE)
    return start + int(loud[-1]) + 1 if loud.size else start
