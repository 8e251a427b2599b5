"""Pronunciation lexicons: stored per owner, resolved by name into a request's pronunciations."""

from __future__ import annotations

from voxserve.lexicons.base import LexiconStore
from voxserve.settings import Settings


async def open_store(settings: Settings) -> LexiconStore:
    """Redis when the service is scaled out (``redis_url``), else SQLite in the data directory."""
    if settings.redis_url:
        from voxserve.lexicons.redis_store import RedisLexiconStore

        return RedisLexiconStore.open(settings)
    from voxserve.lexicons.sqlite import SqliteLexiconStore

    return await SqliteLexiconStore.open(settings.data_dir / "lexicons.sqlite3")
