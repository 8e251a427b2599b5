"""User pronunciations: a grapheme read with the pinyin given, or spoken as another text.

A request names lexicons; the service resolves the names (the caller's own) into one
:class:`Lexicon`, which travels on the request. Its entries, not its name, are part of every
cache key, so a changed lexicon takes effect on the next request. Normalization applies it to the
text as written, before numbers and symbols are read out (``voxserve.text.trace``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

from voxserve.errors import InvalidLexiconError, InvalidPinyinError
from voxserve.text import pinyin
from voxserve.text.script import HAN

MAX_GRAPHEME_CHARS = 32
MAX_ALIAS_CHARS = 200


@dataclass(frozen=True)
class Pronunciation:
    """``grapheme`` read as ``pinyin`` (one syllable per Han character), or spoken as ``alias``."""

    grapheme: str
    pinyin: tuple[str, ...] | None = None
    alias: str | None = None

    def to_json(self) -> dict[str, Any]:
        reading = {"pinyin": " ".join(self.pinyin)} if self.pinyin else {"alias": self.alias}
        return {"grapheme": self.grapheme, **reading}


@dataclass(frozen=True)
class Lexicon:
    """The pronunciations one request applies; for a grapheme, the last lexicon named wins."""

    entries: tuple[Pronunciation, ...] = ()
    names: tuple[str, ...] = ()
    """The lexicons they came from, in the order the request named them."""

    def __bool__(self) -> bool:
        return bool(self.entries)

    @classmethod
    def merged(
        cls, lexicons: Iterable[Iterable[Pronunciation]], names: Iterable[str] = ()
    ) -> Lexicon:
        by_grapheme = {entry.grapheme: entry for entries in lexicons for entry in entries}
        return cls(tuple(sorted(by_grapheme.values(), key=lambda e: e.grapheme)), tuple(names))

    @cached_property
    def matcher(self) -> re.Pattern[str]:
        """One pattern for every grapheme, the longest first (so 行长 wins over 行)."""
        return _pattern(tuple(entry.grapheme for entry in self.entries))

    @cached_property
    def by_grapheme(self) -> Mapping[str, Pronunciation]:
        return {entry.grapheme: entry for entry in self.entries}

    def to_json(self) -> list[dict[str, Any]]:
        return [entry.to_json() for entry in self.entries]

    @classmethod
    def from_json(cls, raw: object, names: Iterable[str] = ()) -> Lexicon:
        """What :meth:`to_json` wrote (a stored job's request)."""
        return cls(stored_pronunciations(raw), tuple(names))


@lru_cache(maxsize=32)
def _pattern(graphemes: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted(graphemes, key=len, reverse=True)
    return re.compile("|".join(re.escape(g) for g in ordered))


def _plain(value: object, param: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidLexiconError("must be a non-empty string", param=param)
    if len(value) > limit:
        raise InvalidLexiconError(f"longer than {limit} characters", param=param)
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co") for c in value) or "](" in value:
        raise InvalidLexiconError("control or private-use characters, or ']('", param=param)
    return value


def pronunciation(raw: Mapping[str, Any], param: str) -> Pronunciation:
    """One entry from its JSON form ``{"grapheme", "pinyin" | "alias"}``; raises
    InvalidLexiconError (InvalidPinyinError for a bad syllable) naming the field."""
    grapheme = _plain(raw.get("grapheme"), f"{param}.grapheme", MAX_GRAPHEME_CHARS).strip()
    given, alias = raw.get("pinyin"), raw.get("alias")
    if (given is None) == (alias is None) or set(raw) - {"grapheme", "pinyin", "alias"}:
        raise InvalidLexiconError("give a grapheme and one of pinyin or alias", param=param)
    if alias is not None:
        return Pronunciation(grapheme, alias=_plain(alias, f"{param}.alias", MAX_ALIAS_CHARS))
    text = _plain(given, f"{param}.pinyin", 8 * MAX_GRAPHEME_CHARS)
    syllables = tuple(
        pinyin.parse(s, param=f"{param}.pinyin") for s in re.split(r"[\s,]+", text.strip())
    )
    han = sum(1 for char in grapheme if HAN.match(char))
    if han != len(syllables):
        raise InvalidPinyinError(
            text,
            f"{len(syllables)} syllables for {han} Han characters ({grapheme})",
            f"{param}.pinyin",
        )
    return Pronunciation(grapheme, pinyin=syllables)


def pronunciations(raw: object, max_entries: int) -> tuple[Pronunciation, ...]:
    """A lexicon's entries from JSON; a grapheme given twice is an error, as is an empty list."""
    if not isinstance(raw, list) or not raw:
        raise InvalidLexiconError("entries must be a non-empty list", param="entries")
    if len(raw) > max_entries:
        raise InvalidLexiconError(f"more than {max_entries} entries", param="entries")
    entries: list[Pronunciation] = []
    seen: set[str] = set()
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InvalidLexiconError("an entry is an object", param=f"entries[{i}]")
        entry = pronunciation(item, f"entries[{i}]")
        if entry.grapheme in seen:
            raise InvalidLexiconError(
                "this grapheme is given twice", param=f"entries[{i}].grapheme"
            )
        seen.add(entry.grapheme)
        entries.append(entry)
    return tuple(entries)


def stored_pronunciations(raw: object) -> tuple[Pronunciation, ...]:
    """Entries as :meth:`Pronunciation.to_json` wrote them, checked when they were written: read
    back without checking every syllable again (that costs about 60 ms per 1,000 entries)."""
    if not isinstance(raw, list):
        return ()
    return tuple(
        Pronunciation(item["grapheme"], pinyin=tuple(item["pinyin"].split()))
        if "pinyin" in item
        else Pronunciation(item["grapheme"], alias=item["alias"])
        for item in raw
    )
