"""Split normalized text into synthesis units: paragraphs, sentences, then clauses and words.

Splitting runs after normalization, so the only full stops left end sentences (decimals and
abbreviations such as Dr. and e.g. have become words) and lengths are those an engine sees.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from voxserve.text.script import HAN_CLASS, LATIN_CLASS, is_han

PAUSE_PARAGRAPH = 0.5
"""Seconds of silence after the last unit of a paragraph (a blank line follows)."""
PAUSE_ELLIPSIS = 0.4
"""After a sentence that trails off (... or …)."""
PAUSE_SENTENCE = 0.3
"""After 。.！!？? and at a line break."""
PAUSE_CLAUSE = 0.15
"""After a long sentence's clause (，、；：,;: or a dash) where it was split."""
PAUSE_NONE = 0.0
"""After a clause cut at a space or mid-text, because it had no punctuation to split at."""

_CLOSERS = "\"'”’」』》）)\\]】"
_SENTENCE_END = re.compile(
    rf"(?:\.{{3,}}|…+|[。！？!?][。！？!?.…]*|\.(?=[\s{_CLOSERS}\u4e00-\u9fff]|$))[{_CLOSERS}]*"
)
_CLAUSE_END = re.compile(rf"(?:[，、；：,;:]+|—+)[{_CLOSERS}]*")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
# Without punctuation, Chinese is cut after particles (的 了 吗) or before prepositions and
# conjunctions (在 把 和): a cheap stand-in for word segmentation that never splits a word
# such as 云端 in two.
_HAN_PHRASE = re.compile(r".+?(?:[的了着过吗呢吧啊]|(?=[和与或但而并就在把被让给从对向往于])|$)")
_TOKEN = re.compile(rf"\s+|[{LATIN_CLASS}'-]+|(?P<han>[{HAN_CLASS}]+)|.", re.DOTALL)


@dataclass(frozen=True)
class Piece:
    """A stretch of text to speak as one unit, and the silence after it."""

    text: str
    pause: float
    boundary: str
    """What ends it: ``paragraph``, ``sentence``, ``clause`` or ``word``."""


def _lone_capital(text: str, end: int) -> bool:
    """Whether ``text[end - 1]`` is a capital letter standing alone as a word."""
    return end >= 1 and text[end - 1].isupper() and (end < 2 or not text[end - 2].isalpha())


def _is_initial(text: str, dot: int) -> bool:
    """Whether the full stop at ``dot`` marks a name's initial (J. K. Rowling), not an end.

    A spelled acronym (U S, P M) is not an initial, and nothing Chinese follows an initial.
    """
    if not _lone_capital(text, dot) or _lone_capital(text, dot - 2):
        return False
    following = text[dot + 1 :].lstrip()[:1]
    return not (following and is_han(following))


def _sentences(line: str) -> Iterator[Piece]:
    start = 0
    for end in _SENTENCE_END.finditer(line):
        if end.group(0) == "." and _is_initial(line, end.start()):
            continue
        trails = "..." in end.group(0) or "…" in end.group(0)
        yield Piece(
            line[start : end.end()], PAUSE_ELLIPSIS if trails else PAUSE_SENTENCE, "sentence"
        )
        start = end.end()
    if line[start:].strip():
        yield Piece(line[start:], PAUSE_SENTENCE, "sentence")


def _pack(parts: list[str], max_chars: int) -> list[str]:
    """Join consecutive parts greedily into chunks of at most ``max_chars`` (after stripping)."""
    chunks: list[str] = []
    current = ""
    for part in parts:
        if current and len((current + part).strip()) > max_chars:
            chunks.append(current)
            current = ""
        current += part
    if current:
        chunks.append(current)
    return chunks


def _words(text: str) -> Iterator[str]:
    for token in _TOKEN.finditer(text):
        if token["han"]:
            yield from _HAN_PHRASE.findall(token["han"])
        else:
            yield token.group(0)


def _by_words(text: str, max_chars: int) -> list[str]:
    """Cut between words (Chinese at particles and prepositions); a word longer than
    ``max_chars`` is cut anywhere, as a last resort."""
    tokens: list[str] = []
    for word in _words(text):
        tokens.extend(word[i : i + max_chars] for i in range(0, len(word), max_chars))
    return _pack(tokens, max_chars)


def _by_clauses(text: str, max_chars: int) -> list[str]:
    cuts = [0, *(m.end() for m in _CLAUSE_END.finditer(text)), len(text)]
    clauses = [text[a:b] for a, b in itertools.pairwise(cuts) if a < b]
    chunks: list[str] = []
    for chunk in _pack(clauses, max_chars):
        fits = len(chunk.strip()) <= max_chars
        chunks.extend([chunk] if fits else _by_words(chunk, max_chars))
    return chunks


def _ends_with_clause(chunk: str) -> bool:
    ends = [m.end() for m in _CLAUSE_END.finditer(chunk)]
    return bool(ends) and ends[-1] == len(chunk.rstrip())


def _fit(piece: Piece, max_chars: int) -> Iterator[Piece]:
    """``piece`` cut into pieces of at most ``max_chars``: at clauses, then words."""
    if len(piece.text.strip()) <= max_chars:
        yield piece
        return
    chunks = _by_clauses(piece.text, max_chars)
    for chunk in chunks[:-1]:
        if _ends_with_clause(chunk):
            yield Piece(chunk, PAUSE_CLAUSE, "clause")
        else:
            yield Piece(chunk, PAUSE_NONE, "word")
    yield Piece(chunks[-1], piece.pause, piece.boundary)


def _paragraph(paragraph: str, max_chars: int) -> list[Piece]:
    return [
        fitted
        for line in paragraph.split("\n")
        for sentence in _sentences(line)
        for fitted in _fit(sentence, max_chars)
        if fitted.text.strip()
    ]


FIRST_CLAUSE_MIN_CHARS = 3
"""The shortest first clause cut off on its own (with its punctuation: 您好，)."""
_FIRST_CLAUSE_END = re.compile(rf"(?:[，；：,;:]+|—+)[{_CLOSERS}]*")
"""Where a stream's first clause may end: not at 、, which joins the items of a list."""


def split(text: str, max_chars: int, first_chars: int | None = None) -> list[Piece]:
    """Split normalized ``text`` into pieces of at most ``max_chars`` characters, stripped.

    ``first_chars``: a first piece longer than this is cut after its first clause (for a
    stream, whose listener waits for the first piece: it is rendered sooner alone)."""
    paragraphs = [p for p in (_paragraph(p, max_chars) for p in _PARAGRAPH.split(text)) if p]
    for pieces in paragraphs[:-1]:
        last = pieces[-1]
        pieces[-1] = Piece(last.text, max(last.pause, PAUSE_PARAGRAPH), "paragraph")
    found = [Piece(p.text.strip(), p.pause, p.boundary) for ps in paragraphs for p in ps]
    if found and first_chars is not None and len(found[0].text) > first_chars:
        found[:1] = _first_clause(found[0])
    return found


def _first_clause(piece: Piece) -> list[Piece]:
    """``piece`` cut after its first clause, if it has one and something follows it."""
    for end in _FIRST_CLAUSE_END.finditer(piece.text):
        if end.end() < FIRST_CLAUSE_MIN_CHARS:
            continue
        head, tail = piece.text[: end.end()].strip(), piece.text[end.end() :].strip()
        if not tail:
            break
        # With the silence the voice leaves at the ends of the two, a clause pause comes to
        # about 0.3 s: about the pause it makes at a comma inside a sentence.
        return [Piece(head, PAUSE_CLAUSE, "clause"), Piece(tail, piece.pause, piece.boundary)]
    return [piece]
