"""What a lexicon store keeps, and the interface of the stores (SQLite, Redis)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from voxserve.text.lexicon import Pronunciation, stored_pronunciations

SHARED = ""
"""The owner of every lexicon when API keys are off: one namespace for all callers."""


@dataclass(frozen=True)
class StoredLexicon:
    """A named lexicon of one owner; ``version`` goes up by one with each replacement."""

    owner: str
    name: str
    version: int
    entries: tuple[Pronunciation, ...]
    created_at: float
    updated_at: float

    def entries_json(self) -> list[dict[str, Any]]:
        return [entry.to_json() for entry in self.entries]

    @staticmethod
    def entries_from(raw: object) -> tuple[Pronunciation, ...]:
        """Entries as stored (checked when they were written)."""
        return stored_pronunciations(raw)


class LexiconStore(Protocol):
    """Durable lexicons by ``(owner, name)``."""

    async def get(self, owner: str, name: str) -> StoredLexicon | None: ...

    async def all(self, owner: str) -> list[StoredLexicon]:
        """An owner's lexicons by name."""
        ...

    async def put(
        self, owner: str, name: str, entries: tuple[Pronunciation, ...], max_count: int
    ) -> StoredLexicon | None:
        """Create or replace; None when creating would make the owner's count over
        ``max_count``."""
        ...

    async def delete(self, owner: str, name: str) -> bool: ...

    async def close(self) -> None: ...
