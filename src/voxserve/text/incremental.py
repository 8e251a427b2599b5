"""Sentences from text that arrives in pieces (an LLM's tokens): emit each as soon as it ends."""

from __future__ import annotations

import re

_CJK_END = "。！？；…"
_ASCII_END = ".!?;"
_CLOSERS = "\"'”’」』）)]】》"
_CLAUSE = re.compile(r"[，,、；;：:]\s*|\s+")
_ABBREVIATIONS = (
    "mr.",
    "mrs.",
    "ms.",
    "dr.",
    "prof.",
    "st.",
    "vs.",
    "etc.",
    "e.g.",
    "i.e.",
    "no.",
    "jr.",
    "sr.",
    "inc.",
    "ltd.",
    "co.",
)


class SentenceBuffer:
    """Accumulates text and hands out complete sentences, never longer than ``max_chars``."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self._text = ""

    @property
    def pending(self) -> str:
        """Text received but not yet handed out."""
        return self._text

    def feed(self, piece: str) -> list[str]:
        """Add ``piece``; return the sentences it completed, in order."""
        self._text += piece
        sentences: list[str] = []
        while (end := self._sentence_end()) is not None:
            sentences.append(self._take(end))
        while len(self._text) > self.max_chars:
            sentences.append(self._take(self._clause_cut()))
        return [s for s in sentences if s]

    def flush(self) -> list[str]:
        """Everything still buffered, as the last sentence (if any)."""
        rest = self._take(len(self._text))
        return [rest] if rest else []

    def _take(self, end: int) -> str:
        sentence, self._text = self._text[:end].strip(), self._text[end:]
        return sentence

    def _sentence_end(self) -> int | None:
        text = self._text
        for i, char in enumerate(text):
            if char == "\n":
                return i + 1
            if char in _CJK_END:
                return _after_closers(text, i + 1)
            if char in _ASCII_END and self._ascii_end(text, i):
                return i + 1
        return None

    def _ascii_end(self, text: str, i: int) -> bool:
        # A "." ends a sentence only once the next character shows it is not "3.14" or "e.g.".
        end = _after_closers(text, i + 1)
        if end >= len(text) or not text[end].isspace():
            return False
        if text[i] == ".":
            word = text[: i + 1].rsplit(None, 1)[-1].lower()
            return word not in _ABBREVIATIONS
        return True

    def _clause_cut(self) -> int:
        window = self._text[: self.max_chars]
        cuts = [m.end() for m in _CLAUSE.finditer(window) if m.end() > self.max_chars // 3]
        return cuts[-1] if cuts else self.max_chars


def _after_closers(text: str, index: int) -> int:
    while index < len(text) and text[index] in _CLOSERS:
        index += 1
    return index
