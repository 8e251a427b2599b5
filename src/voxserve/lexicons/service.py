"""What the lexicons API does: validate, store within the limits, and resolve names."""

from __future__ import annotations

import re
from collections.abc import Sequence

from voxserve.errors import InvalidLexiconError, LexiconNotFoundError
from voxserve.lexicons.base import SHARED, LexiconStore, StoredLexicon
from voxserve.settings import Settings
from voxserve.text.lexicon import Lexicon, pronunciations

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""A lexicon's name: what goes into a URL path and a request's ``lexicons`` list."""


def check_name(name: str, param: str = "name") -> str:
    if not NAME.fullmatch(name):
        raise InvalidLexiconError(
            "a name is 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit",
            param=param,
        )
    return name


class LexiconService:
    """Lexicons by owner (``key:<id>`` with API keys on; one shared namespace without)."""

    def __init__(self, settings: Settings, store: LexiconStore) -> None:
        self.settings = settings
        self.store = store

    async def put(
        self, owner: str | None, name: str, raw_entries: object, *, create: bool = False
    ) -> StoredLexicon:
        """Create (``create``: 409-style error if it exists) or replace a lexicon."""
        check_name(name)
        entries = pronunciations(raw_entries, self.settings.lexicon_max_entries)
        size = sum(
            len(e.grapheme) + len(" ".join(e.pinyin or ()) or e.alias or "") for e in entries
        )
        if size > (limit := self.settings.lexicon_max_chars):
            raise InvalidLexiconError(
                f"entries hold {size} characters; a lexicon may hold {limit}", param="entries"
            )
        if create and await self.store.get(owner or SHARED, name) is not None:
            raise InvalidLexiconError(
                f"a lexicon named {name!r} exists; replace it with PUT", param="name"
            )
        stored = await self.store.put(
            owner or SHARED, name, entries, self.settings.lexicons_per_owner
        )
        if stored is None:
            raise InvalidLexiconError(
                f"at most {self.settings.lexicons_per_owner} lexicons per key; delete one first",
                param="name",
            )
        return stored

    async def get(self, owner: str | None, name: str) -> StoredLexicon:
        stored = await self.store.get(owner or SHARED, check_name(name))
        if stored is None:
            raise LexiconNotFoundError(name)
        return stored

    async def all(self, owner: str | None) -> list[StoredLexicon]:
        return await self.store.all(owner or SHARED)

    async def delete(self, owner: str | None, name: str) -> None:
        if not await self.store.delete(owner or SHARED, check_name(name)):
            raise LexiconNotFoundError(name)

    async def resolve(self, names: Sequence[str], owner: str | None) -> Lexicon:
        """The pronunciations of ``names`` (the caller's own), the later winning for a grapheme:
        read now, so a lexicon changed a moment ago applies to this request."""
        if not names:
            return Lexicon()
        if len(names) > self.settings.max_request_lexicons:
            limit = self.settings.max_request_lexicons
            raise InvalidLexiconError(
                f"a request may name at most {limit} lexicons", param="lexicons"
            )
        found: list[StoredLexicon] = []
        for name in names:
            stored = await self.store.get(owner or SHARED, check_name(name, "lexicons"))
            if stored is None:
                raise LexiconNotFoundError(name, param="lexicons")
            found.append(stored)
        return Lexicon.merged((s.entries for s in found), names)


def summary(stored: StoredLexicon) -> dict[str, object]:
    """A lexicon as the API lists it (without its entries)."""
    return {
        "object": "lexicon",
        "name": stored.name,
        "version": stored.version,
        "entries_count": len(stored.entries),
        "created_at": stored.created_at,
        "updated_at": stored.updated_at,
    }


def detail(stored: StoredLexicon) -> dict[str, object]:
    return {**summary(stored), "entries": stored.entries_json()}
