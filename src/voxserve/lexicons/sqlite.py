"""Lexicons in a SQLite file beside the jobs (WAL; each call on a thread of its own)."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from voxserve.errors import database_error
from voxserve.lexicons.base import StoredLexicon
from voxserve.text.lexicon import Pronunciation

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lexicons (
    owner TEXT NOT NULL,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    entries TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (owner, name)
)
"""
_COLUMNS = "owner, name, version, entries, created_at, updated_at"


def _row(row: tuple[str, str, int, str, float, float]) -> StoredLexicon:
    owner, name, version, entries, created, updated = row
    return StoredLexicon(
        owner, name, version, StoredLexicon.entries_from(json.loads(entries)), created, updated
    )


class SqliteLexiconStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    async def open(cls, path: Path) -> SqliteLexiconStore:
        store = cls(path)
        await asyncio.to_thread(store._create)
        return store

    def _create(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """A connection for one operation (committed at its end); a full or unwritable disk
        becomes a StorageError (507 or 503)."""
        try:
            db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            try:
                yield db
            finally:
                db.close()
        except (sqlite3.OperationalError, OSError) as exc:
            raise database_error(exc, f"the lexicon store {self.path}") or exc from exc

    async def get(self, owner: str, name: str) -> StoredLexicon | None:
        return await asyncio.to_thread(self._get, owner, name)

    def _get(self, owner: str, name: str) -> StoredLexicon | None:
        with self._db() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM lexicons WHERE owner = ? AND name = ?", (owner, name)
            ).fetchone()
        return _row(row) if row else None

    async def all(self, owner: str) -> list[StoredLexicon]:
        return await asyncio.to_thread(self._all, owner)

    def _all(self, owner: str) -> list[StoredLexicon]:
        with self._db() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM lexicons WHERE owner = ? ORDER BY name", (owner,)
            ).fetchall()
        return [_row(row) for row in rows]

    async def put(
        self, owner: str, name: str, entries: tuple[Pronunciation, ...], max_count: int
    ) -> StoredLexicon | None:
        return await asyncio.to_thread(self._put, owner, name, entries, max_count)

    def _put(
        self, owner: str, name: str, entries: tuple[Pronunciation, ...], max_count: int
    ) -> StoredLexicon | None:
        now = time.time()
        text = json.dumps([e.to_json() for e in entries], ensure_ascii=False)
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")  # count and write as one step
            try:
                written = self._write(db, (owner, name), text, max_count, now)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        if written is None:
            return None
        version, created = written
        return StoredLexicon(owner, name, version, entries, created, now)

    @staticmethod
    def _write(
        db: sqlite3.Connection, key: tuple[str, str], text: str, max_count: int, now: float
    ) -> tuple[int, float] | None:
        """Write one lexicon inside a transaction: its new version and creation time, or None
        when it is new and its owner already has ``max_count``."""
        old = db.execute(
            "SELECT version, created_at FROM lexicons WHERE owner = ? AND name = ?", key
        ).fetchone()
        if old is None:
            (count,) = db.execute(
                "SELECT COUNT(*) FROM lexicons WHERE owner = ?", key[:1]
            ).fetchone()
            if count >= max_count:
                return None
        version, created = (old[0] + 1, old[1]) if old else (1, now)
        db.execute(
            f"INSERT OR REPLACE INTO lexicons ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
            (*key, version, text, created, now),
        )
        return version, created

    async def delete(self, owner: str, name: str) -> bool:
        return await asyncio.to_thread(self._delete, owner, name)

    def _delete(self, owner: str, name: str) -> bool:
        with self._db() as db:
            cursor = db.execute("DELETE FROM lexicons WHERE owner = ? AND name = ?", (owner, name))
        return cursor.rowcount > 0

    async def close(self) -> None:
        return None
